"""The exact engine: SymPy derivatives, evaluated by mpmath at high precision.

A case's function (parameters substituted exactly) is differentiated once
per multi-index and compiled once per derivative, for the whole run. Values
are computed at ``DPS`` digits and recomputed at twice that; if the two
disagree beyond float64's last digit, precision doubles again
(:mod:`verify.exact.precision`), so an
"exact" value is right to the last float64 digit even where the formula
cancels (1 - tanh(10)**2 loses eight digits; we have forty to spare).
"""
from __future__ import annotations

import functools
import math

import mpmath
import sympy

from verify.exact.compiled import EVALF_BITS, Compiled, LimitReached, refuse_too_large
from verify.exact.precision import START_DPS, until_stable
from verify.input.expressions import MAX_OPERATIONS, DataSum, fold, operations, symbol

DPS = START_DPS


class NotDefined(ArithmeticError):
    """The function or a derivative has no real finite value at the point."""


class DerivativeTooLarge(LimitReached):
    """A derivative grew past MAX_OPERATIONS; the message names it and the limit.

    Not an ArithmeticError: the function is defined, we refuse to go on.
    """


class ExactFunction:
    """A function of ordered variables, its derivatives and their exact values.

    Parameters
    ----------
    expression : sympy.Expr
        With parameters already substituted.
    variables : tuple of str
    data : tuple of Column
    """

    def __init__(self, expression, variables, data=()):
        self.expression = expression
        self.variables = tuple(variables)
        self.data = data
        self.symbols = tuple(symbol(v) for v in self.variables)
        self._too_large = {}  # orders -> message, so a refused derivative is not redone
        self._balls = {}  # (point, dps) -> its coordinates as balls (see _ball_value)
        self._values = {}  # (orders, point) -> exact value, computed once
        self._by_balls = set()  # the keys of _values that real balls computed

    def __repr__(self):
        return f"ExactFunction({self.expression}, {self.variables})"

    def derivative(self, orders: tuple[int, ...]) -> sympy.Expr:
        """The partial derivative with ``orders[i]`` times by variable i.

        Raises
        ------
        DerivativeTooLarge
            When it has more than MAX_OPERATIONS operations.
        """
        orders = tuple(orders)
        if orders in self._too_large:
            raise DerivativeTooLarge(self._too_large[orders])
        try:
            return self._derivative(orders)
        except DerivativeTooLarge as exc:
            self._too_large[orders] = str(exc)
            raise

    @functools.lru_cache(maxsize=None)
    def _derivative(self, orders):
        if not any(orders):
            return self.expression
        index = max(i for i, k in enumerate(orders) if k)
        lower = list(orders)
        lower[index] -= 1
        result = differentiate(self.derivative(tuple(lower)), self.symbols[index])
        if operations(result, limit=MAX_OPERATIONS) > MAX_OPERATIONS:
            raise DerivativeTooLarge(
                f"the derivative {_name(orders, self.variables)} has more than {MAX_OPERATIONS} "
                "operations (the limit on expression size); it is not computed")
        return result

    def nth(self, n: int, index: int = 0) -> sympy.Expr:
        orders = [0] * len(self.variables)
        orders[index] = n
        return self.derivative(tuple(orders))

    @functools.lru_cache(maxsize=None)
    def compiled(self, orders: tuple[int, ...]) -> Compiled:
        return Compiled(self.derivative(orders), self.variables, self.data)

    def value(self, orders: tuple[int, ...], point) -> mpmath.mpf:
        """The exact value of a derivative at ``point`` (Values or mpf numbers).

        Raises
        ------
        NotDefined
            When the value is complex, infinite or a division by zero.
        """
        key = _point_key(orders, point)
        if key in self._values:  # the checks ask for the same entries (and representation)
            return self._values[key]
        value = self._value(tuple(orders), point, key)
        if len(self._values) > 4096:  # keep memory bounded on big cases
            self._values.clear()
            self._by_balls.clear()
        self._values[key] = value
        return value

    def real_by_balls(self, orders, point) -> bool:
        """Whether the value of ``orders`` at ``point`` (asked before) came from
        real ball arithmetic: every node of the expansion then had a finite
        real ball (a pole, a domain edge or a complex value raises), so no
        piece is infinite or complex there."""
        return _point_key(orders, point) in self._by_balls

    def _value(self, orders, point, key=None):
        fast = self._ball_value(orders, point)
        if fast is not None:
            self._by_balls.add(key)
            return fast
        fn = self.compiled(tuple(orders))

        def at(dps):
            with mpmath.workdps(dps):
                return _real(fn.mp(*_at(point, dps)))
        return until_stable(at)


    def _held_balls(self, values, point, dps):
        """{symbol: ball} of every coordinate of ``point`` (``values``, its hashable
        form) at ``dps``, made once per point (the same for all its entries)."""
        from verify.exact import balls
        key = (values, dps)
        if key not in self._balls:
            if len(self._balls) > 64:  # a case of many points: keep memory bounded
                self._balls.clear()
            self._balls[key] = {s: balls.exact_point(p) for s, p in zip(self.symbols, point)}
        return self._balls[key]

    def _ball_value(self, orders, point):
        """The value by ball Taylor arithmetic when its radius proves 120 bits
        (the 36 digits the mpmath path gives, the float64 ones many times over),
        else None (then SymPy's derivative is compiled and mpmath decides,
        with its messages for poles and domain edges)."""
        from verify.exact import balls
        from verify.exact.series import NoRule, NotAnalytic, constants_at
        moved = [i for i, k in enumerate(orders) if k]
        if self.data or len(moved) > 1:
            return None
        index = moved[0] if moved else 0
        values = _point_key((), point)
        for dps in (40, 80, 160):
            try:
                with balls.precision(dps):
                    # the other variables are constants of the expansion, as balls: no
                    # SymPy substitution (which re-evaluates the whole tree) per entry;
                    # what does not move is computed once per point for every entry
                    held = self._held_balls(values, point, dps)
                    about = held[self.symbols[index]]
                    ball = balls.taylor_coefficient(
                        self.expression, self.symbols[index], about, orders[index], held,
                        constants_at(self.expression, ("ball", dps, values)))
                    if ball.rel_accuracy_bits() >= 120:
                        return balls.ends(ball.mid())[0]
            except (balls.NoBall, balls.BallNotSmooth, NoRule, NotAnalytic, ArithmeticError,
                    ValueError, TypeError):
                return None
        return None


