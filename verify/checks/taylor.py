"""The ``taylor`` check: coefficients, partial sums, remainder bounds, radius.

Rows, for a one-variable function about ``a`` (option ``about``, default
the case's first point) to order ``n`` (option ``order``, raised to fit
``expect.taylor``):

- ``taylor[k]``, k = 0..n: the numeric coefficient (Cauchy integral + FFT,
  or ``mpmath.taylor``) against the exact one, within its predicted bound;
- ``expect:taylor[k]``: the hand-written coefficients against the exact ones;
- ``radius``: the radius of convergence, an informational ``skip`` row;
- ``partial_sum[n=m](x=..)`` for m = 0..n at each point of ``sums_at``
  (default: the case's points): the partial sum, computed exactly, against
  f(x); it passes when the error is within the Lagrange remainder bound.

A point of ``sums_at`` outside the radius of convergence gets ``skip`` rows
that say so, with the error and the bound in the message. The bound there
is still a true statement, so a ``pass`` would be correct but misleading
(the sums diverge as n grows: more terms make it worse), and an ``error``
or ``fail`` would blame a function and a check that are both right. Skips
do not change the exit status; the flag is in the message and the report.
"""
from __future__ import annotations

import math

import mpmath
import numpy as np

from verify.core.tolerances import SAFETY
from verify.checks.compare import (Allowance, Result, error_row, judge_expectation, judge_within,
                                   located, skip_row, where)
from verify.exact.symbolic import evaluate_safely, exact_function
from verify.exact.singularities import radius_of_convergence
from verify.exact.derivatives import at_point, coefficient_enclosures
from verify.exact.taylor import NotAnalytic, exact_coefficients, partial_sum, remainder_bounds
from verify.numeric.taylor_coefficients import numeric_coefficients
from verify.checks.common import plain_floats
from verify.bounds.kinks import derivative_at, first_jump, is_switch, one_sided
from verify.exact.precision import number_text

FIGURE_ORDERS = (1, 2, 3, 5, 10, 20)
FIGURE_MAX_ORDER = 20  # higher orders draw on f itself and cost interval work
FIGURE_POINTS = 40   # pieces of the figure's grid
ESTIMATE_ORDER = 30  # coefficients used to estimate a radius SymPy cannot solve for
DPS = 50


def run_taylor(case, check, options=None, artifacts=None):
    base = where(case, "taylor", check.line)
    if len(case.variables) != 1:
        return [error_row(base, f"'taylor' needs one variable; this case has "
                                f"{len(case.variables)} ({', '.join(case.variables)})")]
    engine = exact_function(case)
    name = case.variables[0]
    about = check.option("about") or case.points[0][0]
    order = max(check.option("order"), len(case.expect.taylor) - 1)
    at = f"{name}={about.text}"
    try:
        series = exact_coefficients(engine, about, order + 1)
    except NotAnalytic as exc:
        at_switch = switch_rows(case, engine, base, about, order, asked=check.given("order"))
        return at_switch if at_switch is not None else \
            [error_row(base, f"no Taylor series about {at}: {exc}", quantity="taylor", point=at)]
    radius = radius_of_convergence(
        engine, about.mp(80),
        lambda: _estimate_coefficients(engine, about, max(order, ESTIMATE_ORDER)))
    rows = _coefficient_rows(case, engine, base, about, at, order, series, radius)
    rows.append(skip_row(base, f"informational: radius of convergence about {at}: "
                               f"{radius.describe()}", quantity="radius", point=at, method="exact",
                         exact=radius.value))
    if case.expect.radius is not None:
        rows.append(_radius_row(case, about, at, radius))
    sums_at = check.option("sums_at") or tuple(point[0] for point in case.points)
    for x in sums_at:
        rows.extend(_partial_sum_rows(case, engine, base, about, x, order, series, radius))
    if artifacts is not None:
        artifacts.add_figure("taylor", f"{case.name}: Taylor partial sums about {at}",
                             figure_data(engine, name, about, order, series, radius, sums_at))
    return rows


def _estimate_coefficients(engine, about, count) -> list:
    """c_0..c_count as numbers, for the root test's estimate of the radius: f^(k)
    from ball arithmetic over k!. (Exact coefficients of order 30 about a point
    such as -0.059 grow in the exact ring for minutes; an estimate needs none
    of their exactness.) A coefficient no route tells from 0 counts as 0."""
    values = at_point(engine, (about,), 0, count)
    return [mpmath.mpf(0) if v is None else v / mpmath.factorial(k) for k, v in enumerate(values)]


