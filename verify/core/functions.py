"""The registry of functions: everything each engine needs to know of one.

A case file may call three kinds of function:

- a *primitive* (``sin``, ``erf``, ``asinh``, ...) is a SymPy function
  class that every engine evaluates itself, so its entry says everything
  each engine needs: the NumPy and scalar forms (the numeric side, complex
  step, backprop), the mpmath form (the exact side), the local derivative
  (backprop and the rounding bound), the interval rule, the series rule,
  its rounding in ulps (real and complex), and its domain;
- a *switch* (``abs``, ``Max``, ``Min``, and ``where(c, a, b)``, a SymPy
  Piecewise) is piecewise: every engine has a rule for it, its switch
  points are kinks unless the one-sided derivatives agree there
  (:mod:`verify.bounds.kinks`);
- a *composite* (``relu``, ``sigmoid``, ``gelu``, ...) is written in terms
  of the other two, so the engines only ever see primitives and switches.

Adding a function is adding an entry here; ``tests/test_functions.py``
checks every primitive against every engine (value, derivative,
enclosure, Taylor coefficients) and fails when an engine lacks a rule.
"""
from __future__ import annotations

import math
import types
from dataclasses import dataclass
from typing import Callable

import mpmath
import numpy as np
import sympy

_TWO_OVER_SQRT_PI = 2 / math.sqrt(math.pi)


def _erf(z):
    """SciPy's erf (real and complex arguments), imported on first use: the
    import costs about 0.3 s, which a run without erf need not pay."""
    from scipy import special
    return special.erf(z)


@dataclass(frozen=True)
class Primitive:
    """A function the engines evaluate directly.

    ``derivative(lib, a, out)`` is f'(a) given a and out = f(a), with ``lib``
    the :mod:`math` module (floats) or :data:`NUMPY` (arrays). ``monotone``
    is True (increasing) or False (decreasing) over ``domain`` for the
    interval engine's end-point rule, or, with a ``turning_point``, on the
    right of it and the other way on the left (cosh); None means mpmath's
    interval arithmetic has the function itself (``iv.sin``).
    ``series`` names the rule :mod:`verify.exact.series` applies. ``domain`` holds
    the ends of the real interval where the function is real and finite;
    ``open_ends`` says the ends themselves are not in it (log at 0, atanh at
    +-1 are infinite; asin at +-1 is finite, with an infinite derivative).
    """

    name: str
    sympy: type
    numpy: Callable
    scalar: Callable
    mpmath: Callable
    derivative: Callable
    series: str
    monotone: bool | None = None
    domain: tuple = (-math.inf, math.inf)
    open_ends: bool = False
    ulps: float = 1.0
    complex_ulps: float = 1.0
    turning_point: float | None = None


@dataclass(frozen=True)
class Composite:
    """A function written with primitives and switches; ``definition`` for the docs."""

    name: str
    build: Callable
    arity: int | None       # None: two or more arguments
    definition: str


def _primitive(name, sympy_class, numpy_fn, scalar, mp_fn, derivative, series, **extra):
    return Primitive(name, sympy_class, numpy_fn, scalar, mp_fn, derivative, series, **extra)


