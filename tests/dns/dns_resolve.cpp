// Test helper: resolves argv[1] (IPv4) with grove::dns from a fiber and prints the addresses.
#include <arpa/inet.h>

#include <cstdio>

#include "grove/grove.hpp"

int main(int argc, char** argv) {
  if (argc != 2) return 3;
  return grove::spawn([host = argv[1]] {
           addrinfo hints{};
           hints.ai_family = AF_INET;
           hints.ai_socktype = SOCK_STREAM;
           try {
             for (const addrinfo& ai : grove::dns::getaddrinfo(host, nullptr, &hints)) {
               char buf[INET_ADDRSTRLEN];
               inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(ai.ai_addr)->sin_addr, buf, sizeof buf);
               std::printf("%s\n", buf);
             }
             return 0;
           } catch (const grove::dns::Error& e) {
             std::printf("%s\n", e.what());
             return 1;
           }
         }).get();
}
