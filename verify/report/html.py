"""report.html: one self-contained page (inline CSS, inline SVG, no script,
nothing fetched), the summary first, then a section per case, failures first.

Passing cases are collapsed (``<details>``) so a run of a thousand cases
stays light; failing and erroring cases are open.
"""
from __future__ import annotations

import html
import math
from collections import OrderedDict

from ..bounds import SAFETY

CSS = """
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;color:#1d232b;background:#f6f7f9}
header{background:#1f3a5f;color:#fff;padding:18px 28px}header h1{margin:0;font-size:22px}
header p{margin:4px 0 0;opacity:.85}
main{padding:18px 28px;max-width:1400px}
.cards{display:flex;gap:12px;flex-wrap:wrap;margin:0 0 18px}
.card{background:#fff;border-radius:8px;padding:10px 16px;box-shadow:0 1px 2px #0002;min-width:110px}
.card b{display:block;font-size:22px}.card span{color:#5b6670;font-size:12px;text-transform:uppercase}
nav ol{columns:3;column-gap:24px;padding-left:20px}nav li{margin:2px 0;break-inside:avoid}
section.case{background:#fff;border-radius:8px;box-shadow:0 1px 2px #0002;margin:14px 0;padding:4px 16px}
section.case>details>summary{cursor:pointer;padding:10px 0;font-size:16px;font-weight:600}
.badge{display:inline-block;border-radius:10px;padding:1px 8px;font-size:12px;font-weight:600;color:#fff;vertical-align:1px}
.pass{background:#2e7d32}.fail{background:#c62828}.error{background:#8e24aa}.skip{background:#757575}
table{border-collapse:collapse;width:100%;margin:8px 0 14px;font-size:12.5px}
th,td{border-bottom:1px solid #e3e6ea;padding:3px 6px;text-align:left;vertical-align:top}
th{background:#f0f2f5;position:sticky;top:0}
td.num{font-family:ui-monospace,Menlo,Consolas,monospace;text-align:right;white-space:nowrap}
tr.fail td{background:#fdecea}tr.error td{background:#f6e9f8}tr.skip td{color:#6b7280}
.msg{max-width:520px}.desc{color:#46515c;margin:0 0 6px}
code{background:#f0f2f5;padding:1px 4px;border-radius:3px}
.figures{display:flex;flex-wrap:wrap;gap:12px}.figures figure{margin:0}
.figures svg,.figures img{max-width:100%;height:auto}
.math svg{height:2.2em;width:auto;vertical-align:middle}
.note{color:#5b6670;font-size:12px}
"""

_STATUS_RANK = {"error": 0, "fail": 1, "pass": 2, "skip": 3}

# Figure kind (from Artifacts.add_figure) -> "module:function(title, data) -> HTML fragment".
# A kind whose module is missing is shown as a note, never silently dropped.
RENDERERS = {
    "graph_table": "verify.report.graph_table:render",
    "error_curve": "verify.report.plots:error_curve",
    "taylor": "verify.report.plots:taylor",
    "descent": "verify.report.plots:descent",
}


def render_figure(kind: str, title: str, data: dict) -> str:
    """One figure of a case as an HTML fragment (inline SVG or a table)."""
    import importlib
    target = RENDERERS.get(kind)
    if target is None:
        return f"<p class='note'>no renderer for figure kind {html.escape(kind)!s}</p>"
    module_name, function = target.split(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name != module_name:
            raise
        return f"<p class='note'>{html.escape(title)}: plots of this kind come with a later version</p>"
    return getattr(module, function)(title, data)


def _fmt(value, digits=6):
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float):
        return f"{value:.{digits}g}"
    return html.escape(str(value))


def _case_status(rows):
    statuses = {r.status for r in rows}
    return "error" if "error" in statuses else "fail" if "fail" in statuses else \
        "pass" if "pass" in statuses else "skip"


def _anchor(case_id: str) -> str:
    return "case-" + "".join(c if c.isalnum() else "-" for c in case_id)


