"""The user's own value and gradient code against the exact results.

A case's ``implementation: {value: "module:callable", gradient: ...}`` is
imported only under ``--allow-import`` (CASES.md); :func:`verify.check_gradient`
hands the callables over directly. Each point reaches the user's code in the
case's dtype, and the exact side is evaluated at exactly the numbers the
code received, so what is compared is the code alone:

- ``value``: the user's value against the exact function;
- ``grad[v]`` (method ``implementation``): each gradient component against
  the exact partial derivative;
- ``grad[v]`` (method ``central``, ...): finite differences of the user's
  value function against the exact partial derivative, bounded like any
  finite difference (:mod:`verify.bounds`). When the gradient code is off
  but these agree, the message says the gradient, not the function, is wrong.

The user's code may evaluate in another order than the expression, so it is
allowed the rounding theory predicts for the expression (running error
analysis in the dtype's unit roundoff, times ``SAFETY``) plus one unit of
roundoff of the largest quantity compared at the point.
"""
from __future__ import annotations

import importlib
import sys
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import sympy

from . import differences
from .bounds import SAFETY, partial_bound
from .checks.common import dtype_of, smooth_between
from .compare import error_row, judge_numeric, where
from .exact import evaluate_safely, exact_function
from .kinks import point_problem
from .rounding import running_error
from .values import Value

FD_METHODS = ("central",)   # finite differences of the user's value function
CALLS = ("keywords", "vector")


class ImplementationError(ValueError):
    """The user's code could not be imported or called as CASES.md says."""


@dataclass(frozen=True)
class RoundingBound:
    """What a correct implementation in ``dtype`` may differ by (the comparator's bound)."""

    total: float
    rounding: float
    floor: float
    dtype: str
    kind: str = "rounding"

    def describe(self) -> str:
        return (f"bound {self.total:.3g} for {self.dtype} = {SAFETY:g} x rounding "
                f"{self.rounding:.3g} (running error of the exact formula) + one unit "
                f"{self.floor:.3g}")


def implementation_rows(case, options, artifacts=None):
    """Rows for a case's ``implementation`` key (called by :mod:`verify.runner`)."""
    base = where(case, "implementation", case.line_of("implementation"))
    named = dict(case.implementation)
    if not options.allow_import:
        listed = ", ".join(f"{role}: {target}" for role, target in case.implementation)
        return [error_row(base, f"this case names your own code ({listed}); importing it needs "
                                "--allow-import (pytest: --verify-allow-import)")]
    try:
        found = {role: load_callable(target, case.source.folder) for role, target in named.items()}
    except ImplementationError as exc:
        return [error_row(base, str(exc))]
    return compare_implementation(case, value=found.get("value"), gradient=found.get("gradient"),
                                  base=base)


def load_callable(target: str, folder) -> object:
    """``"module:callable"`` imported with ``folder`` first on ``sys.path``."""
    module_name, _, attribute = target.partition(":")
    folder = str(Path(folder).resolve())
    sys.path.insert(0, folder)
    try:
        importlib.invalidate_caches()  # a module written after start-up is found too
        module = importlib.import_module(module_name)
    except Exception as exc:  # noqa: BLE001 - any failure of user code is reported, not raised
        raise ImplementationError(f"cannot import '{module_name}' (looked in {folder} first): "
                                  f"{type(exc).__name__}: {exc}") from None
    finally:
        sys.path.remove(folder)
    _same_module(module, module_name, folder)
    function = getattr(module, attribute, None)
    if not callable(function):
        raise ImplementationError(f"'{module_name}' has no callable '{attribute}'")
    return function


def _same_module(module, module_name, folder):
    """Refuse a module of the same name imported earlier from another folder."""
    candidate = Path(folder, *module_name.split("."))
    local = [p for p in (candidate.with_suffix(".py"), candidate / "__init__.py") if p.exists()]
    loaded = getattr(module, "__file__", None)
    if local and loaded and Path(loaded).resolve() != local[0].resolve():
        raise ImplementationError(f"a different module '{module_name}' is already imported "
                                  f"(from {loaded}); rename one of them")


