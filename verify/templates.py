"""The commented case file that ``python -m verify new NAME`` writes.

It loads and passes as written (tests/test_cli.py runs it), and its
comments show the keys a user fills in next; every key is in CASES.md.
"""
from __future__ import annotations

from pathlib import Path

CASE_TEMPLATE = """\
# {name}.yaml: case file for verify (format v1; every key is described in CASES.md).
#
#   python -m verify {name}.yaml       run it; reports in reports/
#   pytest {name}.yaml                 the same cases as pytest tests
#
# Each case compares numeric derivatives (finite differences, complex step)
# with the exact ones SymPy computes. A numeric value passes when its error is
# within the bound theory predicts for its method, step and point.

defaults:                        # merged under every case below
  checks: [derivative]           # one variable: d/dx by every numeric method

cases:
  - name: chain_rule
    description: y = sin(x^2), so dy/dx = 2x cos(x^2)
    function: sin(x**2)          # SymPy syntax: + - * / **, sin exp log sqrt tanh relu ...
    at: {{x: 1.5}}                 # 1.5 is the decimal 1.5 exactly
    expect:
      value: 0.77807             # a decimal passes when the exact value rounds to it
      derivative: "3*cos(9/4)"   # an exact text must be equal

  - name: two_variables
    description: a gradient at two points, three methods
    function: x*exp(-y**2)
    points:                      # several points (or 'at' for one)
      - {{x: 1, y: 0.5}}
      - {{x: -2, y: "1/3"}}        # strings hold exact numbers: "1/3", "pi/4", "sqrt(2)"
    checks:
      gradient: {{methods: [central, central4, complex_step]}}
    expect:
      gradient:                  # one entry per point (or one entry for all)
        - {{x: "exp(-1/4)", y: "-exp(-1/4)"}}
        - {{x: "exp(-1/9)", y: "4/3*exp(-1/9)"}}

  - name: logistic_loss
    description: a parameter held constant; the numeric side in float32
    function: log(1 + exp(-a*w))
    parameters: {{a: 2}}
    at: {{w: 0.3}}
    dtype: float32               # float64 (default) or float32: bounds scale with it
    # tolerance: {{rtol: 1e-6}}   # replaces the predicted bounds for this case

  # More checks: hessian, backprop, taylor, descent, error_curve;
  # e.g.  checks: {{taylor: {{order: 6}}}}  (see docs/CASES.md and docs/checks.md)
  #
  # Your own code against the exact results (needs --allow-import):
  #   implementation: {{value: "mymodel:loss", gradient: "mymodel:grad"}}
"""


def case_template(name: str) -> str:
    """The template text for a file called ``name``.yaml."""
    return CASE_TEMPLATE.format(name=name)


def write_template(name: str) -> Path:
    """Write ``name``.yaml (``name`` may end in .yaml or .yml); never overwrite.

    Raises
    ------
    FileExistsError
        When the file exists.
    """
    path = Path(name)
    if path.suffix not in (".yaml", ".yml"):
        path = path.with_name(path.name + ".yaml")
    if path.exists():
        raise FileExistsError(f"{path} exists; not overwriting it")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(case_template(path.stem), encoding="utf-8")
    return path
