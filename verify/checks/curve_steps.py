"""Which steps an error curve can take: those whose stencils stay where f and
every intermediate of it are finite in float64 (and, for complex step, in
complex128 at x + ih).

Beyond such a step the float curve is NaN, and the exact side would need
unbounded precision: exp(exp(sinh(x**4)/3)) at 0.897 with h = 1, or
exp(cos(p(x + ih))), whose one mpmath value then needs millions of digits.
"""
from __future__ import annotations

import functools
import operator

import numpy as np
import sympy

from verify.bounds.rounding import running_error
from verify.core.functions import is_analytic, primitive_of
from verify.numeric.stencils import stencil


def finite_steps(engine, f, floats, index, hs, methods):
    """The steps of ``hs`` from the smallest up to the first whose stencil (of
    any of ``methods``) reaches a point where f, or an intermediate of it, is
    not finite in float64; for an analytic f with complex step among the
    methods, also where an intermediate of f(x + ih) is not finite."""
    offsets = {0.0, -1.0, 1.0}  # complex step: |x + ih| reaches as far as x +- h
    for method in methods:
        if method != "complex_step":
            offsets.update(stencil(method, 1).nodes_array.tolist())
    offsets = np.array(sorted(offsets))
    points = np.repeat(np.array([floats], dtype=np.float64), len(hs) * len(offsets), axis=0)
    points[:, index] += (hs[:, None] * offsets[None, :]).ravel()
    with np.errstate(all="ignore"):
        values = np.asarray(f(points), dtype=np.float64)
        finite = np.isfinite(values)
        try:
            _, errors = running_error(engine.expression, engine.variables, points, 1.1e-16,
                                      engine.data)
            finite &= np.isfinite(np.asarray(errors, dtype=np.float64))
        except (ValueError, TypeError, KeyError):
            pass  # no rounding rule: the values alone guard
    good = finite.reshape(len(hs), len(offsets)).all(axis=1)
    if "complex_step" in methods and is_analytic(engine.expression):
        points = np.repeat(np.array([floats], dtype=np.complex128), len(hs), axis=0)
        points[:, index] += 1j * hs
        good &= complex_tame(engine, points)
    count = len(hs) if good.all() else int(np.argmin(good))
    return hs[:count]


def complex_tame(engine, points) -> np.ndarray:
    """Per point (rows of complex ``points``): every intermediate of f is
    finite in complex128 there (an intermediate past 1e308 asks mpmath for
    unbounded work: exp of a number whose imaginary part is 1e400 reduces it
    modulo 2 pi to the last digit). All true for sums over data rows, where
    the value test decides."""
    tame = np.ones(len(points), dtype=bool)
    if engine.data:
        return tame
    columns = dict(zip(engine.symbols, (points[:, i] for i in range(points.shape[1]))))
    with np.errstate(all="ignore"):
        try:
            values = _complex_walk(engine.expression, columns, {})
        except (_NoComplexForm, ZeroDivisionError, TypeError, ValueError):
            return _tame_by_parts(engine, points)
    for node, value in values:
        if not node.is_Atom and node.free_symbols:
            value = np.broadcast_to(value, tame.shape)
            tame &= np.isfinite(value.real) & np.isfinite(value.imag)
    return tame


class _NoComplexForm(LookupError):
    """A node the walk has no complex rule for."""


def _complex_walk(expr, columns, memo):
    """(node, complex values) for ``expr`` and every node below it, each
    computed once from its arguments' values (one NumPy call a node)."""
    _value(expr, columns, memo)
    return memo.items()


def _value(expr, columns, memo):
    if expr in memo:
        return memo[expr]
    if expr.is_Symbol:
        if expr not in columns:
            raise _NoComplexForm(str(expr))
        result = columns[expr]
    elif expr.is_Atom and expr.is_number:
        result = complex(expr)
    else:
        args = [_value(a, columns, memo) for a in expr.args]
        primitive = primitive_of(expr)
        if expr.is_Add:
            result = functools.reduce(operator.add, args)
        elif expr.is_Mul:
            result = functools.reduce(operator.mul, args)
        elif expr.is_Pow:
            base, exponent = args
            result = base ** int(expr.exp) if expr.exp.is_Integer else np.power(base, exponent)
        elif primitive is not None:
            result = primitive.numpy(np.asarray(args[0], dtype=np.complex128))
        else:
            raise _NoComplexForm(type(expr).__name__)
    memo[expr] = result
    return result


def _tame_by_parts(engine, points) -> np.ndarray:
    """:func:`complex_tame` with each intermediate compiled on its own, for the
    nodes the walk has no rule for (a part with no complex form is left to the
    value test)."""
    from verify.exact.compiled import Compiled
    tame = np.ones(len(points), dtype=bool)
    columns = [points[:, i] for i in range(points.shape[1])]
    for sub in set(sympy.preorder_traversal(engine.expression)):
        if sub.is_Atom or not sub.free_symbols:
            continue
        with np.errstate(all="ignore"):
            try:
                values = np.broadcast_to(np.asarray(
                    Compiled(sub, engine.variables).numpy(*columns), dtype=np.complex128),
                    tame.shape)
            except (TypeError, ValueError, KeyError, NameError):
                continue
        tame &= np.isfinite(values.real) & np.isfinite(values.imag)
    return tame
