"""The ``error_curve`` check: error against step size, explained by theory.

For each point, variable and method: the float64 error and the
exact-arithmetic (mpmath, ``dps`` digits) error at ``num`` log-spaced steps
go to ``curves.csv``; two rows go to ``results.csv``:

- ``best_h``: the observed best step (lowest point of the running median of
  the float64 curve, with its valley floor: the steps around it within 3x
  of its error) beside the model's (:mod:`verify.numeric.curves`): pass when the
  predicted step is within a factor 10 of the floor and the lowest error
  within 100 times the predicted one. Where the truncation term is zero (a
  polynomial the stencil is exact for, such as x**2 with central
  differences) the curve is all rounding, the best h is the largest, and
  the row checks instead that the errors stay within 100 times the rounding
  model at every step; likewise where the rounding does not grow (f
  evaluated exactly at the point, as sin at 0).
- ``order``: the log-log slope over the truncation-dominated range against
  the expected order, within 0.5: the method's nominal order, or higher
  where the leading derivative vanishes at the point (then the row says so).

Complex step has no rounding valley (no subtraction: its error falls to a
floor of about u |f'| and stays there), so it gets the ``order`` row only.
"""
from __future__ import annotations

import math
from dataclasses import replace

import mpmath
import numpy as np

from verify.bounds import model as error_models
from verify.numeric import curves
from verify.checks.compare import (Valley, error_row, inconclusive_row, judge_best_h, judge_order,
                                   located, skip_row, where)
from verify.numeric.differences import unit_roundoff
from verify.exact import balls
from verify.exact.derivatives import along, at_point, digits_at
from verify.exact.precision import until_stable
from verify.exact.symbolic import evaluate_safely, exact_function
from verify.bounds.kinks import differentiable_switch, point_problem
from verify.core.functions import is_analytic
from verify.bounds.tangent_rounding import first_partial_rounding
from verify.bounds.rounding import running_error
from verify.checks.curve_steps import finite_steps
from verify.checks.common import dtype_of, numeric_function

FALLBACK_ULPS = 4.0  # rounding of f in units of u|f| where verify.bounds.rounding has no rule
MIN_STEPS = 10       # fewer finite steps than this: no curve


def _name(prefix, variables, variable):
    return prefix if len(variables) == 1 else f"{prefix}[{variable}]"


def _ordinal(k):
    return {1: "f'", 2: "f''", 3: "f'''"}.get(k, f"f^({k})")


def run_error_curve(case, check, options, artifacts):
    base = where(case, check.name, check.line)
    try:
        hs = curves.steps(check.option("h_min").float64, check.option("h_max").float64,
                          check.option("num"))
    except ValueError as exc:
        return [error_row(base, str(exc))]
    engine = exact_function(case)
    dtype = dtype_of(case)
    setting = dict(engine=engine, hs=hs, dtype=dtype, u=unit_roundoff(dtype),
                   f=numeric_function(engine, dtype), analytic=is_analytic(engine.expression),
                   methods=check.option("methods"), dps=check.option("dps"))
    rows = []
    for point in case.points:
        problem = point_problem(engine, point)
        if problem and problem == differentiable_switch(engine, point):
            # the derivatives exist, but every curve straddles the switch: not judged
            rows.extend(skip_row(base, problem, method=m, point=case.label(point),
                                 quantity=_name("best_h", case.variables, v))
                        for v in case.variables for m in check.option("methods"))
            continue
        for index, variable in enumerate(case.variables):
            rows.extend(_curves_at(case, base, point, index, variable, problem, setting,
                                   artifacts))
    return rows


