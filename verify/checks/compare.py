"""The comparator: the one place that decides pass, fail, error or skip.

A numeric value passes when its error is within the bound theory predicts
(:mod:`verify.bounds.predicted`), or within the case's ``tolerance`` when it has one.
A bound that is not finite, or at least |exact|, cannot tell right from
wrong: such a comparison is ``inconclusive`` (CASES.md v1.1), never a pass.
A hand-written expectation passes when it equals the exact value (integers
and exact strings), or when the exact value rounds to it at its last
written digit (decimals), CASES.md "Expectations". NaN and infinity never
pass anything.
"""
from __future__ import annotations

import math

import mpmath

from dataclasses import dataclass

from verify.core.result import COLUMNS, Result  # noqa: F401 - the comparator's rows
from verify.core.status import Status
from verify.exact.precision import number_text

EXACT_EQUALITY = mpmath.mpf("1e-25")  # relative: "equal" for exact expectations
# Below the smallest normal float64 a value keeps no relative precision: an
# exact derivative of 1e-1318 is 0.0 to every method, by underflow, not by error.
UNDERFLOW = 2.0 ** -1022





def where(case, check: str, line: int | None = None) -> dict:
    """The columns that locate a row of ``case``."""
    return {"file": case.file, "case": case.name, "check": check,
            "line": line or case.line, "case_id": case.id}


def located(base: dict, *, method: str = "", quantity: str = "", point: str = "") -> dict:
    """The location columns of one row: the case's (:func:`where`) and what it compares."""
    return dict(base, method=method, quantity=quantity, point=point)


@dataclass(frozen=True)
class Allowance:
    """A stated bound for :func:`judge_within`: how far a value may be from the
    exact one, its kind (``rigorous``, ``estimate``, ``xtol``) and how it was
    obtained; it answers as the predicted bounds do (``total``, ``kind``, ``describe``)."""

    total: float
    kind: str
    detail: str

    def describe(self) -> str:
        return self.detail


def _errors(exact, numeric):
    abs_error = abs(numeric - exact)
    # relative to exact 0: 0 for a perfect match, undefined otherwise
    rel_error = abs_error / abs(exact) if exact != 0 else (0 if abs_error == 0 else None)
    return float(abs_error), (float(rel_error) if rel_error is not None else None)


def vacuous(allowed, exact) -> bool:
    """True when a bound cannot tell a right value from a wrong one (CASES.md
    v1.1): it is not finite, or at least |exact| with exact not 0 (0 itself
    would then be within it)."""
    return not math.isfinite(allowed) or (exact != 0 and allowed >= abs(exact))


def _inconclusive(row, allowed, kind, detail, exact, hint, note):
    """The row of a vacuous comparison; ``hint()`` may name what would be conclusive."""
    if math.isfinite(allowed):
        why = (f"the {kind} bound {allowed:.3g} is at least |exact| {abs(float(exact)):.3g}, "
               "so it cannot tell a right value from a wrong one")
    else:
        why = "there is no finite error bound here, so nothing can be judged"
    suggestion = (hint() if hint else "") or ""
    message = "; ".join(x for x in (f"inconclusive: {why} ({detail})", suggestion, note) if x)
    return Result(**row, tolerance=allowed, bound_kind=kind, status="inconclusive",
                  message=message)


def judge_numeric(at: dict, *, exact, difference, bound, tolerance=None, hint=None) -> Result:
    """Compare a numerical derivative with the exact value; ``at`` holds the
    row's location columns (:func:`located`).

    Without a tolerance, a vacuous bound (:func:`vacuous`) gives
    ``inconclusive`` unless the error exceeds even that bound (a rigorous
    bound exceeded is a fail); ``hint()``, called only then, says which
    step or method would be conclusive.

    Examples
    --------
    >>> import mpmath
    >>> from verify.bounds.predicted import Bound
    >>> from verify.numeric.differences import Difference
    >>> at = located({"file": "f.yaml", "case": "c", "check": "derivative"},
    ...              method="central", quantity="d/dx", point="x=1")
    >>> bound = Bound(1e-9, 5e-10, 5e-10, 0.0, "rigorous")
    >>> judge_numeric(at, exact=mpmath.cos(1), bound=bound,
    ...               difference=Difference(0.5403023058, 1e-5, "central", 1)).status
    <Status.PASS: 'pass'>
    >>> judge_numeric(at, exact=mpmath.cos(1), bound=bound,
    ...               difference=Difference(0.5403, 1e-5, "central", 1)).status
    <Status.FAIL: 'fail'>
    """
    row = dict(at, h=difference.h, exact=float(exact))
    if not difference.ok:
        reason = difference.note or "the numeric value is not finite"
        if not difference.applied:
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
        if math.isfinite(allowed):
            allowed = max(allowed, UNDERFLOW)
    note = difference.note
    if tolerance is None and vacuous(allowed, exact) and not abs_error > allowed:
        return _inconclusive(row, allowed, kind, detail, exact, hint, note)
    if not math.isfinite(allowed):  # a tolerance of infinity: a case's own choice
        return Result(**row, tolerance=allowed, bound_kind=kind, status="error",
                      message=f"no finite error bound here ({detail})")
    passed = abs_error <= allowed
    message = note if passed else (
        f"error {abs_error:.3g} exceeds the {kind} {detail}" + (f"; {note}" if note else ""))
    return Result(**row, tolerance=allowed, bound_kind=kind,
                  status="pass" if passed else "fail", message=message)


