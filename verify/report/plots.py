"""The report's figures: matplotlib (no pyplot, no GUI backend) to inline SVG.

Each function takes a title and the plain-number data a check produced
(:meth:`verify.checks.common.Artifacts.add_figure`) and returns an HTML
fragment holding one ``<svg>``. Text stays text (``svg.fonttype: none``):
the browser draws it with a local sans-serif font, nothing is fetched, and
the files stay small. Ids inside each SVG are salted with the title, so
several figures can share one page.

- ``error_curve``: |error| against h on log-log axes, per method the
  float64 curve (solid), the exact-arithmetic curve (dotted) and the
  model (dashed), the observed best h (filled circle) and the predicted
  one (open diamond).
- ``taylor``: partial sums against the function, one curve per order, the
  Lagrange remainder bound of the highest order (with a bound) as a band
  around its partial sum, the expansion point, ``sums_at`` and the radius
  of convergence as vertical lines.
- ``descent``: the paths on the function (one variable) or its contour
  plot (two), each starting at a square (a dot per step for short paths),
  and the loss against the step per learning rate on a log scale (linear
  when a loss is not positive), clipped to the runs that did not diverge;
  divergent runs dashed, "(DIVERGED)" in the legend and marked with a
  cross at their last finite point.

Log axes are labelled 10ⁿ in plain Unicode: matplotlib's default labels go
through mathtext, which costs more than the rest of a figure.
"""
from __future__ import annotations

import hashlib
import html
import io
import math
import re

import matplotlib
import numpy as np
from matplotlib.backends.backend_svg import FigureCanvasSVG
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter, NullLocator

COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2",
           "#17becf", "#7f7f7f", "#bcbd22")
WIDTH, HEIGHT = 6.4, 4.2  # inches; 72 pt each in the SVG
MARKED_STEPS = 60         # descent paths up to this many steps show a dot per step
_RC = {"svg.fonttype": "none", "font.size": 9, "axes.titlesize": 10, "legend.fontsize": 7.5,
       "font.family": "sans-serif", "path.simplify": True, "axes.grid": True,
       "grid.alpha": 0.25, "svg.image_inline": True}
_HEAD = re.compile(r"\A.*?(?=<svg)", re.S)
_COMMENTS = re.compile(r"<!--.*?-->", re.S)
_ID = re.compile(r'\b(id)="([^"]+)"')
_REFERENCE = re.compile(r'(url\(|href=")#([^")]+)')


def _figure(width=WIDTH, height=HEIGHT, ncols=1, bottom=0.55):
    """A figure with fixed margins (in inches): a layout engine would
    measure every label twice and cost more than the drawing."""
    figure = Figure(figsize=(width, height))
    axes = figure.subplots(1, ncols)
    figure.subplots_adjust(left=0.75 / width, right=1 - 0.2 / width, top=1 - 0.35 / height,
                           bottom=bottom / height, wspace=0.25)
    return figure, axes


def svg_text(figure, title: str) -> str:
    """The figure as a standalone SVG document (deterministic bytes)."""
    buffer = io.StringIO()
    with matplotlib.rc_context({**_RC, "svg.hashsalt": title}):
        FigureCanvasSVG(figure).print_svg(buffer, metadata={"Date": None, "Creator": None})
    return buffer.getvalue()


def inline(svg: str, title: str) -> str:
    """A standalone SVG made fit to sit inside HTML: no XML prolog or comments,
    and its ids (``axes_1``, clip paths, markers) prefixed with a digest of the
    figure, so several figures on one page never share an id."""
    body = _COMMENTS.sub("", _HEAD.sub("", svg, count=1))
    prefix = "f" + hashlib.sha1(svg.encode()).hexdigest()[:8] + "-"
    body = _ID.sub(lambda m: f'{m.group(1)}="{prefix}{m.group(2)}"', body)
    body = _REFERENCE.sub(lambda m: f"{m.group(1)}#{prefix}{m.group(2)}", body)
    label = html.escape(title, quote=True)
    return body.replace("<svg ", f"<svg role='img' aria-label='{label}' ", 1).strip()


def fragment(figure, title: str) -> str:
    return f"<div class='plot'>{inline(svg_text(figure, title), title)}</div>"


_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def _power_of_ten(value, _position=None) -> str:
    """``10⁻¹⁴`` in plain Unicode: log-axis labels without mathtext (which
    costs more than the rest of a figure)."""
    if not 0 < value < math.inf:  # a locator past 1e308 offers infinity
        return ""
    exponent = math.log10(value)
    if abs(exponent - round(exponent)) > 1e-9:
        return ""
    return "10" + str(int(round(exponent))).translate(_SUPERSCRIPT)


