// Fiber::link, link_exception, link_value and who counts as observing a failure.
#include <gtest/gtest.h>

#include <atomic>
#include <stdexcept>
#include <string>

#include <grove/grove.hpp>

using namespace std::chrono_literals;

namespace {
bool eventually(const std::function<bool()>& cond) {
  for (int i = 0; i < 2000 && !cond(); ++i) grove::sleep(1ms);
  return cond();
}
}  // namespace

TEST(Link, RunsAfterDeathWithTheHandle) {
  grove::AsyncResult<int> seen;
  auto f = grove::spawn([] { grove::sleep(5ms); return 9; });
  f.link([&](const grove::Fiber<int>& dead) {
    EXPECT_TRUE(dead.ready());
    seen.set(*dead.value());
  });
  EXPECT_EQ(seen.get(2s), 9);
}

TEST(Link, LinkedAfterDeathStillRuns) {
  auto f = grove::spawn([] { return 1; });
  f.join();
  grove::Event ran;
  f.link([&] { ran.set(); });
  EXPECT_TRUE(ran.wait(2s));
}

TEST(Link, ExceptionAndValueLinksChoose) {
  std::atomic<int> exc_links{0}, value_links{0};
  grove::WaitGroup wg;
  auto bad = grove::spawn([] { grove::sleep(2ms); throw std::runtime_error("x"); });
  auto good = grove::spawn([] { grove::sleep(2ms); return 1; });
  for (auto* f : {&good}) {
    f->link_exception([&](const auto&) { ++exc_links; });
    f->link_value([&](const auto&) { ++value_links; });
  }
  bad.link_exception([&](const grove::Fiber<void>& d) {
    EXPECT_NE(d.exception(), nullptr);
    ++exc_links;
  });
  bad.link_value([&](const auto&) { ++value_links; });
  grove::joinall({bad, good});
  EXPECT_TRUE(eventually([&] { return exc_links == 1 && value_links == 1; }));
  grove::sleep(10ms);
  EXPECT_EQ(exc_links.load(), 1);
  EXPECT_EQ(value_links.load(), 1);
}

TEST(Link, LinksRunInOrderOfLinking) {
  std::string order;
  grove::Lock mu;
  grove::WaitGroup wg;
  wg.add(3);
  auto f = grove::spawn([] { grove::sleep(5ms); });
  for (char c : {'a', 'b', 'c'}) f.link([&, c] {
    std::lock_guard g(mu);
    order += c;
    wg.done();
  });
  ASSERT_TRUE(wg.wait(2s));
  if (grove::worker_count() == 1) {
    EXPECT_EQ(order, "abc");  // across workers they may run in parallel
  }
  EXPECT_EQ(order.size(), 3u);
}

TEST(Link, LinkExceptionSuppressesTheReportButLinkValueDoesNot) {
  testing::internal::CaptureStderr();
  grove::Event handled;
  auto a = grove::spawn(grove::SpawnOptions{.name = "watched"}, [] { grove::sleep(2ms); throw std::runtime_error("seen"); });
  a.link_exception([&] { handled.set(); });
  auto b = grove::spawn(grove::SpawnOptions{.name = "unwatched"}, [] { grove::sleep(2ms); throw std::runtime_error("lost"); });
  b.link_value([] {});
  ASSERT_TRUE(handled.wait(2s));
  while (!b.ready()) grove::sleep(1ms);
  grove::sleep(5ms);
  const std::string err = testing::internal::GetCapturedStderr();
  EXPECT_EQ(err.find("fiber watched failed"), std::string::npos) << err;
  EXPECT_NE(err.find("grove: fiber unwatched failed: lost"), std::string::npos) << err;
}

TEST(Link, TimeoutFailureIsReportedWithItsMessage) {
  testing::internal::CaptureStderr();
  auto f = grove::spawn(grove::SpawnOptions{.name = "slowpoke"}, [] {
    grove::Timeout t(5ms);
    grove::sleep(1s);
  });
  while (!f.ready()) grove::sleep(1ms);
  const std::string err = testing::internal::GetCapturedStderr();
  EXPECT_NE(err.find("grove: fiber slowpoke failed: grove: timeout after 5.000 ms"), std::string::npos) << err;
}
