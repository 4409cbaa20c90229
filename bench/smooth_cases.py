"""Random smooth compositions at random points, as a YAML case file.

    python bench/smooth_cases.py CHECK [--count 200] [--seed 2026] [--out FILE]

CHECK is ``derivative``, ``gradient``, ``hessian`` or ``error_curve``. Each
function is a composition of sin, cos, exp, tanh, atan, sigmoid, log and
sqrt of positive things (log(1 + u**2), sqrt(2 + u)), and polynomials, in
``x`` (and ``y`` for gradient and hessian), at a point drawn from
[-1.5, 1.5] where its value is finite in float64; every one is smooth
(analytic) at its point, so every verdict must be ``pass``, ``inconclusive``
or ``skip``: a ``fail`` or ``error`` is a wrong verdict. The file is written to ``--out`` (default: a temporary
file), run in this process, and the counts of statuses are printed, with
the first few wrong verdicts in full. Exit status 1 when any is wrong.
"""
from __future__ import annotations

import argparse
import random
import sys
import tempfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CHECKS = ("derivative", "gradient", "hessian", "error_curve")
# {} is the inner expression; every one is analytic on the whole real line
OUTER = ("sin({})", "cos({})", "exp({})", "tanh({})", "atan({})", "sigmoid({})",
         "log(1 + ({})**2)", "sqrt(2 + sin({}))", "exp(-({})**2)", "sinh({})/3",
         "({0})**2 - ({0})", "3*({})**3 + 1")


def polynomial(rng: random.Random, names) -> str:
    """A small polynomial in ``names``."""
    terms = []
    chosen = list(names) + [rng.choice(names) for _ in range(rng.randint(0, 2))]
    for name in chosen:  # every variable at least once
        power = rng.randint(1, 4)
        coefficient = rng.choice((1, 2, 3, -1, "1/2"))
        terms.append(f"{coefficient}*{name}**{power}")
    return " + ".join(terms) + (f" + {rng.randint(-2, 2)}" if rng.random() < 0.5 else "")


def composition(rng: random.Random, depth: int, names) -> str:
    """A random composition ``depth`` levels deep over a polynomial."""
    if depth == 0:
        return polynomial(rng, names)
    inner = composition(rng, depth - 1, names)
    outer = rng.choice(OUTER)
    text = outer.format(inner)
    if rng.random() < 0.3:  # a sum or product with a shallower composition
        text = f"({text}) {rng.choice('+*')} ({composition(rng, max(0, depth - 2), names)})"
    return text


def cases(check: str, count: int, seed: int, depth: int = 4) -> list[dict]:
    """``count`` cases (name, function, point) for ``check``, compositions
    1 to ``depth`` levels deep."""
    if check not in CHECKS:
        raise ValueError(f"`check` must be one of {', '.join(CHECKS)}, not {check!r}.")
    rng = random.Random(seed)
    names = ("x", "y") if check in ("gradient", "hessian") else ("x",)
    found = []
    for i in range(count):
        function = composition(rng, rng.randint(1, depth), names)
        point = {name: round(rng.uniform(-1.5, 1.5), 3) for name in names}
        # terms cancelled (x - x), or a value past float64's range: draw again
        while not _keeps(function, names) or not _representable(function, point):
            function = composition(rng, rng.randint(1, depth), names)
            point = {name: round(rng.uniform(-1.5, 1.5), 3) for name in names}
        found.append({"name": f"smooth_{i:04d}", "function": function, "at": point})
    return found


def _keeps(function: str, names) -> bool:
    """True when every variable survives in the parsed function."""
    from verify.input.expressions import parse
    free = {str(s) for s in parse(function).free_symbols}
    return set(names) <= free


def _representable(function: str, point: dict) -> bool:
    """True when f at the point is finite in float64 (sinh(6300) is not: every
    float engine then has nothing to compare)."""
    import math
    from verify.exact.compiled import Compiled
    from verify.input.expressions import parse
    expr = parse(function)
    names = sorted(str(s) for s in expr.free_symbols)
    try:
        value = complex(Compiled(expr, tuple(names)).mp(*[point[n] for n in names]))
    except (ArithmeticError, ValueError, TypeError, MemoryError):  # tanh(exp(exp(9)))
        return False
    return abs(value.imag) == 0 and math.isfinite(value.real) and abs(value.real) < 1e300


def case_file(check: str, count: int, seed: int, *, options: str = "", depth: int = 4,
              checks: str = "") -> str:
    """The YAML text of ``count`` cases of ``check`` (``options``: the check's
    option mapping as YAML flow text, e.g. ``{num: 40}``; ``checks``: the
    whole ``checks`` mapping instead, for more than one check)."""
    lines = ["cases:"]
    checks = checks or f"{{{check}: {options or '{}'}}}"
    for case in cases(check, count, seed, depth):
        point = ", ".join(f"{k}: {v}" for k, v in case["at"].items())
        lines += [f"  - name: {case['name']}", f"    function: \"{case['function']}\"",
                  f"    at: {{{point}}}", f"    checks: {checks}"]
    return "\n".join(lines) + "\n"


def run(path) -> list:
    """Every result row of the case file, run in this process."""
    from verify.core.run_options import RunOptions
    from verify.runner import load, rows_of, run_all
    options = RunOptions(timeout=0)
    rows = []
    for entry in run_all(load([path], options).select(None), options, jobs=1):
        rows.extend(rows_of(entry))
    return rows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("check", choices=CHECKS)
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--out", help="write the case file here (default: a temporary file)")
    args = parser.parse_args(argv)
    text = case_file(args.check, args.count, args.seed)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(args.out) if args.out else Path(folder) / f"smooth_{args.check}.yaml"
        path.write_text(text)
        rows = run(path)
    counts = Counter(r.status for r in rows)
    print(f"{args.count} {args.check} cases, seed {args.seed}: "
          + ", ".join(f"{status} {counts.get(status, 0)}"
                      for status in ("pass", "inconclusive", "skip", "fail", "error")))
    wrong = [r for r in rows if r.status in ("fail", "error")]
    for row in wrong[:5]:
        print(f"  {row.status}: {row.case} {row.method} {row.quantity} at {row.point}: "
              f"{row.message}")
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())
