"""One case, run: its expectations, its implementation, then each check in order.

:func:`run_case` never raises: a check that breaks becomes an ``error`` row
naming where it broke, and the others go on; a check that compares nothing
gets a ``skip`` row saying why, so no case vanishes from the reports.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

from verify.checks import runner_for
from verify.checks.common import Artifacts
from verify.core.result import exception_text
from verify.core.run_options import RunOptions
from verify.checks.compare import Result, error_row, skip_row, where
from verify.checks.expected import expectation_rows
from verify.checks.implementation import implementation_rows
from verify.exact.compiled import LimitReached
from verify.input.schema import SCALAR_CHECKS


@dataclass(frozen=True)
class CaseRun:
    """Everything one case produced: its rows, extra tables and figure data."""

    case_id: str
    results: tuple[Result, ...]
    tables: tuple = ()    # ((table name, (row dict, ...)), ...)
    figures: tuple = ()   # ((kind, title, data[, drawn HTML fragment]), ...)
    seconds: float = 0.0
    case: object = field(default=None, compare=False)
    # HTML the page shows, made where the case ran (verify.report.writer.draw_where_run)
    # so the parent only joins it; None: the page makes it itself
    table_html: str | None = field(default=None, compare=False)
    formula_html: str | None = field(default=None, compare=False)  # "": no formula


def run_case(case, options: RunOptions = RunOptions()) -> CaseRun:
    """All rows of one case: expectations, then each check in order."""
    started = time.perf_counter()
    artifacts = Artifacts()
    try:
        rows = list(expectation_rows(case))
    except Exception as exc:  # noqa: BLE001 - one bad case never stops the others
        rows = [_crash(case, "expect", exc)]
    if case.implementation:
        rows.extend(_implementation_rows(case, options, artifacts) if not case.outputs else
                    [_needs_scalar(case, "implementation", case.line_of("implementation"))])
    for check in case.checks:
        if case.outputs and check.name in SCALAR_CHECKS:
            rows.append(_needs_scalar(case, check.name, check.line))
            continue
        try:
            produced = list(runner_for(check.name)(case, check, options, artifacts))
            rows.extend(produced or [_nothing_compared(case, check)])
        except Exception as exc:  # noqa: BLE001
            rows.append(_crash(case, check.name, exc, check.line))
    if not rows:  # a case never vanishes from the reports (CASES.md v1.1)
        rows.append(skip_row(where(case, "checks", case.line_of("checks")),
                             "no comparison: the case lists no check and no expectation"))
    return CaseRun(case.id, tuple(rows),
                   tuple((name, tuple(table)) for name, table in artifacts.tables.items()),
                   tuple(artifacts.figures), time.perf_counter() - started, case)


def _needs_scalar(case, what, line) -> Result:
    names = [name for name, _ in case.outputs]
    return error_row(where(case, what, line),
                     f"'{what}' needs a scalar function; this function has {len(names)} outputs "
                     f"({', '.join(names)}): use the 'jacobian' check")


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
    line = case.line_of("implementation")
    try:
        return list(implementation_rows(case, options, artifacts))
    except Exception as exc:  # noqa: BLE001
        return [_crash(case, "implementation", exc, line)]


def _crash(case, check, exc, line=None) -> Result:
    if isinstance(exc, LimitReached):  # a limit the case hit, not a bug: say which
        return error_row(where(case, check, line), str(exc))
    return error_row(where(case, check, line),
                     f"internal error while running the check: {exception_text(exc)}")


def limit_row(case, message: str) -> CaseRun:
    """The run of a case that a limit (time, memory) stopped."""
    row = error_row(where(case, "run"), message)
    return CaseRun(case.id, (row,), case=case)