def _curves_at(case, base, point, index, variable, problem, s, artifacts):
    engine, hs, dps, u = s["engine"], s["hs"], s["dps"], s["u"]
    label = case.label(point)
    names = (_name("best_h", case.variables, variable), _name("order", case.variables, variable))
    orders = tuple(1 if k == index else 0 for k in range(len(case.variables)))
    reason = problem or evaluate_safely(engine, orders, point)[1]
    if reason:
        return [error_row(base, reason, method=m, quantity=names[0], point=label)
                for m in s["methods"]]
    line = along(engine, point, index)
    # f' by a ball series where one proves the digits: SymPy's derivative and its
    # printing cost more than the rest of a curve's exact side
    exact = None if line is None else digits_at(line, engine.symbols[index], point[index], 1,
                                                dps + 10)
    if exact is None:  # recomputed with more digits until they settle (see until_stable)
        derivative = engine.compiled(orders)

        def at(digits):
            with mpmath.workdps(digits):
                return mpmath.re(derivative.mp(*[p.mp(digits) for p in point]))
        exact = until_stable(at, start=dps + 10)
    compiled = engine.compiled(tuple(0 for _ in orders))
    value_fn = compiled.mp
    with mpmath.workdps(dps):
        coordinates = [p.mp(dps) for p in point]
    bits = int((dps + 10) * 3.33) + 10
    ball_fn = compiled.ball(bits)

    def g(t):
        args = list(coordinates)
        args[index] = t
        if ball_fn is not None:
            value = _by_ball(ball_fn, args, bits, dps)
            if value is not None:
                return value
        return value_fn(*args)

    deepest = max(1 + error_models.nominal_order(m) + error_models.EXTRA_TERMS
                  for m in s["methods"])
    try:
        derivatives = at_point(engine, point, index, deepest)
    except (ArithmeticError, ValueError, TypeError) as exc:
        return [error_row(base, f"the higher derivatives behind the error model could not be "
                                f"evaluated at {label} ({exc})", method=m, quantity=names[0],
                          point=label) for m in s["methods"]]
    floats = [p.float64 for p in point]
    value_error = _rounding(engine.expression, engine, floats, u,
                            abs(float(derivatives[0] or 0)))
    all_steps, hs = hs, finite_steps(engine, s["f"], floats, index, hs, s["methods"])
    if len(hs) < MIN_STEPS:
        return [skip_row(base, f"the function is not finite in float64 (or an intermediate "
                               f"overflows) within {all_steps[0]:.3g} of the point, so there "
                               "is no curve to draw: lower h_min", method=m, quantity=names[0],
                         point=label) for m in s["methods"]]
    capped = "" if len(hs) == len(all_steps) else (
        f"steps above {hs[-1]:.3g} left out: there the stencil reaches where the function or "
        "an intermediate is not finite in float64 (or f(x + ih) of complex step is huge)")
    exact_side = curves.ExactArithmetic(g, coordinates[index], hs, dps)
    # the methods' models are proven on the same ball series (up to the deepest one's order)
    expansions = balls.SharedExpansions(line, engine.symbols[index], max(
        error_models.proof_order(m) for m in s["methods"])) if line is not None else None
    rows, drawn = [], []
    for method in s["methods"]:
        cell = dict(method=method, point=label)
        if method == "complex_step" and not s["analytic"]:
            rows.append(skip_row(base, "complex step needs an analytic function; piecewise ones "
                                       "(abs, Max, Min, where, relu, ...) are not (it is not "
                                       "applicable here)",
                                 quantity=names[1], **cell))
            continue
        derivative_error = _tangent_rounding(engine, floats, index, u, abs(float(exact))) \
            if method == "complex_step" else 0.0
        model = error_models.error_model(method, derivatives, value_error=value_error,
                                         derivative_error=derivative_error, unit_roundoff=u,
                                         coordinate=floats[index])
        e64 = curves.float_errors(curves.float_quotients(s["f"], floats, index, method, hs,
                                                         dtype=s["dtype"]), exact)
        emp = exact_side.errors(method, exact)
        cut = "" if exact_side.cut_above is None else (
            f"the exact side was cut short above h = {float(exact_side.cut_above):.3g} after "
            f"{curves.EXACT_SECONDS:g} s (its values need ever more digits there)")
        if line is not None and s["analytic"]:
            # (near a switch the model is not bounded: a kink in reach is a failure to show)
            model = replace(model, holds_below=error_models.holds_below(
                model, method, line, engine.symbols[index], point[index], hs,
                expansions=expansions))
        curve = curves.analyse(method, hs, e64, emp, model,
                               nominal=error_models.nominal_order(method))
        if model.unsure:
            rows.extend(inconclusive_row(base, f"inconclusive: {model.unsure}", quantity=q, **cell)
                        for q in names[method == "complex_step":])
        else:
            if method != "complex_step":
                rows.append(_best_h_row(base, curve, names[0], cell, capped))
            rows.append(_order_row(base, curve, names[1], cell, "; ".join(filter(None, [capped,
                                                                                      cut]))))
        artifacts.add_rows("curves", [
            {"case": case.id, "method": method, "h": h, "error_float64": a,
             "error_exact_arithmetic": b, "point": label, "variable": variable}
            for h, a, b in zip(hs.tolist(), _list(e64), _list(emp))])
        drawn.append(_figure_entry(curve, rows[-2:] if method != "complex_step" else rows[-1:]))
    if drawn:
        title = f"{case.name}: error against h, d/d{variable} at {label}"
        artifacts.add_figure("error_curve", title, {
            "variable": variable, "point": label, "dtype": np.dtype(s["dtype"]).name,
            "dps": dps, "h_min": float(hs[0]), "h_max": float(hs[-1]), "methods": drawn})
    return rows


