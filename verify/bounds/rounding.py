"""A running error bound for evaluating an expression in floating point.

Each node's value v carries a first-order bound e on its absolute error
(Wilkinson's running error analysis): inputs are rounded (e = u|x|), sums
add their operands' errors plus u times the magnitudes summed, products
weight each operand's error by the others, and a library function adds
its own rounding (one unit, u|f|) to |f'(a)| times its argument's error.
This is the rounding term the comparator predicts for each function value
a finite difference uses: it scales with the magnitudes that cancel, not
only with |f|, so x**2 - 2*x + 1 near 1 gets an honest bound.

References
----------
.. [1] Higham, N. J. "Accuracy and Stability of Numerical Algorithms",
   2nd ed., SIAM (2002), sec. 3.3 (running error analysis).
"""
from __future__ import annotations

import functools
import operator

import numpy as np
import sympy

from verify.input.expressions import DataSum, symbol
from verify.core.functions import NUMPY, passes, pieces, primitive_of

LIBM_ULPS = 1.0  # a correctly rounded library function errs by at most one unit

def running_error(expr, variables, points, unit_roundoff, data=()):
    """Values of ``expr`` at ``points`` (shape ``(k, d)``) and error bounds.

    Returns
    -------
    values, errors : ndarray
        Float64 values and first-order bounds on the rounding error that
        evaluating ``expr`` in arithmetic of unit roundoff ``u`` commits.
    """
    points = np.asarray(points, dtype=np.float64)
    symbols = _symbols(tuple(variables))
    errors = unit_roundoff * np.abs(points)
    # columns as views in one call each: a layer's 110 variables, per call
    env = dict(zip(symbols, zip(points.T, errors.T)))
    same = (np.all(points == points[:1], axis=0) if len(points) else np.zeros(0, bool)).tolist()
    first = points[0].tolist() if len(points) else ()
    held = {s: x for s, x, fixed in zip(symbols, first, same) if fixed}
    memo = _Memo(expr, held, (len(points), unit_roundoff)) if held and not data else {}
    with np.errstate(all="ignore"):
        value, error = _walk(expr, env, unit_roundoff, data, memo)
    shape = (points.shape[0],)
    return np.broadcast_to(value, shape), np.broadcast_to(error, shape)


@functools.lru_cache(maxsize=64)
def _symbols(variables):
    return tuple(symbol(v) for v in variables)


@functools.lru_cache(maxsize=16)
def _shared(rows_and_u) -> dict:
    """Nodes' results by (node, its columns' values), whatever the expression:
    the partial derivatives of a layer share most of their nodes."""
    return {}


class _Memo(dict):
    """The walk's memo, which also keeps the nodes over ``held`` columns only
    (the same at every point: a stencil along one variable holds the others)
    for the next call, keyed by the node and those columns' values: the next
    entry of a gradient at the same point walks only the path from its own
    variable. (Same node, same values, same rows and u: the same result.)"""

    def __init__(self, expr, held, rows_and_u):
        super().__init__()
        from verify.exact.series import _structure  # free symbols of every node, once
        self.structure, self.held = _structure(expr), held
        self.shared = _shared(rows_and_u)
        if len(self.shared) > 100_000:  # many points: keep memory bounded
            self.shared.clear()
        self._held_parts = {}  # free symbols -> their held values (None: not all held)

    def _key(self, expr):
        known = self.structure.get(expr)
        if known is None or not known[0] or known[1]:
            return None
        # nodes of a layer share a few sets of free symbols: each set's part of the
        # key is made once per walk, not once per node
        part = self._held_parts.get(known[0], False)
        if part is False:
            part = frozenset((s, self.held[s]) for s in known[0]) \
                if known[0] <= self.held.keys() else None
            self._held_parts[known[0]] = part
        return None if part is None else (expr, part)

    def __contains__(self, expr):
        if dict.__contains__(self, expr):
            return True
        key = self._key(expr)
        if key is not None and key in self.shared:
            dict.__setitem__(self, expr, self.shared[key])
            return True
        return False

    def __setitem__(self, expr, result):
        dict.__setitem__(self, expr, result)
        key = self._key(expr)
        if key is not None:
            self.shared[key] = result


def _walk(expr, env, u, data, memo):
    if expr not in memo:
        memo[expr] = _node(expr, env, u, data, memo)
    return memo[expr]


def _format(u):
    """np.finfo of the arithmetic whose unit roundoff is ``u`` (float32: 2**-24,
    float64: 2**-53)."""
    return np.finfo(np.float32 if u > 2.0 ** -30 else np.float64)


def smallest_subnormal(u) -> float:
    """The smallest subnormal of the arithmetic of unit roundoff ``u`` (half of
    it, the rigorous figure, is not a float): what a multiplication, a division
    or a library function may lose in absolute terms where its result
    underflows (exp(-1.3e7) is 0, not 1e-5651939), beside its relative u (sums
    of floats are exact there)."""
    return float(_format(u).smallest_subnormal)


def lost_below_normal(values, u):
    """The smallest normal number of the arithmetic of unit roundoff ``u`` where
    |values| is below it, else 0: what a value computed there may have lost
    (atan's slope 1/(1 + a*a) is 0 once a*a overflows, while the exact slope is
    a subnormal number or less, which a tangent of 1e174 still makes count)."""
    tiny = float(_format(u).tiny)
    return np.where(np.abs(values) < tiny, tiny, 0.0)


def leaves_float(a, exponents):
    """Where some a**p of ``exponents`` is not finite, or is 0 for a nonzero
    ``a``, though the terms it enters need not be (1/(1 + exp(-x)) at
    x = -615.8 has a = 2.7e267, whose a**-2 is 0): there a power's error terms
    are taken as ratios over a (the rounding and the tangent walk alike)."""
    leaves = np.zeros(np.shape(a), dtype=bool)
    for p in exponents:
        size = np.abs(np.power(a, p))
        leaves = leaves | ~np.isfinite(size) | ((size == 0) != (a == 0))
    return leaves & (a != 0)


