"""report.html and the report set: order, navigation, figures, plots/ files, large runs."""
import json
import re
from pathlib import Path

import pytest

from verify.checks.compare import Result
from verify.report import html as page
from verify.report import writer
from verify.checks.case import CaseRun
from tests.conftest import load_one

FAKE_SVG = ("<div class='plot'><svg xmlns='http://www.w3.org/2000/svg' width='400pt' "
            "height='300pt' viewBox='0 0 400 300'><title>{title}</title></svg></div>")


def row(case, status, rel=None, check="derivative"):
    return Result(file="f.yaml", case=case, check=check, method="central", quantity="d/dx",
                  point="x=1", exact=1.0, numeric=1.0, rel_error=rel, status=status,
                  message="" if status == "pass" else f"why {status}", case_id=f"f::{case}")


def runs_of(results, figures=None):
    figures = figures or {}
    by_case = {}
    for r in results:
        by_case.setdefault(r.case_id, []).append(r)
    return [CaseRun(case_id, tuple(rows), figures=tuple(figures.get(case_id, ())))
            for case_id, rows in by_case.items()]


RESULTS = [row("good", "pass", 1e-12), row("good", "pass", 3e-9), row("bad", "pass"),
           row("bad", "fail", 0.25), row("broken", "error"), row("quiet", "skip")]


def sections(text):
    return re.findall(r"<section class='case' id='([^']+)'><details( open)?>", text)


def test_problems_come_first_and_every_link_lands_on_a_section():
    text = page.render_page(RESULTS, runs=runs_of(RESULTS))
    found = sections(text)
    assert [s[0] for s in found] == ["case-f--broken", "case-f--bad", "case-f--good",
                                     "case-f--quiet"]
    links = re.findall(r"<a href='#([^']+)'>", text)
    assert sorted(links) == sorted(s[0] for s in found)
    assert len(set(s[0] for s in found)) == len(found)
    nav = text[text.index("<nav"):text.index("</nav>")]
    assert nav.index("Errors (1)") < nav.index("Failing (1)") < nav.index("Passing (1)")
    assert text.count("href='#cases'") == 4 and "<nav id='cases'>" in text


def test_problems_are_open_and_passing_cases_collapsed():
    opened = dict(sections(page.render_page(RESULTS, runs=runs_of(RESULTS))))
    assert opened == {"case-f--broken": " open", "case-f--bad": " open", "case-f--good": "",
                      "case-f--quiet": ""}


def test_summary_cards_and_marked_rows():
    text = page.render_page(RESULTS, runs=runs_of(RESULTS))
    cards = dict((label, value) for value, label in
                 re.findall(r"<b>([^<]+)</b><span>([^<]+)</span>", text))
    assert cards == {"cases": "4", "comparisons": "6", "passed": "3", "failed": "1",
                     "errors": "1", "inconclusive": "0", "skipped": "1",
                     "worst rel. error": "0.25"}
    assert "<tr class='fail'>" in text and "<span class='badge fail'>fail</span>" in text
    assert ".badge.pass{" in text and "\n.pass{" not in text  # a passing row is not painted green


def test_page_is_self_contained():
    text = page.render_page(RESULTS, runs=runs_of(RESULTS))
    assert "<script" not in text.lower() and "http" not in text.lower()


def test_figures_are_drawn_with_their_caption():
    results = [row("c", "pass")]
    figures = {"f::c": [("error_curve", "c: error against h", {"methods": []})]}
    text = page.render_page(results, runs=runs_of(results, figures))
    assert "<figure><div class='plot'><svg" in text
    assert "<figcaption class='note'>c: error against h</figcaption>" in text
    assert dict(sections(text))["case-f--c"] == " open"


