"""CPython's own tests for one stdlib module (Debian's python3 and its test package), natively and
under grove in every mode at once; the SET of passing test methods in each grove mode is compared
with the native run's.

A method that passes natively and not under grove fails the case unless known_differences.txt
lists it (`cpython/<test id>`). Unlisted methods that failed (not hung) are run once more on their
own in that mode first, so a method that only failed under load is reported as flaky instead.
Each run is watched: a test that produces no result for CORPUS_STALL_SECONDS is a hang; the
process is killed, the test recorded as hung and the module resumed after it.
"""
import concurrent.futures
import itertools
import os
import signal
import time
from dataclasses import dataclass, field

from harness.case import Skip
from harness.process import Failure, kill_family, reap_orphans, spawn, stopping

PYTHON = "/usr/bin/python3"
TEST_DIR = "/usr/lib/python3.11/test"
RUNNER = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "cpython_runner.py")
REGRTEST_ARGS = ["-u", "network"]  # the only resource these modules ask for (loopback servers)
STALL_SECONDS = float(os.environ.get("CORPUS_STALL_SECONDS", "60"))
BUDGET_SECONDS = float(os.environ.get("CORPUS_MODULE_BUDGET", "480"))  # per mode, resumes included
# Not run in any mode: they hang natively on the machines this runs on, so they say nothing about grove.
ENVIRONMENT = {
    "test.test_socket.ThreadedVSOCKSocketStreamTest.*": "the VM's vsock device accepts no loopback connection",
}
OK = {"pass", "xfail"}
BAD = {"fail", "error", "upass"}


@dataclass
class ModuleRun:
    """One mode's outcome: each test id's events, tests that hung or crashed, process-level problems."""
    mode: str
    events: dict = field(default_factory=dict)  # test id -> {"pass", "fail", "skip", ...}
    stopped: dict = field(default_factory=dict)  # test id -> "hung" / "crashed: SIGSEGV" / "died: exit 2"
    seconds_in: dict = field(default_factory=dict)  # test id -> seconds from its start to its outcome
    problems: list = field(default_factory=list)
    seconds: float = 0.0

    def ok(self):
        return {t for t, ev in self.events.items() if ev & OK and not ev & BAD}

    def failed_quickly(self, test):
        """Ran to an outcome (no hang, no crash): worth a second run before calling it a difference."""
        return test in self.events and test not in self.stopped

    def why(self, test):
        if test in self.stopped:
            return self.stopped[test]
        ev = self.events.get(test)
        if not ev:
            return "not run"
        return ("/".join(sorted(ev & BAD)) or "skipped") + f" after {self.seconds_in.get(test, 0):.0f} s"


class Runner:
    def __init__(self, case, module):
        self.case = case
        self.module = module
        self.serial = itertools.count(1)  # file names; next() is atomic, runs share it
        self.environment = [p for p in ENVIRONMENT if p.startswith(f"test.{module}.")]

    def file(self, mode, kind, lines=()):
        path = self.case.path(f"{self.module}.{mode.name}.{next(self.serial)}.{kind}")
        with open(path, "w") as f:
            f.writelines(line + "\n" for line in lines)
        return path

    def run(self, mode, ignore=(), only=None):
        """Runs the module (or only the given test ids) in `mode`, resuming after hangs and crashes."""
        result = ModuleRun(mode.name)
        start = time.monotonic()
        while True:
            skip = [*self.environment, *ignore, *result.events, *result.stopped]
            argv = [PYTHON, RUNNER, self.file(mode, "events"), *REGRTEST_ARGS,
                    "--ignorefile", self.file(mode, "ignore", skip)]
            if only is not None:
                argv += ["--matchfile", self.file(mode, "match", only)]
            budget = BUDGET_SECONDS - (time.monotonic() - start)
            in_progress, ended = self.watch(mode, argv + [self.module], argv[2], self.file(mode, "log"), result,
                                            budget)
            if ended == "exited":
                break
            if ended == "over budget":
                result.problems.append(f"stopped after {BUDGET_SECONDS:.0f} s (CORPUS_MODULE_BUDGET) "
                                       f"in {in_progress or 'its set-up'}")
                break
            if in_progress is None:
                result.problems.append(f"{ended} outside any test (set-up or exit)")
                break
            result.stopped[in_progress] = ended
        result.seconds = time.monotonic() - start
        return result

    def watch(self, mode, argv, events_path, log_path, result, budget):
        """Runs one process in `mode`; returns (test in progress, how it ended: exited / hung /
        crashed: SIG / died: exit N / over budget), recording each test's events as they come."""
        with open(log_path, "w") as log:
            proc = spawn(self.case.command(mode, argv), log)
        started = time.monotonic()
        offset, in_progress, last_event = 0, None, started
        while True:
            code = proc.poll()
            with open(events_path, "rb") as f:
                f.seek(offset)
                chunk = f.read()
            complete = chunk[:chunk.rfind(b"\n") + 1]
            offset += len(complete)
            for line in complete.decode("utf-8", "replace").splitlines():
                event, test, seconds = (line.split(" ", 3) + ["", ""])[:3]
                last_event = time.monotonic()
                if event == "shim":
                    if (test == "loaded") == mode.native:
                        kill_family(proc)
                        raise Failure(f"{self.module} in {mode.name}: grove's shim is {test} in the interpreter")
                elif event == "start":
                    in_progress = test
                else:
                    result.events.setdefault(test, set()).add(event)
                    result.seconds_in[test] = float(seconds)
                    if test == in_progress and event != "fail":  # a subtest's failure is not the end
                        in_progress = None
            if code is not None:
                kill_family(proc)
                if code >= 0 and in_progress is None:  # regrtest exits 2 when a test failed
                    return None, "exited"
                return in_progress, (f"crashed: {signal.Signals(-code).name}" if code < 0 else f"died: exit {code}")
            if stopping.is_set():  # Ctrl-C or SIGTERM: the main thread is unwinding
                kill_family(proc)
                raise Failure("interrupted")
            now = time.monotonic()
            if now - last_event > STALL_SECONDS or now - started > budget:
                kill_family(proc)
                return in_progress, "hung" if now - started <= budget else "over budget"
            time.sleep(0.5)