PRIMITIVES = (
    _primitive("sin", sympy.sin, np.sin, math.sin, mpmath.sin,
               lambda lib, a, out: lib.cos(a), "sin"),
    _primitive("cos", sympy.cos, np.cos, math.cos, mpmath.cos,
               lambda lib, a, out: -lib.sin(a), "cos"),
    _primitive("tan", sympy.tan, np.tan, math.tan, mpmath.tan,
               lambda lib, a, out: 1.0 + out * out, "tan"),
    _primitive("asin", sympy.asin, np.arcsin, math.asin, mpmath.asin,
               lambda lib, a, out: 1.0 / lib.sqrt((1.0 - a) * (1.0 + a)), "asin",
               monotone=True, domain=(-1.0, 1.0)),
    _primitive("acos", sympy.acos, np.arccos, math.acos, mpmath.acos,
               lambda lib, a, out: -1.0 / lib.sqrt((1.0 - a) * (1.0 + a)), "acos",
               monotone=False, domain=(-1.0, 1.0)),
    _primitive("atan", sympy.atan, np.arctan, math.atan, mpmath.atan,
               lambda lib, a, out: 1.0 / (1.0 + a * a), "atan", monotone=True),
    _primitive("sinh", sympy.sinh, np.sinh, math.sinh, mpmath.sinh,
               lambda lib, a, out: lib.cosh(a), "sinh", monotone=True),
    _primitive("cosh", sympy.cosh, np.cosh, math.cosh, mpmath.cosh,
               lambda lib, a, out: lib.sinh(a), "cosh", monotone=True, turning_point=0.0),
    # 1/cosh**2, not 1 - out**2: that cancels where tanh is near 1
    _primitive("tanh", sympy.tanh, np.tanh, math.tanh, mpmath.tanh,
               lambda lib, a, out: 1.0 / lib.cosh(a) ** 2, "tanh", monotone=True),
    _primitive("exp", sympy.exp, np.exp, math.exp, mpmath.exp,
               lambda lib, a, out: out, "exp"),
    _primitive("log", sympy.log, np.log, math.log, mpmath.log,
               lambda lib, a, out: 1.0 / a, "log", domain=(0.0, math.inf), open_ends=True),
    # SciPy's complex erf errs by up to ~21 units (measured by fuzzing), not one
    _primitive("erf", sympy.erf, _erf, math.erf, mpmath.erf,
               lambda lib, a, out: _TWO_OVER_SQRT_PI * lib.exp(-a * a), "erf",
               monotone=True, complex_ulps=32.0),
    _primitive("asinh", sympy.asinh, np.arcsinh, math.asinh, mpmath.asinh,
               lambda lib, a, out: 1.0 / lib.sqrt(1.0 + a * a), "asinh", monotone=True),
    _primitive("acosh", sympy.acosh, np.arccosh, math.acosh, mpmath.acosh,
               lambda lib, a, out: 1.0 / lib.sqrt((a - 1.0) * (a + 1.0)), "acosh",
               monotone=True, domain=(1.0, math.inf)),
    _primitive("atanh", sympy.atanh, np.arctanh, math.atanh, mpmath.atanh,
               lambda lib, a, out: 1.0 / ((1.0 - a) * (1.0 + a)), "atanh",
               monotone=True, domain=(-1.0, 1.0), open_ends=True),
)

BY_NAME = {p.name: p for p in PRIMITIVES}
BY_CLASS = {p.sympy.__name__: p for p in PRIMITIVES}  # keyed by SymPy's class name

# The NumPy namespace backprop passes as ``lib`` for arrays.
NUMPY = types.SimpleNamespace(pow=np.power, sqrt=np.sqrt,
                              **{p.name: p.numpy for p in PRIMITIVES})

def where(condition, a, b):
    """``a`` where ``condition`` (a comparison) holds, else ``b``: a Piecewise."""
    return sympy.Piecewise((a, condition), (b, True))


# Piecewise functions every engine handles by itself; their switch points are kinks.
SWITCHES = {"abs": (sympy.Abs, 1), "Max": (sympy.Max, None), "Min": (sympy.Min, None),
            "where": (where, 3)}
SWITCH_CLASSES = (sympy.Abs, sympy.Max, sympy.Min)

# The decimals of the definition, exactly (a decimal in verify means that decimal)
SELU_SCALE = sympy.Rational("1.0507009873554804934193349852946")
SELU_ALPHA = sympy.Rational("1.6732632423543772848170429916717")


def _sigmoid(z):
    return 1 / (1 + sympy.exp(-z))


def _softplus(z):
    return sympy.log(1 + sympy.exp(z))


def _positive_part(z):
    return sympy.Max(z, 0)


def _elu_negative(z):
    # exp(z) - 1 has the sign of z, so Min(.., 0) is exp(z) - 1 exactly where z <= 0
    return sympy.Min(sympy.exp(z) - 1, 0)


