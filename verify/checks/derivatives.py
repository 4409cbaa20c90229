"""The ``derivative``, ``gradient`` and ``hessian`` checks: every numeric
method against the exact value, each judged against its predicted bound."""
from __future__ import annotations

import math
from dataclasses import replace

from verify.numeric import differences
from verify.bounds.predicted import mixed_bound, partial_bound
from verify.checks.compare import (UNDERFLOW, error_row, judge_numeric, located, skip_row,
                                   vacuous, where)
from verify.exact.symbolic import exact_function
from verify.bounds.kinks import derivative_at, first_jump, sides_at
from verify.core.functions import is_analytic
from verify.numeric.stencils import OFFERED, stencil
from verify.checks.common import (PointContext, dtype_of, numeric_function, partial_with_bound,
                                  pieces_between, prefetch_partials, smooth_over_box)


def _quantity(variables, orders):
    if len(variables) == 1:
        n = orders[0]
        return f"d/d{variables[0]}" if n == 1 else f"d{n}/d{variables[0]}{n}"
    named = [v for v, k in zip(variables, orders) for _ in range(k)]
    if sum(orders) == 1:
        return f"grad[{named[0]}]"
    return f"hess[{','.join(named)}]"


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


def _run(case, check, options=None, artifacts=None):
    if check.name == "derivative" and len(case.variables) != 1:
        return [error_row(where(case, check.name, check.line),
                          f"'derivative' needs one variable; this case has "
                          f"{len(case.variables)} ({', '.join(case.variables)}): use 'gradient'")]
    engine = exact_function(case)
    f = numeric_function(engine, dtype_of(case))
    analytic = is_analytic(engine.expression)
    rows = []
    base = where(case, check.name, check.line)
    for point in case.points:
        at = PointContext.of(case, point, check=check, engine=engine, base=base, f=f)
        targets = [(orders, indices, derivative_at(engine, orders, point))
                   for orders, indices in _targets(check, len(case.variables))]
        if check.name in ("gradient", "derivative") and not any(
                verdict.problem or verdict.switch for *_, verdict in targets):
            order = check.option("order") if check.name == "derivative" else 1
            try:  # every entry's stencil rounding in one walk, before the rows ask
                prefetch_partials(at, _method_steps(check), order)
            except Exception:  # noqa: BLE001 - only a head start: each row computes and reports its own
                pass
        for orders, indices, verdict in targets:
            quantity = _quantity(case.variables, orders)
            for method, step in _method_steps(check):
                cell = dict(method=method, quantity=quantity, point=at.label)
                if verdict.problem:
                    rows.append(error_row(base, verdict.problem, **cell))
                elif method == "complex_step" and not analytic:
                    rows.append(skip_row(base, "complex step needs an analytic function; "
                                               "piecewise ones (abs, Max, Min, where, relu, ...) "
                                               "are not (it is not applicable here)", **cell))
                elif verdict.switch and not verdict.line_piece:
                    rows.append(_across_switch(at, cell, (orders, indices, step), verdict))
                else:
                    rows.append(_guarded(at, cell, (orders, indices, step), verdict))
    return rows


def _method_steps(check):
    """(method, step) pairs, one row each: h may list several steps (CASES.md v1.1)."""
    return [(method, step) for method in check.option("methods") for step in check.steps(method)]


def _guarded(at, cell, target, verdict):
    """:func:`_one`, with one method's failure never taking the other methods with it.
    ``target`` is (orders, indices, the written step or None)."""
    try:  # along a line where no piece switches, bounds and guards use that piece
        return _one(at.on(verdict.line_piece or at.engine), cell, target, verdict.value)
    except (ArithmeticError, ValueError, TypeError, MemoryError) as exc:
        return error_row(at.base, f"internal error in the {cell['method']} row: "
                                  f"{type(exc).__name__}: {exc}", **cell)


def _across_switch(at, cell, target, verdict):
    """A finite difference whose stencil straddles a switch where the derivative
    exists. Judged when f is C^(m-1) there (m = order + the method's accuracy), with
    each side's piece bounding f^(m) over its half; else a skip saying which
    derivative jumps."""
    method, engine, base = cell["method"], at.engine, at.base
    orders, indices, step = target
    n = sum(orders)
    index = indices[0]
    sides = sides_at(engine, at.point, index) if len(set(indices)) == 1 else None
    if sides is None or not differences.offers(method, n):
        return skip_row(base, f"{verdict.switch}; the {method} stencil straddles the switch"
                              + ("" if sides else " in more than one variable") + ": not judged",
                        **cell)
    guard = pieces_between(sides, orders[:index] + (orders[index] + 1,) + orders[index + 1:],
                           index, at.floats)
    difference = differences.partial(at.f, at.floats, index, method=method, order=n,
                                     h=step, dtype=at.dtype, admissible=guard)
    st = stencil(method, n, difference.levels)
    m = n + st.accuracy
    jump = first_jump(engine, at.point, index, n + 1, m - 1)
    if jump is not None:
        name = engine.variables[index]
        return skip_row(base, f"{verdict.switch}; the {method} stencil straddles the switch and "
                              f"d{jump}f/d{name}{jump} jumps there, so its truncation bound (which "
                              f"needs f continuously differentiable {m - 1} times) does not hold: "
                              "not judged", **cell)
    bound = partial_bound(engine, at.point, difference, index, unit_roundoff=at.unit_roundoff,
                          sides=sides) if difference.ok else None
    return judge_numeric(located(base, **cell), exact=verdict.value, difference=difference,
                         bound=bound, tolerance=at.case.tolerance)


