"""Tensor notation in the safe parser (verify/input/tensors.py): each
operation expands to the scalars it means, checked against NumPy."""
from __future__ import annotations

import numpy as np
import pytest
import sympy

from verify.input.expressions import ExpressionError, parse, symbol
from verify.input.tensors import entry_name, split_entry

SHAPES = {"W": (2, 3), "b": (2,), "x": (3,), "y": (2,)}
RNG = np.random.default_rng(7)
VALUES = {name: RNG.uniform(-1, 1, shape) for name, shape in SHAPES.items()}


def value_of(text, shapes=SHAPES, values=VALUES):
    """Evaluate the parsed scalar at ``values`` through its entry symbols."""
    expr = parse(text, shapes=shapes)
    env = {symbol(entry_name(name, index)): float(array[index])
           for name, array in values.items() for index in np.ndindex(*array.shape)}
    return float(expr.xreplace(env).evalf(30))


def softmax(z):
    e = np.exp(z - z.max())
    return e / e.sum()


@pytest.mark.parametrize("text, expected", [
    ("sum_all(W @ x + b)", lambda v: (v["W"] @ v["x"] + v["b"]).sum()),
    ("matmul(W, x)[1]", lambda v: (v["W"] @ v["x"])[1]),
    ("sum_all(transpose(W) @ W)", lambda v: (v["W"].T @ v["W"]).sum()),
    ("T(W)[2, 1] * W[1, 2]", lambda v: v["W"][1, 2] ** 2),
    ("mean_all(sin(W))", lambda v: np.sin(v["W"]).mean()),
    ("dot(y, b) / 2 - x[0]**2", lambda v: v["y"] @ v["b"] / 2 - v["x"][0] ** 2),
    ("logsumexp(W @ x)", lambda v: np.log(np.exp(v["W"] @ v["x"]).sum())),
    ("softmax(b)[0]", lambda v: softmax(v["b"])[0]),
    ("sum_all(log_softmax(x))", lambda v: (v["x"] - np.log(np.exp(v["x"]).sum())).sum()),
    ("sum_all(2*W - 1)", lambda v: (2 * v["W"] - 1).sum()),
    ("sum_all(-x**2)", lambda v: -(v["x"] ** 2).sum()),
    ("sum_all(where(x > 0, x, 0.1*x))", lambda v: np.where(v["x"] > 0, v["x"], 0.1 * v["x"]).sum()),
])
def test_tensor_notation_means_what_numpy_computes(text, expected):
    assert value_of(text) == pytest.approx(expected(VALUES), rel=1e-12, abs=1e-14)


def test_softmax_cross_entropy_gradient_is_softmax_minus_label():
    """The textbook identity dL/dW = (softmax(Wx + b) - y) x^T, dL/db = softmax - y,
    from SymPy's derivative of the expanded scalar, at random values."""
    y = np.array([0.0, 1.0])
    values = {**VALUES, "y": y}
    loss = parse("logsumexp(W @ x + b) - dot(y, W @ x + b)", shapes=SHAPES)
    env = {symbol(entry_name(n, i)): float(a[i]) for n, a in values.items()
           for i in np.ndindex(*a.shape)}
    s = softmax(VALUES["W"] @ VALUES["x"] + VALUES["b"])
    expected_W = np.outer(s - y, VALUES["x"])
    for i, j in np.ndindex(2, 3):
        d = loss.diff(symbol(entry_name("W", (i, j)))).xreplace(env)
        assert float(d) == pytest.approx(expected_W[i, j], rel=1e-12)
    for i in range(2):
        d = loss.diff(symbol(entry_name("b", (i,)))).xreplace(env)
        assert float(d) == pytest.approx((s - y)[i], rel=1e-12)


def test_softmax_jacobian_is_diag_minus_outer():
    """d softmax(z)_i / d z_j = s_i (delta_ij - s_j)."""
    z = np.array([0.3, -1.2, 0.8])
    shapes = {"z": (3,)}
    s = softmax(z)
    env = {symbol(entry_name("z", (k,))): float(z[k]) for k in range(3)}
    for i in range(3):
        entry = parse(f"softmax(z)[{i}]", shapes=shapes)
        for j in range(3):
            d = float(entry.diff(symbol(entry_name("z", (j,)))).xreplace(env))
            assert d == pytest.approx(s[i] * ((i == j) - s[j]), rel=1e-12, abs=1e-15)


@pytest.mark.parametrize("text, message", [
    ("W @ x", "is a tensor of shape [2]; the function must reduce to a scalar"),
    ("sum_all(W + x)", "elementwise operands have different shapes [2, 3] and [3]"),
    ("sum_all(x @ W)", "matrix product of shapes [3] and [2, 3]"),
    ("W[2, 0]", "index 2 is out of range for shape [2, 3]"),
    ("x[k]", "an index must be whole numbers written out"),
    ("x[0:2]", "an index must be whole numbers written out"),
    ("softmax(W)[0]", "'softmax' needs a vector, got shape [2, 3]"),
    ("dot(x, b)", "dot of shapes [3] and [2]"),
    ("sum_all(3)", "'sum_all' needs tensor arguments"),
    ("W.T", "attribute access is not allowed"),
])
def test_tensor_mistakes_are_expression_errors(text, message):
    with pytest.raises(ExpressionError, match=None) as info:
        parse(text, shapes=SHAPES)
    assert message in str(info.value)


def test_without_shapes_subscripts_and_tensor_calls_stay_refused():
    with pytest.raises(ExpressionError, match="subscripts are not allowed"):
        parse("x[0]")
    with pytest.raises(ExpressionError, match="unknown function 'sum_all'"):
        parse("sum_all(x)")
    # T and dot stay ordinary symbol names where no tensor is declared
    assert parse("T*dot") == symbol("T") * symbol("dot")


def test_entry_names_cannot_be_written_as_names_in_an_expression():
    """W[0,1] is an entry symbol; the parser reads the text W[0,1] as indexing,
    and no name it accepts holds a bracket."""
    assert split_entry("W[0,1]") == ("W", (0, 1))
    assert split_entry("W") is None
    expr = parse("W[0, 1]", shapes=SHAPES)
    assert expr == symbol("W[0,1]") and isinstance(expr, sympy.Symbol)
