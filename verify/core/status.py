"""Statuses and their one roll-up, from rows to a case, a file and a run.

CASES.md v1.1 orders them worst first: ``error``, ``fail``, ``pass``,
``inconclusive``, ``skip``. A case, a file and a run take the worst status
of their rows in that order, so a case with one ``pass`` and otherwise
``inconclusive`` or ``skip`` rows is ``pass``, and a case whose only rows
are skips is ``skip``. The CLI, the CSV writer, the page, the pytest plugin
and the API all decide statuses here and nowhere else.
"""
from __future__ import annotations

import enum
from collections.abc import Iterable


class Status(enum.StrEnum):
    """The verdict of one comparison (a ``str``, so it writes as its name)."""

    ERROR = "error"
    FAIL = "fail"
    PASS = "pass"
    INCONCLUSIVE = "inconclusive"
    SKIP = "skip"


ORDER = tuple(Status)  # worst first
_RANK = {status: rank for rank, status in enumerate(ORDER)}

# Exit statuses of a run (CASES.md): an error beats a failure; 5 is pytest's
# "no tests collected".
EXIT_OK, EXIT_FAIL, EXIT_ERROR, EXIT_NO_CASES, EXIT_INTERRUPTED = 0, 1, 2, 5, 130


def roll_up(statuses: Iterable) -> Status | None:
    """The worst of ``statuses`` (rows, or the statuses of cases or files);
    None when there are none."""
    ranks = [_RANK[Status(s)] for s in statuses]
    return ORDER[min(ranks)] if ranks else None


def status_of(rows) -> Status | None:
    """The status of a case (or file, or run) from its result rows."""
    return roll_up(r.status for r in rows)


def count(rows) -> dict:
    """``{status: number of rows}`` for every status, worst first."""
    counts = dict.fromkeys(ORDER, 0)
    for r in rows:
        counts[Status(r.status)] += 1
    return counts


def is_bad(status) -> bool:
    """An ``error`` or a ``fail``: what fails a test and a run."""
    return Status(status) in (Status.ERROR, Status.FAIL)


def exit_code(rows) -> int:
    """2 with any error row, else 1 with any failed row, else 0. Inconclusive
    and skipped rows do not change it."""
    worst = status_of(rows)
    return EXIT_ERROR if worst is Status.ERROR else EXIT_FAIL if worst is Status.FAIL else EXIT_OK
