// The seeds' greenlet example: two greenlets switching explicitly. Prints 12, 56, 34, 78.
#include <cstdio>

#include <grove/grove.hpp>

grove::greenlet gr1, gr2;

void test1() {
  std::printf("12\n");
  gr2.switch_to();
  std::printf("34\n");
  gr2.switch_to();
}

void test2() {
  std::printf("56\n");
  gr1.switch_to();
  std::printf("78\n");
}

int main() {
  gr1 = grove::greenlet(test1);
  gr2 = grove::greenlet(test2);
  gr1.switch_to();
  // Drop them here, while main still runs: a greenlet belongs to its thread.
  gr1 = gr2 = grove::greenlet();
}