def judge_expectation(base: dict, *, quantity, point, expected, exact, tolerance=None,
                      float64_bound=0.0) -> Result:
    """Compare a hand-written expectation (a Value) with the exact value (mpf).

    ``float64_bound`` is the float64 rounding bound of evaluating this
    quantity of the case at the point; it judges a number written with 16
    or 17 significant digits, read as a float64 printout (CASES.md v1.1).
    """
    written = expected.mp(60)
    difference = abs(written - exact)
    abs_error, rel_error = _errors(exact, written)
    row = dict(base, method="exact", quantity=quantity, point=point, exact=float(exact),
               numeric=float(written), abs_error=abs_error, rel_error=rel_error)
    allowed, kind = expectation_allowance(expected, exact, tolerance, float64_bound)
    printout = (f"judged as a float64 result ({expected.significant_digits} significant "
                f"digits): within the float64 rounding bound plus half an ulp, "
                f"{float(allowed):.3g}")
    if difference <= allowed:
        return Result(**row, tolerance=float(allowed), bound_kind=kind, status="pass",
                      message=printout if kind == FLOAT64_KIND else "")
    shown = number_text(exact, 17)
    why = {"written digits": f"the written digits allow {float(allowed):.3g}",
           "tolerance": f"the tolerance allows {float(allowed):.3g}",
           FLOAT64_KIND: printout.replace("within", "allowed:", 1)}.get(
        kind, "an exact expectation must be equal")
    return Result(**row, tolerance=float(allowed), bound_kind=kind, status="fail",
                  message=f"expected {expected.text} but the exact value is {shown} "
                          f"(differs by {float(difference):.3g}; {why})")


FLOAT64_KIND = "float64 result"


def half_ulp(value) -> float:
    """Half the spacing of float64 numbers at ``value`` (at least the smallest subnormal)."""
    nearest = abs(float(value)) if math.isfinite(float(value)) else 0.0
    return max(math.ulp(nearest) / 2, 5e-324)


def expectation_allowance(expected, exact, tolerance=None, float64_bound=0.0):
    """How far the exact value may be from a written expectation, and by which rule:
    ``(allowed, kind)`` with kind ``tolerance``, ``float64 result`` (16 or 17
    significant digits), ``written digits`` or ``exact``."""
    if tolerance is not None:
        return tolerance.allows(float(exact)), "tolerance"
    if expected.is_float64_printout:
        allowed = float64_bound + half_ulp(exact)
        return max(allowed, float(expected.half_unit)), FLOAT64_KIND
    if expected.half_unit is not None:
        return float(expected.half_unit), "written digits"
    return float(EXACT_EQUALITY * max(1, abs(exact))), "exact"


# error_curve: the observed curve against its model (CASES.md `error_curve`)
CURVE_H_FACTOR = 10.0       # observed best h within this factor of the predicted one
CURVE_ERROR_FACTOR = 100.0  # observed minimum error at most this times the predicted one
VALLEY_SLACK = 2.0          # (error ratio) x (h factor) of a valley moved down by low rounding
ORDER_TOLERANCE = 0.5       # fitted log-log slope within this of the expected order


@dataclass(frozen=True)
class Valley:
    """The best step of an error curve (or of its model), its error, and its
    ``floor``: (h_lo, h_hi) of the steps around it whose error is nearly as
    low (None: the best step alone)."""

    h: float | None
    error: float | None
    floor: tuple | None = None

    @property
    def span(self) -> tuple:
        return self.floor or (self.h, self.h)


