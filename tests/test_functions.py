"""The function registry: every primitive against every engine, and the
composites against their definitions (values computed here independently)."""
import math

import mpmath
import numpy as np
import pytest
import sympy

from verify.core import functions
from verify.numeric.backprop import Node, from_expression
from verify.exact.compiled import Compiled
from verify.input.expressions import parse, symbol
from verify.exact.intervals import NotSmooth, interval_max_abs
from verify.bounds.rounding import running_error
from verify.exact.series import Record, expand

# A point well inside each primitive's domain
INSIDE = {"asin": 0.3, "acos": 0.3, "atanh": 0.3, "tan": 0.3, "acosh": 1.7, "log": 1.7}
PRIMITIVE_NAMES = [p.name for p in functions.PRIMITIVES]
U = 2.0 ** -53


def exact(name, x, order=0):
    """f^(order)(x) by mpmath alone (no verify code)."""
    f = functions.BY_NAME[name].mpmath
    with mpmath.workdps(40):
        return mpmath.diff(f, mpmath.mpf(x), order) if order else f(mpmath.mpf(x))


@pytest.mark.parametrize("name", PRIMITIVE_NAMES)
def test_every_primitive_has_every_engines_entry(name):
    primitive = functions.BY_NAME[name]
    assert primitive.sympy is not None and primitive.series
    assert callable(primitive.numpy) and callable(primitive.scalar) and callable(primitive.mpmath)
    assert functions.CALLABLE[name][0] is primitive.sympy
    assert functions.primitive_of(parse(f"{name}(x)")) is primitive


@pytest.mark.parametrize("name", PRIMITIVE_NAMES)
def test_numeric_forms_and_the_rounding_bound(name):
    x = INSIDE.get(name, 0.6)
    expr = parse(f"{name}(x)")
    truth = exact(name, x)
    value = Compiled(expr, ("x",)).numpy(np.array([x]))[0]
    values, errors = running_error(expr, ("x",), [[x]], U)
    assert abs(value - truth) <= 4 * U * abs(truth)
    assert values[0] == value and abs(values[0] - truth) <= errors[0] * 2
    assert functions.BY_NAME[name].scalar(x) == pytest.approx(float(truth), rel=4 * U)


@pytest.mark.parametrize("name", PRIMITIVE_NAMES)
def test_backprop_local_derivative(name):
    x = INSIDE.get(name, 0.6)
    graph = from_expression(parse(f"{name}(x)"), ("x",))
    value, (dx,) = graph.gradient([x])
    assert dx == pytest.approx(float(exact(name, x, 1)), rel=1e-13)
    rows = Node.unary(name, Node(np.array([x, x])))  # over data rows: the NumPy forms
    assert rows.value[1] == pytest.approx(value, rel=1e-15)
    assert rows.rule()[0][0] == pytest.approx(dx, rel=1e-15)


@pytest.mark.parametrize("name", PRIMITIVE_NAMES)
def test_interval_enclosure_holds_the_values(name):
    x = INSIDE.get(name, 0.6)
    width = 1e-3
    found = interval_max_abs(parse(f"{name}(x)"), ("x",), [(x, x + width)])
    samples = [abs(exact(name, x + width * k / 8)) for k in range(9)]
    assert max(samples) <= found <= max(samples) * (1 + 1e-9) + 1e-12


@pytest.mark.parametrize("name", [p.name for p in functions.PRIMITIVES
                                  if math.isfinite(p.domain[0]) or math.isfinite(p.domain[1])])
def test_interval_outside_the_domain_is_not_smooth(name):
    low, high = functions.BY_NAME[name].domain
    edge = low if math.isfinite(low) else high
    with pytest.raises(NotSmooth):
        interval_max_abs(parse(f"{name}(x)"), ("x",), [(edge - 0.5, edge + 0.01)])


@pytest.mark.parametrize("name", PRIMITIVE_NAMES)
def test_series_rule_matches_mpmath_taylor(name):
    x = INSIDE.get(name, 0.6)
    about = sympy.Rational(x).limit_denominator(1000)
    coefficients = expand(parse(f"{name}(x)"), symbol("x"), about, 6, Record())
    with mpmath.workdps(40):
        reference = mpmath.taylor(functions.BY_NAME[name].mpmath, mpmath.mpf(about.p) / about.q, 6)
    for c, r in zip(coefficients, reference):
        assert float(sympy.N(c, 30)) == pytest.approx(float(r), rel=1e-13, abs=1e-15)


@pytest.mark.parametrize("name", PRIMITIVE_NAMES)
def test_complex_form_gives_the_complex_step_derivative(name):
    x, h = INSIDE.get(name, 0.6), 1e-20
    primitive = functions.BY_NAME[name]
    step = primitive.numpy(np.array([x + 1j * h]))[0].imag / h
    allowed = primitive.complex_ulps * 4 * U * abs(float(exact(name, x, 1)))
    assert abs(step - float(exact(name, x, 1))) <= allowed


