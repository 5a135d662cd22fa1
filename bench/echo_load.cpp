// Load generator for every echo server in the benchmark (baselines and grove's alike).
//
//   echo_load --port P [--conns 5000] [--seconds 5] [--size 64] [--threads 1] [--warmup 1]
//
// Opens --conns loopback connections to 127.0.0.1:P (gradually: non-blocking connects, a bounded
// number in flight), then every connection does ping-pong: send --size bytes, wait for the full
// echo, verify every byte, repeat. Driven by edge-triggered epoll in --threads threads.
// Once every connection has had its first echo, --warmup seconds run unmeasured, then --seconds
// are measured. Prints one line on stdout:
//   conns=5000 size=64 seconds=5 roundtrips=N rps=X errors=E p50_us=... p99_us=... [more keys]
// Exit status: 0 ok, 1 errors during the run, 2 usage, 3 could not set up (server absent, ...).

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <string>
#include <thread>
#include <vector>

namespace {

// ---- options ------------------------------------------------------------------------------

struct Options {
  int port = -1;
  long conns = 5000;
  double seconds = 5;
  long size = 64;
  int threads = 1;
  double warmup = 1;
  int max_inflight_connects = 256;  // per thread
  double setup_timeout = 0;         // connect + first echo; 0 = 20 s + 2 ms per connection
};

Options g_opt;

[[noreturn]] void usage() {
  std::fprintf(stderr,
               "usage: echo_load --port P [--conns N] [--seconds S] [--size B] [--threads T]\n"
               "                 [--warmup S] [--setup-timeout S]\n");
  std::exit(2);
}

[[noreturn]] void fatal(const char* fmt, const char* arg, int err) {
  std::fprintf(stderr, "echo_load: ");
  std::fprintf(stderr, fmt, arg);
  if (err != 0) std::fprintf(stderr, ": %s", std::strerror(err));
  std::fprintf(stderr, "\n");
  std::fflush(stderr);
  std::_Exit(3);
}

uint64_t now_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}

// ---- latency histogram (log-linear, ~1.5% precision, like HdrHistogram) -------------------

class Histogram {
 public:
  static constexpr int kSubBits = 6;  // 64 sub-buckets per power of two
  static constexpr int kSub = 1 << kSubBits;
  static constexpr int kBuckets = 64 * kSub;

  Histogram() : counts_(kBuckets, 0) {}

  void record(uint64_t v) {
    ++counts_[index(v)];
    ++total_;
    max_ = std::max(max_, v);
  }
  void merge(const Histogram& o) {
    for (int i = 0; i < kBuckets; ++i) counts_[i] += o.counts_[i];
    total_ += o.total_;
    max_ = std::max(max_, o.max_);
  }
  uint64_t total() const { return total_; }
  uint64_t max() const { return max_; }

  // Value at quantile q (upper edge of the bucket holding it, capped at the max seen).
  uint64_t quantile(double q) const {
    if (total_ == 0) return 0;
    uint64_t rank = static_cast<uint64_t>(q * static_cast<double>(total_ - 1)) + 1;
    uint64_t seen = 0;
    for (int i = 0; i < kBuckets; ++i) {
      seen += counts_[i];
      if (seen >= rank) return std::min(upper(i), max_);
    }
    return max_;
  }

 private:
  static int index(uint64_t v) {
    if (v < kSub) return static_cast<int>(v);
    int msb = 63 - __builtin_clzll(v);  // >= kSubBits
    int shift = msb - kSubBits;
    return (shift + 1) * kSub + static_cast<int>((v >> shift) & (kSub - 1));
  }
  static uint64_t upper(int i) {
    if (i < kSub) return static_cast<uint64_t>(i);
    int shift = i / kSub - 1;
    uint64_t base = (uint64_t{1} << (shift + kSubBits)) + (static_cast<uint64_t>(i % kSub) << shift);
    return base + (uint64_t{1} << shift) - 1;
  }

  std::vector<uint64_t> counts_;
  uint64_t total_ = 0;
  uint64_t max_ = 0;
};

// ---- shared run state ---------------------------------------------------------------------

std::atomic<long> g_ready{0};              // connections that got their first echo (or died)
std::atomic<uint64_t> g_measure_start{0};  // 0 until every connection is ready
std::atomic<uint64_t> g_measure_end{0};
uint64_t g_setup_deadline = 0;