def _point_key(orders, point) -> tuple:
    """(orders, the point's exact coordinates) as a dict key; each coordinate typed,
    so that no mpf and SymPy number of different values compare equal."""
    return tuple(orders), point_key(point)


_KEYS = {}  # id(point) -> (point, its key): SymPy does not cache a Rational's hash


class _PointKey:
    """A point's typed coordinates with their hash computed once."""

    __slots__ = ("values", "_hash")

    def __init__(self, values):
        self.values, self._hash = values, hash(values)

    def __hash__(self):
        return self._hash

    def __eq__(self, other):
        return self is other or (isinstance(other, _PointKey) and self._hash == other._hash
                                 and self.values == other.values)


def point_key(point) -> tuple:
    """A point's exact coordinates, typed, as a hashable key; made once per tuple
    (a layer's checks ask for it hundreds of times)."""
    known = _KEYS.get(id(point))
    if known is not None and known[0] is point:
        return known[1]
    key = _PointKey(tuple((type(v).__name__, v)
                          for v in (getattr(p, "exact", p) for p in point)))
    if isinstance(point, tuple):  # immutable: its key cannot change
        if len(_KEYS) > 4096:
            _KEYS.clear()
        _KEYS[id(point)] = (point, key)
    return key


def differentiate(expr, by) -> sympy.Expr:
    """d expr / d by with every DiracDelta dropped.

    SymPy differentiates sign and Heaviside (from abs, Max, Min, relu) into
    DiracDelta, which is 0 everywhere except at a kink; kinks are judged
    from one-sided pieces (verify.bounds.kinks), so away from them dropping it is exact.
    """
    from verify.exact.series import _structure
    result = _derivative_of(expr, by, _structure(expr), {})
    if result.has(sympy.DiracDelta):
        result = result.replace(lambda e: isinstance(e, sympy.DiracDelta), lambda e: sympy.S.Zero)
    return result


