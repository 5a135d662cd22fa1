"""A corpus case: checks run in each mode, each cell's outcome judged against the known-differences list.

Outcomes, per (check, mode) cell:
  works        the program did what it does natively
  known        it did not, and known_differences.txt lists why (the issue that removes it)
  FAIL         it did not, and nothing lists it: the case fails
  works-listed it worked although listed: reported prominently so the line can go; not a failure,
               since listed differences are often timing-dependent (a hang in one run of three)
  not run      an earlier check in the same mode did not work (see chain.py)
The case's exit status: 1 if any cell FAILs, 77 (ctest's SKIP_RETURN_CODE) if it could not run
at all, else 0. Results go to <results>/<case>.json for the README table.
"""
import contextlib
import json
import os
import pwd
import shutil
import tempfile
import time
from dataclasses import asdict, dataclass, field

from .process import Failure

SKIP_STATUS = 77


class Skip(Exception):
    """The case cannot run here (a package missing, not root, ...); the message says which."""


@dataclass
class Cell:
    case: str
    check: str
    mode: str
    outcome: str = "works"
    detail: str = ""
    issues: list = field(default_factory=list)
    metrics: dict = field(default_factory=dict)
    seconds: float = 0.0
    differences: dict = field(default_factory=dict)  # item -> how it differs (CPython: test id -> "hung")

    def metric(self, name, value):
        """Records a number for the README table (e.g. requests/s; compared with native's)."""
        self.metrics[name] = value

    def known_difference(self, issues, detail):
        """For a case that judges its own listed parts (CPython's methods): every difference is listed."""
        self.outcome, self.issues, self.detail = "known", sorted(issues), detail


class Case:
    def __init__(self, name, modes, known, grove_run, results_dir):
        self.name = name
        self.modes = modes
        self.known = known
        self.grove_run = grove_run
        self.results_dir = results_dir
        self.cells = []
        self.notes = []
        self.skipped = None
        self.started = time.monotonic()
        self.workdir = tempfile.mkdtemp(prefix=f"grove-corpus-{name.replace('/', '-')}-")
        os.chmod(self.workdir, 0o755)  # servers that drop to their own user read their configs here

    # -- requirements ---------------------------------------------------------------------------
    def require_programs(self, *programs):
        missing = [p for p in programs if not shutil.which(p)]
        if missing:
            raise Skip(f"not installed: {', '.join(missing)} (scripts/deps.sh installs them as root)")

    def require_user(self, name, package):
        try:
            pwd.getpwnam(name)
        except KeyError:
            raise Skip(f"no user {name} (package {package} creates it)") from None

    def require_root(self, why):
        if os.geteuid() != 0:
            raise Skip(f"needs root: {why}")

    # -- running --------------------------------------------------------------------------------
    def command(self, mode, argv):
        return mode.wrap(argv, self.grove_run)

    def path(self, *parts):
        return os.path.join(self.workdir, *parts)

    @contextlib.contextmanager
    def check(self, check, mode):
        """One cell: a Failure raised inside marks it failed (known or not); anything else is a harness bug."""
        cell = Cell(self.name, check, mode.name)
        start = time.monotonic()
        try:
            yield cell
        except Failure as failure:
            cell.outcome, cell.detail = "FAIL", str(failure)
        cell.seconds = round(cell.seconds + time.monotonic() - start, 1)
        self.judge(cell)

    def judge(self, cell):
        """Turns a cell's raw outcome into the reported one, using the known-differences list."""
        entry = None if cell.mode == "native" else self.known.find(f"{cell.case}/{cell.check}", cell.mode)
        if entry and cell.outcome == "FAIL":
            cell.outcome, cell.issues = "known", [entry.issue]
            cell.detail = f"{entry.describe()} [{cell.detail}]"
        elif entry and cell.outcome == "works":
            cell.outcome, cell.issues = "works-listed", [entry.issue]
            self.note(f"NOW WORKS: {cell.case}/{cell.check} in {cell.mode} is listed as a known difference "
                      f"({self.known.path}:{entry.line}, issue {entry.issue}): remove the line if the fix landed")
        self.cells.append(cell)
        metrics = "".join(f" {k}={v:g}" for k, v in cell.metrics.items())
        print(f"[{cell.outcome}] {cell.case}/{cell.check} {cell.mode} ({cell.seconds:g} s){metrics}"
              + (f": {cell.detail}" if cell.detail and cell.outcome != "works" else ""), flush=True)

    def setup_failed(self, detail):
        self.cells.append(Cell(self.name, "set-up", "native", "FAIL", detail))
        print(f"[FAIL] {self.name} set-up: {detail}", flush=True)

    def note(self, text):
        self.notes.append(text)
        print(text, flush=True)

    # -- the end --------------------------------------------------------------------------------
    def remove_workdir(self):
        shutil.rmtree(self.workdir, ignore_errors=True)

    def finish(self):
        """Writes the results file, prints the summary, returns the exit status."""
        seconds = round(time.monotonic() - self.started, 1)
        os.makedirs(self.results_dir, exist_ok=True)
        with open(os.path.join(self.results_dir, self.name.replace("/", "_") + ".json"), "w") as f:
            json.dump({"case": self.name, "seconds": seconds, "skipped": self.skipped, "notes": self.notes,
                       "modes": [m.name for m in self.modes], "cells": [asdict(c) for c in self.cells]},
                      f, indent=1)
        if self.skipped:
            print(f"SKIPPED {self.name}: {self.skipped}")
            return SKIP_STATUS
        failed = [c for c in self.cells if c.outcome == "FAIL"]
        for note in self.notes:
            print(note)
        print(f"{self.name}: {len(self.cells)} cells, {len(failed)} failed, "
              f"{sum(c.outcome == 'known' for c in self.cells)} known differences, {seconds} s")
        for c in failed:
            print(f"FAILED {c.case}/{c.check} in {c.mode}: {c.detail}")
        return 1 if failed else 0
