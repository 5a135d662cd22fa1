"""memcached -t 4 in each mode: memccapable's protocol tests pass against it, memcaslap's load (a
native client) runs to the end with its TPS recorded, SIGTERM stops it; then memcaslap itself in
each mode against a native memcached."""
import contextlib
import re

from harness.chain import Chain
from harness.load import LOAD_SECONDS
from harness.modes import NATIVE
from harness.process import Failure, run
from harness.server import Server, free_port


def start_memcached(case, mode, stack):
    """A memcached in `mode` whose cleanup `stack` owns; returns its port."""
    port = free_port()
    argv = ["memcached", "-t", "4", "-l", "127.0.0.1", "-p", str(port), "-U", "0", "-u", "nobody"]
    server = stack.enter_context(Server(case.command(mode, argv), case.path(f"memcached.{mode.name}.log"),
                                        name="memcached"))
    server.wait_listening(port)
    return server, port


def memcaslap(case, mode, port):
    """memcaslap's TPS over LOAD_SECONDS (2 threads, 16 connections); it must finish."""
    argv = ["memcaslap", "-s", f"127.0.0.1:{port}", "-t", f"{LOAD_SECONDS}s", "-T", "2", "-c", "16"]
    done = run(case.command(mode, argv), timeout=LOAD_SECONDS + 20)
    tps = re.search(r"TPS: (\d+)", done.output)
    if done.returncode != 0 or not tps:
        raise Failure(done.describe())
    return int(tps.group(1))


def main(case):
    case.require_programs("memcached", "memccapable", "memcaslap")
    with contextlib.ExitStack() as stack:
        servers = {}

        def serve(cell, mode):
            servers[mode.name] = server, port = start_memcached(case, mode, stack)
            capable = run(["memccapable", "-h", "127.0.0.1", "-p", str(port), "-t", "10"], timeout=120)
            if capable.returncode != 0:
                raise Failure(f"memccapable: {capable.describe()}")

        chain = Chain(case)
        chain.each("server", serve)
        chain.measure("server-load", "TPS", lambda mode: memcaslap(case, NATIVE, servers[mode.name][1]))
        chain.each("server-stop-TERM", lambda cell, mode: servers[mode.name][0].stop())
    with contextlib.ExitStack() as stack:
        server, port = start_memcached(case, NATIVE, stack)
        Chain(case).measure("memcaslap", "TPS", lambda mode: memcaslap(case, mode, port))
        server.stop()
