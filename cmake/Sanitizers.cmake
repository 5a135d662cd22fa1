# Sanitizers apply to everything built in this tree so fibers, tests and examples agree on the runtime.
if(GROVE_ASAN AND GROVE_TSAN)
  message(FATAL_ERROR "GROVE_ASAN and GROVE_TSAN cannot be combined")
endif()
# GCC 12's flow analysis reports false "maybe uninitialized" in libstdc++ (std::function inside
# std::regex) once sanitizer instrumentation is added; the plain build keeps the warning.
if(GROVE_ASAN OR GROVE_TSAN)
  add_compile_options(-Wno-maybe-uninitialized)
endif()
if(GROVE_ASAN)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
  add_compile_definitions(GROVE_ASAN=1)
endif()
if(GROVE_TSAN)
  add_compile_options(-fsanitize=thread -fno-omit-frame-pointer)
  add_link_options(-fsanitize=thread)
  add_compile_definitions(GROVE_TSAN=1)
endif()
