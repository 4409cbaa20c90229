"""The ``backprop`` check: the reverse-mode gradient against the exact one.

For every point it runs :mod:`verify.numeric.backprop` once and writes

- ``grad[x]`` (method ``backprop``): the adjoint of each variable against
  the exact partial derivative, with the distance in ulps in the message;
- ``agree[x]`` (method ``three-way``): exact, backprop and a finite
  difference (the first of the check's ``methods``, default central), plus
  ``expect.gradient`` when written; when one answer disagrees with the
  others the row names it: a backprop graph problem, a finite-difference
  step problem, or a wrong expectation;
- ``expect:adjoint[z]`` for each ``expect.adjoint`` (the written value
  against the exact adjoint dL/dz, derived by SymPy with z as a symbol),
  and ``adjoint[z]``, backprop's adjoint of z against that exact one;
- one ``graphs.csv`` row per node and a ``graph_table`` figure, the chain
  rule step by step.

The bound. Backprop and the exact derivative differ only by rounding, so
a value passes when ``|backprop - exact| <= SAFETY * (running + steps) +
point``, where ``running`` is the running error bound of evaluating the
exact derivative formula in float64 (:func:`verify.bounds.rounding.running_error`:
how the formula's roundings, and the errors of the forward values its
functions see, add up); ``steps`` is ``2 * n * u * A``, with ``n`` the
rounding steps of the graph (one per operation, log2(rows) more for a
sum over data) and ``A`` the adjoint recomputed with every local derivative
replaced by its absolute value (so cancellation between paths does not
hide the magnitudes that were rounded); ``point`` is the shift from the
written point to its nearest float (:func:`verify.bounds.predicted.representation`).
Backprop runs in float64 whatever the case's ``dtype``.

At a kink (a tie of ``abs``, ``Max``, ``Min``, ``relu``, found exactly or
by the engine in some data rows), or where the function is not defined,
the comparisons are ``error`` rows saying so; the graph table still shows
the subgradient the engine used.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass, replace

import numpy as np

from verify.bounds.backprop_rounding import backprop_bound, magnitudes, pass_difference
from verify.checks.compare import (error_row, expectation_allowance, judge_agreement, skip_row,
                                   judge_expectation, judge_numeric, located, where)
from verify.exact.symbolic import ExactFunction, differentiate, evaluate_safely, exact_function
from verify.input.expressions import symbol
from verify.bounds.kinks import derivative_at, engine_choice_problem, engine_kink, point_problem, switch_at
from verify.core.functions import is_analytic
from verify.checks.common import PointContext, graph_of, numeric_function, partial_with_bound

@functools.lru_cache(maxsize=256)
def _adjoint_function(graph, name, variables, parameters, data) -> ExactFunction:
    """dL/d(node) exactly: later nodes written in the node's symbol, differentiated
    by it, and the node's own expression put back."""
    target = symbol(name)
    env, composed = {}, None
    for node in graph:
        expr = node.expression.xreplace(env)
        if node.name == name:
            composed = expr
        else:
            env[symbol(node.name)] = expr
    output = env.get(symbol(graph[-1].name), target)
    adjoint = differentiate(output, target).xreplace({target: composed})
    constants = {symbol(n): v.exact for n, v in parameters}
    return ExactFunction(adjoint.xreplace(constants), variables, data)


def adjoint_function(case, name) -> ExactFunction:
    return _adjoint_function(case.graph, name, case.variables, case.parameters, case.data)


def _judge(at, base, quantity, value, exact, bound, nodes, start):
    difference = pass_difference("backprop", value, exact, nodes, (start,))
    return judge_numeric(located(base, method="backprop", quantity=quantity, point=at.label),
                         exact=exact, difference=difference, bound=bound,
                         tolerance=at.case.tolerance)


def _finite_difference(at, index):
    """The first of the check's methods (complex step falls back to central
    where it does not apply), with its bound; (difference, None) if not finite."""
    engine = at.engine
    method = at.check.option("methods")[0]
    if method == "complex_step" and not is_analytic(engine.expression):
        method = "central"
    # the gradient check's difference of the same entry, method and step when it ran
    return partial_with_bound(replace(at, f=numeric_function(engine, at.dtype)), index, method,
                              h=at.check.step(method))


def _plain(v):
    """A value for the tables: a float, or a summary of an array over data rows."""
    if isinstance(v, np.ndarray) and v.ndim:
        return f"{v.size} rows, mean {float(np.mean(v)):.6g}"
    return float(v)


def describe(nodes, case, graph) -> list[dict]:
    """Every node as plain data (names, numbers, strings), in node order."""
    roles = {name: "variable" for name in case.variables}
    roles.update({name: "parameter" for name, _ in case.parameters})
    texts = {step.name: step.text for step in graph.steps}
    plain = []
    for node in nodes:
        if node.op == "input":
            role, text = roles.get(node.name, "input"), ""
        else:
            role, text = "node", texts.get(node.name, node.op)
        note = ""
        if node.kink:
            note = ("kink: abs at 0, local derivative 0 used" if node.op == "abs" else
                    f"kink: a tie of {node.op}, least-norm subgradient used"
                    if node.op in ("Max", "Min") else "kink inside this node: least-norm "
                    "subgradient used")
        plain.append({"name": node.name, "role": role, "expression": text,
                      "value": _plain(node.value), "adjoint": _plain(node.adjoint),
                      "local": [[p.name, _plain(d)] for p, d in zip(node.parents, node.local)],
                      "note": note})
    return plain


def _number(v) -> str:
    if not isinstance(v, float):
        return str(v)
    text = repr(v)  # the shortest text that reads back as the same float
    return text[:-2] if text.endswith(".0") else text


