"""Error against step size: a difference quotient in floating point and in
exact arithmetic, beside the error model theory predicts.

For each step h the float64 quotient errs by truncation (the stencil's
Taylor remainder) plus rounding; evaluated with mpmath at ``dps`` digits
the rounding is gone and only truncation is left. The model of the error
against h is the method's one (:mod:`verify.bounds.model`, shared with the
predicted bound), error(h) ~ T h^p + R / h^n + F, with the proven range
where its leading term rules.

What is read off the float64 curve: the best step is the lowest point of
its running median over about a decade of steps (rounding noise swings
the error by decades from one step to the next, so single steps are
luck), with the valley floor around it (steps within FLOOR times its
error); the order is the log-log slope over the truncation-dominated
steps (truncation at least DOMINANCE times the rounding bound and the
float64 error within AGREEMENT of the exact-arithmetic one), fitted over
FIT_DECADES decades from the smallest of them, where the leading term of
the expansion rules.

The higher derivatives in T come from
:func:`verify.exact.derivatives.at_point`, rigorously, so a derivative is
called zero only when it is, and one no route tells from zero makes the
model claim nothing. The exact f^(n)(x) the errors are measured against
comes from SymPy at ``dps`` + 10 digits.

References
----------
.. [1] Sauer, T. "Numerical Analysis", 2nd ed., sec. 5.1 (rounding and the
   optimal step of difference formulas).
.. [2] Press, W. H. et al. "Numerical Recipes", 3rd ed., sec. 5.7.
.. [3] Squire, W. and Trapp, G. "Using complex variables to estimate
   derivatives of real functions", SIAM Review 40 (1998).
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from fractions import Fraction

import mpmath
import numpy as np

from verify.numeric.stencils import stencil

_NOT_FINITE = (mpmath.libmp.finf, mpmath.libmp.fninf, mpmath.libmp.fnan)

DOMINANCE = 10.0      # truncation at least 10x the rounding bound: truncation-dominated
AGREEMENT = 0.1       # float64 within 10% of exact arithmetic: rounding observed negligible
FIT_DECADES = 1.5     # the slope is fitted over this many decades above the valley
NEXT_TERMS = 0.1      # the later terms of the expansion at most this part of the leading one
MIN_FIT_POINTS = 3
MAX_WINDOW = 101      # steps in the running median (about a decade of them)
FLOOR = 3.0           # the valley floor: steps around the lowest within this factor of it
EXACT_SECONDS = 8.0   # time for the exact side of the curves at one point and variable
EXACT_MAX_DPS = 200   # digits of the exact side at most (its cost grows with them)


@dataclass(frozen=True)
class Curve:
    """One method's error curve, its model and what was observed."""

    method: str
    nominal: int                      # the method's order of accuracy p
    h: np.ndarray
    float64: np.ndarray               # error of the floating-point quotient
    exact_arithmetic: np.ndarray      # error of the same stencil at dps digits
    model: object                     # verify.bounds.model.Model
    observed_h: float | None = None
    observed_error: float | None = None
    floor: tuple | None = None        # (h_lo, h_hi): the valley floor around observed_h
    predicted_h: float | None = None  # inside [h_min, h_max]: the valley or the nearer end
    predicted_error: float | None = None
    predicted_floor: tuple | None = None  # (h_lo, h_hi): the model's floor, valley past an end
    valley: str = "inside"            # see predicted_best
    slope: float | None = None
    window: tuple | None = None       # (h_lo, h_hi, points) of the fitted range
    excess: float | None = None       # largest smoothed error / model over the range
    notes: tuple = field(default=())


def steps(h_min: float, h_max: float, num: int) -> np.ndarray:
    """``num`` log-spaced steps from ``h_min`` to ``h_max``."""
    if not h_min > 0:
        raise ValueError("`h_min` must be positive.")
    if not h_max > h_min:
        raise ValueError("`h_max` must be larger than `h_min`.")
    if num < 2:
        raise ValueError("`num` must be at least 2.")
    return np.geomspace(h_min, h_max, num)


