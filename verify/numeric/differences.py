"""The finite-difference engine: forward ... richardson, and complex step.

One public function per concept, options keyword only. ``f`` takes an
array of points, shape ``(k, d)``, and returns ``k`` values, so a whole
stencil is one vectorised call. Each result says which step it used: near
the edge of the domain (or a kink) a stencil that would leave it is shrunk
by quarters until it fits, and the result says so; if it never fits, the
value is NaN and ``note`` says why, which the comparator reports as a skip,
never as a pass.

References
----------
.. [1] Squire, W. and Trapp, G. "Using complex variables to estimate
   derivatives of real functions", SIAM Review 40 (1998).
.. [2] Sauer, T. "Numerical Analysis", sec. 5.1 (difference formulas).
"""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np

from verify.numeric.stencils import OFFERED, mixed_stencil, standard_step, stencil

MAX_SHRINKS = 24
SHRINK = 4.0
RIDDERS_START = 0.1   # first step of adaptive Richardson, times max(1, |x|)
RIDDERS_STEPS = 8     # steps h, h/2, ..., h/128 in one vectorised call
RIDDERS_LEVELS = 5    # extrapolate up to O(h^10)
RIDDERS_SETTLED = 1e-6  # Ridders' stop applies once the error estimate is this small


@dataclass(frozen=True)
class Difference:
    """A numerical derivative and how it was obtained."""

    value: float
    h: float
    method: str
    order: int
    note: str = ""
    levels: int = 1  # Richardson levels in the chosen estimate
    # False when no step kept the stencil inside the domain and off kinks: the
    # method does not apply at this point (a skip), which is not a NaN it computed
    applied: bool = True

    @property
    def ok(self) -> bool:
        return bool(np.isfinite(self.value))


@functools.lru_cache(maxsize=None)
def unit_roundoff(dtype) -> float:
    return float(np.finfo(dtype).eps) / 2


def offers(method: str, order: int) -> bool:
    return order in OFFERED.get(method, ())


def partial(f, x, index, *, method="central", order=1, h=None, dtype=np.float64,
            admissible=None) -> Difference:
    """The ``order``-th partial derivative of ``f`` by variable ``index`` at ``x``.

    Parameters
    ----------
    f : callable
        ``f(points)`` with ``points`` of shape ``(k, d)``, returning ``k`` values.
    x : array_like
        The point, ``d`` coordinates.
    index : int
        Which coordinate to differentiate by.
    method : str
        ``forward``, ``backward``, ``central``, ``central4``, ``richardson``
        or ``complex_step``.
    order : int
        Derivative order (see ``stencils.OFFERED`` for what each method offers).
    h : float, optional
        The step; default: the method's standard step scaled to ``x``.
    dtype : numpy dtype
        Arithmetic of the numeric side (float64 or float32).
    admissible : callable, optional
        ``admissible(lo, hi)`` is false when the stencil's interval along the
        coordinate meets a kink or the domain's edge; the step then shrinks.

    Returns
    -------
    Difference

    Examples
    --------
    d/dx sin(x) at x = 1 by the fourth-order central stencil (cos(1) = 0.5403023058681398):

    >>> import numpy as np
    >>> d = partial(lambda p: np.sin(p[:, 0]), [1.0], 0, method="central4")
    >>> round(d.value, 10), d.method, d.ok
    (0.5403023059, 'central4', True)
    """
    x = np.asarray(x, dtype=dtype).reshape(-1)
    if not offers(method, order):
        raise ValueError(f"`{method}` does not offer derivative order {order}.")
    if h is not None and not h > 0:
        raise ValueError("`h` must be positive.")
    if method == "richardson" and h is None:
        return _richardson_adaptive(f, x, index, order, dtype, admissible)
    at = float(x[index])
    eps = unit_roundoff(dtype)
    requested = float(h) if h is not None else standard_step(method, order, at, eps)
    st = None if method == "complex_step" else stencil(method, order)
    lo, hi = (0.0, 0.0) if st is None else st.span

    def attempt(step):
        if st is not None:
            step = _representable(at, step, dtype)
        value, _ = _once(f, x, index, method, order, step, dtype)
        inside = admissible is None or admissible(at + lo * step, at + hi * step)
        return value, step, inside

    value, step, shrinks = shrink_until_inside(requested, attempt)
    if shrinks is None:
        return _not_applied(method, order, step)
    # the first attempt moved the step only to a representable one (a relative 1e-4 in float32)
    note = "" if shrinks == 0 else (
        f"step shrunk from {requested:.3g} to {step:.3g} to stay inside the domain "
        "and away from kinks")
    return Difference(float(value), float(step), method, order, note,
                      1 if st is None else st.levels)


