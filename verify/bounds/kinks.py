"""Where the mathematics breaks: points outside the domain, poles, kinks.

A switch is a point where ``abs``, ``relu``/``Max``, ``Min`` or a
``where(c, a, b)`` (a SymPy Piecewise) changes branch. On each side of it
(along one variable) the function equals a smooth piece: the branch that
wins just beside the point (verify.bounds.branches). A derivative exists
at a switch when the pieces' derivatives of every order up to the requested
one agree (x*abs(x) at 0: first derivative 0 both sides, second -2 and 2);
its value is then the pieces' common value, computed exactly. Where they
differ the point is a kink: no derivative there is right or wrong, and we
say so with the one-sided derivatives. A where's pieces need not meet:
where the sides' values differ from each other or from f's value at the
point, f has a jump there and no derivative.
"""
from __future__ import annotations

import functools
import itertools
from dataclasses import dataclass

import mpmath
import numpy as np
import sympy

from verify.exact.symbolic import (ExactFunction, complex_piece, evaluate_safely, infinite_piece,
                                   taken_pieces)
from verify.input.expressions import DataSum, fold
from verify.core.functions import SWITCH_CLASSES, is_analytic
from verify.bounds.branches import PROBE, Undecided, piece_beside, show, tied_at
from verify.exact.precision import number_text

AGREE = mpmath.mpf("1e-30")   # one-sided values are exact to far more digits than this
_SWITCHING = (*SWITCH_CLASSES, sympy.Piecewise)  # abs, Max, Min, where


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
    switching = _switches(engine, point)
    if not switching:
        value, reason = evaluate_safely(engine, orders, point)
        return Verdict(value=value, problem=reason)
    axes = [i for i, k in enumerate(orders) if k]
    where = _where(engine, point)
    try:
        pieces, constant = _pieces(engine, point, switching, axes)
    except Undecided as undecided:
        return Verdict(problem=f"{where} is a switch of {_show_all(switching)}: which branch "
                               f"{undecided} takes beside the point is not decided from "
                               f"{PROBE} Taylor coefficients, so {_quantity(engine, orders)} "
                               "is not judged there")
    if pieces is None:
        return Verdict(problem=f"{where} is a switch of {_show_all(switching)}, not all "
                               "across one and the same variable: the mixed derivative "
                               f"{_quantity(engine, orders)} is not judged there")
    jump = _jump(engine, point, switching, pieces)
    if jump:
        return Verdict(problem=jump)
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
                          f"{number_text(value, 12, min_fixed=-6)})")


def first_jump(engine, point, index, start, stop) -> int | None:
    """The lowest order in start..stop at which the one-sided derivatives along
    ``index`` differ at a switch (or are not defined); None when none does."""
    sides = _side_pieces(engine, point, index)
    if sides is None:
        return None
    if start == 0 and not _meets(engine, point, sides):
        return 0
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
        return tuple(piece_beside(engine, point, switching, [index], side)[0]
                     for side in (-1, 1))
    except Undecided:
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
        found = [piece_beside(engine, point, switching, [index], side) for side in (-1, 1)]
    except Undecided:
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
    """The abs/Max/Min/where pieces tied at ``point``; none without looking when the
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


def _jump(engine, point, switching, found) -> str | None:
    """A message when f's pieces beside a where(...) switch do not all take f's
    value at the point (a jump: no derivative there), else None. abs, Max and
    Min are continuous, so only a switching where is looked at."""
    if not any(isinstance(p, sympy.Piecewise) for p in switching):
        return None
    zero = (0,) * len(point)
    value = evaluate_safely(engine, zero, point)[0]
    sides = {key: evaluate_safely(piece, zero, point)[0] for key, piece in found.items()}
    if value is not None and all(v is not None and _agree(v, value) for v in sides.values()):
        return None
    shown = "; ".join(f"{_text(sides[(i, -1)])} (left), {_text(sides[(i, 1)])} (right)"
                      + (f" along {engine.variables[i]}" if len(engine.variables) > 1 else "")
                      for i in sorted({i for i, _ in sides}))
    return (f"{_where(engine, point)} is a jump of {_show_all(switching)}: f is not continuous "
            f"there (f = {_text(value)} at the point; beside it {shown}), so no derivative "
            "exists there")


def _meets(engine, point, sides) -> bool:
    """Whether both side pieces take f's value at the point (see :func:`_jump`)."""
    zero = (0,) * len(point)
    value = evaluate_safely(engine, zero, point)[0]
    values = [evaluate_safely(piece, zero, point)[0] for piece in sides]
    return value is not None and all(v is not None and _agree(v, value) for v in values)


