"""The failed rows of a case as a small text table, for pytest and the API.

pytest's failure report and the exception :func:`verify.check` raises
show the same thing: one line per failed or erroring comparison
(quantity, point, method, exact, numeric, error, bound), then each row's
message, which for a wrong expectation names the expected and the exact
value. Plain text, no pandas, so pytest's process stays light.
"""
from __future__ import annotations

from verify.core.status import is_bad

HEADER = ("status", "check", "quantity", "point", "method", "exact", "numeric", "error", "bound")
MAX_ROWS = 40  # a case with hundreds of failures shows the first ones and a count


class VerificationFailed(AssertionError):
    """Raised when asked to assert and a comparison failed or could not run.

    ``rows`` holds the failed and erroring :class:`verify.checks.compare.Result` rows.
    """

    def __init__(self, title: str, rows):
        self.rows = tuple(rows)
        super().__init__(f"{title}\n{failure_table(self.rows)}")


def bad_rows(results):
    """The rows that make a run fail: status ``fail`` or ``error``."""
    return [r for r in results if is_bad(r.status)]


def _number(value, digits=None):
    """Full precision (the shortest repr) by default, or ``digits`` significant digits."""
    if value is None:
        return ""
    return repr(float(value)) if digits is None else f"{value:.{digits}g}"


def failure_table(rows) -> str:
    """The rows as an aligned table, then one numbered message per row."""
    rows = list(rows)
    shown = rows[:MAX_ROWS]
    cells = [HEADER] + [(str(r.status), r.check, r.quantity, r.point, r.method, _number(r.exact),
                         _number(r.numeric), _number(r.abs_error, 3),
                         _number(r.tolerance, 3)) for r in shown]
    widths = [max(len(line[i]) for line in cells) for i in range(len(HEADER))]
    lines = ["  ".join(text.ljust(width) for text, width in zip(line, widths)).rstrip()
             for line in cells]
    lines.insert(1, "  ".join("-" * width for width in widths))
    for number, r in enumerate(shown, 1):
        if r.message:
            lines.append(f"[{number}] line {r.line}: {r.message}" if r.line else
                         f"[{number}] {r.message}")
    if len(rows) > len(shown):
        lines.append(f"... and {len(rows) - len(shown)} more failed rows (see results.csv)")
    return "\n".join(lines)
