"""Truncated power series of an expression: Taylor arithmetic on coefficient lists.

A series about ``a`` is the list ``c[0..n]`` of the coefficients of
``t**k``, ``t = x - a``. Sums and products are the usual truncated ones;
each allowed function has a recurrence from the differential equation it
satisfies (``E' = v' E`` for ``E = exp(v)``, ``u y' = p u' y`` for
``y = u**p``, ``t' = u' (1 + t**2)`` for ``t = tan(u)``, ...), so order
``n`` costs O(n**2) operations per node instead of the expression swell of
repeated symbolic differentiation.

The arithmetic is generic over the coefficient *kind*:

- :class:`Record` (SymPy numbers) runs once at order 0 and records every
  constant the expansion needs (``exp(u(a))``, ``1/u(a)``, signs of kinks);
- :class:`Ring` turns those constants into generators of a polynomial ring
  over the rationals and runs at full order: every coefficient is then an
  exact element of Q[constants];
- :class:`Interval` runs with mpmath intervals: expanded about an interval
  of points, it encloses the coefficients about every point of it (used
  for rigorous remainder bounds).

References
----------
.. [1] Knuth, D. E. "The Art of Computer Programming", vol. 2, sec. 4.7.
.. [2] Griewank, A. and Walther, A. "Evaluating Derivatives", 2nd ed.,
   SIAM (2008), ch. 13 (Taylor arithmetic).
"""
from __future__ import annotations

import functools

import mpmath
import sympy
from mpmath import iv
from sympy.polys.domains import QQ
from sympy.polys.rings import ring

from verify.input.expressions import DataSum
from verify.core.functions import BY_NAME, passes, pieces
from verify.exact.intervals import NotSmooth, _eval, ends_of
from verify.exact.precision import evalf_value, refuse_huge_arguments

ZERO_DIGITS = 40  # a constant smaller than 10**-40 counts as zero (a pole, a kink)


class NoRule(LookupError):
    """A piece of the expression has no series rule here (e.g. a data sum)."""


class NotAnalytic(ArithmeticError):
    """The expansion point is a pole, a branch point, a kink or outside the domain."""


def expand(expr, symbol, about, order: int, kind, held=None, constants=None) -> list:
    """The coefficients c_0..c_order of ``expr`` about ``about`` (an element of ``kind``).

    ``held`` maps other symbols of ``expr`` (``symbol`` itself may be among
    them, and is ignored) to their values, numbers of ``kind``
    (balls for :class:`Ball`, intervals for :class:`Interval`): each is a
    constant series, so a gradient entry of a function of many variables is
    expanded along its own variable without substituting the others into the
    SymPy tree (which re-evaluates the whole tree, once per entry).
    ``constants`` (a dict, see :func:`constants_at`) keeps the values of the
    subexpressions free of ``symbol``; expansions along different variables
    with the same values held (one point, one kind, one precision) share it,
    so each entry recomputes only the path from its variable to the root.

    Examples
    --------
    >>> import sympy
    >>> x, y = sympy.symbols("x y")
    >>> expand(x**2 * y, x, sympy.Integer(3), 2, Record(), held={y: sympy.Integer(5)})
    [45, 30, 5]
    """
    return _Expander(expr, symbol, order, kind, about, held or {}, constants).series(expr)


class Held(dict):
    """The values of the symbols held constant in an expansion, each made a
    number of the expansion's kind (``convert``) when first used: an entry of a
    layer's gradient walks only the path from its own variable, so converting
    the other hundred values for every entry would be most of its set-up."""

    def __init__(self, pairs, convert):
        super().__init__()
        self._raw, self._convert = dict(pairs), convert

    def __contains__(self, symbol):
        return symbol in self._raw

    def __missing__(self, symbol):
        value = self[symbol] = self._convert(self._raw[symbol])
        return value

    def __bool__(self):
        return bool(self._raw)

    def __len__(self):
        return len(self._raw)


@functools.lru_cache(maxsize=64)
def constants_at(expr, key) -> dict:
    """The memo of ``expr``'s constant subexpressions for expansions whose held
    values (every variable's, at one point) and arithmetic ``key`` names, e.g.
    ``("ball", bits, point)``; empty at first, filled by :func:`expand`."""
    return {}