def switch_rows(case, engine, base, about, order, *, asked=True):
    """Rows about a switch of abs/Max/Min (x*abs(x) at 0), or None if ``about``
    is no such switch. f is differentiable there up to the order below the
    first jump of its one-sided derivatives, so the coefficients below it
    exist (computed exactly from the pieces) and the series stops there: it is
    not an analytic function's series, so neither the Cauchy-integral
    coefficients nor the partial sums apply. A coefficient at or past the
    jump does not exist: asked for (``order``, ``expect.taylor``) it is an
    error, as the derivative of that order is, and so is a kink of f itself
    (relu at 0); a jump in f'' or higher reached only by the default order
    is a skip that says where the series stops."""
    if not is_switch(engine, [about]):
        return None
    at = f"{case.variables[0]}={about.text}"
    jump = first_jump(engine, [about], 0, 0, order)
    if jump is None:  # every coefficient asked for exists
        jump = order + 1
    rows, line = [], case.expect.line("taylor", case.line)
    for k in range(jump):
        verdict = derivative_at(engine, (k,), [about])
        if verdict.value is None:
            return None
        exact = verdict.value / mpmath.factorial(k)
        if k < len(case.expect.taylor):
            rows.append(judge_expectation(where(case, "expect", line),
                                          quantity=f"expect:taylor[{k}]", point=at,
                                          expected=case.expect.taylor[k], exact=exact,
                                          tolerance=case.tolerance))
        rows.append(skip_row(base, f"{at} is a switch of the function: the coefficient "
                                   f"{number_text(exact, 15)} exists (the one-sided derivatives "
                                   "of this order agree), but the numeric coefficients need f "
                                   "analytic about the point (a Cauchy integral)",
                             quantity=f"taylor[{k}]", point=at, method="exact",
                             exact=float(exact)))
    if jump > order and len(case.expect.taylor) <= jump:
        return rows
    sides = _one_sided(engine, about, jump)
    stops = (f"the Taylor series about {at} stops at order {jump - 1}: the one-sided "
             f"derivatives of order {jump} differ there ({sides}), so no coefficient of order "
             f"{jump} or more exists")
    if jump == 0:  # a where whose pieces do not meet f's value: a jump, no series at all
        jumped = derivative_at(engine, (1,), [about]).problem
        stops = f"no Taylor series about {at}: " + (jumped or f"f jumps there ({sides})")
    if len(case.expect.taylor) > jump:
        rows.append(error_row(where(case, "expect", line), stops,
                              quantity=f"expect:taylor[{jump}]", point=at))
    elif (asked or jump <= 1) and order >= jump:
        rows.append(error_row(base, stops, quantity=f"taylor[{jump}]", point=at))
    elif order >= jump:
        rows.append(skip_row(base, stops + "; partial sums about a switch are not judged",
                             quantity=f"taylor[{jump}]", point=at, method="exact"))
    return rows


def _one_sided(engine, about, order):
    """'left L, right R' of the order-th derivative at a switch."""
    left, right = one_sided(engine, [about], 0, order)
    show = lambda v: "undefined" if v is None else number_text(v, 8)  # noqa: E731
    return f"left {show(left)}, right {show(right)}"


def _radius_row(case, about, at, radius):
    """``expect.radius`` against the radius from roots; not judged against an estimate."""
    base = where(case, "expect", case.expect.line("radius", case.line))
    written = case.expect.radius
    shown = ".inf" if written == math.inf else written.text
    cell = dict(quantity="expect:radius", point=at, method="exact")
    if radius.exact is None:
        return skip_row(base, f"the radius of convergence about {at} is only estimated "
                              f"({radius.describe()}); expect.radius = {shown} was not judged",
                        **cell)
    if written == math.inf or not mpmath.isfinite(radius.exact):
        if written == math.inf and not mpmath.isfinite(radius.exact):
            return Result(**dict(base, **cell), status="pass", bound_kind="exact",
                          exact=math.inf, numeric=math.inf,
                          message="infinite radius (an entire function)")
        return Result(**dict(base, **cell), status="fail", bound_kind="exact",
                      exact=radius.value if math.isfinite(radius.value) else None,
                      message=f"expected {shown} but the radius of convergence about {at} is "
                              f"{radius.describe()}")
    return judge_expectation(base, expected=written, exact=radius.exact,
                             tolerance=case.tolerance, **{k: cell[k] for k in ("quantity", "point")})


_FLOAT64_MAX = mpmath.mpf(np.finfo(np.float64).max)


def _coefficient_rows(case, engine, base, about, at, order, series, radius):
    wide = radius.value if "estimated" not in radius.how else radius.value / 2
    numeric = numeric_coefficients(engine, about.float64, order, wide)
    # the numeric side expands about the nearest float of a: c_k moves by about (k+1) c_{k+1} da
    shift = float(abs(about.mp(DPS) - mpmath.mpf(about.float64)))
    rows = []
    for k, found in enumerate(numeric):
        if abs(series.values[k]) > _FLOAT64_MAX:  # as a stencil meeting such values is
            rows.append(skip_row(
                located(base, method=found.method, quantity=f"taylor[{k}]", point=at),
                f"not applied: the exact coefficient, about {number_text(series.values[k], 3)}, "
                "is beyond float64, so no float64 value can be compared with it"))
            continue
        moved = SAFETY * (k + 1) * float(abs(series.values[k + 1])) * shift
        stated = Allowance(found.bound + moved, "estimate",
                           found.describe() + (f" + point {moved:.3g}" if moved else ""))
        rows.append(judge_within(located(base, method=found.method, quantity=f"taylor[{k}]",
                                         point=at),
                                 exact=series.values[k], numeric=found.value, bound=stated,
                                 tolerance=case.tolerance, h=found.radius or None))
    line = case.expect.line("taylor", case.line)
    for k, expected in enumerate(case.expect.taylor):
        rows.append(judge_expectation(where(case, "expect", line), quantity=f"expect:taylor[{k}]",
                                      point=at, expected=expected, exact=series.values[k],
                                      tolerance=case.tolerance))
    return rows


