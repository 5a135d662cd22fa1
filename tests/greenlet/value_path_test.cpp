// The ways a grove::value travels through greenlet switches (see greenlet_switch_inline): built
// in the receiver's result by a fast switch (plain bytes for numbers and small trivially copyable
// structs of every size, a move for the rest, nothing at all for switch_to()), or carried by the
// general path; and values made and read by another binary with its own copies of the inline code.
#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <grove/grove.hpp>

#include "../core/TestUtil.hpp"
#include "value_dso.hpp"

using grove::greenlet;
using grove::value;
using grove::test::usage_error_of;

namespace {

// Trivially copyable structs of the sizes the plain-byte path handles apart (1, 2, 4, 8, 16 and
// 32 bytes) and of odd sizes, which take the ordinary emplace.
template <std::size_t N>
struct Bytes {
  std::array<unsigned char, N> b;
  bool operator==(const Bytes&) const = default;
};
template <std::size_t N>
Bytes<N> pattern(unsigned seed) {
  Bytes<N> x;
  for (std::size_t i = 0; i < N; ++i) x.b[i] = static_cast<unsigned char>(seed * 31 + i * 7 + 1);
  return x;
}

// A greenlet that sends back whatever it receives, until it receives nothing.
greenlet echo() {
  greenlet main = greenlet::current();
  return greenlet([main](value v) {
    while (!v.empty()) v = main.switch_to(std::move(v));
    return std::string("done");
  });
}

// Each switch below is a fast one in the plain build (the echo greenlet is live, no exception
// state): main builds the value in the echo's result, the echo moves it into main's.
template <std::size_t N>
void expect_round_trips(const greenlet& g) {
  for (unsigned seed = 0; seed < 3; ++seed) {
    const Bytes<N> sent = pattern<N>(seed);
    value back = g.switch_to(sent);
    ASSERT_TRUE(back.is<Bytes<N>>()) << N;
    EXPECT_EQ(back.as<Bytes<N>>(), sent) << N;
  }
}

}  // namespace

TEST(GreenletValuePath, PlainValuesOfEverySizeCrossFastSwitches) {
  greenlet g = echo();
  g.switch_to(0);  // starts it (a general switch); its reply comes back on a fast one
  EXPECT_EQ(g.switch_to(char{'x'}).as<char>(), 'x');
  EXPECT_EQ(g.switch_to(std::int16_t{-2}).as<std::int16_t>(), -2);
  EXPECT_EQ(g.switch_to(-7).as<int>(), -7);
  EXPECT_EQ(g.switch_to(2.5).as<double>(), 2.5);
  EXPECT_EQ(g.switch_to(2.5f).as<float>(), 2.5f);
  EXPECT_EQ(g.switch_to(std::uint64_t{1} << 63).as<std::uint64_t>(), std::uint64_t{1} << 63);
  int target = 0;
  EXPECT_EQ(g.switch_to(&target).as<int*>(), &target);
  const int lvalue = 41;
  EXPECT_EQ(g.switch_to(lvalue).as<int>(), 41);
  EXPECT_STREQ(g.switch_to("literal").as<const char*>(), "literal");  // decays to const char*
  expect_round_trips<1>(g);
  expect_round_trips<2>(g);
  expect_round_trips<3>(g);
  expect_round_trips<4>(g);
  expect_round_trips<8>(g);
  expect_round_trips<12>(g);
  expect_round_trips<16>(g);
  expect_round_trips<24>(g);
  expect_round_trips<32>(g);
  expect_round_trips<40>(g);  // larger than the inline buffer: on the heap, moved as a pointer
  struct Padded {
    char c;
    int i;
  };
  value padded = g.switch_to(Padded{'p', 1 << 20});
  EXPECT_EQ(padded.as<Padded>().c, 'p');
  EXPECT_EQ(padded.as<Padded>().i, 1 << 20);
  EXPECT_EQ(g.switch_to(1.5L).as<long double>(), 1.5L);
  EXPECT_EQ(g.switch_to().as<std::string>(), "done");
}

TEST(GreenletValuePath, WrongTypeAfterAFastSwitchIsAClearError) {
  greenlet g = echo();
  g.switch_to(0);
  value back = g.switch_to(7);
  std::string msg = usage_error_of([&] { (void)back.as<long>(); });
  EXPECT_NE(msg.find("asked for long but it holds a int"), std::string::npos) << msg;
  EXPECT_FALSE(back.is<unsigned>());
  EXPECT_EQ(back.as<int>(), 7);  // still intact
  msg = usage_error_of([&] { (void)g.switch_to(Bytes<4>{}).as<int>(); });
  EXPECT_NE(msg.find("asked for int but it holds a (anonymous namespace)::Bytes<4"), std::string::npos) << msg;
  g.switch_to();
}

