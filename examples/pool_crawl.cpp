// A bounded crawl: a grove::Pool of `size` fibers fetches `pages` pages (page0.html, page1.html,
// ...) from an HTTP server on 127.0.0.1:<port>, over plain non-blocking sockets that wait with
// grove::wait_readable / wait_writable. Prints each page's status, size and FNV-1a checksum, and
// the most fetches that were ever in flight at once (never more than `size`).
//
// Usage: pool_crawl <port> <pages> <size>
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <numeric>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

#include <grove/grove.hpp>

namespace {

using namespace std::chrono_literals;

struct Page {
  int index;
  int status;
  std::size_t bytes;
  std::uint32_t fnv1a;
};

std::atomic<int> in_flight{0};
std::atomic<int> peak_in_flight{0};

std::uint32_t fnv1a(const std::string& s) {
  std::uint32_t h = 2166136261u;
  for (unsigned char c : s) h = (h ^ c) * 16777619u;
  return h;
}

[[noreturn]] void fail(const std::string& what) { throw std::system_error(errno, std::generic_category(), what); }

class Socket {
 public:
  Socket() : fd_(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) {
    if (fd_ < 0) fail("socket");
  }
  ~Socket() { grove::close(fd_); }
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  int fd() const { return fd_; }

 private:
  int fd_;
};

std::string fetch(int port, const std::string& path) {
  Socket s;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(s.fd(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0) {
    if (errno != EINPROGRESS) fail("connect");
    if (grove::wait_writable(s.fd(), 10s) != grove::IoStatus::ready) throw std::runtime_error("connect timed out");
    int err = 0;
    socklen_t len = sizeof err;
    getsockopt(s.fd(), SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0) {
      errno = err;
      fail("connect");
    }
  }
  const std::string request = "GET " + path + " HTTP/1.0\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
  std::size_t sent = 0;
  while (sent < request.size()) {
    ssize_t n = ::send(s.fd(), request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n >= 0) {
      sent += static_cast<std::size_t>(n);
    } else if (errno == EAGAIN) {
      grove::wait_writable(s.fd(), 10s);
    } else if (errno != EINTR) {
      fail("send");
    }
  }
  std::string response;
  char buf[16384];
  for (;;) {
    ssize_t n = ::recv(s.fd(), buf, sizeof buf, 0);
    if (n > 0) {
      response.append(buf, static_cast<std::size_t>(n));
    } else if (n == 0) {
      return response;
    } else if (errno == EAGAIN) {
      if (grove::wait_readable(s.fd(), 10s) == grove::IoStatus::timed_out) throw std::runtime_error("read timed out");
    } else if (errno != EINTR) {
      fail("recv");
    }
  }
}

Page crawl_one(int port, int index) {
  const int now = ++in_flight;
  int peak = peak_in_flight.load();
  while (now > peak && !peak_in_flight.compare_exchange_weak(peak, now)) {
  }
  const std::string response = fetch(port, "/page" + std::to_string(index) + ".html");
  --in_flight;
  const std::size_t header_end = response.find("\r\n\r\n");
  if (header_end == std::string::npos || response.compare(0, 5, "HTTP/") != 0) throw std::runtime_error("malformed HTTP response");
  const int status = std::atoi(response.c_str() + response.find(' ') + 1);
  const std::string body = response.substr(header_end + 4);
  return Page{index, status, body.size(), fnv1a(body)};
}

int parse(const char* text, const char* what, int lo, int hi) {
  char* end = nullptr;
  const long v = std::strtol(text, &end, 10);
  if (*end != '\0' || v < lo || v > hi) {
    std::fprintf(stderr, "pool_crawl: %s \"%s\": expected a whole number from %d to %d\n", what, text, lo, hi);
    std::exit(2);
  }
  return static_cast<int>(v);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: pool_crawl <port> <pages> <size>\n");
    return 2;
  }
  const int port = parse(argv[1], "port", 1, 65535);
  const int pages = parse(argv[2], "pages", 1, 100000);
  const int size = parse(argv[3], "size", 1, 10000);

  grove::Pool pool(static_cast<std::size_t>(size));
  std::vector<int> indices(static_cast<std::size_t>(pages));
  std::iota(indices.begin(), indices.end(), 0);
  const auto start = std::chrono::steady_clock::now();
  std::size_t total = 0;
  try {
    for (const Page& p : pool.map([port](int i) { return crawl_one(port, i); }, indices)) {
      std::printf("page%d.html %d %zu bytes fnv1a=%08x\n", p.index, p.status, p.bytes, p.fnv1a);
      total += p.bytes;
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "pool_crawl: %s\n", e.what());
    return 1;
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("fetched %d pages, %zu bytes in %.3f s\n", pages, total, secs);
  std::printf("peak concurrent fetches: %d (pool size %d)\n", peak_in_flight.load(), size);
  return 0;
}
