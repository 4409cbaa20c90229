"""The report's figures (inline SVG from matplotlib) and formulas (Presentation MathML)."""
import math
import re

import numpy as np
import pytest

from verify.input.expressions import parse
from verify.report import maths, plots


def error_curve_data(status="pass"):
    h = np.geomspace(1e-15, 1, 40)
    forward = {"method": "forward", "nominal": 1, "expected": 1, "h": h.tolist(),
               "float64": (h + 1e-15 / h).tolist(), "exact_arithmetic": h.tolist(),
               "model": (1.01 * h + 6e-15 / h).tolist(), "observed": [3e-8, 5e-8],
               "predicted": [7.7e-8, 1.5e-7], "valley": "inside", "slope": 1.0,
               "window": [3e-7, 7e-6], "status": status}
    central = dict(forward, method="central", expected=2, float64=[0.0] + [1e-15] * 39,
                   exact_arithmetic=[0.0] * 40, model=(3e-15 / h).tolist(), observed=[1.0, 0.0],
                   predicted=[1.0, 3e-15], slope=None, window=None)
    flat = dict(forward, method="complex_step", expected=2, predicted=None,
                float64=[None] * 5 + [1e-16] * 35)
    return {"variable": "x", "point": "x=3", "dtype": "float64", "dps": 50, "h_min": 1e-15,
            "h_max": 1.0, "methods": [forward, central, flat]}


TAYLOR = {"variable": "x", "about": 0.0, "grid": np.linspace(-2, 2, 41).tolist(),
          "f": np.exp(np.linspace(-2, 2, 41)).tolist(), "orders": [1, 3],
          "partial_sums": {"1": (1 + np.linspace(-2, 2, 41)).tolist(),
                           "3": [1 + x + x * x / 2 + x ** 3 / 6 for x in np.linspace(-2, 2, 41)]},
          "bound": {"1": [None] * 41, "3": [abs(x) ** 4 / 24 * math.e ** 2
                                            for x in np.linspace(-2, 2, 41)]},
          "sums_at": [0.5, 1.0], "radius": None}


def descent_data(two):
    runs = [{"lr": 0.01, "path": [[3.0, 1.0], [2.0, 0.5], [1.1, 0.1]][: 3],
             "loss": [10.0, 4.0, 1.0], "outcome": "converged"},
            {"lr": 1.5, "path": [[3.0, 1.0], [-9.0, 4.0], [1e8, -1e8]],
             "loss": [10.0, 90.0, float("inf")], "outcome": "diverged"}]
    if two:
        xs = np.linspace(-4, 4, 21)
        return {"variables": ["x", "y"], "runs": runs, "minimisers": [[1.0, 0.0]],
                "grid": {"x": xs.tolist(), "y": xs.tolist(),
                         "z": [[(a - 1) ** 2 + b ** 2 for a in xs] for b in xs]}}
    for run in runs:
        run["path"] = [[p[0]] for p in run["path"]]
    xs = np.linspace(-4, 4, 81)
    return {"variables": ["x"], "runs": runs, "minimisers": [[1.0]],
            "grid": {"x": xs.tolist(), "f": ((xs - 1) ** 2).tolist()}}


def one_svg(fragment):
    assert fragment.count("<svg") == 1 and fragment.count("</svg>") == 1
    assert "<?xml" not in fragment and "<!DOCTYPE" not in fragment and "<!--" not in fragment
    assert "<script" not in fragment.lower()
    assert not re.search(r"(href|src)=['\"](https?:)?//", fragment)
    head = fragment[fragment.index("<svg"):fragment.index(">", fragment.index("<svg"))]
    width = float(re.search(r'width="([\d.]+)pt"', head).group(1))
    height = float(re.search(r'height="([\d.]+)pt"', head).group(1))
    assert width > 100 and height > 100
    return fragment


def test_error_curve_draws_every_curve_as_text_and_paths():
    fragment = one_svg(plots.error_curve("lab: error against h", error_curve_data()))
    assert "aria-label='lab: error against h'" in fragment
    # svg.fonttype none: labels stay text (no glyph outlines, nothing to fetch)
    for text in ("step h", "|error|", "forward (order 1, slope 1.00)", "central (order 2)",
                 "exact arithmetic (50 digits)", "model", "observed best h", "predicted best h"):
        assert text in fragment, text
    assert "exact-arithmetic error is zero for central (not drawn)" in fragment


def test_error_curve_marks_a_failing_method():
    fragment = plots.error_curve("t", error_curve_data(status="fail"))
    assert "forward (order 1, slope 1.00) (fail)" in fragment


def test_figures_are_deterministic():
    first = plots.error_curve("same", error_curve_data())
    assert plots.error_curve("same", error_curve_data()) == first


def test_ids_differ_between_figures_of_one_page_and_references_resolve():
    ids = []
    for title in ("one", "two"):
        fragment = plots.error_curve(title, error_curve_data())
        defined = set(re.findall(r'id="([^"]+)"', fragment))
        referenced = set(re.findall(r'(?:url\(|href=")#([^")]+)', fragment))
        assert referenced and referenced <= defined
        ids.append(defined)
    assert ids[0] and not ids[0] & ids[1]


def test_taylor_draws_orders_bounds_and_no_radius():
    fragment = one_svg(plots.taylor("exp about 0", TAYLOR))
    for text in ("order 1", "order 3", "remainder bound, order 3", ">f<"):
        assert text in fragment, text
    assert "radius of convergence" not in fragment
    with_radius = plots.taylor("log(1+x) about 0", dict(TAYLOR, radius=1.0))
    assert "radius of convergence 1" in with_radius