def _log_axes(ax, *axes_names):
    for name in axes_names:
        axis = ax.xaxis if name == "x" else ax.yaxis
        (ax.set_xscale if name == "x" else ax.set_yscale)("log")
        axis.set_major_locator(LogLocator(base=10, numticks=9))
        axis.set_major_formatter(FuncFormatter(_power_of_ten))
        axis.set_minor_locator(NullLocator())  # unlabelled minor ticks cost time, say nothing
        axis.set_minor_formatter(NullFormatter())


def _array(values) -> np.ndarray:
    return np.array([np.nan if v is None else float(v) for v in values], dtype=float)


def _positive(values) -> np.ndarray:
    """Values for a log axis: zero, negative and missing become gaps."""
    values = _array(values)
    with np.errstate(invalid="ignore"):
        values[~(values > 0)] = np.nan
    return values


def _with_rc(draw):
    """Run ``draw`` under the report's rcParams (fonts, sizes) and return its result."""

    def wrapped(title, data):
        with matplotlib.rc_context(_RC):
            return draw(title, data)
    wrapped.__name__, wrapped.__doc__ = draw.__name__, draw.__doc__
    return wrapped


@_with_rc
def error_curve(title: str, data: dict) -> str:
    """|error| against h, float64 and exact arithmetic, with the model."""
    rows = math.ceil((len(data.get("methods", ())) + 5) / 3)
    legend = 0.18 * rows + 0.15
    figure, ax = _figure(height=HEIGHT + legend, bottom=0.5 + legend)
    shown, empty = [], []
    for i, entry in enumerate(data.get("methods", ())):
        colour = COLOURS[i % len(COLOURS)]
        h = _array(entry["h"])
        float64, exact, model = (_positive(entry[k]) for k in ("float64", "exact_arithmetic",
                                                                "model"))
        mark = "" if entry.get("status", "pass") == "pass" else f" ({entry['status']})"
        slope = entry.get("slope")
        fitted = f", slope {slope:.2f}" if slope is not None else ""
        ax.plot(h, float64, "-", color=colour, lw=1.4,
                label=f"{entry['method']} (order {entry.get('expected', entry.get('nominal'))}"
                      f"{fitted}){mark}")
        ax.plot(h, exact, ":", color=colour, lw=1.4)
        ax.plot(h, model, "--", color=colour, lw=0.9, alpha=0.85)
        if not np.any(np.isfinite(exact)):
            empty.append(entry["method"])
        if entry.get("observed"):
            ax.plot(*entry["observed"], "o", color=colour, ms=6.5, mec="black", mew=0.8, zorder=5)
        if entry.get("predicted"):
            ax.plot(*entry["predicted"], "D", mfc="none", mec=colour, ms=8, mew=1.6, zorder=5)
        shown.extend(v for v in (*float64, *model) if np.isfinite(v))
    _log_axes(ax, "x", "y")
    if shown:
        low, high = min(shown), max(shown)
        # a decade of margin, inside float64's normal range (errors of 1e-320 exist)
        bottom = max(math.floor(math.log10(low)) - 1, -307)
        ax.set_ylim(10.0 ** bottom, 10.0 ** min(max(math.ceil(math.log10(high)) + 1, bottom + 1), 307))
    ax.set_xlim(data.get("h_min"), data.get("h_max"))
    ax.set_xlabel("step h")
    ax.set_ylabel("|error|")
    ax.set_title(title, loc="left")
    dtype = data.get("dtype", "float64")
    styles = [Line2D([], [], color="black", lw=1.4, ls="-", label=dtype),
              Line2D([], [], color="black", lw=1.4, ls=":",
                     label=f"exact arithmetic ({data.get('dps', 50)} digits)"),
              Line2D([], [], color="black", lw=0.9, ls="--", label="model"),
              Line2D([], [], color="black", marker="o", ls="", label="observed best h"),
              Line2D([], [], color="black", marker="D", mfc="none", ls="", label="predicted best h")]
    methods = ax.get_legend_handles_labels()
    figure.legend(methods[0] + styles, methods[1] + [h.get_label() for h in styles],
                  loc="lower center", bbox_to_anchor=(0.5, 0.005), ncols=3, framealpha=0.85)
    if empty:
        ax.text(0.99, 0.02, f"exact-arithmetic error is zero for {', '.join(empty)} (not drawn)",
                transform=ax.transAxes, ha="right", va="bottom", fontsize=7, color="#444")
    return fragment(figure, title)