def shrink_until_inside(requested, attempt):
    """The shared step-shrink loop of single and mixed partials (and Ridders').

    ``attempt(step)`` returns (value, step actually used, inside): inside is
    false when the stencil meets a kink, pole or domain edge. The step
    shrinks by SHRINK until the value is finite and inside. Returns
    (value, step, shrinks), shrinks None when no step down to
    requested / SHRINK^MAX_SHRINKS worked.
    """
    step = requested
    for shrinks in range(MAX_SHRINKS):
        value, step, inside = attempt(step)
        if isinstance(value, float):
            finite = math.isfinite(value)
        elif isinstance(value, list):  # a Richardson column of floats
            finite = all(map(math.isfinite, value))
        else:
            finite = bool(np.all(np.isfinite(value)))
        if inside and finite:
            return value, step, shrinks
        step /= SHRINK
    return None, step, None


def _not_applied(method, order, step):
    return Difference(float("nan"), float(step), method, order,
                      "could not be applied: every step down to "
                      f"{step:.3g} leaves the domain, crosses a kink or meets values "
                      "beyond float64", applied=False)


def _richardson_adaptive(f, x, index, order, dtype, admissible):
    """Ridders' adaptive Richardson: central differences at h0 / 2^k, extrapolated;
    the tableau entry whose neighbours agree best wins.

    The winner is a fixed linear stencil (``stencil("richardson", n, levels)``
    at its largest step), so the comparator can bound it like any other.
    The column of the tableau is formed from Python floats: for eight
    numbers that is faster than NumPy, and speed is part of the method's
    point (20 us a derivative).
    """
    base = stencil("central", order)
    nodes, weights = base.nodes_array.tolist(), base.weights_array.tolist()
    lo, hi = base.span
    requested = RIDDERS_START * max(1.0, abs(float(x[index])))

    def attempt(start):
        start = _representable(x[index], start, dtype)
        steps = [start / 2.0 ** k for k in range(RIDDERS_STEPS)]
        offsets = np.array([h * s for h in steps for s in nodes], dtype=dtype)
        if x.shape[0] == 1:
            points = (x[0] + offsets)[:, None]
        else:
            points = np.repeat(x[None, :], len(offsets), axis=0)
            points[:, index] += offsets
        values = np.asarray(call_quietly(f, points), dtype=np.float64).tolist()
        width = len(nodes)
        scale = [h ** -order for h in steps]  # h ** order would overflow at x = 1e80
        if width == 2:  # first derivatives: f(x + h) and f(x - h) per step
            (w0, w1), v = weights, values
            column = [(w0 * v[2 * k] + w1 * v[2 * k + 1]) * scale[k] for k in range(RIDDERS_STEPS)]
        else:
            column = [sum(w * v for w, v in zip(weights, values[k * width:(k + 1) * width]))
                      * scale[k] for k in range(RIDDERS_STEPS)]
        inside = admissible is None or admissible(float(x[index]) + lo * start,
                                                  float(x[index]) + hi * start)
        return column, start, inside

    column, start, shrinks = shrink_until_inside(requested, attempt)
    if shrinks is None:
        return _not_applied("richardson", order, start)
    value, k, j = _tableau(column)
    note = "" if start == requested or abs(start / requested - 1) < 1e-6 else (
        f"first step shrunk from {requested:.3g} to {start:.3g} to stay inside the domain "
        "and away from kinks")
    steps = [start / 2.0 ** k for k in range(RIDDERS_STEPS)]
    return Difference(value, float(steps[k - j]), "richardson", order, note, j + 1)


