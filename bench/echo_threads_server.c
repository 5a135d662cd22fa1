/* Thread-per-connection blocking echo server: the "OS threads" column of the echo benchmark.
 *
 *   echo_threads_server --port P [--seconds N]
 *
 * Deliberately an unmodified, plain POSIX program (blocking accept/read/write, one detached
 * pthread per connection, default thread attributes apart from detaching): later the same
 * binary runs under grove's LD_PRELOAD shim in threads-as-fibers mode.
 * Listens on 127.0.0.1:P (P = 0 picks a free port) and prints "listening on PORT".
 * --seconds N: exit by itself after N seconds (0 = run until killed). */

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

static void die(const char *what) {
  fprintf(stderr, "echo_threads_server: %s: %s\n", what, strerror(errno));
  exit(1);
}

static void usage(void) {
  fprintf(stderr, "usage: echo_threads_server --port P [--seconds N]\n");
  exit(2);
}

static void *serve(void *arg) {
  int fd = (int)(intptr_t)arg;
  char buf[16 * 1024];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      break;
    }
    /* write() may be partial: loop until the whole chunk is echoed. */
    ssize_t off = 0;
    while (off < n) {
      ssize_t w = write(fd, buf + off, (size_t)(n - off));
      if (w < 0) {
        if (errno == EINTR) continue;
        goto done;
      }
      off += w;
    }
  }
done:
  close(fd);
  return NULL;
}

static void *stop_after(void *arg) {
  unsigned left = (unsigned)(uintptr_t)arg;
  while (left > 0) left = sleep(left);
  _exit(0); /* other threads may be mid-read; nothing to clean up */
  return NULL;
}

int main(int argc, char **argv) {
  long port = -1, seconds = 0;
  for (int i = 1; i < argc; ++i) {
    if (strcmp(argv[i], "--port") == 0 && i + 1 < argc)
      port = atol(argv[++i]);
    else if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc)
      seconds = atol(argv[++i]);
    else
      usage();
  }
  if (port < 0 || port > 65535 || seconds < 0) usage();

  signal(SIGPIPE, SIG_IGN);
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }

  int lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (lfd < 0) die("socket");
  int one = 1;
  setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in addr;
  memset(&addr, 0, sizeof addr);
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons((uint16_t)port);
  if (bind(lfd, (struct sockaddr *)&addr, sizeof addr) < 0) die("bind");
  if (listen(lfd, 65535) < 0) die("listen"); /* capped at net.core.somaxconn */
  socklen_t alen = sizeof addr;
  if (getsockname(lfd, (struct sockaddr *)&addr, &alen) < 0) die("getsockname");
  printf("listening on %d\n", ntohs(addr.sin_port));
  fflush(stdout);

  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);

  if (seconds > 0) {
    pthread_t t;
    if (pthread_create(&t, &attr, stop_after, (void *)(uintptr_t)seconds) != 0) {
      errno = EAGAIN;
      die("pthread_create");
    }
  }

  for (;;) {
    int fd = accept(lfd, NULL, NULL);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
        usleep(10000); /* out of descriptors: let connections finish, then retry */
        continue;
      }
      die("accept");
    }
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    pthread_t t;
    int rc = pthread_create(&t, &attr, serve, (void *)(intptr_t)fd);
    if (rc != 0) {
      fprintf(stderr, "echo_threads_server: pthread_create: %s\n", strerror(rc));
      close(fd);
    }
  }
}
