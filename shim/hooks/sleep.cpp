// Sleeping and yielding.
#include "Shim.hpp"

GROVE_SHIM(unsigned int, sleep, (unsigned int s), (s))
GROVE_SHIM(int, usleep, (useconds_t u), (u))
GROVE_SHIM(int, nanosleep, (const timespec* req, timespec* rem), (req, rem))
GROVE_SHIM(int, clock_nanosleep, (clockid_t c, int f, const timespec* req, timespec* rem), (c, f, req, rem))
GROVE_SHIM(int, sched_yield, (), ())
