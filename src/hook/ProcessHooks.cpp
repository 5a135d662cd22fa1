// fork, the wait family, system and popen. A fiber waiting for a child parks, the worker runs
// others: a pidfd (readable once the child exits) in grove's poller, or, where no pidfd fits
// (any child, a process group, stop/continue reports), WNOHANG polls with a growing sleep.
// system() and popen() start the shell with posix_spawn (no copy of the runtime's threads to
// tear down) and wait cooperatively. fork() itself is libc's: the runtime's atfork handler
// gives the child a fresh poller and workers (src/sched/Runtime.cpp).
#include <spawn.h>
#include <sys/syscall.h>

#include <cerrno>
#include <cstring>
#include <mutex>
#include <vector>

#include "hook/FdState.hpp"
#include "hook/Hook.hpp"
#include "sys/Real.hpp"
#include "hook/Wait.hpp"
#include "sys/Sys.hpp"
#include "sys/FutexLock.hpp"

extern char** environ;

namespace grove::hook {
namespace {

constexpr auto kFirstBackoff = std::chrono::microseconds(500);
constexpr auto kMaxBackoff = std::chrono::milliseconds(20);

int pidfd_open(pid_t pid) { return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)); }

// Waits (parked) until `pidfd` is readable, then closes it. False with errno on failure.
bool wait_pidfd(int pidfd) {
  const int r = wait_fiber(pidfd, IoDirection::read, kNoDeadline);
  const int err = errno;
  fd_closed(pidfd);
  sys::close(pidfd);
  errno = err;
  return r == 0;
}

// Repeats `try_once` (a WNOHANG call: >0/-1 done, 0 nothing yet) until it reports something.
// With a pid, a pidfd says when; otherwise sleep and retry.
template <typename Try>
auto wait_child(pid_t pid, bool exits_only, Try try_once) {
  auto backoff = std::chrono::duration_cast<Clock::duration>(kFirstBackoff);
  for (;;) {
    auto r = try_once();
    if (r != 0) return r;
    if (pid > 0 && exits_only) {
      const int pidfd = pidfd_open(pid);
      if (pidfd >= 0) {
        r = try_once();  // it may have exited before the pidfd existed
        if (r != 0) {
          fd_closed(pidfd);
          sys::close(pidfd);
          return r;
        }
        if (!wait_pidfd(pidfd)) return static_cast<decltype(r)>(-1);
        continue;
      }
    }
    sleep_fiber(Clock::now() + backoff);
    backoff = std::min<Clock::duration>(backoff * 2, kMaxBackoff);
  }
}

bool exits_only(int options) { return !(options & (WUNTRACED | WCONTINUED)); }

// SIGINT/SIGQUIT are ignored while any system() runs, as POSIX asks (counted: fibers overlap).
sys::FutexLock g_system_mu;
int g_system_count = 0;
struct sigaction g_saved_int, g_saved_quit;

void system_signals_enter() {
  std::lock_guard lock(g_system_mu);
  if (g_system_count++ > 0) return;
  struct sigaction ign{};
  ign.sa_handler = SIG_IGN;
  sigemptyset(&ign.sa_mask);
  sigaction(SIGINT, &ign, &g_saved_int);
  sigaction(SIGQUIT, &ign, &g_saved_quit);
}

void system_signals_leave() {
  std::lock_guard lock(g_system_mu);
  if (--g_system_count > 0) return;
  sigaction(SIGINT, &g_saved_int, nullptr);
  sigaction(SIGQUIT, &g_saved_quit, nullptr);
}

// Starts `/bin/sh -c command` with the given file actions; 0 or an errno value.
int spawn_shell(pid_t* pid, const char* command, const posix_spawn_file_actions_t* actions, bool default_signals) {
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  short flags = 0;
  if (default_signals) {
    sigset_t defaults;
    sigemptyset(&defaults);
    sigaddset(&defaults, SIGINT);
    sigaddset(&defaults, SIGQUIT);
    posix_spawnattr_setsigdefault(&attr, &defaults);
    flags |= POSIX_SPAWN_SETSIGDEF;
  }
  posix_spawnattr_setflags(&attr, flags);
  char sh[] = "sh";
  char dash_c[] = "-c";
  char* argv[] = {sh, dash_c, const_cast<char*>(command), nullptr};
  const int err = posix_spawn(pid, "/bin/sh", actions, &attr, argv, environ);
  posix_spawnattr_destroy(&attr);
  return err;
}

// popen's streams and their children, so pclose can wait for the right one.
struct PopenChild {
  FILE* stream;
  pid_t pid;
};
sys::FutexLock g_popen_mu;
std::vector<PopenChild> g_popen;

}  // namespace

pid_t fork() { return real::fork(); }

