// Unmodified programs under the shim: same output, same files, same exit status as without it.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include "../core/TestUtil.hpp"

using grove::test::run_command;

namespace {

// Sanitizer builds set GROVE_TEST_PRELOAD to their runtime, which must be preloaded first;
// leak checking is left to the in-process tests (curl, python3 are not ours).
std::string sanitizer_env() {
  const char* p = std::getenv("GROVE_TEST_PRELOAD");
  return p && *p ? std::string("ASAN_OPTIONS=detect_leaks=0 LD_PRELOAD=") + p + " " : std::string();
}
std::string preload_list() {
  const char* p = std::getenv("GROVE_TEST_PRELOAD");
  return (p && *p ? std::string(p) + ":" : std::string()) + GROVE_LIB_DIR + "/libgrove_preload.so";
}

const std::string kBin = GROVE_BIN_DIR;
const std::string kRun = sanitizer_env() + kBin + "/grove-run";
const std::string kPreload = "ASAN_OPTIONS=detect_leaks=0 LD_PRELOAD=" + preload_list() + " ";

bool have(const std::string& program) { return run_command("command -v " + program).status == 0; }

}  // namespace

TEST(Shim, ProbeGivesTheSameResultsAsPlainLibc) {
  auto plain = run_command(kBin + "/shim_probe");
  auto shimmed = run_command(kPreload + kBin + "/shim_probe");
  ASSERT_EQ(plain.status, 0) << plain.output;
  EXPECT_EQ(shimmed.status, 0);
  EXPECT_EQ(shimmed.output, plain.output);
  auto two = run_command(kRun + " --workers 2 -- " + kBin + "/shim_probe");
  EXPECT_EQ(two.output, plain.output);
}

TEST(Shim, GroveRunExplainsItselfAndRejectsBadFlags) {
  auto help = run_command(kRun + " --help");
  EXPECT_EQ(help.status, 0);
  EXPECT_NE(help.output.find("--workers N"), std::string::npos);
  EXPECT_NE(help.output.find("--threads os|fibers"), std::string::npos);
  auto bad = run_command(kRun + " --workers 0 -- true");
  EXPECT_EQ(bad.status, 2);
  EXPECT_NE(bad.output.find("--workers 0: expected a whole number from 1 to 1024"), std::string::npos);
  auto threads = run_command(kRun + " --threads green -- true");
  EXPECT_EQ(threads.status, 2);
  EXPECT_NE(threads.output.find("expected os or fibers"), std::string::npos);
  auto unknown = run_command(kRun + " --frobnicate -- true");
  EXPECT_EQ(unknown.status, 2);
  EXPECT_NE(unknown.output.find("unknown option --frobnicate"), std::string::npos);
  auto none = run_command(kRun);
  EXPECT_EQ(none.status, 2);
  auto missing = run_command(kRun + " -- /nonexistent/program");
  EXPECT_EQ(missing.status, 127);
  auto env = run_command(kRun + " --workers 3 --threads fibers -- sh -c 'echo $GROVE_WORKERS $GROVE_THREADS'");
#if defined(GROVE_TSAN)
  // No thread-fibers under TSan (FiberTls::supported): grove says so once, threads stay OS threads.
  EXPECT_EQ(env.output,
            "grove: GROVE_THREADS=fibers needs per-fiber TLS, which this platform (or sanitizer build) does not "
            "support; threads stay OS threads\n3 fibers\n");
#else
  EXPECT_EQ(env.output, "3 fibers\n");
#endif
  auto status = run_command(kRun + " -- sh -c 'exit 9'");
  EXPECT_EQ(status.status, 9);
}

