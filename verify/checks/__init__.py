"""The checks of CASES.md, one module each.

``RUNNERS`` maps a check name to ``"module:function"``; the function is
``run(case, check, options, artifacts) -> list[Result]``, where
``artifacts`` (:class:`verify.checks.common.Artifacts`) collects the extra
tables (``graphs``, ``curves``) and the figure data of the case. A check
named by CASES.md whose module is not there yet is reported as an
``error`` row saying so, never as a pass.
"""
from __future__ import annotations

import importlib

RUNNERS = {
    "derivative": "verify.checks.derivatives:run_derivative",
    "gradient": "verify.checks.derivatives:run_gradient",
    "hessian": "verify.checks.derivatives:run_hessian",
    "backprop": "verify.checks.backprop:run_backprop",
    "taylor": "verify.checks.taylor:run_taylor",
    "descent": "verify.checks.descent:run_descent",
    "error_curve": "verify.checks.error_curve:run_error_curve",
}


def runner_for(name: str):
    """The check's run function, or None when this version does not have it."""
    target = RUNNERS.get(name)
    if target is None:
        return None
    module_name, function = target.split(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name == module_name:
            return None
        raise
    return getattr(module, function)
