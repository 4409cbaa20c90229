"""Finite-difference stencils: nodes, weights, order, and the error constant.

A stencil approximates the n-th derivative as sum_j w_j f(x + s_j h) / h^n.
Its weights are solved exactly (rationals) from the Taylor conditions, so
every method, order and Richardson level comes from one construction.

Its truncation error is bounded by the Peano kernel theorem: if the stencil
is exact for polynomials of degree < m (m = n + accuracy), then

    |error| <= C h^(m-n) max |f^(m)| over the stencil's interval,
    C = integral |K(t)| dt,  K(t) = E[(x - t)_+^(m-1)] / (m-1)!,

where E is the stencil's error functional. C is computed once per stencil.

References
----------
.. [1] Fornberg, B. "Generation of finite difference formulas on arbitrarily
   spaced grids", Math. Comp. 51 (1988).
.. [2] Davis, P. J. "Interpolation and Approximation", ch. 3 (Peano kernels).
"""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import sympy

RICHARDSON_LEVELS = 3  # central differences at h, h/2, h/4: accuracy h^6
MAX_ORDER = 10
OFFERED = {  # method -> derivative orders it offers (CASES.md: say which)
    "forward": range(1, MAX_ORDER + 1),
    "backward": range(1, MAX_ORDER + 1),
    "central": range(1, MAX_ORDER + 1),
    "central4": range(1, MAX_ORDER + 1),
    "richardson": range(1, 5),
    "complex_step": range(1, 2),
}


@dataclass(frozen=True)
class Stencil:
    """Nodes s_j and weights w_j of an n-th derivative formula."""

    method: str
    order: int          # derivative order n
    accuracy: int       # error is O(h^accuracy)
    nodes: tuple[Fraction, ...]
    weights: tuple[Fraction, ...]
    levels: int = 1     # Richardson levels combined (1: a plain stencil)

    @functools.cached_property
    def nodes_array(self) -> np.ndarray:
        return np.array([float(s) for s in self.nodes])

    @functools.cached_property
    def weights_array(self) -> np.ndarray:
        return np.array([float(w) for w in self.weights])

    @functools.cached_property
    def node_floats(self) -> tuple[float, ...]:
        return tuple(float(s) for s in self.nodes)

    @functools.cached_property
    def weight_floats(self) -> tuple[float, ...]:
        return tuple(float(w) for w in self.weights)

    @functools.cached_property
    def span(self) -> tuple[float, float]:
        """The stencil's interval in units of h (always holding 0)."""
        return float(min(min(self.nodes), 0)), float(max(max(self.nodes), 0))

    @functools.cached_property
    def peano_constant(self) -> float:
        return _peano_constant(self.nodes, self.weights, self.order, self.order + self.accuracy)

    @functools.cached_property
    def weight_sum(self) -> float:
        return float(sum(abs(w) for w in self.weights))


@functools.lru_cache(maxsize=None)
def mixed_stencil(method: str) -> tuple[np.ndarray, np.ndarray]:
    """(offsets, weights) of d2f/dxi dxj: the first-derivative stencil in both
    directions; offsets has one (i, j) row per node, in units of h."""
    st = stencil(method, 1)
    offsets = np.array([(a, b) for a in st.nodes_array for b in st.nodes_array])
    weights = np.array([wa * wb for wa in st.weights_array for wb in st.weights_array])
    offsets.setflags(write=False)
    weights.setflags(write=False)
    return offsets, weights


def _solve_weights(nodes, n):
    """Weights making sum w_j s_j^k / k! = [k == n] for k < len(nodes)."""
    size = len(nodes)
    matrix = sympy.Matrix(size, size, lambda k, j: sympy.Rational(nodes[j]) ** k / math.factorial(k))
    rhs = sympy.Matrix(size, 1, lambda k, _: 1 if k == n else 0)
    solution = matrix.LUsolve(rhs)
    return tuple(Fraction(int(w.p), int(w.q)) for w in solution)


def _accuracy(nodes, weights, n):
    """The first k > n where the stencil stops being exact, minus n."""
    k = len(nodes)
    while k < len(nodes) + 4:
        moment = sum(w * Fraction(s) ** k for s, w in zip(nodes, weights)) / math.factorial(k)
        if moment != 0:
            return k - n
        k += 1
    return k - n


