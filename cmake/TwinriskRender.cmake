# Rendering dependencies, all from Debian 12 (scripts/setup): Mapnik 3.1 (libmapnik-dev), Cairo,
# Pango and libxlsxwriter. Debian's Mapnik ships mapnik-config, not a CMake or pkg-config file.
find_package(PkgConfig REQUIRED)
pkg_check_modules(CAIRO REQUIRED IMPORTED_TARGET GLOBAL cairo cairo-pdf cairo-svg cairo-png)
pkg_check_modules(PANGOCAIRO REQUIRED IMPORTED_TARGET GLOBAL pangocairo)
pkg_check_modules(XLSXWRITER REQUIRED IMPORTED_TARGET GLOBAL xlsxwriter)

find_program(MAPNIK_CONFIG mapnik-config REQUIRED)
function(_twinrisk_mapnik_config option var)
  execute_process(COMMAND "${MAPNIK_CONFIG}" ${option} OUTPUT_VARIABLE value OUTPUT_STRIP_TRAILING_WHITESPACE
                  COMMAND_ERROR_IS_FATAL ANY)
  separate_arguments(value UNIX_COMMAND "${value}")
  set(${var} "${value}" PARENT_SCOPE)
endfunction()
_twinrisk_mapnik_config(--version MAPNIK_VERSION)
_twinrisk_mapnik_config(--defines mapnik_defines)
_twinrisk_mapnik_config(--includes mapnik_includes)
_twinrisk_mapnik_config(--dep-includes mapnik_dep_includes)
_twinrisk_mapnik_config(--input-plugins MAPNIK_INPUT_PLUGINS)
_twinrisk_mapnik_config(--fonts MAPNIK_FONTS)
# The defines are part of Mapnik's ABI (BIGINT makes value_integer 64-bit, MAPNIK_THREADSAFE …), so
# every file that includes a Mapnik header needs them; NDEBUG follows our own build type.
list(FILTER mapnik_defines EXCLUDE REGEX "^-DNDEBUG$")
list(TRANSFORM mapnik_defines REPLACE "^-D" "")
set(mapnik_include_dirs "")
foreach(flag IN LISTS mapnik_includes mapnik_dep_includes)
  string(REGEX REPLACE "^-I" "" dir "${flag}")
  if(NOT dir STREQUAL "/usr/include")
    list(APPEND mapnik_include_dirs "${dir}")
  endif()
endforeach()
list(REMOVE_DUPLICATES mapnik_include_dirs)
find_library(MAPNIK_LIBRARY mapnik REQUIRED)
find_package(Boost 1.74 REQUIRED COMPONENTS filesystem regex)
find_package(ICU REQUIRED COMPONENTS uc i18n)
find_package(Freetype REQUIRED)

add_library(Mapnik::mapnik INTERFACE IMPORTED)
# SYSTEM: Mapnik's and AGG's headers are not warning-clean under -Wall -Wextra -Wpedantic.
target_include_directories(Mapnik::mapnik SYSTEM INTERFACE ${mapnik_include_dirs})
target_compile_definitions(Mapnik::mapnik INTERFACE ${mapnik_defines})
target_link_libraries(Mapnik::mapnik INTERFACE "${MAPNIK_LIBRARY}" Boost::filesystem Boost::regex ICU::uc ICU::i18n
                      Freetype::Freetype PkgConfig::CAIRO)
message(STATUS "Mapnik ${MAPNIK_VERSION}: plugins ${MAPNIK_INPUT_PLUGINS}, fonts ${MAPNIK_FONTS}")