def test_the_function_is_drawn_as_mathematics(tmp_path):
    cases, _ = load_one(tmp_path, """\
        name: chain
        function: sin(x**2)
        at: {x: 1}
        """)
    case = cases[0]
    results = [Result(file=case.file, case=case.name, check="derivative", status="pass",
                      case_id=case.id)]
    maths = writer.draw_formulas(page.ordered_cases(results), {case.id: case})
    text = page.render_page(results, [case], figures={}, maths=maths)
    assert "<div class='math'><math class='formula'" in text and "http" not in text
    assert "alttext='sin(x**2)'" in text and "<msup><mi>x</mi><mn>2</mn></msup>" in text
    assert "<code>sin(x**2)</code>" in text


@pytest.mark.parametrize("case_id, kind, expected", [
    ("cases/lab::x_squared", "error_curve", "plots/cases_lab_x_squared--error_curve.svg"),
    ("../../etc/passwd::a", "taylor", "plots/etc_passwd_a--taylor.svg"),
    (".hidden::ü b", "descent", "plots/hidden_b--descent.svg"),
])
def test_plot_names_are_sanitised(case_id, kind, expected):
    assert writer.plot_name(case_id, kind, set()) == expected


def test_plot_names_are_unique():
    taken = set()
    names = [writer.plot_name("a::b", "error_curve", taken) for _ in range(3)]
    names.append(writer.plot_name("a:b", "error_curve", taken))
    assert names == ["plots/a_b--error_curve.svg", "plots/a_b--error_curve-2.svg",
                     "plots/a_b--error_curve-3.svg", "plots/a_b--error_curve-4.svg"]


@pytest.fixture
def fake_figures(monkeypatch):
    calls = []

    def render(kind, title, data):
        calls.append(title)
        return FAKE_SVG.format(title=title)
    monkeypatch.setattr(page, "render_figure", render)
    return calls


def test_report_set_writes_each_figure_as_its_own_svg(tmp_path, monkeypatch):
    results = [row("c", "pass"), row("d", "fail")]
    figures = {"f::c": [("error_curve", "c: h", {}), ("error_curve", "c: h again", {})],
               "f::d": [("taylor", "d: sums", {}), ("graph_table", "d: table", {})]}

    def table_or_svg(kind, title, data):
        return "<table><tr><td>x</td></tr></table>" if kind == "graph_table" else \
            FAKE_SVG.format(title=title)
    monkeypatch.setattr(page, "render_figure", table_or_svg)
    writer.write_reports(tmp_path, results, runs_of(results, figures))
    plots = sorted(p.name for p in (tmp_path / "plots").iterdir())
    assert plots == ["f_c--error_curve-2.svg", "f_c--error_curve.svg", "f_d--taylor.svg"]
    svg = (tmp_path / "plots" / "f_d--taylor.svg").read_text()
    assert svg.startswith("<?xml") and "<title>d: sums</title>" in svg
    text = (tmp_path / "report.html").read_text()
    assert "<a href='plots/f_d--taylor.svg'>SVG file</a>" in text
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert "plots/f_d--taylor.svg" in manifest["files"]
    assert (tmp_path / "report.html").stat().st_mode & 0o044  # readable by others (umask 022)


def test_plots_of_an_earlier_run_are_removed(tmp_path, fake_figures):
    results = [row("c", "pass")]
    writer.write_reports(tmp_path, results,
                         runs_of(results, {"f::c": [("error_curve", "old", {})]}))
    assert (tmp_path / "plots" / "f_c--error_curve.svg").exists()
    (tmp_path / "plots" / "mine.svg").write_text("not ours")
    writer.write_reports(tmp_path, results, runs_of(results))
    assert not (tmp_path / "plots" / "f_c--error_curve.svg").exists()
    assert (tmp_path / "plots" / "mine.svg").exists()  # never listed by us: left alone