def _finite_range(values, spread=0.35):
    values = np.asarray(values, dtype=float)
    values = values[np.isfinite(values)]
    if not values.size:
        return None
    low, high = float(values.min()), float(values.max())
    pad = (high - low) * spread or max(1.0, abs(high)) * 0.5
    return low - pad, high + pad


@_with_rc
def taylor(title: str, data: dict) -> str:
    """Partial sums about ``about`` against f, with the remainder bound as a band."""
    figure, ax = _figure()
    grid = _array(data["grid"])
    f = _array(data["f"])
    ax.plot(grid, f, color="black", lw=2.2, label="f", zorder=4)
    orders = list(data.get("orders", ()))
    banded = None
    for i, n in enumerate(orders):
        colour = COLOURS[i % len(COLOURS)]
        partial = _array(data["partial_sums"][str(n)])
        ax.plot(grid, partial, color=colour, lw=1.2, label=f"order {n}")
        if data.get("bound", {}).get(str(n)) is not None:
            banded = (n, colour, partial, _array(data["bound"][str(n)]))
    if banded:  # the highest order's band only: overlapping bands hide each other
        n, colour, partial, band = banded
        with np.errstate(invalid="ignore"):
            ax.fill_between(grid, partial - band, partial + band, color=colour, alpha=0.16,
                            lw=0, where=np.isfinite(band))
    about = data.get("about")
    if about is not None:
        ax.axvline(about, color="#555", lw=0.8, ls="-.")
    for x in data.get("sums_at", ()) or ():
        ax.axvline(x, color="#999", lw=0.7, ls=":")
    radius = data.get("radius")
    if radius is not None and about is not None and math.isfinite(radius):
        for edge in (about - radius, about + radius):
            if grid.size and np.nanmin(grid) <= edge <= np.nanmax(grid):
                ax.axvline(edge, color="#b71c1c", lw=0.9, ls="--")
        ax.plot([], [], color="#b71c1c", lw=0.9, ls="--", label=f"radius of convergence {radius:.3g}")
    limits = _finite_range(f)
    if limits:
        ax.set_ylim(*limits)
    if grid.size:
        ax.set_xlim(np.nanmin(grid), np.nanmax(grid))
    if banded:
        ax.plot([], [], color=banded[1], lw=5, alpha=0.3,
                label=f"remainder bound, order {banded[0]}")
    ax.set_xlabel(data.get("variable", "x"))
    ax.set_ylabel("value")
    ax.set_title(title, loc="left")
    ax.legend(loc="best", framealpha=0.85)
    return fragment(figure, title)


@_with_rc
def descent(title: str, data: dict) -> str:
    """Descent paths on the function or its contours, and loss against step."""
    figure, (where, losses) = _figure(width=WIDTH * 1.6, ncols=2)
    variables = data.get("variables", ["x"])
    grid = data.get("grid", {})
    runs = data.get("runs", ())
    if len(variables) == 1:
        _paths_1d(where, grid, runs, data.get("minimisers", ()), variables[0])
    else:
        _paths_2d(where, grid, runs, data.get("minimisers", ()), variables)
    _losses(losses, runs)
    figure.suptitle(title, x=0.01, y=0.995, ha="left", va="top", fontsize=10)
    return fragment(figure, title)


def _run_label(run):
    outcome = run.get("outcome", "")
    outcome = outcome.upper() if outcome == "diverged" else outcome  # as the lab's legend says
    return f"lr {run['lr']:g}" + (f" ({outcome})" if outcome else "")


def _path(run, size):
    points = [[np.nan if c is None else float(c) for c in p] for p in run.get("path", ())]
    return np.array(points, dtype=float).reshape(-1, size)


def _paths_1d(ax, grid, runs, minimisers, variable):
    x, f = _array(grid.get("x", ())), _array(grid.get("f", ()))
    ax.plot(x, f, color="black", lw=1.8, label="f")
    for i, run in enumerate(runs):
        colour = COLOURS[i % len(COLOURS)]
        path = _path(run, 1)[:, 0]
        loss = _array(run.get("loss", ()))
        size = min(len(path), len(loss))
        ax.plot(path[:size], loss[:size], _style(size), color=colour, ms=3, lw=0.8, alpha=0.8,
                label=_run_label(run))
        ax.plot(path[:1], loss[:1], "s", color=colour, ms=4)
        _mark_end(ax, run, path[:size], loss[:size], colour)
    for m in minimisers:
        ax.axvline(float(m[0]), color="#2e7d32", lw=0.8, ls="--")
    if x.size:
        ax.set_xlim(np.nanmin(x), np.nanmax(x))
    limits = _finite_range(f, 0.1)
    if limits:
        ax.set_ylim(*limits)
    ax.set_xlabel(variable)
    ax.set_ylabel("f")
    ax.legend(loc="best", framealpha=0.85)


