"""Processes for corpus cases: every one bounded in time, nothing they start left behind.

Each program starts in its own session. The driver is a child subreaper (prctl), so whatever a
program forks comes back to the driver when its parent dies, even if it left the session
(PostgreSQL's backends call setsid): a cleanup kills a program's whole family by parentage.
"""
import atexit
import ctypes
import os
import pwd
import signal
import subprocess
import threading
import time
from dataclasses import dataclass

PR_SET_CHILD_SUBREAPER = 36
ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
_started = {}  # pid -> Popen, for the cleanup at exit (a timeout or Ctrl-C in the middle of a case)
# Set by SIGINT/SIGTERM: loops that watch programs from other threads stop, the main thread unwinds.
stopping = threading.Event()


def _stop(signum, frame):
    stopping.set()
    raise KeyboardInterrupt(signal.Signals(signum).name)


signal.signal(signal.SIGINT, _stop)
signal.signal(signal.SIGTERM, _stop)


@dataclass
class Finished:
    argv: list
    returncode: int | None  # None: killed after `timeout` seconds
    output: str
    seconds: float

    @property
    def timed_out(self):
        return self.returncode is None

    def describe(self):
        """One line for a report: how it ended and the last lines of its output."""
        how = f"hung: killed after {self.seconds:.0f} s" if self.timed_out else describe_status(self.returncode)
        last = tail(self.output)
        return f"{program_name(self.argv)} {how}" + (f": {last}" if last else "")


def program_name(argv):
    """The program a command line runs: past grove-run's options when it starts with grove-run."""
    if os.path.basename(argv[0]) == "grove-run" and "--" in argv:
        argv = argv[argv.index("--") + 1:]
    return os.path.basename(argv[0])


def tail(text, lines=3, width=300):
    kept = " | ".join(line.strip() for line in text.strip().splitlines()[-lines:])
    return kept[-width:]


def as_user(name):
    """Popen arguments that run a program as `name` (root only), with that user's HOME."""
    entry = pwd.getpwnam(name)
    return {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": [],
            "env_update": {"HOME": entry.pw_dir, "USER": name, "LOGNAME": name}}


def spawn(argv, stdout, env=None, cwd=None, user=None):
    """Starts a program in its own session, stdin from /dev/null, stderr with stdout."""
    environ = dict(os.environ)
    environ.update(env or {})
    extra = {}
    if user:
        identity = as_user(user)
        environ.update(identity.pop("env_update"))
        extra = identity
    proc = subprocess.Popen(argv, env=environ, cwd=cwd, stdin=subprocess.DEVNULL, stdout=stdout,
                            stderr=subprocess.STDOUT, start_new_session=True, **extra)
    _started[proc.pid] = proc
    return proc


def processes(zombies=False):
    """{pid: (ppid, pgid, name)} of every process that has not exited (or has, with zombies=True)."""
    table = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        name, fields = stat[stat.index("(") + 1:stat.rindex(")")], stat[stat.rindex(")") + 2:].split()
        if zombies or fields[0] not in "ZX":
            table[int(entry)] = (int(fields[1]), int(fields[2]), name)
    return table


def family(pid):
    """{pid: name} of `pid` (if it runs), its process group and all their descendants."""
    table = processes()
    members = {p for p, (_, pgid, _) in table.items() if p == pid or pgid == pid}
    grew = True
    while grew:
        children = {p for p, (ppid, _, _) in table.items() if ppid in members} - members
        members |= children
        grew = bool(children)
    return {p: table[p][2] for p in members}


def orphans(zombies=False):
    """{pid: name} of processes handed to the driver (as subreaper) that it did not start."""
    me = os.getpid()
    return {p: name for p, (ppid, _, name) in processes(zombies).items() if ppid == me and p not in _started}


def kill_family(proc, timeout=10):
    """SIGKILLs a program with everything it started, reaps it and waits until all have exited
    (a killed server's children still hold its shared memory until they are gone)."""
    victims = family(proc.pid)
    for pid in victims:
        _kill(pid)
    try:
        proc.wait(timeout=timeout)
        _started.pop(proc.pid, None)
    except subprocess.TimeoutExpired:  # unkillable (stuck in the kernel): left for the exit cleanup
        pass
    wait_until(lambda: not victims.keys() & processes().keys(), timeout)


def reap_orphans(timeout=10):
    """Kills and reaps the driver's orphans: what programs that already exited left running.
    Only between programs: while several run at once an orphan may still belong to one of them."""
    for pid in orphans():
        _kill(pid)
    deadline = time.monotonic() + timeout
    for pid in orphans(zombies=True):
        while time.monotonic() < deadline:
            try:
                if os.waitpid(pid, os.WNOHANG)[0]:
                    break
            except ChildProcessError:
                break
            time.sleep(0.05)


def _kill(pid):
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


@atexit.register
def _kill_everything():
    for proc in list(_started.values()):
        if proc.poll() is None or family(proc.pid):
            kill_family(proc, timeout=2)
    reap_orphans(timeout=2)


def run(argv, timeout, env=None, cwd=None, user=None):
    """Runs a program to completion or kills it (and its children) after `timeout` seconds."""
    start = time.monotonic()
    proc = spawn(argv, subprocess.PIPE, env, cwd, user)
    try:
        out, _ = proc.communicate(timeout=timeout)
        code = proc.returncode
    except subprocess.TimeoutExpired:
        kill_family(proc)
        out, _ = proc.communicate()
        code = None
    kill_family(proc)  # what it left running (daemons, its own children)
    reap_orphans()
    return Finished(list(argv), code, out.decode("utf-8", "replace"), time.monotonic() - start)


def describe_status(code):
    """How a process ended, as a phrase: 'was killed by SIGSEGV', 'exited with status 1'."""
    return f"was killed by {signal.Signals(-code).name}" if code < 0 else f"exited with status {code}"


class Failure(Exception):
    """A check failed; the message says what happened, in one line."""


def wait_until(predicate, timeout, interval=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()
