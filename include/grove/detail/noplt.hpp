#pragma once
// GROVE_NOPLT: a libgrove function the inline switch paths call is called through the GOT, with no
// PLT stub in between (GCC's noplt; clang lacks the attribute).
#if defined(__GNUC__) && !defined(__clang__)
#define GROVE_NOPLT [[gnu::noplt]]
#else
#define GROVE_NOPLT
#endif
