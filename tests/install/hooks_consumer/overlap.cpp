// Eight fibers sleep in usleep, one blocks in read on a pipe that another fills after its own
// usleep. Linked with grove::hooks, on one worker (the test sets GROVE_WORKERS=1), the calls park
// their fibers: everything overlaps on the main thread. Without the hooks each call blocks the
// worker, and the monitor hands the queue to spare threads: slower, and on other threads.
#include <sys/syscall.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <vector>

#include <grove/grove.hpp>

namespace {
long kernel_thread() { return syscall(SYS_gettid); }
}  // namespace

int main() {
  using Clock = std::chrono::steady_clock;
  constexpr int kFibers = 8;
  constexpr useconds_t kSleepUs = 200000;
  int p[2];
  if (pipe(p) != 0) return 1;
  const long main_thread = kernel_thread();
  struct Result {
    long rc;
    long thread;
  };
  const auto t0 = Clock::now();
  std::vector<grove::Fiber<Result>> fibers;
  for (int i = 0; i < kFibers; ++i) {
    fibers.push_back(grove::spawn([] { return Result{usleep(kSleepUs), kernel_thread()}; }));
  }
  auto reader = grove::spawn([&] {
    char buf[8] = {};
    return Result{read(p[0], buf, sizeof buf), kernel_thread()};  // blocks until the writer runs
  });
  auto writer = grove::spawn([&] {
    usleep(kSleepUs);
    return Result{write(p[1], "grove", 5), kernel_thread()};
  });
  long sleep_rc = 0;
  bool one_thread = true;
  for (auto& f : fibers) {
    const Result r = f.get();
    sleep_rc += r.rc;
    one_thread = one_thread && r.thread == main_thread;
  }
  const Result got = reader.get();
  const Result put = writer.get();
  one_thread = one_thread && got.thread == main_thread && put.thread == main_thread;
  const double ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
  // About one sleep's worth (200 ms), not nine in a row (1.8 s); generous for a loaded machine.
  // The strict check is one_thread: without the hooks, spare threads must take the calls over.
  const bool overlapped = ms < 7.5 * kSleepUs / 1000.0;
  std::printf("usleep=%ld read=%ld write=%ld one_thread=%s overlapped=%s\n", sleep_rc, got.rc, put.rc,
              one_thread ? "yes" : "no", overlapped ? "yes" : "no");
  std::fprintf(stderr, "elapsed %.1f ms\n", ms);
  return sleep_rc == 0 && got.rc == 5 && put.rc == 5 && one_thread && overlapped ? 0 : 1;
}
