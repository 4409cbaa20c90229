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


def test_an_internal_errors_text_is_the_same_whatever_the_process_compiled_before():
    from verify.core.result import exception_text
    nested = "(" * 300 + ")" * 300
    try:
        compile(nested, "<lambdifygenerated-17>", "exec")  # SymPy numbers each compilation
    except SyntaxError as exc:
        text = exception_text(exc)
    assert "<lambdifygenerated>" in text and "-17" not in text
    code = compile("def f():\n    raise ValueError('inside <lambdifygenerated-4>')\n",
                   "<lambdifygenerated-4>", "exec")
    scope = {}
    exec(code, scope)  # noqa: S102 - a fixed test string, standing in for lambdify's
    try:
        scope["f"]()
    except ValueError as exc:
        assert exception_text(exc) == ("ValueError: inside <lambdifygenerated> "
                                       "(at <lambdifygenerated>:2)")
        assert exception_text(exc, limit=6) == "ValueError: inside (at <lambdifygenerated>:2)"


def test_only_small_cases_keep_their_bytes_for_the_case_workers(tmp_path, monkeypatch):
    import verify.runner
    (tmp_path / "a.yaml").write_text("cases:\n  - {name: a, function: x**2, at: {x: 1}}\n"
                                     "  - {name: b, function: x**2 + sin(x)*exp(x)*y, "
                                     "at: {x: 1, y: 2}}\n")
    loaded = load([tmp_path], RunOptions(timeout=60), jobs=1)
    sizes = {case_id: len(wire) for case_id, (_, wire) in loaded.wire.items()}
    assert len(sizes) == 2 and sizes["a::a"] < sizes["a::b"]
    monkeypatch.setattr(verify.runner, "WIRE_KEPT_BYTES", sizes["a::a"])
    loaded = load([tmp_path], RunOptions(timeout=60), jobs=1)
    assert set(loaded.wire) == {"a::a"}
    runs = list(run_all(loaded, RunOptions(timeout=60)))  # b pickled anew
    assert [run.case_id for run in runs] == ["a::a", "a::b"]
    assert not {row.status for run in runs for row in run.results} & {"fail", "error"}
