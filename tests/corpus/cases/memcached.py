"""memcached -t 4 in each mode: memccapable's protocol tests pass against it and memcaslap finishes
(its TPS recorded); then memcaslap itself in each mode against a native memcached."""
import re

from harness.load import LOAD_SECONDS, best_of
from harness.process import Failure, run
from harness.server import Server, free_port


def start_memcached(case, mode, port):
    argv = ["memcached", "-t", "4", "-l", "127.0.0.1", "-p", str(port), "-U", "0", "-u", "nobody"]
    server = Server(case.command(mode, argv), case.path(f"memcached.{mode.name}.log"), name="memcached")
    server.wait_listening(port)
    return server


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
    for mode in case.modes:
        with case.check("server", mode) as cell:
            port = free_port()
            with start_memcached(case, mode, port) as server:
                capable = run(["memccapable", "-h", "127.0.0.1", "-p", str(port), "-t", "10"], timeout=120)
                if capable.returncode != 0:
                    raise Failure(f"memccapable: {capable.describe()}")
                cell.metric("TPS", best_of(lambda: memcaslap(case, case.modes[0], port)))
                server.stop()
    port = free_port()
    with start_memcached(case, case.modes[0], port) as server:
        for mode in case.modes:
            with case.check("memcaslap", mode) as cell:
                cell.metric("TPS", best_of(lambda: memcaslap(case, mode, port)))
        server.stop()