def _derivative_of(e, by, structure, memo):
    """SymPy's own rules for Add, Mul, Pow and one-argument functions (the same
    expressions ``sympy.diff`` builds), without its per-node set-up, and with a
    node free of ``by`` (``structure``: its free symbols) a zero at once: for a
    layer of a hundred weights SymPy's ``diff`` spends its time on the ninety-nine
    terms that do not hold the weight. Anything else is SymPy's ``diff``."""
    known = structure.get(e)
    if by not in (known[0] if known is not None else e.free_symbols):
        return sympy.S.Zero
    if e in memo:
        return memo[e]
    kind = type(e)
    if e == by:
        result = sympy.S.One
    elif kind is sympy.Add:
        result = sympy.Add(*[_derivative_of(a, by, structure, memo) for a in e.args])
    elif kind is sympy.Mul:
        args, terms = list(e.args), []
        for i in range(len(args)):
            d = _derivative_of(args[i], by, structure, memo)
            if d:
                terms.append(functools.reduce(lambda x, y: x * y,
                                              args[:i] + [d] + args[i + 1:], sympy.S.One))
        result = sympy.Add.fromiter(terms)
    elif kind is sympy.Pow:
        dbase = _derivative_of(e.base, by, structure, memo)
        dexp = _derivative_of(e.exp, by, structure, memo)
        result = e * (dexp * sympy.log(e.base) + dbase * e.exp / e.base)
    elif isinstance(e, sympy.Function) and len(e.args) == 1 \
            and kind._eval_derivative is sympy.Function._eval_derivative:
        da = _derivative_of(e.args[0], by, structure, memo)
        result = sympy.Add(e.fdiff(1) * da) if not da.is_zero else sympy.S.Zero
    else:
        result = sympy.diff(e, by)
    memo[e] = result
    return result


def _name(orders, variables) -> str:
    total = sum(orders)
    bys = "".join(f"d{v}" + (f"^{k}" if k > 1 else "") for v, k in zip(variables, orders) if k)
    return f"d^{total}f/{bys}" if total > 1 else f"df/{bys}"


def _at(point, dps):
    return [p.mp(dps) if hasattr(p, "mp") else mpmath.mpf(p) for p in point]


def _real(result):
    try:
        if isinstance(result, mpmath.mpc):
            if abs(result.imag) > mpmath.mpf(10) ** (-mpmath.mp.dps + 5) * max(1, abs(result.real)):
                raise NotDefined("complex value")
            result = result.real
        result = mpmath.mpf(result)
    except (TypeError, ValueError):
        raise NotDefined("not a number") from None
    if not mpmath.isfinite(result):
        raise NotDefined("infinite value")
    return result


@functools.lru_cache(maxsize=1024)
def _exact_function(expression, variables, data):
    return ExactFunction(expression, variables, data)


def exact_function(case) -> ExactFunction:
    """The cached exact engine for a case's function (parameters substituted)."""
    try:
        return _case_function(case.expression, tuple(case.parameters), case.variables,
                              case.data)
    except TypeError:  # parameters that cannot be a key
        return _case_function.__wrapped__(case.expression, case.parameters, case.variables,
                                          case.data)


@functools.lru_cache(maxsize=1024)
def _case_function(expression, parameters, variables, data):
    # cached before the substitution, which for a layer's hundred entries takes SymPy long
    substitutions = {symbol(name): value.exact for name, value in parameters}
    expression = expression.xreplace(substitutions) if substitutions else expression
    return _exact_function(expression, variables, data)


def evaluate_safely(engine: ExactFunction, orders, point):
    """``(value, None)`` or ``(None, reason)`` naming why it is not defined."""
    try:
        return engine.value(orders, point), None
    except LimitReached as exc:  # defined there, past what the engine computes: this row only
        return None, str(exc)
    except (NotDefined, ZeroDivisionError, ValueError, OverflowError, TypeError) as exc:
        # TypeError: mpmath's max/min met a complex argument (Max(x, asin(x)) at x=-2.5)
        return None, explain(engine, point, exc, orders)


