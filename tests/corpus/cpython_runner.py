"""Runs CPython's regrtest (argv after the stream path) and streams one line per test outcome.

Started by the corpus driver as `python3 cpython_runner.py STREAM regrtest-args...`, with the
interpreter under test (natively or under grove-run). Each line is
`<event> <test id> <seconds since the test started> [detail]`, written with one write() as it
happens, so a hang or crash keeps everything before it and the last `start` names the test in progress.
"""
import os
import sys
import time
import unittest.result

stream_fd = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC, 0o644)
with open("/proc/self/maps") as maps:  # the driver checks that grove's shim is loaded exactly when it should be
    os.write(stream_fd, b"shim %s\n" % (b"loaded" if "libgrove_preload.so" in maps.read() else b"absent"))


started = {}  # test id -> when it started


def emit(event, test, detail=""):
    now = time.monotonic()
    if event == "start":
        started[test.id()] = now
    line = f"{event} {test.id()} {now - started.get(test.id(), now):.2f}"
    if detail:
        line += " " + " ".join(str(detail).split())[:200]
    os.write(stream_fd, (line + "\n").encode("utf-8", "replace"))


def error_summary(err):
    exc = err[1]
    return f"{type(exc).__name__}: {exc}"


def record(name, event, detail=lambda *args: ""):
    original = getattr(unittest.result.TestResult, name)

    def recording(self, test, *args):
        text = detail(*args)
        if text is not None:
            emit(event, test, text)
        return original(self, test, *args)

    setattr(unittest.result.TestResult, name, recording)


record("startTest", "start")
record("addSuccess", "pass")
record("addFailure", "fail", error_summary)
record("addError", "error", error_summary)
record("addSkip", "skip", lambda reason: reason)
record("addExpectedFailure", "xfail", lambda err: "")
record("addUnexpectedSuccess", "upass")
# A failing subtest fails its method (recorded under the method's id); passing ones say nothing.
record("addSubTest", "fail", lambda subtest, err: error_summary(err) if err else None)

sys.argv = ["regrtest"] + sys.argv[2:]
from test.libregrtest import main  # noqa: E402  (after the patches, as regrtest imports unittest)

main()
