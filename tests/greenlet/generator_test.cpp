// grove::Generator against Python generator semantics (next, send, StopIteration, close).
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <vector>

#include <grove/grove.hpp>

using namespace std::chrono_literals;

TEST(Generator, YieldsInOrderAndStops) {
  grove::Generator<int> gen([](auto& yield) {
    for (int i = 0; i < 3; ++i) yield(i * 10);
  });
  EXPECT_FALSE(gen.started());
  EXPECT_EQ(gen.next(), 0);
  EXPECT_EQ(gen.next(), 10);
  EXPECT_EQ(gen.next(), 20);
  EXPECT_THROW(gen.next(), grove::StopIteration);
  EXPECT_TRUE(gen.finished());
  EXPECT_THROW(gen.next(), grove::StopIteration);
}

TEST(Generator, RangeForIterates) {
  grove::Generator<std::string> words([](auto& yield) {
    yield("a");
    yield("bb");
    yield("ccc");
  });
  std::vector<std::string> got;
  for (auto& w : words) got.push_back(w);
  EXPECT_EQ(got, (std::vector<std::string>{"a", "bb", "ccc"}));
  grove::Generator<int> empty([](auto&) {});
  int n = 0;
  for (int v : empty) n += v + 1;
  EXPECT_EQ(n, 0);
}

TEST(Generator, SendDeliversToTheYieldExpression) {
  std::vector<int> received;
  grove::Generator<std::string, int> acc([&](auto& yield) {
    int total = 0;
    for (;;) {
      int n = yield("total " + std::to_string(total));
      received.push_back(n);
      if (n < 0) return;
      total += n;
    }
  });
  EXPECT_THROW(acc.send(1), grove::UsageError);  // Python: can't send non-None to a just-started generator
  EXPECT_EQ(acc.next(), "total 0");
  EXPECT_EQ(acc.send(5), "total 5");
  EXPECT_EQ(acc.next(), "total 5");  // next() sends "None": S{} here
  EXPECT_EQ(acc.send(2), "total 7");
  EXPECT_THROW(acc.send(-1), grove::StopIteration);
  EXPECT_EQ(received, (std::vector<int>{5, 0, 2, -1}));
}

TEST(Generator, ExceptionsPropagateToTheCaller) {
  grove::Generator<int> gen([](auto& yield) {
    yield(1);
    throw std::runtime_error("generator broke");
  });
  EXPECT_EQ(gen.next(), 1);
  EXPECT_THROW(gen.next(), std::runtime_error);
  EXPECT_TRUE(gen.finished());
  EXPECT_THROW(gen.next(), grove::StopIteration);
}

TEST(Generator, CloseRaisesGeneratorExitInside) {
  bool saw_exit = false, cleaned = false;
  grove::Generator<int> gen([&](auto& yield) {
    struct Guard {
      bool& b;
      ~Guard() { b = true; }
    } guard{cleaned};
    try {
      for (int i = 0;; ++i) yield(i);
    } catch (const grove::GeneratorExit&) {
      saw_exit = true;
      throw;
    }
  });
  EXPECT_EQ(gen.next(), 0);
  gen.close();
  EXPECT_TRUE(saw_exit);
  EXPECT_TRUE(cleaned);
  EXPECT_TRUE(gen.finished());
  gen.close();  // closing twice is fine
  EXPECT_THROW(gen.next(), grove::StopIteration);

  grove::Generator<int> stubborn([](auto& yield) {
    for (;;) {
      try {
        yield(1);
      } catch (const grove::GeneratorExit&) {
      }
    }
  });
  stubborn.next();
  EXPECT_THROW(stubborn.close(), std::runtime_error);
}

TEST(Generator, UnstartedCloseNeverRunsAndDestructionCloses) {
  bool ran = false;
  {
    grove::Generator<int> gen([&](auto& yield) {
      ran = true;
      yield(1);
    });
    gen.close();
    EXPECT_TRUE(gen.finished());
  }
  EXPECT_FALSE(ran);
  bool cleaned = false;
  {
    grove::Generator<int> gen([&](auto& yield) {
      struct Guard {
        bool& b;
        ~Guard() { b = true; }
      } guard{cleaned};
      for (;;) yield(1);
    });
    gen.next();
  }
  EXPECT_TRUE(cleaned);
}

TEST(Generator, NestedGeneratorsAndSleepInsideAFiber) {
  auto f = grove::spawn([] {
    grove::Generator<int> inner([](auto& yield) {
      for (int i = 1; i <= 3; ++i) {
        grove::sleep(1ms);
        yield(i);
      }
    });
    grove::Generator<int> outer([&](auto& yield) {
      for (int v : inner) yield(v * 100);
    });
    int sum = 0;
    for (int v : outer) sum += v;
    return sum;
  });
  EXPECT_EQ(f.get(), 600);
}

TEST(Generator, DrivenFromDifferentCallersOfOneThread) {
  grove::Generator<int> gen([](auto& yield) {
    for (int i = 0;; ++i) yield(i);
  });
  EXPECT_EQ(gen.next(), 0);
  grove::greenlet other([&] { return gen.next(); });
  EXPECT_EQ(other.switch_to().as<int>(), 1);  // the yield went to `other`, its caller
  EXPECT_EQ(gen.next(), 2);
}
