import math

import mpmath
import pytest
import sympy

import verify
from verify.exact.symbolic import ExactFunction, NotDefined, evaluate_safely, explain, infinite_piece
from verify.input.expressions import parse
from verify.input.values import parse_value



def as_float(engine, orders, point) -> float:
    return float(engine.value(orders, point))

def engine(text, variables=("x",)):
    return ExactFunction(parse(text), variables)


def at(*texts):
    return [parse_value(t) for t in texts]


@pytest.mark.parametrize("text, orders, point, expected", [
    ("x**3", (1,), "2", 12),
    ("sin(x)", (1,), "pi/4", math.sqrt(2) / 2),
    ("exp(x)", (3,), "1", math.e),
    ("log(x)", (2,), "2", -0.25),
    ("sin(x**2)", (1,), "1.5", 3 * math.cos(2.25)),
    ("(3*x + 1)**4", (1,), "1.5", 1996.5),
    ("atan(x)", (1,), "1", 0.5),
    ("erf(x)", (1,), "0", 2 / math.sqrt(math.pi)),
])
def test_known_derivatives(text, orders, point, expected):
    assert as_float(engine(text), orders, at(point)) == pytest.approx(expected, rel=1e-15)


def test_tanh_prime_at_10_is_right_to_the_last_float64_digit():
    value = engine("tanh(x)").value((1,), at("10"))
    with mpmath.workdps(60):
        truth = 1 / mpmath.cosh(10) ** 2
    assert float(value) == float(truth)
    # float64 evaluation of 1 - tanh^2 cancels: off by ~1e-8 relative
    naive = 1 - math.tanh(10) ** 2
    assert abs(naive / float(truth) - 1) > 1e-9


def test_partial_derivatives_and_mixed_orders():
    f = engine("x**2*y**3", ("x", "y"))
    assert as_float(f, (1, 0), at("2", "3")) == 2 * 2 * 27
    assert as_float(f, (1, 1), at("2", "3")) == 2 * 2 * 3 * 9
    assert as_float(f, (0, 2), at("2", "3")) == 4 * 6 * 3


def test_each_derivative_is_computed_once():
    f = engine("exp(sin(x))")
    first = f.derivative((3,))
    assert f.derivative((3,)) is first
    assert f.compiled((3,)) is f.compiled((3,))


def test_decimal_point_is_the_decimal_not_its_float():
    f = engine("x**2")
    value = f.value((0,), at("0.1"))
    with mpmath.workdps(50):
        assert abs(value - mpmath.mpf(1) / 100) < mpmath.mpf(10) ** -35
        assert abs(value - mpmath.mpf(0.1) ** 2) > mpmath.mpf(10) ** -19


@pytest.mark.parametrize("text, point, words", [
    ("log(x)", "-1", "log(x) is not defined at x=-1 (outside the domain"),
    ("sqrt(x)", "-1", "sqrt(x) is not defined at x=-1"),
    ("1/x", "0", "has a pole (singularity) at x=0"),
    ("asin(x)", "2", "asin(x) is not defined at x=2"),
    ("log(x - 2) + x", "1", "log(x - 2) is not defined at x=1"),
])
def test_undefined_points_name_the_culprit(text, point, words):
    value, reason = evaluate_safely(engine(text), (0,), at(point))
    assert value is None and words in reason


def test_a_value_past_the_engines_range_is_not_called_a_pole():
    # exp(exp(x**2 sinh(x) - x)) at 14236: the inner exp's argument is 5e6190, and
    # mpmath gives up on the outer one; sinh(x) converted to a complex overflowed
    # and was reported as a pole, and SymPy's evalf of the inner exp took 40 s
    value, reason = evaluate_safely(engine("exp(exp(x**2*sinh(x) - x))"), (0,),
                                    at("14236.206423296922"))
    assert value is None and "pole" not in reason
    assert "exp(x**2*sinh(x) - x) has an argument too large to evaluate" in reason
    assert "past the exact engine's range" in reason


def test_data_sums_evaluate_over_the_rows():
    from verify.input.data import Column
    columns = (Column("x", ("1", "2", "3", "4"), (1.0, 2.0, 3.0, 4.0)),
               Column("y", ("2", "4", "5", "8"), (2.0, 4.0, 5.0, 8.0)))
    expr = parse("mean((y - w*x)**2)", data={"rows": 4})
    f = ExactFunction(expr, ("w",), columns)
    assert as_float(f, (0,), at("1.5")) == 1.375
    assert as_float(f, (1,), at("1.5")) == -6.0
    assert as_float(f, (2,), at("1.5")) == 2 * 30 / 4


def test_not_defined_is_raised_for_complex_values():
    with pytest.raises(NotDefined):
        engine("log(x)").value((0,), at("-1"))
    assert "pole" in explain(engine("1/x"), at("0"), ZeroDivisionError())
    assert sympy.Symbol("x", real=True) in engine("x").expression.free_symbols


def test_nested_max_and_min_evaluate_exactly():
    # compiled to mpmath's max/min, not through Piecewise (which took SymPy seconds to print)
    f = engine("Max(Max(2 + x, Min(3, x)), sinh(Min(x, 1.5)))")
    assert as_float(f, (0,), at("-0.7")) == pytest.approx(1.3, rel=1e-15)
    assert as_float(f, (0,), at("2")) == pytest.approx(max(4.0, math.sinh(1.5)), rel=1e-15)


@pytest.mark.parametrize("function, second", [("x*abs(x)", 2), ("1/abs(x)", "1/4"),
                                               ("relu(x - 1)**3", 6)])
