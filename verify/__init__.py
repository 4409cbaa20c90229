"""verify: symbolic-versus-numeric checks of the calculus behind machine learning.

The public API (:mod:`verify.api`) loads SymPy, NumPy and pandas only when a
function is called, so ``import verify`` and ``python -m verify --help`` stay fast.

>>> import numpy as np, verify
>>> verify.check_gradient(lambda x, y: x**2 * np.sin(y),
...                       lambda x, y: (2*x*np.sin(y), x**2*np.cos(y)),
...                       "x**2*sin(y)", at={"x": 1.5, "y": 0.3})  # doctest: +SKIP
"""
from verify.api import check, check_gradient, run
from verify.report.failures import VerificationFailed

__version__ = "0.1.0"
__all__ = ["__version__", "VerificationFailed", "check", "check_gradient", "run"]