def float_quotients(f, point, index, method, hs, *, order=1, dtype=np.float64):
    """The quotient at every h, in ``dtype`` arithmetic (one vectorised call).

    ``f`` takes points of shape (k, d), as :func:`verify.checks.common.numeric_function`.
    """
    x = np.asarray(point, dtype=dtype).reshape(-1)
    hs = np.asarray(hs, dtype=np.float64)
    with np.errstate(all="ignore"):
        if method == "complex_step":
            complex_type = np.complex128 if np.dtype(dtype) == np.float64 else np.complex64
            points = np.repeat(x[None, :], len(hs), axis=0).astype(complex_type)
            points[:, index] += 1j * hs.astype(dtype)
            return np.imag(np.asarray(f(points))).astype(np.float64) / hs
        st = stencil(method, order)
        points = np.repeat(x[None, :], len(hs) * len(st.nodes), axis=0)
        offsets = (hs[:, None] * st.nodes_array[None, :]).astype(dtype).ravel()
        points[:, index] = points[:, index] + offsets
        values = np.asarray(f(points)).reshape(len(hs), len(st.nodes))
        quotient = values @ st.weights_array.astype(values.dtype) / hs.astype(dtype) ** order
        return quotient.astype(np.float64)


def float_errors(quotients, exact) -> np.ndarray:
    """|quotient - exact| without the rounding of exact to a float."""
    high = float(exact)
    low = float(exact - mpmath.mpf(high))
    with np.errstate(all="ignore"):
        errors = np.abs((np.asarray(quotients) - high) - low)
    errors[~np.isfinite(errors)] = np.nan
    return errors


class ExactArithmetic:
    """The stencils at ``dps`` digits (at most EXACT_MAX_DPS), sharing
    function values between methods, within ``seconds`` in all.

    ``g`` is the function of one mpmath number (the other coordinates fixed),
    ``x`` the point's coordinate at ``dps`` digits. The steps are taken from
    the smallest up; when the time is spent the rest are NaN and
    ``cut_above`` holds the last step computed (near float64 overflow one
    value of f may need thousands of digits: sin(exp(exp(2 x**2))) at 2).
    """

    def __init__(self, g, x, hs, dps, *, seconds=EXACT_SECONDS):
        self.g, self.x, self.dps = g, x, min(dps, EXACT_MAX_DPS)
        self.hs = [mpmath.mpf(float(h)) for h in hs]  # the float steps, exactly
        self._values = {}
        self._deadline = time.monotonic() + seconds
        self.cut_above = None  # the largest step computed, when the time ran out

    def _value(self, s: Fraction, i: int):
        """f(x + s h_i) (None where f is not defined)."""
        key = (float(s), i)  # the nodes are dyadic, so exact; a float hashes faster
        if key not in self._values:
            multiplier = mpmath.mpf(s.numerator) / s.denominator
            self._values[key] = self._safe(self.x + self.hs[i] * multiplier)
        return self._values[key]

    def _in_time(self, i) -> bool:
        if self.cut_above is not None and self.hs[i] > self.cut_above:
            return False
        if time.monotonic() <= self._deadline:
            return True
        self.cut_above = self.hs[i - 1] if i else mpmath.mpf(0)
        return False

    def _safe(self, argument, *, complex_step=False):
        try:
            value = self.g(argument)
        except (ZeroDivisionError, ValueError, OverflowError, TypeError):
            return None
        if complex_step:
            value = mpmath.mpc(value)
            return value if mpmath.isfinite(value.real) and mpmath.isfinite(value.imag) else None
        if isinstance(value, mpmath.mpc):
            if abs(value.imag) > abs(value) * mpmath.mpf(10) ** (5 - self.dps):
                return None  # outside the domain: a complex value
            value = value.real
        if not isinstance(value, mpmath.mpf):
            value = mpmath.mpf(value)
        return None if value._mpf_ in _NOT_FINITE else value

    def errors(self, method, exact, *, order=1) -> np.ndarray:
        out = np.full(len(self.hs), np.nan)
        with mpmath.workdps(self.dps):
            if method == "complex_step":
                for i, h in enumerate(self.hs):
                    if not self._in_time(i):
                        break
                    value = self._safe(mpmath.mpc(self.x, h), complex_step=True)
                    if value is not None:
                        out[i] = float(abs(mpmath.im(value) / h - exact))
                return out
            st = stencil(method, order)
            weights = [mpmath.mpf(w.numerator) / w.denominator for w in st.weights]
            for i, h in enumerate(self.hs):
                if not self._in_time(i):
                    break
                total = 0
                for w, s in zip(weights, st.nodes):
                    value = self._value(s, i)
                    if value is None:
                        break
                    total += w * value
                else:
                    out[i] = float(abs(total / h ** order - exact))
        return out


