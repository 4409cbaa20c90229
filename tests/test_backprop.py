"""The reverse-mode engine (verify/numeric/backprop.py) against known gradients and
the exact engine."""
from __future__ import annotations

import math

import numpy as np
import dataclasses

import pytest
import sympy
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from verify.numeric import backprop

from verify.core import functions
from verify.numeric.backprop import Node, from_expression, from_graph
from verify.bounds.backprop_rounding import backprop_bound, magnitudes
from verify.input.data import Column
from verify.exact.symbolic import ExactFunction, evaluate_safely
from verify.input.expressions import parse, symbol
from verify.bounds.kinks import point_problem
from verify.input.values import number
from tests.conftest import load_one


def _gradient(text, **at):
    names = tuple(at)
    return from_expression(parse(text), names).gradient([float(v) for v in at.values()])


def test_lab_graph_forward_and_backward(tmp_path):
    (case,), _ = load_one(tmp_path, """
        name: lab
        graph: {a: x*y, b: a + 1, L: b**2}
        at: {x: 2, y: 3}
    """)
    graph = from_graph(case.graph, case.variables)
    nodes = graph.run([2.0, 3.0])
    assert [n.name for n in nodes] == ["x", "y", "a", "b", "L"]
    assert [n.value for n in nodes] == [2.0, 3.0, 6.0, 7.0, 49.0]
    assert [n.adjoint for n in nodes] == [42.0, 28.0, 14.0, 14.0, 1.0]
    assert nodes[2].local == (3.0, 2.0)  # da/dx = y, da/dy = x
    assert nodes[4].local == (14.0,)     # dL/db = 2b


def test_one_node_per_sympy_operation_in_a_fixed_order():
    graph = from_expression(parse("sin(x**2 + 1)"), ("x",))
    assert [(s.name, s.text) for s in graph.steps] == [
        ("t1", "x**2"), ("t2", "t1 + 1"), ("f", "sin(t2)")]
    again = from_expression(parse("sin(x**2 + 1)"), ("x",))
    assert [s.text for s in again.steps] == [s.text for s in graph.steps]
    value, (dx,) = graph.gradient([1.5])
    assert value == math.sin(3.25)
    assert dx == pytest.approx(3 * math.cos(3.25), rel=1e-15)


def test_a_shared_subexpression_is_one_node_whose_adjoint_sums_both_uses():
    graph = from_expression(parse("exp(x) + x*exp(x)"), ("x",))
    assert sum(s.text == "exp(x)" for s in graph.steps) == 1
    nodes = graph.run([0.5])
    shared = next(n for n in nodes if n.op == "exp")
    assert shared.adjoint == 1 + 0.5          # once through "+", once times x
    assert nodes[0].adjoint == pytest.approx(math.exp(0.5) * 2.5, rel=1e-15)


def test_a_shared_graph_node_sums_the_adjoints_of_its_users(tmp_path):
    (case,), _ = load_one(tmp_path, """
        name: shared
        graph: {a: x*y, b: a + 1, c: 2*a, L: b*c}
        at: {x: 2, y: 3}
    """)
    nodes = from_graph(case.graph, case.variables).run([2.0, 3.0])
    a = nodes[2]
    assert a.adjoint == 12.0 * 1 + 7.0 * 2   # dL/db * db/da + dL/dc * dc/da
    assert nodes[0].adjoint == a.adjoint * 3


@pytest.mark.parametrize("text, at, gradient, kink", [
    ("relu(z)", {"z": 0}, (0.0,), True),              # relu'(0) = 0, as PyTorch
    ("abs(z)", {"z": 0}, (0.0,), True),               # the least-norm subgradient of |z|
    ("Max(x, y)", {"x": 1, "y": 1}, (0.5, 0.5), True),
    ("Min(x, y, z)", {"x": 2, "y": 2, "z": 2}, (1 / 3, 1 / 3, 1 / 3), True),
    ("Min(x, 1)", {"x": 1}, (0.0,), True),            # a tied constant takes it all
    ("relu(z)", {"z": 2}, (1.0,), False),
    ("relu(z)", {"z": -2}, (0.0,), False),
    ("abs(z)", {"z": -3}, (-1.0,), False),
    ("Max(x, y)", {"x": 1, "y": 2}, (0.0, 1.0), False),
])
def test_kink_conventions(text, at, gradient, kink):
    graph = from_expression(parse(text), tuple(at))
    nodes = graph.run([float(v) for v in at.values()])
    assert tuple(n.adjoint for n in nodes[:len(at)]) == gradient
    assert nodes[-1].kink is kink


