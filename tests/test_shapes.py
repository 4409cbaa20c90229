"""The ``shapes:`` key: nested lists spread into entry variables, its limits
and messages (verify/input/shapes.py)."""
from __future__ import annotations

import pytest

from tests.conftest import load_one


def test_nested_lists_become_entry_variables_in_row_major_order(tmp_path):
    cases, errors = load_one(tmp_path, """
        name: c
        shapes: {W: [2, 2], x: [2]}
        function: sum_all(W @ x)
        parameters: {x: [3, -1]}
        at: {W: [[1, 2], [3, 4]]}
        expect: {gradient: {W: [[3, -1], [3, -1]]}}
        """)
    assert not errors
    case = cases[0]
    assert case.variables == ("W[0,0]", "W[0,1]", "W[1,0]", "W[1,1]")
    assert [v.text for v in case.points[0]] == ["1", "2", "3", "4"]
    assert dict((n, v.text) for n, v in case.parameters) == {"x[0]": "3", "x[1]": "-1"}
    assert [(n, v.text) for n, v in case.expect.gradient[0]] == [
        ("W[0,0]", "3"), ("W[0,1]", "-1"), ("W[1,0]", "3"), ("W[1,1]", "-1")]
    assert case.label(case.points[0]) == "W=[[1, 2], [3, 4]]"


def test_entries_past_ten_sort_by_index_not_by_text(tmp_path):
    cases, errors = load_one(tmp_path, f"""
        name: c
        shapes: {{v: [13]}}
        function: sum_all(v**2)
        at: {{v: {list(range(13))}}}
        """)
    assert not errors
    assert cases[0].variables[9:] == ("v[9]", "v[10]", "v[11]", "v[12]")
    assert cases[0].label(cases[0].points[0]) == "v=[13]"  # long tensors by their shape


@pytest.mark.parametrize("text, message", [
    ("""
     name: c
     shapes: {W: [2, 2]}
     function: sum_all(W)
     at: {W: [[1, 2], [3]]}
     """, "key 'at': 'W' has shape [2, 2]: expected a nested list of that shape, got a list "
          "at depth 2"),
    ("""
     name: c
     shapes: {W: [2, 0]}
     function: sum_all(W)
     at: {W: [[1, 2]]}
     """, "key 'shapes': the shape of 'W' must be a list of 1 or 2 positive whole numbers"),
    ("""
     name: c
     shapes: {sin: [2]}
     function: x
     at: {x: 1}
     """, "key 'shapes': 'sin' cannot be a tensor name"),
    ("""
     name: c
     shapes: {A: [64, 64], B: [2]}
     function: sum_all(B)
     at: {B: [1, 2]}
     """, "key 'shapes': the tensors up to 'B' have 4098 scalar entries; the limit is 4096 "
          "per case"),
    ("""
     name: c
     shapes: {x: [2]}
     function: sum_all(x)
     at: {"x[0]": 1, "x[1]": 2}
     """, "key 'at': give 'x' as a nested list, not entry by entry ('x[0]')"),
    ("""
     name: c
     shapes: {x: [2]}
     function: x
     at: {x: [1, 2]}
     """, "key 'function': 'x' is a tensor of shape [2]; the function must reduce to a scalar"),
])
def test_shape_mistakes_name_the_key(tmp_path, text, message):
    cases, errors = load_one(tmp_path, text)
    assert not cases
    assert message in errors[0].message, errors[0].message
    assert "case 'c'" in errors[0].message or "c" in errors[0].case


def test_a_tensor_case_runs_every_engine_on_its_entries(tmp_path):
    """grad of sum(W x) w.r.t. W[i,j] is x[j]: exact, numeric, backprop and the
    written expectation all agree, and a wrong entry is named in its row."""
    from verify.checks.case import run_case
    cases, errors = load_one(tmp_path, """
        name: c
        shapes: {W: [2, 2], x: [2]}
        function: sum_all(tanh(W @ x))
        variables: [W]
        parameters: {x: [0.5, -1]}
        at: {W: [[0.1, 0.2], [0.3, 0.4]]}
        checks: {gradient: {methods: [central]}, backprop: }
        expect: {gradient: {W: [[0.4, -1], [0.470, -0.9]]}}
        """)
    assert not errors
    rows = run_case(cases[0]).results
    statuses = {(r.check, r.quantity): r.status.value for r in rows}
    assert statuses[("gradient", "grad[W[1,1]]")] == "pass"
    assert statuses[("backprop", "grad[W[1,1]]")] == "pass"
    # tanh'(z_i) x_0: 0.48886 for i = 0 (0.4 is wrong), 0.46997 for i = 1
    assert statuses[("expect", "expect:grad[W[0,0]]")] == "fail"
    assert statuses[("expect", "expect:grad[W[1,0]]")] == "pass"
