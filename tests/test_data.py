"""A case's data (verify/input/data.py): CSV limits, names, byte-order marks (issue 11)."""
from __future__ import annotations

import os
import textwrap

import pytest

from verify.core.run_options import RunOptions
from verify.runner import load


def _load(tmp_path, data_yaml, csv_bytes=None):
    if csv_bytes is not None:
        (tmp_path / "d.csv").write_bytes(csv_bytes)
    (tmp_path / "c.yaml").write_text(textwrap.dedent(f"""
        name: fit
        function: mean((y - w*x)**2)
        data: {data_yaml}
        at: {{w: 2}}
    """))
    return load([tmp_path / "c.yaml"], RunOptions(timeout=0))


def test_a_utf8_csv_with_a_byte_order_mark_is_read(tmp_path):
    loaded = _load(tmp_path, "{csv: d.csv}", b"\xef\xbb\xbfx,y\r\n0,1\r\n1,3\r\n")
    (case,) = loaded.cases
    assert [c.name for c in case.data] == ["x", "y"] and case.data[1].floats == (1.0, 3.0)


@pytest.mark.parametrize("name", ["E", "pi", "sin", "sum"])
def test_a_column_named_like_a_constant_or_function_is_refused(tmp_path, name):
    loaded = _load(tmp_path, f"{{x: [1, 2], y: [1, 2], {name}: [3, 4]}}")
    (error,) = loaded.errors
    assert error.message.endswith(f"key 'data': data: '{name}' cannot be a column name: it is a "
                                  "constant or a function of the expression language; rename "
                                  "the column")


def test_csv_rows_and_cells_are_bounded_while_reading(tmp_path, monkeypatch):
    from verify.input import data
    monkeypatch.setattr(data, "MAX_ROWS", 10)
    rows = b"x,y\n" + b"1,2\n" * 11
    (error,) = _load(tmp_path, "{csv: d.csv}", rows).errors
    assert error.message.endswith("key 'data': csv 'd.csv' has more than 10 rows")
    monkeypatch.setattr(data, "MAX_ROWS", 1000)
    monkeypatch.setattr(data, "MAX_CELLS", 15)
    (error,) = _load(tmp_path, "{csv: d.csv}", b"x,y\n" + b"1,2\n" * 7).errors
    assert error.message.endswith("data has more than 15 cells (rows times columns)")
    (error,) = _load(tmp_path, "{x: [1, 2, 3, 4, 5, 6, 7, 8], y: [1, 2, 3, 4, 5, 6, 7, 8]}").errors
    assert error.message.endswith("data has more than 15 cells (rows times columns)")


@pytest.mark.skipif(not os.path.exists("/proc/self/fd"), reason="needs /proc")
def test_a_csv_over_the_size_limit_is_refused_before_reading(tmp_path, monkeypatch):
    from verify.input import data
    monkeypatch.setattr(data, "MAX_CSV_BYTES", 100)
    (tmp_path / "d.csv").write_bytes(b"x,y\n" + b"1,2\n" * 100)
    real_read = os.read

    def read(fd, size):
        if os.readlink(f"/proc/self/fd/{fd}").endswith("d.csv"):
            pytest.fail("the csv was read")
        return real_read(fd, size)
    monkeypatch.setattr(os, "read", read)
    (error,) = _load(tmp_path, "{csv: d.csv}").errors
    assert error.message.endswith("key 'data': csv 'd.csv' is larger than 100 bytes (404 bytes)")


def test_a_csv_path_that_loops_or_holds_nul_is_an_error_row(tmp_path):
    (tmp_path / "loop.csv").symlink_to("loop.csv")
    (error,) = _load(tmp_path, "{csv: loop.csv}").errors
    assert "key 'data': cannot read csv 'loop.csv'" in error.message
    (error,) = _load(tmp_path, '{csv: "a\\0b.csv"}').errors
    assert "key 'data': cannot read csv 'a\\x00b.csv': embedded null byte" in error.message
