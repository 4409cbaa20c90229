"""Gradient descent runs, their classification and theory for quadratics."""
from __future__ import annotations

import math

import numpy as np
import pytest

from verify.numeric.descent import (classify, default_bound, descend, gradient_function, predict,
                            quadratic_eigenvalues, tolerances)
from verify.exact.symbolic import ExactFunction
from verify.input.expressions import parse
from verify.exact.minimisers import stationary_points


def engine(text, variables=("x",), data=()):
    rows = {"rows": len(data[0].texts)} if data else None
    return ExactFunction(parse(text, data=rows), variables, data)


def run(text, start, lr, steps, variables=("x",), data=(), xtol=None):
    function = engine(text, variables, data)
    path, diverged = descend(gradient_function(function), start, lr, steps, default_bound(start))
    minimisers = stationary_points(function, [tuple(path[-1]), tuple(start)])
    outcome, nearest = classify(path, diverged, minimisers, xtol)
    return outcome, path, nearest


def test_a_step_is_x_minus_lr_times_the_gradient():
    path, diverged = descend(gradient_function(engine("(x - 3)**2 + 1")), [0.0], 0.1, 2, 1e6)
    assert not diverged
    assert path[:, 0].tolist() == [0.0, 0.6000000000000001, 1.08]


@pytest.mark.parametrize("factor, outcome", [(0.99, "converged"), (1.01, "diverged")])
def test_quadratics_around_two_over_L(factor, outcome):
    # f = 2 x^2 + y^2 / 2: L = 4, so lr = 2/L = 0.5 is the edge
    lr = factor * 0.5
    found, path, nearest = run("2*x**2 + y**2/2", [1.0, 1.0], lr, 2000, ("x", "y"))
    assert found == outcome
    assert [float(c) for c in nearest.point] == [0.0, 0.0]
    theory = predict(quadratic_eigenvalues(engine("2*x**2 + y**2/2", ("x", "y"))), lr,
                     [1.0, 1.0], nearest, 2000, default_bound([1.0, 1.0]))
    assert theory.outcome == outcome
    assert theory.contraction == pytest.approx(abs(1 - lr * 4))


def test_too_few_steps_is_unconverged():
    found, path, _ = run("(x - 3)**2 + 1", [0.0], 0.1, 50)
    assert found == "unconverged"
    assert path[-1, 0] == pytest.approx(3 - 3 * 0.8 ** 50, rel=1e-12)
    assert classify(path, False, stationary_points(engine("(x - 3)**2 + 1")), xtol=1e-4)[0] \
        == "converged"


def test_the_lab_quartic():
    outcomes = [run("x**4 - 3*x**3 + 2", [4.0], lr, 100)[0] for lr in (0.001, 0.01, 0.1)]
    assert outcomes == ["unconverged", "converged", "diverged"]


def test_nan_and_overflow_are_divergence():
    outcome, path, _ = run("exp(-x) + x", [1.0], 1e3, 10)  # to -631, then past the bound
    assert outcome == "diverged" and len(path) == 3
    assert path[1, 0] == pytest.approx(1 - 1e3 * (1 - math.exp(-1))) and path[2, 0] > 1e6
    outcome, path, _ = run("x**2 + sqrt(x)", [1.0], 1.0, 10)  # to -1.5, where sqrt is NaN
    assert outcome == "diverged" and path[1, 0] == -1.5 and math.isnan(path[2, 0])


def test_xtol_defaults_to_a_relative_million():
    minimum = stationary_points(engine("(x - 3000)**2"))[0]
    assert tolerances(minimum).tolist() == [3e-3]
    assert tolerances(minimum, 0.5).tolist() == [0.5]


def test_the_regression_converges_and_theory_agrees():
    from tests.test_minimisers import regression_data
    rows, data = regression_data()
    function = engine("mean((y - (w*x + b))**2)", ("w", "b"), data)
    eigenvalues = quadratic_eigenvalues(function)
    hessian = 2 * np.array([[np.mean(rows[:, 0] ** 2), np.mean(rows[:, 0])],
                            [np.mean(rows[:, 0]), 1.0]])
    assert sorted(eigenvalues) == pytest.approx(sorted(np.linalg.eigvalsh(hessian)), rel=1e-12)
    edge = 2 / max(eigenvalues)
    for lr, expected in ((0.9 * edge, "converged"), (1.1 * edge, "diverged")):
        outcome, path, nearest = run("mean((y - (w*x + b))**2)", [0.0, 0.0], lr, 3000,
                                     ("w", "b"), data)
        assert outcome == expected
        assert predict(eigenvalues, lr, [0.0, 0.0], nearest, 3000, 1e6).outcome == expected


def test_non_quadratics_get_no_theory():
    assert quadratic_eigenvalues(engine("x**4")) is None
    assert quadratic_eigenvalues(engine("cos(x)")) is None
    # Hessian [[2, 3], [3, 8]]: eigenvalues 5 -+ sqrt(18)
    assert quadratic_eigenvalues(engine("(x - 1)**2 + 3*x*y + 4*y**2", ("x", "y"))) \
        == pytest.approx((5 - math.sqrt(18), 5 + math.sqrt(18)))


def test_a_thousand_steps_store_the_whole_path():
    path, _ = descend(gradient_function(engine("(1 - x)**2 + 100*(y - x**2)**2", ("x", "y"))),
                      [-1.0, 1.0], 1e-4, 1000, 1e6)
    assert path.shape == (1001, 2) and np.all(np.isfinite(path))
    assert path[-1, 0] > path[0, 0]  # heading for the valley's minimum (1, 1)
