"""Writing the report set so that nothing is ever left half written.

Every file is first written in full to a temporary name in the output
folder, then all are renamed into place together with SIGINT/SIGTERM held
back, so an interrupted run leaves the previous set or the complete new
one. ``manifest.json`` names the run that wrote the set and the sha256 of
each file; it is renamed in last, so even a SIGKILL landing between two
renames leaves a set that can be told apart (its digests do not match).

Figures: every case that lists a check drawing one (``error_curve``,
``taylor``, ``descent``, ``backprop``) asks for its figures. They are drawn
in page order, failing and erroring cases first, until FIGURE_CAP figures
are on the page; past that only failing and erroring cases get theirs, up
to FAILURE_FIGURE_CAP in all. A case whose figures were left out says so
(their data stay in ``curves.csv`` and ``results.csv``). Each drawn SVG
figure is also written as ``plots/<case>--<check>.svg``. A worker process
draws the figures of its case when the page will show them (the first
FIGURE_CAP in run order, and failing cases'), so drawing runs in parallel
and the report itself rarely loads matplotlib; what no worker drew is drawn
here. The function of each case is printed as MathML for the first
MATH_CAP cases in page order; the others show it as text. Workers also
print their case's formula (when the page may show it) and its table of
rows, so the parent, whose work is the serial part of a run, only joins
them. So a run of a thousand cases writes a page of a few megabytes in seconds.
"""
from __future__ import annotations

import html
import hashlib
import json
import math
import os
import re
import signal
import tempfile
import warnings
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path


FIGURE_CAP = 60            # figures per page for cases that ask for them
FAILURE_FIGURE_CAP = 120   # past FIGURE_CAP, failing and erroring cases' figures up to this
MATH_CAP = 60              # cases whose function is printed as MathML (a few ms each, serial)
MANIFEST = "manifest.json"
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_SVG = re.compile(r"<svg\b.*</svg>", re.S)


# OWASP's advice on CSV injection: a cell a spreadsheet would read as a formula
# (= + - @, or a tab or CR before one) gets a leading single quote. A plain
# number such as -0.5 is left alone: a spreadsheet reads it as the number.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\Z")


def safe_cell(value):
    """A cell as written: NaN and None empty, a would-be formula neutralised."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, str) and value.startswith(_FORMULA_START) \
            and not _PLAIN_NUMBER.match(value):
        return "'" + value
    return value


_QUOTED = re.compile(r'[,"\r\n]')


def _field(value) -> str:
    kind = type(value)
    if kind is float:  # most cells: no formula, no quote, no comma in a float's text
        return "" if value != value else str(value)
    if kind is int:
        return str(value)
    if kind is str:  # the other common cell: safe_cell's rule without its type tests
        text = "'" + value if value.startswith(_FORMULA_START) \
            and not _PLAIN_NUMBER.match(value) else value
    else:
        text = str(safe_cell(value))
    if _QUOTED.search(text):
        return '"' + text.replace('"', '""') + '"'
    return text


def csv_text(table) -> str:
    """A table (:class:`verify.report.tables.Table`, or a pandas DataFrame) as
    CSV: every field that holds a comma, quote, CR or LF is quoted.

    Python's csv.QUOTE_MINIMAL quotes only the line terminator's characters,
    so with "\\n" endings it leaves a lone CR bare, and a file name holding one
    splits its row on reading; we quote by RFC 4180 ourselves."""
    rows = table.itertuples(index=False, name=None) if hasattr(table, "itertuples") \
        else table.rows
    lines = [",".join(_field(str(name)) for name in table.columns)]
    lines.extend(",".join(_field(value) for value in row) for row in rows)
    return "\n".join(lines) + "\n"


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_UMASK = _current_umask()


@contextmanager
def _signals_held():
    held = {signal.SIGINT, signal.SIGTERM}
    try:
        previous = signal.pthread_sigmask(signal.SIG_BLOCK, held)
    except (AttributeError, ValueError, OSError):
        previous = None
    try:
        yield
    finally:
        if previous is not None:
            signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def digests(files: dict) -> dict:
    """``{name: sha256 hex}`` of the set's contents, for ``manifest.json``."""
    return {name: hashlib.sha256(c.encode("utf-8") if isinstance(c, str) else c).hexdigest()
            for name, c in sorted(files.items())}


