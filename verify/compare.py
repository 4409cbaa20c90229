"""The comparator: the one place that decides pass, fail, error or skip.

A numeric value passes when its error is within the bound theory predicts
(:mod:`verify.bounds`), or within the case's ``tolerance`` when it has one.
A hand-written expectation passes when it equals the exact value (integers
and exact strings), or when the exact value rounds to it at its last
written digit (decimals), CASES.md "Expectations". NaN and infinity never
pass anything.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, fields

import mpmath

EXACT_EQUALITY = mpmath.mpf("1e-25")  # relative: "equal" for exact expectations

STATUSES = ("pass", "fail", "error", "skip")


@dataclass(frozen=True)
class Result:
    """One row of results.csv; field order is the column order."""

    file: str
    case: str
    check: str
    method: str = ""
    quantity: str = ""
    point: str = ""
    h: float | None = None
    exact: float | None = None
    numeric: float | None = None
    abs_error: float | None = None
    rel_error: float | None = None
    tolerance: float | None = None
    status: str = "pass"
    message: str = ""
    bound_kind: str = ""
    line: int = 0
    case_id: str = ""


COLUMNS = tuple(f.name for f in fields(Result))


def where(case, check: str, line: int | None = None) -> dict:
    """The columns that locate a row of ``case``."""
    return {"file": case.file, "case": case.name, "check": check,
            "line": line or case.line, "case_id": case.id}


def _errors(exact, numeric):
    abs_error = abs(numeric - exact)
    rel_error = abs_error / abs(exact) if exact != 0 else None
    return float(abs_error), (float(rel_error) if rel_error is not None else None)


def judge_numeric(base: dict, *, method, quantity, point, exact, difference, bound,
                  tolerance=None) -> Result:
    """Compare a numerical derivative with the exact value."""
    row = dict(base, method=method, quantity=quantity, point=point, h=difference.h,
               exact=float(exact))
    if not difference.ok:
        reason = difference.note or "the numeric value is not finite"
        if difference.note.startswith("could not be applied"):
            return Result(**row, status="skip", message=reason)
        return Result(**row, numeric=difference.value, status="error",
                      message=f"{reason} (NaN or infinity never passes)")
    abs_error, rel_error = _errors(exact, mpmath.mpf(difference.value))
    row.update(numeric=difference.value, abs_error=abs_error, rel_error=rel_error)
    if tolerance is not None:
        allowed, kind = tolerance.allows(float(exact)), "tolerance"
        detail = f"tolerance atol {tolerance.atol:g} + rtol {tolerance.rtol:g} * |exact|"
    else:
        allowed, kind = bound.total, bound.kind
        detail = bound.describe()
    if not math.isfinite(allowed):
        return Result(**row, tolerance=allowed, bound_kind=kind, status="error",
                      message=f"no finite error bound here ({detail})")
    passed = abs_error <= allowed
    note = difference.note
    message = note if passed else (
        f"error {abs_error:.3g} exceeds the {kind} {detail}" + (f"; {note}" if note else ""))
    return Result(**row, tolerance=allowed, bound_kind=kind,
                  status="pass" if passed else "fail", message=message)


def judge_expectation(base: dict, *, quantity, point, expected, exact, tolerance=None) -> Result:
    """Compare a hand-written expectation (a Value) with the exact value (mpf)."""
    written = expected.mp(60)
    difference = abs(written - exact)
    abs_error, rel_error = _errors(exact, written)
    row = dict(base, method="exact", quantity=quantity, point=point, exact=float(exact),
               numeric=float(written), abs_error=abs_error, rel_error=rel_error)
    if tolerance is not None:
        allowed, kind = tolerance.allows(float(exact)), "tolerance"
    elif expected.half_unit is not None:
        allowed, kind = float(expected.half_unit), "written digits"
    else:
        allowed, kind = EXACT_EQUALITY * max(1, abs(exact)), "exact"
    if difference <= allowed:
        return Result(**row, tolerance=float(allowed), bound_kind=kind, status="pass")
    shown = mpmath.nstr(exact, 17)
    if kind == "written digits":
        why = f"the written digits allow {float(allowed):.3g}"
    elif kind == "tolerance":
        why = f"the tolerance allows {float(allowed):.3g}"
    else:
        why = "an exact expectation must be equal"
    return Result(**row, tolerance=float(allowed), bound_kind=kind, status="fail",
                  message=f"expected {expected.text} but the exact value is {shown} "
                          f"(differs by {float(difference):.3g}; {why})")


def error_row(base: dict, message: str, **columns) -> Result:
    return Result(**dict(base, **columns), status="error", message=message)


def skip_row(base: dict, message: str, **columns) -> Result:
    return Result(**dict(base, **columns), status="skip", message=message)


def exit_status(results) -> int:
    """CASES.md: 2 with any error row, else 1 with any fail, else 0."""
    statuses = {r.status for r in results}
    return 2 if "error" in statuses else 1 if "fail" in statuses else 0