def compare_implementation(case, *, value=None, gradient=None, base=None, call="keywords",
                           tensors=False, methods=FD_METHODS):
    """Compare the user's ``value`` and ``gradient`` callables with the case's exact results.

    Parameters
    ----------
    case : verify.cases.Case
    value, gradient : callable, optional
        Called with the point's variables as keyword arguments (``call="keywords"``)
        or with one array of them in ``case.variables`` order (``call="vector"``).
        ``gradient`` returns a mapping variable: number or a sequence in
        variables order; tensors and arrays are converted at the edge.
    tensors : bool
        Pass PyTorch tensors (of the case's dtype) instead of NumPy numbers.
    methods : sequence of str
        Finite-difference methods applied to ``value``.
    """
    if call not in CALLS:
        raise ValueError(f"`call` must be one of {', '.join(CALLS)}.")
    base = base or where(case, "implementation", case.line_of("implementation"))
    engine = exact_function(case)
    dtype = dtype_of(case)
    u = differences.unit_roundoff(dtype)
    caller = _Caller(case.variables, dtype, call, tensors)
    rows = []
    for point in case.points:
        label = case.label(point)
        received = [dtype(p.float64) for p in point]
        at = tuple(Value(repr(float(x)), sympy.Rational(float(x))) for x in received)
        problem = point_problem(engine, at)
        rows.extend(_point_rows(case, engine, caller, value, gradient, at, received, label, base,
                                problem, dtype, u, methods))
    return rows


def _point_rows(case, engine, caller, value, gradient, at, received, label, base, problem, dtype,
                u, methods):
    size = len(case.variables)
    floats = [float(x) for x in received]
    orders = [tuple(int(k == i) for k in range(size)) for i in range(size)]
    exact_value, reason = evaluate_safely(engine, (0,) * size, at)
    exact_grad = [None if problem else evaluate_safely(engine, o, at) for o in orders]
    known = [abs(exact_value)] if exact_value is not None else []
    known += [abs(g) for g, _ in (e for e in exact_grad if e) if g is not None]
    floor = u * float(max(known, default=0))
    bound = _RoundingBounds(engine, floats, u, floor, np.dtype(dtype).name)
    rows = []
    if value is not None:
        cell = dict(method="implementation", quantity="value", point=label)
        try:
            mine = caller.scalar(value, received)
        except ImplementationError as exc:
            rows.append(error_row(base, f"your value function {exc}", **cell))
        else:
            if reason:
                rows.append(error_row(base, reason, **cell))
            else:
                row = _judge(base, cell, exact_value, mine, bound.of((0,) * size), case)
                rows.append(_explain_value(row, case))
    if gradient is None and value is None:
        return rows
    mine_grad, trouble = None, None
    if gradient is not None:
        try:
            mine_grad = caller.vector(gradient, received)
        except ImplementationError as exc:
            trouble = f"your gradient function {exc}"
    for i, name in enumerate(case.variables):
        quantity = f"grad[{name}]"
        exact, why = (None, problem) if problem else exact_grad[i]
        fd_rows = []
        if value is not None:
            for method in methods:
                cell = dict(method=method, quantity=quantity, point=label)
                fd_rows.append(error_row(base, why, **cell) if why else _finite_difference(
                    case, engine, caller, value, at, floats, i, method, exact, base, cell,
                    dtype, u))
        if gradient is not None:
            cell = dict(method="implementation", quantity=quantity, point=label)
            if trouble or why:
                rows.append(error_row(base, trouble or why, **cell))
            else:
                row = _judge(base, cell, exact, mine_grad[i], bound.of(orders[i]), case)
                rows.append(_explain_component(row, name, fd_rows))
        rows.extend(fd_rows)
    return rows


class _RoundingBounds:
    """The allowed difference for the value or one partial derivative at a point."""

    def __init__(self, engine, floats, u, floor, dtype_name):
        self.engine, self.floats, self.u = engine, floats, u
        self.floor, self.dtype_name = floor, dtype_name

    def of(self, orders) -> RoundingBound:
        expr = self.engine.derivative(tuple(orders))
        try:
            values, errors = running_error(expr, self.engine.variables, np.array([self.floats]),
                                           self.u, self.engine.data)
            rounding = float(errors[0]) + self.u * abs(float(values[0]))
        except (ValueError, TypeError):
            rounding = float("inf")  # no rounding rule: the comparator reports "no finite bound"
        return RoundingBound(SAFETY * rounding + self.floor, rounding, self.floor, self.dtype_name)


def _judge(base, cell, exact, mine, bound, case):
    difference = differences.Difference(float(mine), None, "implementation", 1)
    return judge_numeric(base, exact=exact, difference=difference, bound=bound,
                         tolerance=case.tolerance, **cell)


