"""Servers under test: loopback ports, readiness on the server's own socket, stop by PID."""
import os
import signal
import socket
import subprocess
import time

from .process import (Failure, describe_status, family, kill_family, processes, reap_orphans, spawn, tail,
                      wait_until)


def free_port():
    """A loopback TCP port nobody listens on now (the kernel's choice)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _listening_inodes(port):
    inodes = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as f:
            for row in f.readlines()[1:]:
                fields = row.split()
                if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == "0A":  # 0A: LISTEN
                    inodes.append(fields[9])
    return inodes


def port_open(port, host="127.0.0.1"):
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


class Server:
    """A server under test: started in its own session, output in a log file, stopped by PID.

    Use as a context manager: whatever happens in the case, everything it started is killed on exit.
    """

    def __init__(self, argv, log_path, name, env=None, cwd=None, user=None):
        self.argv = list(argv)
        self.name = name
        self.log_path = log_path
        self._log = open(log_path, "ab")
        self.proc = spawn(self.argv, self._log, env, cwd, user)
        self.pid = self.proc.pid

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        """Kills whatever of the server still runs; safe to call twice."""
        kill_family(self.proc)
        reap_orphans()
        self._log.close()

    def log_tail(self):
        with open(self.log_path, errors="replace") as f:
            return tail(f.read())

    def wait_ready(self, ready, timeout=30):
        """Waits until `ready()` is true; raises Failure if the server exits or takes too long."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise Failure(f"{self.name} {describe_status(self.proc.returncode)} "
                              f"before it was ready: {self.log_tail()}")
            if ready():
                self.expect_shim()
                return
            time.sleep(0.05)
        raise Failure(f"{self.name} not ready after {timeout} s: {self.log_tail()}")

    def listens_on(self, port):
        """Whether one of the server's own processes has a socket listening on loopback `port`
        (not just anyone: a free port can be taken by another program between choice and bind)."""
        sockets = {f"socket:[{inode}]" for inode in _listening_inodes(port)}
        for pid in family(self.pid) if sockets else ():
            try:
                if any(os.readlink(f"/proc/{pid}/fd/{fd}") in sockets for fd in os.listdir(f"/proc/{pid}/fd")):
                    return True
            except OSError:  # exited meanwhile
                continue
        return False

    def wait_listening(self, port, timeout=30):
        self.wait_ready(lambda: self.listens_on(port) and port_open(port), timeout)

    def expect_shim(self):
        """A server started through grove-run must have grove's shim loaded (and a native one not):
        a check that passed without the shim would prove nothing."""
        with open(f"/proc/{self.pid}/maps") as f:
            loaded = "libgrove_preload.so" in f.read()
        if loaded != (os.path.basename(self.argv[0]) == "grove-run"):
            raise Failure(f"{self.name} (pid {self.pid}) has libgrove_preload.so {'' if loaded else 'not '}loaded")

    def send(self, sig):
        os.kill(self.pid, sig)

    def stop(self, sig=signal.SIGTERM, timeout=20, status=0):
        """Sends `sig` to the server's PID; it must exit with `status` within `timeout` s."""
        if self.proc.poll() is not None:
            raise Failure(f"{self.name} {describe_status(self.proc.returncode)} before the stop signal: "
                          f"{self.log_tail()}")
        before = family(self.pid)
        self.send(sig)
        try:
            code = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            kill_family(self.proc)
            raise Failure(f"{self.name} did not exit within {timeout} s of {signal.Signals(sig).name}: "
                          f"{self.log_tail()}") from None
        if code != status:
            raise Failure(f"{self.name} {describe_status(code)} after {signal.Signals(sig).name} "
                          f"(expected: exit status {status}): {self.log_tail()}")
        if not wait_until(lambda: not before.keys() & processes().keys(), timeout):
            left = {p: name for p, name in before.items() if p in processes()}
            raise Failure(f"{self.name} exited after {signal.Signals(sig).name} but left {len(left)} of its "
                          f"processes running: {', '.join(sorted(set(left.values())))}")