// Every byte of a message is a function of (connection, sequence, offset): echoes that are
// stale, reordered or crossed between connections fail verification.
inline uint8_t pattern(uint32_t id, uint32_t seq, long off) {
  return static_cast<uint8_t>(id * 131u + seq * 17u + static_cast<uint32_t>(off) * 7u + 1u);
}

enum class State { kPending, kConnecting, kSending, kReceiving, kDead };

struct Conn {
  int fd = -1;
  uint32_t id = 0;
  uint32_t seq = 0;
  State state = State::kPending;
  long off = 0;          // bytes sent (kSending) or received (kReceiving) of the current message
  uint64_t t_send = 0;   // when the current message's first byte was sent
  bool ready = false;    // had its first echo, or died trying (counted in errors)
  int connect_tries = 0;
};

struct Worker {
  int index = 0;
  std::vector<Conn> conns;
  Histogram hist;
  uint64_t roundtrips = 0;  // completed inside the measured window
  uint64_t errors = 0;
  uint64_t connect_retries = 0;
  uint64_t first_error_logged = 0;
  std::vector<uint8_t> buf;
  int ep = -1;
};

void log_error(Worker& w, const Conn& c, const char* what, int err) {
  if (w.first_error_logged++ < 5) {
    std::fprintf(stderr, "echo_load: conn %u: %s%s%s\n", c.id, what, err ? ": " : "",
                 err ? std::strerror(err) : "");
  }
}

void mark_ready(Conn& c, uint64_t now) {
  if (c.ready) return;
  c.ready = true;
  long total = g_ready.fetch_add(1, std::memory_order_acq_rel) + 1;
  if (total == g_opt.conns) {
    uint64_t start = now + static_cast<uint64_t>(g_opt.warmup * 1e9);
    g_measure_end.store(start + static_cast<uint64_t>(g_opt.seconds * 1e9), std::memory_order_relaxed);
    g_measure_start.store(start, std::memory_order_release);
  }
}

void kill_conn(Worker& w, Conn& c, const char* what, int err) {
  log_error(w, c, what, err);
  ++w.errors;
  if (c.fd >= 0) close(c.fd);
  c.fd = -1;
  c.state = State::kDead;
  mark_ready(c, now_ns());  // a dead connection must not hold up the start of the measurement
}

sockaddr_in server_addr() {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<uint16_t>(g_opt.port));
  return a;
}

// Start a non-blocking connect. Returns false if it must be retried later (EAGAIN & co).
bool start_connect(Worker& w, Conn& c) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    if (errno == EMFILE || errno == ENFILE)
      fatal("out of file descriptors at %s connections (raise `ulimit -Hn`)",
            std::to_string(c.id).c_str(), errno);
    fatal("%s", "socket", errno);
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  sockaddr_in a = server_addr();
  int rc = connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  if (rc < 0 && errno != EINPROGRESS) {
    int err = errno;
    close(fd);
    if (err == ECONNREFUSED)
      fatal("cannot connect to 127.0.0.1:%s (is the server running?)",
            std::to_string(g_opt.port).c_str(), err);
    if (err == EAGAIN || err == EADDRNOTAVAIL || err == EINTR || err == ENOBUFS) {
      ++w.connect_retries;
      return false;
    }
    fatal("connect to 127.0.0.1:%s", std::to_string(g_opt.port).c_str(), err);
  }
  c.fd = fd;
  c.state = State::kConnecting;
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;  // registered once for its lifetime
  ev.data.ptr = &c;
  if (epoll_ctl(w.ep, EPOLL_CTL_ADD, fd, &ev) < 0) fatal("%s", "epoll_ctl", errno);
  return true;
}

