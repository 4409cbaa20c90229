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
  finite difference (:mod:`verify.bounds.predicted`). When the gradient code is off
  but these agree, the message says the gradient, not the function, is wrong.

The user's code may evaluate in another order than the expression, so it is
allowed the rounding theory predicts for the expression (running error
analysis in the dtype's unit roundoff, times ``SAFETY``) plus one unit of
roundoff of the largest quantity compared at the point.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import sympy

from verify.numeric import differences
from verify.core.tolerances import SAFETY
from verify.bounds.predicted import partial_bound
from verify.checks.common import PointContext, dtype_of, smooth_between
from verify.checks.compare import error_row, judge_numeric, located, skip_row, where
from verify.exact.symbolic import evaluate_safely, exact_function
from verify.bounds.kinks import derivative_at, kink_at
from verify.bounds.rounding import running_error
from verify.checks.frameworks import detect
from verify.checks.usercode import CALLS, Caller, ImplementationError, load_callable
from verify.input.values import Value

FD_METHODS = ("central",)   # finite differences of the user's value function


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
    value, gradient = found.get("value"), found.get("gradient")
    framework = detect(value, gradient)
    # framework code runs in float64 and float32 unless the case names its dtype
    dtypes = (case.dtype,) if framework == "numpy" or "dtype" in dict(case.key_lines) \
        else ("float64", "float32")
    return compare_in_dtypes(case, dtypes, value=value, gradient=gradient, base=base,
                             framework=framework)


def compare_in_dtypes(case, dtypes, *, framework="numpy", **keywords):
    """:func:`compare_implementation` once per dtype; with more than one dtype, or
    framework code, each row's method names them (``torch float32``, ``central float32``)."""
    rows = []
    for dtype in dtypes:
        found = compare_implementation(replace(case, dtype=dtype), framework=framework,
                                       **keywords)
        if len(dtypes) > 1 or framework != "numpy":
            label = framework if framework != "numpy" else "implementation"
            found = [replace(row, method=(f"{label} {dtype}" if row.method == "implementation"
                                          else f"{row.method} {dtype}")) for row in found]
        rows.extend(found)
    return rows


def compare_implementation(case, *, value=None, gradient=None, base=None, call="keywords",
                           tensors=False, methods=FD_METHODS, framework=None):
    """Compare the user's ``value`` and ``gradient`` callables with the case's exact results.

    Parameters
    ----------
    case : verify.input.cases.Case
    value, gradient : callable, optional
        Called with the point's variables as keyword arguments (``call="keywords"``),
        as positional arguments in ``case.variables`` order (``"positional"``) or
        as one array of them in that order (``"vector"``); ``call`` may also be
        a pair, the value's way and the gradient's.
        ``gradient`` returns a mapping variable: number or a sequence in
        variables order; tensors and arrays are converted at the edge.
    tensors : bool
        Pass PyTorch tensors (of the case's dtype) instead of NumPy numbers.
    methods : sequence of str
        Finite-difference methods applied to ``value``.
    framework : {"numpy", "torch", "jax"}, optional
        How the functions take their numbers; default: detected from them.
        ``gradient="autograd"`` is the framework's own gradient of ``value``
        (torch.autograd.grad, jax.grad), custom backward rules included.
    """
    value_call, gradient_call = (call, call) if isinstance(call, str) else call
    if value_call not in CALLS or gradient_call not in CALLS:
        raise ValueError(f"`call` must be one of {', '.join(CALLS)}.")
    base = base or where(case, "implementation", case.line_of("implementation"))
    engine = exact_function(case)
    dtype = dtype_of(case)
    framework = "torch" if tensors else (framework or detect(value, gradient))
    if value is not None:
        value = Caller(value, case.variables, value_call, framework=framework)
    if isinstance(gradient, str):
        if gradient != "autograd" or value is None:
            raise ValueError("`grad` must be a callable, or 'autograd' with a value function.")
        gradient = Caller(None, case.variables, gradient_call, framework=framework,
                          autograd_of=value)
    elif gradient is not None:
        gradient = Caller(gradient, case.variables, gradient_call, framework=framework)
    code = _UserCode(value, gradient, tuple(methods))
    rows = []
    for index, point in enumerate(case.points):
        received = [dtype(p.float64) for p in point]
        # the exact side is taken at exactly the numbers the code received
        at = tuple(Value(repr(float(x)), sympy.Rational(float(x))) for x in received)
        context = PointContext(case, None, engine, at, [float(x) for x in received],
                               case.label(point), base, dtype, index=index)
        problem = kink_at(engine, at)  # domain, pole or a kink; switches are judged per partial
        rows.extend(_point_rows(context, code, received, problem))
    return rows


@dataclass(frozen=True)
class _UserCode:
    """The user's callables (None when not given) and the methods applied to ``value``."""

    value: Caller | None
    gradient: Caller | None
    methods: tuple


def _point_rows(context, code, received, problem):
    case, engine, at, floats = context.case, context.engine, context.point, context.floats
    label, base, u = context.label, context.base, context.unit_roundoff
    value, gradient = code.value, code.gradient
    size = len(case.variables)
    orders = [tuple(int(k == i) for k in range(size)) for i in range(size)]
    exact_value, reason = evaluate_safely(engine, (0,) * size, at)
    # at a switch of abs/Max/Min where a partial exists, it is the pieces' common value
    verdicts = [None if problem else derivative_at(engine, o, at) for o in orders]
    exact_grad = [None if v is None else (v.value, v.problem) for v in verdicts]
    known = [abs(exact_value)] if exact_value is not None else []
    known += [abs(g) for g, _ in (e for e in exact_grad if e) if g is not None]
    floor = u * float(max(known, default=0))
    bound = _RoundingBounds(engine, floats, u, floor, np.dtype(context.dtype).name)
    rows = []
    if value is not None:
        cell = dict(method="implementation", quantity="value", point=label)
        try:
            mine = value.scalar(received)
        except ImplementationError as exc:
            rows.append(error_row(base, f"your value function {exc}", **cell))
        else:
            if reason:
                rows.append(error_row(base, reason, **cell))
            else:
                row = _judge(base, cell, exact_value, mine, bound.of((0,) * size), case)
                rows.append(_explain_value(row, case))
    mine_grad, trouble = None, None
    if gradient is not None:
        try:
            mine_grad = gradient.vector(received)
        except ImplementationError as exc:
            trouble = f"your gradient function {exc}"
    for i, name in enumerate(case.variables):
        quantity = f"grad[{name}]"
        exact, why = (None, problem) if problem else exact_grad[i]
        fd_rows = []
        if value is not None:
            for method in code.methods:
                cell = dict(method=method, quantity=quantity, point=label)
                if not why and verdicts[i].switch:
                    fd_rows.append(skip_row(base, f"{verdicts[i].switch}; finite differences "
                                                  "straddle the switch: not judged", **cell))
                    continue
                fd_rows.append(error_row(base, why, **cell) if why else _finite_difference(
                    context, value, i, exact, cell))
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
    return judge_numeric(located(base, **cell), exact=exact, difference=difference, bound=bound,
                         tolerance=case.tolerance)


def _explain_value(row, case):
    if row.status != "fail":
        return row
    text = case.function_text or "the graph"
    return replace(row, message=f"your value function gives {row.numeric!r} but the exact "
                                f"value of {text} is {row.exact!r} (off by {row.abs_error:.3g}): "
                                f"the code and the expression differ; {row.message}")


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


def _finite_difference(context, value, index, exact, cell):
    """The ``cell["method"]`` difference of the user's value function by variable ``index``."""
    engine, floats, base, method = context.engine, context.floats, context.base, cell["method"]
    orders = tuple(int(k == index) for k in range(len(floats)))
    guard = None
    if method != "complex_step":  # the stencil must not cross a kink or leave the domain
        guard = smooth_between(engine, tuple(k + (n == index) for n, k in enumerate(orders)),
                               index, floats)

    def f(points):
        return np.asarray([value.scalar(row) for row in points])

    try:
        difference = differences.partial(f, floats, index, method=method, dtype=context.dtype,
                                          admissible=guard)
    except ImplementationError as exc:
        return error_row(base, f"your value function {exc}", **cell)
    bound = partial_bound(engine, context.point, difference, index,
                          unit_roundoff=context.unit_roundoff) if difference.ok else None
    return judge_numeric(located(base, **cell), exact=exact, difference=difference, bound=bound,
                         tolerance=context.case.tolerance)