def graph_rows(case, label, plain) -> list[dict]:
    """graphs.csv rows: case, point, node, expression, value, local_derivatives, adjoint."""
    return [{"case": case.id, "point": label, "node": n["name"], "expression": n["expression"],
             "value": n["value"], "adjoint": n["adjoint"],
             "local_derivatives": "; ".join(f"d{n['name']}/d{p}={_number(d)}"
                                            for p, d in n["local"]),
             "role": n["role"], "note": n["note"]} for n in plain]


def run_backprop(case, check, options, artifacts):
    """The check's rows; graphs.csv rows and a graph table per point."""
    engine = exact_function(case)
    graph = graph_of(case)
    base = where(case, "backprop", check.line)
    rows = []
    for index, point in enumerate(case.points):
        at = PointContext.of(case, point, check=check, engine=engine, base=base, index=index)
        label, floats = at.label, at.floats
        nodes = graph.run(floats + [v.float64 for _, v in case.parameters])
        problem = point_problem(engine, point) or engine_kink(nodes)
        # a switch found exactly (not one inside data rows) is judged per variable
        kink = None if switch_at(engine, point) else engine_kink(nodes)
        plain = describe(nodes, case, graph)
        artifacts.add_rows("graphs", graph_rows(case, label, plain))
        artifacts.add_figure("graph_table", f"{case.name}: backprop at {label}",
                             {"output": nodes[-1].name, "point": label, "nodes": plain,
                              "problem": problem or ""})
        walk = _Walk(graph, nodes, magnitudes(nodes))
        for i in range(len(case.variables)):
            rows.extend(_gradient_rows(at, walk, i, kink))
        rows.extend(_adjoint_rows(at, walk, problem))
    return rows


@dataclass(frozen=True)
class _Walk:
    """One backprop run at a point: the graph, its nodes (output last) and the
    magnitudes of their adjoints (:func:`magnitudes`)."""

    graph: object
    nodes: list
    sizes: dict


def _gradient_rows(at, walk, i, problem):
    case, engine, point, label, base = at.case, at.engine, at.point, at.label, at.base
    nodes, name = walk.nodes, case.variables[i]
    orders = tuple(int(k == i) for k in range(len(case.variables)))
    quantities = ((f"grad[{name}]", "backprop"), (f"agree[{name}]", "three-way"))
    verdict = derivative_at(engine, orders, point)
    exact, reason = verdict.value, verdict.problem or problem
    if reason:
        return [error_row(base, reason, quantity=q, method=m, point=label) for q, m in quantities]
    convention = verdict.switch and engine_choice_problem(engine, orders, point)
    if convention:
        return [skip_row(base, convention, quantity=q, method=m, point=label)
                for q, m in quantities]
    value = nodes[i].adjoint
    bound = backprop_bound(engine, orders, point, walk.sizes[id(nodes[i])], walk.graph.operations)
    grad = _judge(at, base, f"grad[{name}]", value, exact, bound, nodes, nodes[i])
    answers = [("backprop", float(value), grad.tolerance, "a backprop graph problem")]
    if verdict.switch and not verdict.line_piece:
        # the derivative exists at the switch; no stencil across it has a valid bound
        difference, fd_bound = None, None
        note = f"{verdict.switch}: no finite difference across it"
    else:
        difference, fd_bound = _finite_difference(at.on(verdict.line_piece or engine), i)
        note = ""
    if fd_bound is not None:
        allowed = case.tolerance.allows(float(exact)) if case.tolerance else fd_bound.total
        answers.append((difference.method, difference.value, allowed,
                        "a finite-difference step problem"))
    elif difference is not None:
        note = f"no {difference.method} difference: {difference.note or 'not finite'}"
    written = dict(case.expect.gradient[at.index]).get(name) if case.expect.gradient else None
    if written is not None:
        answers.append(("expect.gradient", written.mp(40),
                        expectation_allowance(written, exact, case.tolerance, bound.total)[0],
                        "a wrong expectation"))
    agree = judge_agreement(base, quantity=f"agree[{name}]", point=label, exact=exact,
                            answers=answers, note=note)
    return [grad, agree]


def _adjoint_rows(at, walk, problem):
    case, point, label, base = at.case, at.point, at.label, at.base
    graph, nodes = walk.graph, walk.nodes
    if not case.expect.adjoint:
        return []
    rows = []
    expect_base = where(case, "expect", case.expect.line("adjoint", case.line))
    names = graph.names
    zero = (0,) * len(case.variables)
    for name, written in case.expect.adjoint[at.index]:
        node = nodes[names.index(name)]
        cells = ((expect_base, f"expect:adjoint[{name}]", "exact"),
                 (base, f"adjoint[{name}]", "backprop"))
        if isinstance(node.value, np.ndarray):
            reason = (f"node '{name}' has one value per data row; expect.adjoint applies to "
                      "nodes with one value")
        else:
            reason = problem
        adjoint = adjoint_function(case, name)
        exact, reason = (None, reason) if reason else evaluate_safely(adjoint, zero, point)
        if reason:
            rows.extend(error_row(b, reason, quantity=q, method=m, point=label)
                        for b, q, m in cells)
            continue
        bound = backprop_bound(adjoint, zero, point, walk.sizes[id(node)], graph.operations)
        rows.append(judge_expectation(expect_base, quantity=cells[0][1], point=label,
                                      expected=written, exact=exact, tolerance=case.tolerance,
                                      float64_bound=bound.total))
        rows.append(_judge(at, base, cells[1][1], node.adjoint, exact, bound, nodes, node))
    return rows