def _node(expr, env, u, data, memo):
    if expr.is_Symbol:
        return env[expr]
    if expr.is_Integer:
        return float(expr), 0.0
    if expr.is_Number or expr.is_NumberSymbol:
        value = float(expr)
        return value, u * abs(value)
    if isinstance(expr, DataSum):
        return _data_sum(expr, env, u, data)
    if isinstance(expr, sympy.Piecewise):
        return _where(expr, env, u, data, memo)
    parts = [_walk(a, env, u, data, memo) for a in expr.args]
    values = [p[0] for p in parts]
    errors = [p[1] for p in parts]
    if expr.is_Add:
        total = sum(values)
        magnitude = sum(np.abs(v) for v in values)
        return total, sum(errors) + (len(values) - 1) * u * magnitude
    if expr.is_Mul:
        product = functools.reduce(operator.mul, values)
        error = 0.0
        for i, e in enumerate(errors):
            others = functools.reduce(operator.mul, [np.abs(v) for j, v in enumerate(values)
                                                     if j != i], 1.0)
            error = error + e * others
        return product, error + (len(values) - 1) * (u * np.abs(product) + smallest_subnormal(u))
    if expr.is_Pow:
        (a, ea), (b, eb) = parts
        result = np.power(a, b) if not expr.exp.is_Integer else a ** int(expr.exp)
        steps = 1.0 if expr.exp.is_Integer and abs(int(expr.exp)) <= 2 else 2.0
        error = _base_error(a, b, result, ea)
        if not expr.exp.is_number:
            error = error + np.abs(result * np.log(np.abs(a))) * eb
        return result, error + steps * (u * np.abs(result) + smallest_subnormal(u))
    name = type(expr).__name__
    primitive = primitive_of(expr)
    if primitive is not None:
        a, ea = parts[0]
        result = primitive.numpy(a)
        slope = primitive.derivative(NUMPY, a, result)
        return result, (np.abs(slope) * ea
                        + primitive.ulps * (u * np.abs(result) + smallest_subnormal(u)))
    if name == "Abs":
        return np.abs(values[0]), errors[0]
    # SymPy's derivative of abs(g), for g not provably real, brings re, im and
    # atan2 in; where the point is in the domain every value is real
    if name == "re":
        return values[0], errors[0]
    if name == "im":
        return np.zeros_like(values[0]), 0.0
    if name == "atan2":
        (a, ea), (b, eb) = parts
        result, scale = np.arctan2(a, b), a * a + b * b
        spread = np.where(scale > 0, (np.abs(b) * ea + np.abs(a) * eb) / scale, np.inf)
        return result, spread + LIBM_ULPS * (u * np.abs(result) + smallest_subnormal(u))
    if name in ("Max", "Min"):
        pick = np.maximum if name == "Max" else np.minimum
        return functools.reduce(pick, values), functools.reduce(np.maximum, errors)
    if name in ("sign", "Heaviside", "DiracDelta"):
        fn = {"sign": np.sign, "Heaviside": lambda a: np.heaviside(a, 0.5),
              "DiracDelta": lambda a: np.zeros_like(a)}[name]
        return fn(values[0]), 0.0
    if not expr.free_symbols and not expr.has(DataSum):
        # SymPy folds constants into functions outside the allow-list
        # (tan(acos(sin(3/2))) is cot(3/2)): the numeric side computes it in a few steps
        value = float(expr)
        return value, (1 + len(expr.args)) * LIBM_ULPS * u * abs(value)
    raise ValueError(f"no rounding rule for {name}")


def _base_error(a, b, result, ea):
    """|b a**(b-1)| ea, the base's error carried by a**b; as |b a**b (ea / a)|
    where a**(b-1) leaves float64 but the product does not: 1/(1 + exp(-x))
    at x = -615.8 has a = 2.7e267, whose a**-2 is 0."""
    direct = np.abs(b * np.power(a, b - 1)) * ea
    ratios = leaves_float(a, (b - 1,))
    if not np.any(ratios):
        return direct
    return np.where(ratios, np.abs(b * result * (ea / a)), direct)


def _where(expr, env, u, data, memo):
    """The piece each point takes, with that piece's error. A comparison that
    rounding could flip is a switch point: the kink rules judge it, not this."""
    value, error = np.nan, np.nan  # no piece taken: SymPy's Piecewise is undefined there
    for piece, difference, test in reversed(pieces(expr)):  # the first piece that holds wins
        v, e = _walk(piece, env, u, data, memo)
        holds = True if test is None else passes(test, _walk(difference, env, u, data, memo)[0])
        value, error = np.where(holds, v, value), np.where(holds, e, error)
    return value, error


def _data_sum(expr, env, u, data):
    rows = len(data[0].floats)
    row_env = {s: (v[:, None] if np.ndim(v) else v, e[:, None] if np.ndim(e) else e)
               for s, (v, e) in env.items()}
    for column in data:
        values = np.asarray(column.floats)[None, :]
        row_env[symbol(column.name)] = (values, u * np.abs(values))
    value, error = _walk(expr.args[0], row_env, u, data, {})
    value = np.broadcast_to(value, np.broadcast_shapes(np.shape(value), (1, rows)))
    error = np.broadcast_to(error, value.shape)
    # pairwise summation: error grows like log2(rows) times the magnitudes
    depth = max(1.0, np.ceil(np.log2(rows)))
    return value.sum(axis=-1), error.sum(axis=-1) + depth * u * np.abs(value).sum(axis=-1)
