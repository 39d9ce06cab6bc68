# Every dependency comes from Debian 12's packages (see scripts/setup).
find_package(GDAL CONFIG REQUIRED)
find_package(GEOS 3.10 CONFIG REQUIRED)
find_package(PROJ CONFIG REQUIRED)
find_package(Boost 1.74 REQUIRED)
find_package(yaml-cpp REQUIRED)
find_package(nlohmann_json 3.10 REQUIRED)
find_package(CLI11 CONFIG REQUIRED)
find_package(fmt REQUIRED)
find_package(TBB REQUIRED)
find_package(OpenSSL REQUIRED)
# GDAL's own SQLite: the GeoPackage R-tree is bulk-loaded on GDAL's connection (io/gpkg_rtree.cpp).
find_package(SQLite3 REQUIRED)
# mimalloc replaces malloc in the programs (TWINRISK_ALLOCATOR is what they link); a sanitized
# build uses the sanitizer's allocator instead.
if(TWINRISK_SANITIZE)
  set(TWINRISK_ALLOCATOR "")
else()
  find_package(mimalloc 2.0 REQUIRED)
  set(TWINRISK_ALLOCATOR mimalloc)
endif()
find_package(Threads REQUIRED)
