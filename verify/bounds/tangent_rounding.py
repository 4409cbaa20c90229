"""The running error of a tangent (forward-mode) evaluation: the complex step's rounding.

The complex step computes Im f(x + ih) / h. In every operation of complex
arithmetic on x + ih the imaginary part is h times the tangent of that
node (Martins, Sturdza and Alonso, 2003), so its rounding is the running
error of the dual-number evaluation of f: each node carries its value v,
the value's error bound e, its tangent d = dv/dx and the tangent's error
bound ed, and the rules are the running error rules of
:mod:`verify.bounds.rounding` applied to both parts, with the cross terms
a value's error makes in the tangent (``|f''(a) da| e_a`` for f(a)).

It walks f itself, once. The bound it replaces walked SymPy's formed
derivative f', whose ``diff`` costs milliseconds per nested function; a
node with no tangent rule here (a switch, a power with a variable
exponent) raises :class:`NoTangentRule` and the caller walks f' as before.

References
----------
.. [1] Higham, N. J. "Accuracy and Stability of Numerical Algorithms",
   2nd ed., SIAM (2002), sec. 3.3 (running error analysis).
.. [2] Martins, J. R. R. A., Sturdza, P. and Alonso, J. J. "The complex-step
   derivative approximation", ACM Trans. Math. Softw. 29 (2003), 245-262.
"""
from __future__ import annotations

import functools
import math
import types

import numpy as np
import sympy

from verify.bounds.rounding import leaves_float, lost_below_normal, running_error
from verify.bounds.slopes import EVERYWHERE, edges_of, power_derivatives, sizes
from verify.core.functions import NUMPY, primitive_of
from verify.input.expressions import DataSum, symbol

__all__ = ["COMPLEX_UNITS", "NoTangentRule", "first_partial_rounding", "tangent_running_error",
           "tangent_running_errors"]

# The imaginary part of a complex library function at x + ih, in units of
# its own size, and the product by the argument's tangent: measured up to
# 5.1 units (tanh; exp 2.2, sinh 2.7, cosh 3.1, tan 3.2) over [-30, 30] at
# h = 1e-20 with NumPy 2.4, so 6. The registry's complex_ulps (erf's 32)
# multiplies the whole bound on top of this.
COMPLEX_UNITS = 6.0


class NoTangentRule(ValueError):
    """A node the tangent walk has no rule for: the caller uses the formed derivative."""


def tangent_running_error(expr, variables, floats, index, unit_roundoff, data=()):
    """(tangent, error bound) of d expr / d variables[index] at ``floats``,
    evaluated in forward mode in arithmetic of unit roundoff ``unit_roundoff``.

    Raises
    ------
    NoTangentRule
        When ``expr`` holds a node without a tangent rule.

    Examples
    --------
    >>> from verify.input.expressions import parse
    >>> d, e = tangent_running_error(parse("x*x"), ("x",), [3.0], 0, 2.0 ** -53)
    >>> d, 0 < e < 1e-14
    (6.0, True)
    """
    symbols = tuple(symbol(v) for v in variables)
    env = {s: (float(x), unit_roundoff * abs(float(x)), 1.0 if i == index else 0.0, 0.0)
           for i, (s, x) in enumerate(zip(symbols, floats))}
    with np.errstate(all="ignore"):
        _, _, d, ed = _Walk(env, unit_roundoff, data).node(expr)
    return float(d), float(ed)


def tangent_running_errors(expr, variables, floats, unit_roundoff, data=()):
    """(tangents, error bounds), arrays over the variables: every first partial
    derivative of ``expr`` at ``floats`` and its forward-mode error bound, in
    one walk whose tangents are arrays (one entry per variable; the same
    numbers, entry by entry, as :func:`tangent_running_error` for each
    variable). Computed once per (expression, point, unit roundoff): a
    layer's hundred backprop rows ask for all of them.

    Raises
    ------
    NoTangentRule
        When ``expr`` holds a node without a tangent rule.
    """
    return _all_tangents(expr, tuple(variables), tuple(float(x) for x in floats),
                         unit_roundoff, tuple(data))


def first_partial_rounding(engine, floats, index, unit_roundoff) -> float:
    """The running error bound of d f / d x_index evaluated at ``floats`` in
    arithmetic of unit roundoff ``unit_roundoff``, for an exact function
    ``engine``: the tangent walk of f (every variable's at once), or, where it
    has no rule (a switch) or overflows inside (0 * inf), the running error of
    the formed derivative's formula. The one rule of the complex step's
    bound, its error-curve model and the backprop bound.

    Raises
    ------
    ValueError, TypeError
        When the formula has no rounding rule either.
    """
    try:
        error = float(tangent_running_errors(engine.expression, engine.variables, floats,
                                             unit_roundoff, engine.data)[1][index])
        if math.isfinite(error):
            return error
    except (NoTangentRule, ArithmeticError):
        pass
    first = engine.derivative(tuple(int(k == index) for k in range(len(floats))))
    return float(running_error(first, engine.variables, np.array([floats], dtype=float),
                               unit_roundoff, engine.data)[1][0])


