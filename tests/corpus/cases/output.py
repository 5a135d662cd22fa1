"""A program's output and exit status in each mode, compared with its native run: for probe
programs that print one line per libc behaviour (the signals, any-program and thread-fiber issues
add theirs with `corpus_case(<ctest name> quick <timeout> output $<TARGET_FILE:probe>)`).

    corpus.py output PROGRAM [ARGS...]      (the case is named output/<program's file name>)
"""
import os

from harness.process import Failure, run

TIMEOUT = float(os.environ.get("CORPUS_OUTPUT_TIMEOUT", "60"))


def main(case, program, *args):
    case.require_programs(program)
    argv = [program, *args]
    native = run(argv, timeout=TIMEOUT)
    for mode in case.modes:
        with case.check("output", mode):
            done = native if mode.native else run(case.command(mode, argv), timeout=TIMEOUT)
            if done.timed_out:
                raise Failure(done.describe())
            if mode.native:
                continue
            if (done.returncode, done.output) != (native.returncode, native.output):
                raise Failure(f"differs from the native run: {first_difference(native, done)}")


def first_difference(native, done):
    if done.returncode != native.returncode:
        return f"exit status {done.returncode}, natively {native.returncode}"
    ours, theirs = done.output.splitlines(), native.output.splitlines()
    for number, (a, b) in enumerate(zip(ours, theirs), 1):
        if a != b:
            return f"line {number}: {a!r}, natively {b!r}"
    return f"{len(ours)} lines, natively {len(theirs)}"
