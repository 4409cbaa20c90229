"""A case's ``data``: named columns, inline or from a CSV file.

A CSV path is relative to the case file and may not leave the case file's
folder tree unless the run allows it (``--allow-outside-data``), so a case
from elsewhere cannot read arbitrary files.
"""
from __future__ import annotations

import csv
import io
import math
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from verify.input.expressions import RESERVED, ExpressionError
from verify.input.files import read_limited
from verify.input.loading import CaseError, items, kind_of, line_of
from verify.input.values import parse_value

MAX_ROWS = 1_000_000
MAX_CELLS = 2_000_000       # rows times columns, inline or CSV
MAX_CSV_BYTES = 50_000_000  # checked before the file is read
_PLAIN_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\Z")
_COLUMN_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*\Z")


@dataclass(frozen=True)
class Column:
    """One data column: the numbers as written (exact decimals) and as float64."""

    name: str
    texts: tuple[str, ...]
    floats: tuple[float, ...]


def _too_many_cells(line):
    return CaseError(f"data has more than {MAX_CELLS} cells (rows times columns)",
                     line=line, key="data")


def read_data(node, source, allow_outside: bool) -> tuple[Column, ...]:
    triples = items(node, what="mapping of column: [numbers], or {csv: path}")
    keys = [key for key, _, _ in triples]
    if keys == ["csv"]:
        columns = _read_csv(triples[0][2], source, allow_outside)
    else:
        if sum(len(value.value) for _, _, value in triples
               if isinstance(value, yaml.SequenceNode)) > MAX_CELLS:
            raise _too_many_cells(line_of(node))
        columns = tuple(_inline_column(key, key_node, value_node)
                        for key, key_node, value_node in triples)
    if not columns:
        raise CaseError("data has no columns", line=line_of(node), key="data")
    lengths = {len(column.texts) for column in columns}
    if len(lengths) > 1:
        detail = ", ".join(f"{c.name}: {len(c.texts)}" for c in columns)
        raise CaseError(f"columns must have one length ({detail})", line=line_of(node), key="data")
    if 0 in lengths:
        raise CaseError("data columns are empty", line=line_of(node), key="data")
    return columns


def _inline_column(name, key_node, value_node):
    if name == "csv":
        raise CaseError("'csv' must be the only key of data", line=line_of(key_node), key="data")
    _check_name(name, line_of(key_node))
    if not isinstance(value_node, yaml.SequenceNode):
        raise CaseError(f"column '{name}' must be a list of numbers, got {kind_of(value_node)}",
                        line=line_of(value_node), key="data")
    if len(value_node.value) > MAX_ROWS:
        raise CaseError(f"column '{name}' has more than {MAX_ROWS} rows", line=line_of(value_node),
                        key="data")
    texts = []
    for item in value_node.value:
        if not isinstance(item, yaml.ScalarNode):
            raise CaseError(f"column '{name}' holds {kind_of(item)}, not a number",
                            line=line_of(item), key="data")
        texts.append(_number_text(item.value, f"column '{name}'", line_of(item)))
    return _column(name, texts)


def _read_csv(path_node, source, allow_outside):
    if not isinstance(path_node, yaml.ScalarNode):
        raise CaseError("csv must be a path", line=line_of(path_node), key="data")
    line = line_of(path_node)
    shown = path_node.value[:200]
    try:
        folder = Path(source.folder).resolve()
        path = (folder / path_node.value).resolve()
    except (OSError, RuntimeError, ValueError) as exc:  # a symlink loop, a NUL byte
        raise CaseError(f"cannot read csv {shown!r}: {exc}", line=line, key="data") from None
    if not allow_outside and not path.is_relative_to(folder):
        raise CaseError(f"csv path {shown!r} leaves the case file's folder "
                        "(the run allows this only with --allow-outside-data)", line=line, key="data")
    try:
        raw = read_limited(path, MAX_CSV_BYTES, "csv")
    except CaseError as exc:
        raise CaseError(exc.what.replace("the csv", f"csv {shown!r}", 1), line=line,
                        key="data") from None
    try:
        text = raw.decode("utf-8-sig")  # a byte-order mark, as Excel writes, is allowed
    except UnicodeDecodeError as exc:
        raise CaseError(f"csv {shown!r} is not valid CSV: not UTF-8 text (at byte {exc.start})",
                        line=line, key="data") from None
    del raw
    rows, cells = [], 0
    try:
        for row in csv.reader(io.StringIO(text, newline="")):
            if len(rows) > MAX_ROWS:  # the header and MAX_ROWS rows are allowed
                raise CaseError(f"csv {shown!r} has more than {MAX_ROWS} rows", line=line,
                                key="data")
            cells += len(row)
            if cells > MAX_CELLS:
                raise _too_many_cells(line)
            rows.append(row)
    except csv.Error as exc:
        raise CaseError(f"csv {shown!r} is not valid CSV: {exc}", line=line,
                        key="data") from None
    rows = [row for row in rows if any(cell.strip() for cell in row)]
    if len(rows) < 2:
        raise CaseError(f"csv {path_node.value!r} needs a header row and at least one data row",
                        line=line, key="data")
    header = [cell.strip() for cell in rows[0]]
    for name in header:
        _check_name(name, line, where=f"csv {path_node.value!r} header")
    if len(set(header)) != len(header):
        raise CaseError(f"csv {path_node.value!r} repeats a column name", line=line, key="data")
    cells = [[] for _ in header]
    for number, row in enumerate(rows[1:], start=2):
        if len(row) != len(header):
            raise CaseError(f"csv {path_node.value!r} row {number} has {len(row)} cells, "
                            f"the header has {len(header)}", line=line, key="data")
        for column, cell in zip(cells, row):
            column.append(_number_text(cell.strip(), f"csv {path_node.value!r} row {number}", line))
    return tuple(_column(name, texts) for name, texts in zip(header, cells))


def _check_name(name, line, where="data"):
    if not _COLUMN_NAME.match(name):
        raise CaseError(f"{where}: {name[:60]!r} is not a valid column name", line=line, key="data")
    if name in RESERVED:
        raise CaseError(f"{where}: {name!r} cannot be a column name: it is a constant or a "
                        "function of the expression language; rename the column", line=line,
                        key="data")


def _number_text(text, where, line):
    if _PLAIN_NUMBER.match(text):
        if not math.isfinite(float(text)):
            raise CaseError(f"{where}: {text!r} is beyond the float64 range", line=line, key="data")
        return text
    try:
        value = parse_value(text)
    except ExpressionError as exc:
        raise CaseError(f"{where}: {exc}", line=line, key="data") from None
    return repr(value.float64) if not value.exact.is_Rational else str(value.exact)


def _column(name, texts):
    return Column(name, tuple(texts), tuple(float(parse_value(t).float64) if "/" in t else float(t)
                                            for t in texts))
