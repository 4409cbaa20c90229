"""The exact stationary points of a function, classified by the Hessian.

SymPy solves grad f = 0 under a time budget (a loss over data is first
expanded exactly: sum_i (y_i - w x_i - b)^2 becomes a polynomial in w and b
whose coefficients are exact sums over the rows, so the least-squares
minimiser comes out in rationals). Each real solution is classified by the
eigenvalues of the exact Hessian as a minimum, a maximum or a saddle; where
the Hessian is singular, by the first nonzero higher derivative (one
variable) or by the function's values around the point (several).

SymPy lists one period of a periodic function's stationary points and may
not solve at all within its budget; so Newton's method on grad f = 0, at 30
digits with the exact Hessian, also polishes given guesses (the end points
of descent runs) and adds what SymPy did not list.

References
----------
.. [1] Nocedal, J. and Wright, S. J. "Numerical Optimization", 2nd ed.,
   Springer (2006), sec. 2.1 (conditions for a local minimiser).
"""
from __future__ import annotations

import contextlib
import gc
import math
import signal
import sys
import threading
import time
from dataclasses import dataclass
from fractions import Fraction

import mpmath
import numpy as np
import sympy

from verify.exact.compiled import LimitReached
from verify.input.expressions import DataSum, symbol
from verify.exact.precision import number_text

SOLVE_BUDGET = 5.0   # seconds SymPy may spend on grad f = 0
POLISH_BUDGET = 3.0  # seconds Newton may spend from one guess, per variable
MAX_EXACT_ROWS = 20_000
DPS = 30


@dataclass(frozen=True)
class Stationary:
    """A point where grad f = 0: coordinates (mpf), kind and how it was found."""

    point: tuple
    kind: str                 # "minimum", "maximum", "saddle"
    eigenvalues: tuple = ()   # of the Hessian there (floats)
    how: str = "SymPy solve"
    exact: tuple = ()         # SymPy coordinates, when SymPy found them

    def show(self, variables) -> str:
        exact = [str(c) for c in self.exact]
        shown = exact if exact and max(map(len, exact)) <= 30 else \
            [number_text(c, 12) for c in self.point]
        return ", ".join(f"{v}={c}" for v, c in zip(variables, shown))


class _OverBudget(BaseException):
    """SymPy's time is up (a BaseException, so SymPy's own handlers let it through)."""


RETRY = 0.05  # seconds between alarms once the budget is spent


@contextlib.contextmanager
def _budget(seconds):
    """Raise _OverBudget in the block once ``seconds`` have passed.

    An alarm that lands in a garbage-collector callback or a ``__del__`` is
    swallowed there ("Exception ignored in ..."), so the alarm repeats every
    RETRY seconds until one gets through, and a block that ends after its
    deadline raises _OverBudget on the way out: the limit cannot be lost.
    """
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "setitimer"):
        yield  # only the main thread gets signals; the worker's hard limit still holds
        return
    deadline = time.monotonic() + seconds
    armed = [True]
    home = sys._getframe(2)  # the block's own frame (past contextlib's __enter__)

    def stop(signum, frame):
        if armed[0] and not _swallowed_in(frame, home):
            raise _OverBudget()
    previous = signal.signal(signal.SIGALRM, stop)
    outer, _ = signal.getitimer(signal.ITIMER_REAL)  # a caller's own alarm, put back after
    started = time.monotonic()
    signal.setitimer(signal.ITIMER_REAL, seconds, RETRY)
    try:
        yield
    finally:
        try:
            armed[0] = False
        finally:  # restored even if an alarm lands on the line above
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
            if outer:  # what is left of it, or at once if it is due already
                signal.setitimer(signal.ITIMER_REAL,
                                 max(outer - (time.monotonic() - started), 1e-3))
    if time.monotonic() > deadline:
        raise _OverBudget()


def _swallowed_in(frame, home=None) -> bool:
    """Whether an exception raised at ``frame`` would be swallowed ("Exception
    ignored in ..."): a ``__del__``, a garbage-collector callback (Hypothesis
    installs one), a weakref callback, or the hook that
    reports such exceptions (pytest's turns them into failures) runs there. The
    next alarm, RETRY seconds on, lands elsewhere. Only the frames above
    ``home`` (the budgeted block's) count: a solve run from a finaliser is still
    stopped."""
    callbacks = {getattr(callback, "__code__", None) for callback in gc.callbacks}
    for _ in range(64):
        if frame is None or frame is home:
            return False
        code = frame.f_code
        if code.co_name == "__del__" or code in callbacks or code.co_filename.endswith(
                ("weakref.py", "unraisableexception.py")):
            return True
        frame = frame.f_back
    return False


def exact_loss(engine):
    """The function with every data sum expanded exactly, or None when a sum's
    summand is not a polynomial in the variables and the columns."""
    sums = engine.expression.atoms(DataSum)
    if not sums:
        return engine.expression
    if len(engine.data[0].texts) > MAX_EXACT_ROWS:
        return None
    columns = [symbol(c.name) for c in engine.data]
    rows = [[Fraction(t) for t in c.texts] for c in engine.data]
    replaced = {}
    for one in sums:
        try:
            poly = sympy.Poly(sympy.expand(one.args[0]), *engine.symbols, *columns)
        except sympy.PolynomialError:
            return None
        if not all(c.is_Rational for c in poly.coeffs()):
            return None
        total = sympy.Integer(0)
        size = len(engine.symbols)
        for monomial, coefficient in poly.terms():
            power_sum = sum(math.prod(col[i] ** e for col, e in zip(rows, monomial[size:]))
                            for i in range(len(rows[0])))
            term = math.prod(s ** e for s, e in zip(engine.symbols, monomial[:size]))
            total += coefficient * sympy.Rational(power_sum.numerator, power_sum.denominator) * term
        replaced[one] = total
    return engine.expression.xreplace(replaced)