def explain(engine: ExactFunction, point, exc, orders=None) -> str:
    """Why the function (or the derivative ``orders``) has no value here: the
    quantity, the innermost failing piece and the reason (pole, -infinity of
    log, infinite derivative, outside the domain)."""
    orders = tuple(orders or (0,) * len(engine.variables))
    values = {s: _exactly(p) for s, p in zip(engine.symbols, point)}
    where = ", ".join(f"{v}={_show(p)}" for v, p in zip(engine.variables, point))
    quantity = "the value" if not any(orders) else f"the derivative {_name(orders, engine.variables)}"
    culprit = _innermost_failure(engine.expression, values)
    if culprit is not None:
        piece, kind = culprit
        if kind == "domain":
            return (f"{piece} is not defined at {where} (outside the domain: its value "
                    "would be complex)")
        if kind == "huge":
            return (f"{quantity} at {where} is past the exact engine's range: {piece} has an "
                    "argument too large to evaluate (its value is beyond any float by far)")
        return _infinite_message(piece, where, quantity)
    if any(orders):
        steep = _steep_piece(engine, orders, values)
        if steep is not None:
            piece, value = steep
            return (f"{quantity} is infinite at {where}: {piece} has the value {value} there "
                    "and an infinite derivative (a vertical tangent)")
    detail = str(exc) or type(exc).__name__
    return f"{quantity} has no finite real value at {where} ({detail})"


def _infinite_message(piece, where, quantity) -> str:
    if isinstance(piece, sympy.log):
        return (f"{piece} is -infinity at {where} (the logarithm of 0), so {quantity} "
                "is not finite")
    if isinstance(piece, sympy.Pow):
        return (f"{piece} has a pole (singularity) at {where}: division by zero, so {quantity} "
                "is infinite")
    return f"{piece} has a pole (singularity) at {where}, so {quantity} is infinite"


NEAR_POLE = 1e-20  # a pole's argument this close (numerically) is then checked exactly


def infinite_piece(engine: ExactFunction, point) -> str | None:
    """The innermost piece that is infinite at ``point`` evaluated exactly (tan(x)
    at x = pi/2, which 40-digit pi/2 would miss), as a message; else None.

    Only pieces that can be infinite at a real point (tan, log, negative powers)
    whose argument is numerically at the pole are evaluated exactly, so deep
    smooth expressions cost nothing here.
    """
    expr = engine.expression
    if expr.has(DataSum):
        return None
    values = {s: _exactly(p) for s, p in zip(engine.symbols, point)}
    where = ", ".join(f"{v}={_show(p)}" for v, p in zip(engine.variables, point))
    for node in sympy.postorder_traversal(expr):
        near = _near_pole(node, values)
        if near and node.xreplace(values).has(sympy.zoo, sympy.oo, -sympy.oo, sympy.nan):
            return _infinite_message(node, where, "the value")
    return None


def _near_pole(node, values) -> bool:
    if isinstance(node, sympy.Pow) and node.exp.is_number and node.exp.is_negative:
        test = lambda u: abs(u)
    elif isinstance(node, sympy.log):
        test = lambda u: abs(u)
    elif isinstance(node, sympy.tan):
        test = lambda u: abs(mpmath.cos(u))
    else:
        return False
    argument = node.args[0]
    if not argument.free_symbols:
        return False
    try:
        with mpmath.workdps(30):
            v = argument.evalf(30, subs=values)
            u = mpmath.mpc(*(mpmath.mpf(sympy.Float(part, 30)._mpf_) for part in v.as_real_imag()))
            return test(u) < NEAR_POLE
    except (TypeError, ValueError, ZeroDivisionError):
        return False


def _steep_piece(engine, orders, values):
    """(piece, its value) for the innermost piece of f with a finite value but an
    infinite first derivative at the point (sqrt(x) at 0), or None."""
    by = [s for s, k in zip(engine.symbols, orders) if k]
    for node in sympy.postorder_traversal(engine.expression):
        if not node.args or not node.free_symbols & set(by) or node.has(DataSum):
            continue
        try:
            with mpmath.workdps(30):
                # substituted exactly first: 1/sqrt(1 - x**2) at 1 is zoo, not 1e75
                value = node.xreplace(values).evalf(30)
                slopes = [differentiate(node, s).xreplace(values).evalf(30) for s in by]
        except (TypeError, ValueError, ZeroDivisionError):
            continue
        if _finite(value) and not all(_finite(d) for d in slopes):
            return node, f"{complex(value).real:.12g}"
    return None