_FACTORS = tuple((4.0 ** j / (4.0 ** j - 1), 1 / (4.0 ** j - 1)) for j in range(1, 8))


def _tableau(column):
    """The best entry (value, row, level) of a Richardson tableau (ratio 2).

    An entry's error estimate is its distance to the two entries it was
    made from (Ridders). Plain floats and local names: this loop is half
    the cost of a derivative.
    """
    best_error, best_value, best_k, best_j = float("inf"), column[0], 0, 0
    previous = [column[0]]
    full = RIDDERS_LEVELS
    for k in range(1, len(column)):
        row = [column[k]]
        for j in range(1, min(k, full - 1) + 1):
            keep, drop = _FACTORS[j - 1]
            below, left = row[j - 1], previous[j - 1]
            value = keep * below - drop * left
            row.append(value)
            error = abs(value - below)
            other = abs(value - left)
            if other > error:
                error = other
            if error <= best_error:
                best_error, best_value, best_k, best_j = error, value, k, j
        # Ridders' stop: once the newest row is clearly worse, rounding has taken over;
        # but only once a full row exists and the estimate has settled, since
        # the first rows of a steep function (exp(100 x)) are not yet asymptotic.
        if len(row) == full and 0 < best_error <= RIDDERS_SETTLED * abs(best_value) and \
                abs(row[-1] - previous[-1]) >= 2 * best_error:
            break
        previous = row
    return best_value, best_k, best_j


def derivative(f, x, *, method="central", order=1, h=None, dtype=np.float64,
               admissible=None) -> Difference:
    """The ``order``-th derivative of a function of one variable at ``x``.

    ``f`` takes an array of shape ``(k, 1)``; see :func:`partial`.

    Examples
    --------
    The complex step has no cancellation: d/dx exp(x) at 0 is 1 to the last bit.

    >>> import numpy as np
    >>> derivative(lambda p: np.exp(p[:, 0]), 0.0, method="complex_step").value
    1.0
    """
    return partial(f, np.array((x,), dtype=dtype), 0, method=method, order=order, h=h,
                   dtype=dtype, admissible=admissible)


def gradient(f, x, *, method="central", h=None, dtype=np.float64) -> list[Difference]:
    """Every first partial derivative at ``x``, built on :func:`partial`."""
    return [partial(f, x, i, method=method, h=h, dtype=dtype) for i in range(np.size(x))]


def mixed_partial(f, x, i, j, *, method="central", h=None, dtype=np.float64,
                  admissible=None) -> Difference:
    """d^2 f / dx_i dx_j for i != j: the first-derivative stencil in both directions.

    The step shrinks as for :func:`partial`: ``admissible((lo_i, hi_i),
    (lo_j, hi_j))`` is false when the stencil's box meets a kink, pole or
    the domain's edge, and the step is made representable at both
    coordinates, so it is the one we divide by.
    """
    x = np.asarray(x, dtype=dtype).reshape(-1)
    if h is not None and not h > 0:
        raise ValueError("`h` must be positive.")
    lo, hi = stencil(method, 1).span
    eps = unit_roundoff(dtype)
    requested = float(h) if h is not None else standard_step(
        method, 2, float(max(abs(x[i]), abs(x[j]))), eps)
    unit_offsets, weights = mixed_stencil(method)

    def attempt(step):
        step = _representable(x[j], _representable(x[i], step, dtype), dtype)
        offsets = unit_offsets * step
        points = np.repeat(x[None, :], len(weights), axis=0)
        points[:, i] += offsets[:, 0].astype(dtype)
        points[:, j] += offsets[:, 1].astype(dtype)
        with np.errstate(all="ignore"):
            values = np.asarray(f(points))
            value = np.dot(weights.astype(values.dtype), values) / values.dtype.type(step) ** 2
        inside = admissible is None or admissible(
            (float(x[i]) + lo * step, float(x[i]) + hi * step),
            (float(x[j]) + lo * step, float(x[j]) + hi * step))
        return value, step, inside

    value, step, shrinks = shrink_until_inside(requested, attempt)
    if shrinks is None:
        return Difference(float("nan"), float(step), method, 2,
                          "could not be applied: every step down to "
                          f"{step:.3g} leaves the domain or crosses a kink or pole",
                          applied=False)
    note = "" if shrinks == 0 else (
        f"step shrunk from {requested:.3g} to {step:.3g} to stay inside the domain "
        "and away from kinks and poles")
    return Difference(float(value), float(step), method, 2, note)


