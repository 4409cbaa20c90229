import numpy as np
import pytest

from verify.numeric.differences import derivative, gradient, mixed_partial, partial


def f(points):
    x = points[:, 0]
    return np.exp(np.sin(x))


def f1(x):  # the derivatives of exp(sin x), for reference
    return np.cos(x) * np.exp(np.sin(x))


def f2(x):
    return (np.cos(x) ** 2 - np.sin(x)) * np.exp(np.sin(x))


X = 0.7


def slope(method, order, exact, steps):
    errors = [abs(derivative(f, X, method=method, order=order, h=h).value - exact) for h in steps]
    return np.polyfit(np.log(steps), np.log(errors), 1)[0]


@pytest.mark.parametrize("method, order, nominal, steps", [
    ("forward", 1, 1, np.geomspace(1e-2, 1e-4, 6)),
    ("backward", 1, 1, np.geomspace(1e-2, 1e-4, 6)),
    ("central", 1, 2, np.geomspace(1e-1, 1e-3, 6)),
    ("central4", 1, 4, np.geomspace(2e-1, 2e-2, 6)),
    ("richardson", 1, 6, np.geomspace(3e-1, 1e-1, 6)),
    ("forward", 2, 1, np.geomspace(1e-2, 1e-3, 6)),
    ("central", 2, 2, np.geomspace(1e-1, 1e-2, 6)),
    ("central4", 2, 4, np.geomspace(3e-1, 5e-2, 6)),
])
def test_observed_convergence_order_is_the_nominal_one(method, order, nominal, steps):
    exact = f1(X) if order == 1 else f2(X)
    # Richardson's h^8 term still shows at steps large enough to stay clear of rounding
    tolerance = 0.5 if method == "richardson" else 0.25
    assert slope(method, order, exact, steps) == pytest.approx(nominal, abs=tolerance)


def test_default_steps_reach_the_expected_accuracy():
    exact = f1(X)
    expected = {"forward": 1e-7, "backward": 1e-7, "central": 1e-10, "central4": 1e-12,
                "richardson": 1e-13, "complex_step": 1e-15}
    for method, limit in expected.items():
        result = derivative(f, X, method=method)
        assert abs(result.value - exact) / abs(exact) < limit, method
        assert result.note == ""


def test_complex_step_has_no_subtractive_cancellation():
    result = derivative(f, X, method="complex_step", h=1e-200)
    assert result.value == pytest.approx(f1(X), rel=4e-16)


def test_third_derivative_by_central_differences():
    def cube(points):
        return points[:, 0] ** 4
    assert derivative(cube, 1.5, method="central", order=3).value == pytest.approx(24 * 1.5, rel=1e-4)


def test_step_shrinks_to_stay_inside_the_domain():
    def root(points):
        return np.sqrt(points[:, 0])
    result = derivative(root, 1e-4, method="central", h=1e-3)
    assert result.h <= 1e-4 and "shrunk from 0.001" in result.note
    assert result.value == pytest.approx(50, rel=0.1)


def test_a_method_that_never_fits_says_so_and_returns_nan():
    def nowhere(points):
        return np.full(len(points), np.nan)
    result = derivative(nowhere, 1.0, method="central")
    assert not result.ok and result.note.startswith("could not be applied")


def test_admissible_predicate_keeps_the_stencil_off_a_kink():
    def kinked(points):
        return np.abs(points[:, 0])
    result = derivative(kinked, 1e-3, method="central", h=0.1,
                        admissible=lambda lo, hi: lo > 0)
    assert result.value == pytest.approx(1.0, rel=1e-12)
    assert result.h < 1e-3


def test_gradient_and_mixed_partial():
    def g(points):
        x, y = points[:, 0], points[:, 1]
        return x ** 2 * y ** 3
    grad = gradient(g, [2.0, 3.0])
    assert [d.value for d in grad] == pytest.approx([2 * 2 * 27, 3 * 4 * 9], rel=1e-9)
    assert mixed_partial(g, [2.0, 3.0], 0, 1).value == pytest.approx(2 * 2 * 3 * 9, rel=1e-6)
    assert partial(g, [2.0, 3.0], 1, order=2).value == pytest.approx(4 * 6 * 3, rel=1e-6)


def test_input_is_checked_up_front():
    with pytest.raises(ValueError, match="`h` must be positive."):
        derivative(f, X, h=-1.0)
    with pytest.raises(ValueError, match="does not offer derivative order 2"):
        derivative(f, X, method="complex_step", order=2)


