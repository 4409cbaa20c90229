"""What the checks share: the numeric function, the point's problems, dtypes."""
from __future__ import annotations

from dataclasses import dataclass, field, replace

import functools

import numpy as np
import sympy

from verify.bounds.backprop_rounding import backprop_bound, formula_running_error, magnitudes
from verify.bounds.predicted import (partial_bound, prefetch_rounding, representation,
                                     stencil_nodes)
from verify.core.tolerances import SAFETY
from verify.core.functions import is_analytic
from verify.exact.compiled import Compiled, LimitReached
from verify.exact.symbolic import point_key
from verify.input.expressions import symbol
from verify.numeric import differences
from verify.numeric.backprop import from_expression, from_graph
from verify.numeric.differences import unit_roundoff
from verify.exact.intervals import NotSmooth, excludes_zero, interval_max_abs


@dataclass
class Artifacts:
    """What a case produces besides Result rows, collected while it runs.

    ``tables`` maps a CSV name (``"graphs"``, ``"curves"``) to row dicts, in
    the order the rows were added; ``figures`` holds ``(kind, title, data)``
    triples that the report turns into plots (``data`` is plain numbers and
    lists, so it crosses process boundaries).
    """

    tables: dict = field(default_factory=dict)
    figures: list = field(default_factory=list)

    def add_rows(self, table: str, rows) -> None:
        self.tables.setdefault(table, []).extend(rows)

    def add_figure(self, kind: str, title: str, data: dict) -> None:
        self.figures.append((kind, title, data))


@dataclass(frozen=True)
class PointContext:
    """What every row of one check at one point shares: the case and its check,
    the exact function (or the piece that holds there), the point, its floats
    and label, the numeric function and its dtype, and the location columns.
    Helpers take this whole instead of a dozen parameters."""

    case: object          # verify.input.cases.Case
    check: object         # verify.input.options.Check (None for the implementation rows)
    engine: object        # verify.exact.symbolic.ExactFunction
    point: tuple          # the point's exact Values
    floats: list          # the point in float64
    label: str            # the point as the reports show it
    base: dict            # the check's location columns (verify.checks.compare.where)
    dtype: type = np.float64
    f: object = None      # the numeric function (numeric_function), when the check has one
    index: int = 0        # the point's position in case.points

    @classmethod
    def of(cls, case, point, *, check, engine, base, f=None, index=0) -> "PointContext":
        return cls(case, check, engine, point, [p.float64 for p in point], case.label(point),
                   base, dtype_of(case), f, index)

    @property
    def unit_roundoff(self) -> float:
        return unit_roundoff(self.dtype)

    def on(self, engine) -> "PointContext":
        """The same point, judged with another exact function (a piece of it)."""
        return replace(self, engine=engine)


def plain_floats(values) -> list:
    """Figure data: floats, with None for NaN and infinity (JSON has neither)."""
    array = np.asarray(values, dtype=float).ravel()
    return [float(v) if np.isfinite(v) else None for v in array]


def dtype_of(case):
    return np.float32 if case.dtype == "float32" else np.float64


def numeric_function(engine, dtype=np.float64):
    """``f(points)`` with points of shape (k, d): the float (or complex) side,
    compiled once per (function, dtype) for every check and entry."""
    return _numeric_function(engine, np.dtype(dtype).type)


@functools.lru_cache(maxsize=64)
def _numeric_function(engine, dtype):
    expression = engine.expression
    if np.dtype(dtype) != np.float64:
        expression = weak_constants(expression)
    compiled = Compiled(expression, engine.variables, engine.data)

    def f(points):
        if type(points) is not np.ndarray:
            points = np.asarray(points)
        if points.dtype.kind == "f" and points.dtype.type is not dtype:
            points = points.astype(dtype)
        values = compiled.rows(points)
        return values if values.dtype.kind in "fc" else values.astype(dtype)
    f.quiet = True  # compiled.rows sets NumPy's error state (differences.call_quietly)
    return f


def weak_constants(expression):
    """``expression`` with constants such as sqrt(2) or log(3) written as float literals.

    The NumPy code prints them as ``numpy.sqrt(2)``, a float64 scalar that would
    lift a float32 evaluation to float64; a Python float literal adopts the
    array's dtype (NEP 50), so the numeric side really runs in float32. The
    tree is kept as it is (no evaluation), so its rounding is the analysed one.
    """
    constants = {atom: sympy.Float(atom.evalf(30), 30)
                 for atom in expression.atoms(sympy.Function, sympy.Pow)
                 if atom.is_number and not atom.is_Rational}
    if not constants:
        return expression
    with sympy.evaluate(False):
        return expression.xreplace(constants)


