"""The codebase rules of docs/design.md that a machine can check."""
from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "verify"
PUBLIC_API = {("api.py", "check"), ("api.py", "check_gradient"), ("api.py", "run")}
MAX_PARAMETERS = 8


def _parameters(node: ast.FunctionDef) -> int:
    a = node.args
    count = len(a.posonlyargs) + len(a.args) + len(a.kwonlyargs) + bool(a.vararg) + bool(a.kwarg)
    return count - bool(a.args and a.args[0].arg in ("self", "cls"))


def test_no_function_takes_more_than_eight_parameters_outside_the_public_api():
    # per-point state travels in a context object (checks.common.PointContext), not in lists
    long = []
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) \
                    and _parameters(node) > MAX_PARAMETERS \
                    and (str(path.relative_to(PACKAGE)), node.name) not in PUBLIC_API:
                long.append(f"{path.relative_to(PACKAGE)}:{node.lineno} {node.name}")
    assert long == []