def test_large_runs_draw_figures_up_to_the_caps(tmp_path, fake_figures, monkeypatch):
    monkeypatch.setattr(writer, "FIGURE_CAP", 3)
    monkeypatch.setattr(writer, "FAILURE_FIGURE_CAP", 5)
    results = [row(f"p{i}", "pass") for i in range(6)] + [row(f"f{i}", "fail") for i in range(4)]
    figures = {r.case_id: [("error_curve", f"{r.case} curve", {})] for r in results}
    figures["f::f0"].append(("taylor", "f0 sums", {}))
    writer.write_reports(tmp_path, results, runs_of(results, figures))
    # failures first: f0 (2 figures) and f1 fill FIGURE_CAP; then only failures, up to
    # FAILURE_FIGURE_CAP: f2, f3; the passing cases' figures are left out
    assert fake_figures == ["f0 curve", "f0 sums", "f1 curve", "f2 curve", "f3 curve"]
    text = (tmp_path / "report.html").read_text()
    assert text.count("<figure>") == 5
    assert len(list((tmp_path / "plots").iterdir())) == 5
    assert text.count("figure(s) of this case are not drawn") == 6
    assert "this page already holds 5 figures" in text


def test_past_both_caps_failures_lose_figures_too(tmp_path, fake_figures, monkeypatch):
    monkeypatch.setattr(writer, "FIGURE_CAP", 1)
    monkeypatch.setattr(writer, "FAILURE_FIGURE_CAP", 2)
    results = [row(f"f{i}", "fail") for i in range(3)]
    figures = {r.case_id: [("error_curve", f"{r.case} curve", {})] for r in results}
    writer.write_reports(tmp_path, results, runs_of(results, figures))
    assert fake_figures == ["f0 curve", "f1 curve"]


def test_passing_figures_fill_the_page_before_the_cap(tmp_path, fake_figures, monkeypatch):
    monkeypatch.setattr(writer, "FIGURE_CAP", 2)
    results = [row(f"p{i}", "pass") for i in range(4)]
    figures = {r.case_id: [("error_curve", f"{r.case} curve", {})] for r in results}
    writer.write_reports(tmp_path, results, runs_of(results, figures))
    assert fake_figures == ["p0 curve", "p1 curve"]


def test_a_figure_that_cannot_be_drawn_is_a_note(tmp_path, monkeypatch):
    def broken(kind, title, data):
        raise KeyError("grid")
    monkeypatch.setattr(page, "render_figure", broken)
    results = [row("c", "pass")]
    writer.write_reports(tmp_path, results, runs_of(results, {"f::c": [("taylor", "t", {})]}))
    text = (tmp_path / "report.html").read_text()
    assert "this figure could not be drawn: KeyError: &#x27;grid&#x27;" in text
    assert not (tmp_path / "plots").exists() or not any((tmp_path / "plots").iterdir())


def test_maths_are_drawn_for_the_first_cases_only(tmp_path, monkeypatch):
    monkeypatch.setattr(writer, "MATH_CAP", 1)
    cases, _ = load_one(tmp_path, """\
        cases:
          - {name: a, function: x**2, at: {x: 1}}
          - {name: b, function: x**3, at: {x: 1}}
        """)
    results = [Result(file=c.file, case=c.name, check="derivative", status="pass",
                      case_id=c.id) for c in cases]
    maths = writer.draw_formulas(page.ordered_cases(results), {c.id: c for c in cases})
    assert list(maths) == [cases[0].id]


def test_values_show_the_shortest_text_of_their_float():
    row = Result(file="f", case="c", check="backprop", method="backprop", quantity="grad[w]",
                 exact=-0.8, numeric=-0.8000000000000007, status="pass", case_id="f::c")
    text = page.render_page([row], runs=runs_of([row]))
    assert "<td class='num'>-0.8</td><td class='num'>-0.8000000000000007</td>" in text
    assert "0.80000000000000004" not in text


def test_figures_drawn_by_the_worker_are_not_drawn_again(tmp_path, monkeypatch):
    def never(kind, title, data):
        raise AssertionError("the parent drew a figure the worker had drawn")
    monkeypatch.setattr(page, "render_figure", never)
    results = [row("c", "pass")]
    drawn = FAKE_SVG.format(title="drawn in the worker")
    runs = runs_of(results, {"f::c": [("taylor", "c: sums", {}, drawn)]})
    writer.write_reports(tmp_path, results, runs)
    assert drawn in (tmp_path / "report.html").read_text()
    assert "drawn in the worker" in (tmp_path / "plots" / "f_c--taylor.svg").read_text()