// Drive one connection as far as it goes without blocking. Edge-triggered: each state runs
// until EAGAIN, and a new edge arrives for every new readiness change.
void drive(Worker& w, Conn& c, uint32_t events) {
  const long size = g_opt.size;
  if (c.state == State::kConnecting) {
    if ((events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) == 0) return;  // not resolved yet
    int err = 0;
    socklen_t len = sizeof err;
    getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err == EINPROGRESS || err == EALREADY) return;
    if (err != 0) {
      if (err == ECONNREFUSED)
        fatal("cannot connect to 127.0.0.1:%s (is the server running?)",
              std::to_string(g_opt.port).c_str(), err);
      if (++c.connect_tries > 3) {
        kill_conn(w, c, "connect", err);
        return;
      }
      close(c.fd);
      c.fd = -1;
      c.state = State::kPending;  // retried by the connect loop
      ++w.connect_retries;
      return;
    }
    // writable with no error: connected (not yet readable; nothing has been sent)
    c.state = State::kSending;
    c.off = 0;
    c.t_send = now_ns();
  }
  for (;;) {
    if (c.state == State::kSending) {
      long n_left = size - c.off;
      for (long i = 0; i < n_left; ++i) w.buf[i] = pattern(c.id, c.seq, c.off + i);
      ssize_t n = send(c.fd, w.buf.data(), static_cast<size_t>(n_left), MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) return;  // wait for the EPOLLOUT edge
        kill_conn(w, c, "send", errno);
        return;
      }
      c.off += n;
      if (c.off < size) continue;
      c.state = State::kReceiving;
      c.off = 0;
      return;  // the echo's arrival brings an EPOLLIN edge; no speculative recv
    }
    if (c.state == State::kReceiving) {
      ssize_t n = recv(c.fd, w.buf.data(), static_cast<size_t>(size - c.off), 0);
      if (n < 0) {
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) return;
        kill_conn(w, c, "recv", errno);
        return;
      }
      if (n == 0) {
        kill_conn(w, c, "server closed the connection mid-run", 0);
        return;
      }
      for (ssize_t i = 0; i < n; ++i) {
        if (w.buf[i] != pattern(c.id, c.seq, c.off + i)) {
          kill_conn(w, c, "echoed bytes differ from what was sent", 0);
          return;
        }
      }
      c.off += n;
      if (c.off < size) continue;
      // full round trip
      uint64_t t = now_ns();
      uint64_t start = g_measure_start.load(std::memory_order_acquire);
      if (start != 0 && t >= start && t < g_measure_end.load(std::memory_order_relaxed)) {
        ++w.roundtrips;
        w.hist.record(t - c.t_send);
      }
      mark_ready(c, t);
      ++c.seq;
      c.state = State::kSending;
      c.off = 0;
      c.t_send = t;
      continue;
    }
    return;  // kPending / kDead
  }
}

