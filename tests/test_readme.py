"""The README's examples work as a reader copies them: every YAML case in it
runs with no failing or erroring row, and the Python example passes."""
from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

import verify

README = Path(__file__).resolve().parents[1] / "README.md"
TEXT = README.read_text(encoding="utf-8")
YAML_BLOCKS = re.findall(r"```yaml\n(.*?)```", TEXT, flags=re.S)


def test_the_readme_has_its_examples():
    assert len(YAML_BLOCKS) >= 2  # the first case and the layer


@pytest.mark.parametrize("number", range(len(YAML_BLOCKS)))
def test_each_yaml_case_in_the_readme_runs_clean(number, tmp_path):
    path = tmp_path / f"readme_{number}.yaml"
    path.write_text(YAML_BLOCKS[number], encoding="utf-8")
    frame = verify.run(path)
    assert len(frame) > 0
    assert set(frame["status"]) <= {"pass", "inconclusive", "skip"}, \
        frame[frame["status"].isin(["fail", "error"])][["quantity", "message"]]
    assert (frame["status"] == "pass").sum() > 0


def test_the_readme_python_example_passes():
    start = TEXT.index("    import numpy as np, verify")
    block = textwrap.dedent(TEXT[start:TEXT.index("\n\n", start)])
    assert "check_gradient" in block
    exec(compile(block, str(README), "exec"), {})  # noqa: S102 - our own README, not case text
