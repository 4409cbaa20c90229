"""Expressions compiled to fast callables: mpmath (exact side) and NumPy.

SymPy's ``lambdify`` generates the code from a tree our parser built, so no
case text is run. The arguments are renamed ``_a0``, ``_a1``, ... in one
pass before printing, so a symbol named ``numpy``, ``exp`` or ``W[0,1]``
shadows nothing (lambdify's own ``dummify`` renames one argument per pass
over the tree and rebuilds it through SymPy's assumptions). ``sum``/``mean`` over
data (:class:`~verify.input.expressions.DataSum`) are evaluated here: the summand
is compiled once and run over the rows (vectorised in NumPy).
"""
from __future__ import annotations

import functools
import operator
import re
import warnings

import mpmath
import numpy as np
import sympy

from sympy.printing.numpy import SciPyPrinter
from sympy.printing.pycode import MpmathPrinter

from verify.input.expressions import DataSum, symbol


class LimitReached(RuntimeError):
    """A limit of the exact engine that a case reached; the message names it.
    Not an ArithmeticError: the function is defined there, we refuse to go on."""


class ArgumentTooLarge(LimitReached):
    """sin, cos, tan, exp, sinh or cosh of a number past its REDUCIBLE_BITS."""


# mpmath's sin, cos and tan reduce the argument modulo pi at its full size, and
# exp, sinh and cosh modulo log 2: for cos(exp(x**3)) at x = 68151 that is pi to
# 4.6e14 bits, which never ends. Past these bits of magnitude they refuse: for
# sin, cos and tan 2**18 (pi to as many bits takes a second, and a case uses it
# many times over: sin(exp(3 x**2 - x)) at x = 389, 6.6e5 bits, ran past the
# time limit); for exp, sinh and cosh 2**16 (their value, past e**(1e19728), is
# far beyond any float; below it sigmoid(exp(x)) at x = 3000 still computes).
# Past 2**62 bits mpmath raises OverflowError at once by itself, as callers expect.
REDUCIBLE_BITS = {"sin": 1 << 18, "cos": 1 << 18, "tan": 1 << 18,
                  "exp": 1 << 16, "sinh": 1 << 16, "cosh": 1 << 16}
_MPMATH_GIVES_UP = 1 << 62
# SymPy's evalf of exp is far slower than mpmath's: exp(1e1000) takes it 0.4 s,
# exp(1e3000) 6 s, exp(5e6190) 40 s before it fails (mpmath: 0.1 s at 1e19000);
# and past mpmath's 2**62 it does not give up at once
EVALF_BITS = dict(REDUCIBLE_BITS, exp=1 << 12, sinh=1 << 12, cosh=1 << 12)


def refuse_too_large(name, x, *, limits=REDUCIBLE_BITS, gives_up=_MPMATH_GIVES_UP) -> None:
    """Raise ArgumentTooLarge where ``name`` (a registry function) at the mpmath
    number ``x`` is past its limit in ``limits`` (and short of ``gives_up``, the
    bits past which the evaluator fails at once by itself: mpmath's by default;
    with ``limits=EVALF_BITS, gives_up=math.inf`` for SymPy's evalf)."""
    limit = limits.get(name)
    if limit is not None and x and limit < mpmath.mag(x) <= gives_up:
        modulo = "pi" if name in ("sin", "cos", "tan") else "log 2"
        raise ArgumentTooLarge(
            f"the exact value needs {name} of a number of about 2**{int(mpmath.mag(x)):.3g}, "
            f"past the exact engine's limit of 2**{limit} for {name} (reducing it modulo "
            f"{modulo} would need {modulo} to as many bits)")


_SLOW_EXP_BITS = 600  # mpmath's exp of an integer-valued x past this precision: e**n by powering
_FAR = 64             # |x| past 2**64: e**-|x| is nothing beside e**|x| at any precision here