def _representable(x, h, dtype):
    """A step with x + h exact in ``dtype``, so the step is the one we divide by."""
    if dtype is np.float64 or dtype is float:  # Python floats are float64, and faster
        x = float(x)
        stepped = (x + float(h)) - x
        return stepped if stepped > 0 else h
    x = np.dtype(dtype).type(x)
    stepped = (x + type(x)(h)) - x
    return float(stepped) if stepped > 0 else h


def _once(f, x, index, method, order, step, dtype):
    if method == "complex_step":
        if dtype is np.float64 and x.shape[0] == 1:
            point = np.array([[complex(float(x[0]) + 0.0, step)]])  # + 0.0: as x + 1j h turns -0.0 into 0.0
        else:
            point = x.astype(np.complex128 if np.dtype(dtype) == np.float64 else np.complex64)
            point = point[None, :].copy()
            point[0, index] += 1j * step
        values = call_quietly(f, point)
        with np.errstate(all="ignore"):
            value = np.imag(np.asarray(values))[0] / step
        return value, (0.0, 0.0)
    st = stencil(method, order)
    if order == 1 and dtype is np.float64 and x.shape[0] == 1:
        return _first_in_floats(f, float(x[0]), st, step), st.span
    offsets = (st.nodes_array * step).astype(dtype)
    if x.shape[0] == 1:  # one variable: the stencil's points without a copy per node
        points = (x[0] + offsets)[:, None]
    else:
        points = np.repeat(x[None, :], len(st.nodes), axis=0)
        points[:, index] = points[:, index] + offsets
    with np.errstate(all="ignore"):
        values = np.asarray(f(points))
        weights = st.weights_array if values.dtype == np.float64 \
            else st.weights_array.astype(values.dtype)
        value = np.dot(weights, values) / values.dtype.type(step) ** order
    return value, st.span


def _first_in_floats(f, x, st, step):
    """A first-derivative stencil at a float64 point of one variable, in Python
    floats, at a third of the array path's cost: the same points x + s h and
    the weighted sum over h, added left to right (NumPy's dot may add four
    nodes in another order; the bound's n-term rounding covers either)."""
    points = np.array([x + s * step for s in st.node_floats]).reshape(-1, 1)
    values = call_quietly(f, points)
    if type(values) is not np.ndarray or values.dtype != np.float64:
        values = np.asarray(values)
        if values.dtype != np.float64:  # a float32 or complex f: NumPy's arithmetic
            with np.errstate(all="ignore"):
                return np.dot(st.weights_array.astype(values.dtype), values) / values.dtype.type(step)
    total = 0.0
    for w, v in zip(st.weight_floats, values.tolist()):
        total += w * v
    return total / step if step else math.nan  # a subnormal h shrunk to 0: not applied


def call_quietly(f, points):
    """``f(points)`` without NumPy's floating-point warnings. A function that
    silences them itself says so with ``f.quiet = True``: entering NumPy's
    error state costs about a microsecond, a tenth of a derivative."""
    if getattr(f, "quiet", False):
        return f(points)
    with np.errstate(all="ignore"):
        return f(points)
