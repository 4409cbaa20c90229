"""One row of results.csv, and how the front doors tell a run's entries apart.

:func:`verify.runner.run_all` yields, in file order, a :class:`Result` row
for a file or case that could not be loaded and a
:class:`~verify.checks.case.CaseRun` for each case that ran. This module is
light (no SymPy, NumPy or pandas), so the CLI can use it at start.
"""
from __future__ import annotations

import re
import traceback
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


# SymPy names each function lambdify compiles <lambdifygenerated-N>, N counting
# the process's compilations: in a message it would make the reports differ
# between runs of the same cases (in one process or in workers, -k or not)
_LAMBDIFIED = re.compile(r"<lambdifygenerated-\d+>")


def exception_text(exc: BaseException, limit: int | None = None) -> str:
    """``Type: message (at file:line)`` for an internal error's row, the same
    for the same cases whatever ran before them in the process."""
    message = _LAMBDIFIED.sub("<lambdifygenerated>", str(exc))
    if limit is not None:
        message = message[:limit]
    last = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
    filename = _LAMBDIFIED.sub("<lambdifygenerated>", last.filename.rsplit("/", 1)[-1]) \
        if last else ""
    at = f" (at {filename}:{last.lineno})" if last else ""
    return f"{type(exc).__name__}: {message}{at}"
