"""One row of results.csv, and how the front doors tell a run's entries apart.

:func:`verify.runner.run_all` yields, in file order, a :class:`Result` row
for a file or case that could not be loaded and a
:class:`~verify.checks.case.CaseRun` for each case that ran. This module is
light (no SymPy, NumPy or pandas), so the CLI can use it at start.
"""
from __future__ import annotations

from dataclasses import dataclass, fields

from verify.core.status import Status


@dataclass(frozen=True)
class Result:
    """One row of results.csv; field order is the column order."""

    file: str
    case: str
    check: str
    method: str = ""
    quantity: str = ""
    point: str = ""
    h: float | None = None
    exact: float | None = None
    numeric: float | None = None
    abs_error: float | None = None
    rel_error: float | None = None
    tolerance: float | None = None
    status: Status = Status.PASS
    message: str = ""
    bound_kind: str = ""
    line: int = 0
    case_id: str = ""

    def __post_init__(self):
        object.__setattr__(self, "status", Status(self.status))  # a typo fails here, loudly


COLUMNS = tuple(f.name for f in fields(Result))


def is_load_error(entry) -> bool:
    """True for an entry of ``Loaded.order`` or of ``run_all`` that is a load-error
    row (the others are cases, or the cases' ``CaseRun``)."""
    return isinstance(entry, Result)


def rows_of(entry) -> tuple:
    """The results.csv rows of one ``run_all`` entry."""
    return (entry,) if is_load_error(entry) else entry.results
