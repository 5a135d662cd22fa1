#include <grove/grove.hpp>
#include <cstdio>
int main() { auto f = grove::spawn([] { return 6 * 7; }); std::printf("%d\n", f.get()); }
