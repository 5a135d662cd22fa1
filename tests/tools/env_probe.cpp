// Starts the runtime and prints its settings: tests run it with bad GROVE_* values.
#include <cstdio>

#include <grove/grove.hpp>

int main() {
  grove::Config c = grove::current_config();
  std::printf("workers=%u stack_size=%zu\n", c.workers, c.stack_size);
  return 0;
}