def _exp_far(x):
    """exp(x) for |x| past 2**_FAR as 2**n exp(r), r = x - n log 2 at the bits
    x has before the point plus the working ones. mpmath itself computes e**x
    by powering e when the precision passes 600 bits and x is an integer in
    binary (every x that large is): 10 s for x of 22,700 bits at 320 digits,
    against milliseconds this way."""
    prec = mpmath.mp.prec
    with mpmath.workprec(prec + int(mpmath.mag(x)) + 32):
        n = mpmath.floor(x / mpmath.ln2)
        y = mpmath.exp(x - n * mpmath.ln2)
    return mpmath.ldexp(+y, int(n))  # +y: rounded to the caller's precision


def _far_ok(x) -> bool:
    return (mpmath.mp.prec > _SLOW_EXP_BITS and isinstance(x, mpmath.mpf)
            and mpmath.isfinite(x) and mpmath.mag(x) > _FAR)


_FAR_FORMS = {"exp": _exp_far,
              "sinh": lambda x: (_exp_far(x) if x > 0 else -_exp_far(-x)) / 2,
              "cosh": lambda x: _exp_far(abs(x)) / 2}


def _reducing(name):
    evaluate = getattr(mpmath, name)
    far = _FAR_FORMS.get(name)

    def guarded(x):
        refuse_too_large(name, x)
        if far is not None and _far_ok(x):
            return far(x)
        return evaluate(x)
    return guarded


# Max, Min and Heaviside for mpmath (see _MpmathCalls): plain max/min of mpmath
# numbers are exact and instant.
_MP_NAMES = {"mpmath_max": lambda *a: max(a), "mpmath_min": lambda *a: min(a),
             "mpmath_heaviside": lambda x, at_zero: (
                 mpmath.mpf(1) if x > 0 else mpmath.mpf(0) if x < 0 else at_zero),
             **{name: _reducing(name) for name in REDUCIBLE_BITS}}


# python-flint's arb for the mpmath printer's names (see Compiled.ball): a ball of
# a whole expression at a fixed precision, tens of times faster than mpmath
_BALL_METHODS = ("sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh", "tanh", "exp",
                 "log", "sqrt", "erf", "asinh", "acosh", "atanh")
_BALL_NAMES = frozenset(_BALL_METHODS) | {"mpf", "pi", "e", "abs"}


def _ball_method(name):
    method = operator.methodcaller(name)  # arb's and acb's (the complex step's) alike

    def call(value):
        try:
            return method(value)
        except AttributeError:  # a number printed plainly: exp(2)
            from flint import arb
            return method(arb(value))
    return call


@functools.lru_cache(maxsize=1024)
def _ball_function(args, expr, bits):
    """``expr`` as a function of balls at ``bits`` of precision, or None when
    it holds a name balls do not evaluate here (Max, Min, Heaviside, a where:
    comparisons of balls are not those of numbers)."""
    from flint import arb, ctx
    if expr.has(sympy.Float):  # printed as mpf((sign, man, exp, bc)), which arb reads as 0
        return None
    names = {a: f"_a{i}" for i, a in enumerate(args)}
    text = _renaming(_MpmathCalls, names, _MP_NAMES).doprint(expr)
    if not text.isascii() or \
            not set(re.findall(r"\b[A-Za-z_]\w*", text)) - set(names.values()) <= _BALL_NAMES:
        return None
    saved, ctx.prec = ctx.prec, bits
    try:  # the constants at the precision of the evaluations
        namespace = {"__builtins__": {}, "mpf": arb, "pi": arb.pi(), "e": arb.const_e(),
                     "abs": abs, **{name: _ball_method(name) for name in _BALL_METHODS}}
    finally:
        ctx.prec = saved
    code = compile(f"def _ball({', '.join(names.values())}):\n    return {text}\n",
                   "<verify ball>", "exec")
    exec(code, namespace)  # the text is printed from our own SymPy tree, not case text
    return namespace["_ball"]


