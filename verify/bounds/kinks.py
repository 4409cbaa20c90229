"""Where the mathematics breaks: points outside the domain, poles, kinks.

A switch is a point where ``abs``, ``relu``/``Max`` or ``Min`` changes
branch. On each side of it (along one variable) the function equals a
smooth piece: the branch that wins just beside the point, found from the
Taylor coefficients of the competing arguments there. A derivative exists
at a switch when the pieces' derivatives of every order up to the requested
one agree (x*abs(x) at 0: first derivative 0 both sides, second -2 and 2);
its value is then the pieces' common value, computed exactly. Where they
differ the point is a kink: no derivative there is right or wrong, and we
say so with the one-sided derivatives.
"""
from __future__ import annotations

import functools
import itertools
from dataclasses import dataclass

import mpmath
import sympy

from verify.exact.symbolic import ExactFunction, complex_piece, evaluate_safely, infinite_piece
from verify.input.expressions import DataSum, fold
from verify.core.functions import SWITCH_CLASSES, is_analytic, pieces

TIE = mpmath.mpf("1e-25")
AGREE = mpmath.mpf("1e-30")   # one-sided values are exact to far more digits than this
PROBE = 12                    # Taylor coefficients compared to pick a branch
_SWITCHING = SWITCH_CLASSES  # abs, Max, Min


@dataclass(frozen=True)
class Verdict:
    """The exact derivative at a point, or why there is none.

    ``value`` is set when the derivative exists; ``problem`` names the pole,
    domain edge or kink otherwise; ``switch`` is set when the point is a
    switch of abs/Max/Min where the derivative exists all the same; then
    ``line_piece`` is set when no switching piece changes along the line of a
    one-variable derivative (abs(x) + y**2 along y at x = 0), so finite
    differences along it see one smooth function; else they straddle the switch.
    """

    value: object = None
    problem: str | None = None
    switch: str | None = None
    line_piece: object = None  # an ExactFunction equal to f along the line (see derivative_at)


def derivative_at(engine, orders, point) -> Verdict:
    """The derivative ``orders`` of ``engine`` at ``point`` (Values), judged at switches."""
    orders, point = tuple(orders), tuple(point)
    reason = _domain_problem(engine, point)
    if reason:
        return Verdict(problem=reason)
    if not any(orders) or not has_switch(engine):
        # no switch anywhere: no kink to look for, the derivative is the exact value
        value, reason = evaluate_safely(engine, orders, point)
        return Verdict(value=value, problem=reason)
    reason = _where_switch(engine, point)
    if reason:
        return Verdict(problem=reason)
    switching = _switches(engine, point)
    if not switching:
        value, reason = evaluate_safely(engine, orders, point)
        return Verdict(value=value, problem=reason)
    axes = [i for i, k in enumerate(orders) if k]
    where = _where(engine, point)
    try:
        pieces, constant = _pieces(engine, point, switching, axes)
    except _Undecided as undecided:
        return Verdict(problem=f"{where} is a switch of {_show_all(switching)}: which branch "
                               f"{undecided} takes beside the point is not decided from "
                               f"{PROBE} Taylor coefficients, so {_quantity(engine, orders)} "
                               "is not judged there")
    if pieces is None:
        return Verdict(problem=f"{where} is a switch of {_show_all(switching)}, not all "
                               "across one and the same variable: the mixed derivative "
                               f"{_quantity(engine, orders)} is not judged there")
    below = sorted((b for b in itertools.product(*(range(k + 1) for k in orders)) if any(b)),
                   key=sum)
    for beta in below:
        values = {key: evaluate_safely(piece, beta, point)[0] for key, piece in pieces.items()}
        known = [v for v in values.values() if v is not None]
        if len(known) < len(values) or not all(_agree(known[0], v) for v in known[1:]):
            return Verdict(problem=_kink_message(engine, point, switching, beta, values))
    piece = pieces[next(iter(pieces))]
    value = evaluate_safely(piece, orders, point)[0]
    return Verdict(value=value, line_piece=piece if constant and len(axes) == 1 else None,
                   switch=f"{where} is a switch of {_show_all(switching)}, where "
                          f"{_quantity(engine, orders)} exists (the one-sided values agree: "
                          f"{mpmath.nstr(value, 12, min_fixed=-6)})")


