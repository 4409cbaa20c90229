"""The one runner behind the CLI, the pytest plugin and the Python API.

``load`` turns paths into cases (and located load errors); ``run_case``
runs one case into a :class:`CaseRun` and never raises: a check that
breaks becomes an ``error`` row and the others go on. ``run_all`` runs
many cases, in this process or in worker processes with a hard time limit
per case (see :mod:`verify.workers`), and returns them in file order.
"""
from __future__ import annotations

import traceback
from dataclasses import dataclass, field

from verify.checks import runner_for
from verify.checks.common import Artifacts, RunOptions
from verify.checks.compare import Result, error_row, skip_row, where
from verify.input.building import load_error
from verify.input.files import find_files
from verify.input.loading import CaseError

__all__ = ["CaseRun", "Loaded", "RunOptions", "load", "run_case", "run_all"]


@dataclass(frozen=True)
class Loaded:
    """The cases of a run, and the rows for what could not be read, in file order:
    ``order`` holds ``("case", Case)`` and ``("error", Result)`` entries."""

    order: tuple = ()

    @property
    def cases(self):
        return tuple(item for kind, item in self.order if kind == "case")

    @property
    def errors(self):
        return tuple(item for kind, item in self.order if kind == "error")

    def select(self, pattern: str | None) -> "Loaded":
        """Only the cases whose id contains ``pattern`` (load errors stay)."""
        if not pattern:
            return self
        return Loaded(tuple((k, i) for k, i in self.order if k == "error" or pattern in i.id))


@dataclass(frozen=True)
class CaseRun:
    """Everything one case produced: its rows, extra tables and figure data."""

    case_id: str
    results: tuple[Result, ...]
    tables: tuple = ()    # ((table name, (row dict, ...)), ...)
    figures: tuple = ()   # ((kind, title, data[, drawn HTML fragment]), ...)
    seconds: float = 0.0
    case: object = field(default=None, compare=False)


def load(paths, options: RunOptions = RunOptions(), *, jobs: int | None = None) -> Loaded:
    """The cases of ``paths`` and the rows of what could not be read or built.

    With a time limit, files are read and cases built in worker processes
    under the run's limits (see :mod:`verify.input.building`); here only the file
    list is made, so this process stays small whatever the input.
    """
    import os

    from verify.input import cases  # noqa: F401 - SymPy loads here (not at --help), before workers fork
    from verify.input.building import entries_in_process, entries_in_workers
    slots, jobs_to_read = [], []
    for path, shown, source, refused in find_files(paths, options.allow_outside_data):
        if refused:
            slots.append(load_error(CaseError(refused, file=shown)))
            continue
        slots.append(len(jobs_to_read))
        jobs_to_read.append((path, shown, source, 0))
    if options.timeout and jobs_to_read:
        workers = jobs if jobs is not None else (os.cpu_count() or 1)
        reports = entries_in_workers(jobs_to_read, options, workers=max(1, workers))
    else:
        reports = entries_in_process(jobs_to_read, options)
    order, seen = [], {}
    for slot in slots:
        if isinstance(slot, Result):
            order.append(("error", slot))
            continue
        for kind, _, item in reports[slot]:
            if kind == "error":
                order.append(("error", item))
                continue
            case = item
            if case.id in seen:
                order.append(("error", load_error(CaseError(
                    f"duplicate case id '{case.id}' (first at line {seen[case.id]})",
                    file=case.file, line=case.line, case=case.name, key="name"))))
                continue
            seen[case.id] = case.line
            order.append(("case", case))
    return Loaded(tuple(order))


