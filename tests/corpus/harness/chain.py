"""Checks that run in order over every mode: a mode whose check did not work is not run in the
later ones (recorded as "not run", so only its first difference needs a known_differences line).

Throughput checks take turns: each round measures every mode once, so a change in the machine's
load (other builds starting or ending) touches all modes alike; the best round of each is recorded.
"""
import time

from .case import Cell
from .load import LOAD_ROUNDS
from .process import Failure


class Chain:
    def __init__(self, case, modes=None):
        self.case = case
        self.modes = list(modes or case.modes)
        self.stopped = {}  # mode name -> the check it did not pass

    def live(self):
        return [m for m in self.modes if m.name not in self.stopped]

    def each(self, check, step):
        """Runs step(cell, mode) as `check` in each live mode."""
        self._not_run(check)
        for mode in self.live():
            with self.case.check(check, mode) as cell:
                step(cell, mode)
            self._after(cell, mode)

    def measure(self, check, unit, rate):
        """Records `check` in each live mode with the best of LOAD_ROUNDS rate(mode) runs, taken in turns."""
        self._not_run(check)
        live = self.live()
        best, failures, seconds = {}, {}, dict.fromkeys((m.name for m in live), 0.0)
        for _ in range(LOAD_ROUNDS):
            for mode in (m for m in live if m.name not in failures):
                start = time.monotonic()
                try:
                    best[mode.name] = max(best.get(mode.name, 0), rate(mode))
                except Failure as failure:
                    failures[mode.name] = failure
                seconds[mode.name] += time.monotonic() - start
        for mode in live:
            with self.case.check(check, mode) as cell:
                cell.seconds = seconds[mode.name]
                if mode.name in failures:
                    raise failures[mode.name]
                cell.metric(unit, round(best[mode.name]))
            self._after(cell, mode)

    def _after(self, cell, mode):
        if not cell.outcome.startswith("works"):
            self.stopped[mode.name] = cell.check

    def _not_run(self, check):
        for mode in self.modes:
            if mode.name in self.stopped:
                self.case.cells.append(Cell(self.case.name, check, mode.name, "not run",
                                            f"after {self.stopped[mode.name]} did not work"))