def write_set(out_dir, files: dict[str, bytes | str]) -> list[Path]:
    """Write ``{relative name: content}`` under ``out_dir`` atomically as a set."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    staged = []
    try:
        # manifest.json goes in last: it lists the set and each file's digest,
        # so a set that a SIGKILL cut between two renames does not check out
        for name, content in sorted(files.items(), key=lambda kv: (kv[0] == MANIFEST, kv[0])):
            target = out / name
            if out.resolve() not in target.resolve().parents:
                raise ValueError(f"report file {name!r} would leave the output folder")
            target.parent.mkdir(parents=True, exist_ok=True)
            data = content.encode("utf-8") if isinstance(content, str) else content
            handle, temp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp",
                                            dir=target.parent)
            os.chmod(temp, 0o666 & ~_UMASK)  # mkstemp makes 0600; reports are for sharing
            with os.fdopen(handle, "wb") as stream:
                stream.write(data)
                stream.flush()
                os.fsync(stream.fileno())
            staged.append((temp, target))
        with _signals_held():
            for temp, target in staged:
                os.replace(temp, target)
    finally:
        for temp, _ in staged:
            if os.path.exists(temp):
                os.unlink(temp)
    return [target for _, target in staged]


def plot_name(case_id: str, kind: str, taken: set) -> str:
    """``plots/<case>--<kind>.svg`` with only ``[A-Za-z0-9._-]`` in the name,
    no leading dot, at most 120 characters, unique within ``taken``."""
    stem = _UNSAFE.sub("_", f"{case_id}--{kind}").strip("._-")[:110] or "figure"
    name, k = stem, 1
    while name.lower() in taken:
        k += 1
        name = f"{stem}-{k}"
    taken.add(name.lower())
    return f"plots/{name}.svg"


def standalone_svg(fragment: str) -> str | None:
    """The ``<svg>`` of a figure fragment as a file of its own, or None (a table)."""
    found = _SVG.search(fragment)
    if not found:
        return None
    svg = found.group(0)
    if "xmlns=" not in svg[:300]:
        svg = svg.replace("<svg", "<svg xmlns='http://www.w3.org/2000/svg'", 1)
    return "<?xml version='1.0' encoding='utf-8'?>\n" + svg + "\n"


def select_figures(ordered, runs_by_id):
    """(chosen, notes): the ``(case_id, kind, title, data[, fragment])`` to draw, in page
    order, under FIGURE_CAP and FAILURE_FIGURE_CAP, and a note for each case
    whose figures were (partly) left out."""
    chosen, notes = [], {}
    for case_id, _, status in ordered:
        run = runs_by_id.get(case_id)
        if run is None or not run.figures:
            continue
        failing = status in ("fail", "error")
        left = 0
        for figure in run.figures:
            if len(chosen) >= FIGURE_CAP and not (failing and len(chosen) < FAILURE_FIGURE_CAP):
                left += 1
                continue
            chosen.append((case_id, *figure))
        if left:
            notes[case_id] = (f"{left} figure(s) of this case are not drawn: this page already "
                              f"holds {len(chosen)} figures (the first {FIGURE_CAP} in page "
                              f"order, then failing cases' up to {FAILURE_FIGURE_CAP}); their "
                              "data are in the CSV files.")
    return chosen, notes


def prepare() -> None:
    """Load what the report needs that no case does: SymPy's MathML printer
    and the tables (the CLI calls it while the cases are read)."""
    from sympy.printing.mathml import mathml  # noqa: F401
    from verify.report import tables  # noqa: F401


def prepare_formula(case) -> None:
    """Print ``case``'s formula as MathML now, kept for :func:`draw_formulas`
    (the CLI calls it for the first MATH_CAP cases whose run came back without
    its formula, as their results arrive, while the workers run the next ones)."""
    from verify.report.maths import mathml_of
    if getattr(case, "expression", None) is not None:
        try:
            mathml_of(case.expression, case.variables)
        except Exception:  # noqa: BLE001 - the report shows the text form then
            pass


def formula_of(case) -> str | None:
    """``case``'s function as a ``<math>`` fragment, or "" when it has none
    (no expression, or one SymPy cannot print or is too long: the page shows
    its text); None when printing ran out of memory."""
    from verify.report.maths import mathml_of, render  # SymPy: not at `import verify`
    if case is None or case.expression is None:
        return ""
    try:
        mathml_of(case.expression, case.variables)  # ValueError: shown as text
        return render(case.expression, case.variables, plain=case.function_text or "")
    except MemoryError:
        return None  # under a worker's memory cap: the page may try again
    except Exception:  # noqa: BLE001 - the text form is always on the page
        return ""


def draw_formulas(ordered, cases_by_id, runs_by_id=None) -> dict:
    """``{case_id: <math> fragment}`` for the first MATH_CAP cases in page order
    (a case whose formula cannot be printed shows its text only, which is on
    the page already). A formula a worker printed (``runs_by_id``) is used as it is."""
    runs_by_id = runs_by_id or {}
    maths = {}
    for case_id, _, _ in ordered[:MATH_CAP]:
        drawn = getattr(runs_by_id.get(case_id), "formula_html", None)
        fragment = drawn if drawn is not None else formula_of(cases_by_id.get(case_id))
        if fragment:
            maths[case_id] = fragment
    return maths


def draw_figure(kind, title, data) -> str:
    """One figure's HTML fragment; a figure that cannot be drawn becomes a note."""
    from verify.report import html as page  # the comparator (mpmath): not at `import verify`
    try:
        # matplotlib's log axes overflow on errors near float64's ends (1e-300
        # against 1e300): its warnings would interleave with the run's lines
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            return page.render_figure(kind, title, data)
    except Exception as exc:  # noqa: BLE001 - a bad figure never stops the report
        return (f"<p class='note'>this figure could not be drawn: "
                f"{html.escape(f'{type(exc).__name__}: {exc}')}</p>")