def _by_ratios(a, p, value, da, ea, eda, terms):
    """(tangent, its error, the value's error) of a**p from a's tangent and errors
    over a (p a**p da/a, ...) where a**(p-1) or a**(p-2) leaves float64 but
    the terms do not: 1/(1 + exp(-x)) at x = -615 has a = 2.7e267, whose
    a**-2 is 0, while the tangent a**-1 (da/a) is 3.7e-268. Elsewhere the
    direct terms are kept as they are."""
    plain = (np.isfinite(terms[0]) & np.isfinite(terms[1]) & ~leaves_float(a, (p - 1, p - 2))) \
        | (a == 0)
    if np.all(plain):
        return terms
    r, s, t = da / a, ea / a, eda / a
    d = p * value * r
    ed = np.abs(p * (p - 1) * value * r * s) + np.abs(p * value * t)
    e = np.abs(p * value * s)
    return tuple(np.where(plain, old, new) for old, new in zip(terms, (d, ed, e)))


@functools.lru_cache(maxsize=64)
def _all_tangents(expr, variables, floats, unit_roundoff, data):
    if data:  # a data sum's values are arrays over its rows: one walk per variable
        found = [tangent_running_error(expr, variables, floats, i, unit_roundoff, data)
                 for i in range(len(variables))]
        return np.array([d for d, _ in found]), np.array([e for _, e in found])
    size = len(variables)
    env = {}
    for i, (name, x) in enumerate(zip(variables, floats)):
        direction = np.zeros(size)
        direction[i] = 1.0
        env[symbol(name)] = (x, unit_roundoff * abs(x), direction, np.zeros(size))
    with np.errstate(all="ignore"):
        _, _, d, ed = _Walk(env, unit_roundoff, ()).node(expr)
    shape = (size,)
    return (np.broadcast_to(np.asarray(d, dtype=float), shape).copy(),
            np.broadcast_to(np.asarray(ed, dtype=float), shape).copy())


