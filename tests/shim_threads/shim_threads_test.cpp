// Acceptance of threads-as-fibers mode: unmodified programs give the same results under
// `grove-run --threads fibers --workers N` (N = this test's GROVE_WORKERS) as on OS threads.
#include <signal.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>


namespace {

#if defined(GROVE_ASAN) || defined(GROVE_TSAN)
#define SKIP_UNDER_SANITIZERS() \
  GTEST_SKIP() << "threads-as-fibers needs FiberTls, which does not support ASan/TSan (they track threads by TCB)"
#else
#define SKIP_UNDER_SANITIZERS() (void)0
#endif

const std::string kBin = GROVE_BIN_DIR;

std::string workers() {
  const char* w = std::getenv("GROVE_WORKERS");
  return w ? w : "2";
}

std::string under_fibers() { return kBin + "/grove-run --threads fibers --workers " + workers() + " -- "; }

struct Output {
  int status = -1;
  std::string out, err;
};

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Runs `cmd` (bounded by `timeout_s`), stdout and stderr apart.
Output run(const std::string& cmd, int timeout_s = 120) {
  char err_path[] = "/tmp/grove_shim_threads_XXXXXX";
  const int fd = mkstemp(err_path);
  close(fd);
  Output o;
  FILE* p = popen(("{ timeout " + std::to_string(timeout_s) + " " + cmd + " ; } 2>" + err_path).c_str(), "r");
  if (!p) return o;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) o.out.append(buf, n);
  const int st = pclose(p);
  o.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  o.err = read_file(err_path);
  unlink(err_path);
  return o;
}

