// The seeds' gevent example: foo sleeps 2 units, bar 5 units; sleeping switches to the other
// fiber, so the whole run takes ~5 units, not 7.
//
//   import gevent
//   def foo():
//       print("running in foo"); gevent.sleep(2); print("switch to foo again")
//   def bar():
//       print("switch to bar"); gevent.sleep(5); print("switch to bar again")
//   gevent.joinall([gevent.spawn(foo), gevent.spawn(bar)])
//
// Usage: spawn_joinall [unit_ms]   (default 1000: the seed's seconds)
#include <cstdio>
#include <cstdlib>
#include <string>

#include <grove/grove.hpp>

namespace {

std::chrono::milliseconds unit{1000};

void say(const char* line) {
  std::printf("%s\n", line);
  std::fflush(stdout);
}

void foo() {
  say("running in foo");
  grove::sleep(2 * unit);
  say("switch to foo again");
}

void bar() {
  say("switch to bar");
  grove::sleep(5 * unit);
  say("switch to bar again");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1) {
    char* end = nullptr;
    const long ms = std::strtol(argv[1], &end, 10);
    if (*end != '\0' || ms <= 0 || ms > 60000) {
      std::fprintf(stderr, "spawn_joinall: unit_ms \"%s\": expected a whole number of milliseconds from 1 to 60000\n", argv[1]);
      return 2;
    }
    unit = std::chrono::milliseconds(ms);
  }
  // One worker, like gevent's single-threaded hub: the print order is then exactly the seed's.
  // (With more workers the two fibers may start on different threads, in either order.)
  grove::init(grove::Config{.workers = 1});
  const auto start = std::chrono::steady_clock::now();
  grove::joinall({grove::spawn(foo), grove::spawn(bar)});
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double units = elapsed / std::chrono::duration<double>(unit).count();
  std::printf("total: %.2f units (%.3f s)\n", units, elapsed);
  return 0;
}
