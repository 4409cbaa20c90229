"""``python -m verify PATHS``: run case files, print a line per case, write reports.

Only argparse is imported at start, so ``--help`` is instant; SymPy, pandas
and matplotlib load when a run needs them.
"""
from __future__ import annotations

import argparse
import sys

EXAMPLE = """\
example:
  python -m verify cases/                     run every case file under cases/
  python -m verify cases/lab.yaml --out out/  one file, reports in out/
  python -m verify cases/ -k chain            only cases whose id contains 'chain'

exit status: 0 all passed, 1 a comparison failed, 2 a case could not be read
or run (an 'error' row), 130 interrupted. Reports: DIR/results.csv,
summary.csv, report.html (default DIR: reports/).
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="verify", description="Check numeric derivatives, gradients, backprop, Taylor "
        "series and gradient descent against exact symbolic results.",
        epilog=EXAMPLE, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("paths", nargs="+", metavar="PATH", help="case files or folders")
    parser.add_argument("--out", default="reports", metavar="DIR",
                        help="folder for the reports (default: reports/)")
    parser.add_argument("-k", dest="select", metavar="PATTERN",
                        help="run only cases whose id contains PATTERN")
    parser.add_argument("--quiet", "-q", action="store_true", help="print only the total")
    parser.add_argument("--fail-fast", "-x", action="store_true",
                        help="stop after the first case that fails or errors")
    parser.add_argument("--jobs", "-j", type=int, default=None, metavar="N",
                        help="worker processes (default: the number of cores)")
    parser.add_argument("--timeout", type=float, default=120.0, metavar="S",
                        help="time limit per case in seconds (default 120; 0: no limit, "
                             "run in this process)")
    parser.add_argument("--memory-mb", type=int, default=4096, metavar="MB",
                        help="memory cap per worker process (default 4096)")
    parser.add_argument("--allow-import", action="store_true",
                        help="import the user code named by 'implementation' keys")
    parser.add_argument("--allow-outside-data", action="store_true",
                        help="let a data csv path leave its case file's folder")
    parser.add_argument("--version", action="version", version=f"verify {_version()}")
    return parser


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version
    try:
        return version("verify")
    except PackageNotFoundError:
        return "0.1.0"


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.jobs is not None and args.jobs < 1:
        parser.error("`--jobs` must be at least 1.")
    if args.timeout < 0:
        parser.error("`--timeout` must be non-negative.")
    import os

    from .checks.common import RunOptions
    from .compare import exit_status
    from .report import write_reports
    from .runner import load, run_all

    options = RunOptions(allow_import=args.allow_import,
                         allow_outside_data=args.allow_outside_data,
                         timeout=args.timeout, memory_mb=args.memory_mb)
    loaded = load(args.paths, options).select(args.select)
    jobs = args.jobs or os.cpu_count() or 1
    runs, interrupted = [], False

    def failed(entry):
        rows = [entry[1]] if entry[0] == "error" else entry[1].results
        return args.fail_fast and any(r.status in ("fail", "error") for r in rows)

    try:
        for entry in run_all(loaded, options, jobs=jobs, stop=failed):
            runs.append(entry)
            _print_entry(entry, args.quiet)
    except KeyboardInterrupt:
        interrupted = True
        print("interrupted: writing the reports of the cases that finished", file=sys.stderr)
    results = [r for kind, item in runs for r in ([item] if kind == "error" else item.results)]
    write_reports(args.out, results, [item for kind, item in runs if kind == "case"],
                  interrupted=interrupted, meta={"paths": [str(p) for p in args.paths]})
    status = 130 if interrupted else exit_status(results)
    _print_total(results, args.out, status)
    return status


def _print_entry(entry, quiet):
    kind, item = entry
    if quiet:
        return
    if kind == "error":
        print(f"ERROR {item.message}")
        return
    rows = item.results
    counts = {s: sum(r.status == s for r in rows) for s in ("pass", "fail", "error", "skip")}
    status = "ERROR" if counts["error"] else "FAIL " if counts["fail"] else "PASS "
    print(f"{status} {item.case_id}  ({counts['pass']} passed, {counts['fail']} failed, "
          f"{counts['error']} errors, {counts['skip']} skipped)")
    for r in rows:
        if r.status in ("fail", "error"):
            where = " ".join(x for x in (r.check, r.method, r.quantity, r.point and f"at {r.point}") if x)
            print(f"      {r.status}: {where}: {r.message}")


def _print_total(results, out, status):
    cases = {r.case_id for r in results}
    counts = {s: sum(r.status == s for r in results) for s in ("pass", "fail", "error", "skip")}
    print(f"{len(cases)} cases, {len(results)} comparisons: {counts['pass']} passed, "
          f"{counts['fail']} failed, {counts['error']} errors, {counts['skip']} skipped; "
          f"reports in {out}/ (exit {status})")


if __name__ == "__main__":
    sys.exit(main())