class _Walk:
    def __init__(self, env, u, data):
        self.env, self.u, self.data, self.memo = env, u, data, {}

    def node(self, e):
        if e not in self.memo:
            self.memo[e] = self._rule(e)
        return self.memo[e]

    def _rule(self, e):
        u = self.u
        if e.is_Symbol:
            if e not in self.env:
                raise NoTangentRule(f"unbound symbol {e}")
            return self.env[e]
        if e.is_Integer:
            return float(e), 0.0, 0.0, 0.0
        if e.is_Number or e.is_NumberSymbol:
            value = float(e)
            return value, u * abs(value), 0.0, 0.0
        if isinstance(e, DataSum):
            return self._data_sum(e)
        if e.is_Add:
            return self._add([self.node(a) for a in e.args])
        if e.is_Mul:
            return self._mul([self.node(a) for a in e.args])
        if e.is_Pow:
            return self._power(e)
        primitive = primitive_of(e)
        if primitive is not None and len(e.args) == 1:
            return self._primitive(primitive, self.node(e.args[0]))
        if not e.free_symbols and not e.has(DataSum):
            # a constant SymPy folded into a function outside the registry
            value = float(e)
            return value, (1 + len(e.args)) * u * abs(value), 0.0, 0.0
        raise NoTangentRule(f"no tangent rule for {type(e).__name__}")

    def _add(self, parts):
        u, n = self.u, len(parts)
        v = sum(p[0] for p in parts)
        e = sum(p[1] for p in parts) + (n - 1) * u * sum(np.abs(p[0]) for p in parts)
        d = sum(p[2] for p in parts)
        ed = sum(p[3] for p in parts) + (n - 1) * u * sum(np.abs(p[2]) for p in parts)
        return v, e, d, ed

    def _mul(self, parts):
        u, n = self.u, len(parts)
        values = [p[0] for p in parts]
        magnitudes = [np.abs(v) for v in values]

        def product(items, skip):
            return functools.reduce(lambda a, b: a * b,
                                    [x for j, x in enumerate(items) if j not in skip], 1.0)
        v = product(values, ())
        e = sum(p[1] * product(magnitudes, (i,)) for i, p in enumerate(parts)) \
            + (n - 1) * u * np.abs(v)
        d, ed, spread = 0.0, 0.0, 0.0
        for i, (_, _, di, edi) in enumerate(parts):
            term = di * product(values, (i,))
            d, spread = d + term, spread + np.abs(term)
            ed = ed + edi * product(magnitudes, (i,)) + np.abs(di) * sum(
                parts[k][1] * product(magnitudes, (i, k)) for k in range(n) if k != i)
        # the tangent is a sum of n products of n factors: 2 (n - 1) roundings at most
        return v, e, d, ed + 2 * (n - 1) * u * spread

    def _power(self, e):
        if not e.exp.is_number:
            raise NoTangentRule("a power with a variable exponent")
        a, ea, da, eda = self.node(e.base)
        u, b = self.u, e.exp
        p, a = float(b), np.float64(a) if np.ndim(a) == 0 else a  # inf, not an exception, at 0
        value = a ** int(b) if b.is_Integer else np.power(a, p)
        slope = p * np.power(a, p - 1) if p != 0 else 0.0
        curve = p * (p - 1) * np.power(a, p - 2) if p not in (0, 1) else 0.0
        steps = 1.0 if b.is_Integer and abs(int(b)) <= 2 else 2.0
        d = slope * da
        slope_size, curve_size = sizes(power_derivatives(b), a, ea, slope, curve, edges=(0.0,))
        ed = curve_size * np.abs(da) * ea + slope_size * eda
        e = slope_size * ea
        if p != 0:
            d, ed, e = _by_ratios(a, p, value, da, ea, eda, (d, ed, e))
        ed = ed + (steps + 2) * u * np.abs(d)
        if not b.is_Integer:  # a complex power is exp(p log z): its error grows with |p log a|
            ed = ed + np.abs(p * np.log(np.abs(a))) * u * np.abs(d)
        return value, e + steps * u * np.abs(value), d, ed

    def _primitive(self, primitive, part):
        a, ea, da, eda = part
        a = np.float64(a) if np.ndim(a) == 0 else a  # overflow is inf, not an exception
        u = self.u
        value = primitive.numpy(a)
        slope = primitive.derivative(NUMPY, a, value)
        d = slope * da
        curve = _second_derivative(primitive.name)(a)
        slope_size, curve_size = sizes(_derivatives(primitive.name), a, ea, slope, curve,
                                       edges=edges_of(primitive.domain),
                                       limits=EVERYWHERE.get(primitive.name, (math.inf,) * 2))
        ed = curve_size * np.abs(da) * ea + slope_size * eda + COMPLEX_UNITS * u * np.abs(d) \
            + lost_below_normal(slope, u) * np.abs(da)
        return (value, slope_size * ea + primitive.ulps * u * np.abs(value)
                + lost_below_normal(value, u), d, ed)

    def _data_sum(self, e):
        rows = len(self.data[0].floats)
        inner = _Walk(dict(self.env), self.u, self.data)
        for column in self.data:
            values = np.asarray(column.floats, dtype=np.float64)
            inner.env[symbol(column.name)] = (values, self.u * np.abs(values), 0.0, 0.0)
        parts = [np.broadcast_to(np.asarray(x, dtype=np.float64), (rows,))
                 for x in inner.node(e.args[0])]
        depth = max(1.0, np.ceil(np.log2(rows)))  # pairwise summation
        v, ev, d, ed = (x.sum() for x in parts)
        return (v, ev + depth * self.u * np.abs(parts[0]).sum(),
                d, ed + depth * self.u * np.abs(parts[2]).sum())


@functools.lru_cache(maxsize=None)
def _derivatives(name):
    """(f', f'') of a registry primitive as SymPy expressions in ``t``, from the
    registry's own f' (1/cosh(t)**2 for tanh, not SymPy's 1 - tanh(t)**2, which
    is 0 in float64 beyond t = 19 where f'' still sets the tangent's error)."""
    from verify.core.functions import BY_NAME, PRIMITIVES
    t = symbol("t")
    symbolic = types.SimpleNamespace(pow=sympy.Pow, sqrt=sympy.sqrt,
                                     **{p.name: p.sympy for p in PRIMITIVES})
    primitive = BY_NAME[name]
    first = primitive.derivative(symbolic, t, primitive.sympy(t))
    # -2 tanh(t) / cosh(t)**2, not -2 sinh(t) / cosh(t)**3: inf / inf past t = 237
    curve = sympy.diff(first, t).subs(sympy.sinh(t), sympy.tanh(t) * sympy.cosh(t))
    return first, curve


@functools.lru_cache(maxsize=None)
def _second_derivative(name):
    """f'' of a registry primitive as a NumPy function, formed once per process."""
    from verify.exact.compiled import Compiled
    return Compiled(_derivatives(name)[1], ("t",)).numpy
