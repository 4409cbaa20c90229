"""``python -m verify PATHS``: run case files, print a line per case, write reports.

``python -m verify new NAME`` writes a commented case-file template. Only
argparse is imported at start, so ``--help`` is instant; SymPy, pandas and
matplotlib load when a run needs them. On a terminal (and not under CI) a
tqdm progress bar shows the cases done.
"""
from __future__ import annotations

import argparse
import gc
import os
import signal
import sys
from contextlib import ExitStack, contextmanager

from verify import __version__
from verify.core.result import is_load_error, rows_of
from verify.core.status import EXIT_INTERRUPTED, EXIT_NO_CASES, count, is_bad, status_of
from verify.core.run_options import DEFAULT_MEMORY_MB, DEFAULT_TIMEOUT, RunOptions
from verify.templates import write_template

EXAMPLE = """\
example:
  python -m verify cases/                     run every case file under cases/
  python -m verify cases/lab.yaml --out out/  one file, reports in out/
  python -m verify cases/ -k chain            only cases whose id contains 'chain'
  python -m verify cases/ --jobs 2 --timeout 60
  python -m verify cases/ --dask tcp://10.0.0.5:8786   on a running Dask cluster
  python -m verify new my_cases               write my_cases.yaml, a commented template
  pytest cases/                               the same cases as pytest tests

exit status: 0 all passed (inconclusive and skipped rows allowed), 1 a
comparison failed, 2 a case could not be read or run (an 'error' row),
5 no cases found, 130 interrupted. Reports: DIR/results.csv,
summary.csv, report.html (default DIR: reports/).
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="verify", usage="%(prog)s [options] PATH [PATH ...]\n       %(prog)s new NAME",
        description="Check numeric derivatives, gradients, backprop, Taylor "
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
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, metavar="S",
                        help=f"time limit per case in seconds (default {DEFAULT_TIMEOUT:g}; 0: no limit, "
                             "run in this process)")
    parser.add_argument("--memory-mb", type=int, default=DEFAULT_MEMORY_MB, metavar="MB",
                        help=f"memory cap per worker process (default {DEFAULT_MEMORY_MB})")
    parser.add_argument("--dask", metavar="ADDRESS",
                        help="run the cases on the Dask cluster whose scheduler is at ADDRESS "
                             "(tcp://HOST:PORT), with the same limits; needs verify[dask]")
    parser.add_argument("--allow-import", action="store_true",
                        help="import the user code named by 'implementation' keys")
    parser.add_argument("--allow-outside-data", action="store_true",
                        help="let a data csv path leave its case file's folder")
    parser.add_argument("--version", action="version", version=f"verify {__version__}")
    return parser


def new_template(argv) -> int:
    """``verify new NAME``: write NAME.yaml, a case file that loads and passes."""
    parser = argparse.ArgumentParser(prog="verify new",
                                     description="Write NAME.yaml, a commented case-file template.")
    parser.add_argument("name", metavar="NAME", help="file to write (.yaml is added)")
    args = parser.parse_args(argv)
    try:
        path = write_template(args.name)
    except (FileExistsError, OSError) as exc:
        print(f"verify new: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {path}; run it with: python -m verify {path}")
    return 0


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["new"]:  # a folder called 'new' is still reachable as ./new
        return new_template(argv[1:])
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.jobs is not None and args.jobs < 1:
        parser.error("`--jobs` must be at least 1.")
    if args.timeout < 0:
        parser.error("`--timeout` must be non-negative.")
    options = RunOptions(allow_import=args.allow_import,
                         allow_outside_data=args.allow_outside_data,
                         timeout=args.timeout, memory_mb=args.memory_mb)
    # SIGTERM ends a run like Ctrl-C: the cases that finished are written
    previous = _on_sigterm(_interrupt)
    try:
        with _one_blas_thread(), _engines_frozen():
            return _run(args, options)
    finally:
        _on_sigterm(previous)


def _on_sigterm(handler):
    """Install ``handler`` for SIGTERM where we can (the main thread); return the old one."""
    try:
        return signal.signal(signal.SIGTERM, handler) if handler is not None else None
    except ValueError:
        return None


@contextmanager
def _one_blas_thread():
    """OpenBLAS at one thread for the run, unless the caller chose (then put
    back as it was): a run's parallelism is its workers, which inherit it, and
    the pool NumPy would start costs a tenth of a second of CPU at import (in
    the serial part of a run), then contends with the workers for the cores."""
    chosen = "OPENBLAS_NUM_THREADS" in os.environ
    if not chosen:
        os.environ["OPENBLAS_NUM_THREADS"] = "1"
    try:
        yield
    finally:
        if not chosen:
            os.environ.pop("OPENBLAS_NUM_THREADS", None)


@contextmanager
def _engines_frozen():
    """The engines imported (SymPy, NumPy, the checks), then their objects
    moved out of the collector's way for the run, as Python advises before
    fork: neither this process nor the workers forked from it walk them at
    each full collection (about a third of this process's CPU while the
    workers ran), and the workers do not copy their pages by touching them.
    Put back after."""
    import verify.report.writer  # noqa: F401 - what _run imports, before the freeze
    import verify.runner  # noqa: F401
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def _run(args, options) -> int:
    # the engines (SymPy, NumPy, pandas) load here, not at --help
    from verify.core.status import exit_code
    from verify.report import write_reports
    from verify.report.writer import MATH_CAP, prepare, prepare_formula
    from verify.runner import load, run_all
    jobs = args.jobs or os.cpu_count() or 1
    try:  # --jobs caps the processes that read the files too
        loaded = load(args.paths, options, jobs=jobs, meanwhile=prepare).select(args.select)
    except KeyboardInterrupt:
        print("interrupted while loading the cases: no case ran", file=sys.stderr)
        write_reports(args.out, [], [], interrupted=True,
                      meta={"paths": [str(p) for p in args.paths]})
        return EXIT_INTERRUPTED
    if not loaded.order:  # pytest's exit 5: nothing found, or -k selected nothing
        where = f" matching -k '{args.select}'" if args.select else ""
        print(printable(f"no cases found{where} in {', '.join(map(str, args.paths))} (exit 5)"),
              file=sys.stderr)
        return EXIT_NO_CASES
    runs, interrupted = [], False

    def failed(entry):
        rows = rows_of(entry)
        return args.fail_fast and any(is_bad(r.status) for r in rows)

    bar = None if args.quiet else progress_bar(len(loaded.order))
    write = bar.write if bar is not None else print

    def say(line):
        write(printable(line))
    deferred, pressed = ExitStack(), None
    try:
        cases = {case.id: case for case in loaded.cases[:MATH_CAP]}
        for entry in run_all(loaded, options, jobs=jobs, stop=failed, dask=args.dask):
            runs.append(entry)
            if bar is not None:
                bar.update(1)
            _print_entry(entry, args.quiet, say)
            if not is_load_error(entry) and entry.case_id in cases:
                case = cases.pop(entry.case_id)
                if entry.formula_html is None:  # the worker printed none
                    # printed while the workers run the next cases, not after the last one
                    prepare_formula(case)
    except KeyboardInterrupt:
        pressed = deferred.enter_context(_interrupts_deferred())  # first: a second is held
        interrupted = True
        print("interrupted: writing the reports of the cases that finished", file=sys.stderr)
    except RuntimeError as exc:
        from verify.distributed import DaskUnavailable  # loaded by run_all already
        if not isinstance(exc, DaskUnavailable):
            raise
        print(f"verify: {exc}", file=sys.stderr)
        return 2
    finally:
        if bar is not None:
            bar.close()
    if pressed is None:
        pressed = deferred.enter_context(_interrupts_deferred())
    results = [r for entry in runs for r in rows_of(entry)]
    with deferred:
        write_reports(args.out, results, [entry for entry in runs if not is_load_error(entry)],
                      interrupted=interrupted, meta={"paths": [str(p) for p in args.paths]})
    interrupted = interrupted or bool(pressed)
    status = EXIT_INTERRUPTED if interrupted else exit_code(results)
    _print_total(runs, results, args.out, status)
    return status


def progress_bar(total):
    """A tqdm bar on stderr, only on a terminal and not under CI; else None."""
    if os.environ.get("CI") or not (sys.stdout.isatty() and sys.stderr.isatty()):
        return None
    from tqdm import tqdm  # a dependency, imported here to keep --help fast
    return tqdm(total=total, unit="case", file=sys.stderr, leave=False, dynamic_ncols=True)


def _print_entry(entry, quiet, say=print):
    if quiet:
        return
    if is_load_error(entry):
        say(f"ERROR {entry.message}")
        return
    rows = entry.results
    say(f"{status_of(rows).upper():<5} {entry.case_id}  ({_counts_text(rows)})")
    for r in rows:
        if is_bad(r.status):
            where = " ".join(x for x in (r.check, r.method, r.quantity, r.point and f"at {r.point}") if x)
            say(f"      {r.status}: {where}: {r.message}")


def _counts_text(rows) -> str:
    counts = count(rows)
    return ", ".join(f"{n} {label}" for n, label in (
        (counts["pass"], "passed"), (counts["fail"], "failed"), (counts["error"], "errors"),
        (counts["inconclusive"], "inconclusive"), (counts["skip"], "skipped")))


def _print_total(runs, results, out, status):
    errors = [entry for entry in runs if is_load_error(entry)]
    cases = len(runs) - len(errors)
    unread = len({row.file for row in errors if not row.case})
    bad_cases = sum(bool(row.case) for row in errors)
    parts = [_count(cases + bad_cases, "case")]
    if unread:
        parts.append(f"{_count(unread, 'file')} that could not be read")
    out = printable(out)
    print(f"{', '.join(parts)}, {_count(len(results), 'comparison')}: {_counts_text(results)}; "
          f"reports in {out}/ (exit {status})")


def _interrupt(signum, frame):
    raise KeyboardInterrupt


@contextmanager
def _interrupts_deferred():
    """While the reports are written, Ctrl-C (or SIGTERM) is noted, not raised:
    a second Ctrl-C must not lose the cases the first one kept. Pressed twice
    while writing, it ends the run at once (for a writer that hangs)."""
    pressed = []

    def note(signum, frame):
        pressed.append(signum)
        if len(pressed) >= 2:
            raise KeyboardInterrupt
        print("interrupt noted: finishing the reports first (press Ctrl-C again to abandon "
              "them)", file=sys.stderr)
    try:
        previous = [(sig, signal.signal(sig, note)) for sig in (signal.SIGINT, signal.SIGTERM)]
    except ValueError:  # not the main thread: signals cannot reach us here anyway
        previous = []
    try:
        yield pressed
    finally:
        for sig, handler in previous:
            signal.signal(sig, handler)


_CONTROL = {c: f"\\x{c:02x}" for c in (*range(0x20), 0x7f)} | {0x0a: "\\n", 0x0d: "\\r",
                                                               0x09: "\\t"}
_CONTROL |= {c: f"\\x{c:02x}" for c in range(0x80, 0xa0)}


def printable(text: str) -> str:
    """``text`` with control characters escaped (``\\r``, ``\\x1b``), so a file or
    case name cannot move the cursor or overwrite a line on the terminal."""
    return str(text).translate(_CONTROL)


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" + ("" if number == 1 else "s")


if __name__ == "__main__":
    sys.exit(main())
