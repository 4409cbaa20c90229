"""Gradients of a tensor variable as a matrix on the page (CASES.md v1.1).

For each tensor variable of a case with ``shapes:``, one table laid out
like the variable (rows by columns; a vector as one row): each cell holds
the entry's exact partial derivative, the numeric value of the method that
erred most there, the backprop value and the largest relative error, at the
case's first point. The entry with the
largest relative error over every row about it is highlighted, so the
worst place of a large weight matrix is found at a glance.
"""
from __future__ import annotations

import html
import math
import re

_GRAD = re.compile(r"grad\[([A-Za-z][A-Za-z0-9_]*)\[(\d+(?:,\d+)*)\]\]\Z")
DIGITS = 6


def _show(value) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{value:.{DIGITS}g}"


def entries(rows, name):
    """``{index: {"exact", "numeric", "method", "backprop", "worst"}}`` of one tensor."""
    found, first_point = {}, None
    for row in rows:
        match = _GRAD.match(row.quantity or "")
        if not match or match.group(1) != name:
            continue
        first_point = row.point if first_point is None else first_point
        if row.point != first_point:  # the table shows the case's first point
            continue
        index = tuple(int(i) for i in match.group(2).split(","))
        cell = found.setdefault(index, {"exact": None, "numeric": None, "method": "",
                                        "backprop": None, "worst": -1.0, "numeric_error": -1.0})
        error = row.rel_error if isinstance(row.rel_error, float) and \
            not math.isnan(row.rel_error) else -1.0
        cell["exact"] = row.exact if cell["exact"] is None else cell["exact"]
        cell["worst"] = max(cell["worst"], error)
        if row.check == "backprop" and row.method == "backprop":
            cell["backprop"] = row.numeric
        elif row.check == "gradient" and error >= cell["numeric_error"]:
            cell.update(numeric=row.numeric, method=row.method, numeric_error=error)
    return found


def render(case, rows) -> str:
    """The matrix tables of every tensor variable with gradient rows ('' if none)."""
    out = []
    for name, shape in case.shapes:
        cells = entries(rows, name)
        if not cells:
            continue
        worst = max(cells, key=lambda i: cells[i]["worst"])
        grid = [shape] if len(shape) == 2 else [(1, shape[0])]
        n_rows, n_cols = grid[0]
        out.append(f"<table class='tensor'><caption>∂L/∂{html.escape(name)} "
                   f"<span class='note'>(each cell: exact · numeric, the method that erred "
                   f"most · backprop · largest relative error; the worst entry highlighted)</span></caption><tbody>")
        for i in range(n_rows):
            out.append("<tr>")
            for j in range(n_cols):
                index = (i, j) if len(shape) == 2 else (j,)
                cell = cells.get(index)
                if cell is None:
                    out.append("<td></td>")
                    continue
                mark = " class='worst'" if index == worst else ""
                label = ",".join(map(str, index))
                out.append(
                    f"<td{mark} title='{html.escape(name)}[{label}], worst relative error "
                    f"{cell['worst']:.3g}'><span class='num'>{_show(cell['exact'])}</span><br>"
                    f"<span class='num'>{_show(cell['numeric'])}</span> "
                    f"<span class='note'>{html.escape(cell['method'])}</span><br>"
                    f"<span class='num'>{_show(cell['backprop'])}</span><br>"
                    f"<span class='note'>rel. error {cell['worst']:.2g}</span></td>")
            out.append("</tr>")
        out.append("</tbody></table>")
    return "".join(out)
