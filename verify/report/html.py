"""report.html: one self-contained page (inline CSS, inline SVG, no script,
nothing fetched), the summary first, then a navigable list of cases
(failures first) and a section per case: its function as MathML, its
table with pass and fail marked, and its figures.

Passing cases are collapsed (``<details>``) so a run of a thousand cases
stays light; failing and erroring cases, and cases whose figures are drawn,
are open. Which figures are drawn is decided by :mod:`verify.report.writer`.
"""
from __future__ import annotations

import html
import math
from collections import OrderedDict

from verify.core.tolerances import SAFETY
from verify.report import graph_table
from verify.checks.compare import worst_rel_error
from verify.core.status import ORDER, count, is_bad, status_of

CSS = """
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;color:#1d232b;background:#f6f7f9}
header{background:#1f3a5f;color:#fff;padding:18px 28px}header h1{margin:0;font-size:22px}
header p{margin:4px 0 0;opacity:.85}
main{padding:18px 28px;max-width:1400px}
a{color:#1f5fa8}
.cards{display:flex;gap:12px;flex-wrap:wrap;margin:0 0 18px}
.card{background:#fff;border-radius:8px;padding:10px 16px;box-shadow:0 1px 2px #0002;min-width:110px}
.card b{display:block;font-size:22px}.card span{color:#5b6670;font-size:12px;text-transform:uppercase}
.card.bad b{color:#c62828}
nav details{margin:4px 0}nav summary{cursor:pointer;font-weight:600}
nav ol{columns:3;column-gap:24px;padding-left:28px;margin:6px 0}nav li{margin:2px 0;break-inside:avoid}
section.case{background:#fff;border-radius:8px;box-shadow:0 1px 2px #0002;margin:14px 0;padding:4px 16px;scroll-margin-top:8px}
section.case:target{outline:3px solid #f9a825}
section.case>details>summary{cursor:pointer;padding:10px 0;font-size:16px;font-weight:600}
.top{float:right;font-size:12px;font-weight:400;margin-top:12px}
.badge{display:inline-block;border-radius:10px;padding:1px 8px;font-size:12px;font-weight:600;color:#fff;vertical-align:1px}
.badge.pass{background:#2e7d32}.badge.fail{background:#c62828}.badge.error{background:#8e24aa}.badge.skip{background:#757575}.badge.inconclusive{background:#b26a00}
table{border-collapse:collapse;width:100%;margin:8px 0 14px;font-size:12.5px}
th,td{border-bottom:1px solid #e3e6ea;padding:3px 6px;text-align:left;vertical-align:top}
th{background:#f0f2f5;position:sticky;top:0}
td.num{font-family:ui-monospace,Menlo,Consolas,monospace;text-align:right;white-space:nowrap}
tr.fail td{background:#fdecea}tr.error td{background:#f6e9f8}tr.skip td{color:#6b7280}
.msg{max-width:520px}.desc{color:#46515c;margin:0 0 6px}
code{background:#f0f2f5;padding:1px 4px;border-radius:3px}
.math{margin:6px 0;padding:4px 0;overflow-x:auto;overflow-y:hidden}.math math{font-size:17px;math-style:normal}
.figures{display:flex;flex-wrap:wrap;gap:14px;margin:0 0 12px}.figures figure{margin:0;max-width:100%}
.figures svg{max-width:100%;height:auto;display:block}
.note{color:#5b6670;font-size:12px}
table.tensor{width:auto}table.tensor caption{text-align:left;font-weight:600;padding:2px 0}
table.tensor td{border:1px solid #e3e6ea;font-family:ui-monospace,Menlo,Consolas,monospace;text-align:right}
table.tensor td.worst{background:#fff3cd;outline:2px solid #b26a00}
"""

_GROUPS = (("error", "Errors"), ("fail", "Failing"), ("pass", "Passing"),
           ("inconclusive", "Inconclusive only"), ("skip", "Skipped only"))
OPEN_NAV_GROUP = 200  # a group of the case list with more entries starts collapsed

def renderers() -> dict:
    """Figure kind (from Artifacts.add_figure) -> ``function(title, data) -> HTML fragment``."""
    return {"graph_table": graph_table.render, "error_curve": _plotted("error_curve"),
            "taylor": _plotted("taylor"), "descent": _plotted("descent")}


def _plotted(kind):
    """``plots.<kind>``, with matplotlib (about 0.8 s to import) loaded when such
    a figure is drawn, not for a page whose figures are all graph tables."""
    def draw(title, data):
        from verify.report import plots
        return getattr(plots, kind)(title, data)
    draw.__name__ = kind
    return draw


