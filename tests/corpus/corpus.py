#!/usr/bin/python3
"""Runs one corpus case: a real program natively and under grove-run, compared.

    corpus.py [--modes all] [--grove-run PATH] [--results DIR] CASE [ARG...]

CASE names a file in cases/ (cpython takes the stdlib test module as ARG). Exit status: 0 when
every cell works or is a listed known difference, 1 when one fails, 77 when the case cannot run
here (ctest shows it as skipped, with the reason).
"""
import argparse
import importlib
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from harness import modes  # noqa: E402
from harness.case import Case, Skip  # noqa: E402
from harness.known import KnownList  # noqa: E402
from harness.process import Failure  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--modes", default="all", help="comma list of native, w1, w2, fibers1, fibers2, "
                        "or os, fibers, grove, all (native always runs: it is the reference)")
    parser.add_argument("--grove-run", default=os.path.join(HERE, "../../build/bin/grove-run"))
    parser.add_argument("--results", default="corpus-results", help="folder for <case>.json")
    parser.add_argument("--known", default=os.path.join(HERE, "known_differences.txt"))
    parser.add_argument("--name", help="the case's name in results and known_differences.txt "
                        "(default: CASE, or CASE/<first argument's file name>)")
    parser.add_argument("case")
    parser.add_argument("args", nargs=argparse.REMAINDER, help="the case's arguments (everything after CASE)")
    opts = parser.parse_args()
    try:
        chosen = modes.parse(opts.modes)
        known = KnownList(opts.known)
        case_module = importlib.import_module(f"cases.{opts.case}")
    except (ValueError, ModuleNotFoundError) as e:
        parser.error(str(e))
    chosen = [modes.NATIVE] + [m for m in chosen if not m.native]
    grove_run = os.path.abspath(opts.grove_run)
    if not os.access(grove_run, os.X_OK):
        parser.error(f"--grove-run {grove_run}: not an executable (build grove first)")
    name = opts.name or "/".join([opts.case] + [os.path.basename(a) for a in opts.args[:1]])
    case = Case(name, chosen, known, grove_run, opts.results)
    try:
        case_module.main(case, *opts.args)
    except Skip as why:
        case.skipped = str(why)
    except Failure as failure:  # outside any check: the case's native set-up went wrong
        case.setup_failed(str(failure))
    except KeyboardInterrupt as why:  # Ctrl-C or SIGTERM: what it started is killed at exit
        print(f"{case.name}: interrupted ({why})", file=sys.stderr)
        return 130
    finally:
        case.remove_workdir()
    return case.finish()


if __name__ == "__main__":
    sys.exit(main())
