"""Which branch of a switch holds just beside a point.

At a point where abs, Max, Min or a where(c, a, b) (a SymPy Piecewise) is
tied, f equals one smooth piece on each side along a variable. For
abs/Max/Min the winner comes from the Taylor coefficients of the tied
arguments; for a where from the sign of the first nonzero Taylor
coefficient of its comparison's lhs - rhs. verify.bounds.kinks compares
the pieces' one-sided derivatives.
"""
from __future__ import annotations

import mpmath
import sympy

from verify.core.functions import passes, pieces
from verify.exact.symbolic import ExactFunction
from verify.input.expressions import DataSum, fold

TIE = mpmath.mpf("1e-25")
PROBE = 12                    # Taylor coefficients compared to pick a branch


def exact_numbers(args, values):
    # substitute exactly, then evaluate: evalf(subs=) may build Max(sin(1), 0.e-172),
    # which SymPy refuses as "not comparable"
    return [mpmath.mpf(sympy.re(a.xreplace(values).evalf(40)).evalf(40)) for a in args]


def tied_at(piece, values, args=None) -> list | None:
    """The arguments tied for the winning branch of ``piece`` at the point (two or
    more; ``args`` replaces its arguments, already made smooth), else None. For
    a where (Piecewise): the comparisons' differences that are 0 there, or None."""
    if isinstance(piece, sympy.Piecewise):
        return _tied_conditions(piece if args is None else piece.func(*args), values)
    args = list(piece.args if args is None else args)
    try:
        numbers = exact_numbers(args, values)
    except (TypeError, ValueError):
        return None
    if isinstance(piece, sympy.Abs):
        return [args[0], -args[0]] if abs(numbers[0]) <= TIE else None
    best = max(numbers) if isinstance(piece, sympy.Max) else min(numbers)
    scale = max(1, abs(best))
    tied = [a for a, v in zip(args, numbers) if abs(v - best) <= TIE * scale]
    return tied if len(tied) > 1 else None


def _tied_conditions(piecewise, values) -> list | None:
    try:
        found = pieces(piecewise)
    except ValueError:
        return None
    tied = []
    for _, difference, test in found:
        if test is None or difference.has(DataSum):
            continue
        try:
            gap = exact_numbers([difference], values)[0]
        except (TypeError, ValueError):
            continue
        if abs(gap) <= TIE:
            tied.append(difference)
    return tied or None


class Undecided(ArithmeticError):
    """Which branch wins beside the point is not decided by the Taylor coefficients."""


def piece_beside(engine, point, switching, axes, side):
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
        if isinstance(node, sympy.Piecewise):
            if node not in originals or not isinstance(rebuilt, sympy.Piecewise):
                return rebuilt
            branch, where_conditions, changes, crosses = _where_branch(
                rebuilt, values, held, by, others, side, node)
            constant[0] = constant[0] and not changes
            across[0] = across[0] and crosses
            conditions.extend(where_conditions)
            return branch
        tied = tied_at(node, values, args) if node in originals else None
        if not tied:
            return rebuilt
        if all(_identical(tied[0], other, held, values) for other in tied[1:]):
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


def _where_branch(piecewise, values, held, by, others, side, node):
    """(the branch of ``piecewise`` that holds just beside the point on ``side``
    along ``by``, its conditions as in :class:`Side`, whether the branch may
    change along the line, whether every tied comparison changes with ``by``
    alone).

    A comparison not tied at the point keeps its truth nearby. A tied one is
    decided by the first nonzero Taylor coefficient of its difference along
    ``by`` (order k, sign s: the difference has the sign of s * side**k); one
    identically 0 on the line is decided by its test at the point.
    """
    conditions, changes, crosses = [], False, True
    for value, difference, test in pieces(piecewise):
        if test is None:
            return value, conditions, changes, crosses
        try:
            gap = exact_numbers([difference], values)[0]
        except (TypeError, ValueError):
            raise Undecided(show(node)) from None
        if abs(gap) > TIE:
            conditions.append((difference, 0))
            if passes(test, gap):
                return value, conditions, changes, crosses
            continue
        if difference.xreplace(held).free_symbols & others:
            crosses = False
        sign, k = _leading(difference, by, values, held, node)
        if k is None:  # identically 0 on the line: the point's own test holds all along it
            holds = passes(test, 0)
        else:
            changes = True
            holds = passes(test, sign * side ** k)
            conditions.append((difference, k))
        if holds:
            return value, conditions, changes, crosses
    raise Undecided(show(node))


