"""f' and f'' where an argument has drifted far (verify/bounds/slopes.py), and
the verdicts they guard: generated functions at far points never fail."""
import math

import numpy as np
import pytest
import sympy

from verify.bounds.rounding import lost_below_normal
from verify.bounds.slopes import EVERYWHERE, LOCAL_UP_TO, power_derivatives, sizes
from verify.bounds.tangent_rounding import _derivatives, tangent_running_error
from verify.input.expressions import parse

U = 2.0 ** -53


def test_a_small_error_keeps_the_values_at_the_point():
    slope, curve = sizes(_derivatives("cos"), 2.0, LOCAL_UP_TO / 2, -np.sin(2.0), -np.cos(2.0))
    assert slope == abs(np.sin(2.0)) and curve == abs(np.cos(2.0))


def test_a_far_argument_takes_the_largest_slope_over_its_interval():
    # at a turning point of cos, f' is 0; 220 away it may be anything up to 1
    a = 2.0e18
    slope, curve = sizes(_derivatives("cos"), a, 220.0, 0.0, 0.0, limits=EVERYWHERE["cos"])
    assert slope == curve == 1.0


def test_a_saturated_tanh_whose_argument_may_be_near_0_has_slope_1():
    # on balls 1/cosh(t)**2 over [-20, 100] is unbounded; tanh's f' is at most 1
    assert sizes(_derivatives("tanh"), 40.0, 60.0, 0.0, 0.0)[0] == math.inf
    slope, curve = sizes(_derivatives("tanh"), 40.0, 60.0, 0.0, 0.0, limits=EVERYWHERE["tanh"])
    assert slope == 1.0
    assert curve == pytest.approx(4 / 3 ** 1.5, rel=1e-9)  # max |tanh''| = 4/(3 sqrt 3)


@pytest.mark.parametrize("name", sorted(EVERYWHERE))
def test_the_largest_slopes_anywhere_are_the_registrys(name):
    # sampled densely, |f'| and |f''| reach the table's values and never pass them
    import mpmath
    from verify.core.functions import BY_NAME
    grid = [k / 64 for k in range(-640, 641)]
    with mpmath.workdps(30):
        first = max(abs(mpmath.diff(BY_NAME[name].mpmath, t, 1)) for t in grid)
        second = max(abs(mpmath.diff(BY_NAME[name].mpmath, t, 2)) for t in grid)
    assert float(first) <= EVERYWHERE[name][0] and float(first) > EVERYWHERE[name][0] * 0.999
    assert float(second) <= EVERYWHERE[name][1] and float(second) > EVERYWHERE[name][1] * 0.999


def test_an_interval_leaving_the_domain_has_no_finite_slope():
    assert sizes(_derivatives("log"), 0.5, 1.0, 2.0, 4.0) == (math.inf, math.inf)


def test_powers_are_far_by_their_relative_error():
    derivatives = power_derivatives(sympy.Integer(3))
    a = np.array([1e10, 1e10, 1.0])
    errors = np.array([1.0, 1e3, 0.5])  # 1e-10 of a (local), 1e-7 and 0.5 (far)
    slope, curve = sizes(derivatives, a, errors, 3 * a ** 2, 6 * a, edges=(0.0,))
    assert slope[0] == 3e20 and curve[0] == 6e10
    # balls bound from above, to about 1e-8 (their radii are 30-bit numbers)
    for got, top in ((slope[1], 3 * (1e10 + 1e3) ** 2), (slope[2], 3 * 1.5 ** 2),
                     (curve[2], 6 * 1.5)):
        assert top <= got <= top * (1 + 1e-7)


def test_values_below_the_smallest_normal_may_have_lost_it():
    tiny = np.finfo(np.float64).tiny
    assert list(lost_below_normal(np.array([0.0, 5e-324, tiny, 1.0]), U)) == [tiny, tiny, 0, 0]
    assert lost_below_normal(0.0, 2.0 ** -24) == np.finfo(np.float32).tiny


def test_atan_of_a_huge_argument_loses_a_slope_that_still_matters():
    # d/dx atan(x*exp(x)) at 382: the slope 1/(1 + a*a) is 0 (a*a overflows), the
    # exact derivative 3.8e-175 is not; the bound must cover that
    d, error = tangent_running_error(parse("atan(x*exp(x))"), ("x",), [382.0], 0, U)
    assert d == 0.0 and error > 1e-150


@pytest.mark.parametrize("function, x", [
    ("tanh(sin(cos(x**4) * 2*x) * 3*x) * sqrt(1 + (x**2)**2)", 37504.97805105822),
    ("sin(x**2)", -192787790.4830842),
    ("atan(exp(log(1 + (2*x)**2) + x + 0) * x + 0)", 382.40706122711026)])
def test_far_points_where_float64_loses_the_function_are_never_failed(tmp_path, function, x):
    # float64 gets the sign of the first one wrong (fl(x**4) is 220 off inside
    # a cos); the rows say so by their bounds, not by failing the right code
    from verify.api import run
    path = tmp_path / "far.yaml"
    path.write_text(f"name: far\nfunction: {function}\nat: {{x: {x!r}}}\n"
                    "checks: [derivative, backprop]\n")
    rows = run(path)
    assert set(rows.status) <= {"pass", "inconclusive", "skip"}, rows[["method", "status"]]
    assert "inconclusive" in set(rows[rows.method == "backprop"].status)


def test_near_a_domain_edge_the_error_is_measured_against_the_distance_to_it():
    # log at 1e-9 with its argument 5e-10 off: 1/t over [5e-10, 1.5e-9] reaches 2e9,
    # twice the slope at the point, though 5e-10 is far below LOCAL_UP_TO
    slope, curve = sizes(_derivatives("log"), 1e-9, 5e-10, 1e9, 1e18, edges=(0.0,))
    assert slope >= 2e9 * (1 - 1e-9) and curve >= 4e18 * (1 - 1e-9)
    assert sizes(_derivatives("log"), 2.0, 4e-16, 0.5, 0.25, edges=(0.0,)) == (0.5, 0.25)