def _terms(values, n):
    count = sum(1 for v in values[:n + 1] if v != 0)
    return f"{count} nonzero term{'s' if count != 1 else ''}"


def _partial_sum_rows(case, engine, base, about, x, order, series, radius):
    name = case.variables[0]
    label = f"{name}={x.text}"
    fx, reason = evaluate_safely(engine, (0,), [x])
    if reason:
        return [error_row(base, reason, quantity=f"partial_sum({label})", point=label)]
    with mpmath.workdps(DPS):
        a, point = about.mp(DPS), x.mp(DPS)
        distance = float(abs(point - a))
        bounds = remainder_bounds(engine, a, point, order)
        sums = [partial_sum(series.values, a, point, n) for n in range(order + 1)]
    outside = radius.outside(distance)
    rows = []
    for n, (value, bound) in enumerate(zip(sums, bounds)):
        cell = dict(method="partial_sum", quantity=f"partial_sum[n={n}]({label})", point=label)
        if outside:
            error = abs(value - fx)
            rows.append(skip_row(
                base, f"{label} is outside the radius of convergence {radius.value:.6g} about "
                      f"{name}={about.text} (|x - a| = {distance:.6g}): the partial sums diverge "
                      f"as n grows; here the error is {float(error):.3g}, the Lagrange bound "
                      f"{bound:.3g}", exact=float(fx), numeric=float(value),
                abs_error=float(error), tolerance=bound, **cell))
            continue
        # the sum is taken at 50 digits, and f(x) is proven to 120 bits
        # (ExactFunction.value): 2**-110 |f(x)| covers both, far below any bound
        # (sinh(sinh(3x**2 - x)/3 + 3x**2 - x)/3 at -1.33 is 2e57, its last bits 1e20)
        slack = float(max(mpmath.mpf(10) ** (10 - DPS), mpmath.mpf(2) ** -110)
                      * max(1, abs(fx)))
        stated = Allowance(bound * (1 + 1e-9) + slack, "rigorous",
                           f"Lagrange bound {bound:.3g} = max|f^({n + 1})| |x - a|^{n + 1}/"
                           f"{n + 1}! over [a, x] (interval arithmetic)")
        rows.append(judge_within(located(base, **cell), exact=fx, numeric=value, bound=stated,
                                 tolerance=case.tolerance, note=_terms(series.values, n)))
    return rows


# --- the figure --------------------------------------------------------------------

def _grid(about, sums_at, radius):
    a = about.float64
    xs = [x.float64 for x in sums_at]
    reach = max([abs(x - a) for x in xs] + [0.0])
    if reach == 0:
        reach = min(1.0, radius.value / 2) if math.isfinite(radius.value) else 1.0
    lo, hi = min([a - reach] + xs), max([a + reach] + xs)
    left = max(1, round(FIGURE_POINTS * (a - lo) / (hi - lo)))
    right = max(1, FIGURE_POINTS - left)
    return list(np.linspace(lo, a, left + 1)) + list(np.linspace(a, hi, right + 1)[1:]), left


def figure_data(engine, name, about, order, series, radius, sums_at):
    """The data of the ``taylor`` figure: f, partial sums and Lagrange bands on a grid."""
    grid, centre = _grid(about, sums_at, radius)
    a = about.float64
    top = min(order, FIGURE_MAX_ORDER)
    orders = sorted({n for n in FIGURE_ORDERS if n <= top} | {top})
    with np.errstate(all="ignore"):
        f = np.asarray(engine.compiled((0,)).numpy(np.array(grid)), dtype=float) * np.ones(len(grid))
        t = np.array(grid) - a
        coefficients = np.array([float(v) for v in series.values[:top + 1]])
        sums = {str(n): plain_floats(np.polyval(coefficients[:n + 1][::-1], t)) for n in orders}
    with mpmath.workdps(DPS):
        pieces = coefficient_enclosures(engine, [mpmath.mpf(g) for g in grid], max(orders) + 1)
    bound = {}
    for n in orders:
        tops = [p[n + 1] for p in pieces]
        band = [0.0] * len(grid)
        for side in (range(centre - 1, -1, -1), range(centre + 1, len(grid))):
            worst = 0.0
            for j in side:
                worst = max(worst, tops[j - 1 if j > centre else j])
                band[j] = worst * abs(grid[j] - a) ** (n + 1) if math.isfinite(worst) else None
        bound[str(n)] = plain_floats(band)
    return {"variable": name, "about": a, "grid": [float(g) for g in grid], "f": plain_floats(f),
            "orders": orders, "partial_sums": sums, "bound": bound,
            "sums_at": [x.float64 for x in sums_at],
            "radius": radius.value if math.isfinite(radius.value) else None}
