"""A benchmark corpus for first derivatives: functions and points from the
numerical-differentiation literature, plus the lab's own functions.

Each entry is ``(name, function, point, analytic)``: the function in
CASES.md syntax (parsed by :func:`verify.input.expressions.parse`, never by
``eval``), the point as written (a decimal means that decimal, as in a
case file), and whether the function is analytic (complex step applies).
The source of every entry is cited beside it.

References
----------
.. [DV] Dumontet, J. and Vignes, J. "Determination du pas optimal dans le
   calcul des derivees sur ordinateur", RAIRO Analyse numerique 11 (1977),
   13-25; problems 1-5, p. 23 (also Stepleman, R. S. and Winarsky, N. D.,
   Math. Comp. 33 (1979), p. 1263).
.. [GMSW] Gill, P. E., Murray, W., Saunders, M. A. and Wright, M. H.
   "Computing forward-difference intervals for numerical optimization",
   SIAM J. Sci. Stat. Comput. 4 (1983), 310-321; eq. (4), p. 312.
.. [SXXN] Shi, H.-J. M., Xie, Y., Xuan, M. Q. and Nocedal, J. "Adaptive
   finite-difference interval estimation for noisy derivative-free
   optimization", SIAM J. Sci. Comput. 44 (2022), A2302-A2321; test
   problems, p. 14.
.. [O] Oliver, J. "An algorithm for numerical differentiation of a
   function of one real variable", J. Comput. Appl. Math. 6 (1980),
   145-160; table 1, p. 151.
.. [ST] Squire, W. and Trapp, G. "Using complex variables to estimate
   derivatives of real functions", SIAM Review 40 (1998), 110-112 (the
   function is Lyness and Moler's, SIAM J. Numer. Anal. 4 (1967)).
.. [B] Baudin, M. ``numericalderivative`` benchmark (2024), which collects
   [DV], [GMSW], [SXXN] and [O] with their points; used as a checklist.
"""
from __future__ import annotations

from dataclasses import dataclass

import sympy

from verify.input.expressions import parse
from verify.input.values import parse_value

VARIABLE = "x"

# (name, function, point, analytic)
ENTRIES = (
    # [DV] problems 1-5, p. 23
    ("dv1_exp", "exp(x)", "1", True),
    ("dv2_log", "log(x)", "1", True),
    ("dv3_sqrt", "sqrt(x)", "1", True),
    ("dv4_atan", "atan(x)", "0.5", True),
    ("dv5_sin", "sin(x)", "1", True),
    # [B] scaled exponential: optimal central step is about 6.7, far from sqrt(eps)
    ("scaled_exp", "exp(-x/1000000)", "1", True),
    # [GMSW] eq. (4), p. 312, at x = 1
    ("gmsw", "(exp(x) - 1)**2 + (1/sqrt(1 + x**2) - 1)**2", "1", True),
    # [SXXN] p. 14: tiny f' and f'' at -8
    ("sxxn1", "(exp(x) - 1)**2", "-8", True),
    # [SXXN] p. 14: rapidly growing higher derivatives
    ("sxxn2", "exp(100*x)", "0.01", True),
    # [SXXN] p. 14: f'(1) = 0, so a relative error near 1 is hard
    ("sxxn3", "x**4 + 3*x**2 - 10*x", "0.99999", True),
    # [SXXN] p. 14: nearly symmetric about 0, f'''' = 0
    ("sxxn4", "10000*x**3 + 0.01*x**2 + 5*x", "1e-9", True),
    # [O] table 1, p. 151
    ("oliver1", "exp(4*x)", "1", True),
    ("oliver2", "exp(x**2)", "1", True),
    ("oliver3", "x**2*log(x)", "1", True),
    ("oliver4", "1/x", "1", True),
    # [ST] the Lyness-Moler function at x = 1.5, as in their example
    ("squire_trapp", "exp(x)/sqrt(sin(x)**3 + cos(x)**3)", "1.5", True),
    # the lab, part 1: numerical derivative of x^3 at 2
    ("lab_cube", "x**3", "2", True),
    # the lab, part 3: chain rule
    ("lab_sin_sq", "sin(x**2)", "1.5", True),
    ("lab_poly4", "(3*x + 1)**4", "1.5", True),
    ("lab_exp_sin", "exp(sin(x**2 + 1))", "0.5", True),
    # the lab, part 2: the table of x^2, sin x, e^x, ln x at 2
    ("lab_square", "x**2", "2", True),
    ("lab_sin", "sin(x)", "2", True),
    ("lab_exp", "exp(x)", "2", True),
    ("lab_log", "log(x)", "2", True),
    # ours: ML activations at moderate arguments (CASES.md's sigmoid, softplus, tanh)
    ("sigmoid", "sigmoid(x)", "0.5", True),
    ("softplus", "softplus(x)", "-2", True),
    ("tanh", "tanh(x)", "2", True),
    # ours: not analytic (relu = Max(0, z)) but smooth around the point, so
    # the difference methods apply and complex step must be skipped
    ("relu_sin", "relu(x)**2 + sin(x)", "0.5", False),
)


@dataclass(frozen=True)
class Entry:
    name: str
    text: str
    expression: sympy.Expr
    point_text: str
    point: float            # the float64 the numeric side evaluates at
    point_exact: sympy.Rational  # that float's exact binary value
    analytic: bool


def load() -> list[Entry]:
    """The corpus, parsed with the project's safe parser."""
    entries = []
    for name, text, point_text, analytic in ENTRIES:
        value = parse_value(point_text)
        x = value.float64
        entries.append(Entry(name, text, parse(text), point_text, x, sympy.Rational(x), analytic))
    return entries
