"""Shared helpers for the tests: write case files, load one case."""
from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from hypothesis import settings

# Property tests draw the same examples on every run (and in CI): a failure
# is reproducible, and the suite's time does not depend on the draw.
settings.register_profile("verify", derandomize=True, database=None)
settings.load_profile("verify")

# The hostile corpus is data for test_hostile.py, not cases for the verify
# pytest plugin to collect (they are meant to be broken).
collect_ignore_glob = ["hostile/*", "hostile/**/*"]


@pytest.fixture
def write_cases(tmp_path):
    """Write ``{name: yaml text}`` into a fresh folder and return the folder."""
    def write(files: dict[str, str]) -> Path:
        for name, text in files.items():
            path = tmp_path / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(textwrap.dedent(text))
        return tmp_path
    return write


def load_one(tmp_path, text: str):
    """Load a single case from YAML text; return (cases, load errors)."""
    from verify.runner import load
    path = Path(tmp_path) / "one.yaml"
    path.write_text(textwrap.dedent(text))
    loaded = load([path])
    return loaded.cases, loaded.errors


ROOT = Path(__file__).resolve().parents[1]


class ShippedRun:
    """``python -m verify cases/ --out DIR`` run once: returncode, stdout, stderr, out."""

    def __init__(self, folder: Path):
        self.out = folder / "reports"
        self.returncode = int((folder / "returncode").read_text())
        self.stdout = (folder / "stdout").read_text()
        self.stderr = (folder / "stderr").read_text()


@pytest.fixture(scope="session")
def shipped_run(tmp_path_factory) -> ShippedRun:
    """The shipped cases run once for the whole session, shared by xdist's
    workers through a lock in their common temporary folder: each such run
    takes tens of seconds, and five tests read its reports."""
    import subprocess
    import sys
    from filelock import FileLock
    shared = tmp_path_factory.getbasetemp().parent / "shipped-run"
    shared.mkdir(exist_ok=True)
    with FileLock(str(shared) + ".lock"):
        if not (shared / "returncode").exists():
            run = subprocess.run([sys.executable, "-m", "verify", "cases/", "--out",
                                  str(shared / "reports")], cwd=ROOT, capture_output=True,
                                 text=True, timeout=600)
            (shared / "stdout").write_text(run.stdout)
            (shared / "stderr").write_text(run.stderr)
            (shared / "returncode").write_text(str(run.returncode))
    return ShippedRun(shared)
