"""Directional derivatives: the option ``direction`` of ``gradient`` and
``jacobian`` (CASES.md v1.1), quantity ``dir[OUTPUT]`` (``f`` for a scalar
function).

Along v, g(t) = f(x + t v) and g'(0) = grad f . v. The exact value is g'(0)
by SymPy; the finite-difference rows differentiate g itself, a one-variable
function, so each keeps the rigorous bound of the ``derivative`` check; the
``backprop`` row is the reverse-mode gradient dotted with v, its bound the
sum of |v_j| times each entry's rounding bound plus the rounding of the dot
product itself.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

from verify.bounds.kinks import derivative_at, engine_choice_problem, engine_kink, switch_at
from verify.bounds.backprop_rounding import U64, backprop_bound, magnitudes, pass_difference
from verify.checks.common import graph_of
from verify.checks.compare import error_row, skip_row, where
from verify.core.tolerances import SAFETY
from verify.exact.symbolic import exact_function
from verify.input.expressions import symbol
from verify.input.options import Check
from verify.input.values import parse_value

@dataclass(frozen=True)
class DotBound:
    """The bound of grad . v from backprop (see the module docstring)."""

    total: float
    entries: float
    dot: float
    kind: str = "rounding"

    def describe(self) -> str:
        return (f"bound {self.total:.3g} = sum |v_j| x entry bound ({self.entries:.3g}) "
                f"+ {SAFETY:g} x dot-product rounding ({self.dot:.3g})")


def _line_variable(case) -> str:
    taken = set(case.variables) | {n for n, _ in case.parameters} | {c.name for c in case.data}
    name, k = "t", 0
    while name in taken:
        k += 1
        name = f"t{k}"
    return name


def direction_rows(case, check, outputs):
    from verify.checks.derivatives import run_derivative
    from verify.checks.jacobian import judge, scalar_case
    direction = check.option("direction")
    shown = ", ".join(f"{v}={d.text}" for v, d in zip(case.variables, direction))
    t = _line_variable(case)
    zero = parse_value("0")
    methods = Check("derivative", tuple((k, v) for k, v in check.options
                                        if k in ("methods", "h")), check.line)
    base = where(case, check.name, check.line)
    rows = []
    for output, expression in outputs:
        quantity = f"dir[{output}]"
        for point in case.points:
            label = case.label(point)
            line = {symbol(v): p.exact + symbol(t) * d.exact
                    for v, p, d in zip(case.variables, point, direction)}
            along = replace(scalar_case(case, expression.xreplace(line)), variables=(t,),
                            points=((zero,),))
            for row in run_derivative(along, methods):
                rows.append(replace(row, check=check.name, quantity=quantity, point=label,
                                    message="; ".join(filter(None, (f"along v = ({shown})",
                                                                    row.message)))))
            rows.append(_backprop_row(case, scalar_case(case, expression), along, point,
                                      direction, (base, quantity, label), judge))
    return rows


def _backprop_row(case, sub, along, point, direction, row, judge):
    base, quantity, label = row  # where the row goes, what it compares, at which point
    engine = exact_function(sub)
    verdict = derivative_at(exact_function(along), (1,), along.points[0])
    graph = graph_of(sub)
    floats = [p.float64 for p in point]
    nodes = graph.run(floats + [v.float64 for _, v in case.parameters])
    kink = None if switch_at(engine, point) else engine_kink(nodes)
    if verdict.problem or kink:
        return error_row(base, verdict.problem or kink, quantity=quantity, method="backprop",
                         point=label)
    convention = next(filter(None, (
        engine_choice_problem(engine, tuple(int(k == j) for k in range(len(point))), point)
        for j, d in enumerate(direction) if d.float64 != 0)), None)
    if convention:
        return skip_row(base, convention, quantity=quantity, method="backprop", point=label)
    sizes = magnitudes(nodes)
    v = [d.float64 for d in direction]
    size = len(case.variables)
    entries, terms = 0.0, []
    for j in range(size):
        if v[j] == 0:
            continue
        orders = tuple(int(k == j) for k in range(size))
        entries += abs(v[j]) * backprop_bound(engine, orders, point, sizes[id(nodes[j])],
                                              graph.operations).total
        terms.append(nodes[j].adjoint * v[j])
    value = float(sum(terms))
    dot = 2.0 * len(terms) * U64 * float(sum(abs(x) for x in terms))
    bound = DotBound(entries + SAFETY * dot, entries, dot)
    difference = pass_difference("backprop", value, verdict.value, nodes,
                                 [nodes[j] for j in range(size) if v[j] != 0])
    return judge((base, quantity, label), difference, verdict.value, bound, case.tolerance)