def test_float32_arithmetic_is_float32():
    def g32(points):
        assert points.dtype == np.float32
        return np.sin(points[:, 0])
    result = derivative(g32, np.float32(1.0), method="central", dtype=np.float32)
    assert abs(result.value - np.cos(1.0)) < 1e-3
    assert abs(result.value - np.cos(1.0)) > 1e-10  # it really was float32


def test_mixed_partial_shrinks_its_box_off_a_pole():
    # 1/(y - x) at (0, 1e-4): the pole y = x is 1e-4 away; the box must not reach it
    def g(points):
        return 1.0 / (points[:, 1] - points[:, 0])

    def admissible(span_x, span_y):  # the box stays on the side y > x
        return min(span_y) > max(span_x)

    unguarded = mixed_partial(g, [0.0, 1e-4], 0, 1, method="central")
    guarded = mixed_partial(g, [0.0, 1e-4], 0, 1, method="central", admissible=admissible)
    assert unguarded.h > 5e-5  # the standard step straddles the pole
    assert guarded.h < 5e-5 and "shrunk" in guarded.note
    assert guarded.value == pytest.approx(-2e12, rel=0.2)
    never = mixed_partial(g, [0.0, 1e-4], 0, 1, admissible=lambda a, b: False)
    assert np.isnan(never.value) and never.note.startswith("could not be applied")


def test_mixed_partial_steps_are_representable_at_both_coordinates():
    d = mixed_partial(f, [1.0, 3.0], 0, 1, method="forward", h=0.1)
    assert (3.0 + d.h) - 3.0 == d.h and (1.0 + d.h) - 1.0 == d.h


@pytest.mark.parametrize("method", ["forward", "backward", "central", "central4"])
def test_one_variable_float_path_agrees_with_the_array_path(method):
    # one variable takes the Python-float path; a second, idle variable the NumPy one
    from verify.numeric.stencils import stencil
    rng = np.random.default_rng(3)
    nodes = len(stencil(method, 1).nodes)
    for x, h in zip(rng.uniform(-3, 3, 50), 10 ** rng.uniform(-8, -2, 50)):
        one = derivative(f, x, method=method, h=h)
        two = partial(f, [x, 0.25], 0, method=method, h=h)
        assert one.h == two.h and one.method == two.method == method
        values = np.exp(np.sin(x + stencil(method, 1).nodes_array * one.h))
        # the sums may differ in order only (BLAS): by the rounding of n terms
        allowed = 2 * nodes * np.finfo(float).eps * np.sum(np.abs(
            stencil(method, 1).weights_array * values)) / one.h
        assert abs(one.value - two.value) <= allowed
        if nodes == 2:
            assert one.value == two.value


def test_engine_leaves_the_error_state_to_a_function_that_keeps_its_own():
    from verify.numeric.differences import call_quietly
    seen = []

    def loud(points):
        seen.append(np.geterr()["over"])
        return np.exp(points[:, 0])

    def quiet(points):
        seen.append(np.geterr()["over"])
        with np.errstate(all="ignore"):
            return np.exp(points[:, 0])
    quiet.quiet = True
    points = np.array([[800.0], [1.0]])
    with np.errstate(over="raise"):
        assert np.isinf(call_quietly(loud, points)[0])
        assert np.isinf(call_quietly(quiet, points)[0])
        assert derivative(loud, 800.0).value == np.inf or not derivative(loud, 800.0).ok
    assert seen[:2] == ["ignore", "raise"]


def test_the_tools_compiled_function_overflows_without_warnings():
    import warnings
    from verify.checks.common import numeric_function
    from verify.exact.symbolic import ExactFunction
    from verify.input.expressions import parse
    tool = numeric_function(ExactFunction(parse("exp(x**2)"), ("x",)))
    assert tool.quiet
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for method in ("forward", "central", "richardson", "complex_step"):
            d = derivative(tool, 30.0, method=method)
            assert not d.ok or d.value == np.inf
        assert abs(derivative(tool, 1.0, method="complex_step").value - 2 * np.e) < 1e-14


def test_a_subnormal_step_that_shrinks_to_zero_is_not_applied_not_an_exception():
    d = derivative(lambda p: np.log(p[:, 0]), 0.0, h=5e-324)
    assert not d.applied and np.isnan(d.value)
