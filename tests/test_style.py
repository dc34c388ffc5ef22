"""The whole tree is formatted and linted by ruff, as configured in pyproject.toml (issue 12)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("command", [["check", "--no-fix"], ["format", "--check"]], ids=["lint", "format"])
def test_ruff_is_clean_on_the_whole_tree(command):
    result = subprocess.run([sys.executable, "-m", "ruff", *command, "--no-cache", "."], cwd=ROOT,
                            capture_output=True, text=True)
    assert result.returncode == 0, f"ruff {' '.join(command)}: fix with `ruff format . && ruff check --fix .`\n" + (
        result.stdout[-4000:] + result.stderr[-2000:])