def stationary_points(engine, guesses=(), budget: float = SOLVE_BUDGET) -> tuple[Stationary, ...]:
    """Every real stationary point SymPy finds, and those Newton reaches from ``guesses``."""
    expr = exact_loss(engine)
    solutions, timed_out = None, False
    if expr is not None:
        try:
            with _budget(budget):
                grads = [sympy.diff(expr, s) for s in engine.symbols]
                solutions = sympy.solve(grads, engine.symbols, dict=True)
        except _OverBudget:
            solutions, timed_out = None, True
        except (NotImplementedError, ValueError, TypeError):
            solutions = None
    found = []
    if solutions is not None and all(set(s) >= set(engine.symbols) for s in solutions):
        for solution in solutions:
            exact = tuple(solution[s] for s in engine.symbols)
            with mpmath.workdps(DPS + 20):
                values = [mpmath.mpmathify(complex(v.evalf(DPS + 20))) if not v.is_Rational
                          else mpmath.mpf(v.p) / v.q for v in exact]
            if any(isinstance(v, mpmath.mpc) and abs(v.imag) > mpmath.mpf(10) ** -DPS for v in values):
                continue
            point = tuple(mpmath.re(v) for v in values)
            found.append(_classified(engine, point, "SymPy solve", exact))
        why = "not in SymPy's list (periodic functions have infinitely many)"
    elif expr is None:
        why = "the loss is not a polynomial over its data"
    elif timed_out:
        why = f"SymPy timed out solving grad f = 0 (limit {budget:g} s)"
    else:
        why = "SymPy could not solve grad f = 0"
    # Newton from the runs' end points too: SymPy lists one period of a periodic function
    return tuple(found) + _polished(engine, guesses, why, found)


def _polished(engine, guesses, why, known=()):
    size = len(engine.variables)
    units = [tuple(int(i == j) for j in range(size)) for i in range(size)]
    found = list(known)
    for guess in guesses:
        if not all(math.isfinite(g) for g in guess):
            continue
        with mpmath.workdps(DPS):
            try:
                # a step may land where the function needs pi to 2**18 bits at every
                # evaluation (cos(exp(2x**2 - x)) far out): the polish has its own time
                with _budget(POLISH_BUDGET * size):
                    root = mpmath.findroot(
                        lambda *x: [engine.value(u, x) for u in units],
                        [mpmath.mpf(g) for g in guess],
                        J=lambda *x: [[engine.value(tuple(a + b for a, b in zip(u, w)), x)
                                       for w in units] for u in units])
            except (ZeroDivisionError, ValueError, ArithmeticError, LimitReached, _OverBudget):
                continue  # a Newton step out of reach is a polish that failed
            point = tuple(root[i] for i in range(size)) if isinstance(root, mpmath.matrix) \
                else (root,)
            close = mpmath.mpf(10) ** -12  # distinct stationary points are farther apart
            if any(all(abs(p - q.point[i]) <= close * max(1, abs(p)) for i, p in enumerate(point))
                   for q in found):
                continue
        found.append(_classified(engine, point, f"Newton polish ({why})"))
    return tuple(found[len(known):])


def hessian(engine, point):
    size = len(engine.variables)
    matrix = mpmath.matrix(size, size)
    for i in range(size):
        for j in range(size):
            orders = [0] * size
            orders[i] += 1
            orders[j] += 1
            matrix[i, j] = engine.value(tuple(orders), point)
    return matrix


def _classified(engine, point, how, exact=()):
    with mpmath.workdps(DPS):
        eigenvalues = mpmath.eigsy(hessian(engine, point))[0]
        values = [eigenvalues[i] for i in range(len(point))]
        scale = max([1] + [abs(v) for v in values])
        tiny = mpmath.mpf(10) ** (10 - DPS) * scale
        if all(v > tiny for v in values):
            kind = "minimum"
        elif all(v < -tiny for v in values):
            kind = "maximum"
        elif any(v > tiny for v in values) and any(v < -tiny for v in values):
            kind = "saddle"
        else:
            kind = _degenerate(engine, point)
    return Stationary(tuple(point), kind, tuple(float(v) for v in values), how, tuple(exact))


def _degenerate(engine, point):
    """A singular Hessian: the first nonzero derivative (one variable) or
    the function's values around the point (several)."""
    if len(point) == 1:
        for m in range(3, 13):
            value = engine.value((m,), point)
            if abs(value) > mpmath.mpf(10) ** (10 - DPS):
                return "saddle" if m % 2 else ("minimum" if value > 0 else "maximum")
        return "saddle"
    centre = engine.value((0,) * len(point), point)
    directions = np.random.default_rng(0).normal(size=(8 * len(point), len(point)))
    signs = set()
    for step in (mpmath.mpf("1e-3"), mpmath.mpf("1e-6")):
        for d in directions:
            moved = [p + step * float(c) for p, c in zip(point, d)]
            difference = engine.value((0,) * len(point), moved) - centre
            signs.add(0 if difference == 0 else (1 if difference > 0 else -1))
    return "minimum" if -1 not in signs else "maximum" if 1 not in signs else "saddle"


