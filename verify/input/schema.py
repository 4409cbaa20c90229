"""The checks of CASES.md, their options and the limits on them.

One table says which options each check takes and what kind of value each
is; the loader validates against it and the checks read their defaults
from it, so an option's meaning lives in one place.
"""
from __future__ import annotations

METHODS = ("forward", "backward", "central", "central4", "richardson", "complex_step")
OUTCOMES = ("converged", "diverged", "unconverged")

# option -> (kind, default); kinds are read by cases._option
CHECK_OPTIONS = {
    "derivative": {"order": ("order", 1), "methods": ("methods", METHODS), "h": ("h", None)},
    "gradient": {"methods": ("methods", METHODS), "h": ("h", None),
                 "direction": ("direction", None)},
    "jacobian": {"methods": ("methods", METHODS), "h": ("h", None),
                 "direction": ("direction", None)},
    "hessian": {"methods": ("methods", ("central", "central4", "richardson")),
                "h": ("h", None)},
    "backprop": {"methods": ("methods", ("central",)), "h": ("h", None)},
    "taylor": {"about": ("number", None), "order": ("taylor_order", 5),
               "sums_at": ("numbers", None)},
    "descent": {"start": ("point", None), "lr": ("numbers", None), "steps": ("steps", None),
                "outcome": ("outcomes", None), "xtol": ("number", None),
                "bound": ("number", None)},
    "error_curve": {"h_min": ("number", "1e-16"), "h_max": ("number", "1"),
                    "num": ("num", 100), "methods": ("methods", METHODS),
                    "dps": ("dps", 50)},
}
REQUIRED_OPTIONS = {"descent": ("start", "lr", "steps")}
CHECKS = tuple(CHECK_OPTIONS)

# kind -> (smallest, largest) for the integer options (CASES.md, "Limits")
INTEGER_LIMITS = {"order": (1, 10), "taylor_order": (0, 100), "steps": (1, 1_000_000),
                  "num": (2, 10_000), "dps": (15, 1_000)}

CASE_KEYS = ("name", "description", "function", "graph", "variables", "parameters", "at",
             "points", "checks", "expect", "tolerance", "data", "implementation", "dtype", "shapes")
EXPECT_KEYS = ("value", "derivative", "gradient", "hessian", "taylor", "minimum", "adjoint",
               "radius", "jacobian")
# checks and expectations that need a scalar function (CASES.md v1.1, vector-valued functions)
SCALAR_CHECKS = ("derivative", "gradient", "hessian", "backprop", "taylor", "descent",
                 "error_curve")
VECTOR_EXPECT_KEYS = ("jacobian",)
TOLERANCE_KEYS = ("rtol", "atol")
DTYPES = ("float64", "float32")


def default_checks(n_variables: int, vector: bool = False) -> tuple[str, ...]:
    """CASES.md: derivative or gradient, then backprop, then taylor (one variable);
    the Jacobian for a vector-valued function."""
    if vector:
        return ("jacobian",)
    if n_variables == 1:
        return ("derivative", "backprop", "taylor")
    return ("gradient", "backprop")


def option_default(check: str, option: str):
    return CHECK_OPTIONS[check][option][1]
