"""The ``jacobian`` check (CASES.md v1.1, vector-valued functions).

Every entry d(output)/d(variable), quantity ``jac[OUTPUT,VARIABLE]``, three
ways, each judged against its own bound:

- the check's finite-difference ``methods``: the ``gradient`` machinery run
  on each output as a scalar function, so every row keeps its predicted
  bound (:mod:`verify.bounds.predicted`);
- ``backprop``: one reverse pass per output (a vector-Jacobian product with
  that output's unit vector), judged as the ``backprop`` check judges a
  gradient;
- ``forward-mode``: one forward sweep per variable and output (a
  Jacobian-vector product with that variable's unit vector,
  :func:`verify.numeric.backprop.tangents`). It multiplies the same local
  derivatives along the same paths as the reverse pass, so it has the same
  rounding bound.

A scalar function is a Jacobian of one row, output ``f``. Option
``direction`` adds the ``dir[OUTPUT]`` rows of :mod:`verify.checks.directional`.
"""
from __future__ import annotations

import re
from dataclasses import replace

from verify.bounds.kinks import derivative_at, engine_choice_problem, engine_kink, switch_at
from verify.bounds.backprop_rounding import backprop_bound, magnitudes, pass_difference
from verify.checks.common import graph_of
from verify.checks.compare import error_row, judge_numeric, located, skip_row, where
from verify.exact.symbolic import exact_function
from verify.input.expectations import Expect
from verify.input.options import Check
from verify.numeric.backprop import tangents


def outputs_of(case):
    """((name, expression), ...): the outputs, or ``f`` for a scalar function."""
    return case.outputs or (("f", case.expression),)


def scalar_case(case, expression):
    """``case`` with one output as its function (nothing else of it runs)."""
    return replace(case, expression=expression, outputs=(), graph=(), expect=Expect(),
                   implementation=(), checks=())


def run_jacobian(case, check, options, artifacts):
    from verify.checks.derivatives import run_gradient
    from verify.checks.directional import direction_rows
    gradient = Check("gradient", tuple((k, v) for k, v in check.options if k in ("methods", "h")),
                     check.line)
    rows = []
    for name, expression in outputs_of(case):
        sub = scalar_case(case, expression)
        for row in run_gradient(sub, gradient):
            rows.append(replace(row, check=check.name, quantity=_entry(row.quantity, name, case)))
        rows.extend(_pass_rows(case, sub, name, where(case, check.name, check.line)))
    if check.given("direction"):
        rows.extend(direction_rows(case, check, outputs_of(case)))
    return rows


def _entry(quantity, output, case):
    """grad[x] (or d/dx for one variable) of an output as its entry jac[OUTPUT,x]."""
    found = re.fullmatch(r"grad\[(.+)\]|d/d(.+)", quantity)
    variable = (found.group(1) or found.group(2)) if found else quantity
    return f"jac[{output},{variable}]"


def _pass_rows(case, sub, output, base):
    """backprop (reverse) and forward-mode rows of one output at every point."""
    engine = exact_function(sub)
    graph = graph_of(sub)
    parameters = [v.float64 for _, v in case.parameters]
    size = len(case.variables)
    rows = []
    for point in case.points:
        label = case.label(point)
        floats = [p.float64 for p in point]
        nodes = graph.run(floats + parameters)
        sizes = magnitudes(nodes)
        # a switch found exactly is judged per entry; one inside data rows stops all
        kink = None if switch_at(engine, point) else engine_kink(nodes)
        for j, variable in enumerate(case.variables):
            orders = tuple(int(k == j) for k in range(size))
            quantity = f"jac[{output},{variable}]"
            verdict = derivative_at(engine, orders, point)
            reason = verdict.problem or kink
            convention = not reason and verdict.switch and \
                engine_choice_problem(engine, orders, point)
            if reason or convention:
                row = error_row if reason else skip_row
                rows.extend(row(base, reason or convention, quantity=quantity, method=m,
                                point=label) for m in ("backprop", "forward-mode"))
                continue
            bound = backprop_bound(engine, orders, point, sizes[id(nodes[j])], graph.operations)
            seed = [float(k == j) for k in range(size)]
            forward = graph.run(floats + parameters)  # fresh nodes: tangents recompute locals
            for method, value, graph_run in (("backprop", nodes[j].adjoint, nodes),
                                             ("forward-mode", tangents(forward, seed)[-1], forward)):
                difference = pass_difference(method, value, verdict.value, graph_run,
                                             (graph_run[j],))
                rows.append(judge((base, quantity, label), difference, verdict.value, bound,
                                  case.tolerance))
    return rows


def judge(at, difference, exact, bound, tolerance):
    """A float64 pass (reverse or forward, :func:`pass_difference`) against the
    exact value and its rounding bound; ``at`` is (base row, quantity, point label)."""
    base, quantity, label = at
    return judge_numeric(located(base, method=difference.method, quantity=quantity, point=label),
                         exact=exact, difference=difference, bound=bound, tolerance=tolerance)
