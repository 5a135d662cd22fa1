"""The known-differences list (known_differences.txt): what does not work under grove yet, and why.

One line per difference: `key modes issue kind cause...`, e.g.
    redis/server  grove  17  fails  redis-server crashes at start: ...
key is `case/check` (or `cpython/<test id>`; no spaces; fnmatch patterns allowed); modes a mode, a group
(grove, os, fibers) or a comma list; issue the number of the issue that removes it; kind `fails` or
`hangs` (a CPython test listed as hanging is not run in those modes unless CORPUS_RUN_KNOWN_HANGS=1).
Delete the line when the fix lands: the case then expects the program to work.
"""
import fnmatch
import os
from dataclasses import dataclass

from . import modes as modes_mod


@dataclass(frozen=True)
class Known:
    key: str
    modes: tuple
    issue: int
    hangs: bool
    cause: str
    line: int

    def matches(self, key, mode):
        return mode in self.modes and fnmatch.fnmatchcase(key, self.key)

    def describe(self):
        return f"issue {self.issue}: {self.cause}"


def load(path):
    entries = []
    with open(path) as f:
        for number, raw in enumerate(f, 1):
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            fields = line.split(None, 4)
            where = f"{path}:{number}"
            if len(fields) < 5:
                raise ValueError(f"{where}: expected 'key modes issue kind cause', got {line!r}")
            key, modes, issue, kind, cause = fields
            if kind not in ("fails", "hangs"):
                raise ValueError(f"{where}: kind {kind!r}: expected fails or hangs")
            if not issue.isdigit():
                raise ValueError(f"{where}: issue {issue!r}: expected the number of the issue that removes it")
            try:
                names = tuple(m.name for m in modes_mod.parse(modes))
            except ValueError as e:
                raise ValueError(f"{where}: {e}") from None
            if "native" in names:
                raise ValueError(f"{where}: native runs are the reference and cannot differ from themselves")
            entries.append(Known(key, names, int(issue), kind == "hangs", cause, number))
    return entries


class KnownList:
    def __init__(self, path):
        self.path = path
        self.entries = load(path)
        self.run_hangs = os.environ.get("CORPUS_RUN_KNOWN_HANGS") == "1"

    def find(self, key, mode):
        """The entry that lists `key` in `mode`, or None."""
        return next((e for e in self.entries if e.matches(key, mode)), None)

    def hanging(self, prefix, mode):
        """Patterns of keys under `prefix/` listed as hanging in `mode` (none with CORPUS_RUN_KNOWN_HANGS=1)."""
        if self.run_hangs:
            return []
        return [e.key[len(prefix) + 1:] for e in self.entries
                if e.hangs and mode in e.modes and e.key.startswith(prefix + "/")]