def first_jump(engine, point, index, start, stop) -> int | None:
    """The lowest order in start..stop at which the one-sided derivatives along
    ``index`` differ at a switch (or are not defined); None when none does."""
    sides = _side_pieces(engine, point, index)
    if sides is None:
        return None
    for n in range(start, stop + 1):
        a, b = _side_values(sides, point, index, n)
        if a is None or b is None or not _agree(a, b):
            return n
    return None


def is_switch(engine, point) -> bool:
    """Whether an abs/Max/Min of f changes branch at the point."""
    return bool(_switches(engine, point))


def one_sided(engine, point, index, order):
    """(left, right) values of the ``order``-th derivative along ``index`` at a
    switch, from the pieces on each side (None where a piece has none, or both
    None when the point is no decided switch)."""
    sides = _side_pieces(engine, point, index)
    return (None, None) if sides is None else _side_values(sides, point, index, order)


def _side_pieces(engine, point, index):
    """(left piece, right piece) along ``index`` at a switch, or None."""
    switching = _switches(engine, point)
    if not switching:
        return None
    try:
        return tuple(_piece_engine(engine, point, switching, [index], side)[0]
                     for side in (-1, 1))
    except _Undecided:
        return None


def _side_values(sides, point, index, order):
    orders = tuple(order if k == index else 0 for k in range(len(point)))
    return tuple(evaluate_safely(p, orders, point)[0] for p in sides)


@dataclass(frozen=True)
class Side:
    """f on one side of a switch along one variable: a smooth ``piece`` (an
    ExactFunction) that equals f as long as each ``(d, k)`` of ``conditions``
    has its k-th derivative along the variable nonzero (d = winner - loser of
    a switching abs/Max/Min; then the winner stays the winner)."""

    piece: object
    conditions: tuple


def sides_at(engine, point, index) -> tuple[Side, Side] | None:
    """(left, right) of a switch at ``point`` along ``index``; None when the
    point is no switch or the branches are not decided."""
    point = tuple(point)
    switching = _switches(engine, point)
    if not switching:
        return None
    try:
        found = [_piece_engine(engine, point, switching, [index], side) for side in (-1, 1)]
    except _Undecided:
        return None
    return tuple(Side(piece, conditions) for piece, _, _, conditions in found)


def kink_at(engine, point) -> str | None:
    """A message naming a kink at ``point`` (a first partial derivative that does
    not exist) with the one-sided derivatives, or None."""
    for i in range(len(engine.variables)):
        orders = tuple(int(k == i) for k in range(len(engine.variables)))
        problem = derivative_at(engine, orders, point).problem
        if problem:
            return problem
    return None


def point_problem(engine, point) -> str | None:
    """Why first derivatives at ``point`` cannot be judged: domain, pole or kink; else None.

    For checks that do not judge finite differences piece by piece (error curves,
    implementations), a switch where the derivatives exist is a problem too.
    """
    return kink_at(engine, point) or differentiable_switch(engine, point)


def differentiable_switch(engine, point) -> str | None:
    """A message when ``point`` is a switch where every first derivative exists
    (for checks that then skip, since their differences straddle it); else None."""
    if not _switches(engine, point) or kink_at(engine, point):
        return None
    return (f"{switch_at(engine, point)}: the first derivatives exist there, but finite "
            "differences straddle the switch, so this check does not judge them there")


def switch_at(engine, point) -> str | None:
    """The abs/Max/Min piece switching at ``point``, shown, or None."""
    switching = _switches(engine, point)
    return f"{_where(engine, point)} is a switch of {_show_all(switching)}" if switching else None


def _switches(engine, point) -> tuple:
    """The abs/Max/Min pieces tied at ``point``; none without looking when the
    function has no switch anywhere."""
    return _switching(engine, tuple(point)) if has_switch(engine) else ()


@functools.lru_cache(maxsize=512)
def has_switch(engine) -> bool:
    """Whether ``engine``'s function has a switch (abs, Max, Min, where, relu, ...,
    or SymPy's sign/Heaviside) anywhere; without one there is no kink to look for."""
    return not is_analytic(engine.expression)


