import numpy as np
import pytest

from verify.input.expressions import parse
from verify.bounds.rounding import running_error

U = 2.0 ** -53


def test_exact_integers_have_no_error_and_inputs_one_unit():
    values, errors = running_error(parse("3*x"), ["x"], np.array([[0.1]]), U)
    assert values[0] == pytest.approx(0.3)
    assert errors[0] == pytest.approx(3 * U * 0.1 + U * 0.3)


def test_cancellation_is_charged_by_the_magnitudes():
    values, errors = running_error(parse("x**2 - 2*x + 1"), ["x"], np.array([[1.0 + 1e-8]]), U)
    assert abs(values[0]) < 1e-15
    assert errors[0] > U  # the terms are of size 1, so the error is too


def test_running_bound_covers_the_actual_float_error():
    rng = np.random.default_rng(0)
    points = rng.uniform(0.2, 3.0, size=(200, 1))
    expr = parse("exp(sin(x**2 + 1)) * log(x) / (1 + x**3)")
    values, errors = running_error(expr, ["x"], points, U)
    import mpmath
    with mpmath.workdps(40):
        exact = [mpmath.exp(mpmath.sin(mpmath.mpf(x) ** 2 + 1)) * mpmath.log(mpmath.mpf(x))
                 / (1 + mpmath.mpf(x) ** 3) for x in points[:, 0]]
    actual = np.abs(values - np.array([float(e) for e in exact]))
    assert np.all(actual <= 2 * errors + 1e-300)


def test_data_sums_over_rows():
    from verify.input.data import Column
    column = Column("x", ("1", "2", "3"), (1.0, 2.0, 3.0))
    values, errors = running_error(parse("sum(w*x)", data={"rows": 3}), ["w"],
                                   np.array([[2.0]]), U, (column,))
    assert values[0] == 12.0 and errors[0] > 0


def test_nodes_kept_between_calls_give_what_a_fresh_walk_gives():
    from verify.bounds import rounding
    from verify.input.expressions import parse
    expr = parse("log(exp(a*b - c) + exp(b + c) + exp(a*c)) - (b + c)")
    names = ("a", "b", "c")
    u = 2.0 ** -53

    def stencil(point, index):
        nodes = np.repeat(np.array([point]), 2, axis=0)
        nodes[:, index] += [-1e-5, 1e-5]
        return nodes

    calls = [stencil([0.3, -1.1, 0.7], i) for i in range(3)]
    calls += [stencil([0.3, -1.2, 0.7], i) for i in range(3)]  # another point: other values held
    kept = [rounding.running_error(expr, names, nodes, u) for nodes in calls]
    for nodes, (value, error) in zip(calls, kept):
        rounding._shared.cache_clear()
        fresh_value, fresh_error = rounding.running_error(expr, names, nodes, u)
        assert np.array_equal(value, fresh_value) and np.array_equal(error, fresh_error)


def test_the_reciprocal_of_a_huge_number_carries_its_bases_error():
    # 1/(1 + exp(-x - y)) at x = -615.789: a = 2.7e267 and a**-2 is 0 in float64, yet
    # the rounding of -x - y (615 units of u) reaches f; it is carried as b a**b ea / a
    import mpmath
    u = U
    values, errors = running_error(parse("1/(1 + exp(-x - y))"), ("x", "y"),
                                   np.array([[-615.789, 0.5]]), u)
    assert 600 * u * values[0] < errors[0] < 2000 * u * values[0]
    with mpmath.workdps(50):
        exact = 1 / (1 + mpmath.exp(mpmath.mpf(615.789) - mpmath.mpf(0.5)))
    assert abs(values[0] - float(exact)) <= errors[0]


def test_the_gradient_of_a_far_sigmoid_in_two_variables_passes(tmp_path):
    from verify.api import run
    path = tmp_path / "far.yaml"
    path.write_text("name: far\nfunction: 1/(1 + exp(-x - y))\n"
                    "at: {x: -615.789, y: 0.5}\nchecks: [gradient]\n")
    assert set(run(path).status) == {"pass"}


def test_a_value_that_underflows_carries_the_smallest_subnormal_not_zero():
    # exp(-1.3e7) is 0 in float64 though the exact value is 1e-5651939: the error
    # bound is what underflow may lose, not u times the 0 computed
    values, errors = running_error(parse("exp(-(x**4)**2)"), ("x",), np.array([[7.75]]), U)
    assert values[0] == 0 and errors[0] >= np.finfo(float).smallest_subnormal
    # where nothing underflows the term is far below the relative one
    values, errors = running_error(parse("exp(-x**2)"), ("x",), np.array([[1.5]]), U)
    assert 2 * U * values[0] < errors[0] < 20 * U * values[0]  # relative terms only


@pytest.mark.parametrize("text, x", [
    ("exp(-(sqrt(1 + x**2) + 2*x**2 - x)**2)", "-300.25"),    # f underflows at every node
    ("cos(sigmoid(sqrt(1 + (x**2 - x)**2))) * exp(x + 2)", "-200000000.0"),  # and h = 1382
])
def test_finite_differences_of_values_that_underflow_are_never_failed(tmp_path, text, x):
    from verify.api import run
    path = tmp_path / "under.yaml"
    path.write_text(f"name: under\nfunction: {text}\nat: {{x: {x}}}\n"
                    "checks: {derivative: {methods: [forward, central, central4]}, backprop: {}}\n")
    statuses = set(run(path).status)
    assert statuses <= {"pass", "inconclusive"}, statuses