def smooth_between(engine, orders, index, floats):
    """``admissible(lo, hi)`` for the difference engine: no kink, pole or
    domain edge of the derivative ``orders`` between lo and hi along ``index``.

    A finite ball Taylor coefficient over [lo, hi] proves it without the SymPy
    derivative; only where balls cannot is the derivative formed (once) and
    judged by :func:`interval_max_abs`."""
    from verify.exact import balls
    moved = [i for i, k in enumerate(orders) if k]
    along = not engine.data and (not moved or moved == [index])
    # the other variables held as balls (floats, exact), not substituted into the tree
    others = [(s, float(x)) for j, (s, x) in enumerate(zip(engine.symbols, floats))
              if j != index]

    shared = ("ball", 20, tuple(float(x) for x in floats))  # names the held values

    def by_balls(lo, hi):
        from verify.exact.series import Held, constants_at
        try:
            with balls.precision(20):
                held = Held(others, balls.arb)
                balls.taylor_coefficient(engine.expression, engine.symbols[index],
                                         balls.span(lo, hi), orders[index], held,
                                         constants_at(engine.expression, shared))
        except (balls.NoBall, balls.BallNotSmooth, ArithmeticError, LookupError, ValueError,
                TypeError):  # no ball rule or an edge met: the interval path decides
            return False
        return True

    def admissible(lo, hi):
        lo, hi = min(lo, hi), max(lo, hi)
        if along and _inside_wide_span(engine, orders, index, floats, by_balls, lo, hi):
            return True
        if along and by_balls(lo, hi):
            return True
        # balls overestimate over a wide span (a log of an enclosure reaching 0):
        # smooth on every piece is smooth over their union, without forming the
        # SymPy derivative below (seconds for a nested function)
        if along and hi > lo and by_balls(lo, lo) and all(
                by_balls(a, b) for a, b in _pieces(lo, hi, GUARD_PIECES)):
            return True
        box = [(x, x) for x in floats]
        box[index] = (lo, hi)
        return _smooth_on(engine, engine.derivative(orders), box)  # formed once (cached)
    return admissible


GUARD_PIECES = 8
WIDE_SPAN = 0.1  # adaptive Richardson's first step (the widest standard one), times max(1, |x|)


def _inside_wide_span(engine, orders, index, floats, by_balls, lo, hi) -> bool:
    """Whether [lo, hi] lies in a span about the point, x -+ WIDE_SPAN max(1, |x|),
    that balls proved smooth: tried once per (function, derivative, variable,
    point), so the methods' stencils, each inside it, need no proof of their own."""
    key = (engine, orders, index, tuple(floats))
    if key not in _WIDE_SPANS:
        x = float(floats[index])
        reach = WIDE_SPAN * max(1.0, abs(x))
        if len(_WIDE_SPANS) > 4096:  # keep memory bounded on big runs
            _WIDE_SPANS.clear()
        _WIDE_SPANS[key] = (x - reach, x + reach) if by_balls(x - reach, x + reach) else None
    wide = _WIDE_SPANS[key]
    return wide is not None and wide[0] <= lo and hi <= wide[1]


_WIDE_SPANS = {}  # (engine, orders, index, point) -> a span proven smooth, or None


def partial_with_bound(at, index, method, order=1, h=None):
    """(difference, bound) of the ``order``-th partial derivative by variable
    ``index`` at the point of ``at`` (its numeric function ``at.f``), by
    ``method`` at step ``h`` (None: the method's standard step), the stencil
    guarded by :func:`smooth_between`; the bound is None when the difference is
    not finite.

    Computed once per (exact function, numeric function, point, entry, method,
    order, step, dtype): the gradient check and backprop's three-way row ask
    for the same central difference of every entry of a layer, and each costs
    a guard and a bound. The key holds every input of the result, so entries
    of different functions, points or steps never share one.
    """
    key = _difference_key(at, index, method, order, h)
    known = _DIFFERENCES.get(key)
    if known is not None:
        return known
    difference = guarded_difference(at, index, method, order, h)
    bound = partial_bound(at.engine, at.point, difference, index,
                          unit_roundoff=at.unit_roundoff) if difference.ok else None
    if len(_DIFFERENCES) > 4096:  # keep memory bounded on big runs
        _DIFFERENCES.clear()
    _DIFFERENCES[key] = difference, bound
    return _DIFFERENCES[key]


def guarded_difference(at, index, method, order=1, h=None):
    """The difference of :func:`partial_with_bound` without its bound (computed once)."""
    key = _difference_key(at, index, method, order, h)
    if key not in _GUARDED:
        guard = None if method == "complex_step" else smooth_between(
            at.engine, tuple(order + 1 if k == index else 0 for k in range(len(at.floats))),
            index, at.floats)
        if len(_GUARDED) > 4096:
            _GUARDED.clear()
        _GUARDED[key] = differences.partial(at.f, at.floats, index, method=method, order=order,
                                            h=h, dtype=at.dtype, admissible=guard)
    return _GUARDED[key]