COMPOSITES = (
    Composite("sqrt", sympy.sqrt, 1, "z**(1/2)"),
    Composite("relu", lambda z: sympy.Max(0, z), 1, "Max(0, z)"),
    Composite("sigmoid", _sigmoid, 1, "1/(1 + exp(-z))"),
    Composite("softplus", _softplus, 1, "log(1 + exp(z))"),
    Composite("log1p", lambda z: sympy.log(1 + z), 1, "log(1 + z)"),
    Composite("expm1", lambda z: sympy.exp(z) - 1, 1, "exp(z) - 1"),
    Composite("log2", lambda z: sympy.log(z) / sympy.log(2), 1, "log(z)/log(2)"),
    Composite("log10", lambda z: sympy.log(z) / sympy.log(10), 1, "log(z)/log(10)"),
    Composite("exp2", lambda z: 2 ** z, 1, "2**z"),
    Composite("erfc", lambda z: 1 - sympy.erf(z), 1, "1 - erf(z)"),
    Composite("gelu", lambda z: z * (1 + sympy.erf(z / sympy.sqrt(2))) / 2, 1,
              "z*(1 + erf(z/sqrt(2)))/2"),
    Composite("gelu_tanh", lambda z: z * (1 + sympy.tanh(
        sympy.sqrt(2 / sympy.pi) * (z + sympy.Rational(44715, 1000000) * z ** 3))) / 2, 1,
        "z*(1 + tanh(sqrt(2/pi)*(z + 0.044715*z**3)))/2"),
    Composite("silu", lambda z: z * _sigmoid(z), 1, "z*sigmoid(z)"),
    Composite("elu", lambda z: _positive_part(z) + _elu_negative(z), 1,
              "z for z > 0, exp(z) - 1 otherwise"),
    Composite("selu", lambda z: SELU_SCALE * (_positive_part(z) + SELU_ALPHA * _elu_negative(z)),
              1, "L*z for z > 0, L*A*(exp(z) - 1) otherwise"),
    Composite("leaky_relu", lambda z, a: _positive_part(z) + a * sympy.Min(z, 0), 2,
              "z for z > 0, a*z otherwise"),
    Composite("softsign", lambda z: z / (1 + sympy.Abs(z)), 1, "z/(1 + abs(z))"),
    Composite("mish", lambda z: z * sympy.tanh(_softplus(z)), 1, "z*tanh(softplus(z))"),
    Composite("hardtanh", lambda z: sympy.Max(-1, sympy.Min(1, z)), 1, "Max(-1, Min(1, z))"),
    Composite("logsumexp", lambda *z: sympy.log(sympy.Add(*[sympy.exp(t) for t in z])), None,
              "log(exp(z1) + ... + exp(zn))"),
)

_SIGN_TESTS = {sympy.StrictGreaterThan: ">", sympy.GreaterThan: ">=",
               sympy.StrictLessThan: "<", sympy.LessThan: "<="}


def pieces(expr) -> tuple:
    """The pieces of a Piecewise as ``(value, difference, test)``, in order: the
    first piece whose ``difference`` (lhs - rhs of its comparison) passes
    ``test`` (``">"``, ``">="``, ``"<"``, ``"<="`` against 0) is taken; the
    last piece has no test (``difference`` None). Raises ValueError for a
    condition that is not one comparison (SymPy may combine them)."""
    found = []
    for value, condition in expr.args:
        if condition is sympy.true:
            found.append((value, None, None))
            break
        test = _SIGN_TESTS.get(type(condition))
        if test is None:
            raise ValueError(f"no rule for the condition {condition} of where")
        found.append((value, condition.lhs - condition.rhs, test))
    return tuple(found)


def passes(test, difference):
    """Whether a float or array ``difference`` passes ``test`` (see :func:`pieces`)."""
    if test == ">":
        return difference > 0
    if test == ">=":
        return difference >= 0
    if test == "<":
        return difference < 0
    return difference <= 0

# name -> (builder, number of arguments; None means two or more), for the parser
CALLABLE = {**{p.name: (p.sympy, 1) for p in PRIMITIVES}, **SWITCHES,
            **{c.name: (c.build, c.arity) for c in COMPOSITES}}


def primitive_of(expr) -> Primitive | None:
    """The registry entry of a SymPy function node, or None."""
    return BY_CLASS.get(type(expr).__name__)


def complex_ulps(expr) -> float:
    """The largest complex-form error, in ulps, of the primitives in ``expr``."""
    return max((p.complex_ulps for p in PRIMITIVES if expr.has(p.sympy)), default=1.0)


def in_domain(primitive: Primitive, lo, hi) -> bool:
    """Whether [lo, hi] lies where ``primitive`` is real and finite."""
    low, high = primitive.domain
    if primitive.open_ends:
        return low < lo and hi < high
    return low <= lo and hi <= high


def is_analytic(expr) -> bool:
    """False when complex step cannot apply: a switch (abs, Max, Min, where, so
    relu and the rest) or SymPy's sign/Heaviside appears."""
    return not expr.has(*SWITCH_CLASSES, sympy.Piecewise, sympy.sign, sympy.Heaviside)