void run_worker(Worker& w) {
  w.ep = epoll_create1(EPOLL_CLOEXEC);
  if (w.ep < 0) fatal("%s", "epoll_create1", errno);
  w.buf.resize(static_cast<size_t>(g_opt.size));

  std::deque<Conn*> to_connect;
  for (auto& c : w.conns) to_connect.push_back(&c);
  long inflight = 0;  // connects started but not yet resolved
  std::vector<epoll_event> events(1024);

  for (;;) {
    uint64_t now = now_ns();
    uint64_t end = g_measure_start.load(std::memory_order_acquire) != 0
                       ? g_measure_end.load(std::memory_order_relaxed)
                       : 0;
    if (end != 0 && now >= end) break;
    if (end == 0 && now >= g_setup_deadline) break;  // main thread reports the failure

    // Recount connects in flight (cheap relative to the connect itself) and start more.
    while (!to_connect.empty() && inflight < g_opt.max_inflight_connects) {
      Conn* c = to_connect.front();
      if (!start_connect(w, *c)) break;  // transient: retry after the next poll
      to_connect.pop_front();
      ++inflight;
    }

    int timeout_ms = (!to_connect.empty() || end == 0) ? 10 : 50;
    int n = epoll_wait(w.ep, events.data(), static_cast<int>(events.size()), timeout_ms);
    if (n < 0) {
      if (errno == EINTR) continue;
      fatal("%s", "epoll_wait", errno);
    }
    for (int i = 0; i < n; ++i) {
      auto* c = static_cast<Conn*>(events[i].data.ptr);
      const bool was_connecting = c->state == State::kConnecting;
      drive(w, *c, events[i].events);
      if (was_connecting && c->state != State::kConnecting) {
        --inflight;
        if (c->state == State::kPending) to_connect.push_back(c);  // failed, retry
      }
    }
  }
  // RST instead of FIN: no TIME_WAIT pile-up across many benchmark runs on the same machine.
  linger lg{1, 0};
  for (auto& c : w.conns) {
    if (c.fd >= 0) {
      setsockopt(c.fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
      close(c.fd);
      c.fd = -1;
    }
  }
  close(w.ep);
}

double parse_double(const char* s) {
  char* end = nullptr;
  double v = std::strtod(s, &end);
  if (end == s || *end != '\0') usage();
  return v;
}

}  // namespace

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (i + 1 >= argc) usage();
    const char* v = argv[++i];
    if (a == "--port") g_opt.port = static_cast<int>(parse_double(v));
    else if (a == "--conns") g_opt.conns = static_cast<long>(parse_double(v));
    else if (a == "--seconds") g_opt.seconds = parse_double(v);
    else if (a == "--size") g_opt.size = static_cast<long>(parse_double(v));
    else if (a == "--threads") g_opt.threads = static_cast<int>(parse_double(v));
    else if (a == "--warmup") g_opt.warmup = parse_double(v);
    else if (a == "--setup-timeout") g_opt.setup_timeout = parse_double(v);
    else usage();
  }
  if (g_opt.port <= 0 || g_opt.port > 65535 || g_opt.conns < 1 || g_opt.seconds <= 0 ||
      g_opt.size < 1 || g_opt.size > (1 << 20) || g_opt.threads < 1 || g_opt.warmup < 0 ||
      g_opt.threads > g_opt.conns)
    usage();
  if (g_opt.setup_timeout <= 0) g_opt.setup_timeout = 20.0 + 0.002 * static_cast<double>(g_opt.conns);

  signal(SIGPIPE, SIG_IGN);

  // Every connection needs a descriptor; the soft limit is usually 1024.
  rlimit rl{};
  getrlimit(RLIMIT_NOFILE, &rl);
  rl.rlim_cur = rl.rlim_max;
  setrlimit(RLIMIT_NOFILE, &rl);
  getrlimit(RLIMIT_NOFILE, &rl);
  if (rl.rlim_cur != RLIM_INFINITY &&
      static_cast<rlim_t>(g_opt.conns) + 16 + static_cast<rlim_t>(g_opt.threads) > rl.rlim_cur)
    fatal("--conns %s needs more descriptors than RLIMIT_NOFILE allows",
          std::to_string(g_opt.conns).c_str(), 0);

  std::vector<Worker> workers(static_cast<size_t>(g_opt.threads));
  for (int t = 0; t < g_opt.threads; ++t) {
    workers[t].index = t;
    long share = g_opt.conns / g_opt.threads + (t < g_opt.conns % g_opt.threads ? 1 : 0);
    workers[t].conns.resize(static_cast<size_t>(share));
  }
  uint32_t next_id = 0;
  for (auto& w : workers)
    for (auto& c : w.conns) c.id = next_id++;

  const uint64_t t0 = now_ns();
  g_setup_deadline = t0 + static_cast<uint64_t>(g_opt.setup_timeout * 1e9);
  std::vector<std::thread> threads;
  for (int t = 1; t < g_opt.threads; ++t) threads.emplace_back(run_worker, std::ref(workers[t]));
  run_worker(workers[0]);
  for (auto& th : threads) th.join();

  if (g_measure_start.load() == 0) {
    std::fprintf(stderr,
                 "echo_load: setup timed out after %.0f s: only %ld of %ld connections got an "
                 "echo back from 127.0.0.1:%d\n",
                 g_opt.setup_timeout, g_ready.load(), g_opt.conns, g_opt.port);
    return 3;
  }

  Histogram hist;
  uint64_t roundtrips = 0, errors = 0, retries = 0;
  for (auto& w : workers) {
    hist.merge(w.hist);
    roundtrips += w.roundtrips;
    errors += w.errors;
    retries += w.connect_retries;
  }
  const double setup_s =
      static_cast<double>(g_measure_start.load() - t0) / 1e9 - g_opt.warmup;
  const double rps = static_cast<double>(roundtrips) / g_opt.seconds;
  std::printf("conns=%ld size=%ld seconds=%g roundtrips=%" PRIu64 " rps=%.0f errors=%" PRIu64
              " p50_us=%.1f p99_us=%.1f p999_us=%.1f max_us=%.1f threads=%d setup_s=%.2f"
              " connect_retries=%" PRIu64 "\n",
              g_opt.conns, g_opt.size, g_opt.seconds, roundtrips, rps, errors,
              static_cast<double>(hist.quantile(0.50)) / 1e3,
              static_cast<double>(hist.quantile(0.99)) / 1e3,
              static_cast<double>(hist.quantile(0.999)) / 1e3,
              static_cast<double>(hist.max()) / 1e3, g_opt.threads, setup_s, retries);
  std::fflush(stdout);
  return errors == 0 ? 0 : 1;
}