@functools.lru_cache(maxsize=512)
def _domain_problem(engine, point) -> str | None:
    orders = (0,) * len(point)
    _, reason = evaluate_safely(engine, orders, point)
    if reason or engine.real_by_balls(orders, point):  # balls: no infinite or complex piece
        return reason
    return infinite_piece(engine, point) or complex_piece(engine, point)


@functools.lru_cache(maxsize=512)
def _where_switch(engine, point) -> str | None:
    """A message when ``point`` is on a switch of a where(...): its comparison's
    two sides are equal there. Such a point is treated as a kink (the pieces'
    one-sided derivatives are not compared)."""
    values = {s: p.exact for s, p in zip(engine.symbols, point)}
    for piecewise in sorted(engine.expression.atoms(sympy.Piecewise), key=sympy.default_sort_key):
        for _, difference, test in pieces(piecewise):
            if test is None or difference.has(DataSum):
                continue
            try:
                gap = _numbers([difference], values)[0]
            except (TypeError, ValueError):
                continue
            if abs(gap) <= TIE:
                return (f"{_where(engine, point)} is a switch of where({piecewise.args[0][1]}, "
                        "...): derivatives are not judged at a switch point of where")
    return None


@functools.lru_cache(maxsize=512)
def _switching(engine, point) -> list:
    values = {s: p.exact for s, p in zip(engine.symbols, point)}
    found = []
    for piece in sorted(engine.expression.atoms(*_SWITCHING), key=sympy.default_sort_key):
        if piece.has(DataSum) or any(isinstance(a, DataSum) for a in piece.args):
            continue
        if _tied(piece, values):
            found.append(piece)
    return tuple(found)


def _numbers(args, values):
    # substitute exactly, then evaluate: evalf(subs=) may build Max(sin(1), 0.e-172),
    # which SymPy refuses as "not comparable"
    return [mpmath.mpf(sympy.re(a.xreplace(values).evalf(40)).evalf(40)) for a in args]


def _tied(piece, values, args=None) -> list | None:
    """The arguments tied for the winning branch of ``piece`` at the point (two or
    more; ``args`` replaces its arguments, already made smooth), else None."""
    args = list(piece.args if args is None else args)
    try:
        numbers = _numbers(args, values)
    except (TypeError, ValueError):
        return None
    if isinstance(piece, sympy.Abs):
        return [args[0], -args[0]] if abs(numbers[0]) <= TIE else None
    best = max(numbers) if isinstance(piece, sympy.Max) else min(numbers)
    scale = max(1, abs(best))
    tied = [a for a, v in zip(args, numbers) if abs(v - best) <= TIE * scale]
    return tied if len(tied) > 1 else None


def _pieces(engine, point, switching, axes):
    """({(axis, side): piece} for the derivative along ``axes`` or None, and whether
    no switch changes along the line of a one-variable derivative).

    Along one variable: the left and right pieces. For a mixed derivative every
    switch must run across one and the same variable k of the derivative (its
    arguments differ by a function of x_k alone, others held at the point), so
    that f is one piece on each side of x_k = const; abs(x*y) bends between x
    and y and is not analysed.
    """
    for k in axes:
        found = {}
        for side in (-1, 1):
            piece, constant, across, _ = _piece_engine(engine, point, switching, [k, *axes],
                                                       side)
            if not across:
                break
            found[(k, side)] = piece
        else:
            return found, constant
    return None, False


class _Undecided(ArithmeticError):
    """Which branch wins beside the point is not decided by the Taylor coefficients."""


