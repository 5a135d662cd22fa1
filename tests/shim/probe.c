/* Plain POSIX, no grove: exercises every hooked call and prints what libc returned (values and
 * errno names), so a run under the shim can be compared line by line with a run without it. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <arpa/inet.h>

static void show(const char* what, long r) {
  if (r < 0) printf("%s = %ld %s\n", what, r, strerrorname_np(errno));
  else printf("%s = %ld\n", what, r);
}

static double ms_since(struct timespec t0) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (t.tv_sec - t0.tv_sec) * 1e3 + (t.tv_nsec - t0.tv_nsec) / 1e6;
}

int main(void) {
  signal(SIGPIPE, SIG_IGN);
  char buf[256];
  int sv[2];
  show("socketpair", socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
  show("F_GETFL nonblock", fcntl(sv[0], F_GETFL) & O_NONBLOCK);
  show("write", write(sv[1], "abc", 3));
  show("read", read(sv[0], buf, sizeof buf));
  struct iovec iov[2] = {{"he", 2}, {"llo", 3}};
  show("writev", writev(sv[1], iov, 2));
  char a[2], b[8];
  struct iovec riov[2] = {{a, 2}, {b, 8}};
  show("readv", readv(sv[0], riov, 2));
  show("send", send(sv[1], "xy", 2, 0));
  show("recv WAITALL", recv(sv[0], buf, 2, MSG_WAITALL));
  show("recv DONTWAIT", recv(sv[0], buf, 1, MSG_DONTWAIT));
  struct timeval tv = {0, 50000};
  show("SO_RCVTIMEO", setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv));
  struct timespec t0;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  show("read timeout", read(sv[0], buf, 1));
  printf("timeout waited >= 40ms: %d\n", ms_since(t0) >= 40);
  show("F_SETFL nonblock", fcntl(sv[0], F_SETFL, O_NONBLOCK));
  show("F_GETFL nonblock", fcntl(sv[0], F_GETFL) & O_NONBLOCK);
  show("read nonblock", read(sv[0], buf, 1));
  int off = 0;
  show("FIONBIO 0", ioctl(sv[0], FIONBIO, &off));
  show("F_GETFL nonblock", fcntl(sv[0], F_GETFL) & O_NONBLOCK);
  struct pollfd pf = {sv[0], POLLIN, 0};
  show("poll timeout", poll(&pf, 1, 30));
  show("write", write(sv[1], "z", 1));
  show("poll ready", poll(&pf, 1, 1000));
  show("revents", pf.revents);
  fd_set rd;
  FD_ZERO(&rd);
  FD_SET(sv[0], &rd);
  struct timeval stv = {1, 0};
  show("select", select(sv[0] + 1, &rd, NULL, NULL, &stv));
  show("isset", FD_ISSET(sv[0], &rd));
  int ep = epoll_create1(0);
  struct epoll_event ev = {.events = EPOLLIN, .data.fd = sv[0]};
  epoll_ctl(ep, EPOLL_CTL_ADD, sv[0], &ev);
  struct epoll_event out[2];
  show("epoll_wait", epoll_wait(ep, out, 2, 1000));
  show("read", read(sv[0], buf, 1));
  show("epoll_wait timeout", epoll_wait(ep, out, 2, 30));
  show("epoll_wait bad", epoll_wait(-1, out, 2, 30));
  close(ep);
  int d = dup(sv[0]);
  show("dup works", d > 2);
  show("dup2", dup2(sv[0], 100));
  show("dup3 same", dup3(100, 100, 0));
  show("close 100", close(100));
  show("close 100 again", close(100));
  show("read closed", read(100, buf, 1));
  close(d);
  show("close peer", close(sv[1]));
  show("read eof", read(sv[0], buf, 1));
  int p2[2];
  show("socketpair", socketpair(AF_UNIX, SOCK_STREAM, 0, p2));
  close(p2[1]);
  show("write epipe", write(p2[0], "x", 1));
  close(p2[0]);
  close(sv[0]);
  /* TCP: refused, then a real connection. */
  int ls = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  bind(ls, (struct sockaddr*)&sa, sizeof sa);
  socklen_t sl = sizeof sa;
  getsockname(ls, (struct sockaddr*)&sa, &sl);
  int c = socket(AF_INET, SOCK_STREAM, 0);
  show("connect refused", connect(c, (struct sockaddr*)&sa, sizeof sa));
  close(c);
  show("listen", listen(ls, 8));
  c = socket(AF_INET, SOCK_STREAM, 0);
  show("connect", connect(c, (struct sockaddr*)&sa, sizeof sa));
  int s = accept(ls, NULL, NULL);
  show("accept works", s > 2);
  show("accepted nonblock", fcntl(s, F_GETFL) & O_NONBLOCK);
  show("sendto", sendto(c, "tcp", 3, 0, NULL, 0));
  show("recvfrom", recvfrom(s, buf, sizeof buf, 0, NULL, NULL));
  struct msghdr mh = {0};
  struct iovec mi = {"msg", 3};
  mh.msg_iov = &mi;
  mh.msg_iovlen = 1;
  show("sendmsg", sendmsg(c, &mh, 0));
  struct iovec ri = {buf, sizeof buf};
  struct msghdr rh = {0};
  rh.msg_iov = &ri;
  rh.msg_iovlen = 1;
  show("recvmsg", recvmsg(s, &rh, 0));
  show("shutdown", shutdown(c, SHUT_WR));
  show("read after shutdown", read(s, buf, 1));
  int c2 = socket(AF_INET, SOCK_STREAM, 0);
  show("connect", connect(c2, (struct sockaddr*)&sa, sizeof sa));
  int s2 = accept4(ls, NULL, NULL, SOCK_NONBLOCK);
  show("accept4 nonblock", fcntl(s2, F_GETFL) & O_NONBLOCK);
  show("read accept4 socket", read(s2, buf, 1));
  close(s2);
  close(c2);
  close(s);
  close(c);
  close(ls);
  /* Pipes, eventfd. */
  int pp[2];
  show("pipe", pipe(pp));
  show("pipe nonblock", fcntl(pp[0], F_GETFL) & O_NONBLOCK);
  show("write pipe", write(pp[1], "pq", 2));
  show("read pipe", read(pp[0], buf, sizeof buf));
  close(pp[0]);
  close(pp[1]);
  show("pipe2", pipe2(pp, O_NONBLOCK));
  show("read empty nonblocking pipe", read(pp[0], buf, 1));
  close(pp[0]);
  close(pp[1]);
  int e = eventfd(0, 0);
  unsigned long long one = 1;
  show("eventfd write", write(e, &one, sizeof one));
  show("eventfd read", read(e, &one, sizeof one));
  close(e);
  /* Sleeping. */
  clock_gettime(CLOCK_MONOTONIC, &t0);
  struct timespec ns = {0, 20000000};
  show("nanosleep", nanosleep(&ns, NULL));
  show("usleep", usleep(10000));
  show("sleep", sleep(0));
  struct timespec badns = {0, 2000000000};
  show("nanosleep bad", nanosleep(&badns, NULL));
  show("clock_nanosleep bad", -clock_nanosleep(CLOCK_MONOTONIC, 0, &badns, NULL));
  show("sched_yield", sched_yield());
  printf("slept >= 25ms: %d\n", ms_since(t0) >= 25);
  /* Processes. Flushed first: ThreadSanitizer's _exit flushes stdio, so the child would repeat it. */
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) _exit(5);
  int st = 0;
  show("waitpid", waitpid(pid, &st, 0) == pid);
  show("exit status", WEXITSTATUS(st));
  show("waitpid no child", waitpid(pid, &st, 0));
  show("system", WEXITSTATUS(system("exit 4")));
  FILE* f = popen("echo popen-out", "r");
  if (f && fgets(buf, sizeof buf, f)) printf("popen read %s", buf);
  show("pclose", pclose(f));
  return 0;
}
