"""CSV text of the reports (verify/report/writer.py): quoting and formula cells (issue 11)."""
from __future__ import annotations

import csv
import io
import math

import pandas as pd

from verify.report.writer import csv_text, safe_cell


def _read(text):
    return list(csv.reader(io.StringIO(text, newline="")))


def test_a_carriage_return_or_newline_in_a_field_stays_in_its_cell():
    frame = pd.DataFrame([["\x1b[2K\rPASS.yaml", "a\nb", 'say "hi", twice', 1.5]],
                         columns=["file", "message", "note", "value"])
    rows = _read(csv_text(frame))
    assert rows == [["file", "message", "note", "value"],
                    ["\x1b[2K\rPASS.yaml", "a\nb", 'say "hi", twice', "1.5"]]


def test_cells_a_spreadsheet_would_run_as_formulas_get_a_leading_quote():
    cells = ['=HYPERLINK("http://x")', "+1+2", "-cmd", "@SUM(A1)", "\t=1", "\r=1"]
    rows = _read(csv_text(pd.DataFrame([cells])))
    assert rows[1] == ["'" + cell for cell in cells]


def test_numbers_and_ordinary_text_are_written_as_before():
    frame = pd.DataFrame([[-0.5, "-0.5", "-1e-05", 3, math.nan, None, True, "x=-1", 1e-300]])
    assert csv_text(frame).splitlines()[1] == frame.to_csv(index=False).splitlines()[1]
    assert safe_cell(-2.0) == -2.0 and safe_cell("-2") == "-2" and safe_cell(math.nan) == ""


def test_float_and_int_cells_read_back_as_the_same_numbers():
    import random
    rng = random.Random(7)
    values = [rng.uniform(-1e6, 1e6) * 10.0 ** rng.randint(-300, 300) for _ in range(500)]
    values += [math.inf, -math.inf, -0.0, 5e-324, 1.7976931348623157e308, 2 ** 60, -7, 0]
    frame = pd.DataFrame({"v": pd.Series(values, dtype=object)})
    read = [row[0] for row in _read(csv_text(frame))[1:]]
    assert [float(text) for text in read] == [float(v) for v in values]
    assert read[-3:] == [str(2 ** 60), "-7", "0"]


def test_tables_write_the_bytes_a_pandas_frame_of_them_writes():
    # the reports build their CSV without pandas: every column is typed as a
    # DataFrame types it (ints beside a float or a None become floats)
    import random
    import numpy as np
    from verify.report.tables import Table, _typed
    rng = random.Random(11)
    kinds = (lambda: rng.randint(-5, 5), lambda: rng.uniform(-1, 1) * 10.0 ** rng.randint(-300, 300),
             lambda: None, lambda: "x=-1", lambda: np.float64(rng.random()), lambda: True,
             lambda: math.nan, lambda: rng.choice([math.inf, -0.0, 2 ** 60]))
    for _ in range(300):
        width, height = rng.randint(1, 4), rng.randint(0, 5)
        # each column draws from one to three kinds, as a report's columns do
        columns = [rng.sample(kinds, rng.randint(1, 3)) for _ in range(width)]
        rows = [tuple(rng.choice(column)() for column in columns) for _ in range(height)]
        names = tuple(f"c{i}" for i in range(width))
        expected = csv_text(pd.DataFrame(rows, columns=list(names)))
        assert csv_text(Table(names, _typed(rows, width))) == expected, rows