def _finite(value) -> bool:
    if value.has(sympy.zoo, sympy.oo, -sympy.oo, sympy.nan):
        return False
    try:
        return math.isfinite(abs(complex(value)))
    except (TypeError, ValueError):
        return False


def complex_piece(engine: ExactFunction, point) -> str | None:
    """The innermost piece with no real value at ``point`` where the whole has
    one (log(y) in tanh(log(y)) at y = -1.4, since tanh has period i*pi); else None.

    Each distinct piece is evaluated once, from its arguments' values.
    """
    expr = engine.expression
    if expr.has(DataSum) or not expr.has(sympy.log, sympy.asin, sympy.acos, sympy.Pow):
        return None
    values = {s: _exactly(p) for s, p in zip(engine.symbols, point)}
    if expr.has(sympy.Piecewise):  # only the piece the point takes has to be real
        expr = taken_pieces(expr, values)

    def value_of(node, args):
        if not node.args:
            return sympy.N(values.get(node, node), 30)
        try:
            value = sympy.N(node.func(*args), 30)
        except (TypeError, ValueError, ArithmeticError):
            raise _Undefined(None) from None  # e.g. Max of a complex value: the whole is not defined
        real, imaginary = (float(abs(part)) if part.is_finite else 0.0
                           for part in value.as_real_imag())
        if imaginary > 1e-25 * max(1.0, real):
            where = ", ".join(f"{v}={_show(p)}" for v, p in zip(engine.variables, point))
            raise _Undefined(f"{node} is not defined at {where} (outside the domain: its value "
                             "would be complex)")
        return value

    try:
        fold(expr, value_of)
    except _Undefined as undefined:
        return undefined.message
    return None


def taken_pieces(expr, values):
    """``expr`` with each where(...) replaced by the piece it takes at ``values``
    (symbol: exact number), its comparisons decided exactly."""
    def taken(piecewise):
        for value, condition in piecewise.args:
            if bool(condition.subs(values)):
                return value
        return sympy.nan
    return expr.replace(lambda e: isinstance(e, sympy.Piecewise), taken)


class _Undefined(Exception):
    def __init__(self, message):
        super().__init__(message)
        self.message = message


def _exactly(p):
    """A point's coordinate as an exact SymPy number (a Value, a float or an mpf)."""
    if hasattr(p, "exact"):
        return p.exact
    if isinstance(p, mpmath.mpf):  # one-sided points of kinks.py: exact binary numbers
        mantissa, exponent = p.man_exp
        return sympy.Integer(mantissa) * sympy.Integer(2) ** exponent
    return sympy.Rational(p)


def _innermost_failure(expr, values):
    """(piece, kind) of the innermost piece of ``expr`` with no finite real value
    at ``values``: kind "pole", "domain" or "huge" (past the exact engine's
    range: SymPy's evalf of exp at 1e4200 takes 16 s, so a piece whose argument
    is past EVALF_BITS is not evaluated); None when every piece has one."""
    return _failure_and_value(expr, values)[0]


def _failure_and_value(expr, values):
    arguments = []
    for arg in expr.args:
        found, value = _failure_and_value(arg, values)
        if found:
            return found, None
        arguments.append(value)
    if not expr.free_symbols or expr.has(sympy.Dummy):
        return None, None
    name = type(expr).__name__
    if name in EVALF_BITS and arguments and arguments[0] is not None:
        try:
            refuse_too_large(name, max(abs(arguments[0].real), abs(arguments[0].imag)),
                             limits=EVALF_BITS, gives_up=math.inf)
        except LimitReached:
            return (expr, "huge"), None
    try:
        with mpmath.workdps(30):
            found = expr.evalf(30, subs=values)
            if found.has(sympy.oo, -sympy.oo, sympy.zoo, sympy.nan) or not found.is_number:
                return (expr, "pole"), None
            real, imaginary = (mpmath.mpf(part) for part in found.as_real_imag())
    except (TypeError, ValueError, ZeroDivisionError):
        return (expr, "pole"), None
    if not (mpmath.isfinite(real) and mpmath.isfinite(imaginary)):
        return (expr, "pole"), None
    if abs(imaginary) > 1e-25 * max(1, abs(real)):
        return (expr, "domain"), None
    return None, mpmath.mpc(real, imaginary)


def _show(p):
    return p.text if hasattr(p, "text") else repr(float(p))
