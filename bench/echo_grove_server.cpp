// Echo server written as plain blocking POSIX code — accept, read, write — one fiber per
// connection. Linked with grove::hooks, so each blocking call parks only its fiber.
//
//   echo_grove_server --port P [--seconds N]
//
// Listens on 127.0.0.1:P (P = 0 picks a free port), prints "listening on PORT", and exits by
// itself after N seconds (0 = run until killed). Workers: GROVE_WORKERS.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "grove/grove.hpp"

namespace {

[[noreturn]] void usage() {
  std::fprintf(stderr, "usage: echo_grove_server --port P [--seconds N]\n");
  std::exit(2);
}

void serve(int fd) {
  char buf[16384];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n <= 0) break;
    if (write(fd, buf, static_cast<size_t>(n)) != n) break;  // a blocking write sends it all
  }
  close(fd);
}

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

  grove::spawn([seconds] {
    if (seconds == 0) return;
    sleep(static_cast<unsigned>(seconds));
    std::exit(0);
  });

  int ls = socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (bind(ls, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || listen(ls, 4096) != 0) {
    std::perror("echo_grove_server: bind/listen");
    return 1;
  }
  socklen_t len = sizeof addr;
  getsockname(ls, reinterpret_cast<sockaddr*>(&addr), &len);
  std::printf("listening on %d\n", ntohs(addr.sin_port));
  std::fflush(stdout);
  for (;;) {
    int fd = accept(ls, nullptr, nullptr);
    if (fd < 0) continue;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    grove::spawn(serve, fd);
  }
}
