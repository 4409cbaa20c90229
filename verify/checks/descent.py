"""The ``descent`` check: gradient descent runs, classified and compared.

Rows, for options ``start``, ``lr`` (one or a list), ``steps``, and the
optional ``outcome`` (one word, or one per lr), ``xtol`` and ``bound``:

- ``stationary_points``: an informational ``skip`` row listing grad f = 0's
  solutions with their kinds (minimum, maximum, saddle) and how they were found;
- ``descent(lr=..)``, method ``exact gradient``: one per learning rate. With
  ``outcome`` it passes when the run's classification equals it; without,
  it passes when the run converged to a minimiser (a diverged or
  unconverged run then fails, naming what happened). ``numeric`` is the
  end point (one variable) or the final loss (several), ``exact`` the
  nearest minimiser or the loss there. For a quadratic f the message holds
  the prediction of theory (lr against 2/lambda_max, the contraction factor);
- the same rows with method ``backprop`` when the backprop engine exists:
  the same runs with the gradient from a reverse-mode pass;
- ``minimum[v]`` (method ``descent(lr=..)``): each coordinate of a converged
  run's end point against the nearest exact minimiser, within ``xtol``;
  for a run that did not converge, a ``skip`` row with the distance;
- ``expect:minimum[v]``: ``expect.minimum`` against the exact minimiser
  nearest to it.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from verify.checks.compare import (Allowance, error_row, judge_expectation, judge_outcome,
                                   judge_within, located, skip_row, where)
from verify.numeric.descent import (classify, default_bound, descend, gradient_function, predict,
                       quadratic_eigenvalues, tolerances)
from verify.exact.symbolic import exact_function
from verify.exact.minimisers import stationary_points
from verify.checks.common import graph_of, plain_floats
from verify.exact.precision import number_text

MAX_PATH = 500         # points of a path kept for the figure (2+ variables)
MAX_LOSS = 5_000       # loss values kept for the figure
MAX_BACKPROP_STEPS = 100_000  # the backprop engine runs a Python node graph a step


def _options(check):
    """The options, checked when the case was read (verify.input.options)."""
    lrs = [v.float64 for v in check.option("lr")]
    outcomes = check.option("outcome") or ()
    outcomes = list(outcomes) * len(lrs) if len(outcomes) == 1 else list(outcomes) or [None] * len(lrs)
    start = [v.float64 for v in check.option("start")]
    xtol, bound = check.option("xtol"), check.option("bound")
    return lrs, outcomes, start, xtol.float64 if xtol else None, \
        bound.float64 if bound else default_bound(start)


def run_descent(case, check, options=None, artifacts=None):
    base = where(case, "descent", check.line)
    lrs, outcomes, start, xtol, bound = _options(check)
    engine = exact_function(case)
    steps = check.option("steps")
    gradient = gradient_function(engine)
    paths = [descend(gradient, start, lr, steps, bound) for lr in lrs]
    guesses = [tuple(path[-1]) for path, _ in paths] + [tuple(start)]
    minimisers = stationary_points(engine, guesses)
    runs = [(lr, path, *classify(path, diverged, minimisers, xtol))
            for lr, (path, diverged) in zip(lrs, paths)]
    eigenvalues = quadratic_eigenvalues(engine)
    label = ", ".join(f"{v}={p.text}" for v, p in zip(case.variables, check.option("start")))
    setting = _Setting(case, engine, base, label, start, steps, bound, xtol, minimisers)
    rows = [skip_row(base, "informational: stationary points: " + (
        "; ".join(f"{m.kind} at {m.show(case.variables)} ({m.how})" for m in minimisers)
        or "none found"), quantity="stationary_points", method="exact")]
    for run, expected in zip(runs, outcomes):
        lr, _, _, nearest = run
        theory = predict(eigenvalues, lr, start, nearest, steps, bound, xtol) if eigenvalues else None
        rows.append(_run_row(setting, "exact gradient", run, expected, theory))
        rows.extend(_minimum_rows(setting, run))
    rows.extend(_backprop_rows(setting, runs, outcomes))
    rows.extend(_expectation_rows(case, minimisers))
    if artifacts is not None:
        artifacts.add_figure("descent", f"{case.name}: gradient descent from {label}",
                             figure_data(engine, case.variables, runs, minimisers, start))
    return rows


def _loss(engine, point):
    with np.errstate(all="ignore"):
        return float(engine.compiled((0,) * len(point)).numpy(*[np.float64(p) for p in point]))


@dataclass(frozen=True)
class _Setting:
    """What every row of one descent check shares."""

    case: object
    engine: object      # the exact function
    base: dict          # the location columns (where)
    label: str          # the start point as written
    start: list         # the start point in float64
    steps: int
    bound: float        # |x| beyond which a run has diverged
    xtol: float | None
    minimisers: list    # the exact stationary points found


def _run_row(setting, method, run, expected, theory, extra=""):
    """The row of one run ``(lr, path, outcome, nearest minimiser)``."""
    case, engine, steps = setting.case, setting.engine, setting.steps
    lr, path, outcome, nearest = run
    end = path[-1]
    one = len(case.variables) == 1
    numeric = float(end[0]) if one else _loss(engine, end)
    exact = None
    if nearest is not None:
        exact = nearest.point[0] if one else engine.value((0,) * len(end), nearest.point)
    shown = ", ".join(f"{v}={x:.10g}" for v, x in zip(case.variables, end))
    parts = [f"end point {shown} after {len(path) - 1} of {steps} steps"]
    if nearest is not None:
        distance = float(np.max(np.abs(end - np.array([float(c) for c in nearest.point]))))
        parts.append(f"nearest minimiser {nearest.show(case.variables)} "
                     f"(largest coordinate difference {distance:.3g})")
    else:
        parts.append("no local minimiser found")
    if theory is not None:
        parts.append(theory.describe() + ("" if theory.outcome == outcome else
                                          " - theory and observation differ"))
    if extra:
        parts.append(extra)
    return judge_outcome(located(setting.base, method=method, quantity=f"descent(lr={lr:g})",
                                 point=setting.label), observed=outcome, expected=expected, exact=exact, numeric=numeric,
                         note="; ".join(parts))


def _minimum_rows(setting, run):
    case, base, label = setting.case, setting.base, setting.label
    lr, path, outcome, nearest = run
    if nearest is None:
        return []
    rows, end = [], path[-1]
    allowed = tolerances(nearest, setting.xtol)
    for i, v in enumerate(case.variables):
        cell = dict(method=f"descent(lr={lr:g})", quantity=f"minimum[{v}]", point=label)
        if outcome != "converged":
            rows.append(skip_row(base, f"the run {outcome}: its end point is not a minimiser "
                                       f"({v} = {end[i]:.10g}, the nearest minimiser has "
                                       f"{v} = {number_text(nearest.point[i], 12)})",
                                 exact=float(nearest.point[i]), numeric=float(end[i]), **cell))
            continue
        rows.append(judge_within(located(base, **cell), exact=nearest.point[i],
                                 numeric=float(end[i]), tolerance=case.tolerance,
                                 bound=Allowance(float(allowed[i]), "xtol",
                                                 f"xtol {allowed[i]:.3g}")))
    return rows


def _backprop_rows(setting, runs, outcomes):
    """The same runs with backprop's gradient, each against its exact-gradient run."""
    case, base, steps = setting.case, setting.base, setting.steps
    if steps > MAX_BACKPROP_STEPS:
        return [skip_row(base, f"backprop runs are limited to {MAX_BACKPROP_STEPS} steps (the "
                               "engine walks a Python node graph each step)", method="backprop",
                         quantity="descent")]
    try:
        graph = graph_of(case)
    except ValueError as exc:  # an operation the engine has no rule for
        return [skip_row(base, f"backprop: {exc}", method="backprop", quantity="descent")]
    constants = [v.float64 for _, v in case.parameters]
    size = len(case.variables)

    def gradient(x):
        return graph.gradient(list(x) + constants)[1][:size]
    rows = []
    for (lr, exact_path, *_), expected in zip(runs, outcomes):
        path, diverged = descend(gradient, setting.start, lr, steps, setting.bound)
        outcome, nearest = classify(path, diverged, setting.minimisers, setting.xtol)
        shared = min(len(path), len(exact_path))
        with np.errstate(invalid="ignore"):
            apart = float(np.nanmax(np.abs(path[:shared] - exact_path[:shared])))
        rows.append(_run_row(setting, "backprop", (lr, path, outcome, nearest), expected, None,
                             f"its path stays within {apart:.3g} of the exact-gradient run's"))
    return rows


