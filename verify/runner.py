"""The one runner behind the CLI, the pytest plugin and the Python API.

``load`` turns paths into cases (and located load errors); ``run_case``
runs one case into Result rows and never raises: a case that breaks
becomes an ``error`` row and the others go on.
"""
from __future__ import annotations

import traceback
from dataclasses import dataclass, field

from .checks import RUNNERS
from .checks.common import RunOptions
from .checks.expected import expectation_rows
from .compare import Result, error_row, where
from .loading import CaseError, find_files, read_nodes

__all__ = ["Loaded", "RunOptions", "load", "run_case", "run_cases"]


@dataclass(frozen=True)
class Loaded:
    """The cases of a run, and the rows for what could not be read."""

    cases: tuple = ()
    errors: tuple[Result, ...] = ()
    order: tuple = field(default=())  # ("case", case) or ("error", row) in file order


def load(paths, options: RunOptions = RunOptions()) -> Loaded:
    from .cases import build_case  # SymPy loads here, not at --help
    order, seen = [], {}
    for path, shown, source in find_files(paths):
        if not path.exists():
            order.append(("error", _load_error(CaseError("no such file or folder", file=shown))))
            continue
        try:
            nodes = read_nodes(path, shown)
        except CaseError as exc:
            order.append(("error", _load_error(exc)))
            continue
        for node in nodes:
            try:
                case = build_case(node, source, allow_outside_data=options.allow_outside_data)
            except CaseError as exc:
                order.append(("error", _load_error(exc.located(file=shown))))
                continue
            if case.id in seen:
                order.append(("error", _load_error(CaseError(
                    f"duplicate case id '{case.id}' (first at line {seen[case.id]})",
                    file=shown, line=case.line, case=case.name, key="name"))))
                continue
            seen[case.id] = case.line
            order.append(("case", case))
    return Loaded(cases=tuple(c for kind, c in order if kind == "case"),
                  errors=tuple(r for kind, r in order if kind == "error"),
                  order=tuple(order))


def _load_error(exc: CaseError) -> Result:
    return Result(file=exc.file, case=exc.case or "", check="load", status="error",
                  message=exc.render(), line=exc.line or 0,
                  case_id=f"{exc.file}::{exc.case}" if exc.case else exc.file)


def run_case(case, options: RunOptions = RunOptions()) -> list[Result]:
    """All rows of one case: expectations, then each check in order."""
    try:
        rows = list(expectation_rows(case))
    except Exception as exc:  # noqa: BLE001 - one bad case never stops the others
        rows = [_crash(case, "expect", exc)]
    for check in case.checks:
        runner = RUNNERS.get(check.name)
        if runner is None:
            rows.append(error_row(where(case, check.name, check.line),
                                  f"check '{check.name}' is not available yet in this version "
                                  "of verify"))
            continue
        try:
            rows.extend(runner(case, check, options))
        except Exception as exc:  # noqa: BLE001
            rows.append(_crash(case, check.name, exc, check.line))
    return rows


def _crash(case, check, exc, line=None) -> Result:
    last = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
    at = f" (at {last.filename.rsplit('/', 1)[-1]}:{last.lineno})" if last else ""
    return error_row(where(case, check, line),
                     f"internal error while running the check: {type(exc).__name__}: {exc}{at}")


def run_cases(loaded: Loaded, options: RunOptions = RunOptions(), on_case=None) -> list[Result]:
    """Run every case in file order, sequentially; load errors keep their place."""
    results = []
    for kind, item in loaded.order:
        if kind == "error":
            results.append(item)
            rows = [item]
        else:
            rows = run_case(item, options)
            results.extend(rows)
        if on_case:
            on_case(item if kind == "case" else None, rows)
    return results
