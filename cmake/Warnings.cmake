# Strict warnings for grove's own targets; -Werror in CI builds (GROVE_WERROR=ON by default).
add_library(grove_warnings INTERFACE)
target_compile_options(grove_warnings INTERFACE -Wall -Wextra $<$<BOOL:${GROVE_WERROR}>:-Werror>)
