// The seeds' generator example: the consumer receives with `n = yield(r)`, the producer drives
// it with send(), with no locks and one thread.
#include <cstdio>
#include <string>

#include <grove/grove.hpp>

grove::Generator<std::string, int> consumer() {
  return grove::Generator<std::string, int>([](auto& yield) {
    std::string r;
    for (;;) {
      int n = yield(r);
      if (!n) return;
      std::printf("[CONSUMER] Consuming %d...\n", n);
      r = "200 OK";
    }
  });
}

void produce(grove::Generator<std::string, int>& c) {
  c.next();  // Python: c.send(None) starts the generator
  int n = 0;
  while (n < 5) {
    n = n + 1;
    std::printf("[PRODUCER] Producing %d...\n", n);
    std::string r = c.send(n);
    std::printf("[PRODUCER] Consumer return: %s\n", r.c_str());
  }
  c.close();
}

int main() {
  auto c = consumer();
  produce(c);
}