def render_figure(kind: str, title: str, data: dict) -> str:
    """One figure of a case as an HTML fragment (inline SVG or a table);
    a kind with no renderer is shown as a note, never silently dropped."""
    render = renderers().get(kind)
    if render is None:
        return f"<p class='note'>no renderer for figure kind {html.escape(kind)!s}</p>"
    return render(title, data)


def _fmt(value, digits=None):
    """A float with ``digits`` significant digits, or by default the shortest
    text that reads back as the same float64 (the exact value -4/5 shows as
    -0.8, not as the 17 digits of its nearest double)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float):
        return repr(value) if digits is None else f"{value:.{digits}g}"
    return html.escape(str(value))


def anchor(case_id: str) -> str:
    """The id of a case's section (letters, digits and dashes only)."""
    return "case-" + "".join(c if c.isalnum() and c.isascii() else "-" for c in case_id)


def ordered_cases(results) -> list:
    """``[(case_id, rows, status)]`` in page order: errors, failures, passes, skips;
    run order within each."""
    by_case = OrderedDict()
    for r in results:
        by_case.setdefault(r.case_id or f"{r.file}::{r.case}", []).append(r)
    entries = [(case_id, rows, status_of(rows)) for case_id, rows in by_case.items()]
    return sorted(entries, key=lambda item: ORDER.index(item[2]))


def render_page(results, cases=(), *, interrupted=False, runs=(), files=None, figures=None,
                maths=None, notes=None) -> str:
    """The whole page as text.

    ``figures`` maps a case id to ``(title, fragment, file)`` triples (``file``
    the figure's own SVG under ``plots/``, or None); without it every figure
    of ``runs`` is drawn here. ``maths`` maps a case id to its formula
    fragment; ``notes`` a case id to a line shown above its figures (why
    some were not drawn).
    """
    if figures is None:
        figures = {run.case_id: [(title, drawn[0] if drawn else render_figure(kind, title, data),
                                  None)
                                 for kind, title, data, *drawn in run.figures]
                   for run in runs if run.figures}
    maths, notes = maths or {}, notes or {}
    ordered = ordered_cases(results)
    described = {c.id: c for c in cases}
    # a worker's table, kept with the very rows it shows: a caller may pass other rows
    tables = {run.case_id: (run.results, run.table_html) for run in runs
              if getattr(run, "table_html", None) is not None}
    counts = count(results)
    worst = worst_rel_error(results)
    parts = ["<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
             "<meta name='viewport' content='width=device-width,initial-scale=1'>",
             "<title>verify report</title><style>", CSS, "</style></head><body>",
             "<header><h1>verify: symbolic against numeric</h1>",
             f"<p>{len(ordered)} cases · {len(results)} comparisons"
             + (" · <b>run interrupted: the cases below are those that finished</b>" if interrupted else "")
             + "</p></header><main>"]
    parts.append("<div class='cards'>" + "".join(
        f"<div class='card{' bad' if bad and value else ''}'><b>{value}</b><span>{label}</span></div>"
        for label, value, bad in (
            ("cases", len(ordered), False), ("comparisons", len(results), False),
            ("passed", counts["pass"], False), ("failed", counts["fail"], True),
            ("errors", counts["error"], True), ("inconclusive", counts["inconclusive"], False),
            ("skipped", counts["skip"], False),
            ("worst rel. error", _fmt(worst, 3) or "–", False))) + "</div>")
    parts.append(f"<p class='note'>A numeric value passes when its error is within the bound "
                 f"predicted for its method, step and point: {SAFETY:g} × (truncation + rounding) "
                 "+ the shift from the written point to its nearest float; it is <i>inconclusive</i> "
                 "when that bound is as large as the exact value or not finite. Truncation is "
                 "<i>rigorous</i> (interval arithmetic over the stencil) or a <i>leading term</i>, "
                 "as the bound column says. A case's <code>tolerance</code> replaces the bound. "
                 "Error curves: the <code>best_h</code> row passes when the predicted best step "
                 "is within a factor 10 of the observed valley (the steps whose running-median "
                 "error is within 3 times the lowest) and the lowest error within 100 times the "
                 "predicted one; the <code>order</code> row when the log-log slope fitted over "
                 "the truncation-dominated steps is within 0.5 of the expected order.</p>")
    parts.append(_nav(ordered))
    for case_id, rows, status in ordered:
        parts.append(_case_section(case_id, rows, status, described.get(case_id),
                                   figures.get(case_id, ()), maths.get(case_id),
                                   notes.get(case_id), _drawn_table(tables.get(case_id), rows)))
    parts.append("</main></body></html>")
    return "".join(parts)