def test_workers_draw_the_figures_the_page_shows(tmp_path, monkeypatch):
    monkeypatch.setattr(writer, "FIGURE_CAP", 2)
    cases, _ = load_one(tmp_path, """\
        cases:
          - {name: a, function: x**2, at: {x: 1}, checks: [derivative]}
          - {name: b, function: exp(x), points: [{x: 0}, {x: 1}], checks: [taylor]}
          - {name: c, function: sin(x), at: {x: 1}, checks: [taylor]}
        """)
    assert writer.shown_whatever_status(cases) == {1}  # b's two figures fill the cap
    figure = ("taylor", "t", {})
    passing = CaseRun("f::c", (row("c", "pass"),), figures=(figure,))
    failing = CaseRun("f::c", (row("c", "fail"),), figures=(figure,))
    monkeypatch.setattr(page, "render_figure", lambda kind, title, data: "<svg/>")
    assert writer.draw_where_run(passing, False).figures == (figure,)
    assert writer.draw_where_run(passing, True).figures == (figure + ("<svg/>",),)
    assert writer.draw_where_run(failing, False).figures == (figure + ("<svg/>",),)


def test_tensor_gradients_show_as_a_matrix_with_the_worst_entry_marked(tmp_path):
    """A 2x2 weight matrix: one cell per entry laid out as the matrix, exact,
    numeric and backprop side by side, and the entry with the largest
    relative error highlighted."""
    cases, _ = load_one(tmp_path, """\
        name: layer
        shapes: {W: [2, 2]}
        function: sum_all(W**2)
        at: {W: [[1, 2], [3, 4]]}
        """)
    case = cases[0]

    def grad(index, check, method, numeric, rel):
        exact = 2.0 * [1, 2, 3, 4][index[0] * 2 + index[1]]
        return Result(file=case.file, case=case.name, check=check, method=method,
                      quantity=f"grad[W[{index[0]},{index[1]}]]", point="W=[[1, 2], [3, 4]]",
                      exact=exact, numeric=numeric, rel_error=rel, status="pass",
                      case_id=case.id)
    results = [grad((0, 0), "gradient", "central", 2.0000001, 5e-8),
               grad((0, 1), "gradient", "central", 4.0, 1e-12),
               grad((1, 0), "gradient", "central", 6.0, 1e-12),
               grad((1, 1), "gradient", "central", 8.0, 1e-12),
               grad((1, 1), "gradient", "richardson", 8.00004, 5e-6),
               grad((1, 1), "backprop", "backprop", 7.99999, 1e-6)]
    text = page.render_page(results, [case], figures={})
    table = re.search(r"<table class='tensor'>.*?</table>", text).group(0)
    assert table.count("<tr>") == 2 and table.count("<td") == 4
    cells = re.findall(r"<td( class='worst')? title='W\[(\d),(\d)\]", table)
    assert [(r, c) for _, r, c in cells] == [("0", "0"), ("0", "1"), ("1", "0"), ("1", "1")]
    assert [bool(mark) for mark, _, _ in cells] == [False, False, False, True]
    worst = re.search(r"<td class='worst'.*?</td>", table).group(0)
    # exact, the numeric value of the method that erred most (richardson), backprop
    assert ">8<" in worst and ">8.00004<" in worst and "richardson" in worst \
        and ">7.99999<" in worst


