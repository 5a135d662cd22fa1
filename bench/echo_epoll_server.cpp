// Reference echo server: one thread, edge-triggered epoll, non-blocking sockets.
// This is the "hand-written epoll = 1.0x" column that grove's echo servers are compared with.
//
//   echo_epoll_server --port P [--seconds N]
//
// Listens on 127.0.0.1:P (P = 0 picks a free port) and prints "listening on PORT".
// --seconds N: exit by itself after N seconds (0 = run until killed).

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

// Stop reading a connection while this much echo is still unsent (the peer is not reading).
constexpr std::size_t kMaxPending = 1 << 20;

struct Conn {
  int fd = -1;
  std::vector<char> pending;  // bytes read but not yet written back, in order
  std::size_t pending_off = 0;
  bool read_paused = false;   // stopped reading for back-pressure; resume once drained
};

char g_buf[64 * 1024];

[[noreturn]] void die(const char* what) {
  std::fprintf(stderr, "echo_epoll_server: %s: %s\n", what, std::strerror(errno));
  std::exit(1);
}

void usage() {
  std::fprintf(stderr, "usage: echo_epoll_server --port P [--seconds N]\n");
  std::exit(2);
}

void raise_nofile_limit() {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
}

void close_conn(int ep, Conn* c) {
  epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, nullptr);
  close(c->fd);
  delete c;
}

// Write as much of the pending buffer as the socket takes. Returns false on a fatal error.
bool flush_pending(Conn* c) {
  while (c->pending_off < c->pending.size()) {
    ssize_t n = send(c->fd, c->pending.data() + c->pending_off, c->pending.size() - c->pending_off,
                     MSG_NOSIGNAL);
    if (n > 0) {
      c->pending_off += static_cast<std::size_t>(n);
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      return true;  // EPOLLOUT (edge) tells us when to continue
    } else {
      return false;
    }
  }
  c->pending.clear();
  c->pending_off = 0;
  return true;
}

// Echo one chunk: straight to the socket if nothing is queued, else append (keeps byte order).
bool echo(Conn* c, const char* data, std::size_t len) {
  if (c->pending.empty()) {
    while (len > 0) {
      ssize_t n = send(c->fd, data, len, MSG_NOSIGNAL);
      if (n > 0) {
        data += n;
        len -= static_cast<std::size_t>(n);
      } else if (n < 0 && errno == EINTR) {
        continue;
      } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        break;
      } else {
        return false;
      }
    }
  }
  c->pending.insert(c->pending.end(), data, data + len);
  return true;
}

// Edge-triggered: read until EAGAIN (or until back-pressure pauses us). False = close it.
bool handle_readable(Conn* c) {
  for (;;) {
    if (c->pending.size() - c->pending_off >= kMaxPending) {
      c->read_paused = true;  // data may remain unread: retried after the next full flush
      return true;
    }
    ssize_t n = recv(c->fd, g_buf, sizeof g_buf, 0);
    if (n > 0) {
      if (!echo(c, g_buf, static_cast<std::size_t>(n))) return false;
    } else if (n == 0) {
      flush_pending(c);  // best effort; the peer is gone for reading anyway
      return false;
    } else if (errno == EINTR) {
      continue;
    } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
      c->read_paused = false;
      return true;
    } else {
      return false;
    }
  }
}

// Sentinel epoll_data.ptr value for the listening socket.
char g_listener_tag;

}  // namespace

int main(int argc, char** argv) {
  int port = -1;
  long seconds = 0;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--port" && i + 1 < argc) {
      port = std::atoi(argv[++i]);
    } else if (a == "--seconds" && i + 1 < argc) {
      seconds = std::atol(argv[++i]);
    } else {
      usage();
    }
  }
  if (port < 0 || port > 65535 || seconds < 0) usage();

  signal(SIGPIPE, SIG_IGN);
  raise_nofile_limit();

  int lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (lfd < 0) die("socket");
  int one = 1;
  setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (bind(lfd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0) die("bind");
  if (listen(lfd, 65535) < 0) die("listen");  // the kernel caps it at net.core.somaxconn
  socklen_t alen = sizeof addr;
  if (getsockname(lfd, reinterpret_cast<sockaddr*>(&addr), &alen) < 0) die("getsockname");
  std::printf("listening on %d\n", ntohs(addr.sin_port));
  std::fflush(stdout);

  int ep = epoll_create1(EPOLL_CLOEXEC);
  if (ep < 0) die("epoll_create1");
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLET;
  ev.data.ptr = &g_listener_tag;
  if (epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev) < 0) die("epoll_ctl(listener)");

  const auto deadline = Clock::now() + std::chrono::seconds(seconds);
  bool accept_backlog = false;  // EMFILE left connections queued; retry on a short timer
  std::vector<epoll_event> events(1024);

  for (;;) {
    int timeout_ms = -1;
    if (seconds > 0) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      if (left.count() <= 0) break;
      timeout_ms = static_cast<int>(left.count()) + 1;
    }
    if (accept_backlog && (timeout_ms < 0 || timeout_ms > 10)) timeout_ms = 10;

    int n = epoll_wait(ep, events.data(), static_cast<int>(events.size()), timeout_ms);
    if (n < 0) {
      if (errno == EINTR) continue;
      die("epoll_wait");
    }
    bool do_accept = accept_backlog;
    for (int i = 0; i < n; ++i) {
      if (events[i].data.ptr == &g_listener_tag) {
        do_accept = true;
        continue;
      }
      auto* c = static_cast<Conn*>(events[i].data.ptr);
      const uint32_t e = events[i].events;
      bool ok = true;
      if (e & EPOLLOUT) {
        ok = flush_pending(c);
        // Drained after a back-pressure pause: unread data may be waiting with no new edge.
        if (ok && c->read_paused && c->pending.empty()) ok = handle_readable(c);
      }
      if (ok && (e & (EPOLLIN | EPOLLHUP | EPOLLERR | EPOLLRDHUP))) ok = handle_readable(c);
      if (!ok) close_conn(ep, c);
    }
    if (do_accept) {
      accept_backlog = false;
      for (;;) {
        int fd = accept4(lfd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
          if (errno == EINTR || errno == ECONNABORTED) continue;
          if (errno == EAGAIN || errno == EWOULDBLOCK) break;
          if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
            accept_backlog = true;  // no new edge will come for what is already queued
            break;
          }
          die("accept4");
        }
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        auto* c = new Conn;
        c->fd = fd;
        epoll_event cev{};
        cev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;  // registered once, never modified
        cev.data.ptr = c;
        if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &cev) < 0) {
          close(fd);
          delete c;
          continue;
        }
        // Data may already be queued; the ET registration reports it, so nothing else to do.
      }
    }
  }
  return 0;
}