def main(case, module):
    case.require_programs(PYTHON)
    if not (os.path.exists(f"{TEST_DIR}/{module}.py") or os.path.isdir(f"{TEST_DIR}/{module}")):
        raise Skip(f"no {module} in {TEST_DIR} (package libpython3.11-testsuite)")
    runner = Runner(case, module)
    try:
        with concurrent.futures.ThreadPoolExecutor(len(case.modes)) as pool:
            futures = {m: pool.submit(runner.run, m, [] if m.native else case.known.hanging("cpython", m.name))
                       for m in case.modes}
            runs = {m.name: f.result() for m, f in futures.items()}
    finally:
        reap_orphans()
    native = runs["native"]
    reference = native.ok()
    with case.check("methods", case.modes[0]) as cell:
        cell.metric("passed", len(reference))
        cell.metric("run_s", round(native.seconds))
        if native.problems or native.stopped:
            raise Failure(f"the native run went wrong: {'; '.join(native.problems)} {native.stopped}")
    for mode in case.modes[1:]:
        compare(case, runner, mode, reference, runs[mode.name])
    for entry in case.known.entries:  # a line that names no test of this module is a typo or a removed test
        if entry.key.startswith(f"cpython/test.{module}.") and \
                not any(entry.matches("cpython/" + t, entry.modes[0]) for t in native.events):
            case.note(f"{case.known.path}:{entry.line}: {entry.key} names no test that ran natively")


def compare(case, runner, mode, reference, got):
    with case.check("methods", mode) as cell:
        cell.metric("run_s", round(got.seconds))
        missing = sorted(reference - got.ok())
        listed = {t: case.known.find(f"cpython/{t}", mode.name) for t in missing}
        unlisted = [t for t in missing if not listed[t]]
        retry = [t for t in unlisted if got.failed_quickly(t)]
        flaky = []
        if retry:
            again = runner.run(mode, only=retry)
            flaky = sorted(set(retry) & again.ok())
            for t in flaky:
                case.note(f"flaky under {mode.name}: {t} ({got.why(t)} once, passed when run again)")
            unlisted = [t for t in unlisted if t not in flaky]
        still_listed = [listed[t] for t in missing if listed[t]]
        cell.differences = {t: got.why(t) + (f" (listed: issue {listed[t].issue})" if listed[t] else "")
                            for t in missing if t not in flaky}
        cell.metric("passed", len(reference) - len(missing) + len(flaky))
        cell.metric("listed", len(still_listed))
        cell.metric("flaky", len(flaky))
        report_now_passing(case, mode, reference, got)
        problems = list(got.problems)
        if unlisted:
            shown = "; ".join(f"{t} ({got.why(t)})" for t in unlisted[:20])
            more = f" and {len(unlisted) - 20} more" if len(unlisted) > 20 else ""
            problems.append(f"{len(unlisted)} natively passing methods fail and are not listed: {shown}{more}")
        if problems:
            raise Failure("; ".join(problems))
        if still_listed:
            cell.known_difference({e.issue for e in still_listed}, f"{len(still_listed)} listed methods do not pass")


def report_now_passing(case, mode, reference, got):
    passed = got.ok()
    for entry in case.known.entries:
        if not entry.key.startswith("cpython/") or mode.name not in entry.modes or \
                (entry.hangs and not case.known.run_hangs):  # not run: nothing to say
            continue
        ids = [t for t in reference if entry.matches("cpython/" + t, mode.name)]
        if ids and all(t in passed for t in ids):
            case.note(f"NOW PASSES under {mode.name}: {entry.key} ({case.known.path}:{entry.line}, "
                      f"issue {entry.issue}): remove it from the list if the fix landed")
