"""A case's function as mathematics: Presentation MathML, no script, no font.

SymPy's presentation printer writes the MathML; the browser lays it out
itself (MathML Core, native in Chromium since 109, Firefox and Safari), so
the page needs no MathJax download and the report no matplotlib: a
formula costs a few milliseconds instead of mathtext's tens. What cannot
be printed (or is too long to read as one line) falls back to the plain
text in ``<code>``.

References
----------
.. [1] W3C, "MathML Core" (the subset browsers render natively).
.. [2] SymPy, ``sympy.printing.mathml.mathml(expr, printer="presentation")``.
"""
from __future__ import annotations

import functools
import html
import itertools
import re

MAX_MARKUP = 20_000   # longer formulas are not readable as one line: plain text
# Past this many terms (nodes of the expression tree) a formula is text without
# being printed first: a term prints as about 10 characters or more, so such a
# formula is past MAX_MARKUP anyway, and printing a graph of nested nodes took
# seconds (the printer walks each shared subtree anew)
MAX_TERMS = MAX_MARKUP // 8
_ENTITY = re.compile(r"&([A-Za-z][A-Za-z0-9]*);")
_XML_ENTITIES = {"lt", "gt", "amp", "quot", "apos"}
_PLAIN = {"ExponentialE": "e", "ImaginaryI": "i"}  # as textbooks print them, not double-struck
# MathML Core has no <mfenced>; SymPy's printer no longer writes it, but a
# fallback keeps an older SymPy from producing a formula Chromium skips.
_UNSUPPORTED = ("<mfenced", "<mstyle mathvariant")


def _characters(markup: str) -> str:
    """Named entities such as ``&ExponentialE;`` as the characters they name,
    so the fragment is also well-formed XML (only XML's five stay named)."""
    def one(match):
        name = match.group(1)
        if name in _XML_ENTITIES:
            return match.group(0)
        return _PLAIN.get(name) or html.unescape(match.group(0))
    # U+2212: a hyphen-minus in <mo> is drawn as a hyphen
    return _ENTITY.sub(one, markup).replace("<mo>-</mo>", "<mo>\u2212</mo>")


@functools.lru_cache(maxsize=256)  # the CLI prints a case's as its result arrives
def mathml_of(expression, variables=()) -> str:
    """The ``<mrow>`` of ``f(x, y) = ...`` (SymPy's presentation printer).

    Raises
    ------
    ValueError
        When SymPy cannot print it, or it is too long to read.
    """
    from sympy import preorder_traversal
    from sympy.printing.mathml import mathml  # SymPy's printers: only when a page is drawn
    if next(itertools.islice(preorder_traversal(expression), MAX_TERMS, None), None) is not None:
        raise ValueError(f"the formula has more than {MAX_TERMS} terms")
    try:
        body = mathml(expression, printer="presentation")
    except Exception as exc:  # noqa: BLE001 - any printer failure means "show the text"
        raise ValueError(f"SymPy cannot print it as MathML: {type(exc).__name__}: {exc}") from None
    if any(tag in body for tag in _UNSUPPORTED):
        raise ValueError("the MathML uses elements outside MathML Core")
    if variables:
        names = "<mo>,</mo>".join(f"<mi>{html.escape(v)}</mi>" for v in variables)
        body = f"<mi>f</mi><mo>(</mo>{names}<mo>)</mo><mo>=</mo>{body}"
    body = _characters(body)
    if len(body) > MAX_MARKUP:
        raise ValueError(f"the formula is {len(body)} characters of MathML (at most {MAX_MARKUP})")
    return f"<mrow>{body}</mrow>"


@functools.lru_cache(maxsize=4096)
def _math_element(markup: str, label: str) -> str:
    # inline (not display='block', which Chromium centres); the page's CSS sets
    # math-style: normal for full-size fractions. No xmlns: the HTML parser puts <math> in the MathML namespace itself, and
    # the page keeps no URL at all
    return (f"<math class='formula' "
            f"alttext='{label}' aria-label='{label}'>{markup}</math>")


def render(expression, variables=(), *, plain: str = "") -> str:
    """An HTML fragment: the formula as ``<math>``, or the plain text.

    ``plain`` is the text shown when the formula cannot be printed (default:
    SymPy's ``str`` of the expression); it is also the formula's label.
    """
    try:
        markup = mathml_of(expression, variables)
    except ValueError:
        return text_fallback(plain or str(expression))
    # the text only now: for a formula too large to print, it too took seconds
    return _math_element(markup, html.escape(plain or str(expression), quote=True))


def text_fallback(plain: str) -> str:
    return f"<code class='formula-text'>{html.escape(plain)}</code>"