@functools.lru_cache(maxsize=64)
def _structure(expr):
    """{node: (its free symbols, whether it holds a data sum)} for every node of
    ``expr``, in one pass (SymPy's ``free_symbols`` and ``has`` walk the subtree
    on every call)."""
    found = {}

    def visit(e):
        if e in found:
            return found[e]
        if e in _NODES:  # a subtree of an expression seen before (a layer's derivatives)
            found[e] = _NODES[e]
            return found[e]
        if e.is_Symbol:
            found[e] = (frozenset((e,)), False)
        elif isinstance(e, DataSum):
            found[e] = (frozenset(e.free_symbols), True)
        else:
            parts = [visit(a) for a in e.args]
            found[e] = (frozenset().union(*(p[0] for p in parts)) if parts else frozenset(),
                        any(p[1] for p in parts))
        return found[e]
    visit(expr)
    if len(_NODES) > 100_000:  # keep memory bounded
        _NODES.clear()
    _NODES.update(found)
    return found


_NODES = {}  # node -> (free symbols, holds a data sum), whatever expression it came from


# --- coefficient kinds ---------------------------------------------------------------



def _sympy_value(name, u0):
    if name == "inv":
        return 1 / u0
    if isinstance(name, tuple):  # ("pow", p)
        return u0 ** name[1]
    return BY_NAME[name].sympy(u0)


class Record:
    """SymPy numbers; remembers each constant by its key for :class:`Ring`."""

    zero, one = sympy.S.Zero, sympy.S.One

    def __init__(self):
        self.constants = {}

    @staticmethod
    def nonzero(c):
        return c != 0

    @staticmethod
    def rational(p, q=1):
        return sympy.Rational(p, q)

    def number(self, expr):
        self.constants[(expr, "number")] = expr
        return expr

    def apply(self, name, u0, key):
        _check_point(name, u0)
        value = _sympy_value(name, u0)
        if value.has(sympy.zoo, sympy.oo, -sympy.oo, sympy.nan, sympy.I):
            raise NotAnalytic(f"{_show(name)} is not finite and real at {u0}")
        self.constants[key] = value
        return value

    def sign(self, u0, key):
        value = _numeric(u0)
        if abs(value) < mpmath.mpf(10) ** -ZERO_DIGITS:
            raise NotAnalytic("the expansion point is a kink (abs, Max, Min switch there)")
        self.constants[key] = 1 if value > 0 else -1
        return self.constants[key]


def _numeric(u0):
    if u0.is_Rational:
        return mpmath.mpf(u0.p) / u0.q
    # before re(u0): building it asks SymPy whether u0 is real, which evaluates
    # u0, sin(exp(6.7e8)) in it included (pi to 9.6e8 bits, for ever)
    refuse_huge_arguments(u0)
    return evalf_value(sympy.re(u0), ZERO_DIGITS + 20)


def _check_point(name, u0):
    """Poles and branch points at the expansion point itself."""
    near_zero = abs(_numeric(u0)) < mpmath.mpf(10) ** -ZERO_DIGITS
    if name == "inv" and near_zero:
        raise NotAnalytic("the expansion point is a pole (division by zero)")
    if (name == "log" or isinstance(name, tuple)) and near_zero:
        raise NotAnalytic("the expansion point is a branch point (log or power of 0)")
    primitive = BY_NAME.get(name) if isinstance(name, str) else None
    for end in primitive.domain if primitive else ():
        if mpmath.isfinite(end) and abs(_numeric(u0) - end) < mpmath.mpf(10) ** -ZERO_DIGITS:
            raise NotAnalytic(f"the expansion point is a branch point of {name} "
                              f"(argument {end:g})")


def _show(name):
    return f"power {name[1]}" if isinstance(name, tuple) else name


