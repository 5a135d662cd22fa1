// 1000 concurrent lookups against a local dnsmasq: grove fibers (c-ares on the poller) vs glibc's
// stub resolver on 1000 OS threads vs one sequential loop. Prints a Markdown table.
// glibc's getaddrinfo cannot be pointed at a server on another port, so the thread and sequential
// rows call res_nquery() with the server set in a private res_state: the DNS code getaddrinfo's
// "dns" source runs, without the nsswitch layer.
#include <arpa/nameser.h>
#include <dirent.h>
#include <resolv.h>

#include <atomic>
#include <cstdio>
#include <thread>
#include <vector>

#include "../tests/dns/DnsServer.hpp"
#include "grove/grove.hpp"

using grove::test::kNames;
using Clock = std::chrono::steady_clock;

namespace {

int threads_now() {
  int n = 0;
  if (DIR* d = opendir("/proc/self/task")) {
    while (dirent* e = readdir(d)) n += e->d_name[0] != '.';
    closedir(d);
  }
  return n;
}

// Samples the thread count from its own thread (not counted in the peak).
struct PeakThreads {
  std::atomic<bool> stop{false};
  std::atomic<int> peak{0};
  std::thread sampler{[this] {
    while (!stop) {
      peak = std::max(peak.load(), threads_now() - 1);
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }};
  int finish() {
    stop = true;
    sampler.join();
    return peak;
  }
};

bool glibc_lookup(int port, int i) {
  struct __res_state st {};
  if (res_ninit(&st) != 0) return false;
  st.nscount = 1;
  st.nsaddr_list[0].sin_family = AF_INET;
  st.nsaddr_list[0].sin_port = htons(static_cast<uint16_t>(port));
  st.nsaddr_list[0].sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  unsigned char answer[512];
  int n = res_nquery(&st, grove::test::name_of(i).c_str(), ns_c_in, ns_t_a, answer, sizeof answer);
  res_nclose(&st);
  return n > 12 && ((answer[6] << 8) | answer[7]) == 1;  // one answer record
}

bool grove_lookup(int i) {
  addrinfo hints{};
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  grove::dns::AddrInfo out;
  return grove::dns::try_getaddrinfo(grove::test::name_of(i).c_str(), nullptr, &hints, out) == 0 && !out.empty();
}

struct Row {
  const char* name;
  double seconds;
  int peak;
  int ok;
};

}  // namespace

int main() {
  grove::test::DnsServer server;
  grove::dns::Settings settings;
  settings.servers = server.address();
  grove::dns::configure(settings);
  std::vector<Row> rows;

  {
    PeakThreads peak;
    std::atomic<int> ok{0};
    auto start = Clock::now();
    std::vector<grove::Fiber<void>> fibers;
    for (int i = 0; i < kNames; ++i) fibers.push_back(grove::spawn([i, &ok] { ok += grove_lookup(i); }));
    for (auto& f : fibers) f.join();
    double s = std::chrono::duration<double>(Clock::now() - start).count();
    rows.push_back({"grove fibers (c-ares)", s, peak.finish(), ok.load()});
  }
  {
    PeakThreads peak;
    std::atomic<int> ok{0};
    auto start = Clock::now();
    std::vector<std::thread> threads;
    for (int i = 0; i < kNames; ++i) threads.emplace_back([i, &ok, &server] { ok += glibc_lookup(server.port(), i); });
    for (auto& t : threads) t.join();
    double s = std::chrono::duration<double>(Clock::now() - start).count();
    rows.push_back({"glibc resolver, 1000 OS threads", s, peak.finish(), ok.load()});
  }
  {
    PeakThreads peak;
    int ok = 0;
    auto start = Clock::now();
    for (int i = 0; i < kNames; ++i) ok += glibc_lookup(server.port(), i);
    double s = std::chrono::duration<double>(Clock::now() - start).count();
    rows.push_back({"glibc resolver, sequential", s, peak.finish(), ok});
  }
  std::printf("| 1000 lookups (GROVE_WORKERS=%u) | wall time | peak threads | answered |\n|---|---|---|---|\n",
              grove::worker_count());
  for (const Row& r : rows) std::printf("| %s | %.1f ms | %d | %d |\n", r.name, r.seconds * 1000, r.peak, r.ok);
  return 0;
}
