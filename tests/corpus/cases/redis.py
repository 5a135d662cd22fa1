"""redis in each mode: redis-server answers redis-cli correctly, serves redis-benchmark's set, get,
lpush and lpop (every pushed element popped again; requests/s recorded) and stops on SIGTERM; then
redis-benchmark --threads 2 itself in each mode against a native redis-server."""
import contextlib
import csv
import io
import signal

from harness.chain import Chain
from harness.modes import NATIVE
from harness.process import Failure, run
from harness.server import Server, free_port

REQUESTS = 5000  # per test and run: about a second for the four
TESTS = ["SET", "GET", "LPUSH", "LPOP"]


def start_server(case, mode, stack):
    """A redis-server in `mode` whose cleanup `stack` owns; returns (server, port)."""
    port = free_port()
    argv = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
            "--daemonize", "no", "--protected-mode", "no", "--dir", case.workdir]
    server = stack.enter_context(Server(case.command(mode, argv), case.path(f"redis.{mode.name}.log"),
                                        name="redis-server"))
    server.wait_listening(port)
    return server, port


def cli(port, *command, expect):
    done = run(["redis-cli", "-p", str(port), *command], timeout=20)
    if done.returncode != 0 or done.output.strip() != expect:
        raise Failure(f"redis-cli {' '.join(command)}: expected {expect!r}, got {done.describe()}")


def benchmark(case, mode, port, *extra):
    """redis-benchmark's overall requests/s over the four tests (each must report)."""
    argv = ["redis-benchmark", "-p", str(port), "-t", ",".join(TESTS).lower(), "-n", str(REQUESTS),
            "-c", "50", "--csv", *extra]
    done = run(case.command(mode, argv), timeout=120)
    rates = {row["test"]: float(row["rps"]) for row in csv.DictReader(io.StringIO(done.output))
             if row.get("rps")}
    if done.returncode != 0 or sorted(rates) != sorted(TESTS) or not all(rates.values()):
        raise Failure(f"redis-benchmark: {done.describe()}")
    return round(len(TESTS) * REQUESTS / sum(REQUESTS / r for r in rates.values()))


def main(case):
    case.require_programs("redis-server", "redis-cli", "redis-benchmark")
    with contextlib.ExitStack() as stack:
        servers = {}

        def serve(cell, mode):
            servers[mode.name] = server, port = start_server(case, mode, stack)
            cli(port, "SET", "corpus", "grove", expect="OK")
            cli(port, "GET", "corpus", expect="grove")
            cli(port, "RPUSH", "corpus-list", "a", "b", "c", expect="3")
            cli(port, "LRANGE", "corpus-list", "0", "-1", expect="a\nb\nc")

        def load(mode):
            port = servers[mode.name][1]
            rate = benchmark(case, NATIVE, port)
            cli(port, "LLEN", "mylist", expect="0")  # as many LPOPs as LPUSHes
            return rate

        chain = Chain(case)
        chain.each("server", serve)
        chain.measure("server-load", "requests/s", load)
        chain.each("server-stop-TERM", lambda cell, mode: servers[mode.name][0].stop(signal.SIGTERM))
    with contextlib.ExitStack() as stack:
        server, port = start_server(case, NATIVE, stack)
        Chain(case).measure("benchmark-threads2", "requests/s",
                            lambda mode: benchmark(case, mode, port, "--threads", "2"))
        server.stop(signal.SIGTERM)
