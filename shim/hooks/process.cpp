// Processes: fork, waiting for children, system and popen.
#include "Shim.hpp"

GROVE_SHIM(pid_t, fork, (), ())
GROVE_SHIM(pid_t, waitpid, (pid_t p, int* s, int o), (p, s, o))
GROVE_SHIM(pid_t, wait, (int* s), (s))
GROVE_SHIM(pid_t, wait3, (int* s, int o, rusage* r), (s, o, r))
GROVE_SHIM(pid_t, wait4, (pid_t p, int* s, int o, rusage* r), (p, s, o, r))
GROVE_SHIM(int, waitid, (idtype_t t, id_t i, siginfo_t* s, int o), (t, i, s, o))
GROVE_SHIM(int, system, (const char* c), (c))
GROVE_SHIM(FILE*, popen, (const char* c, const char* m), (c, m))
GROVE_SHIM(int, pclose, (FILE * f), (f))