def render_page(results, cases=(), *, interrupted=False, runs=(), files=None, figures=None,
                maths=None) -> str:
    """The whole page as text. ``figures`` maps a case id to (title, svg) pairs;
    ``maths`` maps a case id to an SVG rendering of its function."""
    figures, maths = dict(figures or {}), maths or {}
    for run in runs:
        if run.figures and run.case_id not in figures:
            figures[run.case_id] = [(title, render_figure(kind, title, data))
                                    for kind, title, data in run.figures]
    by_case = OrderedDict()
    for r in results:
        by_case.setdefault(r.case_id or f"{r.file}::{r.case}", []).append(r)
    described = {c.id: c for c in cases}
    ordered = sorted(by_case.items(), key=lambda item: _STATUS_RANK[_case_status(item[1])])
    counts = {s: sum(r.status == s for r in results) for s in ("pass", "fail", "error", "skip")}
    judged = [r.rel_error for r in results if r.rel_error is not None and r.status in ("pass", "fail")]
    worst = max(judged) if judged else None
    parts = ["<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
             "<meta name='viewport' content='width=device-width,initial-scale=1'>",
             "<title>verify report</title><style>", CSS, "</style></head><body>",
             "<header><h1>verify: symbolic against numeric</h1>",
             f"<p>{len(by_case)} cases · {len(results)} comparisons"
             + (" · <b>run interrupted: the cases below are those that finished</b>" if interrupted else "")
             + "</p></header><main>"]
    parts.append("<div class='cards'>" + "".join(
        f"<div class='card'><b>{value}</b><span>{label}</span></div>" for label, value in (
            ("cases", len(by_case)), ("comparisons", len(results)), ("passed", counts["pass"]),
            ("failed", counts["fail"]), ("errors", counts["error"]), ("skipped", counts["skip"]),
            ("worst rel. error", _fmt(worst, 3) or "–"))) + "</div>")
    parts.append(f"<p class='note'>A numeric value passes when its error is within the bound "
                 f"predicted for its method, step and point: {SAFETY:g} × (truncation + rounding) "
                 "+ the shift from the written point to its nearest float. Truncation is "
                 "<i>rigorous</i> (interval arithmetic over the stencil) or a <i>leading term</i>, "
                 "as the bound column says. A case's <code>tolerance</code> replaces the bound.</p>")
    parts.append("<nav><h2>Cases</h2><ol>")
    for case_id, rows in ordered:
        status = _case_status(rows)
        parts.append(f"<li><a href='#{_anchor(case_id)}'>{html.escape(case_id)}</a> "
                     f"<span class='badge {status}'>{status}</span></li>")
    parts.append("</ol></nav>")
    for case_id, rows in ordered:
        parts.append(_case_section(case_id, rows, described.get(case_id), figures.get(case_id, ()),
                                   maths.get(case_id)))
    parts.append("</main></body></html>")
    return "".join(parts)


def _case_section(case_id, rows, case, figures, math_svg) -> str:
    status = _case_status(rows)
    counts = {s: sum(r.status == s for r in rows) for s in ("pass", "fail", "error", "skip")}
    opened = " open" if status in ("fail", "error") or figures else ""
    out = [f"<section class='case' id='{_anchor(case_id)}'><details{opened}><summary>"
           f"<span class='badge {status}'>{status}</span> {html.escape(case_id)} "
           f"<span class='note'>{counts['pass']} passed, {counts['fail']} failed, "
           f"{counts['error']} errors, {counts['skip']} skipped</span></summary>"]
    if case is not None:
        if case.description:
            out.append(f"<p class='desc'>{html.escape(case.description)}</p>")
        if math_svg:
            out.append(f"<p class='math'>{math_svg}</p>")
        text = case.function_text or "; ".join(f"{n.name} = {n.text}" for n in case.graph)
        out.append(f"<p><code>{html.escape(text)}</code> "
                   f"<span class='note'>{html.escape(case.file)}:{case.line}</span></p>")
    out.append("<table><thead><tr><th>check</th><th>method</th><th>quantity</th><th>point</th>"
               "<th>h</th><th>exact</th><th>numeric</th><th>abs error</th><th>rel error</th>"
               "<th>bound</th><th>status</th><th>message</th></tr></thead><tbody>")
    for r in rows:
        out.append(f"<tr class='{r.status}'><td>{html.escape(r.check)}</td>"
                   f"<td>{html.escape(r.method)}</td><td>{html.escape(r.quantity)}</td>"
                   f"<td>{html.escape(r.point)}</td><td class='num'>{_fmt(r.h, 3)}</td>"
                   f"<td class='num'>{_fmt(r.exact, 17)}</td><td class='num'>{_fmt(r.numeric, 17)}</td>"
                   f"<td class='num'>{_fmt(r.abs_error, 3)}</td><td class='num'>{_fmt(r.rel_error, 3)}</td>"
                   f"<td class='num' title='{html.escape(r.bound_kind)}'>{_fmt(r.tolerance, 3)}</td>"
                   f"<td><span class='badge {r.status}'>{r.status}</span></td>"
                   f"<td class='msg'>{html.escape(r.message)}</td></tr>")
    out.append("</tbody></table>")
    if figures:
        out.append("<div class='figures'>")
        for title, svg in figures:
            out.append(f"<figure>{svg}<figcaption class='note'>{html.escape(title)}</figcaption></figure>")
        out.append("</div>")
    out.append("</details></section>")
    return "".join(out)
