"""Error against step size: steps, the model, both curves, and what is read off them."""
import math

import mpmath
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from verify.bounds import model as error_models
from verify.numeric import curves
from verify.exact.compiled import Compiled
from verify.exact.derivatives import at_point
from verify.exact.symbolic import ExactFunction
from verify.input.expressions import parse
from verify.input.values import parse_value
from verify.numeric.stencils import stencil

U = 2.0 ** -53


def mp_function(text):
    return Compiled(parse(text), ("x",)).mp


def np_function(text):
    compiled = Compiled(parse(text), ("x",))
    return lambda points: np.asarray(compiled.numpy(*np.asarray(points).T))


def test_steps_are_log_spaced_between_the_ends():
    hs = curves.steps(1e-16, 1.0, 17)
    assert hs[0] == 1e-16 and hs[-1] == 1.0
    assert np.allclose(np.diff(np.log10(hs)), 1.0)


@pytest.mark.parametrize("args, message", [
    ((0.0, 1.0, 10), "`h_min` must be positive."),
    ((1.0, 0.5, 10), "`h_max` must be larger than `h_min`."),
    ((1e-3, 1.0, 1), "`num` must be at least 2."),
])
def test_steps_reject_bad_ranges(args, message):
    with pytest.raises(ValueError) as caught:
        curves.steps(*args)
    assert str(caught.value) == message


@pytest.mark.parametrize("method, k, expected", [
    ("forward", 2, 1 / 2), ("forward", 3, 1 / 6), ("central", 3, 1 / 6), ("central", 4, 0.0),
    ("central", 5, 1 / 120), ("central4", 5, 1 / 30), ("complex_step", 3, 1 / 6),
    ("complex_step", 4, 0.0), ("complex_step", 5, 1 / 120),
])
def test_error_coefficients_are_the_textbook_ones(method, k, expected):
    assert error_models.moment(method, 1, k) == pytest.approx(expected, rel=1e-12, abs=1e-300)


def test_model_of_forward_difference_of_x_squared():
    derivatives = [9, 6, 2, 0, 0, 0, 0, 0]
    model = error_models.error_model("forward", derivatives, value_error=27 * U, unit_roundoff=U)
    assert model.power == 1 and model.derivative == 2
    assert model.truncation == pytest.approx(stencil("forward", 1).peano_constant * 2)
    assert model.rounding == pytest.approx(2 * 27 * U)
    assert model.floor == pytest.approx(6 * U)
    assert model.best_h == pytest.approx(math.sqrt(model.rounding / model.truncation))


def test_model_minimum_is_the_minimum_of_the_model():
    model = error_models.error_model("central", [1, 2, 3, 4, 5, 6, 7, 8], value_error=3 * U,
                               unit_roundoff=U)
    grid = np.geomspace(1e-10, 1e-2, 200001)
    assert model.best_h == pytest.approx(grid[np.argmin(model.error(grid))], rel=1e-3)


def test_zero_truncation_has_no_valley_and_the_largest_step_is_best():
    model = error_models.error_model("central", [9, 6, 2, 0, 0, 0, 0, 0], value_error=27 * U,
                               unit_roundoff=U)
    assert model.truncation == 0 and model.best_h is None
    h, error, where = curves.predicted_best(model, curves.steps(1e-15, 1, 50))
    assert (h, where) == (1.0, "exact")
    assert error == pytest.approx(27 * U + 6 * U)


def test_vanishing_leading_derivative_hands_over_to_the_next_term():
    # sin at 0: f'' = 0, so forward differences err like f''' h^2 / 6
    model = error_models.error_model("forward", [0, 1, 0, -1, 0, 1, 0, -1], value_error=0.0,
                               unit_roundoff=U)
    assert (model.derivative, model.power) == (3, 2)
    assert model.truncation == pytest.approx(1 / 6)


def test_complex_step_rounding_does_not_grow():
    model = error_models.error_model("complex_step", [1, 2, 3, 4, 5, 6], value_error=1.0,
                               derivative_error=5 * U, unit_roundoff=U)
    assert model.order == 0 and model.best_h is None
    assert model.error(1e-300) == pytest.approx(5 * U + 2 * U)


def test_float_quotients_of_x_squared_are_exact_at_powers_of_two():
    hs = np.array([2.0 ** -k for k in (4, 10, 20)])
    forward = curves.float_quotients(np_function("x**2"), [3.0], 0, "forward", hs)
    central = curves.float_quotients(np_function("x**2"), [3.0], 0, "central", hs)
    assert forward.tolist() == (6 + hs).tolist()
    assert central.tolist() == [6.0, 6.0, 6.0]


def test_complex_step_quotient_has_no_cancellation():
    value = curves.float_quotients(np_function("sin(x)"), [1.0], 0, "complex_step",
                                   np.array([1e-200]))
    assert value[0] == pytest.approx(math.cos(1.0), rel=4 * U)


def test_float_errors_are_measured_against_the_exact_value_not_its_float():
    with mpmath.workdps(40):
        exact = mpmath.mpf(1) / 3
        nearest = float(exact)
        errors = curves.float_errors(np.array([nearest, np.nan]), exact)
        assert errors[0] == pytest.approx(float(abs(mpmath.mpf(nearest) - exact)), rel=1e-12)
    assert errors[0] > 0 and np.isnan(errors[1])