TEST(Shim, CurlDownloadsTheSameFile) {
#if defined(GROVE_ASAN)
  // Known issue: curl with the ASan runtime and the ASan-built shim preloaded blocks in glibc's
  // setlocale lock before main (a small C program calling setlocale does not). The plain build
  // runs this test.
  GTEST_SKIP() << "curl under the ASan-instrumented shim deadlocks in setlocale (known issue)";
#endif
  ASSERT_TRUE(have("curl") && have("python3")) << "curl and python3 are needed (scripts/deps.sh installs them)";
  const std::string dir = "/tmp/grove_shim_curl_" + std::to_string(getpid());
  ASSERT_EQ(run_command("mkdir -p " + dir + " && head -c 3000000 /dev/urandom > " + dir + "/blob").status, 0);
  // A local HTTP server on a free loopback port, stopped by the test.
  const std::string serve = "cd " + dir + " && (timeout 60 python3 -m http.server 0 --bind 127.0.0.1 > server.log 2>&1 & echo $! > server.pid)"
                            " && for i in $(seq 100); do grep -q 'port' server.log && break; sleep 0.1; done"
                            " && grep -o 'port [0-9]*' server.log | head -1 | cut -d' ' -f2";
  auto port = run_command(serve);
  ASSERT_EQ(port.status, 0) << port.output;
  std::string p = port.output.substr(0, port.output.find('\n'));
  ASSERT_FALSE(p.empty());
  const std::string url = "http://127.0.0.1:" + p + "/blob";
  auto plain = run_command("curl -sS -o " + dir + "/plain " + url);
  auto shimmed = run_command(kRun + " --workers 2 -- curl -sS -o " + dir + "/shimmed " + url);
  auto sums = run_command("cd " + dir + " && sha256sum blob plain shimmed | cut -d' ' -f1 | uniq | wc -l");
  run_command("kill $(cat " + dir + "/server.pid); rm -rf " + dir);
  EXPECT_EQ(plain.status, 0) << plain.output;
  EXPECT_EQ(shimmed.status, 0) << shimmed.output;
  EXPECT_EQ(sums.output, "1\n");
}

TEST(Shim, PythonSocketsAndSelectors) {
  ASSERT_TRUE(have("python3")) << "python3 is needed (scripts/deps.sh installs it)";
  const std::string script = R"PY(
import selectors, socket, threading, time, os
sel = selectors.DefaultSelector()
ls = socket.socket(); ls.bind(('127.0.0.1', 0)); ls.listen(16); ls.setblocking(False)
sel.register(ls, selectors.EVENT_READ)
port = ls.getsockname()[1]
def client(i):
    s = socket.create_connection(('127.0.0.1', port)); s.sendall(b'ping%d' % i)
    results.append('client %d %s' % (i, s.recv(64).decode())); s.close()
results = []
threads = [threading.Thread(target=client, args=(i,)) for i in range(3)]
for t in threads: t.start()
conns = {}; done = 0
while done < 3:
    for key, _ in sel.select(timeout=5):
        if key.fileobj is ls:
            c, _ = ls.accept(); c.setblocking(False); sel.register(c, selectors.EVENT_READ)
        else:
            d = key.fileobj.recv(64)
            key.fileobj.sendall(d.upper()); sel.unregister(key.fileobj); key.fileobj.close(); done += 1
for t in threads: t.join()
print('\n'.join(sorted(results)))
a, b = socket.socketpair(); b.settimeout(0.05)
try: b.recv(1)
except socket.timeout: print('timeout ok')
time.sleep(0.05); print('done')
)PY";
  const std::string cmd = "python3 -c \"$(cat <<'EOF'\n" + script + "\nEOF\n)\" | sort";
  auto plain = run_command(cmd);
  auto shimmed = run_command(kRun + " --workers 2 -- sh -c '" + "python3 -c \"$0\" | sort' \"$(cat <<'EOF'\n" + script + "\nEOF\n)\"");
  ASSERT_EQ(plain.status, 0) << plain.output;
  EXPECT_EQ(shimmed.status, 0);
  EXPECT_EQ(shimmed.output, plain.output);
  EXPECT_NE(plain.output.find("timeout ok"), std::string::npos);
}

TEST(Shim, ShellPipelineAndDd) {
  const std::string pipeline = "seq 1 20000 | grep 7 | sort -rn | head -3; echo status $?";
  auto plain = run_command("sh -c '" + pipeline + "'");
  auto shimmed = run_command(kRun + " -- sh -c '" + pipeline + "'");
  EXPECT_EQ(shimmed.output, plain.output);
  EXPECT_EQ(shimmed.status, 0);
  auto dd = run_command(kRun + " -- dd bs=512 count=20000 if=/dev/zero of=/dev/null");
  EXPECT_EQ(dd.status, 0);
  EXPECT_NE(dd.output.find("10240000 bytes"), std::string::npos) << dd.output;
  auto dd_pipe = run_command(kRun + " -- sh -c 'dd bs=4096 count=500 if=/dev/zero 2>/dev/null | dd bs=1000 of=/dev/null 2>&1 | tail -1'");
  EXPECT_NE(dd_pipe.output.find("2048000 bytes"), std::string::npos) << dd_pipe.output;
}