// A server started with `sh -c "exec CMD"` in a session of its own (so it can be stopped with all
// its children); `first_line` is the first line it printed on stdout (its port).
class BackgroundServer {
 public:
  explicit BackgroundServer(const std::string& cmd, bool quiet_stderr = false) {
    int out_pipe[2];
    if (pipe(out_pipe) != 0) return;
    pid_ = fork();
    if (pid_ == 0) {
      setsid();
      dup2(out_pipe[1], 1);
      close(out_pipe[0]);
      if (quiet_stderr) dup2(open("/dev/null", O_WRONLY), 2);
      execl("/bin/sh", "sh", "-c", ("exec " + cmd).c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    close(out_pipe[1]);
    out_ = fdopen(out_pipe[0], "r");
    char line[256] = {};
    if (pid_ > 0 && fgets(line, sizeof line, out_)) first_line = line;
  }
  ~BackgroundServer() {
    if (pid_ > 0) {
      kill(-pid_, SIGTERM);
      kill(pid_, SIGTERM);
      int status = 0;
      waitpid(pid_, &status, 0);
    }
    if (out_) fclose(out_);
  }
  BackgroundServer(const BackgroundServer&) = delete;
  BackgroundServer& operator=(const BackgroundServer&) = delete;

  std::string first_line;

 private:
  pid_t pid_ = -1;
  FILE* out_ = nullptr;
};

TEST(ShimThreads, TlsHeavyProgramPrintsTheSameUnderFibers) {
  SKIP_UNDER_SANITIZERS();
  const Output os = run(kBin + "/tls_threads");
  ASSERT_EQ(os.status, 0) << os.err;
  ASSERT_NE(os.out.find("thread 7: returned 70"), std::string::npos) << os.out;
  EXPECT_EQ(os.out.find("_bad=1"), std::string::npos) << os.out;
  int migrations = 0;
  for (int attempt = 0; attempt < 3; ++attempt) {
    const Output fibers = run(under_fibers() + kBin + "/tls_threads");
    ASSERT_EQ(fibers.status, 0) << fibers.err;
    EXPECT_EQ(fibers.out, os.out) << "stderr: " << fibers.err;
    migrations += std::atoi(fibers.err.c_str() + fibers.err.find("tid changes: ") + 13);
    if (workers() == "1" || migrations > 0) break;
  }
  // With two workers thread-fibers move between OS threads and keep their TLS.
  if (workers() != "1") {
    EXPECT_GT(migrations, 0) << "no thread-fiber ever changed OS thread";
  }
}

TEST(ShimThreads, MutexCondProducerConsumerPrintsTheSameUnderFibers) {
  SKIP_UNDER_SANITIZERS();
  const Output os = run(kBin + "/prodcons");
  ASSERT_EQ(os.status, 0) << os.out << os.err;
  const Output fibers = run(under_fibers() + kBin + "/prodcons");
  EXPECT_EQ(fibers.status, 0) << fibers.err;
  EXPECT_EQ(fibers.out, os.out);
}

TEST(ShimThreads, ThreadPerConnectionEchoServerServes500Clients) {
  SKIP_UNDER_SANITIZERS();
#ifndef GROVE_HAVE_ECHO_BENCH
  GTEST_SKIP() << "bench/ is not built (GROVE_BUILD_BENCH=OFF): no echo_threads_server / echo_load";
#else
  // The server prints its port on stdout; it stops by itself after 60 s at the latest.
  BackgroundServer server(under_fibers() + kBin + "/echo_threads_server --port 0 --seconds 60");
  int port = 0;
  std::sscanf(server.first_line.c_str(), "listening on %d", &port);
  ASSERT_GT(port, 0) << "server said: " << server.first_line;
  const Output load = run(kBin + "/echo_load --port " + std::to_string(port) + " --conns 500 --seconds 2 --warmup 0", 60);
  EXPECT_EQ(load.status, 0) << load.out << load.err;
  EXPECT_NE(load.out.find("conns=500 "), std::string::npos) << load.out;
  EXPECT_NE(load.out.find(" errors=0 "), std::string::npos) << load.out;
  EXPECT_EQ(load.out.find(" roundtrips=0 "), std::string::npos) << load.out;
#endif
}

// A generated, partly compressible file of a few blocks, so the compressor's worker threads all
// get work (xz -1 cuts 3 MiB blocks; zstd -T4 jobs of a few MiB).
std::string make_input() {
  static const std::string path = [] {
    std::string p = "/tmp/grove_shim_threads_input_" + std::to_string(getpid());
    std::ofstream f(p, std::ios::binary);
    unsigned long long x = 88172645463325252ull;
    std::string chunk;
    for (int i = 0; i < 24 * 1024 * 1024 / 8; ++i) {
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
      const unsigned long long v = (i % 4 == 0) ? x : i / 512;  // mixed noise and runs
      chunk.append(reinterpret_cast<const char*>(&v), 8);
    }
    f << chunk;
    return p;
  }();
  return path;
}

void expect_round_trip(const std::string& compress, const std::string& decompress, const std::string& tag) {
  SKIP_UNDER_SANITIZERS();
  const std::string input = make_input();
  const std::string packed = input + "." + tag;
  const Output c = run(under_fibers() + compress + " < " + input + " > " + packed, 300);
  ASSERT_EQ(c.status, 0) << c.err;
  const Output d = run(under_fibers() + decompress + " < " + packed + " | cmp - " + input, 300);
  EXPECT_EQ(d.status, 0) << d.out << d.err;
  // And the plain tool agrees with what ran under the shim.
  const Output plain = run(decompress + " < " + packed + " | cmp - " + input, 300);
  EXPECT_EQ(plain.status, 0) << plain.out << plain.err;
  unlink(packed.c_str());
}

TEST(ShimThreads, XzWithFourThreadsRoundTrips) { expect_round_trip("xz -T4 -1 -c", "xz -d -T4 -c", "xz"); }

TEST(ShimThreads, ZstdWithFourThreadsRoundTrips) {
  expect_round_trip("zstd -q -T4 -3 -c", "zstd -q -d -c", "zst");
}

TEST(ShimThreads, PythonThreadingScriptPrintsTheSameUnderFibers) {
  SKIP_UNDER_SANITIZERS();
  const std::string cmd = "/usr/bin/python3 " GROVE_SHIM_THREADS_DIR "/threading_check.py";
  const Output os = run(cmd);
  ASSERT_EQ(os.status, 0) << os.err;
  const Output fibers = run(under_fibers() + cmd);
  EXPECT_EQ(fibers.status, 0) << fibers.err;
  EXPECT_EQ(fibers.out, os.out);
}

// git grep --threads=4: worker threads fed through a pthread mutex/condvar work queue. Its output is
// ordered by file, so it must be byte-identical with and without the shim.
TEST(ShimThreads, GitGrepWithFourThreadsPrintsTheSameUnderFibers) {
  SKIP_UNDER_SANITIZERS();
  const std::string repo = "/tmp/grove_shim_threads_git_" + std::to_string(getpid());
  ASSERT_EQ(run("rm -rf " + repo + " && mkdir " + repo + " && git -C " + repo + " init -q .").status, 0);
  unsigned long long x = 0x9e3779b97f4a7c15ull;
  for (int file = 0; file < 150; ++file) {
    std::ofstream f(repo + "/f" + std::to_string(file) + ".txt");
    for (int line = 0; line < 300; ++line) {
      std::string text;
      for (int c = 0; c < 60; ++c) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        text += "abcdefghij klmnop"[x % 17];
      }
      f << text << '\n';
    }
  }
  ASSERT_EQ(run("git -C " + repo + " add .").status, 0);
  const std::string grep = "git -C " + repo + " grep --threads=4 -n -e 'ab' -e 'op k'";
  const Output os = run(grep);
  ASSERT_EQ(os.status, 0) << os.err;
  ASSERT_GT(std::count(os.out.begin(), os.out.end(), '\n'), 1000) << "too few matches to keep 4 threads busy";
  const Output fibers = run(under_fibers() + grep);
  EXPECT_EQ(fibers.status, 0) << fibers.err;
  EXPECT_TRUE(fibers.out == os.out) << "outputs differ: " << fibers.out.size() << " vs " << os.out.size() << " bytes";
  run("rm -rf " + repo);
}

// Python's http.server (ThreadingHTTPServer: a thread per connection, blocking accept/recv/send
// over TCP, socketserver's locks) under the shim serves 16 concurrent client threads, every body intact.
TEST(ShimThreads, ThreadingHttpServerServesConcurrentClients) {
  SKIP_UNDER_SANITIZERS();
  const std::string root = "/tmp/grove_shim_threads_www_" + std::to_string(getpid());
  ASSERT_EQ(run("rm -rf " + root + " && mkdir " + root).status, 0);
  {
    std::ofstream big(root + "/big.bin", std::ios::binary);
    unsigned long long x = 88172645463325252ull;
    for (int i = 0; i < 300000 / 8; ++i) {
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
      big.write(reinterpret_cast<const char*>(&x), 8);
    }
    std::ofstream(root + "/small.txt") << "hello from a thread-fiber\n";
  }
  {
    // The request log goes to stderr: dropped.
    BackgroundServer server("timeout 60 " + under_fibers() + "/usr/bin/python3 -u -m http.server --bind 127.0.0.1 --directory " + root + " 0",
                            true);
    int port = 0;
    std::sscanf(server.first_line.c_str(), "Serving HTTP on 127.0.0.1 port %d", &port);
    EXPECT_GT(port, 0) << "server said: " << server.first_line;
    if (port > 0) {
      const Output client = run("/usr/bin/python3 " GROVE_SHIM_THREADS_DIR "/http_clients.py " + std::to_string(port) + " " + root, 60);
      EXPECT_EQ(client.status, 0) << client.out << client.err;
      EXPECT_EQ(client.out, "requests 160 bad 0\n") << client.err;
    }
  }
  run("rm -rf " + root);
}

// The mode is real: ten live Python threads are ten fibers on the workers, not ten OS threads.
TEST(ShimThreads, ThreadsBecomeFibersNotOsThreads) {
  SKIP_UNDER_SANITIZERS();
  const std::string cmd =
      "/usr/bin/python3 -c 'import threading, os, time\n"
      "ts = [threading.Thread(target=time.sleep, args=(0.3,)) for _ in range(10)]\n"
      "[t.start() for t in ts]\n"
      "print(len(os.listdir(\"/proc/self/task\")))\n"
      "[t.join() for t in ts]'";
  const Output os = run(cmd);
  ASSERT_EQ(os.status, 0) << os.err;
  EXPECT_GE(std::atoi(os.out.c_str()), 11);
  const Output fibers = run(under_fibers() + cmd);
  ASSERT_EQ(fibers.status, 0) << fibers.err;
  // The workers and the monitor thread (a spare only if a worker got stuck).
  EXPECT_LE(std::atoi(fibers.out.c_str()), std::atoi(workers().c_str()) + 2) << fibers.out;
  const Output os_mode = run(kBin + "/grove-run --threads os --workers " + workers() + " -- " + cmd);
  EXPECT_GE(std::atoi(os_mode.out.c_str()), 11) << os_mode.out << os_mode.err;
}

struct InputCleanup : ::testing::Environment {
  void TearDown() override { unlink(("/tmp/grove_shim_threads_input_" + std::to_string(getpid())).c_str()); }
};
const auto* const g_cleanup = ::testing::AddGlobalTestEnvironment(new InputCleanup);

}  // namespace