def _expectation_rows(case, minimisers):
    if not case.expect.minimum:
        return []
    base = where(case, "expect", case.expect.line("minimum", case.line))
    wanted = dict(case.expect.minimum)
    found = [m for m in minimisers if m.kind == "minimum"]
    label = ", ".join(f"{v}={wanted[v].text}" for v in case.variables)
    if not found:
        return [error_row(base, "no exact local minimiser was found to compare expect.minimum with",
                          quantity="expect:minimum", point=label)]
    target = np.array([wanted[v].float64 for v in case.variables])
    nearest = min(found, key=lambda m: float(np.linalg.norm(np.array([float(c) for c in m.point])
                                                            - target)))
    return [judge_expectation(base, quantity=f"expect:minimum[{v}]", point=label,
                              expected=wanted[v], exact=nearest.point[i], tolerance=case.tolerance)
            for i, v in enumerate(case.variables)]


# --- the figure --------------------------------------------------------------------

def _sample(count, limit):
    if count <= limit:
        return np.arange(count)
    return np.unique(np.linspace(0, count - 1, limit).round().astype(int))


def figure_data(engine, variables, runs, minimisers, start):
    """The data of the ``descent`` figure: paths, losses, minimisers, f on a grid."""
    size = len(variables)
    loss_fn = engine.compiled((0,) * size)
    shown, spots = [], [np.asarray(start, dtype=float)]
    for lr, path, outcome, _ in runs:
        keep = _sample(len(path), MAX_LOSS)
        with np.errstate(all="ignore"):
            loss = np.asarray(loss_fn.numpy(*[path[keep, i] for i in range(size)]), dtype=float)
        # one variable: the path and the loss are plotted together, so they share the sampling
        points = keep if size == 1 else _sample(len(path), MAX_PATH)
        shown.append({"lr": float(lr), "path": [plain_floats(path[j]) for j in points],
                      "loss": plain_floats(loss * np.ones(len(keep))), "outcome": outcome})
        if outcome != "diverged":
            spots.extend(path)
    found = [[float(c) for c in m.point] for m in minimisers if m.kind == "minimum"]
    spots.extend(np.array(found).reshape(-1, size))
    spots = np.array(spots)
    lo, hi = spots.min(axis=0), spots.max(axis=0)
    pad = np.maximum((hi - lo) * 0.15, 0.5)
    axes = [np.linspace(a - p, b + p, 201 if size == 1 else 41) for a, b, p in zip(lo, hi, pad)]
    with np.errstate(all="ignore"):
        if size == 1:
            grid = {"x": plain_floats(axes[0]),
                    "f": plain_floats(loss_fn.numpy(axes[0]) * np.ones(201))}
        elif size == 2:
            xx, yy = np.meshgrid(axes[0], axes[1])
            z = np.asarray(loss_fn.numpy(xx, yy), dtype=float) * np.ones(xx.shape)
            grid = {"x": plain_floats(axes[0]), "y": plain_floats(axes[1]),
                    "z": [plain_floats(row) for row in z]}
        else:
            grid = {}
    return {"variables": list(variables), "runs": shown, "minimisers": found, "grid": grid}
