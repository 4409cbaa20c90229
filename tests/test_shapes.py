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


GRAPH_LAYER = """
    name: c
    shapes: {W: [2, 3], b: [2], x: [3]}
    graph:
      z: W @ x + b
      a: tanh(z)
      L: sum_all(a**2) / 2
    variables: [W, b]
    parameters: {x: [1.0, 2.0, -1.0]}
    at: {W: [[0.1, -0.2, 0.3], [0.4, 0.5, -0.6]], b: [0.1, -0.1]}
    checks: {gradient: {methods: [central]}, backprop: }
    """


def test_a_tensor_valued_graph_node_becomes_one_node_per_entry(tmp_path):
    cases, errors = load_one(tmp_path, GRAPH_LAYER)
    assert not errors
    names = [node.name for node in cases[0].graph]
    assert names == ["z[0]", "z[1]", "a[0]", "a[1]", "L"]
    assert cases[0].graph[0].text == "(W @ x + b)[0]"


def test_backprop_through_tensor_nodes_gives_the_chain_rule_of_a_layer(tmp_path):
    """dL/dz = (1 - a**2) * a and dL/dW = dL/dz x^T, computed with NumPy: the
    backprop rows (gradient and node adjoints) agree to 1e-12, and all pass."""
    import numpy as np

    from verify.checks.case import run_case
    cases, errors = load_one(tmp_path, GRAPH_LAYER + """
    expect: {adjoint: {a: [0.1, 0.9], z: [-0.363431, 0.0818634]}}
    """)
    assert not errors
    W = np.array([[0.1, -0.2, 0.3], [0.4, 0.5, -0.6]])
    x, b = np.array([1.0, 2.0, -1.0]), np.array([0.1, -0.1])
    a = np.tanh(W @ x + b)
    dz = (1 - a ** 2) * a
    expected = {f"grad[W[{i},{j}]]": dz[i] * x[j] for i in range(2) for j in range(3)}
    expected |= {f"grad[b[{i}]]": dz[i] for i in range(2)}
    expected |= {f"adjoint[z[{i}]]": dz[i] for i in range(2)}
    expected |= {f"adjoint[a[{i}]]": a[i] for i in range(2)}
    rows = {r.quantity: r for r in run_case(cases[0]).results if r.check == "backprop"}
    for quantity, value in expected.items():
        assert rows[quantity].numeric == pytest.approx(value, rel=1e-12), quantity
        assert rows[quantity].status.value == "pass", quantity
    written = {r.quantity: r.status.value for r in run_case(cases[0]).results
               if r.check == "expect"}
    # a = tanh(W x + b) = (-0.46212, 0.95624): both written values of a are wrong
    assert written == {"expect:adjoint[a[0]]": "fail", "expect:adjoint[a[1]]": "fail",
                       "expect:adjoint[z[0]]": "pass", "expect:adjoint[z[1]]": "pass"}


@pytest.mark.parametrize("graph, message", [
    ("z: W @ x + b\n      a: tanh(z)",
     "key 'graph': the last node 'a' is the output and must be a scalar, not a tensor of "
     "shape [2]"),
    ("z: W @ x + b\n      L: sum_all(z) + q\n      q: sum_all(z)",
     "key 'graph': node 'L' refers to 'q', which is defined later"),
    ("z: W @ x\n      L: sum_all(z @ x)",
     "key 'graph': matrix product of shapes [2] and [3]"),
])
def test_tensor_graph_mistakes_name_the_key(tmp_path, graph, message):
    cases, errors = load_one(tmp_path, f"""
    name: c
    shapes: {{W: [2, 3], b: [2], x: [3]}}
    graph:
      {graph}
    variables: [W]
    parameters: {{x: [1.0, 2.0, -1.0], b: [0, 0]}}
    at: {{W: [[0.1, -0.2, 0.3], [0.4, 0.5, -0.6]]}}
    """)
    assert not cases
    assert message in errors[0].message, errors[0].message
