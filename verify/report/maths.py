"""A case's function rendered as mathematics, with no MathJax download.

SymPy writes the LaTeX; matplotlib's mathtext lays it out and turns the
glyphs into outlines (``TextPath``), which become one SVG ``<path>``: the
page needs no font and no script. What mathtext cannot parse (or what is
too long to read as one line) falls back to the plain text in ``<code>``.

References
----------
.. [1] matplotlib "Writing mathematical expressions" (the mathtext subset
   of TeX that is supported).
"""
from __future__ import annotations

import functools
import html

MAX_LATEX = 700      # longer formulas are not readable as one line: plain text
SIZE = 15.0          # font size of the formula, in SVG user units (px)
PAD = 2.0
_CODES = {1: "M", 2: "L", 3: "Q", 4: "C"}


def latex_of(expression, variables=()) -> str:
    """``f(x, y) = ...`` as LaTeX (SymPy's printer)."""
    import sympy
    body = sympy.latex(expression)
    if variables:
        return f"f({', '.join(variables)}) = {body}"
    return body


@functools.lru_cache(maxsize=2048)
def svg_of_latex(latex: str) -> str:
    """One ``<svg>`` holding the formula's outlines.

    Raises
    ------
    ValueError
        When mathtext cannot parse ``latex`` or it is too long.
    """
    if len(latex) > MAX_LATEX:
        raise ValueError(f"the formula is {len(latex)} characters long (at most {MAX_LATEX})")
    from matplotlib.textpath import TextPath
    try:
        path = TextPath((0, 0), f"${latex}$", size=SIZE)
    except (ValueError, RuntimeError, KeyError, IndexError, TypeError) as exc:
        raise ValueError(f"mathtext cannot parse it: {exc}") from None
    extents = path.get_extents()
    width = extents.width + 2 * PAD
    height = extents.height + 2 * PAD
    left, top = extents.x0 - PAD, extents.y1 + PAD
    parts = []
    for vertices, code in path.iter_segments(simplify=False, curves=True):
        if code == 79:  # CLOSEPOLY
            parts.append("Z")
            continue
        coordinates = " ".join(f"{x - left:.2f} {top - y:.2f}"
                               for x, y in zip(vertices[::2], vertices[1::2]))
        parts.append(f"{_CODES[code]}{coordinates}")
    return (f"<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 {width:.2f} {height:.2f}' "
            f"width='{width:.1f}' height='{height:.1f}' role='img' class='formula'>"
            f"<path d='{''.join(parts)}' fill='currentColor'/></svg>")


def render(expression, variables=(), *, plain: str = "") -> str:
    """An HTML fragment: the formula as inline SVG, or the plain text.

    ``plain`` is the text shown when mathtext cannot draw the formula
    (default: SymPy's ``str`` of the expression); it is also the SVG's label.
    """
    return render_latex(latex_of(expression, variables), plain or str(expression))


def render_latex(latex: str, plain: str) -> str:
    """:func:`render` from the LaTeX already written (plain strings travel
    cheaply to the processes that draw the report)."""
    try:
        svg = svg_of_latex(latex)
    except ValueError:
        return f"<code class='formula-text'>{html.escape(plain)}</code>"
    label = html.escape(plain, quote=True)
    return svg.replace("role='img'", f"role='img' aria-label='{label}'", 1)