def _by_ball(ball_fn, args, bits, dps):
    """f at ``args`` (mpmath numbers, exact) as the midpoint of a ball at ``bits``,
    when its radius proves ``dps`` digits; else None, and mpmath evaluates it (a
    point outside the domain, or a value whose digits the ball cannot prove).

    A complex argument (the complex step's x + ih) gives a complex ball, whose
    imaginary part, the one the quotient reads, must prove the digits; its
    real part need only be finite."""
    complex_step = any(isinstance(a, mpmath.mpc) for a in args)
    for working in (bits, 4 * bits):  # a value that cancels may need more bits
        with balls.precision_bits(working):
            try:
                if complex_step:
                    value = ball_fn(*[balls.to_acb(a) for a in args])
                    if not isinstance(value, balls.acb) or not value.real.is_finite():
                        return None
                    part = value.imag
                else:
                    value = part = ball_fn(*[balls.to_arb(a) for a in args])
            except (ArithmeticError, ValueError, TypeError, balls.NoBall):
                return None
            if not part.is_finite():
                return None
            proven = balls.proven(part, dps)
            if proven is not None:
                return mpmath.mpc(balls.midpoint(value.real), proven) if complex_step \
                    else proven
    return None


def _tangent_rounding(engine, floats, index, u, magnitude):
    """The complex step's rounding, as its bound takes it
    (:func:`verify.bounds.tangent_rounding.first_partial_rounding`); where no
    rule gives a finite bound, FALLBACK_ULPS units of u |f'| (``magnitude``)."""
    try:
        bound = first_partial_rounding(engine, floats, index, u)
        if np.isfinite(bound):
            return bound
    except (ValueError, TypeError, KeyError):
        pass
    return FALLBACK_ULPS * u * magnitude


def _rounding(expr, engine, floats, u, magnitude):
    """Running error bound of ``expr`` at the point (:mod:`verify.bounds.rounding`);
    where it has no rule, FALLBACK_ULPS units of u |expr| (``magnitude``)."""
    try:
        _, errors = running_error(expr, engine.variables, np.array([floats]), u, engine.data)
        bound = float(errors[0])
        if np.isfinite(bound):
            return bound
    except (ValueError, TypeError, KeyError):
        pass
    return FALLBACK_ULPS * u * magnitude


