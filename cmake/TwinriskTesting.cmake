# Helpers for the test suite: one GoogleTest executable per folder, tests discovered by ctest.
find_package(GTest REQUIRED)
include(GoogleTest)

# Runs under test keep their input checksums (io::ChecksumCache) in the build tree, not in the
# home of whoever runs the tests.
set(TWINRISK_TEST_CACHE "TWINRISK_CACHE_DIR=set:${CMAKE_BINARY_DIR}/test-cache")

function(twinrisk_add_gtest name)
  add_executable(${name} ${ARGN})
  target_link_libraries(${name} PRIVATE ${TWINRISK_ALLOCATOR} twinrisk::pipeline GTest::gtest GTest::gtest_main twinrisk_flags)
  target_compile_definitions(${name} PRIVATE
    TWINRISK_TEST_DATA_DIR="${PROJECT_SOURCE_DIR}/tests/data"
    TWINRISK_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
  # Labelled with the executable's name, so a build of some targets can run just their tests (.ci/run).
  gtest_discover_tests(${name} DISCOVERY_TIMEOUT 60 PROPERTIES ENVIRONMENT "PROJ_NETWORK=OFF"
                       ENVIRONMENT_MODIFICATION "${TWINRISK_TEST_CACHE}" LABELS ${name})
endfunction()
