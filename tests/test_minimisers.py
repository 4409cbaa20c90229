"""Stationary points: SymPy's solutions, Newton's polish, the Hessian's verdict."""
from __future__ import annotations

import math
import signal
import time
from pathlib import Path

import mpmath
import numpy as np
import pytest
import sympy

from verify.input.data import Column
from verify.input.expressions import symbol
from verify.exact.minimisers import exact_loss, stationary_points
from tests.test_descent import engine, run

ROOT = Path(__file__).resolve().parents[1]


def test_stationary_points_are_classified():
    found = stationary_points(engine("x**4 - 3*x**3 + 2"))
    assert [(str(m.exact[0]), m.kind) for m in found] == [("0", "saddle"), ("9/4", "minimum")]
    saddle = stationary_points(engine("x**2 - y**2", ("x", "y")))
    assert [m.kind for m in saddle] == ["saddle"]
    top = stationary_points(engine("-(x**2) - y**4", ("x", "y")))
    assert [m.kind for m in top] == ["maximum"]  # singular Hessian: decided by sampling


def test_periodic_minimisers_beyond_sympys_list_come_from_the_runs():
    outcome, path, nearest = run("cos(x)", [7.0], 0.5, 200)
    assert outcome == "converged"
    assert float(nearest.point[0]) == pytest.approx(3 * math.pi)
    assert nearest.how.startswith("Newton polish")


def test_unsolvable_gradients_fall_back_to_newton():
    function = engine("x*sin(x) + x**2/10")
    found = stationary_points(function, [(0.3,), (-2.0,)], budget=0.5)
    assert all(m.how.startswith("Newton polish") for m in found)
    for m in found:
        assert abs(function.value((1,), m.point)) < 1e-25


def regression_data():
    rows = np.loadtxt(ROOT / "cases" / "regression.csv", delimiter=",", skiprows=1)
    texts = [tuple(f"{v:.6f}" for v in rows[:, i]) for i in (0, 1)]
    data = (Column("x", texts[0], tuple(rows[:, 0])), Column("y", texts[1], tuple(rows[:, 1])))
    return rows, data


def test_the_regression_minimiser_is_the_least_squares_solution():
    rows, data = regression_data()
    function = engine("mean((y - (w*x + b))**2)", ("w", "b"), data)
    (minimum,) = stationary_points(function)
    assert minimum.kind == "minimum" and minimum.how == "SymPy solve"
    solution = np.linalg.lstsq(np.c_[rows[:, 0], np.ones(len(rows))], rows[:, 1], rcond=None)[0]
    assert [float(c) for c in minimum.point] == pytest.approx(solution, rel=1e-12)
    # and exactly: the normal equations over the six-decimal data, in rationals
    assert all(c.is_Rational for c in minimum.exact)


def test_exact_loss_expands_data_sums_into_polynomials():
    data = (Column("x", ("1", "2"), (1.0, 2.0)), Column("y", ("3", "5"), (3.0, 5.0)))
    function = engine("sum((y - w*x)**2)", ("w",), data)
    w = function.symbols[0]
    assert exact_loss(function).expand() == (5 * w ** 2 - 26 * w + 34).expand()
    nonpolynomial = engine("sum(exp(w*x))", ("w",), data)
    assert exact_loss(nonpolynomial) is None


def _swallowing_solve(then_sleep, finished):
    """A solve whose first alarm is swallowed, as in a garbage-collector callback;
    ``finished`` gets True if its second sleep ran to its end."""
    def solve(*args, **kwargs):
        try:
            time.sleep(2)
        except BaseException:
            pass  # "Exception ignored in ...": the alarm's exception goes nowhere
        time.sleep(then_sleep)
        finished.append(True)
        return [{symbol("x"): sympy.Integer(0)}]
    return solve


class _Finalised:
    def __init__(self, log):
        self.log = log

    def __del__(self):  # an alarm here would be swallowed: it must wait for the next one
        started = time.monotonic()
        while time.monotonic() - started < 0.3:
            pass
        self.log.append("finaliser done")


