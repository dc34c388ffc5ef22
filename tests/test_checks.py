"""The hidden tests' API, ``vae_course.checks``: shipped to students, so it needs no grading tool."""

from __future__ import annotations

import subprocess
import sys

import torch

from vae_course.checks.core import DTYPES, device_dtypes


def test_importing_the_checks_imports_no_grading_tool():
    code = ("import sys, vae_course.checks\n"
            "print(sorted(m for m in ('nbgrader', 'nbformat', 'jupyter_client', 'classgrade') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_cases_run_every_dtype_on_the_cpu_and_one_on_a_gpu():
    cases = list(device_dtypes())
    assert [(d.type, t) for d, t in cases if d.type == "cpu"] == [("cpu", t) for t in DTYPES]
    assert [t for d, t in cases if d.type != "cpu"] == ([DTYPES[0]] if torch.cuda.is_available() else [])
    assert len(list(device_dtypes(every_dtype_on_gpu=True))) == len(DTYPES) * (1 + torch.cuda.is_available())
