"""The step-by-step graph table of a ``backprop`` figure, like the lab's printout.

One row per node, in forward order: its expression, its value, its local
derivatives, and its adjoint written out by the chain rule, e.g.
``dL/dx = dL/da * da/dx = 14 * 3 = 42``. A node feeding several others
sums one term per use; a direct use by the output is its local derivative,
written ``∂L/∂a`` when other terms follow.

``data`` is what :mod:`verify.checks.backprop` emits: ``output`` (the output
node's name), ``point``, ``problem`` and ``nodes``, a list of mappings with
``name``, ``role``, ``expression``, ``value``, ``adjoint``, ``local``
(``[[parent, d], ...]``) and ``note``; numbers are floats, and values
over data rows are summary strings.
"""
from __future__ import annotations

import html

DIGITS = 6


def show(value) -> str:
    """A number as the lab prints it: six significant digits, no trailing zeros."""
    return f"{value:.{DIGITS}g}" if isinstance(value, (int, float)) else str(value)


def _factor(value, first) -> str:
    text = show(value)
    return f"({text})" if text.startswith("-") and not first else text


def local_text(node) -> str:
    """``da/dx = 3, da/dy = 2``."""
    return ", ".join(f"d{node['name']}/d{parent} = {show(d)}" for parent, d in node["local"])


def chain(nodes, index, output) -> str:
    """The adjoint of ``nodes[index]`` by the chain rule, with its numbers."""
    node = nodes[index]
    name = node["name"]
    left = f"d{output}/d{name}"
    if index == len(nodes) - 1:
        return f"{left} = 1"
    uses = [(user, d) for user in nodes[index + 1:] for parent, d in user["local"]
            if parent == name]
    if not uses:
        return f"{left} = 0 (not used by {output})"
    if len(uses) == 1 and uses[0][0]["name"] == output:
        return f"{left} = {show(node['adjoint'])}"
    symbols, numbers = [], []
    for user, d in uses:
        first = not numbers
        if user["name"] == output:
            symbols.append(f"∂{output}/∂{name}")
            numbers.append(_factor(d, first))
        else:
            symbols.append(f"d{output}/d{user['name']} * d{user['name']}/d{name}")
            numbers.append(f"{_factor(user['adjoint'], first)} * {_factor(d, False)}")
    return f"{left} = {' + '.join(symbols)} = {' + '.join(numbers)} = {show(node['adjoint'])}"


def rows(data) -> list[dict]:
    """The table's rows as text: node, expression, role, value, local, chain, note."""
    nodes, output = data["nodes"], data["output"]
    return [{"node": n["name"], "expression": n["expression"], "role": n["role"],
             "value": show(n["value"]), "local": local_text(n),
             "chain": chain(nodes, k, output), "note": n["note"]}
            for k, n in enumerate(nodes)]


def render(title: str, data: dict) -> str:
    """The table as an HTML fragment (the page captions it with ``title``)."""
    out = ["<table class='graph'><thead><tr>"
           "<th>node</th><th>expression</th><th>value</th><th>local derivatives</th>"
           "<th>adjoint (chain rule)</th><th>note</th></tr></thead><tbody>"]
    for row in rows(data):
        kink = " class='skip'" if row["note"] else ""
        expression = f"<code>{html.escape(row['expression'])}</code>" if row["expression"] \
            else f"<i>{html.escape(row['role'])}</i>"
        out.append(f"<tr{kink}><td><code>{html.escape(row['node'])}</code></td>"
                   f"<td>{expression}</td><td class='num'>{html.escape(row['value'])}</td>"
                   f"<td>{html.escape(row['local'])}</td>"
                   f"<td><code>{html.escape(row['chain'])}</code></td>"
                   f"<td class='msg'>{html.escape(row['note'])}</td></tr>")
    out.append("</tbody></table>")
    if data.get("problem"):
        out.append(f"<p class='note'>{html.escape(data['problem'])}</p>")
    return "".join(out)