def test_higher_derivatives_of_abs_max_relu_away_from_the_kink(function, second):
    # issue 10 item 6: SymPy's DiracDelta reached the compiled code (NameError)
    table = verify.check(function, at={"x": 2}, checks={"derivative": {"order": 2}},
                         expect={"derivative": second})
    assert set(table.status) <= {"pass", "skip", "inconclusive"}, table.message.tolist()
    assert not ExactFunction(parse(function), ("x",)).nth(3).has(sympy.DiracDelta)


def test_numdifftools_two_ion_hamiltonian_hessian():
    # numdifftools' test_run_hamiltonian: two ions in a harmonic trap with Coulomb repulsion,
    # Hessian at the equilibrium x2 = -x1 = (C / (4 m w^2))^(1/3)
    m, w, c = mpmath.mpf("39.96") * mpmath.mpf("1.66e-27"), 2 * mpmath.pi * 10**6, \
        mpmath.mpf("2.307077552e-28")
    x0 = mpmath.nstr(mpmath.cbrt(c / (4 * m * w**2)), 15)
    table = verify.check("m*w**2*(x1**2 + x2**2)/2 + C/abs(x1 - x2)",
                         at={"x1": "-" + x0, "x2": x0},
                         parameters={"m": "39.96*1.66e-27", "w": "2*pi*1000000",
                                     "C": "2.307077552e-28"},
                         checks={"hessian": {"methods": ["richardson"]}})
    true_h = {"hess[x1,x1]": 5.23748385e-12, "hess[x1,x2]": -2.61873829e-12,
              "hess[x2,x2]": 5.23748385e-12}
    assert set(table.quantity) == set(true_h)
    assert (table.status != "error").all() and (table.status != "fail").all()
    for row in table.itertuples():
        assert row.exact == pytest.approx(true_h[row.quantity], rel=1e-5)
    diagonal = table[table.quantity != "hess[x1,x2]"]
    assert (diagonal.status == "pass").all()
    assert (diagonal.tolerance < 1e-6 * abs(diagonal.exact)).all()


@pytest.mark.parametrize("text, point, orders, words", [
    ("sqrt(x)", "0", 1, "the derivative df/dx is infinite at x=0: sqrt(x) has the value 0 there "
                        "and an infinite derivative"),
    ("asin(x)", "1", 1, "df/dx is infinite at x=1: asin(x) has the value 1.57079632679"),
    ("log(x)", "0", 0, "log(x) is -infinity at x=0 (the logarithm of 0), so the value is not "
                       "finite"),
    ("1/x", "0", 0, "1/x has a pole (singularity) at x=0: division by zero, so the value is "
                    "infinite"),
])
def test_domain_edges_name_the_quantity_and_the_reason(text, point, orders, words):
    # issue 10 item 13: sqrt(x) at 0 said "no finite real value at x=0 ()"
    value, reason = evaluate_safely(engine(text), (orders,), at(point))
    assert value is None and words in reason


def test_a_pole_at_an_exact_point_is_found_exactly():
    # 40-digit pi/2 gives tan a large finite value; the exact point is a pole
    assert infinite_piece(engine("tan(x)"), at("pi/2")) == \
        "tan(x) has a pole (singularity) at x=pi/2, so the value is infinite"
    assert infinite_piece(engine("tan(x)"), at("1.5707963")) is None
    table = verify.check("tan(x)", at={"x": "pi/2"}, checks=["derivative"])
    assert (table.status == "error").all()
    assert all("tan(x) has a pole" in m for m in table.message)


LAYER = ("log(exp(a*0.2 - b*0.9 + c) + exp(-a*0.4 + b + 2*c) + exp(b*c)) - (-a*0.4 + b + 2*c)",
         ("a", "b", "c"))


def test_gradient_entries_of_a_layer_match_sympys_diff_by_balls_without_compiling(monkeypatch):
    from verify.exact import compiled
    f = ExactFunction(parse(LAYER[0]), LAYER[1])

    def refuse(*args):
        raise AssertionError("the gradient entries came from a compiled SymPy derivative")
    monkeypatch.setattr(compiled.Compiled, "mp", refuse)
    written = at("0.3", "-1.1", "0.7")
    nearest = [mpmath.mpf(p.float64) for p in written]  # a float point (representation's)
    for point in (written, nearest):
        values = {s: (p.exact if hasattr(p, "exact") else sympy.Rational(float(p)))
                  for s, p in zip(f.symbols, point)}
        for i, s in enumerate(f.symbols):
            orders = tuple(int(k == i) for k in range(3))
            expected = float(sympy.diff(f.expression, s).evalf(50, subs=values))
            assert float(f.value(orders, point)) == expected


@pytest.mark.parametrize("text", [
    "log(exp(x*y) + exp(2*x + z)) - 3*x", "sin(x**2)*sqrt(y + x)", "x**y", "tanh(x*y)**-2",
    "abs(x - y)*x", "Max(x, y*x)", "atan(x/y) + erf(x)", "where(x > y, x*y, x**2)",
    "gelu(x*y) + softsign(z - x) + logsumexp(x, y, z)"])
def test_differentiate_builds_what_sympys_diff_builds(text):
    from verify.exact.symbolic import differentiate
    from verify.input.expressions import symbol
    expr = parse(text)
    drop = lambda e: e.replace(lambda d: isinstance(d, sympy.DiracDelta), lambda d: sympy.S.Zero)
    for by in (symbol("x"), symbol("y")):
        ours, theirs = expr, expr
        for _ in range(2):  # the first and second derivatives
            ours, theirs = differentiate(ours, by), drop(sympy.diff(theirs, by))
            assert ours == theirs