def prefetch_partials(at, method_steps, order=1) -> None:
    """Every entry's difference of order ``order`` by each (method, step), then
    the running error of f at all their stencils in one walk
    (:func:`verify.bounds.predicted.prefetch_rounding`), before the entries'
    bounds ask for them one by one: a layer's gradient has a hundred entries,
    a derivative five methods. Only where no entry can meet a switch (an
    analytic function) and f has no data rows."""
    if at.engine.data or not is_analytic(at.engine.expression):
        return
    node_sets = []
    for method, step in method_steps:
        if method == "complex_step" or not differences.offers(method, order):
            continue
        for index in range(len(at.floats)):
            found = guarded_difference(at, index, method, order, step)
            if found.ok:
                node_sets.append(stencil_nodes(at.floats, index, found)[1])
    prefetch_rounding(at.engine, node_sets, at.unit_roundoff)


def _difference_key(at, index, method, order, h):
    return (at.engine, at.f, point_key(at.point), index, method, order, h,
            np.dtype(at.dtype).type)


_DIFFERENCES = {}
_GUARDED = {}


def _pieces(lo, hi, count):
    """``count`` spans covering [lo, hi], neighbours sharing their ends."""
    cuts = [lo + (hi - lo) * k / count for k in range(count)] + [hi]
    return list(zip(cuts[:-1], cuts[1:]))


def pieces_between(sides, orders, index, floats):
    """``admissible(lo, hi)`` across a switch at ``floats``: on each half, that
    side's piece holds (verify.bounds.kinks.Side conditions) and its derivative
    ``orders`` has no kink, pole or domain edge."""
    centre = floats[index]
    by = symbol(sides[0].piece.variables[index])

    def admissible(lo, hi):
        lo, hi = min(lo, hi), max(lo, hi)
        for side, half in ((sides[0], (lo, centre)), (sides[1], (centre, hi))):
            if half[1] <= half[0]:
                continue
            box = [(x, x) for x in floats]
            box[index] = half
            piece = side.piece
            try:
                interval_max_abs(piece.derivative(orders), piece.variables, box, piece.data,
                                 dps=20)
            except (NotSmooth, ValueError, TypeError):
                return False  # no interval rule: the piece's validity cannot be shown
            for difference, k in side.conditions:
                if not excludes_zero(sympy.diff(difference, by, k), piece.variables, box,
                                     piece.data, dps=20):
                    return False
        return True
    return admissible


def smooth_over_box(engine, orders, i, j, floats):
    """``admissible((lo_i, hi_i), (lo_j, hi_j))`` for a mixed-partial stencil: no
    kink, pole or domain edge of the derivative ``orders`` over the box."""
    expr = engine.derivative(orders)

    def admissible(span_i, span_j):
        box = [(x, x) for x in floats]
        box[i], box[j] = (min(span_i), max(span_i)), (min(span_j), max(span_j))
        return _smooth_on(engine, expr, box)
    return admissible


def _smooth_on(engine, expr, box) -> bool:
    """No kink, pole or domain edge of ``expr`` over ``box`` (interval arithmetic)."""
    try:
        interval_max_abs(expr, engine.variables, box, engine.data, dps=20)
    except NotSmooth:
        return False
    except (ValueError, TypeError, MemoryError, LimitReached):
        # no interval rule, or an end too large for mpmath's fixed point (exp at
        # 4.6e16 shifts by as many bits): the finite-value test still guards
        return True
    return True


@functools.lru_cache(maxsize=256)
def _graph(expression, graph, inputs, data):
    if graph:
        return from_graph(graph, inputs, data)
    return from_expression(expression, inputs, data)


def graph_of(case):
    """The compiled backprop graph of a case (the backprop and descent checks);
    inputs are its variables, then parameters."""
    inputs = case.variables + tuple(name for name, _ in case.parameters)
    return _graph(case.expression, case.graph, inputs, case.data)


def float64_bound(case, engine, orders, point) -> float:
    """The float64 rounding bound of computing this quantity of the case at the
    point: the backprop row's bound for a first partial derivative, else the
    running error of evaluating the exact formula (the value, a higher
    derivative) in float64. A written 16- or 17-digit number is judged by it."""
    floats = [p.float64 for p in point]
    if sum(orders) == 1 and max(orders) == 1:
        graph = graph_of(case)
        nodes = graph.run(floats + [v.float64 for _, v in case.parameters])
        magnitude = magnitudes(nodes)[id(nodes[orders.index(1)])]
        return backprop_bound(engine, orders, point, magnitude, graph.operations).total
    return SAFETY * formula_running_error(engine, orders, floats) \
        + representation(engine, orders, point)
