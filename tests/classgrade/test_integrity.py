"""The static integrity analysis (``classgrade/integrity/``), without kernels."""

from __future__ import annotations

import nbformat
import pytest
from autograde_support import course as support

from classgrade import integrity

REFERENCE = integrity.Reference(
    stubs={"kl_answer": "def kl_divergence(mu, logvar):\n    # YOUR CODE HERE\n    raise NotImplementedError()"},
    locked=["import math", support.TEST_ZERO, support.TEST_VALUES.replace("### ", "# ")],
    helpers=frozenset({"check_close"}),
    package="vae_course",
)


def _flags(*answers: str) -> set[str]:
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell(a, metadata={"nbgrader": {"solution": True, "grade_id": f"a{i}"}})
        for i, a in enumerate(answers)
    ]
    return {flag.code for flag in integrity.analyse(nb, "kl", REFERENCE)}


@pytest.mark.parametrize(
    "answer, code",
    [
        ("from vae_course import kl_divergence", "reference-import"),
        (
            "import vae_course.gaussian as g\ndef kl_divergence(mu, logvar):\n    return g.kl_divergence(mu, logvar)",
            "reference-import",
        ),
        ("from vae_course.gaussian import *", "reference-import"),
        ("def check_close(a, b):\n    return True", "helper-redefinition"),
        ("abs = lambda x: 0", "helper-redefinition"),
        ("import numpy as math", "helper-redefinition"),
        ("import torch\ntorch.allclose = lambda *a, **k: True", "monkeypatch"),
        ("import torch.nn.functional as F\nsetattr(F, 'mse_loss', None)", "monkeypatch"),
        ("import sys\nsys.modules['vae_course.checks'] = None", "monkeypatch"),
        ("get_ipython().set_custom_exc((Exception,), lambda *a: None)", "grading-hook"),
        ("ip = get_ipython()\nip.events.register('pre_run_cell', print)", "grading-hook"),
        ("import sys\nsys.excepthook = print", "grading-hook"),
        ("open('/etc/passwd').read()", "outside-file"),
        ("from pathlib import Path\nPath('../../solutions/kl.ipynb').read_text()", "outside-file"),
        ("try:\n    x = 1 / 0\nexcept:\n    pass", "suppression"),
        ("import sys, io\nsys.stderr = io.StringIO()", "suppression"),
        ("import warnings\nwarnings.filterwarnings('ignore')", "suppression"),
        ("import contextlib, io\nwith contextlib.redirect_stderr(io.StringIO()):\n    pass", "suppression"),
        ("%%capture\nprint(1)", "suppression"),
    ],
)
def test_static_analysis_flags_tampering(answer, code):
    assert code in _flags(answer)


def test_static_analysis_leaves_ordinary_answers_alone():
    ordinary = """%matplotlib inline
import math
import torch
from vae_course import reparameterize  # a different function from the one asked for
def kl_divergence(mu, logvar):
    sum = 0.0  # a local variable may shadow a builtin the tests use
    for m, lv in zip(mu, logvar):
        try:
            sum += 0.5 * (m * m + math.exp(lv) - 1.0 - lv)
        except OverflowError:
            return float("inf")
    return sum
data = open("data.csv").read() if False else None"""
    assert _flags(ordinary) == set()


def test_the_probe_finds_notebook_code_in_the_courses_classes(monkeypatch):
    """``Student._run = ...``: a check's machinery is a class; the probe looks inside the course's classes."""
    import sys
    import types

    from classgrade.execution import probe

    module = types.ModuleType("fakecourse.checks")
    exec("class Student:\n    def _run(self):\n        return 1", module.__dict__)
    scope: dict = {}
    exec(compile("def run_the_reference(self):\n    return 2", "/tmp/ipykernel_9/cell.py", "exec"), scope)
    module.Student._run = scope["run_the_reference"]
    monkeypatch.setitem(sys.modules, "fakecourse.checks", module)
    found = probe._patched_attributes("/tmp/ipykernel_", ("fakecourse",), ("fakecourse",))
    assert found == ["fakecourse.checks.Student._run"]
