"""The checks of CASES.md, one module each; ``RUNNERS`` maps a check name
to ``run(case, check, options) -> list[Result]``. A check named by CASES.md
that has no runner yet is reported as an ``error`` row saying so."""
from __future__ import annotations

from . import derivatives

RUNNERS = {
    "derivative": derivatives.run_derivative,
    "gradient": derivatives.run_gradient,
    "hessian": derivatives.run_hessian,
}