def _build(method, nodes, n):
    nodes = tuple(Fraction(s) for s in nodes)
    weights = _solve_weights(nodes, n)
    accuracy = _accuracy(nodes, weights, n)
    used = [(s, w) for s, w in zip(nodes, weights) if w != 0]  # f(x) with weight 0 is not needed
    return Stencil(method, n, accuracy, tuple(s for s, _ in used), tuple(w for _, w in used))


@functools.lru_cache(maxsize=None)
def stencil(method: str, order: int, levels: int = RICHARDSON_LEVELS) -> Stencil:
    """The stencil of ``method`` for the ``order``-th derivative.

    Raises
    ------
    ValueError
        When the method does not offer that order (see ``OFFERED``).
    """
    if method not in OFFERED or order not in OFFERED[method]:
        raise ValueError(f"`{method}` offers derivative orders "
                         f"{_describe(OFFERED.get(method, ()))}, not {order}.")
    if method == "forward":
        return _build(method, range(0, order + 1), order)
    if method == "backward":
        return _build(method, range(-order, 1), order)
    if method in ("central", "central4"):
        half = (order + 1) // 2 + (1 if method == "central4" else 0)
        return _build(method, range(-half, half + 1), order)
    if method == "richardson":
        return _richardson(order, levels)
    raise ValueError(f"`{method}` is not a stencil method.")


def _richardson(order, levels):
    """Central differences at h, h/2, h/4, ... combined to cancel h^2, h^4, ..."""
    base = stencil("central", order)
    table = [dict(zip(base.nodes, base.weights))]
    for level in range(1, levels):
        scale = Fraction(1, 2 ** level)
        # central at step h*scale: nodes s*scale, weights w / scale^n
        table.append({s * scale: w / scale ** order for s, w in zip(base.nodes, base.weights)})
    for level in range(1, levels):
        factor = Fraction(4) ** level
        combined = []
        for finer, coarser in zip(table[1:], table[:-1]):
            mixed = {}
            for s, w in finer.items():
                mixed[s] = mixed.get(s, 0) + factor * w / (factor - 1)
            for s, w in coarser.items():
                mixed[s] = mixed.get(s, 0) - w / (factor - 1)
            combined.append(mixed)
        table = combined
    weights = {s: w for s, w in table[0].items() if w != 0}
    nodes = tuple(sorted(weights))
    ordered = tuple(weights[s] for s in nodes)
    return Stencil("richardson", order, _accuracy(nodes, ordered, order), nodes, ordered, levels)


def _describe(orders) -> str:
    orders = list(orders)
    return f"{orders[0]} to {orders[-1]}" if len(orders) > 1 else str(orders[0]) if orders else "none"


def _peano_constant(nodes, weights, n, m, samples=4000):
    """integral |K(t)| dt for the error functional of the stencil (h = 1)."""
    points = sorted(set(float(s) for s in nodes) | {0.0})
    nodes_f = np.array([float(s) for s in nodes])
    weights_f = np.array([float(w) for w in weights])
    total = 0.0
    for lo, hi in zip(points[:-1], points[1:]):
        t = np.linspace(lo, hi, samples)
        kernel = (weights_f[:, None] * np.clip(nodes_f[:, None] - t, 0, None) ** (m - 1)).sum(0)
        kernel -= math.factorial(m - 1) / math.factorial(m - 1 - n) * np.clip(-t, 0, None) ** (m - 1 - n)
        kernel /= math.factorial(m - 1)
        total += np.trapezoid(np.abs(kernel), t)
    return total * 1.01  # trapezoid error on a piecewise polynomial: a 1% margin


def standard_step(method: str, order: int, x: float, unit_roundoff: float) -> float:
    """The method's standard step, scaled to the point.

    It minimises the error bound C h^p + S u / h^n for a function whose
    derivatives are of the size of its values (C the Peano constant, S the
    sum of |weights|, p the accuracy, n the order):
    h = (n S u / (p C))^(1/(n+p)) max(1, |x|). For central differences
    that is the textbook (3u)^(1/3); complex step has no subtractive
    rounding, so it takes a tiny step.
    """
    scale = max(1.0, abs(x))
    if method == "complex_step":
        return 1e-20 * scale
    return _step_at_one(method, order, unit_roundoff) * scale


@functools.lru_cache(maxsize=None)
def _step_at_one(method, order, unit_roundoff):
    st = stencil(method, order)
    n, p = order, st.accuracy
    return (n * st.weight_sum * unit_roundoff / (p * st.peano_constant)) ** (1.0 / (n + p))
