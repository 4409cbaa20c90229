"""The CSV tables as columns and rows; pandas frames of them for the Python API.

Column order is fixed (``Result`` field order, then the summary's), row
order is run order (files sorted, cases in file order), and floats are
written in full (repr), so two runs of the same cases give the same bytes.
The reports need no pandas (its import is a tenth of a run's serial part):
each column is typed as a DataFrame types it (:func:`_typed`), so the
bytes are those a frame wrote, for the cells a report holds: strings,
Python and NumPy numbers, None (not Fractions, SymPy or mpmath numbers,
which the checks turn into floats before they reach a row).
"""
from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

from verify.checks.compare import COLUMNS, worst_rel_error
from verify.core.status import Status, count, status_of


@dataclass(frozen=True)
class Table:
    """A table's column names and its rows (tuples, one value per column)."""

    columns: tuple
    rows: list


# Side tables: CASES.md and the issues name their first columns; others follow, sorted.
TABLE_COLUMNS = {
    "graphs": ("case", "point", "node", "expression", "value", "local_derivatives", "adjoint"),
    "curves": ("case", "method", "h", "error_float64", "error_exact_arithmetic"),
}
SUMMARY_COLUMNS = ("file", "case", "checks", "passed", "failed", "errors", "inconclusive",
                   "skipped", "worst_rel_error", "status")


def _number(value) -> bool:
    kind = type(value)
    if kind is float or kind is int:  # most cells: no ABC check (68,000 of them a run)
        return True
    return kind is not bool and kind is not str and isinstance(value, numbers.Real)


def _integral(value) -> bool:
    kind = type(value)
    return kind is int or (kind is not float and isinstance(value, numbers.Integral))


def _typed(rows, width) -> list:
    """``rows`` with each column typed as a DataFrame types it: a column of
    numbers holding a float or a missing value holds floats (NaN for missing,
    3 becomes 3.0); other columns keep their values."""
    if not rows:
        return rows
    floats = []
    for column in range(width):
        values = [row[column] for row in rows]
        present = [v for v in values if v is not None]
        floats.append(bool(present) and all(_number(v) for v in present) and (
            len(present) < len(values) or not all(map(_integral, present))))
    if not any(floats):
        return rows
    return [tuple(math.nan if v is None else float(v) if float_column else v
                  for v, float_column in zip(row, floats)) for row in rows]


def results_table(results) -> Table:
    # getattr, not dataclasses.astuple: astuple deep-copies every value and was
    # most of the time of this table on a thousand cases (the values are scalars)
    rows = [tuple(str(v) if isinstance(v, Status) else v
                  for v in (getattr(r, name) for name in COLUMNS))
            for r in results]
    return Table(tuple(COLUMNS), _typed(rows, len(COLUMNS)))


def results_frame(results):
    """The results as a pandas DataFrame (the Python API's answer)."""
    import pandas as pd
    table = results_table(results)
    return pd.DataFrame(table.rows, columns=list(table.columns))


def summary_table(results) -> Table:
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
    return Table(SUMMARY_COLUMNS, _typed(rows, len(SUMMARY_COLUMNS)))


def side_tables(runs) -> dict:
    """One table per side table (always graphs and curves, header at least)."""
    collected = {name: [] for name in TABLE_COLUMNS}
    for run in runs:
        for name, rows in run.tables:
            collected.setdefault(name, []).extend(rows)
    frames = {}
    for name, rows in collected.items():
        known = TABLE_COLUMNS.get(name, ())
        others = sorted({key for row in rows for key in row} - set(known))
        columns = (*known, *others)
        frames[name] = Table(columns, _typed([tuple(row.get(c) for c in columns) for row in rows],
                                             len(columns)))
    return frames