def judge_best_h(at: dict, *, observed: Valley, predicted: Valley, excess=None,
                 within=None, context="") -> Result:
    """The observed best step of an error curve against the model's.

    Passes when the predicted best h is within CURVE_H_FACTOR of the
    observed valley's floor and the observed minimum error is at most
    CURVE_ERROR_FACTOR times the predicted one. A too-low observed error
    never fails: the rounding term is a bound, the observed rounding is
    usually smaller. With ``excess`` given (the model has no valley), the
    curve must instead stay within CURVE_ERROR_FACTOR times its model at
    every step. A predicted floor (where the model's valley lies past an end
    of the range and its curve is flat up to a knee) stands for the predicted
    best h: the two floors must then come within CURVE_H_FACTOR of each other.
    ``within`` (the largest ratio of the smoothed curve to its model) makes a
    misplaced valley inconclusive instead of failing when the curve stays
    within CURVE_ERROR_FACTOR of the model at every step and its lowest error
    is below the predicted one: the model bounds the rounding from above
    only, so a curve under it (f(x + h) and f(x - h) that cancel exactly, as
    at x = 1e-88 where both nodes round to +-h) places no valley.
    """
    row = dict(at, h=observed.h, exact=predicted.h, numeric=observed.h,
               tolerance=CURVE_H_FACTOR, bound_kind="model")
    if observed.h is None or observed.error is None:
        return Result(**row, status="error",
                      message="no finite error anywhere on the curve (NaN or infinity never passes)")
    low, high = observed.span
    flat = f"; its floor spans {low:.3g} to {high:.3g}" if high > low else ""
    seen = (f"observed best h {observed.h:.3g} (error {observed.error:.3g}{flat}) vs predicted "
            f"{predicted.h:.3g} (error {predicted.error:.3g})")
    context = f"; {context}" if context else ""
    if excess is not None:
        if excess <= CURVE_ERROR_FACTOR:
            return Result(**row, status="pass",
                          message=f"{seen}{context}; the errors stay within {excess:.3g} x the "
                                  f"model (allowed {CURVE_ERROR_FACTOR:g})")
        return Result(**row, status="fail",
                      message=f"the curve does not follow its model: the errors reach "
                              f"{excess:.3g} x the model (allowed {CURVE_ERROR_FACTOR:g}); {seen}"
                              f"{context}: a non-smooth point nearby or a wrong stencil")
    if not math.isfinite(predicted.error):
        # a derivative the model needs overflows: its curve is infinite everywhere,
        # and its "floor" the whole range, which any valley would fall in
        return Result(**row, status="inconclusive",
                      message=f"inconclusive: {seen}: the model's error is not finite here (a "
                              f"derivative it needs overflows), so it places no valley{context}")
    model_low, model_high = predicted.span
    if model_high > model_low:
        seen += f"; the model's floor spans {model_low:.3g} to {model_high:.3g}"
    factor = low / model_high if model_high < low else model_low / high \
        if model_low > high else 1.0
    ratio = observed.error / predicted.error if predicted.error > 0 else math.inf
    if factor <= CURVE_H_FACTOR and ratio <= CURVE_ERROR_FACTOR:
        return Result(**row, status="pass",
                      message=f"{seen}: within a factor {CURVE_H_FACTOR:g} in h and "
                              f"{CURVE_ERROR_FACTOR:g} in error{context}")
    if model_low > high and ratio * factor <= VALLEY_SLACK:
        # the rounding term is a bound: rounding r times below it moves the valley
        # down by r^(1/(n+p)) in h and r^(p/(n+p)) in error (p >= 1: the error falls
        # at least as much as h), which the model allows but cannot place
        return Result(**row, status="inconclusive",
                      message=f"inconclusive: {seen}: the valley lies a factor {factor:.3g} below "
                              "the predicted step and lower than predicted, as when the "
                              "rounding stays below its bound (the model bounds it from above "
                              f"only, so it cannot place the valley){context}")
    if within is not None and within <= CURVE_ERROR_FACTOR and ratio <= 1:
        return Result(**row, status="inconclusive",
                      message=f"inconclusive: {seen}: the valley lies a factor {factor:.3g} from "
                              f"the predicted one, but the curve stays within {within:.3g} x its "
                              f"model at every step (allowed {CURVE_ERROR_FACTOR:g}) and lower "
                              "than predicted: the model bounds the rounding from above only, so "
                              f"it cannot place the valley{context}")
    return Result(**row, status="fail",
                  message=f"the curve does not follow its model: {seen}, a factor {factor:.3g} "
                          f"in h (allowed {CURVE_H_FACTOR:g}) and {ratio:.3g} x the error "
                          f"(allowed {CURVE_ERROR_FACTOR:g}){context}: a non-smooth point "
                          "nearby or a wrong stencil")