def _one(at, cell, target, exact):
    method, engine, base, point, floats = cell["method"], at.engine, at.base, at.point, at.floats
    orders, indices, given = target
    order = sum(orders)
    u = at.unit_roundoff
    if len(indices) == 2 and indices[0] != indices[1]:
        if method == "complex_step":
            return skip_row(base, "complex step offers first derivatives only", **cell)
        i, j = indices
        guard = smooth_over_box(engine, orders, i, j, floats)

        def compute(h):
            difference = differences.mixed_partial(at.f, floats, i, j, method=method, h=h,
                                                   dtype=at.dtype, admissible=guard)
            return difference, (mixed_bound(engine, point, difference, i, j, unit_roundoff=u)
                                if difference.ok else None)
    else:
        index = indices[0]
        if not differences.offers(method, order):
            offered = list(OFFERED[method])
            return skip_row(base, f"{method} offers derivative orders {offered[0]} to "
                                  f"{offered[-1]}, not {order}", **cell)

        def compute(h):  # shared with backprop's three-way row (computed once)
            return partial_with_bound(at, index, method, order, h)
    difference, bound = compute(given)
    hint = None
    if at.case.tolerance is None and difference.ok and vacuous(bound.total, exact) \
            and method != "complex_step":
        centre = compute(None)[0] if given is not None else difference
        # below the underflow floor every allowance is at least |exact|: no step can do
        searched = _conclusive_step(compute, centre, exact) \
            if centre.ok and abs(exact) > UNDERFLOW else None
        if searched and given is None:
            # CASES.md v1.1: the default step is one where the method is conclusive
            difference, bound = searched
            difference = replace(difference, note="; ".join(filter(None, (
                difference.note, f"the standard step was inconclusive here, so the step "
                                 f"{difference.h:.3g} that minimises the bound was taken"))))
        elif searched:
            hint = f"the step {searched[0].h:.3g} would be conclusive (bound " \
                   f"{searched[1].total:.3g}); leave out h for it"
        else:
            hint = (f"no step of {method} from {centre.h / 4 ** SEARCH_DOWN:.3g} to "
                    f"{centre.h * 4 ** SEARCH_UP:.3g} is conclusive here in float64: "
                    "try a more accurate method")
    return judge_numeric(located(base, **cell), exact=exact, difference=difference, bound=bound,
                         tolerance=at.case.tolerance, hint=hint and (lambda: hint))


SEARCH_DOWN, SEARCH_UP = 10, 2  # steps h / 4^10 ... h * 4^2 tried when h is inconclusive


def _conclusive_step(compute, centre, exact):
    """(difference, bound) at the step near ``centre.h`` with the smallest
    bound, when that bound is conclusive (below |exact|); else None.

    The ladder is centre.h * 4^k (k = -10..2, not 0), then the best step's
    neighbours at half that spacing. The standard step assumes derivatives
    of the size of the function's values; for high orders (the 10th
    derivative of sin(x**2)) the next derivatives are larger by orders of
    magnitude and a smaller step is needed, which only the bound itself can
    tell. The bound is truncation, growing with h, plus rounding, falling
    with it: the ladder is walked down from the centre while the bound
    falls and up while it falls, and only when that walk finds nothing
    conclusive is every rung tried.
    """
    tried = {}

    def bound_at(h):
        if h not in tried:
            difference, bound = compute(h)
            ok = bound is not None and difference.ok and math.isfinite(bound.total)
            tried[h] = (difference, bound) if ok else None
        return tried[h]

    def total(k):
        found = bound_at(centre.h * 4.0 ** k)
        return found[1].total if found else math.inf

    def walk(ks):
        previous = math.inf
        for k in ks:
            if total(k) > previous:  # past the valley
                return
            previous = min(previous, total(k))

    walk(range(-1, -SEARCH_DOWN - 1, -1))
    if total(1) < total(-1):
        walk(range(1, SEARCH_UP + 1))
    best = _refined(bound_at, [v for v in tried.values()])
    if best is None or vacuous(best[1].total, exact):
        ladder = [centre.h * 4.0 ** k for k in range(-SEARCH_DOWN, SEARCH_UP + 1) if k]
        best = _refined(bound_at, [bound_at(h) for h in ladder if h > 0])
    if best is None or vacuous(best[1].total, exact):
        return None
    return best


def _refined(bound_at, candidates):
    """The smallest bound of the candidates and of the best one's neighbours at h * 2, h / 2."""
    best = _smallest(candidates)
    if best is not None:
        best = _smallest([best, bound_at(best[0].h * 2), bound_at(best[0].h / 2)])
    return best


def _smallest(candidates):
    candidates = [c for c in candidates if c is not None]
    return min(candidates, key=lambda c: c[1].total) if candidates else None


def run_gradient(case, check, options=None, artifacts=None):
    """The gradient's rows, then the ``dir[f]`` rows of its ``direction`` option."""
    rows = _run(case, check, options, artifacts)
    if check.given("direction"):
        from verify.checks.directional import direction_rows
        rows.extend(direction_rows(case, check, (("f", case.expression),)))
    return rows


run_derivative = run_hessian = _run