def _best_h_row(base, curve, quantity, cell, capped=""):
    model = curve.model
    unproven = _beyond_model(curve)
    if unproven:
        return inconclusive_row(base, f"inconclusive: {unproven}", quantity=quantity, h=curve.observed_h,
                                numeric=curve.observed_h, exact=curve.predicted_h,
                                bound_kind="model", **cell)
    context = capped
    excess = None
    if curve.valley == "exact":
        context = ("the model has no truncation term here (the derivatives it needs vanish at "
                   "the point), so it is all rounding and its best h is the largest")
        excess = curve.excess if curve.excess is not None else float("inf")
    elif curve.valley == "flat":
        context = ("the rounding term does not grow as h shrinks here (f is evaluated without "
                   "rounding at the point), so the error falls to a floor: no valley, any h "
                   "below the knee is best")
        excess = curve.excess if curve.excess is not None else float("inf")
    if curve.valley == "exact" or curve.valley == "flat":
        context = "; ".join(filter(None, [capped, context]))
    elif curve.valley == "below":
        context = f"the model's valley ({model.best_h:.3g}) lies below h_min: compared at h_min"
    elif curve.valley == "above":
        context = f"the model's valley ({model.best_h:.3g}) lies above h_max: compared at h_max"
    if model.truncation > 0 and model.derivative != 1 + curve.nominal:
        context = "; ".join(filter(None, [context, _vanishing(model, curve)]))
    return judge_best_h(located(base, quantity=quantity, **cell),
                        observed=Valley(curve.observed_h, curve.observed_error, curve.floor),
                        predicted=Valley(curve.predicted_h, curve.predicted_error,
                                         curve.predicted_floor),
                        excess=excess, within=curve.excess, context=context)


def _beyond_model(curve) -> str:
    """Why the model cannot judge the best h ("" when it can): its valley, or
    for a curve without a valley every step, lies where the model is not
    proven to hold."""
    model = curve.model
    where = (f"the function changes too much over the stencil above h = {model.holds_below:.3g} "
             "for the model's Taylor term at the point to hold there")
    if curve.valley in ("exact", "flat"):
        return "" if curve.excess is not None or math.isinf(model.holds_below) else \
            f"{where}, and the curve has no step below it"
    if curve.predicted_h > model.holds_below:
        return f"{where}, and the model's valley ({curve.predicted_h:.3g}) lies above it"
    return ""


def _vanishing(model, curve):
    leading = 1 + curve.nominal
    return (f"{_ordinal(leading)} vanishes at the point, so {_ordinal(model.derivative)} "
            f"sets the truncation term (h^{model.power})")


def _order_row(base, curve, quantity, cell, capped=""):
    model = curve.model
    context = f"nominal order {curve.nominal}"
    if model.truncation > 0 and model.power != curve.nominal:
        context = (f"nominal order {curve.nominal}; {_ordinal(1 + curve.nominal)} vanishes at the "
                   f"point, so the leading error term is h^{model.power}")
    if curve.method == "complex_step":
        context += "; complex step has no rounding valley: its error falls to a floor of " \
                   f"about {model.rounding + model.floor:.3g} and stays there"
    if capped:
        context += f"; {capped}"
    return judge_order(located(base, quantity=quantity, **cell), slope=curve.slope,
                       expected=model.power, window=curve.window,
                       reason=curve.notes[0] if curve.notes else "", context=context)


def _list(values):
    """Floats with None for NaN and infinity (plain data for CSV and figures)."""
    values = np.asarray(values, dtype=float)
    return [v if ok else None for v, ok in zip(values.tolist(), np.isfinite(values).tolist())]


def _figure_entry(curve, rows):
    """Plain lists for the report (they cross process boundaries)."""
    model = curve.model
    return {
        "method": curve.method, "nominal": curve.nominal, "expected": model.power,
        "h": _list(curve.h), "float64": _list(curve.float64),
        "exact_arithmetic": _list(curve.exact_arithmetic), "model": _list(model.error(curve.h)),
        "observed": [curve.observed_h, curve.observed_error] if curve.observed_h else None,
        "floor": list(curve.floor) if curve.floor else None,
        "predicted": [curve.predicted_h, curve.predicted_error]
        if curve.method != "complex_step" else None,
        "valley": curve.valley, "slope": curve.slope,
        "window": list(curve.window[:2]) if curve.window else None,
        "status": "fail" if any(r.status == "fail" for r in rows) else
                  "error" if any(r.status == "error" for r in rows) else "pass",
    }
