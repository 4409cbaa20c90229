"""The CSV tables: pandas only here, at the reporting edge.

Column order is fixed (``Result`` field order, then the summary's), row
order is run order (files sorted, cases in file order), and floats are
written in full (repr), so two runs of the same cases give the same bytes.
"""
from __future__ import annotations

import pandas as pd

from verify.checks.compare import COLUMNS, worst_rel_error
from verify.core.status import Status, count, status_of

# Side tables: CASES.md and the issues name their first columns; others follow, sorted.
TABLE_COLUMNS = {
    "graphs": ("case", "point", "node", "expression", "value", "local_derivatives", "adjoint"),
    "curves": ("case", "method", "h", "error_float64", "error_exact_arithmetic"),
}
SUMMARY_COLUMNS = ("file", "case", "checks", "passed", "failed", "errors", "inconclusive",
                   "skipped", "worst_rel_error", "status")


def results_frame(results) -> pd.DataFrame:
    # getattr, not dataclasses.astuple: astuple deep-copies every value and was
    # most of the time of this table on a thousand cases (the values are scalars)
    rows = [tuple(str(v) if isinstance(v, Status) else v
                  for v in (getattr(r, name) for name in COLUMNS))
            for r in results]
    return pd.DataFrame(rows, columns=list(COLUMNS))


def summary_frame(results) -> pd.DataFrame:
    by_case = {}
    for r in results:
        by_case.setdefault(r.case_id or f"{r.file}::{r.case}", []).append(r)
    rows = []
    for rows_of_case in by_case.values():
        first = rows_of_case[0]
        counts = count(rows_of_case)
        rows.append((first.file, first.case, len(rows_of_case), counts["pass"], counts["fail"],
                     counts["error"], counts["inconclusive"], counts["skip"],
                     worst_rel_error(rows_of_case), str(status_of(rows_of_case))))
    return pd.DataFrame(rows, columns=list(SUMMARY_COLUMNS))


def to_csv_text(frame: pd.DataFrame) -> str:
    return frame.to_csv(index=False, lineterminator="\n")


def side_tables(runs) -> dict:
    """One frame per side table (always graphs and curves, header at least)."""
    collected = {name: [] for name in TABLE_COLUMNS}
    for run in runs:
        for name, rows in run.tables:
            collected.setdefault(name, []).extend(rows)
    frames = {}
    for name, rows in collected.items():
        known = TABLE_COLUMNS.get(name, ())
        others = sorted({key for row in rows for key in row} - set(known))
        frames[name] = pd.DataFrame([[row.get(c) for c in (*known, *others)] for row in rows],
                                    columns=[*known, *others])
    return frames
