"""PostgreSQL in each mode (a cluster initdb'd into a temporary folder as user postgres, a copy of it
per server): the server serves pgbench's select-only run with 50 clients on 50 threads and a TPC-B
write run whose balances still add up, then stops on SIGINT (fast shutdown); and pgbench -S -c 50
-j 50 itself in each mode against a native server. TPS of each is recorded."""
import contextlib
import glob
import itertools
import os
import re
import shutil
import signal

from harness.case import Skip
from harness.chain import Chain
from harness.load import LOAD_SECONDS
from harness.modes import NATIVE
from harness.process import Failure, run
from harness.server import Server, free_port

USER = "postgres"


def bin_dir():
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"), key=lambda p: int(p.split("/")[4]))
    return os.path.dirname(found[-1]) if found else None


class Cluster:
    """A pgbench-initialised cluster made once natively; each server start gets a fresh copy of it,
    so a server killed in one mode leaves nothing behind for the next."""

    def __init__(self, case):
        self.case = case
        self.bin = bin_dir()
        self.copies = itertools.count(1)
        self.owned = self.folder("postgres")  # the server's user writes only here
        self.template = os.path.join(self.owned, "template")
        self.sockets = os.path.join(self.owned, "sockets")
        os.makedirs(self.sockets)
        shutil.chown(self.sockets, USER, USER)
        self.as_postgres([self.tool("initdb"), "-D", self.template, "-U", USER, "-A", "trust", "-E", "UTF8",
                          "--no-sync"], timeout=120, what="initdb")
        server, port = self.start(NATIVE, self.template)
        with server:
            self.as_postgres([self.tool("pgbench"), "-i", "-s", "2", "-q", "-h", "127.0.0.1", "-p", str(port),
                              USER], timeout=180, what="pgbench -i")
            server.stop(signal.SIGINT, timeout=30)

    def folder(self, name):
        path = self.case.path(name)
        os.makedirs(path)
        shutil.chown(path, USER, USER)
        return path

    def tool(self, name):
        return os.path.join(self.bin, name)

    def as_postgres(self, argv, timeout, what):
        done = run(argv, timeout=timeout, user=USER, cwd=self.case.workdir)
        if done.returncode != 0:
            raise Failure(f"{what}: {done.describe()}")
        return done.output

    def start(self, mode, data=None):
        """A server in `mode` on a copy of the template (or on `data`); returns (server, port)."""
        if data is None:
            data = os.path.join(self.owned, f"{mode.name}-{next(self.copies)}")
            self.as_postgres(["cp", "-a", self.template, data], timeout=60, what="copying the cluster")
        port = free_port()
        argv = [self.tool("postgres"), "-D", data, "-p", str(port), "-k", self.sockets,
                "-c", "listen_addresses=127.0.0.1", "-c", "max_connections=120", "-c", "fsync=off",
                "-c", "synchronous_commit=off", "-c", "shared_buffers=32MB"]
        server = Server(self.case.command(mode, argv), self.case.path(f"postgres.{mode.name}.log"),
                        name="postgres", user=USER, cwd=self.case.workdir)
        try:
            server.wait_ready(lambda: server.listens_on(port) and self.psql(port, "select 1", check=False) == "1",
                              timeout=60)
        except Failure:
            server.close()
            raise
        return server, port

    def psql(self, port, sql, check=True):
        done = run([self.tool("psql"), "-h", "127.0.0.1", "-p", str(port), "-U", USER, "-XAtc", sql, USER],
                   timeout=30, user=USER, cwd=self.case.workdir)
        if check and done.returncode != 0:
            raise Failure(f"psql -c {sql!r}: {done.describe()}")
        return done.output.strip()

    def pgbench(self, mode, port, *args):
        """pgbench's TPS; it must finish in time with no failed transaction."""
        argv = [self.tool("pgbench"), "-h", "127.0.0.1", "-p", str(port), "-n", "-T", str(LOAD_SECONDS),
                *args, USER]
        done = run(self.case.command(mode, argv), timeout=LOAD_SECONDS + 25, user=USER, cwd=self.case.workdir)
        tps = re.search(r"tps = ([\d.]+)", done.output)
        failed = re.search(r"number of failed transactions: (\d+)", done.output)
        if done.returncode != 0 or not tps or (failed and failed.group(1) != "0"):
            raise Failure(f"pgbench {' '.join(args)}: {done.describe()}")
        return round(float(tps.group(1)))


BALANCED = ("select (select sum(abalance) from pgbench_accounts) = (select coalesce(sum(delta), 0) "
            "from pgbench_history) and (select sum(bbalance) from pgbench_branches) = "
            "(select coalesce(sum(delta), 0) from pgbench_history)")


def main(case):
    case.require_root("initdb and the server run as user postgres")
    if not bin_dir():
        raise Skip("not installed: /usr/lib/postgresql/*/bin/postgres (package postgresql)")
    case.require_user(USER, "postgresql")
    cluster = Cluster(case)
    with contextlib.ExitStack() as stack:
        servers = {}

        def start(cell, mode):
            servers[mode.name] = server, port = cluster.start(mode)
            stack.enter_context(server)

        def writes(mode):
            port = servers[mode.name][1]
            tps = cluster.pgbench(NATIVE, port, "-c", "8", "-j", "2")
            if cluster.psql(port, BALANCED) != "t":
                raise Failure("after the TPC-B run the balances do not add up to the history's deltas")
            return tps

        chain = Chain(case)
        chain.each("server", start)
        chain.measure("server-select", "TPS",
                      lambda mode: cluster.pgbench(NATIVE, servers[mode.name][1], "-S", "-c", "50", "-j", "50"))
        chain.measure("server-writes", "TPS", writes)
        chain.each("server-stop-INT", lambda cell, mode: servers[mode.name][0].stop(signal.SIGINT, timeout=30))
    server, port = cluster.start(NATIVE)
    with server:
        Chain(case).measure("pgbench", "TPS", lambda mode: cluster.pgbench(mode, port, "-S", "-c", "50", "-j", "50"))
        server.stop(signal.SIGINT, timeout=30)