def engine_choice_problem(engine, orders, point) -> str | None:
    """At a switch where the first derivative ``orders`` exists, a message when
    the reverse (and forward) pass's choice at the tie gives another value, else
    None (also where the derivative does not exist: the caller says so).

    The choice is verify/numeric/backprop.py's: a where follows the branch it
    takes at the point itself, abs'(0) = 0, and a Max/Min tie is shared equally
    among the tied arguments (none when a constant is tied). Such a pass only
    needs values and first derivatives at the point, so each tied node is
    replaced by an expression with that value and that derivative. elu(x) at 0
    (relu'(0) = 0 and a tie with the constant 0) gives 0 where elu'(0) = 1;
    where(x**2 <= 0, 0, sin(x)) at 0 takes 0 where f = sin(x) beside it.
    """
    switching = _switches(engine, point)
    if not switching:
        return None
    value = derivative_at(engine, orders, point).value
    if value is None:
        return None
    values = {s: p.exact for s, p in zip(engine.symbols, point)}
    chosen = set(switching)

    def choose(node, args):
        rebuilt = node.func(*args) if args and tuple(args) != node.args else node
        if node not in chosen:
            return rebuilt
        if isinstance(node, sympy.Piecewise):
            return taken_pieces(rebuilt, values)
        tied = tied_at(node, values, args)
        if not tied:
            return rebuilt
        if isinstance(node, sympy.Abs):
            return sympy.Integer(0)  # the value 0 at the tie, the subgradient 0
        constants = [a for a in tied if not a.free_symbols]
        return constants[0] if constants else sympy.Add(*tied) / len(tied)

    followed = ExactFunction(fold(engine.expression, choose), engine.variables, engine.data)
    own = evaluate_safely(followed, orders, point)[0]
    if own is not None and _agree(own, value):
        return None
    return (f"{switch_at(engine, point)}, where {_quantity(engine, orders)} exists "
            f"({_text(value)}); the backprop engine's choice at the tie (the branch a where "
            f"takes at the point, abs'(0) = 0, a Max/Min tie shared) gives {_text(own)}, "
            "which is a convention, not the derivative: not judged there")


@functools.lru_cache(maxsize=512)
def _switching(engine, point) -> list:
    values = {s: p.exact for s, p in zip(engine.symbols, point)}
    found = []
    for piece in sorted(engine.expression.atoms(*_SWITCHING), key=sympy.default_sort_key):
        # a where's value may sum over data rows; its comparisons' sums are skipped in _tied
        if not isinstance(piece, sympy.Piecewise) and (
                piece.has(DataSum) or any(isinstance(a, DataSum) for a in piece.args)):
            continue
        if tied_at(piece, values):
            found.append(piece)
    return tuple(found)


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
            piece, constant, across, _ = piece_beside(engine, point, switching, [k, *axes],
                                                       side)
            if not across:
                break
            found[(k, side)] = piece
        else:
            return found, constant
    return None, False


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
    return "undefined" if value is None else number_text(value, 12, min_fixed=-6)


def _where(engine, point) -> str:
    return ", ".join(f"{v}={p.text}" for v, p in zip(engine.variables, point))


def _quantity(engine, orders) -> str:
    total = sum(orders)
    bys = "".join(f"d{v}" + (str(k) if k > 1 else "") for v, k in zip(engine.variables, orders)
                  if k)
    return f"d/{bys}" if total == 1 else f"d{total}/{bys}"


def _show_all(pieces) -> str:
    return " and ".join(show(p) for p in pieces)


def engine_kink(nodes) -> str | None:
    """The message for the first node of a reverse-mode run that sat at a kink
    (a tie of abs, Max, Min, relu, in some data rows or all), or None."""
    for node in nodes:
        if node.kink:
            rows = " in some data rows" if isinstance(node.value, np.ndarray) else ""
            return (f"node '{node.name}' is at a kink ({node.op} at a tie){rows}: the function is "
                    "not differentiable there (the graph table shows the subgradient used)")
    return None
