// Runs the hub examples (spawn_joinall, pool_crawl) and checks their output.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <thread>

#include "../core/TestUtil.hpp"

extern char** environ;

namespace {

using grove::test::run_command;

std::string bin(const char* name) { return std::string(GROVE_BIN_DIR) + "/" + name; }

std::uint32_t fnv1a(const std::string& s) {
  std::uint32_t h = 2166136261u;
  for (unsigned char c : s) h = (h ^ c) * 16777619u;
  return h;
}

int free_loopback_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

bool can_connect(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  ::close(fd);
  return ok;
}

// python3 -m http.server on a loopback port, serving a temp dir; stopped on destruction.
class HttpServer {
 public:
  explicit HttpServer(const std::filesystem::path& dir) {
    for (int attempt = 0; attempt < 5 && pid_ <= 0; ++attempt) {
      port_ = free_loopback_port();
      const std::string port = std::to_string(port_), d = dir.string();
      const char* argv[] = {"python3", "-m", "http.server", port.c_str(), "--bind", "127.0.0.1", "--directory", d.c_str(), nullptr};
      posix_spawn_file_actions_t fa;
      posix_spawn_file_actions_init(&fa);
      posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
      posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
      pid_t pid = -1;
      if (posix_spawnp(&pid, "python3", &fa, nullptr, const_cast<char**>(argv), environ) != 0) pid = -1;
      posix_spawn_file_actions_destroy(&fa);
      if (pid <= 0) continue;
      for (int i = 0; i < 500 && !can_connect(port_); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
      if (can_connect(port_)) {
        pid_ = pid;
      } else {
        ::kill(pid, SIGTERM);
        ::waitpid(pid, nullptr, 0);
      }
    }
  }
  ~HttpServer() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  bool running() const { return pid_ > 0; }
  int port() const { return port_; }

 private:
  pid_t pid_ = -1;
  int port_ = 0;
};

}  // namespace

// The example's time unit: long enough under sanitizers that their start-up and switching costs
// (tens of ms under TSan on a loaded machine) stay a small fraction of a unit, so ~5 vs 7 still shows.
#if defined(GROVE_TSAN) || defined(GROVE_ASAN)
constexpr int kUnitMs = 400;
#else
constexpr int kUnitMs = 100;
#endif

TEST(SpawnJoinallExample, SeedOrderAndFiveUnitsNotSeven) {
  const auto t0 = std::chrono::steady_clock::now();
  auto r = run_command(bin("spawn_joinall") + " " + std::to_string(kUnitMs));
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  ASSERT_EQ(r.status, 0) << r.output;
  std::regex expected(
      "running in foo\nswitch to bar\nswitch to foo again\nswitch to bar again\ntotal: ([0-9.]+) units \\([0-9.]+ s\\)\n");
  std::smatch m;
  ASSERT_TRUE(std::regex_match(r.output, m, expected)) << r.output;
  const double units = std::stod(m[1]);
  EXPECT_GE(units, 4.95);
  EXPECT_LT(units, 6.0);  // concurrent: ~5, never the sequential 7
  EXPECT_LT(secs, 50 * kUnitMs / 1000.0);  // the whole process, start-up included
  EXPECT_NE(run_command(bin("spawn_joinall") + " abc").output.find("expected a whole number"), std::string::npos);
}

TEST(PoolCrawlExample, FetchesEveryPageWithinTheBound) {
  namespace fs = std::filesystem;
  char tmpl[] = "/tmp/grove_crawl_XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  const fs::path dir(tmpl);
  constexpr int kPages = 24, kSize = 4;
  std::vector<std::string> bodies;
  for (int i = 0; i < kPages; ++i) {
    std::string body = "<html><body>page " + std::to_string(i) + "\n";
    body += std::string(static_cast<std::size_t>(i) * 3001 % 70000, static_cast<char>('a' + i % 26));
    body += "</body></html>\n";
    std::ofstream(dir / ("page" + std::to_string(i) + ".html"), std::ios::binary) << body;
    bodies.push_back(body);
  }
  {
    HttpServer server(dir);
    ASSERT_TRUE(server.running()) << "could not start python3 -m http.server";
    auto r = run_command(bin("pool_crawl") + " " + std::to_string(server.port()) + " " + std::to_string(kPages) + " " +
                         std::to_string(kSize));
    ASSERT_EQ(r.status, 0) << r.output;
    std::size_t total = 0;
    for (int i = 0; i < kPages; ++i) {
      char line[128];
      std::snprintf(line, sizeof line, "page%d.html 200 %zu bytes fnv1a=%08x\n", i, bodies[i].size(), fnv1a(bodies[i]));
      EXPECT_NE(r.output.find(line), std::string::npos) << "missing: " << line << r.output;
      total += bodies[i].size();
    }
    EXPECT_NE(r.output.find("fetched 24 pages, " + std::to_string(total) + " bytes"), std::string::npos) << r.output;
    std::smatch m;
    ASSERT_TRUE(std::regex_search(r.output, m, std::regex("peak concurrent fetches: ([0-9]+) \\(pool size 4\\)"))) << r.output;
    EXPECT_LE(std::stoi(m[1]), kSize);
    EXPECT_GE(std::stoi(m[1]), 1);
    EXPECT_EQ(run_command(bin("pool_crawl") + " 1 2").status, 2);
  }
  fs::remove_all(dir);
}
