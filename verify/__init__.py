"""verify: symbolic-versus-numeric checks of the calculus behind machine learning.

The public API loads SymPy and pandas only when called.
"""
__version__ = "0.1.0"
__all__ = ["__version__"]
