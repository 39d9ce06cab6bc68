# Language standard, warnings and instrumentation for every twinrisk target, as one INTERFACE target.
add_library(twinrisk_flags INTERFACE)
target_compile_features(twinrisk_flags INTERFACE cxx_std_20)
target_compile_options(twinrisk_flags INTERFACE -Wall -Wextra -Wpedantic)
if(TWINRISK_WERROR)
  target_compile_options(twinrisk_flags INTERFACE -Werror)
endif()

# Sanitizers: -DTWINRISK_SANITIZE=address,undefined (ASan + UBSan) or =thread (TSan). Every report
# aborts the test that made it (no recovery). A sanitized build links no mimalloc: the sanitizers
# bring their own allocator.
set(TWINRISK_SANITIZE "" CACHE STRING "Sanitizers to build with: address,undefined or thread")
if(TWINRISK_SANITIZE)
  target_compile_options(twinrisk_flags INTERFACE -fsanitize=${TWINRISK_SANITIZE} -fno-omit-frame-pointer
                                                  -fno-sanitize-recover=all)
  target_link_options(twinrisk_flags INTERFACE -fsanitize=${TWINRISK_SANITIZE})
endif()

# libFuzzer targets (tests/fuzz): clang only. The libraries get coverage instrumentation
# (fuzzer-no-link); only the fuzz executables link libFuzzer's main.
option(TWINRISK_FUZZ "Build the libFuzzer targets in tests/fuzz (clang)" OFF)
if(TWINRISK_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "TWINRISK_FUZZ needs clang (libFuzzer): -DCMAKE_CXX_COMPILER=clang++-14")
  endif()
  target_compile_options(twinrisk_flags INTERFACE -fsanitize=fuzzer-no-link)
endif()
