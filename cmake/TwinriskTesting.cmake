# Helpers for the test suite: one GoogleTest executable per folder, tests discovered by ctest.
find_package(GTest REQUIRED)
include(GoogleTest)

function(twinrisk_add_gtest name)
  add_executable(${name} ${ARGN})
  target_link_libraries(${name} PRIVATE ${TWINRISK_ALLOCATOR} twinrisk::pipeline GTest::gtest GTest::gtest_main twinrisk_flags)
  target_compile_definitions(${name} PRIVATE
    TWINRISK_TEST_DATA_DIR="${PROJECT_SOURCE_DIR}/tests/data"
    TWINRISK_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
  # Labelled with the executable's name, so a build of some targets can run just their tests (.ci/run).
  gtest_discover_tests(${name} DISCOVERY_TIMEOUT 60 PROPERTIES ENVIRONMENT "PROJ_NETWORK=OFF" LABELS ${name})
endfunction()