# Values of the composites, written from their textbook definitions with math only
REFERENCE = {
    "gelu(1)": 0.5 * (1 + math.erf(1 / math.sqrt(2))),
    "gelu_tanh(1)": 0.5 * (1 + math.tanh(math.sqrt(2 / math.pi) * (1 + 0.044715))),
    "silu(1)": 1 / (1 + math.exp(-1)),
    "elu(-1)": math.exp(-1) - 1,
    "elu(2)": 2.0,
    "selu(-1)": 1.0507009873554804934 * 1.6732632423543772848 * (math.exp(-1) - 1),
    "selu(2)": 2 * 1.0507009873554804934,
    "leaky_relu(-2, 0.01)": -0.02,
    "leaky_relu(3, 0.01)": 3.0,
    "softsign(-3)": -0.75,
    "mish(1)": math.tanh(math.log1p(math.e)),
    "hardtanh(2)": 1.0, "hardtanh(-0.5)": -0.5,
    "logsumexp(1, 2, 3)": 3 + math.log(math.exp(-2) + math.exp(-1) + 1),
    "log1p(0.5)": math.log1p(0.5), "expm1(0.5)": math.expm1(0.5),
    "log2(10)": math.log2(10), "log10(2)": math.log10(2), "exp2(0.5)": math.sqrt(2),
    "erfc(0.5)": math.erfc(0.5), "asinh(2)": math.asinh(2), "acosh(2)": math.acosh(2),
    "atanh(0.5)": math.atanh(0.5), "relu(-1)": 0.0, "sigmoid(0)": 0.5,
    "softplus(0)": math.log(2), "sqrt(2)": math.sqrt(2),
}


@pytest.mark.parametrize("text", sorted(REFERENCE))
def test_composites_match_their_definitions(text):
    assert float(parse(text).evalf(30)) == pytest.approx(REFERENCE[text], rel=1e-15, abs=1e-300)


def test_every_callable_name_is_a_primitive_a_switch_or_a_composite():
    composites = {c.name for c in functions.COMPOSITES}
    for name in functions.CALLABLE:
        assert (name in functions.BY_NAME) + (name in functions.SWITCHES) + (name in composites) == 1


@pytest.mark.parametrize("composite", functions.COMPOSITES, ids=lambda c: c.name)
def test_composites_expand_to_what_the_engines_know(composite):
    args = [symbol(f"z{i}") for i in range(composite.arity or 3)]
    expr = composite.build(*args)
    for node in sympy.preorder_traversal(expr):
        if isinstance(node, sympy.Function):
            assert functions.primitive_of(node) or isinstance(node, functions.SWITCH_CLASSES), node


WHERE = "where(x > 1, exp(x), x**2)"


def test_where_parses_to_a_piecewise_and_refuses_other_comparisons():
    assert parse(WHERE) == sympy.Piecewise((sympy.exp(symbol("x")), symbol("x") > 1),
                                           (symbol("x") ** 2, True))
    for text, message in (("x > 0", "only as the first argument of where"),
                          ("where(x, 1, 2)", "must be one comparison"),
                          ("where(0 < x < 1, 1, 2)", "must be one comparison"),
                          ("where(x > 0, 1)", "exactly 3 arguments")):
        with pytest.raises(Exception, match=message):
            parse(text)


@pytest.mark.parametrize("x, piece", [(2.0, math.exp), (0.5, lambda v: v * v), (1.0, lambda v: v * v)])
def test_where_in_every_engine_takes_the_piece_of_the_point(x, piece):
    expr = parse(WHERE)
    assert Compiled(expr, ("x",)).numpy(np.array([x]))[0] == pytest.approx(piece(x), rel=1e-15)
    values, errors = running_error(expr, ("x",), [[x]], U)
    assert values[0] == pytest.approx(piece(x), rel=1e-15) and errors[0] < 1e-14
    value, (dx,) = from_expression(expr, ("x",)).gradient([x])
    slope = math.exp(x) if x > 1 else 2 * x
    assert value == pytest.approx(piece(x), rel=1e-15) and dx == pytest.approx(slope, rel=1e-15)


def test_where_over_an_interval_or_a_series_refuses_a_switch_inside():
    expr = parse(WHERE)
    assert interval_max_abs(expr, ("x",), [(1.5, 1.6)]) == pytest.approx(math.exp(1.6), rel=1e-12)
    assert interval_max_abs(expr, ("x",), [(0.5, 0.6)]) == pytest.approx(0.36, rel=1e-12)
    with pytest.raises(NotSmooth):
        interval_max_abs(expr, ("x",), [(0.9, 1.1)])
    assert expand(expr, symbol("x"), sympy.Rational(1, 2), 3, Record()) == [
        sympy.Rational(1, 4), 1, 1, 0]
    with pytest.raises(Exception, match="kink"):
        expand(expr, symbol("x"), sympy.Integer(1), 3, Record())


def test_backprop_of_where_over_data_rows_is_one_hot():
    rows = Node.select((">", None), Node(np.array([1.0, 2.0, 3.0])), np.array([1.0, -1.0, 0.0]),
                       Node(np.array([5.0, 6.0, 7.0])))
    assert list(rows.value) == [1.0, 6.0, 7.0] and rows.kink  # 0 is the switch point
    assert [list(d) for d in rows.rule()] == [[1.0, 0.0, 0.0], [0.0, 1.0, 1.0]]