def predrawn(run):
    """``run`` with each figure's fragment drawn beside its data, as
    ``(kind, title, data, fragment)``: a worker process does this for the
    cases whose figures the page will show, so the drawing runs in parallel
    and the parent never imports matplotlib."""
    return replace(run, figures=tuple(
        (kind, title, data, draw_figure(kind, title, data)) for kind, title, data, *_ in run.figures))


DRAWING_CHECKS = ("error_curve", "taylor", "descent", "backprop")


def shown_whatever_status(cases) -> set:
    """Indices of the cases whose figures the page shows even when they pass:
    those holding the first FIGURE_CAP figures in run order (a figure per
    drawing check and point, as the checks add them)."""
    chosen, count = set(), 0
    for index, case in enumerate(cases):
        if count >= FIGURE_CAP:
            break
        drawing = sum(check.name in DRAWING_CHECKS for check in case.checks)
        if drawing:
            chosen.add(index)
            count += drawing * max(1, len(case.points))
    return chosen


def draw_where_run(run, shown: bool, index: int | None = None):
    """The run as a worker sends it back: with its figures drawn when the
    page will show them (``shown``, or the case failed or erred: failing
    cases' figures come first), else with their data only; with its rows'
    HTML table; and with its formula when the page may print it (``index``,
    the case's place in the run, below MATH_CAP, or the case failed or erred).
    So the parent, which writes the page alone, only joins what workers drew."""
    from verify.report.html import results_table_html
    bad = any(r.status in ("fail", "error") for r in run.results)
    if run.figures and (shown or bad):
        run = predrawn(run)
    formula = formula_of(run.case) if run.case is not None and (
        bad or (index is not None and index < MATH_CAP)) else None
    return replace(run, table_html=results_table_html(run.results), formula_html=formula)


def draw_figures(ordered, runs_by_id, cases_by_id=None):
    """(figures, notes, files, maths): per case the figures the page shows and
    its formula, the notes on figures left out, and the SVG files. A figure
    drawn already (by the worker that ran its case) is used as it is."""
    chosen, notes = select_figures(ordered, runs_by_id)
    figures, files, taken = {}, {}, set()
    for case_id, kind, title, data, *drawn in chosen:
        fragment = drawn[0] if drawn else draw_figure(kind, title, data)
        svg = standalone_svg(fragment)
        name = plot_name(case_id, kind, taken) if svg else None
        if svg:
            files[name] = svg
        figures.setdefault(case_id, []).append((title, fragment, name))
    return figures, notes, files, draw_formulas(ordered, cases_by_id or {}, runs_by_id)


def _previous_plots(out_dir) -> set:
    try:
        listed = json.loads((Path(out_dir) / "manifest.json").read_text()).get("files", [])
    except (OSError, ValueError, AttributeError):
        return set()
    return {name for name in listed if isinstance(name, str) and re.fullmatch(
        r"plots/[A-Za-z0-9._-]+\.svg", name)}


def write_reports(out_dir, results, runs=(), *, interrupted=False, meta=None):
    """results.csv, summary.csv, graphs.csv, curves.csv, report.html, the
    plots under plots/ and manifest.json, as one set. ``runs`` are the
    CaseRuns, for their tables, figures and cases."""
    # the tables and the page: not at `import verify`, which imports this module
    from verify.report.html import ordered_cases, render_page
    from verify.report.tables import results_table, side_tables, summary_table
    files = {
        "results.csv": csv_text(results_table(results)),
        "summary.csv": csv_text(summary_table(results)),
    }
    for name, table in side_tables(runs).items():
        files[f"{name}.csv"] = csv_text(table)
    cases = [run.case for run in runs if run.case is not None]
    ordered = ordered_cases(results)
    figures, notes, plots, maths = draw_figures(ordered, {run.case_id: run for run in runs},
                                                {case.id: case for case in cases})
    files.update(plots)
    files["report.html"] = render_page(results, cases, interrupted=interrupted, runs=runs,
                                       files=files, figures=figures, maths=maths, notes=notes)
    stale = _previous_plots(out_dir) - set(files)
    files[MANIFEST] = json.dumps(dict(meta or {}, interrupted=interrupted, files=sorted(files),
                                      sha256=digests(files)), indent=2, sort_keys=True)
    written = write_set(out_dir, files)
    for name in sorted(stale):  # plots of an earlier run that this one did not draw
        try:
            (Path(out_dir) / name).unlink()
        except OSError:
            pass
    return written