def test_a_page_of_graph_tables_is_written_without_matplotlib(tmp_path):
    """The graph table is HTML: matplotlib (0.8 s to import) loads only for a
    plotted figure."""
    import subprocess
    import sys
    case = tmp_path / "one.yaml"
    case.write_text("cases: [{name: lab, function: 'exp(w*x)', variables: [w], "
                    "parameters: {x: 0.5}, at: {w: 1.5}, checks: [backprop]}]\n")
    code = ("import sys\n"
            "from verify import api\n"
            f"api.run({str(case)!r}, out={str(tmp_path / 'out')!r})\n"
            "print('matplotlib' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.split()[-1] == "False"
    assert "<table" in (tmp_path / "out" / "report.html").read_text()


def test_a_formula_printed_as_its_result_arrived_is_the_one_the_page_shows(monkeypatch):
    from types import SimpleNamespace
    from verify.input.expressions import parse
    from verify.report import maths, writer
    case = SimpleNamespace(expression=parse("exp(-x**2)*y"), variables=("x", "y"),
                           function_text="exp(-x**2)*y")
    writer.prepare_formula(case)
    import importlib
    printer = importlib.import_module("sympy.printing.mathml")
    monkeypatch.setattr(printer, "mathml",
                        lambda *a, **k: pytest.fail("the formula was printed again"))
    drawn = writer.draw_formulas([("c::c", None, None)], {"c::c": case})
    assert drawn["c::c"].startswith("<math") and maths.mathml_of.cache_info().hits >= 1


def test_workers_print_the_table_and_the_formula_the_page_may_show(tmp_path, monkeypatch):
    from verify.checks.case import run_case
    from dataclasses import replace
    monkeypatch.setattr(writer, "MATH_CAP", 2)
    cases, _ = load_one(tmp_path, """\
        cases:
          - {name: a, function: sin(x)*x, at: {x: 1}, checks: [derivative]}
        """)
    run = run_case(cases[0])
    first = writer.draw_where_run(run, False, 0)
    assert first.table_html == page.results_table_html(run.results)
    assert first.formula_html == writer.formula_of(cases[0]) and "<math" in first.formula_html
    assert writer.draw_where_run(run, False, 2).formula_html is None  # past MATH_CAP
    failing = replace(run, results=(replace(run.results[0], status="fail"),) + run.results[1:])
    assert writer.draw_where_run(failing, False, 99).formula_html.startswith("<math")


def test_the_page_takes_a_workers_table_only_with_the_rows_it_shows():
    from dataclasses import replace
    results = [row("c", "pass")]
    drawn = [replace(run, table_html="<table>drawn by the worker</table>")
             for run in runs_of(results)]
    assert "drawn by the worker" in page.render_page(results, runs=drawn)
    copies = [replace(r) for r in results]  # equal rows, not the worker's
    text = page.render_page(copies, runs=drawn)
    assert "drawn by the worker" not in text and page.results_table_html(copies) in text


def test_formulas_printed_by_workers_are_not_printed_again(monkeypatch):
    from dataclasses import replace
    monkeypatch.setattr(writer, "formula_of", lambda case: pytest.fail("printed again"))
    ordered = [("f::a", None, None), ("f::b", None, None)]
    runs = {"f::a": replace(runs_of([row("a", "pass")])[0], formula_html="<math>a</math>"),
            "f::b": replace(runs_of([row("b", "pass")])[0], formula_html="")}  # none to print
    assert writer.draw_formulas(ordered, {}, runs) == {"f::a": "<math>a</math>"}


def test_a_formula_past_the_terms_limit_is_text_without_being_printed(tmp_path, monkeypatch):
    """A graph of nested nodes is a tree of 2**16 terms (its shared subtrees
    repeated): printing it took seconds, inside the case's time limit."""
    import importlib
    from verify.report import maths
    nodes = "".join(f"      a{k}: sin(a{k - 1}) + cos(a{k - 1})\n" for k in range(1, 16))
    cases, _ = load_one(tmp_path, f"cases:\n  - name: deep\n    graph:\n      a0: x\n{nodes}"
                                  "    at: {x: 0.3}\n")
    printer = importlib.import_module("sympy.printing.mathml")
    monkeypatch.setattr(printer, "mathml", lambda *a, **k: pytest.fail("printed"))
    with pytest.raises(ValueError, match=f"more than {maths.MAX_TERMS} terms"):
        maths.mathml_of(cases[0].expression, cases[0].variables)
    assert writer.formula_of(cases[0]) == ""