@pytest.mark.parametrize("then_sleep", [0.0, 3.0])
def test_a_swallowed_alarm_still_ends_in_timed_out(monkeypatch, then_sleep):
    # issue 10 item 14: a swallowed SIGALRM let SymPy run on, past its budget
    finished = []
    monkeypatch.setattr(sympy, "solve", _swallowing_solve(then_sleep, finished))
    function = engine("cos(x)")
    handler = signal.getsignal(signal.SIGALRM)
    found = stationary_points(function, [(3.0,)], budget=0.2)
    assert finished == ([True] if then_sleep == 0 else [])  # the 3 s sleep was cut short
    assert [m.how for m in found] == ["Newton polish (SymPy timed out solving grad f = 0 "
                                      "(limit 0.2 s))"]
    assert float(found[0].point[0]) == pytest.approx(math.pi)
    assert signal.getsignal(signal.SIGALRM) is handler
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


def test_an_alarm_is_not_spent_inside_a_finaliser(monkeypatch):
    # an exception raised in __del__ is "ignored" (pytest reports it as a failure);
    # the alarm waits for the next one, RETRY seconds on, outside the finaliser
    log = []

    def solve(*args, **kwargs):
        _Finalised(log)  # collected at once: its __del__ outlasts the 0.1 s budget
        log.append("after the finaliser")
        time.sleep(3)
        log.append("not reached")
    monkeypatch.setattr(sympy, "solve", solve)
    found = stationary_points(engine("cos(x)"), [(3.0,)], budget=0.1)
    assert log == ["finaliser done", "after the finaliser"]
    assert "SymPy timed out" in found[0].how


def test_an_alarm_is_not_spent_inside_a_garbage_collector_callback(monkeypatch):
    import gc
    log = []

    def callback(phase, info):  # Hypothesis installs one such; its exceptions are "ignored"
        if phase == "start" and "in solve" in log and "collected" not in log:
            started = time.monotonic()
            while time.monotonic() - started < 0.3:
                pass
            log.append("collected")

    def solve(*args, **kwargs):
        log.append("in solve")
        gc.collect()
        log.append("after the collection")
        time.sleep(3)
        log.append("not reached")
    monkeypatch.setattr(sympy, "solve", solve)
    gc.callbacks.append(callback)
    try:
        found = stationary_points(engine("cos(x)"), [(3.0,)], budget=0.1)
    finally:
        gc.callbacks.remove(callback)
    assert log == ["in solve", "collected", "after the collection"]
    assert "SymPy timed out" in found[0].how


def test_a_solve_run_from_a_finaliser_is_still_stopped():
    # frames below the budgeted block do not count: only an alarm landing in a
    # finaliser inside the block waits for the next one
    import weakref
    from verify.exact.minimisers import _budget, _OverBudget
    outcome = []

    def spin():
        started = time.monotonic()
        try:
            with _budget(0.2):
                while time.monotonic() - started < 3:
                    pass
                outcome.append("ran to the end")  # inside: the exit check would stop it too
        except _OverBudget:
            outcome.append("stopped")

    class Held:
        pass
    held = Held()
    weakref.finalize(held, spin)
    del held
    assert outcome == ["stopped"]


def test_a_newton_polish_that_runs_long_is_given_up(monkeypatch):
    # a Newton step may land where every value needs pi to 2**18 bits
    # (cos(exp(2x**2 - x)) far out): the polish has its own budget per guess
    from verify.exact import minimisers
    function = engine("cos(x)")
    finished = []

    def slow_value(orders, point):
        time.sleep(5)
        finished.append(True)
        return mpmath.mpf(1)
    monkeypatch.setattr(minimisers, "POLISH_BUDGET", 0.2)
    monkeypatch.setattr(function, "value", slow_value)
    assert minimisers._polished(function, [(3.0,)], "test") == ()
    assert finished == []  # the first value was cut short, not waited for


def test_a_budget_puts_back_the_callers_own_alarm():
    from verify.exact.minimisers import _budget
    fired = []
    previous = signal.signal(signal.SIGALRM, lambda *a: fired.append(True))
    try:
        signal.setitimer(signal.ITIMER_REAL, 30)
        with _budget(5):
            pass
        left, _ = signal.getitimer(signal.ITIMER_REAL)
        assert 20 < left <= 30  # still armed, not cancelled by the inner budget
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    assert fired == []