def test_sum_and_mean_reduce_a_whole_column_in_one_node():
    rng = np.random.default_rng(3)
    x = rng.normal(size=10_000)
    y = 2 * x + 1 + rng.normal(scale=0.1, size=10_000)
    data = (Column("x", tuple(map(repr, x)), tuple(x)), Column("y", tuple(map(repr, y)), tuple(y)))
    expr = parse("mean((y - (w*x + b))**2)", data={"rows": 10_000})
    graph = from_expression(expr, ("w", "b"), data)
    assert len(graph.steps) < 10
    assert sum(s.text.startswith("sum(") for s in graph.steps) == 1
    value, (dw, db) = graph.gradient([1.5, 0.5])
    residual = y - (1.5 * x + 0.5)
    assert value == pytest.approx(np.mean(residual ** 2), rel=1e-13)
    assert dw == pytest.approx(-2 * np.mean(residual * x), rel=1e-12)
    assert db == pytest.approx(-2 * np.mean(residual), rel=1e-12)
    nodes = graph.run([1.5, 0.5])
    rows = [n for n in nodes if isinstance(n.value, np.ndarray)]
    assert rows and all(n.value.shape == (10_000,) for n in rows)
    assert all(np.shape(n.adjoint) == () for n in nodes[:2])   # w and b: one number each


def test_a_scalar_summand_counts_once_per_row():
    data = (Column("x", ("1", "2", "3"), (1.0, 2.0, 3.0)),)
    graph = from_expression(parse("sum(w**2 + x)", data={"rows": 3}), ("w",), data)
    value, (dw,) = graph.gradient([2.0])
    assert (value, dw) == (18.0, 12.0)


def test_outside_the_domain_gives_nan_not_an_exception():
    value, (dx,) = _gradient("log(x)", x=-1)
    assert math.isnan(value) and dx == -1.0
    value, (dx,) = _gradient("sqrt(x)", x=0)
    assert value == 0 and dx == math.inf
    value, (dx,) = _gradient("exp(x)", x=1000)
    assert value == math.inf


@pytest.mark.parametrize("text, x, expected", [
    ("tan(x)", 0.5, 1 / math.cos(0.5) ** 2),
    ("asin(x)", 0.5, 1 / math.sqrt(0.75)),
    ("acos(x)", 0.5, -1 / math.sqrt(0.75)),
    ("atan(x)", 2.0, 0.2),
    ("sinh(x)", 1.0, math.cosh(1.0)),
    ("cosh(x)", 1.0, math.sinh(1.0)),
    ("tanh(x)", 20.0, 4 * math.exp(-40) / (1 + math.exp(-40)) ** 2),
    ("erf(x)", 0.5, 2 / math.sqrt(math.pi) * math.exp(-0.25)),
    ("sigmoid(x)", 0.5, math.exp(-0.5) / (1 + math.exp(-0.5)) ** 2),
    ("softplus(x)", 0.5, 1 / (1 + math.exp(-0.5))),
    ("2**x", 3.0, 8 * math.log(2)),
    ("x**x", 2.0, 4 * (math.log(2) + 1)),
    ("1/x", 4.0, -1 / 16),
])
def test_every_allowed_function_has_its_derivative(text, x, expected):
    _, (dx,) = _gradient(text, x=x)
    assert dx == pytest.approx(expected, rel=1e-14)


def test_a_broken_rule_is_used_at_run_time(monkeypatch):
    graph = from_expression(parse("sin(x)"), ("x",))
    broken = dataclasses.replace(functions.BY_NAME["sin"], derivative=lambda lib, a, out: -lib.cos(a))
    monkeypatch.setitem(functions.BY_NAME, "sin", broken)
    assert graph.gradient([0.0])[1] == (-1.0,)


def test_an_unknown_operation_is_refused():
    with pytest.raises(ValueError, match="backprop has no rule for sign"):
        from_expression(sympy.sign(symbol("x")), ("x",))


def test_node_repr_names_the_node():
    node = Node(2.0)
    node.name = "x"
    assert repr(node) == "Node(x, value=2.0, adjoint=0.0)"


