"""The ``derivative``, ``gradient`` and ``hessian`` checks: every numeric
method against the exact value, each judged against its predicted bound."""
from __future__ import annotations

from .. import differences
from ..bounds import mixed_bound, partial_bound
from ..compare import error_row, judge_numeric, skip_row, where
from ..exact import evaluate_safely, exact_function
from ..kinks import derivative_at, first_jump, is_analytic, sides_at
from ..stencils import OFFERED, stencil
from .common import dtype_of, numeric_function, pieces_between, smooth_between


def _quantity(variables, orders):
    if len(variables) == 1:
        n = orders[0]
        return f"d/d{variables[0]}" if n == 1 else f"d{n}/d{variables[0]}{n}"
    named = [v for v, k in zip(variables, orders) for _ in range(k)]
    if sum(orders) == 1:
        return f"grad[{named[0]}]"
    return f"hess[{','.join(named)}]"


def _step(check, method):
    h = check.option("h")
    if isinstance(h, tuple):
        h = dict(h).get(method)
    return None if h is None else h.float64


def _targets(check, size):
    """(orders, indices) of every quantity the check compares."""
    if check.name == "derivative":
        return [((check.option("order"),), (0,))]
    if check.name == "gradient":
        return [(tuple(int(k == i) for k in range(size)), (i,)) for i in range(size)]
    pairs = []
    for i in range(size):
        for j in range(i, size):
            orders = [0] * size
            orders[i] += 1
            orders[j] += 1
            pairs.append((tuple(orders), (i, j)))
    return pairs


def _run(case, check, options, artifacts=None):
    if check.name == "derivative" and len(case.variables) != 1:
        return [error_row(where(case, check.name, check.line),
                          f"'derivative' needs one variable; this case has "
                          f"{len(case.variables)} ({', '.join(case.variables)}): use 'gradient'")]
    engine = exact_function(case)
    dtype = dtype_of(case)
    u = differences.unit_roundoff(dtype)
    f = numeric_function(engine, dtype)
    analytic = is_analytic(engine.expression)
    rows = []
    base = where(case, check.name, check.line)
    for point in case.points:
        label = case.label(point)
        floats = [p.float64 for p in point]
        for orders, indices in _targets(check, len(case.variables)):
            quantity = _quantity(case.variables, orders)
            verdict = derivative_at(engine, orders, point)
            exact, reason = verdict.value, verdict.problem
            for method in check.option("methods"):
                cell = dict(method=method, quantity=quantity, point=label)
                if reason:
                    rows.append(error_row(base, reason, **cell))
                    continue
                if verdict.switch and not verdict.line_piece \
                        and not (method == "complex_step" and not analytic):
                    rows.append(_across_switch(case, engine, f, point, floats, method, orders,
                                               indices, verdict, check, base, cell, dtype, u))
                    continue
                # along a line where no piece switches, bounds and step guards use that piece
                rows.append(_one(case, verdict.line_piece or engine, f, point, floats, method, orders, indices, exact,
                                 check, base, cell, analytic, dtype, u))
    return rows


def _across_switch(case, engine, f, point, floats, method, orders, indices, verdict, check,
                   base, cell, dtype, u):
    """A finite difference whose stencil straddles a switch where the derivative
    exists. Judged when f is C^(m-1) there (m = order + the method's accuracy), with
    each side's piece bounding f^(m) over its half; else a skip saying which
    derivative jumps."""
    n = sum(orders)
    index = indices[0]
    sides = sides_at(engine, point, index) if len(set(indices)) == 1 else None
    if sides is None or not differences.offers(method, n):
        return skip_row(base, f"{verdict.switch}; the {method} stencil straddles the switch"
                              + ("" if sides else " in more than one variable") + ": not judged",
                        **cell)
    guard = pieces_between(sides, orders[:index] + (orders[index] + 1,) + orders[index + 1:],
                           index, floats)
    difference = differences.partial(f, floats, index, method=method, order=n,
                                     h=_step(check, method), dtype=dtype, admissible=guard)
    st = stencil(method, n, difference.levels)
    m = n + st.accuracy
    jump = first_jump(engine, point, index, n + 1, m - 1)
    if jump is not None:
        name = engine.variables[index]
        return skip_row(base, f"{verdict.switch}; the {method} stencil straddles the switch and "
                              f"d{jump}f/d{name}{jump} jumps there, so its truncation bound (which "
                              f"needs f continuously differentiable {m - 1} times) does not hold: "
                              "not judged", **cell)
    bound = partial_bound(engine, point, difference, index, unit_roundoff=u, sides=sides) \
        if difference.ok else None
    return judge_numeric(base, method=method, quantity=cell["quantity"], point=cell["point"],
                         exact=verdict.value, difference=difference, bound=bound,
                         tolerance=case.tolerance)


def _one(case, engine, f, point, floats, method, orders, indices, exact, check, base, cell,
         analytic, dtype, u):
    order = sum(orders)
    if method == "complex_step" and not analytic:
        return skip_row(base, "complex step needs an analytic function; piecewise ones (abs, "
                              "Max, Min, where, relu, ...) are not (it is not applicable here)", **cell)
    if len(indices) == 2 and indices[0] != indices[1]:
        if method == "complex_step":
            return skip_row(base, "complex step offers first derivatives only", **cell)
        i, j = indices
        difference = differences.mixed_partial(
            f, floats, i, j, method=method, h=_step(check, method), dtype=dtype)
        bound = mixed_bound(engine, point, difference, i, j, unit_roundoff=u) if difference.ok else None
    else:
        index = indices[0]
        if not differences.offers(method, order):
            offered = list(OFFERED[method])
            return skip_row(base, f"{method} offers derivative orders {offered[0]} to "
                                  f"{offered[-1]}, not {order}", **cell)
        guard = smooth_between(engine, tuple(k + (1 if n == index else 0)
                                             for n, k in enumerate(orders)), index, floats)
        difference = differences.partial(
            f, floats, index, method=method, order=order, h=_step(check, method), dtype=dtype,
            admissible=guard if method != "complex_step" else None)
        bound = partial_bound(engine, point, difference, index, unit_roundoff=u) \
            if difference.ok else None
    return judge_numeric(base, method=method, quantity=cell["quantity"], point=cell["point"],
                         exact=exact, difference=difference, bound=bound,
                         tolerance=case.tolerance)


run_derivative = run_gradient = run_hessian = _run