class Ring:
    """Exact coefficients in Q[c_1, c_2, ...], the c_i the constants :class:`Record` met.

    Each irrational constant (after taking out a rational factor) is one
    generator; ``atoms`` maps the generators' symbols to their SymPy values.
    """

    def __init__(self, record: Record):
        rests = []
        for value in record.constants.values():
            if isinstance(value, sympy.Expr):
                rest = value.as_coeff_Mul()[1]
                if not value.is_Rational and rest not in rests:
                    rests.append(rest)
        symbols = [sympy.Dummy(f"c{i}") for i in range(max(1, len(rests)))]
        self.ring, *gens = ring(symbols, QQ)
        self.atoms = dict(zip(symbols, rests))
        self._gens = dict(zip(rests, gens))
        self.zero, self.one = self.ring.zero, self.ring.one
        self._constants = {key: (value if isinstance(value, int) else self.convert(value))
                           for key, value in record.constants.items()}

    def convert(self, value):
        if value.is_Rational:
            return self.ring(QQ(int(value.p), int(value.q)))
        factor, rest = value.as_coeff_Mul()
        return self._gens[rest] * QQ(int(factor.p), int(factor.q))

    @staticmethod
    def nonzero(c):
        return bool(c)

    @staticmethod
    def rational(p, q=1):
        return QQ(p, q)

    def number(self, expr):
        return self._constants[(expr, "number")]

    def apply(self, name, u0, key):
        return self._constants[key]

    def sign(self, u0, key):
        return self._constants[key]


class Interval:
    """mpmath intervals (at the caller's ``iv.dps``); raises NotSmooth where the
    box meets a pole, a kink or the domain's edge."""

    def __init__(self):
        self.zero, self.one = iv.mpf(0), iv.mpf(1)
        self._x = sympy.Dummy("u")

    @staticmethod
    def nonzero(c):
        return c.a != 0 or c.b != 0

    @staticmethod
    def rational(p, q=1):
        return iv.mpf(p) / q

    def number(self, expr):
        return _eval(expr, {}, (), {})

    def apply(self, name, u0, key):
        primitive = BY_NAME.get(name) if isinstance(name, str) else None
        if primitive is not None and any(mpmath.isfinite(end) for end in primitive.domain):
            lo, hi = ends_of(u0)
            low, high = primitive.domain
            if not (low < lo and hi < high):  # the ends are branch points
                raise NotSmooth(f"{name} of an interval reaching the edge of its domain")
        if name == "tan":
            lo, hi = ends_of(u0)
            if mpmath.floor(lo / mpmath.pi + 0.5) != mpmath.floor(hi / mpmath.pi + 0.5):
                raise NotSmooth("tan has a pole in the interval")
        expr = _sympy_value(name, self._x)
        try:
            return _eval(expr, {self._x: u0}, (), {})
        except (mpmath.libmp.libmpf.ComplexResult, ZeroDivisionError, ValueError) as exc:
            raise NotSmooth(str(exc)) from None

    @staticmethod
    def sign(u0, key):
        lo, hi = ends_of(u0)
        if lo <= 0 <= hi:
            raise NotSmooth("a kink (abs, Max, Min) in the interval")
        return 1 if lo > 0 else -1


class Ball:
    """flint balls (at the caller's ``balls.precision``), the fast form of
    :class:`Interval`; a rule balls lack raises NoBall, and a ball that is not
    finite BallNotSmooth, for the caller to redo the expansion with :class:`Interval`."""

    def __init__(self):
        from verify.exact import balls
        self.balls = balls
        self.zero, self.one = balls.arb(0), balls.arb(1)
        self._x = sympy.Dummy("u")

    @staticmethod
    def nonzero(c):
        return not c.is_zero()

    def rational(self, p, q=1):
        return self.balls.arb(self.balls.fmpq(p, q))

    def number(self, expr):
        return self.balls.evaluate(expr, {}, {})

    def apply(self, name, u0, key):
        if name == "inv":
            if u0.contains(0):
                raise self.balls.BallNotSmooth("division by an interval holding 0")
            return 1 / u0
        if name == "tan" and u0.cos().contains(0):
            raise self.balls.BallNotSmooth("tan may have a pole in the interval")
        primitive = BY_NAME.get(name) if isinstance(name, str) else None
        if primitive is not None and any(mpmath.isfinite(end) for end in primitive.domain):
            lo, hi = self.balls.bounds(u0)
            low, high = primitive.domain
            if not (low < lo and hi < high):  # the ends are branch points
                raise self.balls.BallNotSmooth(f"{name} reaching the edge of its domain")
        if isinstance(name, tuple):  # a power that is not an integer: real for u > 0 only
            if not u0 > 0:
                raise self.balls.BallNotSmooth(f"power {name[1]} of an interval reaching 0")
            if name[1] == sympy.S.Half:
                return u0.sqrt()
            # monotone for u > 0: from the ends (exp(p log u) of the whole ball is wider)
            exponent = self.balls.constant(name[1])
            return self.balls.apply_monotone(lambda end: end ** exponent, u0)
        if not self.balls.has_rule(name):
            raise self.balls.NoBall(f"no ball rule for {name}")
        value = self.balls.apply(BY_NAME[name], u0)
        if not value.is_finite():
            raise self.balls.BallNotSmooth(f"{name} is not finite on the interval")
        return value

    def sign(self, u0, key):
        if u0.contains(0):
            raise self.balls.BallNotSmooth("a kink (abs, Max, Min) in the interval")
        return 1 if u0 > 0 else -1