def _paths_2d(ax, grid, runs, minimisers, variables):
    x, y = _array(grid.get("x", ())), _array(grid.get("y", ()))
    z = np.array([[np.nan if v is None else float(v) for v in row] for row in grid.get("z", ())],
                 dtype=float)
    if z.size and np.any(np.isfinite(z)):
        levels = np.unique(np.nanpercentile(z[np.isfinite(z)], np.linspace(0, 100, 16)))
        if levels.size >= 2:
            contours = ax.contour(x, y, np.ma.masked_invalid(z), levels=levels, cmap="viridis",
                                  linewidths=0.8)
            ax.clabel(contours, levels=contours.levels[::3], fontsize=6, fmt="%.3g")
    for i, run in enumerate(runs):
        colour = COLOURS[i % len(COLOURS)]
        path = _path(run, 2)
        ax.plot(path[:, 0], path[:, 1], _style(len(path)), color=colour, ms=2.5, lw=0.9,
                label=_run_label(run))
        ax.plot(path[:1, 0], path[:1, 1], "s", color=colour, ms=4)
        _mark_end(ax, run, path[:, 0], path[:, 1], colour)
    for m in minimisers:
        ax.plot(float(m[0]), float(m[1]), "*", color="#2e7d32", ms=11, mec="black", mew=0.5)
    if x.size and y.size:
        ax.set_xlim(np.nanmin(x), np.nanmax(x))
        ax.set_ylim(np.nanmin(y), np.nanmax(y))
    ax.plot([], [], "*", color="#2e7d32", ms=9, label="minimiser")
    ax.set_xlabel(variables[0])
    ax.set_ylabel(variables[1])
    ax.legend(loc="best", framealpha=0.85)


def _style(points: int) -> str:
    """Dots on every step of a short path; a plain line for a long one (a
    marker per step costs more to draw than it tells)."""
    return "o-" if points <= MARKED_STEPS else "-"


def _mark_end(ax, run, xs, ys, colour):
    """A cross at the last finite point of a divergent run."""
    if run.get("outcome") != "diverged":
        return
    finite = np.flatnonzero(np.isfinite(xs) & np.isfinite(ys))
    if finite.size:
        k = finite[-1]
        ax.plot(xs[k], ys[k], "X", color=colour, ms=10, mec="black", mew=0.7, zorder=6)


def _losses(ax, runs):
    """Loss against step. The axis spans the runs that did not diverge (as the
    lab's own plot does): a diverged run is drawn up to where it leaves that
    range and says (DIVERGED) in the legend, so it never squashes the others.
    A log axis when every loss shown is positive, else a linear one (a symlog
    axis would stack the labels of 1 and -1)."""
    interesting, everything = [], []
    for i, run in enumerate(runs):
        colour = COLOURS[i % len(COLOURS)]
        loss = _array(run.get("loss", ()))
        loss[~np.isfinite(loss)] = np.nan
        steps = np.arange(len(loss))
        diverged = run.get("outcome") == "diverged"
        ax.plot(steps, loss, "--" if diverged else "-", color=colour, lw=1.2, label=_run_label(run))
        _mark_end(ax, run, steps.astype(float), loss, colour)
        finite = loss[np.isfinite(loss)]
        everything.extend(finite)
        if not diverged:
            interesting.extend(finite)
    shown = interesting or everything
    if shown and min(shown) > 0:
        _log_axes(ax, "y")
        low, high = min(shown), max(shown)
        ax.set_ylim(low / 2, high * 2)
    elif shown:
        low, high = min(shown), max(shown)
        margin = 0.08 * (high - low) or 0.5 * max(abs(high), 1e-12)
        ax.set_ylim(low - margin, high + margin)
    ax.set_xlabel("step")
    ax.set_ylabel("loss")
    ax.set_title("loss against step", loc="left")
    ax.plot([], [], "X", color="black", ms=8, ls="", label="diverged")
    ax.legend(loc="best", framealpha=0.85)