TEST(GreenletValuePath, MovedValuesCrossFastSwitches) {
  greenlet g = echo();
  g.switch_to(0);
  // Not trivially relocatable (a short std::string points into itself): moved by its move constructor.
  EXPECT_EQ(g.switch_to(std::string("short")).as<std::string>(), "short");
  std::string long_one(100, 'L');
  EXPECT_EQ(g.switch_to(long_one).as<std::string>(), long_one);
  EXPECT_EQ(g.switch_to(std::vector<int>{1, 2, 3}).as<std::vector<int>>(), (std::vector<int>{1, 2, 3}));
  auto p = std::make_unique<int>(9);
  int* raw = p.get();
  auto q = g.switch_to(std::move(p)).as<std::unique_ptr<int>>();
  EXPECT_EQ(q.get(), raw);  // move-only: the same object came back
  auto [a, b] = g.switch_to(1, std::string("two")).get<int, std::string>();
  EXPECT_EQ(a, 1);
  EXPECT_EQ(b, "two");
  value v = std::string("a value moved as it is");
  value back = g.switch_to(std::move(v));
  EXPECT_TRUE(v.empty());  // NOLINT(bugprone-use-after-move): switch_to(std::move(v)) takes it
  EXPECT_EQ(back.as<std::string>(), "a value moved as it is");
  value copied = std::string("copied");
  EXPECT_EQ(g.switch_to(copied).as<std::string>(), "copied");
  EXPECT_EQ(copied.as<std::string>(), "copied");  // an lvalue value is copied, not taken
  EXPECT_EQ(g.switch_to().as<std::string>(), "done");
}

// switch_to() sends nothing: the receiver's result is empty even right after a valued switch.
TEST(GreenletValuePath, EmptySwitchesDeliverNothing) {
  std::vector<std::string> seen;
  greenlet main = greenlet::current();
  greenlet g([&] {
    for (int i = 0; i < 4; ++i) {
      value v = main.switch_to(i % 2 ? value(i) : value());
      seen.push_back(v.empty() ? "empty" : std::to_string(v.as<int>()));
    }
  });
  EXPECT_TRUE(g.switch_to().empty());
  EXPECT_EQ(g.switch_to(10).as<int>(), 1);
  EXPECT_TRUE(g.switch_to().empty());
  EXPECT_EQ(g.switch_to(30).as<int>(), 3);
  EXPECT_TRUE(g.switch_to().empty());  // g finished: its void result
  EXPECT_EQ(seen, (std::vector<std::string>{"10", "empty", "30", "empty"}));
}

// A greenlet suspended by a general switch (starting another greenlet, throw_) receives a fast
// switch's value in that general switch's result, and a fast-suspended one receives the general
// path's messages (a dying greenlet's result, an exception) in its inline switch.
TEST(GreenletValuePath, FastAndGeneralSwitchesMeet) {
  greenlet main = greenlet::current();
  greenlet inner([&](int n) {
    // Started by a general switch from `outer`; answers `main` on a fast one.
    value v = main.switch_to(std::string("inner got ") + std::to_string(n));
    return v.as<int>() * 2;  // dies: the general path carries this to its parent, `outer`
  });
  greenlet outer([&] {
    value r = inner.switch_to(5);  // general (inner unstarted); receives inner's result
    value w = main.switch_to(r.as<int>() + 1);  // fast
    throw std::runtime_error("outer: " + w.as<std::string>());
  });
  inner.parent(outer);
  EXPECT_EQ(outer.switch_to().as<std::string>(), "inner got 5");
  EXPECT_EQ(inner.switch_to(20).as<int>(), 41);  // fast to inner; its result reaches outer
  try {
    outer.switch_to(std::string("bye"));
    ADD_FAILURE() << "outer's exception did not reach main";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "outer: bye");
  }
  EXPECT_TRUE(outer.dead());
  EXPECT_TRUE(inner.dead());
}

// A library with hidden visibility has its own copy of each type's table (the pointer test of
// is<T>/as<T> fails there), so typeid decides: its values read here and ours there.
TEST(GreenletValuePath, ValuesCrossBinaryBoundaries) {
  value theirs = dso_make_int(12);
  value ours = 12;
  // The second pointer of the object is its type table: different copies, or this test proves nothing.
  static_assert(sizeof(value) == 48);
  const void* their_table;
  const void* our_table;
  std::memcpy(&their_table, reinterpret_cast<const char*>(&theirs) + 32, sizeof their_table);
  std::memcpy(&our_table, reinterpret_cast<const char*>(&ours) + 32, sizeof our_table);
  ASSERT_NE(their_table, our_table) << "the library shares our type tables: build it with hidden visibility";
  EXPECT_TRUE(theirs.is<int>());
  EXPECT_EQ(theirs.as<int>(), 12);
  EXPECT_TRUE(dso_is_int(ours));
  EXPECT_EQ(dso_read_int(ours), 12);
  EXPECT_FALSE(theirs.is<long>());
  std::string here = usage_error_of([&] { (void)theirs.as<long>(); });
  EXPECT_NE(here.find("asked for long but it holds a int"), std::string::npos) << here;
  EXPECT_EQ(dso_wrong_type_error(ours), here);  // the same message from either side
  value point = dso_make_point(3, 4);
  EXPECT_EQ(point.as<DsoPoint>().x, 3);
  EXPECT_EQ(point.as<DsoPoint>().y, 4);
  value copy = point;  // its copy function is the library's
  EXPECT_EQ(copy.as<DsoPoint>().y, 4);

  // Switches made by the library's own copy of the inline switch, to and from ours.
  greenlet g = echo();
  g.switch_to(0);
  EXPECT_EQ(dso_switch_int(g, 77).as<int>(), 77);
  EXPECT_EQ(dso_switch_value(g, std::string("through the library")).as<std::string>(), "through the library");
  value from_lib = dso_switch_value(g, dso_make_point(5, 6));
  EXPECT_EQ(from_lib.as<DsoPoint>().x, 5);
  EXPECT_EQ(g.switch_to().as<std::string>(), "done");
}