def _explain_value(row, case):
    if row.status != "fail":
        return row
    text = case.function_text or "the graph"
    return replace(row, message=f"your value function gives {row.numeric!r} but the exact value "
                                f"of {text} is {row.exact!r} (off by {row.abs_error:.3g}): the code "
                                f"and the expression differ; {row.message}")


def _explain_component(row, name, fd_rows):
    if row.status != "fail":
        return row
    relative = f", {row.rel_error:.3g} relative" if row.rel_error is not None else ""
    verdict = ""
    agreeing = [r for r in fd_rows if r.status == "pass"]
    if agreeing:
        verdict = (f"; {agreeing[0].method} differences of your value function give "
                   f"{agreeing[0].numeric!r}, which agree with the exact value: the gradient "
                   "code is wrong, not the value code")
    return replace(row, message=f"component {name} of your gradient is wrong: it gives "
                                f"{row.numeric!r} but the exact d/d{name} is {row.exact!r} (off by "
                                f"{row.abs_error:.3g}{relative}){verdict}; {row.message}")


def _finite_difference(case, engine, caller, value, at, floats, index, method, exact, base, cell,
                       dtype, u):
    orders = tuple(int(k == index) for k in range(len(floats)))
    guard = smooth_between(engine, tuple(k + (1 if n == index else 0) for n, k in enumerate(orders)),
                           index, floats) if method != "complex_step" else None

    def f(points):
        return np.asarray([caller.scalar(value, row) for row in points])

    try:
        difference = differences.partial(f, floats, index, method=method, dtype=dtype,
                                          admissible=guard)
    except ImplementationError as exc:
        return error_row(base, f"your value function {exc}", **cell)
    bound = partial_bound(engine, at, difference, index, unit_roundoff=u) if difference.ok else None
    return judge_numeric(base, exact=exact, difference=difference, bound=bound,
                         tolerance=case.tolerance, **cell)


class _Caller:
    """Calls user code with a point in the dtype, and converts what comes back."""

    def __init__(self, variables, dtype, call, tensors):
        self.variables, self.dtype, self.call, self.tensors = variables, dtype, call, tensors
        if tensors:
            try:
                import torch
            except ImportError:
                raise ImportError("`tensors=True` needs PyTorch, which is not installed.") from None
            self.torch = torch

    def _arguments(self, point):
        numbers = [np.asarray(x).astype(self.dtype if np.isrealobj(x) else x.dtype)[()]
                   for x in point]
        if self.tensors:
            numbers = [self.torch.as_tensor(np.asarray(x)) for x in numbers]
        if self.call == "vector":
            vector = np.array(numbers) if not self.tensors else self.torch.stack(numbers)
            return (vector,), {}
        return (), dict(zip(self.variables, numbers))

    def _invoke(self, function, point):
        args, kwargs = self._arguments(point)
        shown = ", ".join(f"{v}={float(np.real(x))!r}" for v, x in zip(self.variables, point))
        try:
            return function(*args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - the user's code failing is a result
            raise ImplementationError(f"raised {type(exc).__name__}: {exc} (at {shown})") from None

    def scalar(self, function, point):
        out = to_numpy(self._invoke(function, point))
        if out.size != 1:
            raise ImplementationError(f"returned {out.size} numbers, expected one")
        return out.reshape(())[()]

    def vector(self, function, point):
        out = self._invoke(function, point)
        if isinstance(out, dict):
            missing = [v for v in self.variables if v not in out]
            if missing:
                raise ImplementationError(f"returned no component '{missing[0]}' "
                                          f"(keys: {', '.join(map(str, out))})")
            out = [out[v] for v in self.variables]
        elif not hasattr(out, "__len__") and not hasattr(out, "shape"):
            out = [out]
        numbers = [to_numpy(x).reshape(-1) for x in (out if isinstance(out, (list, tuple)) else [out])]
        flat = np.concatenate(numbers) if numbers else np.array([])
        if flat.size != len(self.variables):
            raise ImplementationError(f"returned {flat.size} components; the case has "
                                      f"{len(self.variables)} variables ({', '.join(self.variables)})")
        return [float(x) for x in flat]


def to_numpy(value) -> np.ndarray:
    """A NumPy array from a number, an array or a PyTorch tensor (converted at the edge)."""
    if hasattr(value, "detach") and hasattr(value, "cpu"):
        value = value.detach().cpu().numpy()
    return np.asarray(value)
