"""Gradient descent: the runs, their classification, and theory for quadratics.

A run takes ``steps`` steps x <- x - lr * grad f(x) from ``start`` with the
exact gradient (SymPy's, compiled once: to Python's ``math`` for a plain
function, a few microseconds a step; through :class:`verify.exact.compiled.Compiled`
for a loss over data rows). CASES.md classifies each run by its end point:

- ``diverged``: a coordinate's magnitude passed ``bound`` (default 1e6 times
  max(1, |start|)) or became NaN or infinite; the run stops there;
- ``converged``: the end point is within ``xtol`` (default 1e-6 times
  max(1, |x*|)) of an exact local minimiser x* in every coordinate;
- ``unconverged``: neither, when the steps ran out.

The exact local minimisers come from :mod:`verify.exact.minimisers`.

For a quadratic f (constant Hessian H) theory predicts the outcome: the
error e = x - x* obeys e <- (I - lr H) e, so a run converges if and only if
lr < 2 / lambda_max(H), with contraction factor max |1 - lr lambda| a step.

References
----------
.. [1] Nocedal, J. and Wright, S. J. "Numerical Optimization", 2nd ed.,
   Springer (2006), sec. 2.1 (stationary points) and 3.3 (rates of
   steepest descent).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import mpmath
import numpy as np
import sympy

from verify.exact.compiled import Compiled
from verify.exact.minimisers import DPS, exact_loss, hessian


# --- the runs -------------------------------------------------------------------------

def gradient_function(engine):
    """``g(x)`` -> list of the partial derivatives at the point x (floats)."""
    size = len(engine.variables)
    grads = [engine.derivative(tuple(int(i == j) for j in range(size))) for i in range(size)]
    if not engine.data:
        fn = sympy.lambdify(engine.symbols, grads, modules="math", cse=True, dummify=True)
        nan = [math.nan] * size

        def g(x):
            try:
                return fn(*x)
            except (ArithmeticError, ValueError):  # math's overflow and domain errors
                return nan
        return g
    compiled = [Compiled(grad, engine.variables, engine.data) for grad in grads]

    def g(x):
        point = [np.float64(v) for v in x]
        return [float(c.numpy(*point)) for c in compiled]
    return g


def descend(gradient, start, lr: float, steps: int, bound: float) -> tuple[np.ndarray, bool]:
    """The path of ``steps`` steps (fewer when it diverges) and whether it diverged.

    Examples
    --------
    On f(x) = x**2 (gradient 2x) a rate of 0.25 halves x each step; 1.5 doubles
    its size each step and leaves ``bound``:

    >>> path, diverged = descend(lambda x: [2 * x[0]], [1.0], 0.25, 3, bound=1e6)
    >>> path.ravel().tolist(), diverged
    ([1.0, 0.5, 0.25, 0.125], False)
    >>> descend(lambda x: [2 * x[0]], [1.0], 1.5, 50, bound=1e6)[1]
    True
    """
    x = [float(v) for v in start]
    flat = list(x)
    for _ in range(steps):
        x = [xi - lr * gi for xi, gi in zip(x, gradient(x))]
        flat.extend(x)
        if not all(abs(v) <= bound for v in x):  # NaN fails this test too
            return np.array(flat).reshape(-1, len(x)), True
    return np.array(flat).reshape(-1, len(x)), False


def classify(path, diverged, minimisers, xtol=None):
    """(outcome, nearest minimum or None); ``xtol`` None means the CASES default."""
    end = path[-1]
    nearest = nearest_minimum(end, minimisers) if np.all(np.isfinite(end)) else None
    if diverged:
        return "diverged", nearest
    if nearest is not None and np.all(np.abs(end - _floats(nearest)) <= tolerances(nearest, xtol)):
        return "converged", nearest
    return "unconverged", nearest


def tolerances(minimum, xtol=None) -> np.ndarray:
    target = _floats(minimum)
    return np.full(len(target), float(xtol)) if xtol is not None else \
        1e-6 * np.maximum(1.0, np.abs(target))


def nearest_minimum(end, minimisers):
    found = [m for m in minimisers if m.kind == "minimum"]
    if not found:
        return None
    with np.errstate(over="ignore"):
        return min(found, key=lambda m: float(np.linalg.norm(_floats(m) - end)))


def _floats(stationary) -> np.ndarray:
    return np.array([float(c) for c in stationary.point])


def default_bound(start) -> float:
    return 1e6 * max([1.0] + [abs(float(v)) for v in start])


# --- theory for quadratics ------------------------------------------------------------

@dataclass(frozen=True)
class Theory:
    """Gradient descent on a quadratic with Hessian eigenvalues ``eigenvalues``."""

    eigenvalues: tuple
    lr: float
    contraction: float      # max |1 - lr lambda|
    outcome: str
    error_after: float      # contraction**steps * |start - x*|, an upper bound

    def describe(self) -> str:
        top = max(self.eigenvalues)
        if min(self.eigenvalues) <= 0:
            return (f"theory: the Hessian has eigenvalue {min(self.eigenvalues):.6g} <= 0, so "
                    "there is no unique minimiser")
        limit = 2 / top
        side = f"lr {self.lr:g} < 2/lambda_max = {limit:.6g}" if self.lr < limit else \
            f"lr {self.lr:g} >= 2/lambda_max = {limit:.6g}"
        return (f"theory (quadratic): {side}, contraction max|1 - lr lambda| = "
                f"{self.contraction:.6g} a step, error after the steps <= {self.error_after:.3g}, "
                f"predicted {self.outcome}")


def quadratic_eigenvalues(engine):
    """The Hessian's eigenvalues when f is quadratic (constant Hessian), else None."""
    expr = exact_loss(engine)
    if expr is None:
        return None
    try:
        if sympy.Poly(expr, *engine.symbols).total_degree() > 2:
            return None
    except sympy.PolynomialError:
        return None
    origin = [mpmath.mpf(0)] * len(engine.variables)
    with mpmath.workdps(DPS):
        values = mpmath.eigsy(hessian(engine, origin))[0]
        return tuple(float(values[i]) for i in range(len(engine.variables)))


def predict(eigenvalues, lr, start, minimum, steps, bound, xtol=None) -> Theory:
    contraction = max(abs(1 - lr * v) for v in eigenvalues)
    if minimum is None or min(eigenvalues) <= 0:
        return Theory(eigenvalues, lr, contraction, "diverged", math.inf)
    distance = float(np.linalg.norm(np.asarray(start, dtype=float) - _floats(minimum)))
    with np.errstate(over="ignore"):
        error = distance * float(np.float64(contraction) ** steps)
    if contraction < 1:
        outcome = "converged" if error <= float(np.min(tolerances(minimum, xtol))) else "unconverged"
    elif contraction > 1 and distance > 0 and \
            math.log(bound / distance) / math.log(contraction) <= steps:
        outcome = "diverged"
    else:
        outcome = "unconverged"
    return Theory(eigenvalues, lr, contraction, outcome, error)