def smoothed(errors, window: int) -> np.ndarray:
    """Running median over ``window`` neighbouring steps (NaN ignored), so a
    lucky cancellation at one h (an error far below its neighbours') does not
    count as the best h."""
    errors = np.asarray(errors, dtype=float)
    if window <= 1:
        return errors.copy()
    half = window // 2
    padded = np.concatenate([np.full(half, np.nan), errors, np.full(half, np.nan)])
    ranked = np.sort(np.lib.stride_tricks.sliding_window_view(padded, window), axis=1)  # NaN last
    count = np.isfinite(ranked).sum(axis=1)
    rows = np.arange(len(errors))
    low = ranked[rows, np.maximum(count - 1, 0) // 2]   # the two middle ones of the
    high = ranked[rows, np.minimum(count // 2, window - 1)]  # finite values (one when odd)
    with np.errstate(invalid="ignore"):
        return np.where(count > 0, (low + high) / 2, np.nan)


def smoothing_window(hs) -> int:
    """An odd window spanning about one decade of steps (at least 3 steps,
    at most MAX_WINDOW): rounding noise swings the error over decades from
    one step to the next, so a single step proves nothing."""
    decades = math.log10(hs[-1] / hs[0])
    per_decade = (len(hs) - 1) / decades if decades > 0 else len(hs)
    half = min(max(1, round(per_decade / 2)), MAX_WINDOW // 2)
    return 2 * half + 1


def observed_best(hs, errors, curve=None) -> tuple[float | None, float | None]:
    """(best h, its error) of the smoothed curve; ties go to the largest h."""
    curve = smoothed(errors, smoothing_window(hs)) if curve is None else curve
    if not np.any(np.isfinite(curve)):
        return None, None
    lowest = np.nanmin(curve)
    index = int(np.flatnonzero(curve <= lowest)[-1])
    return float(hs[index]), float(curve[index])


def valley_floor(hs, curve, best_h) -> tuple[float, float] | None:
    """(h_lo, h_hi) of the steps next to the best one whose smoothed error is
    within FLOOR times its error: where the valley is flat (rounding that
    does not grow as fast as u/h), any step on the floor is as good. The
    same for the model's curve whose valley lies past an end of the range
    (at a point far below h, f(x +- h) is about +-h f' and its rounding
    does not grow as h shrinks: any step up to the knee is as good)."""
    if best_h is None:
        return None
    index = int(np.flatnonzero(np.asarray(hs) == best_h)[0])
    limit = FLOOR * curve[index]
    lo = hi = index
    while lo > 0 and curve[lo - 1] <= limit:
        lo -= 1
    while hi < len(curve) - 1 and curve[hi + 1] <= limit:
        hi += 1
    return float(hs[lo]), float(hs[hi])


def fit_order(hs, float64, exact_arithmetic, model):
    """(slope, (h_lo, h_hi, points)) of log error against log h over the
    truncation-dominated range, or (None, reason).

    The range: steps where the model's truncation is at least DOMINANCE
    times its rounding, the later terms of the expansion are at most
    NEXT_TERMS of the leading one (above that the curve bends: richardson
    on exp(sin(exp(cos(tanh(x**3 + sin(x)))))) at 0.7 has slope 6 below
    h = 0.1 and 5.4 up to 0.5), the float64 error is within AGREEMENT of the
    exact-arithmetic one, and both are positive; from its smallest step up
    FIT_DECADES decades (at least MIN_FIT_POINTS steps), where the leading
    term of the expansion still rules.
    """
    if model.truncation == 0:
        return None, ("the model has no truncation term here (the derivatives it needs vanish "
                      "at the point: the stencil is exact for this function)")
    hs = np.asarray(hs)
    e64, emp = np.asarray(float64), np.asarray(exact_arithmetic)
    with np.errstate(all="ignore"):
        rounding = model.rounding_at(hs)
        leading = model.truncation * hs ** model.power
        dominated = (leading >= DOMINANCE * rounding) & (hs <= model.holds_below) \
            & (model.beyond_leading(hs) <= NEXT_TERMS * leading) \
            & np.isfinite(e64) & np.isfinite(emp) & (e64 > 0) & (emp > 0) \
            & (np.abs(e64 - emp) <= AGREEMENT * emp)
    candidates = np.flatnonzero(dominated)
    if len(candidates) < MIN_FIT_POINTS:
        proven = "" if math.isinf(model.holds_below) else \
            f"; the model is proven to hold only below h = {model.holds_below:.3g}"
        return None, (f"fewer than {MIN_FIT_POINTS} steps between {hs[0]:.3g} and "
                      f"{hs[-1]:.3g} where the leading truncation term dominates (over "
                      f"rounding and over the later terms){proven}: widen the range of h")
    start = hs[candidates[0]]
    window = [i for i in candidates if hs[i] <= start * 10 ** FIT_DECADES]
    if len(window) < MIN_FIT_POINTS:
        window = list(candidates[:MIN_FIT_POINTS])
    slope = np.polyfit(np.log10(hs[window]), np.log10(e64[window]), 1)[0]
    return float(slope), (float(hs[window[0]]), float(hs[window[-1]]), len(window))


def predicted_best(model, hs) -> tuple[float, float, str]:
    """(h, error, where) of the model's optimum within the range.

    ``where`` is "inside" (the valley lies in the range), "below" or
    "above" (it lies outside: the nearer end is taken), "exact" (no
    truncation term: the largest h is best) or "flat" (the rounding term
    does not grow as h shrinks, as for complex step or where f(x) = 0:
    the error falls to a floor and any h below the knee is best; h_min is
    taken).
    """
    best = model.best_h
    if best is None:
        h = float(hs[-1]) if model.truncation == 0 else float(hs[0])
        return h, float(model.error(h)), "exact" if model.truncation == 0 else "flat"
    where = "inside" if hs[0] <= best <= hs[-1] else "below" if best < hs[0] else "above"
    h = float(min(max(best, hs[0]), hs[-1]))
    return h, float(model.error(h)), where


def analyse(method, hs, float64, exact_arithmetic, model, *, nominal: int) -> Curve:
    """The observed and predicted best h and the fitted order of one curve
    (``model``: :class:`verify.bounds.model.Model`; ``nominal``: the method's order p)."""
    curve = smoothed(float64, smoothing_window(hs))
    observed_h, observed_error = observed_best(hs, float64, curve)
    floor = valley_floor(hs, curve, observed_h)
    predicted_h, predicted_error, valley = predicted_best(model, hs)
    predicted_floor = valley_floor(hs, model.error(hs), predicted_h) \
        if valley in ("below", "above") else None
    slope, window = fit_order(hs, float64, exact_arithmetic, model)
    notes = () if slope is not None else (window,)
    return Curve(method, nominal, np.asarray(hs), np.asarray(float64),
                 np.asarray(exact_arithmetic), model, observed_h, observed_error, floor,
                 predicted_h, predicted_error, predicted_floor, valley, slope,
                 window if slope is not None else None, excess(hs, float64, model, curve), notes)


def excess(hs, errors, model, curve=None) -> float | None:
    """The largest ratio of the smoothed error to the model over the range."""
    curve = smoothed(errors, smoothing_window(hs)) if curve is None else curve
    with np.errstate(all="ignore"):
        ratio = curve / model.error(hs)
    ratio = ratio[np.isfinite(ratio) & (np.asarray(hs) <= model.holds_below)]
    return float(ratio.max()) if ratio.size else None