@functools.lru_cache(maxsize=4096)
def _lambdify(args, expr, backend):
    # The arguments are printed as ``_a0``, ``_a1``, ... by the printer, not
    # substituted into the tree: rebuilding the tree through SymPy (xreplace,
    # or lambdify's ``dummify``) re-evaluates every node with its assumptions,
    # three quarters of lambdify's time. A case's names never begin with an
    # underscore, so ``_a0`` ... collide with none of them, and a symbol named
    # ``numpy``, ``exp`` or ``W[0,1]`` shadows nothing.
    dummies = tuple(sympy.Symbol(f"_a{i}", real=True) for i in range(len(args)))
    names = {a: d.name for a, d in zip(args, dummies)}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if backend == "mpmath":
            modules = [_MP_NAMES, "mpmath"]
            printer = _renaming(_MpmathCalls, names, _MP_NAMES)
        else:
            # the NumPy text is never read by a person: no display order
            printer = _renaming(SciPyPrinter, names, {}, order="none")
        # lambdify is given the printed text: from a tree it would also put every
        # symbol into the function's namespace by name, and a variable named
        # ``exp`` would shadow the function exp
        text = printer.doprint(expr)
        if backend != "mpmath":
            modules = _numpy_modules(text, names.values())
        return sympy.lambdify(dummies, text, modules=modules, dummify=False, printer=printer)


# Names the NumPy printer writes for the registry's functions that scipy.special
# does not define (tests/test_compiled.py checks it), so NumPy alone gives the
# very functions the SciPy namespace would (there, scipy.special's names come first).
NUMPY_ONLY_NAMES = frozenset("""
    sin cos tan arcsin arccos arctan arctan2 sinh cosh tanh arcsinh arccosh arctanh
    exp log sqrt power abs absolute sign heaviside maximum minimum amax amin reduce
    select where greater less equal not_equal greater_equal less_equal
    logical_and logical_or logical_not real imag conjugate nan inf pi e default
    True False None
""".split())


# NumPy's own functions by name: lambdify's "numpy" module means ``from numpy
# import *``, which loads NumPy's lazy submodules (f2py, 0.1 s) on a first call
_NUMPY_NAMESPACE = {name: getattr(np, name) for name in NUMPY_ONLY_NAMES if hasattr(np, name)}


def _numpy_modules(text, arguments):
    """lambdify's modules for the printed ``text``: NumPy alone when every name in
    it is one of NUMPY_ONLY_NAMES (or an argument), else SciPy then NumPy (erf).
    SciPy's namespace imports scipy.special, about 0.3 s a run without erf
    need not pay."""
    names = set(re.findall(r"\b[A-Za-z_]\w*", text)) - set(arguments)
    return [_NUMPY_NAMESPACE] if names <= NUMPY_ONLY_NAMES else ["scipy", "numpy"]


class _MpmathCalls(MpmathPrinter):
    """Max, Min and Heaviside printed as calls of _MP_NAMES. Printed, not
    substituted: rebuilding a large tree (expr.replace) re-evaluates every
    node's assumptions, and SymPy's own route for Heaviside rewrites it as a
    Piecewise and solves the inequality for a set; each takes minutes on a
    nested derivative."""

    def _print_Max(self, expr):
        return f"mpmath_max({', '.join(self._print(a) for a in expr.args)})"

    def _print_Min(self, expr):
        return f"mpmath_min({', '.join(self._print(a) for a in expr.args)})"

    def _print_Heaviside(self, expr):
        at_zero = expr.args[1] if len(expr.args) > 1 else sympy.S.Half
        return f"mpmath_heaviside({self._print(expr.args[0])}, {self._print(at_zero)})"


def _renaming(base, names, user_functions, order=None):
    """``base`` (lambdify's printer for the backend, with lambdify's settings)
    printing each argument symbol by its name in ``names``; ``order="none"``
    prints the terms of a sum in the tree's own order instead of sorting them
    for display (a quarter of the time: sorting is most of printing)."""
    class Renaming(base):
        def _print_Symbol(self, expr):
            return names[expr] if expr in names else super()._print_Symbol(expr)

        def _print_Dummy(self, expr):  # the placeholders of data sums
            return names[expr] if expr in names else super()._print_Dummy(expr)

    settings = {"fully_qualified_modules": False, "inline": True,
                "allow_unknown_functions": True,
                "user_functions": {k: k for k in user_functions}}
    if order is not None:
        settings["order"] = order
    return Renaming(settings)


def _split(expr):
    """Replace each DataSum by a placeholder; return (outer, [(placeholder, inner)])."""
    sums = sorted(expr.atoms(DataSum), key=sympy.default_sort_key)
    holders = [sympy.Dummy(f"sum{i}") for i in range(len(sums))]
    outer = expr.xreplace(dict(zip(sums, holders))) if sums else expr
    return outer, list(zip(holders, (s.args[0] for s in sums)))


