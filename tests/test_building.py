"""Reading and building cases under the run's limits (verify/building.py, issue 11)."""
from __future__ import annotations

import sys
import textwrap

import pytest

from verify.core.run_options import RunOptions
from verify.runner import load


def _write(tmp_path, text, name="cases.yaml"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


@pytest.mark.skipif(sys.platform != "linux", reason="fork workers: Linux")
def test_a_case_that_hangs_while_building_is_stopped_and_the_next_case_is_built(tmp_path):
    path = _write(tmp_path, """
        cases:
          - name: hangs
            function: sin(x)
            at: {x: "sin(exp(exp(20)))"}
          - name: fine
            function: cos(x)
            at: {x: 0.5}
    """)
    loaded = load([path], RunOptions(timeout=1.0), jobs=1)
    (error,) = loaded.errors
    assert error.case == "hangs" and error.file == str(path) and error.status == "error"
    assert error.message == (f"{path}:3: case 'hangs': key 'at': time limit: building the case "
                             "took longer than 1 s and was stopped (--timeout)")
    assert [case.name for case in loaded.cases] == ["fine"]
    assert [type(entry).__name__ for entry in loaded.order] == ["Result", "Case"]  # file order kept


@pytest.mark.parametrize("timeout", [0, 30])
def test_any_exception_while_building_is_an_error_row_naming_file_case_and_key(
        tmp_path, monkeypatch, timeout):
    from verify.input import cases

    def broken(node, *args, **keywords):
        raise TypeError("cannot determine truth value of Relational")
    path = _write(tmp_path, """
        cases:
          - {name: one, function: x, at: {x: 1}}
    """)
    other = _write(tmp_path, "{name: two, function: x, at: {x: 2}, checks: []}", "other.yaml")
    monkeypatch.setattr(cases, "read_checks", broken)  # a forked worker sees it too
    loaded = load([path, other], RunOptions(timeout=timeout))
    assert [e.case for e in loaded.errors] == ["one", "two"]
    message = loaded.errors[0].message
    assert message.startswith(f"{path}:3: case 'one': key 'checks': internal error while "
                              "reading it: TypeError: cannot determine truth value")


@pytest.mark.skipif(sys.platform != "linux", reason="fork workers: Linux")
def test_a_worker_that_dies_while_building_costs_only_its_case(tmp_path, monkeypatch):
    import os

    from verify.input import cases
    real = cases.read_checks

    def dies(node, variables, value_of, **keywords):
        if variables == ("y",):
            os._exit(9)
        return real(node, variables, value_of, **keywords)
    monkeypatch.setattr(cases, "read_checks", dies)
    path = _write(tmp_path, """
        cases:
          - {name: before, function: x, at: {x: 1}}
          - {name: dies, function: y, at: {y: 1}}
          - {name: after, function: x, at: {x: 3}}
    """)
    loaded = load([path], RunOptions(timeout=30), jobs=1)
    assert [c.name for c in loaded.cases] == ["before", "after"]
    (error,) = loaded.errors
    assert error.case == "dies" and "key 'checks': the worker building the case died" in error.message


@pytest.mark.parametrize("timeout", [0, 30])
def test_a_case_that_is_not_a_mapping_is_a_row_and_the_next_case_is_built(tmp_path, timeout):
    path = _write(tmp_path, """
        cases:
          - just a string
          - {name: ok, function: x, at: {x: 1}}
    """)
    loaded = load([path], RunOptions(timeout=timeout))
    assert [e.message for e in loaded.errors] == [
        f"{path}:3: expected a case (a mapping), got 'just a string'"]
    assert [c.name for c in loaded.cases] == ["ok"]


def test_loading_reports_are_typed_messages_in_order(tmp_path):
    from verify.building import Begin, Built, Done, file_entries
    from verify.input.loading import Source
    path = _write(tmp_path, """
        cases:
          - {name: fine, function: sin(x), at: {x: 1}}
          - {name: bad, function: "sin(", at: {x: 1}}
    """)
    sent, keys = [], []
    source = Source(file=str(path), group="cases", folder=tmp_path)
    file_entries((path, str(path), source, 0), RunOptions(), sent.append,
                 lambda index, key: keys.append((index, key)))
    assert isinstance(sent[0], Begin) and sent[0].name == "fine"
    assert keys[0] == (0, None) and (0, "function") in keys  # each case starts with no key
    assert [type(m).__name__ for m in sent] == ["Begin", "Built", "Begin", "Built", "Done"]
    built = [m for m in sent if isinstance(m, Built)]
    assert [b.index for b in built] == [0, 1]
    assert built[0].item.name == "fine" and built[1].item.status == "error"
    assert sent[-1] == Done(2)


def test_a_case_that_cannot_be_built_keeps_the_id_it_would_have_had(tmp_path):
    path = _write(tmp_path, """
        cases:
          - {name: good, function: x**2, at: {x: 1}}
          - {name: typo, function: x**2, at: {x: 1}, expect: {derivatve: 2}}
    """, name="lab.yaml")
    loaded = load([path], RunOptions(timeout=0))
    assert [c.id for c in loaded.cases] == ["lab::good"]
    assert [e.case_id for e in loaded.errors] == ["lab::typo"]
    unreadable = _write(tmp_path, "cases: [", name="broken.yaml")
    assert [e.case_id for e in load([unreadable], RunOptions(timeout=0)).errors] == ["broken"]


def test_work_meanwhile_runs_once_while_the_workers_read_and_changes_nothing(tmp_path):
    for name in ("a", "b"):
        (tmp_path / f"{name}.yaml").write_text(
            f"cases:\n  - name: {name}\n    function: sin(x)\n    at: {{x: 1}}\n")
    calls = []
    with_work = load([tmp_path], RunOptions(timeout=30), jobs=1, meanwhile=lambda: calls.append(1))
    without = load([tmp_path], RunOptions(timeout=30), jobs=1)
    assert calls == [1]
    assert [c.id for c in with_work.cases] == [c.id for c in without.cases] == ["a::a", "b::b"]


def test_the_key_note_holds_the_last_key_written_in_shared_memory():
    import multiprocessing
    from verify.building import KEY_BYTES, KeyNote
    note = KeyNote(multiprocessing.get_context())
    assert note.read(0) is None
    note.write(3, "expect")
    note.write(3, "at")  # a shorter key after a longer one
    assert note.read(3) == "at"
    assert note.read(2) is None  # a note of another case names no key
    note.write(12, "é" * KEY_BYTES)  # cut to the buffer, never past it
    assert note.read(12).startswith("é") and len(note.read(12).encode()) < KEY_BYTES
    note.write(12, None)
    assert note.read(12) is None