def judge_order(at: dict, *, slope, expected, window=None, reason="", context="") -> Result:
    """A fitted convergence order (log-log slope) against the expected order."""
    row = dict(at, exact=float(expected), tolerance=ORDER_TOLERANCE, bound_kind="order")
    if slope is None:
        return Result(**row, status="skip", message=f"no order to fit: {reason}")
    if not math.isfinite(slope):
        return Result(**row, numeric=slope, status="error",
                      message="the fitted slope is not finite (NaN or infinity never passes)")
    difference = abs(slope - expected)
    fitted = (f"slope {slope:.3g} fitted over h from {window[0]:.3g} to {window[1]:.3g} "
              f"({window[2]} steps)") if window else f"slope {slope:.3g}"
    row.update(h=window[0] if window else None, numeric=slope, abs_error=difference)
    context = f"; {context}" if context else ""
    if difference <= ORDER_TOLERANCE:
        return Result(**row, status="pass",
                      message=f"{fitted}, order {expected} expected{context}")
    return Result(**row, status="fail",
                  message=f"the observed order does not match: {fitted}, but order {expected} "
                          f"expected (allowed {ORDER_TOLERANCE:g}){context}: a non-smooth point "
                          "nearby or a wrong stencil")


def judge_within(at: dict, *, exact, numeric, bound: Allowance, tolerance=None, h=None, note="",
                 hint=None) -> Result:
    """Compare a value (float or mpf, e.g. a partial sum in exact arithmetic)
    with the exact value against a stated bound (an :class:`Allowance`). The
    error is taken before rounding ``numeric`` to the float shown in the row.
    A vacuous bound gives ``inconclusive``, as in :func:`judge_numeric`."""
    allowed, kind, detail = bound.total, bound.kind, bound.describe()
    row = dict(at, h=h, exact=float(exact))
    with mpmath.workdps(60):  # an mpf numeric keeps its digits
        numeric = mpmath.mpf(numeric)
        if not mpmath.isfinite(numeric):
            return Result(**row, numeric=float(numeric), status="error",
                          message="the numeric value is not finite (NaN or infinity never passes)"
                                  + (f"; {note}" if note else ""))
        abs_error, rel_error = _errors(exact, numeric)
    row.update(numeric=float(numeric), abs_error=abs_error, rel_error=rel_error)
    if tolerance is not None:
        allowed, kind = tolerance.allows(float(exact)), "tolerance"
        detail = f"tolerance atol {tolerance.atol:g} + rtol {tolerance.rtol:g} * |exact|"
    if tolerance is None and vacuous(allowed, exact) and not abs_error > allowed:
        return _inconclusive(row, float(allowed), kind, detail, exact, hint, note)
    if not math.isfinite(allowed):
        return Result(**row, tolerance=allowed, bound_kind=kind, status="error",
                      message=f"no finite error bound here ({detail})" + (f"; {note}" if note else ""))
    passed = abs_error <= allowed
    message = note if passed else (
        f"error {abs_error:.3g} exceeds the {kind} {detail}" + (f"; {note}" if note else ""))
    return Result(**row, tolerance=float(allowed), bound_kind=kind,
                  status="pass" if passed else "fail", message=message)


def judge_outcome(at: dict, *, observed: str, expected: str | None, exact=None, numeric=None,
                  note="") -> Result:
    """A classified run (``converged``, ``diverged``, ``unconverged``): it passes
    when it is what ``expected`` says, or, with no expectation, when it converged."""
    row = dict(at, exact=None if exact is None else float(exact),
               numeric=None if numeric is None else float(numeric), bound_kind="outcome")
    if exact is not None and numeric is not None and math.isfinite(float(numeric)):
        row["abs_error"], row["rel_error"] = _errors(mpmath.mpf(exact), mpmath.mpf(numeric))
    wanted = expected or "converged"
    if observed == wanted:
        return Result(**row, status="pass", message=f"{observed}; {note}" if note else observed)
    why = f"expected '{expected}'" if expected else "no outcome was given, so the run should converge"
    return Result(**row, status="fail",
                  message=f"the run {observed} ({why})" + (f"; {note}" if note else ""))


def error_row(base: dict, message: str, **columns) -> Result:
    return Result(**dict(base, **columns), status="error", message=message)


def skip_row(base: dict, message: str, **columns) -> Result:
    return Result(**dict(base, **columns), status="skip", message=message)


def inconclusive_row(base: dict, message: str, **columns) -> Result:
    """A comparison that ran but cannot tell a right value from a wrong one."""
    return Result(**dict(base, **columns), status="inconclusive", message=message)