def _drawn_table(drawn, rows):
    """The worker's table when it shows these very rows, else None."""
    if drawn is None or len(drawn[0]) != len(rows):
        return None
    return drawn[1] if all(a is b for a, b in zip(drawn[0], rows)) else None


def _nav(ordered) -> str:
    out = ["<nav id='cases'><h2>Cases</h2>"]
    for status, heading in _GROUPS:
        group = [(case_id, rows) for case_id, rows, s in ordered if s == status]
        if not group:
            continue
        opened = " open" if status in ("fail", "error") or len(group) <= OPEN_NAV_GROUP else ""
        out.append(f"<details{opened}><summary>{heading} ({len(group)})</summary><ol>")
        for case_id, rows in group:
            failing = sum(is_bad(r.status) for r in rows)
            extra = f" <span class='note'>{failing} of {len(rows)}</span>" if failing else ""
            out.append(f"<li><a href='#{anchor(case_id)}'>{html.escape(case_id)}</a> "
                       f"<span class='badge {status}'>{status}</span>{extra}</li>")
        out.append("</ol></details>")
    out.append("</nav>")
    return "".join(out)


def _case_section(case_id, rows, status, case, figures, math_html, note,
                  table_html=None) -> str:
    counts = count(rows)
    opened = " open" if status in ("fail", "error") or figures else ""
    out = [f"<section class='case' id='{anchor(case_id)}'><details{opened}><summary>"
           f"<span class='badge {status}'>{status}</span> {html.escape(case_id)} "
           f"<span class='note'>{counts['pass']} passed, {counts['fail']} failed, "
           f"{counts['error']} errors, {counts['inconclusive']} inconclusive, "
           f"{counts['skip']} skipped</span>"
           f"<a class='top' href='#cases'>cases ↑</a></summary>"]
    if case is not None:
        if case.description:
            out.append(f"<p class='desc'>{html.escape(case.description)}</p>")
        if math_html:
            out.append(f"<div class='math'>{math_html}</div>")
        text = case.function_text or "; ".join(f"{n.name} = {n.text}" for n in case.graph)
        out.append(f"<p><code>{html.escape(text)}</code> "
                   f"<span class='note'>{html.escape(case.file)}:{case.line}</span></p>")
    if case is not None and getattr(case, "shapes", ()):
        from verify.report.tensor_table import render as tensor_tables
        out.append(tensor_tables(case, rows))
    out.append(table_html if table_html is not None else results_table_html(rows))
    if note:
        out.append(f"<p class='note'>{html.escape(note)}</p>")
    if figures:
        out.append("<div class='figures'>")
        for title, fragment, *file in figures:
            file = file[0] if file else None
            link = f" · <a href='{html.escape(file, quote=True)}'>SVG file</a>" if file else ""
            out.append(f"<figure>{fragment}<figcaption class='note'>{html.escape(title)}{link}"
                       "</figcaption></figure>")
        out.append("</div>")
    out.append("</details></section>")
    return "".join(out)


def results_table_html(rows) -> str:
    """A case's rows as the page's HTML table."""
    out = ["<table><thead><tr><th>check</th><th>method</th><th>quantity</th><th>point</th>"
           "<th>h</th><th>exact</th><th>numeric</th><th>abs error</th><th>rel error</th>"
           "<th>bound</th><th>status</th><th>message</th></tr></thead><tbody>"]
    for r in rows:
        out.append(f"<tr class='{r.status}'><td>{html.escape(r.check)}</td>"
                   f"<td>{html.escape(r.method)}</td><td>{html.escape(r.quantity)}</td>"
                   f"<td>{html.escape(r.point)}</td><td class='num'>{_fmt(r.h, 3)}</td>"
                   f"<td class='num'>{_fmt(r.exact)}</td><td class='num'>{_fmt(r.numeric)}</td>"
                   f"<td class='num'>{_fmt(r.abs_error, 3)}</td><td class='num'>{_fmt(r.rel_error, 3)}</td>"
                   f"<td class='num' title='{html.escape(r.bound_kind, quote=True)}'>{_fmt(r.tolerance, 3)}</td>"
                   f"<td><span class='badge {r.status}'>{r.status}</span></td>"
                   f"<td class='msg'>{html.escape(r.message)}</td></tr>")
    out.append("</tbody></table>")
    return "".join(out)
