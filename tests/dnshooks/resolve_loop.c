/* An ordinary C program that knows nothing about grove: it resolves names with getaddrinfo,
 * gethostbyname and getnameinfo in a loop and prints every field of every answer.
 *   resolve_loop -n COUNT     n0.grove.test .. n<COUNT-1>.grove.test (the test server's names)
 *   resolve_loop NAME...      the given names, every hints variant
 * Exit status: the number of failed lookups (capped at 100). */
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

static int failures = 0;

static const char* address_text(int family, const void* addr, char* buf, size_t len) {
  return inet_ntop(family, addr, buf, (socklen_t)len) ? buf : "?";
}

static void print_addrinfo(const char* name, int family, int flags) {
  struct addrinfo hints, *list = NULL;
  memset(&hints, 0, sizeof hints);
  hints.ai_family = family;
  hints.ai_flags = flags;
  int rc = getaddrinfo(name, "80", &hints, &list);
  printf("getaddrinfo %s family=%d flags=%d:", name, family, flags);
  if (rc != 0) {
    printf(" error %d (%s)\n", rc, gai_strerror(rc));
    ++failures;
    return;
  }
  for (const struct addrinfo* ai = list; ai; ai = ai->ai_next) {
    char buf[INET6_ADDRSTRLEN], host[NI_MAXHOST], serv[NI_MAXSERV];
    const void* addr = ai->ai_family == AF_INET ? (const void*)&((const struct sockaddr_in*)ai->ai_addr)->sin_addr
                                                : (const void*)&((const struct sockaddr_in6*)ai->ai_addr)->sin6_addr;
    int nrc = getnameinfo(ai->ai_addr, ai->ai_addrlen, host, sizeof host, serv, sizeof serv,
                          NI_NUMERICHOST | NI_NUMERICSERV);
    printf(" [%d %d %d %s %s/%s canon=%s]", ai->ai_family, ai->ai_socktype, ai->ai_protocol,
           address_text(ai->ai_family, addr, buf, sizeof buf), nrc == 0 ? host : "?", nrc == 0 ? serv : "?",
           ai->ai_canonname ? ai->ai_canonname : "-");
  }
  printf("\n");
  freeaddrinfo(list);
}

static void print_hostent(const char* name) {
  struct hostent* h = gethostbyname(name);
  printf("gethostbyname %s:", name);
  if (!h) {
    printf(" h_errno %d\n", h_errno);
    ++failures;
    return;
  }
  printf(" name=%s type=%d len=%d aliases=", h->h_name, h->h_addrtype, h->h_length);
  for (char** a = h->h_aliases; *a; ++a) printf("%s,", *a);
  printf(" addrs=");
  for (char** a = h->h_addr_list; *a; ++a) {
    char buf[INET6_ADDRSTRLEN];
    printf("%s,", address_text(h->h_addrtype, *a, buf, sizeof buf));
  }
  printf("\n");
}

int main(int argc, char** argv) {
  if (argc == 3 && strcmp(argv[1], "-n") == 0) {
    int count = atoi(argv[2]);
    for (int i = 0; i < count; ++i) {
      char name[64];
      snprintf(name, sizeof name, "n%d.grove.test", i);
      print_addrinfo(name, AF_INET, 0);
      print_hostent(name);
    }
  } else {
    for (int i = 1; i < argc; ++i) {
      print_addrinfo(argv[i], AF_UNSPEC, 0);
      print_addrinfo(argv[i], AF_INET, AI_CANONNAME);
      print_addrinfo(argv[i], AF_INET6, AI_V4MAPPED);
      print_hostent(argv[i]);
    }
  }
  return failures > 100 ? 100 : failures;
}
