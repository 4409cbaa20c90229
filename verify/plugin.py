"""The pytest plugin: ``pytest cases/`` runs each case of each case file as a test.

Registered through the ``pytest11`` entry point (``-p no:verify`` turns it
off). In the shape of pytest's own YAML-collector example: a YAML file is
collected only when it is a case file (a mapping with a ``cases:`` list, or
one case with ``name`` and one of ``function``, ``graph``, ``at``, ``points``),
so a single case with a misspelt ``function`` is still collected (and fails
with the loader's message) while the other YAML of
a repository (CI files, environments, configs) is never read as cases. Each
case is one item, ``path/to/file.yaml::case``, run by the runner the CLI
uses; a failure shows its failed rows as a small table. SymPy loads only
when a case file is collected.
"""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from verify.core.result import is_load_error
from verify.core.run_options import RunOptions
from verify.core.status import Status, status_of
from verify.report.failures import VerificationFailed, bad_rows

SUFFIXES = (".yaml", ".yml")
CASE_ONLY_KEYS = {"function", "graph", "at", "points"}


def pytest_addoption(parser):
    group = parser.getgroup("verify", "verify case files")
    group.addoption("--verify-allow-import", action="store_true", default=False,
                    help="import the user code named by 'implementation' keys of case files")
    group.addoption("--verify-allow-outside-data", action="store_true", default=False,
                    help="let a data csv path leave its case file's folder")


def pytest_collect_file(file_path, parent):
    if file_path.suffix in SUFFIXES and is_case_file(file_path):
        return CaseFile.from_parent(parent, path=file_path)
    return None


def is_case_file(path) -> bool:
    """A mapping with a ``cases:`` list, or a case mapping (``name`` and a key only cases have)."""
    # imported here: pytest loads this plugin in every project, most with no case file
    from verify.input.files import read_limited
    from verify.input.loading import MAX_FILE_BYTES, CaseError
    try:  # within the loader's size limit; a FIFO or device is not waited on
        text = read_limited(path, MAX_FILE_BYTES).decode("utf-8")
    except (CaseError, UnicodeDecodeError):
        return False
    if "cases" not in text and "name" not in text:  # most other YAML is never parsed
        return False
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except (yaml.YAMLError, RecursionError):
        return False
    if not isinstance(root, yaml.MappingNode):
        return False
    keys = {key.value: value for key, value in root.value if isinstance(key, yaml.ScalarNode)}
    if "cases" in keys:
        return isinstance(keys["cases"], yaml.SequenceNode)
    return "name" in keys and bool(CASE_ONLY_KEYS & set(keys))


def _options(config):
    return RunOptions(allow_import=config.getoption("verify_allow_import"),
                      allow_outside_data=config.getoption("verify_allow_outside_data"),
                      timeout=0.0)


class CaseFile(pytest.File):
    """One case file: an item per case, and a failing item per load error."""

    def collect(self):
        from verify.runner import load  # SymPy: only when a case file is collected
        try:
            shown = self.path.relative_to(Path.cwd())
        except ValueError:
            shown = self.path
        taken = set()
        for entry in load([shown], _options(self.config)).order:
            if not is_load_error(entry):
                name = entry.name if entry.name not in taken else f"{entry.name}@line{entry.line}"
                taken.add(name)
                yield CaseItem.from_parent(self, name=name, case=entry)
            else:
                name = entry.case or "load"
                if name in taken:
                    name = f"{name}@line{entry.line}"
                taken.add(name)
                yield LoadErrorItem.from_parent(self, name=name, row=entry)


class CaseItem(pytest.Item):
    """One case, run with :func:`verify.checks.case.run_case`."""

    def __init__(self, *, case, **kwargs):
        super().__init__(**kwargs)
        self.case = case

    def runtest(self):
        from verify.checks.case import run_case  # SymPy: only when a case runs
        results = run_case(self.case, _options(self.config)).results
        failed = bad_rows(results)
        if failed:
            case = self.case
            raise VerificationFailed(f"case '{case.name}' ({case.file}:{case.line}): "
                                     f"{len(failed)} of {len(results)} comparisons failed or "
                                     "could not run", failed)
        status = status_of(results)
        if status in (Status.INCONCLUSIVE, Status.SKIP):  # nothing passed: say why
            reasons = dict.fromkeys(r.message for r in results if r.status == status)
            pytest.skip(f"{status}: " + "; ".join(m for m in reasons if m)[:500])

    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, VerificationFailed):
            return str(excinfo.value)
        return super().repr_failure(excinfo, style=style)

    def reportinfo(self):
        return self.path, self.case.line - 1, f"case {self.case.name}"


class LoadErrorItem(pytest.Item):
    """A case (or file) that could not be read: it fails with the loader's message."""

    def __init__(self, *, row, **kwargs):
        super().__init__(**kwargs)
        self.row = row

    def runtest(self):
        raise CaseLoadError(self.row.message)

    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, CaseLoadError):
            return f"could not load: {excinfo.value}"
        return super().repr_failure(excinfo, style=style)

    def reportinfo(self):
        return self.path, max(self.row.line - 1, 0), f"load error {self.name}"


class CaseLoadError(Exception):
    """A case file or case that could not be read."""