class Compiled:
    """``expr`` as a function of ``variables`` (positional), with data columns.

    Call :meth:`mp` with mpmath numbers (one per variable) for the exact side,
    or :meth:`numpy` with arrays of equal shape (float or complex) for the
    numeric side.
    """

    def __init__(self, expr, variables, data=()):
        self.expr = expr
        self.variables = tuple(variables)
        self.data = data
        self._symbols = tuple(symbol(v) for v in variables)
        self._columns = tuple(symbol(c.name) for c in data)
        self._outer, self._sums = _split(expr)
        self._functions = {}

    def _outer_fn(self, backend):
        # kept on the instance: the lru_cache key (SymPy trees) costs more to hash
        # than a small stencil costs to evaluate
        if backend not in self._functions:
            args = self._symbols + tuple(h for h, _ in self._sums)
            self._functions[backend] = _lambdify(args, self._outer, backend)
        return self._functions[backend]

    def _inner_fn(self, inner, backend):
        return _lambdify(self._symbols + self._columns, inner, backend)

    def ball(self, bits: int):
        """A function of python-flint balls (one per variable) at ``bits`` of
        precision, or None (data sums; Max, Min, where and Heaviside, whose
        comparisons balls do not decide like numbers)."""
        if self._sums:
            return None
        return _ball_function(self._symbols, self.expr, bits)

    def mp(self, *point):
        sums = []
        for _, inner in self._sums:
            fn = self._inner_fn(inner, "mpmath")
            rows = zip(*(_mp_column(c) for c in self.data))
            sums.append(mpmath.fsum(fn(*point, *row) for row in rows))
        return self._outer_fn("mpmath")(*point, *sums)

    def rows(self, points):
        """The values at the rows of ``points`` (shape (k, d), float or complex):
        :meth:`numpy` of its columns, without its checks where the compiled
        code already gives one value per row (the finite-difference engine
        calls this for every stencil, 2 to 16 rows)."""
        if not self._sums:
            fn = self._functions.get("numpy") or self._outer_fn("numpy")
            with np.errstate(all="ignore"):
                # columns by index: unpacking points.T iterates a transposed view,
                # slower than the function on two points
                values = fn(points[:, 0]) if points.shape[1] == 1 else \
                    fn(*[points[:, i] for i in range(points.shape[1])])
            if type(values) is np.ndarray and values.shape == points.shape[:1]:
                return values
        return np.asarray(self.numpy(*points.T))

    def numpy(self, *point):
        if not self._sums:
            with np.errstate(all="ignore"):
                value = self._outer_fn("numpy")(*point)
            if np.ndim(value) == np.ndim(point[0]) if point else True:
                return value
        point = [np.asarray(p) for p in point]
        with np.errstate(all="ignore"):
            sums = []
            for _, inner in self._sums:
                fn = self._inner_fn(inner, "numpy")
                columns = [_np_column(c, point) for c in self.data]
                shaped = [p[..., None] for p in point]
                rows = fn(*shaped, *columns)
                sums.append(np.sum(np.broadcast_to(rows, np.broadcast_shapes(
                    np.shape(rows), (*np.shape(point[0]), len(self.data[0].floats)))), axis=-1))
            value = self._outer_fn("numpy")(*point, *sums)
        shape = np.broadcast_shapes(*(np.shape(p) for p in point)) if point else ()
        return np.broadcast_to(value, shape) if np.ndim(value) < len(shape) else value


@functools.lru_cache(maxsize=256)
def _mp_column_cached(texts, prec):
    return tuple(mpmath.mpf(t) if "/" not in t else mpmath.mpf(sympy.Rational(t).p) / sympy.Rational(t).q
                 for t in texts)


def _mp_column(column):
    return _mp_column_cached(column.texts, mpmath.mp.prec)


def _np_column(column, point):
    dtype = point[0].dtype if point and point[0].dtype.kind == "f" else np.float64
    return np.asarray(column.floats, dtype=dtype)