class ComplexBall(Ball):
    """flint's complex balls (``acb``), for series about a disc or a segment of
    the complex plane: the complex step's truncation is bounded by the third
    derivative over the segment from x to x + ih. A function is applied only
    where the ball stays clear of its branch cuts (the real axis outside its
    real domain; the imaginary axis beyond +-i for atan and asinh); switches
    (abs, Max, Min, where) are not analytic."""

    def __init__(self):
        super().__init__()
        from flint import acb
        self.acb = acb
        self.zero, self.one = acb(0), acb(1)

    def rational(self, p, q=1):
        return self.acb(super().rational(p, q))

    def number(self, expr):
        return self.acb(super().number(expr))

    def apply(self, name, u0, key):
        balls = self.balls
        if name == "inv":
            if u0.contains(0):
                raise balls.BallNotSmooth("division by a ball holding 0")
            return 1 / u0
        real, imaginary = u0.real, u0.imag
        if isinstance(name, tuple) or name in ("log", "sqrt"):
            if not real > 0:  # the principal branch's cut is the negative real axis
                raise balls.BallNotSmooth(f"{name} of a ball reaching its branch cut")
        primitive = BY_NAME.get(name) if isinstance(name, str) else None
        if primitive is not None and any(mpmath.isfinite(end) for end in primitive.domain):
            low, high = primitive.domain
            if not (low < real.lower() and real.upper() < high):
                raise balls.BallNotSmooth(f"{name} reaching a branch cut")
        if name in ("atan", "asinh") and not abs(imaginary) < 1:
            raise balls.BallNotSmooth(f"{name} reaching a branch cut")
        if isinstance(name, tuple):
            value = u0 ** balls.constant(name[1])
        elif balls.has_rule(name) or name == "sqrt":
            value = getattr(u0, name)()
        else:
            raise balls.NoBall(f"no complex ball rule for {name}")
        if not value.is_finite():
            raise balls.BallNotSmooth(f"{name} is not finite on the ball")
        return value

    def sign(self, u0, key):
        raise NotAnalytic("a switch (abs, Max, Min, where) is not analytic")


# --- the arithmetic --------------------------------------------------------------------