def _piece_engine(engine, point, switching, axes, side):
    """(the smooth piece equal to f just beside ``point`` on ``side`` along ``axes[0]``,
    whether no switching piece changes on the line/plane of ``axes``, whether each
    that does changes with x_axes[0] alone).

    A switching piece whose tied arguments are identical on that line (or plane),
    other variables held at the point, does not switch there: its first argument
    stands for it. Otherwise the winner comes from Taylor coefficients along axes[0].
    """
    values = {s: p.exact for s, p in zip(engine.symbols, point)}
    held = {s: v for i, (s, v) in enumerate(values.items()) if i not in axes}
    by = engine.symbols[axes[0]]
    originals = set(switching)
    constant, across = [True], [True]
    others = {engine.symbols[i] for i in axes} - {by}

    def combine(node, args):
        rebuilt = node.func(*args) if args and tuple(args) != node.args else node
        tied = _tied(node, values, args) if node in originals else None
        if not tied:
            return rebuilt
        if all(_identical(tied[0], other, held) for other in tied[1:]):
            return tied[0]
        constant[0] = False
        if any((other - tied[0]).xreplace(held).free_symbols & others for other in tied[1:]):
            across[0] = False
            return tied[0]
        winner, fell = _winner(tied, not isinstance(node, sympy.Min), by, side, values, node)
        # the piece holds while each of these differences' fell-order derivative keeps off 0
        conditions.extend((winner - loser, k) for loser, k in fell.items())
        conditions.extend((winner - a, 0) for a in args if not isinstance(node, sympy.Abs)
                          and all(a is not t for t in tied))
        return winner

    conditions = []
    expression = fold(engine.expression, combine)
    piece = ExactFunction(expression, engine.variables, engine.data)
    return piece, constant[0], across[0], tuple(conditions)


def _identical(a, b, held) -> bool:
    difference = sympy.expand((a - b).xreplace(held))
    if difference == 0:
        return True
    try:
        return difference.equals(0) is True
    except (TypeError, ValueError, ArithmeticError):
        return False


def _winner(tied, largest, by, side, values, node):
    """(the argument that is largest (or smallest) just beside the point on ``side``,
    {loser: order at which it fell behind}): compare the arguments' Taylor
    coefficients along ``by``, lowest order first."""
    candidates = list(tied)
    current = {a: a for a in candidates}
    fell = {}
    for k in range(1, PROBE + 1):
        scores = {}
        for a in candidates:
            current[a] = sympy.diff(current[a], by)
            try:
                scores[a] = side ** k * _numbers([current[a]], values)[0]
            except (TypeError, ValueError):
                raise _Undecided(_show(node)) from None
        best = max(scores.values()) if largest else min(scores.values())
        scale = max(abs(v) for v in scores.values())
        kept = [a for a in candidates if abs(scores[a] - best) <= TIE * max(scale, 1)]
        fell.update({a: k for a in candidates if a not in kept})
        candidates = kept
        if len(candidates) == 1:
            return candidates[0], fell
    raise _Undecided(_show(node))


def _agree(a, b) -> bool:
    return abs(a - b) <= AGREE * max(abs(a), abs(b)) + mpmath.mpf(10) ** -60


def _kink_message(engine, point, switching, beta, values) -> str:
    where = _where(engine, point)
    quantity = _quantity(engine, beta)
    sides = "; ".join(
        f"{_quantity(engine, beta)} = {_text(values[(i, -1)])} (left), "
        f"{_text(values[(i, 1)])} (right)" + (f" along {engine.variables[i]}"
                                              if len(engine.variables) > 1 else "")
        for i in sorted({i for i, _ in values}))
    if sum(beta) == 1:
        return (f"{where} is a kink of {_show_all(switching)} (not differentiable there); "
                f"one-sided derivatives: {sides}")
    return (f"{where} is a kink of {_show_all(switching)}: {quantity} does not exist there; "
            f"one-sided derivatives: {sides}")


def _text(value) -> str:
    return "undefined" if value is None else mpmath.nstr(value, 12, min_fixed=-6)


def _where(engine, point) -> str:
    return ", ".join(f"{v}={p.text}" for v, p in zip(engine.variables, point))


def _quantity(engine, orders) -> str:
    total = sum(orders)
    bys = "".join(f"d{v}" + (str(k) if k > 1 else "") for v, k in zip(engine.variables, orders)
                  if k)
    return f"d/{bys}" if total == 1 else f"d{total}/{bys}"


def _show_all(pieces) -> str:
    return " and ".join(_show(p) for p in pieces)


def _show(piece) -> str:
    if isinstance(piece, sympy.Max) and 0 in piece.args and len(piece.args) == 2:
        other = [a for a in piece.args if a != 0][0]
        return f"relu({other})"
    return str(piece).replace("Abs(", "abs(")
