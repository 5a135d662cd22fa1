#!/usr/bin/python3
"""Turns the corpus results (<results>/<case>.json, written by corpus.py) into Markdown tables:
programs x modes (works / known difference with its issue / FAIL, and throughput as a ratio to the
native run of the same case), and CPython's passing methods per module and mode.

    table.py RESULTS_DIR [--readme README.md] [--about TEXT]

With --readme, replaces the text between the corpus-table markers in that file; else prints.
"""
import argparse
import glob
import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from harness.modes import MODES  # noqa: E402

BEGIN, END = "<!-- corpus-table:begin -->", "<!-- corpus-table:end -->"
COLUMNS = [m.name for m in MODES]


def load(results_dir):
    cases = []
    for path in sorted(glob.glob(os.path.join(results_dir, "*.json"))):
        with open(path) as f:
            cases.append(json.load(f))
    if not cases:
        sys.exit(f"table.py: no results in {results_dir} (run ctest -L corpus first)")
    return cases


def rate(metrics):
    """The throughput a cell recorded (requests/s, TPS), or None."""
    values = [v for k, v in metrics.items() if k not in ("passed", "listed", "flaky", "run_s")]
    return values[0] if values else None


def verdict(cell, native_cell):
    outcome = cell["outcome"]
    issues = ", ".join(f"#{i}" for i in cell["issues"])
    if outcome in ("works", "works-listed"):
        mine, base = rate(cell["metrics"]), native_cell and rate(native_cell["metrics"])
        text = "works" + (f" {mine / base:.2f}×" if mine and base and cell["mode"] != "native" else "")
        if cell["mode"] == "native" and mine:
            text += f" ({mine:g}/s)"
        return text + (f" (still listed: {issues})" if outcome == "works-listed" else "")
    if outcome == "known":
        return f"known difference ({issues})"
    return {"FAIL": "**FAILS**", "not run": "not run"}.get(outcome, outcome)


def program_table(cases):
    lines = ["| program: check | " + " | ".join(COLUMNS) + " |", "|---" * (len(COLUMNS) + 1) + "|"]
    for case in cases:
        if case["case"].startswith("cpython/"):
            continue
        if case["skipped"]:
            lines.append(f"| {case['case']} | skipped: {case['skipped']} |" + " |" * (len(COLUMNS) - 1))
            continue
        checks = list(dict.fromkeys(c["check"] for c in case["cells"]))
        for check in checks:
            cells = {c["mode"]: c for c in case["cells"] if c["check"] == check}
            row = [verdict(cells[m], cells.get("native")) if m in cells else "" for m in COLUMNS]
            lines.append(f"| {case['case']}: {check} | " + " | ".join(row) + " |")
    return lines


def cpython_table(cases):
    lines = ["| CPython module | " + " | ".join(COLUMNS) + " |", "|---" * (len(COLUMNS) + 1) + "|"]
    totals = {m: 0 for m in COLUMNS}
    for case in cases:
        if not case["case"].startswith("cpython/"):
            continue
        module = case["case"].split("/", 1)[1]
        if case["skipped"]:
            lines.append(f"| {module} | skipped: {case['skipped']} |" + " |" * (len(COLUMNS) - 1))
            continue
        cells = {c["mode"]: c for c in case["cells"]}
        row = []
        for mode in COLUMNS:
            cell = cells.get(mode)
            if not cell:
                row.append("")
                continue
            passed = cell["metrics"].get("passed", 0)
            totals[mode] += passed
            text = str(passed)
            if cell["outcome"] == "known":
                text += f" ({cell['metrics'].get('listed', 0)} listed: {', '.join(f'#{i}' for i in cell['issues'])})"
            elif cell["outcome"] == "FAIL":
                text += " **FAILS**"
            row.append(text)
        lines.append(f"| {module} | " + " | ".join(row) + " |")
    lines.append("| **all** | " + " | ".join(f"**{totals[m]}**" for m in COLUMNS) + " |")
    return lines


def listed_but_working(cases):
    """The run's NOW WORKS / NOW PASSES notes: listed differences that did not show this time."""
    notes = set()
    for note in (n for c in cases for n in c["notes"]):
        works = re.match(r"NOW WORKS: (\S+) in (\S+) ", note) or re.match(r"NOW PASSES under (\S+): (\S+) ", note)
        if works:
            key, mode = works.groups() if note.startswith("NOW WORKS") else works.groups()[::-1]
            notes.add(f"`{key}` in {mode}")
    notes = sorted(notes)
    if not notes:
        return []
    return ["", "Listed as known differences but worked in this run (intermittent, or fixed: then the line goes):",
            "", *[f"- {n}" for n in notes]]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("results")
    parser.add_argument("--readme", help="file whose corpus-table section is replaced")
    parser.add_argument("--about", default="", help="a line saying the machine, load and date")
    opts = parser.parse_args()
    cases = load(opts.results)
    text = "\n".join([
        BEGIN,
        f"Generated by `tests/corpus/table.py` from `ctest -L corpus` ({len(cases)} cases). {opts.about}".rstrip(),
        "",
        *program_table(cases),
        "",
        "CPython's tests: methods that pass natively, and how many of those pass in each mode "
        "(listed: known differences, with the issues that remove them).",
        "",
        *cpython_table(cases),
        *listed_but_working(cases),
        END,
    ])
    if not opts.readme:
        print(text)
        return
    with open(opts.readme) as f:
        readme = f.read()
    if BEGIN not in readme or END not in readme:
        sys.exit(f"table.py: {opts.readme} has no {BEGIN} ... {END} section")
    readme = re.sub(re.escape(BEGIN) + ".*?" + re.escape(END), lambda _: text, readme, flags=re.S)
    with open(opts.readme, "w") as f:
        f.write(readme)


if __name__ == "__main__":
    main()