# Rows whose distance is what the check studies, not an error of a computed
# value against its exact counterpart: a descent run's end point (it may be
# meant to diverge), an error curve's best h and fitted order, and a Taylor
# partial sum's remainder. Headline error figures leave them out.
NOT_AN_ERROR_KINDS = frozenset({"outcome", "model", "order"})
NOT_AN_ERROR_METHODS = frozenset({"partial_sum"})


def is_error_figure(row) -> bool:
    """A judged (pass or fail) comparison of like quantities, with a relative error."""
    return (row.rel_error is not None and row.status in (Status.PASS, Status.FAIL)
            and row.bound_kind not in NOT_AN_ERROR_KINDS
            and row.method not in NOT_AN_ERROR_METHODS)


def worst_rel_error(rows):
    """The largest relative error among the rows that :func:`is_error_figure`, or None."""
    judged = [r.rel_error for r in rows if is_error_figure(r)]
    return max(judged) if judged else None


def judge_agreement(base: dict, *, quantity, point, exact, answers, note="") -> Result:
    """Exact against several answers for one quantity; name the odd one out.

    ``answers`` holds ``(name, value, allowed, problem)``: a value (float, or
    mpf for a written expectation), how far from the exact value it may be,
    and what it means when it alone disagrees ("a backprop graph problem").
    Each answer agrees with the exact value when within ``allowed``; two
    answers agree with each other when within the sum of their allowances.
    """
    with mpmath.workdps(60):  # a written expectation may hold more digits than a float
        return _agreement(base, quantity, point, exact, answers, note)


def _agreement(base, quantity, point, exact, answers, note):
    def finite(value):
        return mpmath.isfinite(mpmath.mpf(value))

    unbounded = [n for n, _, a, _ in answers if a is None or not math.isfinite(float(a))]
    if unbounded:  # no bound to judge by: neither an agreement nor a disagreement
        values = "; ".join([f"exact {number_text(exact, 17)}"] + [
            f"{n} {number_text(mpmath.mpf(v), 17)}" for n, v, _, _ in answers])
        return Result(**dict(base, method="three-way", quantity=quantity, point=point,
                             exact=float(exact), bound_kind="agreement"), status="inconclusive",
                      message=f"inconclusive: no finite error bound for {', '.join(unbounded)} "
                              f"here, so the answers cannot be judged; {values}"
                              + (f" ({note})" if note else ""))
    agrees = [finite(v) and abs(mpmath.mpf(v) - exact) <= a for _, v, a, _ in answers]
    listing = "; ".join([f"exact {number_text(exact, 17)}"] + [
        f"{n} {number_text(mpmath.mpf(v), 17)} ({'within' if ok else 'beyond'} {float(a):.3g})"
        for (n, v, a, _), ok in zip(answers, agrees)])
    odd = [answer for answer, ok in zip(answers, agrees) if not ok]
    shown = odd[0] if odd else answers[0]
    row = dict(base, method="three-way", quantity=quantity, point=point, exact=float(exact),
               numeric=float(shown[1]), tolerance=float(shown[2]), bound_kind="agreement")
    if finite(shown[1]):
        row["abs_error"], row["rel_error"] = _errors(exact, mpmath.mpf(shown[1]))
    suffix = f" ({note})" if note else ""
    if not odd:
        names = ", ".join(n for n, _, _, _ in answers)
        loose = [n for n, _, a, _ in answers if vacuous(float(a), exact)]
        if loose:
            return Result(**row, status="inconclusive",
                          message=f"inconclusive: the bound of {', '.join(loose)} is at least "
                                  f"|exact|, so agreement cannot tell right from wrong; {listing}"
                                  f"{suffix}")
        return Result(**row, status="pass", message=f"exact, {names} agree{suffix}")
    numeric = [(n, mpmath.mpf(v), a) for n, v, a, _ in answers if finite(v)]
    together = len(numeric) == len(answers) >= 2 and all(
        abs(v1 - v2) <= a1 + a2 for i, (_, v1, a1) in enumerate(numeric)
        for _, v2, a2 in numeric[i + 1:])
    if len(odd) == 1 and len(answers) >= 2:
        name, _, _, problem = odd[0]
        message = f"{name} is the odd one out: {problem}; {listing}"
    elif together:
        message = f"the exact value is the odd one out (the others agree with each other); {listing}"
    elif len(answers) == 1:
        message = f"{answers[0][0]} disagrees with the exact value; {listing}"
    else:
        message = f"more than one answer disagrees with the exact value; {listing}"
    return Result(**row, status="fail", message=message + suffix)
