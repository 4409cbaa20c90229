"""Rows for the hand-written expectations of a case (CASES.md "Expectations").

``value``, ``derivative``, ``gradient`` and ``hessian`` are checked here for
every point; ``taylor``, ``minimum`` and ``adjoint`` belong to the checks
that compute them, and are skipped with a note when the case does not run
that check.
"""
from __future__ import annotations

from verify.checks.common import float64_bound
from verify.checks.compare import error_row, judge_expectation, skip_row, where
from verify.exact.symbolic import exact_function
from verify.bounds.kinks import derivative_at

OWNERS = {"taylor": "taylor", "minimum": "descent", "adjoint": "backprop", "radius": "taylor"}


def _derivative_order(case):
    for check in case.checks:
        if check.name == "derivative":
            return check.option("order")
    return 1


def _float64_bound(case, engine, orders, point, value) -> float:
    """The rounding bound that judges a float64 printout; 0 when there is none
    to compute (the rule then allows half an ulp: stricter, never looser)."""
    if not value.is_float64_printout or case.tolerance is not None:
        return 0.0
    try:
        return float64_bound(case, engine, orders, point)
    except Exception:  # noqa: BLE001 - no bound is the strict answer, not a crash
        return 0.0


def expectation_rows(case):
    if case.outputs:  # a vector-valued function: only expect.jacobian is allowed
        return _jacobian_rows(case)
    expect = case.expect
    engine = exact_function(case)
    size = len(case.variables)
    rows = []
    for index, point in enumerate(case.points):
        label = case.label(point)
        wanted = []
        if expect.value:
            wanted.append(("value", "expect:value", (0,) * size, expect.value[index]))
        if expect.derivative:
            order = _derivative_order(case)
            if size != 1:
                rows.append(error_row(where(case, "expect", expect.line("derivative")),
                                      "'derivative' needs one variable; use 'gradient'",
                                      quantity="expect:derivative", point=label))
            else:
                wanted.append(("derivative", "expect:derivative", (order,), expect.derivative[index]))
        for name, value in expect.gradient[index] if expect.gradient else ():
            orders = tuple(int(v == name) for v in case.variables)
            wanted.append(("gradient", f"expect:grad[{name}]", orders, value))
        if expect.hessian:
            for i, row in enumerate(expect.hessian[index]):
                for j, value in enumerate(row):
                    orders = [0] * size
                    orders[i] += 1
                    orders[j] += 1
                    names = f"{case.variables[i]},{case.variables[j]}"
                    wanted.append(("hessian", f"expect:hess[{names}]", tuple(orders), value))
        for key, quantity, orders, value in wanted:
            base = where(case, "expect", expect.line(key, case.line))
            # at a switch of abs/Max/Min the exact value is the one-sided pieces' common one
            verdict = derivative_at(engine, orders, point)
            exact, reason = verdict.value, verdict.problem
            if reason:
                rows.append(error_row(base, reason, quantity=quantity, point=label, method="exact"))
                continue
            rows.append(judge_expectation(base, quantity=quantity, point=label, expected=value,
                                          exact=exact, tolerance=case.tolerance,
                                          float64_bound=_float64_bound(case, engine, orders,
                                                                       point, value)))
    checks = {c.name for c in case.checks}
    for key, owner in OWNERS.items():
        if getattr(expect, key) and owner not in checks:
            rows.append(skip_row(where(case, "expect", expect.line(key, case.line)),
                                 f"expect.{key} is checked by the '{owner}' check, "
                                 "which this case does not run", quantity=f"expect:{key}"))
    return rows


def _jacobian_rows(case):
    """``expect.jacobian``: each written entry d(output)/d(variable) against the exact one."""
    from dataclasses import replace
    from verify.checks.jacobian import scalar_case
    rows = []
    if not case.expect.jacobian:
        return rows
    base = where(case, "expect", case.expect.line("jacobian", case.line))
    size = len(case.variables)
    for (output, expression), index in zip(case.outputs, range(len(case.outputs))):
        sub = scalar_case(case, expression)
        engine = exact_function(sub)
        for p, point in enumerate(case.points):
            label = case.label(point)
            for j, variable in enumerate(case.variables):
                value = case.expect.jacobian[p][index][j]
                orders = tuple(int(k == j) for k in range(size))
                quantity = f"expect:jac[{output},{variable}]"
                verdict = derivative_at(engine, orders, point)
                if verdict.problem:
                    rows.append(error_row(base, verdict.problem, quantity=quantity, point=label,
                                          method="exact"))
                    continue
                rows.append(judge_expectation(
                    base, quantity=quantity, point=label, expected=value, exact=verdict.value,
                    tolerance=case.tolerance,
                    float64_bound=_float64_bound(replace(sub, tolerance=case.tolerance), engine,
                                                 orders, point, value)))
    return rows
