# Language standard and warnings for every twinrisk target, as one INTERFACE target.
add_library(twinrisk_flags INTERFACE)
target_compile_features(twinrisk_flags INTERFACE cxx_std_20)
target_compile_options(twinrisk_flags INTERFACE -Wall -Wextra -Wpedantic)
if(TWINRISK_WERROR)
  target_compile_options(twinrisk_flags INTERFACE -Werror)
endif()