def test_exact_arithmetic_has_only_truncation():
    hs = curves.steps(1e-12, 1.0, 13)
    with mpmath.workdps(50):
        side = curves.ExactArithmetic(mp_function("x**2"), mpmath.mpf(3), hs, 50)
        forward = side.errors("forward", mpmath.mpf(6))
        central = side.errors("central", mpmath.mpf(6))
    assert forward == pytest.approx(hs, rel=1e-30)   # f''/2 h = h, with no rounding at all
    assert np.all(central < 1e-35)
    with mpmath.workdps(50):
        side = curves.ExactArithmetic(mp_function("exp(x)"), mpmath.mpf(1), hs, 50)
        central = side.errors("central", mpmath.e)
    small = hs < 1e-3
    assert central[small] == pytest.approx(math.e * hs[small] ** 2 / 6, rel=1e-5)


def test_exact_arithmetic_marks_steps_that_leave_the_domain():
    hs = np.array([0.25, 1.0])
    with mpmath.workdps(30):
        side = curves.ExactArithmetic(mp_function("sqrt(x)"), mpmath.mpf("0.5"), hs, 30)
        errors = side.errors("central", 1 / (2 * mpmath.sqrt(mpmath.mpf("0.5"))))
    assert np.isfinite(errors[0]) and np.isnan(errors[1])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(st.floats(0, 1e6), st.just(float("nan"))), min_size=1, max_size=40),
       st.sampled_from([3, 5]))
def test_running_median_is_pandas_centred_rolling_median(values, window):
    expected = pd.Series(values, dtype=float).rolling(window, center=True, min_periods=1).median()
    assert np.allclose(curves.smoothed(values, window), expected.to_numpy(), equal_nan=True)


def test_a_lucky_zero_is_not_the_best_step():
    hs = np.geomspace(1e-10, 1e-2, 49)
    errors = 1e-16 / hs + hs
    errors[5] = 0.0  # an exact cancellation far from the valley
    h, _ = curves.observed_best(hs, errors)
    assert 1e-9 < h < 1e-7


def test_the_valley_floor_is_where_the_error_is_nearly_the_lowest():
    hs = np.geomspace(1e-10, 1e-2, 9)
    curve = np.array([1e-4, 1e-5, 3e-7, 2e-7, 1e-7, 2.9e-7, 4e-7, 1e-5, 1e-3])
    assert curves.valley_floor(hs, curve, hs[4]) == (hs[2], hs[5])
    assert curves.valley_floor(hs, curve, None) is None


def test_ties_go_to_the_largest_step():
    hs = np.geomspace(1e-3, 1, 10)
    assert curves.observed_best(hs, np.zeros(10))[0] == 1.0


def test_fitted_order_over_the_truncation_dominated_range():
    hs = curves.steps(1e-16, 1, 100)
    model = error_models.Model(truncation=0.5, power=2, derivative=3, rounding=1e-16, order=1, floor=0)
    exact = 0.5 * hs ** 2
    noisy = exact + 1e-16 / hs * np.cos(np.arange(100))
    slope, window = curves.fit_order(hs, noisy, exact, model)
    assert slope == pytest.approx(2.0, abs=0.02)
    lo, hi, points = window
    assert model.truncation * lo ** 2 >= curves.DOMINANCE * model.rounding / lo
    assert hi <= lo * 10 ** curves.FIT_DECADES * 1.0001 and points >= curves.MIN_FIT_POINTS


def test_no_order_is_fitted_without_truncation():
    hs = curves.steps(1e-3, 1, 10)
    model = error_models.Model(0.0, 2, 0, 1e-16, 1, 0.0)
    slope, reason = curves.fit_order(hs, hs * 0 + 1e-16, hs * 0, model)
    assert slope is None and "no truncation term" in reason


def test_analyse_reads_the_valley_of_exp_central():
    hs = curves.steps(1e-16, 1, 100)
    f, g = np_function("exp(x)"), mp_function("exp(x)")
    with mpmath.workdps(50):
        exact = mpmath.e
        side = curves.ExactArithmetic(g, mpmath.mpf(1), hs, 50)
        emp = side.errors("central", exact)
    e64 = curves.float_errors(curves.float_quotients(f, [1.0], 0, "central", hs), exact)
    derivatives = at_point(ExactFunction(parse("exp(x)"), ("x",)), (parse_value("1"),), 0, 8)
    model = error_models.error_model("central", derivatives, value_error=2 * U * math.e,
                               unit_roundoff=U)
    curve = curves.analyse("central", hs, e64, emp, model, nominal=2)
    assert curve.valley == "inside"
    assert 0.1 < curve.observed_h / curve.predicted_h < 10
    assert curve.observed_error <= 100 * curve.predicted_error
    assert curve.slope == pytest.approx(2.0, abs=0.1)
    # the textbook optimum for central differences: (3 u |f| / |f'''|)^(1/3)
    assert curve.predicted_h == pytest.approx((3 * 2 * U * math.e / math.e) ** (1 / 3), rel=0.05)


def test_a_derivative_that_cannot_be_told_from_zero_makes_the_model_unsure():
    model = error_models.error_model("central", [1.0, 2.0, 0.5, None, 1.0, 2.0, 3.0],
                                     value_error=U, unit_roundoff=U)
    assert model.unsure and "order 3" in model.unsure and model.truncation == 0


def test_the_exact_side_is_cut_short_when_its_time_is_spent():
    hs = curves.steps(1e-8, 1.0, 20)
    exact_side = curves.ExactArithmetic(mp_function("exp(x)"), mpmath.mpf(1), hs, 30, seconds=0)
    errors = exact_side.errors("central", mpmath.e)
    assert np.isnan(errors).all() and exact_side.cut_above == 0
    patient = curves.ExactArithmetic(mp_function("exp(x)"), mpmath.mpf(1), hs, 5000)
    assert patient.dps == curves.EXACT_MAX_DPS
    assert np.isfinite(patient.errors("central", mpmath.e)).all()
