// grove-run: runs an unmodified program with grove's LD_PRELOAD shim.
//   grove-run [--workers N] [--threads os|fibers] [--] program [args...]
// Sets GROVE_WORKERS / GROVE_THREADS and LD_PRELOAD, then execs the program (same pid).
#include <limits.h>
#include <stdlib.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

namespace {

const char kUsage[] =
    "usage: grove-run [--workers N] [--threads os|fibers] [--] program [args...]\n"
    "\n"
    "Runs an unmodified program with grove's cooperative libc hooks (LD_PRELOAD=libgrove_preload.so).\n"
    "main() becomes the main fiber of the adopted main thread; its blocking socket, sleep, poll and\n"
    "wait calls park the fiber instead of the thread.\n"
    "\n"
    "  --workers N          worker threads, 1 to 1024 (GROVE_WORKERS; default: the CPU count)\n"
    "  --threads os|fibers  os: the program's other pthreads stay OS threads (default);\n"
    "                       fibers: they become fibers too (GROVE_THREADS)\n"
    "  -h, --help           this text\n"
    "\n"
    "Other settings come from the environment (GROVE_STACK_SIZE, GROVE_MAX_BLOCKING_MS, ...).\n"
    "The shim library is found next to this program (../lib/libgrove_preload.so, or where\n"
    "cmake --install put it) unless GROVE_PRELOAD names it.\n";

[[noreturn]] void usage_error(const std::string& what) {
  std::fprintf(stderr, "grove-run: %s\n(grove-run --help for usage)\n", what.c_str());
  std::exit(2);
}

bool whole_number(const char* s, unsigned long& out) {
  if (!*s || std::strlen(s) > 9) return false;
  for (const char* p = s; *p; ++p) {
    if (*p < '0' || *p > '9') return false;
  }
  out = std::strtoul(s, nullptr, 10);
  return true;
}

#ifndef GROVE_PRELOAD_RELDIR
#define GROVE_PRELOAD_RELDIR "../lib"
#endif

// The shim next to this program: where `cmake --install` puts it relative to bin/ (the
// library directory may be lib64 or lib/<triplet>), else ../lib as in the build tree.
std::string preload_path() {
  if (const char* p = std::getenv("GROVE_PRELOAD")) return p;
  char exe[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n <= 0) usage_error("cannot find my own location (/proc/self/exe); set GROVE_PRELOAD");
  exe[n] = '\0';
  std::string dir(exe);
  dir.erase(dir.rfind('/'));
  const std::string installed = dir + "/" GROVE_PRELOAD_RELDIR "/libgrove_preload.so";
  const std::string build_tree = dir + "/../lib/libgrove_preload.so";
  return access(installed.c_str(), F_OK) == 0 || access(build_tree.c_str(), F_OK) != 0 ? installed : build_tree;
}

}  // namespace

int main(int argc, char** argv) {
  int i = 1;
  for (; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--") {
      ++i;
      break;
    }
    if (arg == "-h" || arg == "--help") {
      std::fputs(kUsage, stdout);
      return 0;
    }
    std::string value;
    std::string name = arg;
    if (auto eq = arg.find('='); arg.rfind("--", 0) == 0 && eq != std::string::npos) {
      name = arg.substr(0, eq);
      value = arg.substr(eq + 1);
    } else if (arg == "--workers" || arg == "--threads") {
      if (i + 1 >= argc) usage_error(arg + " needs a value");
      value = argv[++i];
    }
    if (name == "--workers") {
      unsigned long n = 0;
      if (!whole_number(value.c_str(), n) || n < 1 || n > 1024) {
        usage_error("--workers " + value + ": expected a whole number from 1 to 1024");
      }
      setenv("GROVE_WORKERS", value.c_str(), 1);
    } else if (name == "--threads") {
      if (value != "os" && value != "fibers") usage_error("--threads " + value + ": expected os or fibers");
      setenv("GROVE_THREADS", value.c_str(), 1);
    } else if (arg.size() > 1 && arg[0] == '-') {
      usage_error("unknown option " + arg);
    } else {
      break;  // the program
    }
  }
  if (i >= argc) usage_error("no program given");

  const std::string lib = preload_path();
  if (access(lib.c_str(), R_OK) != 0) usage_error("cannot read the shim library " + lib + ": " + std::strerror(errno));
  // Libraries already preloaded stay first (a sanitizer runtime must be the first object).
  std::string preload = lib;
  if (const char* old = std::getenv("LD_PRELOAD"); old && *old) preload = std::string(old) + ":" + lib;
  setenv("LD_PRELOAD", preload.c_str(), 1);

  execvp(argv[i], argv + i);
  const int err = errno;
  std::fprintf(stderr, "grove-run: cannot run %s: %s\n", argv[i], std::strerror(err));
  return err == ENOENT ? 127 : 126;
}