def run_case(case, options: RunOptions = RunOptions()) -> CaseRun:
    """All rows of one case: expectations, then each check in order."""
    import time

    from verify.checks.expected import expectation_rows
    started = time.perf_counter()
    artifacts = Artifacts()
    try:
        rows = list(expectation_rows(case))
    except Exception as exc:  # noqa: BLE001 - one bad case never stops the others
        rows = [_crash(case, "expect", exc)]
    if case.implementation:
        rows.extend(_implementation_rows(case, options, artifacts))
    for check in case.checks:
        try:
            runner = runner_for(check.name)
            if runner is None:
                rows.append(error_row(where(case, check.name, check.line),
                                      f"check '{check.name}' is not available yet in this "
                                      "version of verify"))
                continue
            produced = list(runner(case, check, options, artifacts))
            rows.extend(produced or [_nothing_compared(case, check)])
        except Exception as exc:  # noqa: BLE001
            rows.append(_crash(case, check.name, exc, check.line))
    if not rows:  # a case never vanishes from the reports (CASES.md v1.1)
        rows.append(skip_row(where(case, "checks", case.line_of("checks")),
                             "no comparison: the case lists no check and no expectation"))
    return CaseRun(case.id, tuple(rows),
                   tuple((name, tuple(table)) for name, table in artifacts.tables.items()),
                   tuple(artifacts.figures), time.perf_counter() - started, case)


def _nothing_compared(case, check) -> Result:
    """The row of a check that produced no comparison, saying why."""
    if check.given("methods") and not check.option("methods"):
        why = "its 'methods' list is empty"
    elif not case.points:
        why = "the case has no point"
    elif not case.variables:
        why = "the function has no variable to differentiate"
    else:
        why = "nothing applied at these points"
    return skip_row(where(case, check.name, check.line), f"no comparison: {why}")


def _implementation_rows(case, options, artifacts):
    """The user's own code (``implementation:``) against the exact results."""
    import importlib
    line = case.line_of("implementation")
    try:
        module = importlib.import_module("verify.checks.implementation")
    except ModuleNotFoundError as exc:
        if exc.name != "verify.checks.implementation":
            raise
        return [error_row(where(case, "implementation", line),
                          "checking 'implementation' code is not available yet in this version")]
    try:
        return list(module.implementation_rows(case, options, artifacts))
    except Exception as exc:  # noqa: BLE001
        return [_crash(case, "implementation", exc, line)]


def _crash(case, check, exc, line=None) -> Result:
    from verify.exact.symbolic import DerivativeTooLarge
    if isinstance(exc, DerivativeTooLarge):  # a limit the case hit, not a bug: say which
        return error_row(where(case, check, line), str(exc))
    last = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
    at = f" (at {last.filename.rsplit('/', 1)[-1]}:{last.lineno})" if last else ""
    return error_row(where(case, check, line),
                     f"internal error while running the check: {type(exc).__name__}: {exc}{at}")


def limit_row(case, message: str) -> CaseRun:
    """The run of a case that a limit (time, memory) stopped."""
    row = error_row(where(case, "run"), message)
    return CaseRun(case.id, (row,), case=case)


def run_all(loaded: Loaded, options: RunOptions = RunOptions(), *, jobs: int = 1,
            on_result=None, stop=None, dask: str | None = None):
    """Run every case; yields ``("error", Result)`` and ``("case", CaseRun)`` in file order.

    ``jobs`` > 1, or a finite ``options.timeout``, runs cases in worker
    processes (a stuck case is ended, not waited for). ``stop(entry)``
    returning true ends the run early (``--fail-fast``). ``dask`` (a scheduler
    address) runs the cases on that Dask cluster instead (:mod:`verify.distributed`).
    """
    from verify.workers import run_in_workers
    cases = loaded.cases
    if dask:
        from verify.distributed import run_on_dask
        done = run_on_dask(cases, options, address=dask)
    elif jobs <= 1 and not options.timeout:
        done = (run_case(case, options) for case in cases)
    else:
        done = run_in_workers(cases, options, jobs=max(1, jobs))
    done = iter(done)
    for kind, item in loaded.order:
        entry = (kind, item) if kind == "error" else ("case", next(done))
        if on_result:
            on_result(entry)
        yield entry
        if stop and stop(entry):
            close = getattr(done, "close", None)
            if close:
                close()
            return