class _Expander:
    def __init__(self, expr, symbol, order, kind, about, held, constants):
        self.x, self.n, self.kind, self.about = symbol, order, kind, about
        self.held, self.constants = held, constants
        self.memo = {}
        self.structure = _structure(expr)

    def _about(self, e):
        """(free symbols, holds a data sum) of a node."""
        known = self.structure.get(e)
        return known if known is not None else (e.free_symbols, e.has(DataSum))

    def const(self, c):
        return [c] + [self.kind.zero] * self.n

    def series(self, e):
        if e not in self.memo:
            self.memo[e] = self._node(e)
        return self.memo[e]

    def _node(self, e):
        k = self.kind
        if e == self.x:
            s = self.const(self.about)
            if self.n:
                s[1] = k.one
            return s
        if e in self.held:
            return self.const(self.held[e])
        symbols, data = self._about(e)
        if data:
            raise NoRule("sums over data rows have no series rule")
        if self.x not in symbols:
            if not symbols:
                return self.const(k.number(e))
            if e.is_Symbol:  # (a symbol neither moving nor held)
                raise NoRule(f"{e} is a symbol other than {self.x}, and no value is held for it")
            # free of x, of held symbols only (or a leaf above raises): a constant,
            # computed once for every expansion that shares the memo
            if self.constants is not None:
                if e not in self.constants:
                    self.constants[e] = self._arithmetic(e)[0]
                return self.const(self.constants[e])
        return self._arithmetic(e)

    def _arithmetic(self, e):
        if e.is_Add:
            terms = [self.series(a) for a in e.args]
            return [sum((t[i] for t in terms[1:]), terms[0][i]) for i in range(self.n + 1)]
        if e.is_Mul:
            factors = [self.series(a) for a in e.args]
            result = factors[0]
            for f in factors[1:]:
                result = self.mul(result, f)
            return result
        if e.is_Pow:
            return self._power(e)
        name = type(e).__name__
        if name in ("Max", "Min"):
            return self._extreme(e, name)
        if isinstance(e, sympy.Piecewise):
            return self._where(e)
        if len(e.args) != 1:
            raise NoRule(f"no series rule for {name}")
        return self._function(e, name, self.series(e.args[0]))

    # elementary operations
    def mul(self, a, b):
        nz = self.kind.nonzero
        ia = [i for i, c in enumerate(a) if nz(c)]
        ib = [j for j, c in enumerate(b) if nz(c)]
        out = [self.kind.zero] * (self.n + 1)
        for i in ia:
            for j in ib:
                if i + j > self.n:
                    break
                out[i + j] = out[i + j] + a[i] * b[j]
        return out

    def scale(self, a, c):
        return [x * c for x in a]

    def deriv(self, a):
        return [a[i + 1] * (i + 1) for i in range(self.n)]

    def integrate(self, d, c0):
        k = self.kind
        return [c0] + [d[i - 1] * k.rational(1, i) for i in range(1, self.n + 1)]

    def recip(self, a, inv0):
        out = [inv0]
        for m in range(1, self.n + 1):
            total = sum((a[j] * out[m - j] for j in range(1, m + 1)), self.kind.zero)
            out.append(-(inv0 * total))
        return out

    def _ipow(self, b, m):
        result, base = self.const(self.kind.one), b
        while m:
            if m & 1:
                result = self.mul(result, base)
            m >>= 1
            if m:
                base = self.mul(base, base)
        return result

    def _miller(self, u, p1, y0, inv0):
        """y = u**p from u y' = p u' y: y_m = (1/(m u_0)) sum ((p+1) j - m) u_j y_{m-j}."""
        k, y = self.kind, [y0]
        for m in range(1, self.n + 1):
            total = sum(((p1 * j - m) * u[j] * y[m - j] for j in range(1, m + 1)), k.zero)
            y.append(total * inv0 * k.rational(1, m))
        return y

    def _flow(self, v, sign):
        """(S, C) with S' = C v', C' = sign S v', S(0) = 0, C(0) = 1 (v_0 = 0):
        sin/cos of v for sign -1, sinh/cosh for +1."""
        k, jv = self.kind, self._weighted(v)
        s, c = [k.zero], [k.one]
        for m in range(1, self.n + 1):
            inv = k.rational(1, m)
            s.append(sum((jv[j] * c[m - j] for j in range(1, m + 1)), k.zero) * inv)
            c.append(sum((jv[j] * s[m - j] for j in range(1, m + 1)), k.zero) * inv * sign)
        return s, c

    def _exp0(self, v):
        k, jv, e = self.kind, self._weighted(v), [self.kind.one]
        for m in range(1, self.n + 1):
            e.append(sum((jv[j] * e[m - j] for j in range(1, m + 1)), k.zero) * k.rational(1, m))
        return e

    def _weighted(self, v):
        """j v_j: the coefficients of t v'(t), shared by the recurrences."""
        return [c * j for j, c in enumerate(v)]

    def _tan(self, u, t0, sign):
        """t = tan(u) (sign +1) or tanh(u) (sign -1): t' = u' (1 + sign t**2)."""
        k, t, w = self.kind, [t0], []
        d = self.deriv(u)
        for m in range(1, self.n + 1):
            square = sum((t[i] * t[m - 1 - i] for i in range(m)), k.zero) * sign
            w.append(square + k.one if m == 1 else square)
            t.append(sum((d[j] * w[m - 1 - j] for j in range(m)), k.zero) * k.rational(1, m))
        return t

    # nodes
    def _power(self, e):
        base, p = e.args
        if p.free_symbols:  # the moving or a held symbol in the exponent
            return self.series(sympy.exp(p * sympy.log(base)))
        b, k = self.series(base), self.kind
        if p.is_Integer and p >= 0:
            return self._ipow(b, int(p))
        if p.is_Integer:
            q = self._ipow(b, int(-p))
            return self.recip(q, k.apply("inv", q[0], (e, "inv")))
        y0 = k.apply(("pow", p), b[0], (e, "pow"))
        inv0 = k.apply("inv", b[0], (e, "inv"))
        return self._miller(b, k.number(p + 1), y0, inv0)

    def _extreme(self, e, name):
        k = self.kind
        args = [self.series(a) for a in e.args]
        best = args[0]
        for i, other in enumerate(args[1:]):
            difference = other[0] - best[0] if name == "Max" else best[0] - other[0]
            if k.sign(difference, (e, "sign", i)) > 0:
                best = other
        return best

    def _where(self, e):
        """The piece taken at the expansion point (a switch point there is a kink)."""
        for i, (value, difference, test) in enumerate(pieces(e)):
            if test is None:
                return self.series(value)
            side = self.kind.sign(self.series(difference)[0], (e, "sign", i))
            if passes(test, side):
                return self.series(value)
        raise NotAnalytic("no piece of where applies at the expansion point")

    def _function(self, e, name, u):
        k = self.kind
        u0, v = u[0], [k.zero] + u[1:]
        if name == "exp":
            return self.scale(self._exp0(v), k.apply("exp", u0, (e, "exp")))
        if name in ("sin", "cos", "sinh", "cosh"):
            hyperbolic = name.endswith("h")
            pair = ("sinh", "cosh") if hyperbolic else ("sin", "cos")
            s0 = k.apply(pair[0], u0, (e, pair[0]))
            c0 = k.apply(pair[1], u0, (e, pair[1]))
            s, c = self._flow(v, 1 if hyperbolic else -1)
            if name in ("sin", "sinh"):
                return [s0 * ci + c0 * si for si, ci in zip(s, c)]
            sign = 1 if hyperbolic else -1
            return [c0 * ci + s0 * si * sign for si, ci in zip(s, c)]
        if name in ("tan", "tanh"):
            return self._tan(u, k.apply(name, u0, (e, name)), 1 if name == "tan" else -1)
        if name == "log":
            log0 = k.apply("log", u0, (e, "log"))  # first: a branch point, not "a pole"
            inv0 = k.apply("inv", u0, (e, "inv"))
            return self.integrate(self.mul(self.deriv(u) + [k.zero], self.recip(u, inv0)), log0)
        if name == "atan":
            q = self.mul(u, u)
            q[0] = q[0] + k.one
            inv0 = k.apply("inv", q[0], (e, "inv"))
            return self.integrate(self.mul(self.deriv(u) + [k.zero], self.recip(q, inv0)),
                                  k.apply("atan", u0, (e, "atan")))
        if name == "atanh":  # atanh' = 1/(1 - u**2)
            q = [-c for c in self.mul(u, u)]
            q[0] = q[0] + k.one
            inv0 = k.apply("inv", q[0], (e, "inv"))
            return self.integrate(self.mul(self.deriv(u) + [k.zero], self.recip(q, inv0)),
                                  k.apply("atanh", u0, (e, "atanh")))
        if name in ("asin", "acos", "asinh", "acosh"):
            # asin' = (1 - u**2)**(-1/2), asinh' = (1 + u**2)**(-1/2), acosh' = (u**2 - 1)**(-1/2)
            q = self.mul(u, u)
            if name in ("asin", "acos"):
                q = [-c for c in q]
            q[0] = q[0] + (-k.one if name == "acosh" else k.one)
            half = sympy.Rational(-1, 2)
            w = self._miller(q, k.number(half + 1), k.apply(("pow", half), q[0], (e, "pow")),
                             k.apply("inv", q[0], (e, "inv")))
            d = self.mul(self.deriv(u) + [k.zero], w)
            start = k.apply(name, u0, (e, name))
            return self.integrate(d if name != "acos" else [-c for c in d], start)
        if name == "erf":
            w = [-c for c in self.mul(u, u)]
            gauss = self.scale(self._exp0([k.zero] + w[1:]), k.apply("exp", w[0], (e, "exp")))
            d = self.scale(self.mul(self.deriv(u) + [k.zero], gauss),
                           k.number(2 / sympy.sqrt(sympy.pi)))
            return self.integrate(d, k.apply("erf", u0, (e, "erf")))
        if name == "Abs":
            return u if k.sign(u0, (e, "sign")) > 0 else [-c for c in u]
        raise NoRule(f"no series rule for {name}")