def _leading(difference, by, values, held, node):
    """(sign, order) of the first nonzero Taylor coefficient of ``difference``
    along ``by`` at the point, (0, None) when it is identically 0 on the line;
    Undecided when neither is shown."""
    current = difference
    for k in range(1, PROBE + 1):
        current = sympy.diff(current, by)
        try:
            coefficient = exact_numbers([current], values)[0]
        except (TypeError, ValueError):
            raise Undecided(show(node)) from None
        if abs(coefficient) > TIE:
            return (1 if coefficient > 0 else -1), k
    if _identical(difference, sympy.Integer(0), held, values):
        return 0, None
    raise Undecided(show(node))


# points beside the switch where two pieces are compared (one offset per variable,
# scaled by its position); odd denominators keep them off the points where
# sin(pi x)-like pieces vanish together
PROBES = (sympy.Rational(3, 97), sympy.Rational(-5, 89), sympy.Rational(7, 83))


def _identical(a, b, held, values) -> bool:
    """``a`` equals ``b`` near the point for every value of the variables not
    ``held``. The difference is evaluated at PROBES beside the point: a gap at
    one of them settles it; agreement to TIE at two or more counts as
    identity. (SymPy's ``equals`` simplifies, which takes minutes on nested
    compositions.) Where no probe can be evaluated: not identical, so the
    caller goes on to break the tie or says it is undecided."""
    difference = sympy.expand((a - b).xreplace(held))
    if difference == 0:
        return True
    free = sorted(difference.free_symbols, key=str)
    agreed = 0
    for offset in PROBES:
        env = {s: values.get(s, sympy.Integer(0)) + offset * (k + 1) for k, s in enumerate(free)}
        try:
            gap = sympy.N(difference.xreplace(env), 40)
        except (TypeError, ValueError, ArithmeticError):
            continue
        if not (gap.is_real and gap.is_finite):
            continue
        if abs(mpmath.mpf(gap)) > TIE:
            return False
        agreed += 1
    return agreed >= 2


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
                scores[a] = side ** k * exact_numbers([current[a]], values)[0]
            except (TypeError, ValueError):
                raise Undecided(show(node)) from None
        best = max(scores.values()) if largest else min(scores.values())
        scale = max(abs(v) for v in scores.values())
        kept = [a for a in candidates if abs(scores[a] - best) <= TIE * max(scale, 1)]
        fell.update({a: k for a in candidates if a not in kept})
        candidates = kept
        if len(candidates) == 1:
            return candidates[0], fell
    raise Undecided(show(node))


def show(piece) -> str:
    if isinstance(piece, sympy.Piecewise):
        return _show_where(piece).replace("Abs(", "abs(")
    if isinstance(piece, sympy.Max) and 0 in piece.args and len(piece.args) == 2:
        other = [a for a in piece.args if a != 0][0]
        return f"relu({other})"
    return str(piece).replace("Abs(", "abs(")


def _show_where(piecewise) -> str:
    """A Piecewise as the where(...) it was written as."""
    (value, condition), rest = piecewise.args[0], piecewise.args[1:]
    if not rest or condition is sympy.true:
        return str(value)
    otherwise = rest[0].expr if len(rest) == 1 and rest[0].cond is sympy.true \
        else _show_where(sympy.Piecewise(*rest))
    return f"where({condition}, {value}, {otherwise})"
