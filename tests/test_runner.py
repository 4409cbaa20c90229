"""The runner's entries (verify/runner.py): typed, in file order."""
from __future__ import annotations

import textwrap

from verify.checks.case import CaseRun
from verify.core.result import Result, is_load_error, rows_of
from verify.core.run_options import RunOptions
from verify.input.cases import Case
from verify.runner import load, run_all


def test_loaded_order_holds_cases_and_error_rows_and_run_all_yields_runs_and_rows(tmp_path):
    (tmp_path / "a.yaml").write_text(textwrap.dedent("""
        cases:
          - {name: fine, function: sin(x), at: {x: 1}, checks: [derivative]}
          - {name: broken, function: sin(, at: {x: 1}}
          - {name: error, function: cos(x), at: {x: 1}, checks: [derivative]}
    """))
    options = RunOptions(timeout=0)
    loaded = load([tmp_path], options)
    assert [type(entry) for entry in loaded.order] == [Case, Result, Case]
    assert [is_load_error(entry) for entry in loaded.order] == [False, True, False]
    # a case named "error" is a case: the kind is the type, not a string
    assert [case.name for case in loaded.select("error").cases] == ["error"]
    entries = list(run_all(loaded, options))
    assert [type(entry) for entry in entries] == [CaseRun, Result, CaseRun]
    assert rows_of(entries[1]) == (entries[1],)
    assert rows_of(entries[0]) == entries[0].results and entries[0].results