@pytest.mark.parametrize("two", [False, True])
def test_descent_marks_divergent_runs(two):
    fragment = one_svg(plots.descent("descent", descent_data(two)))
    for text in ("lr 0.01 (converged)", "lr 1.5 (DIVERGED)", "loss against step", "step"):
        assert text in fragment, text
    assert ("minimiser" in fragment) == two


def test_standalone_and_inline_forms():
    from matplotlib.figure import Figure
    figure = Figure(figsize=(2, 2))
    figure.subplots().plot([0, 1], [0, 1])
    standalone = plots.svg_text(figure, "t")
    assert standalone.startswith("<?xml")
    inline = plots.inline(standalone, "a 'quoted' title")
    assert inline.startswith("<svg role='img' aria-label='a &#x27;quoted&#x27; title'")


def test_formula_is_presentation_mathml_without_matplotlib():
    import xml.etree.ElementTree as ET
    fragment = maths.render(parse("exp(x)/sqrt(sin(x)**3 + cos(x)**3)"), ("x",),
                            plain="exp(x)/sqrt(sin(x)**3 + cos(x)**3)")
    root = ET.fromstring(fragment)  # well-formed XML: no HTML-only named entity left
    ns = ""  # HTML puts <math> in the MathML namespace; the page holds no URL
    assert root.tag == ns + "math"
    assert root.get("alttext") == "exp(x)/sqrt(sin(x)**3 + cos(x)**3)"
    tags = {element.tag[len(ns):] for element in root.iter()}
    assert {"mfrac", "msqrt", "msup", "mi", "mo", "mn"} <= tags
    assert not tags & {"mfenced", "semantics", "annotation"}  # outside MathML Core
    text = "".join(root.itertext())
    assert text.startswith("f(x)=") and "sin" in text and "cos" in text
    assert "<svg" not in fragment and "<path" not in fragment


def test_formulas_leave_matplotlib_unloaded():
    import subprocess
    import sys
    probe = ("import sys, time\n"
             "from verify.input.expressions import parse\n"
             "from verify.report import maths\n"
             "e = [parse(f'sin({k}*x**2)*exp(-x/{k+1}) + tanh(x*y)') for k in range(30)]\n"
             "maths.render(e[0], ('x', 'y'))\n"
             "out = [maths.render(x, ('x', 'y')) for x in e[1:]]\n"
             "assert all(f.startswith('<math') for f in out), out[0]\n"
             "print('matplotlib' in sys.modules)\n")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          timeout=120, cwd=str(__import__("pathlib").Path(__file__).parents[1]))
    # matplotlib's mathtext (about 20 ms a formula) is never used for them
    assert done.stdout.split() == ["False"], done.stderr


def test_e_and_minus_print_as_in_textbooks_and_labels_are_escaped():
    fragment = maths.render(parse("exp(x)"), ("x",), plain="exp(x) <&>")
    assert "&ExponentialE;" not in fragment and "<mi>e</mi>" in fragment
    assert "<mo>-</mo>" not in maths.render(parse("x - y"), ()) 
    assert "alttext='exp(x) &lt;&amp;&gt;'" in fragment


def test_unprintable_or_long_formulas_fall_back_to_text(monkeypatch):
    long = parse(" + ".join(f"sin({k}*x)*cos({k}*x**2)*exp({k}*x)" for k in range(1, 90)))
    with pytest.raises(ValueError, match="characters of MathML"):
        maths.mathml_of(long, ("x",))
    fragment = maths.render(long, ("x",), plain="sum of sines <&>")
    assert fragment == "<code class='formula-text'>sum of sines &lt;&amp;&gt;</code>"

    def broken(*args, **kwargs):
        raise TypeError("no printer")
    import importlib
    monkeypatch.setattr(importlib.import_module("sympy.printing.mathml"), "mathml", broken)
    maths.mathml_of.cache_clear()  # x**2 may have been printed by an earlier test here
    assert maths.render(parse("x**2"), ("x",)) == "<code class='formula-text'>x**2</code>"


def _loss_axes(runs):
    from matplotlib.figure import Figure
    ax = Figure().subplots()
    plots._losses(ax, runs)
    return ax


def test_negative_losses_get_a_linear_axis_with_no_stacked_labels():
    ax = _loss_axes([{"lr": 0.1, "loss": [-1.0, -5.0, -6.4], "outcome": "converged"}])
    assert ax.get_yscale() == "linear"
    low, high = ax.get_ylim()
    assert low < -6.4 and -1.0 < high < 0  # the range of the losses, not a symmetric one


def test_a_diverged_run_does_not_squash_the_others():
    ax = _loss_axes([{"lr": 0.01, "loss": [4.0, 2.0, 1.0, 0.5], "outcome": "converged"},
                     {"lr": 1.5, "loss": [4.0, 40.0, 4e5, 4e12], "outcome": "diverged"}])
    low, high = ax.get_ylim()
    assert high < 100 and low > 0.1  # clipped to the run that converged
    labels = [text.get_text() for text in ax.get_legend().get_texts()]
    assert "lr 1.5 (DIVERGED)" in labels and "lr 0.01 (converged)" in labels


def test_power_labels_in_plain_text():
    assert plots._power_of_ten(1e-14) == "10⁻¹⁴" and plots._power_of_ten(3.0) == ""


def test_errors_at_the_ends_of_float64_draw_without_warnings():
    # curves at x = 1e-253 reach errors of 1e-320 and models of 1e300: the axis
    # limits stay in float64's normal range, and nothing is printed on the terminal
    import warnings
    from verify.report.writer import draw_figure
    data = error_curve_data()
    data["methods"][0] = dict(data["methods"][0], float64=[1e-320] * 39 + [1e300],
                              model=[4e-324] * 40)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fragment = draw_figure("error_curve", "far ends", data)
    assert fragment.count("<svg") == 1, fragment[:200]