pid_t wait4(pid_t pid, int* status, int options, rusage* usage) {
  if (!active() || (options & WNOHANG)) return real::wait4(pid, status, options, usage);
  return wait_child(pid, exits_only(options), [&] { return real::wait4(pid, status, options | WNOHANG, usage); });
}

pid_t waitpid(pid_t pid, int* status, int options) { return hook::wait4(pid, status, options, nullptr); }
pid_t wait(int* status) { return hook::wait4(-1, status, 0, nullptr); }
pid_t wait3(int* status, int options, rusage* usage) { return hook::wait4(-1, status, options, usage); }

int waitid(idtype_t idtype, id_t id, siginfo_t* info, int options) {
  if (!active() || (options & WNOHANG) || !info) return real::waitid(idtype, id, info, options);
  auto try_once = [&]() -> int {
    info->si_pid = 0;
    const int r = real::waitid(idtype, id, info, options | WNOHANG);
    if (r != 0) return r;
    return info->si_pid != 0 ? 1 : 0;  // 0 with si_pid 0: nothing to report yet
  };
  const bool exits = (options & (WSTOPPED | WCONTINUED)) == 0;
  int r;
  if (idtype == P_PIDFD && exits) {
    // The caller's own pidfd: wait on it directly (it is not ours to close).
    for (;;) {
      r = try_once();
      if (r != 0) break;
      if (wait_fiber(static_cast<int>(id), IoDirection::read, kNoDeadline) != 0) return -1;
    }
  } else {
    r = wait_child(idtype == P_PID ? static_cast<pid_t>(id) : -1, exits, try_once);
  }
  return r < 0 ? -1 : 0;
}

int system(const char* command) {
  if (!active() || !command) return real::system(command);
  system_signals_enter();
  pid_t pid = -1;
  const int err = spawn_shell(&pid, command, nullptr, true);
  if (err != 0) {
    system_signals_leave();
    errno = err;
    return -1;
  }
  int status = 0;
  pid_t r;
  do {
    r = hook::waitpid(pid, &status, 0);
  } while (r < 0 && errno == EINTR);
  system_signals_leave();
  return r < 0 ? -1 : status;
}

FILE* popen(const char* command, const char* mode) {
  if (!active()) return real::popen(command, mode);
  const bool reading = mode && mode[0] == 'r';
  if (!mode || (mode[0] != 'r' && mode[0] != 'w') || (mode[1] && !(mode[1] == 'e' && !mode[2]))) {
    errno = EINVAL;
    return nullptr;
  }
  const bool cloexec = mode[1] == 'e';
  int p[2];
  if (real::pipe2(p, O_CLOEXEC) != 0) return nullptr;
  const int parent_end = reading ? p[0] : p[1];
  const int child_end = reading ? p[1] : p[0];
  const int child_target = reading ? STDOUT_FILENO : STDIN_FILENO;
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  // dup2 onto the target clears O_CLOEXEC there; when the end already is the target, keep it.
  if (child_end != child_target) posix_spawn_file_actions_adddup2(&actions, child_end, child_target);
  {
    // POSIX: the child must not keep the streams of earlier popen() calls open.
    std::lock_guard lock(g_popen_mu);
    for (const PopenChild& c : g_popen) posix_spawn_file_actions_addclose(&actions, fileno(c.stream));
  }
  pid_t pid = -1;
  const int err = spawn_shell(&pid, command, &actions, false);
  posix_spawn_file_actions_destroy(&actions);
  real::close(child_end);
  if (err != 0) {
    real::close(parent_end);
    errno = err;
    return nullptr;
  }
  if (!cloexec) real::fcntl(parent_end, F_SETFD, 0);
  FILE* stream = fdopen(parent_end, reading ? "r" : "w");
  if (!stream) {
    const int e = errno;
    real::close(parent_end);
    hook::waitpid(pid, nullptr, 0);
    errno = e;
    return nullptr;
  }
  fd_created(parent_end, kKnown);
  std::lock_guard lock(g_popen_mu);
  g_popen.push_back(PopenChild{stream, pid});
  return stream;
}

int pclose(FILE* stream) {
  pid_t pid = -1;
  {
    std::lock_guard lock(g_popen_mu);
    for (auto it = g_popen.begin(); it != g_popen.end(); ++it) {
      if (it->stream == stream) {
        pid = it->pid;
        g_popen.erase(it);
        break;
      }
    }
  }
  if (pid < 0) return real::pclose(stream);  // libc's own popen stream
  fd_closed(fileno(stream));
  fclose(stream);
  int status = 0;
  pid_t r;
  do {
    r = hook::waitpid(pid, &status, 0);
  } while (r < 0 && errno == EINTR);
  return r < 0 ? -1 : status;
}

}  // namespace grove::hook
