import numpy as np
import pytest

from verify.bounds.predicted import SAFETY, partial_bound, mixed_bound
from verify.checks.common import numeric_function
from verify.checks.compare import judge_numeric, located
from verify.numeric.differences import derivative, mixed_partial, unit_roundoff
from verify.exact.symbolic import ExactFunction
from verify.input.expressions import parse
from verify.input.values import parse_value

SMOOTH = [("exp(sin(x))", "0.7"), ("x**3", "2"), ("log(x)", "2"), ("tanh(x)", "10"),
          ("sin(x**2)", "1.5"), ("(3*x + 1)**4", "1.5"), ("exp(x)/sqrt(sin(x)**3 + cos(x)**3)", "1.5"),
          ("atan(x)*erf(x)", "0.3"), ("1/(1 + 25*x**2)", "0.3"), ("x**2 - 2*x + 1", "1.001")]
METHODS = ("forward", "backward", "central", "central4", "richardson", "complex_step")
U = unit_roundoff(np.float64)


def setup(text, point):
    engine = ExactFunction(parse(text), ("x",))
    return engine, numeric_function(engine), [parse_value(point)]


@pytest.mark.parametrize("text, point", SMOOTH)
def test_the_bound_holds_for_every_method_on_smooth_functions(text, point):
    engine, f, at = setup(text, point)
    exact = engine.value((1,), at)
    pessimism = []
    for method in METHODS:
        for h in (None, 1e-2, 1e-6):
            if method == "complex_step" and h == 1e-2:
                continue
            d = derivative(f, at[0].float64, method=method, h=h)
            bound = partial_bound(engine, at, d, 0, unit_roundoff=U)
            error = abs(d.value - float(exact))
            assert error <= bound.total, (method, h, error, bound)
            if error > 0:
                pessimism.append(bound.total / error)
    assert np.median(pessimism) < 1000


def test_truncation_is_rigorous_and_shrinks_with_h():
    engine, f, at = setup("exp(sin(x))", "0.7")
    coarse = partial_bound(engine, at, derivative(f, 0.7, method="central", h=1e-2), 0, unit_roundoff=U)
    fine = partial_bound(engine, at, derivative(f, 0.7, method="central", h=1e-3), 0, unit_roundoff=U)
    assert coarse.kind == fine.kind == "rigorous"
    assert fine.truncation == pytest.approx(coarse.truncation / 100, rel=0.05)
    assert fine.rounding == pytest.approx(coarse.rounding * 10, rel=0.1)
    assert coarse.total == pytest.approx(SAFETY * (coarse.truncation + coarse.rounding))


def test_a_wrong_derivative_fails_its_bound():
    engine, f, at = setup("sin(x)", "1")
    d = derivative(f, 1.0, method="central4")
    bound = partial_bound(engine, at, d, 0, unit_roundoff=U)
    base = {"file": "f.yaml", "case": "c", "check": "derivative"}
    right = judge_numeric(located(base, method="central4", quantity="d/dx", point="x=1"),
                          exact=engine.value((1,), at), difference=d, bound=bound)
    # the analytic derivative a student might write by mistake: -cos(x)
    wrong = judge_numeric(located(base, method="central4", quantity="d/dx", point="x=1"),
                          exact=-np.cos(1.0), difference=d, bound=bound)
    assert right.status == "pass" and wrong.status == "fail"
    assert "exceeds the rigorous bound" in wrong.message


def test_cancellation_is_in_the_rounding_term():
    # near x = 1, x^2 - 2x + 1 is tiny but its terms are not
    engine, f, at = setup("x**2 - 2*x + 1", "1.001")
    d = derivative(f, 1.001, method="central", h=1e-8)
    bound = partial_bound(engine, at, d, 0, unit_roundoff=U)
    assert bound.rounding > 4 * U * 1.0 / 1e-8 * 0.5


def test_decimal_points_add_the_representation_term():
    engine, f, at = setup("exp(x)", "0.1")
    d = derivative(f, 0.1, method="central4")
    bound = partial_bound(engine, at, d, 0, unit_roundoff=U)
    assert 0 < bound.representation < 1e-16


def test_mixed_partial_bound_holds():
    engine = ExactFunction(parse("exp(x*y) + sin(x)*y**2"), ("x", "y"))
    f = numeric_function(engine)
    at = [parse_value("0.5"), parse_value("0.75")]
    exact = float(engine.value((1, 1), at))
    for method in ("forward", "central", "central4"):
        d = mixed_partial(f, [0.5, 0.75], 0, 1, method=method)
        bound = mixed_bound(engine, at, d, 0, 1, unit_roundoff=U)
        assert abs(d.value - exact) <= bound.total, method


@pytest.mark.parametrize("text, point", [("cos(erf(x)) + 3", "0.05"), ("sinh(erf(x)**3)", "0.1")])
def test_complex_step_bound_covers_scipys_complex_erf(text, point):
    # scipy.special.erf errs by up to ~21 units on complex arguments (found by fuzzing)
    engine, f, at = setup(text, point)
    d = derivative(f, at[0].float64, method="complex_step")
    bound = partial_bound(engine, at, d, 0, unit_roundoff=U)
    assert abs(d.value - float(engine.value((1,), at))) <= bound.total


def test_an_overflowing_bound_is_infinite_not_an_exception():
    from verify.numeric.differences import Difference
    engine, f, at = setup("x**3", "1e53")
    # h^6 = 1e312 overflows a float: the bound is +inf (inconclusive), not an OverflowError
    bound = partial_bound(engine, at, Difference(3e106, 1e52, "richardson", 1, levels=3), 0,
                          unit_roundoff=U)
    assert bound.total >= 0
    engine, f, at = setup("exp(x)", "1e2")
    huge = partial_bound(engine, at, Difference(1.0, 1e60, "central4", 1), 0, unit_roundoff=U)
    assert huge.total == float("inf")


def test_the_mixed_bound_has_no_leading_term_stand_in():
    from verify.numeric.differences import Difference
    engine = ExactFunction(parse("1/(y - x)"), ("x", "y"))
    at = [parse_value("0"), parse_value("1e-4")]
    # the box of h = 2.7e-4 holds the pole: no enclosure, so no finite bound
    straddling = mixed_bound(engine, at, Difference(7.1e10, 2.7e-4, "central", 2), 0, 1,
                             unit_roundoff=U)
    assert straddling.total == float("inf")
    inside = mixed_bound(engine, at, Difference(-2e12, 1e-8, "central", 2), 0, 1, unit_roundoff=U)
    assert inside.kind == "rigorous" and inside.total < 2e12