# Random expression trees over the allowed functions, kept inside their domains.
_UNARY = ["sin({})", "cos({})", "atan({})", "tanh({})", "erf({})", "exp(tanh({}))",
          "log(1 + ({})**2)", "sqrt(1 + ({})**2)", "sigmoid({})", "softplus(tanh({}))",
          "asin(tanh({})/2)", "acos(tanh({})/2)", "sinh(tanh({}))", "cosh(tanh({}))",
          "tan(tanh({}))", "abs({})", "relu({})", "({})**2", "({})**3"]
_BINARY = ["({}) + ({})", "({}) - ({})", "({})*({})", "({})/(2 + ({})**2)", "Max({}, {})",
           "Min({}, {})"]
_LEAVES = st.sampled_from(["x", "y", "x", "y", "x", "y", "2", "0.5"])
_TREES = st.recursive(
    _LEAVES,
    lambda inner: st.one_of(
        st.builds(lambda f, a: f.format(a), st.sampled_from(_UNARY), inner),
        st.builds(lambda f, a, b: f.format(a, b), st.sampled_from(_BINARY), inner, inner)),
    max_leaves=8)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_TREES, st.integers(-20, 20), st.integers(-20, 20))
def test_backprop_matches_the_exact_gradient_within_its_bound(text, i, j):
    expr = parse(text)
    names = tuple(sorted(s.name for s in expr.free_symbols))
    assume(names)
    point = tuple(number(k / 8) for k in (i, j)[:len(names)])
    engine = ExactFunction(expr, names)
    assume(point_problem(engine, point) is None)
    graph = from_expression(expr, names)
    nodes = graph.run([p.float64 for p in point])
    assume(not any(n.kink for n in nodes))
    sizes = magnitudes(nodes)
    for k in range(len(names)):
        orders = tuple(int(m == k) for m in range(len(names)))
        exact, reason = evaluate_safely(engine, orders, point)
        assume(reason is None)
        bound = backprop_bound(engine, orders, point, sizes[id(nodes[k])], graph.operations)
        error = abs(float(nodes[k].adjoint) - exact)
        assert error <= bound.total, (text, names, point, float(exact), nodes[k].adjoint)


def test_one_reverse_sweep_gives_adjoints_and_their_magnitudes():
    # f = x*y - x*y: the adjoints cancel to 0, their magnitudes add to 2|y| and 2|x|
    graph = from_expression(sympy.Add(sympy.Mul(symbol("x"), symbol("y")),
                                      -sympy.Mul(symbol("x"), symbol("y")), evaluate=False),
                            ("x", "y"))
    nodes = graph.run([3.0, -2.0])
    assert (nodes[0].adjoint, nodes[1].adjoint) == (0.0, 0.0)
    sizes = backprop.propagate(nodes, np.abs)
    assert (sizes[id(nodes[0])], sizes[id(nodes[1])]) == (4.0, 6.0)
    assert magnitudes(nodes) == sizes
    plain = backprop.propagate(nodes)
    assert [plain[id(n)] for n in nodes] == [n.adjoint for n in nodes]


def test_forward_mode_tangents_are_jacobian_vector_products():
    """One forward sweep along v gives grad . v (x*sin(y) + exp(x*y), written out)."""
    from verify.numeric.backprop import from_expression, tangents
    from verify.input.expressions import parse
    graph = from_expression(parse("x*sin(y) + exp(x*y)"), ("x", "y"))
    x, y = 0.7, -1.3
    dx = math.sin(y) + y * math.exp(x * y)
    dy = x * math.cos(y) + x * math.exp(x * y)
    for v in ((1.0, 0.0), (0.0, 1.0), (0.6, -0.8)):
        nodes = graph.forward([x, y])
        assert abs(tangents(nodes, v)[-1] - (v[0] * dx + v[1] * dy)) <= 1e-15


def test_forward_mode_sums_tangents_over_data_rows():
    from verify.numeric.backprop import from_expression, tangents
    from verify.input.expressions import parse
    rows = np.array([1.0, 2.0, 4.0])
    graph = from_expression(parse("sum((w*x)**2)", data={"rows": 3}), ("w",),
                            (Column("x", ("1", "2", "4"), tuple(rows)),))
    nodes = graph.forward([0.5])
    assert abs(tangents(nodes, (1.0,))[-1] - 2 * 0.5 * np.sum(rows**2)) <= 1e-13
