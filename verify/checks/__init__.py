"""The checks of CASES.md, one module each.

Each check is a function ``run_NAME(case, check, options, artifacts) ->
list[Result]``, where ``artifacts`` (:class:`verify.checks.common.Artifacts`)
collects the extra tables (``graphs``, ``curves``) and the figure data of the
case. The schema (:mod:`verify.input.schema`) refuses any other check name
before a case runs.
"""
from __future__ import annotations


def runner_for(name: str):
    """The run function of the check ``name``."""
    # imported here: importing verify.checks (for compare, say) must not load every engine
    from verify.checks import backprop, derivatives, descent, error_curve, jacobian, taylor
    return {
        "derivative": derivatives.run_derivative,
        "gradient": derivatives.run_gradient,
        "hessian": derivatives.run_hessian,
        "jacobian": jacobian.run_jacobian,
        "backprop": backprop.run_backprop,
        "taylor": taylor.run_taylor,
        "descent": descent.run_descent,
        "error_curve": error_curve.run_error_curve,
    }[name]
