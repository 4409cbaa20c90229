"""Shared helpers for the tests: write case files, load one case."""
from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

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
