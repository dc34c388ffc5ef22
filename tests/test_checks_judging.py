"""The checks' answers for classgrade's judge: recorded in a kernel, replayed by the judge.

The oracle is the check itself: the judge must reach the verdict the check reaches in an honest
kernel (pass, or the same failure and hint), and must fail wrong answers whatever the kernel said.
"""

from __future__ import annotations

import string

import nbformat
import pytest
import torch
from exercise_support import answers

from classgrade.judge import read_records
from classgrade.judge.channel import read_bytes
from classgrade.judge.verdict import TEXTS, judge_notebook
from vae_course import checks, diffusion, gaussian, losses
from vae_course.checks import channel
from vae_course.checks.judging import KERNEL_JUDGED
from vae_course.language import LANGUAGE_VARIABLE

CORRECT = {
    "check_kl_divergence": lambda mu, logvar: -0.5 * (1 + logvar - mu.pow(2) - logvar.exp()).sum(dim=1),
    "check_reparameterize": lambda mu, logvar, eps=None: (
        mu + (0.5 * logvar).exp() * (torch.randn_like(mu) if eps is None else eps)
    ),
    "check_negative_elbo": lambda x_hat, x, mu, logvar, beta=1.0, kind="bce": (  # the library's KL is off limits
        losses.reconstruction_loss(x_hat, x, kind) - beta * 0.5 * (1 + logvar - mu.pow(2) - logvar.exp()).sum(1)
    ).mean(),
    "check_linear_interpolation": lambda z_start, z_end, steps: torch.stack(
        [
            z_start + t * (z_end - z_start)
            for t in torch.linspace(0, 1, steps, dtype=z_start.dtype, device=z_start.device)
        ]
    ),
    "check_q_sample": lambda x0, t, alpha_bar, noise: (
        alpha_bar[t].sqrt().view(-1, 1, 1, 1) * x0 + (1 - alpha_bar[t]).sqrt().view(-1, 1, 1, 1) * noise
    ),
    "check_diffusion_loss": lambda model, x0, alpha_bar, t=None, noise=None, generator=None: diffusion.diffusion_loss(
        model, x0, alpha_bar, t, noise, generator
    ),
}
WRONG = {  # each a named mistake of the hints
    "check_kl_divergence": (lambda mu, logvar: 0.5 * (1 + logvar - mu.pow(2) - logvar.exp()).sum(dim=1), "kl-sign"),
    "check_reparameterize": (
        lambda mu, logvar, eps=None: mu + logvar.exp() * (torch.randn_like(mu) if eps is None else eps),
        "exp-logvar-as-std",
    ),
    "check_q_sample": (
        lambda x0, t, alpha_bar, noise: (
            alpha_bar[t].view(-1, 1, 1, 1) * x0 + (1 - alpha_bar[t]).view(-1, 1, 1, 1) * noise
        ),
        "sqrt-forgotten",
    ),
}


def in_kernel(tmp_path, monkeypatch, check: str, answer, part: str):
    """Run a check as a hidden test cell would; return (kernel verdict, answers as the grader reads them)."""
    path = tmp_path / "answers"
    monkeypatch.setenv(channel.ANSWERS_ENV, str(path))
    try:
        getattr(checks, check)(answer, part=part)
        verdict = (True, "")
    except checks.CheckFailure as failure:
        verdict = (False, str(failure))
    return verdict, read_records(read_bytes(str(path)))


@pytest.mark.parametrize(
    "check, part",
    [("check_kl_divergence", p) for p in ("shapes", "values", "gradients")]
    + [("check_reparameterize", p) for p in ("shapes", "values", "noise", "gradients")]
    + [("check_negative_elbo", p) for p in ("shapes", "values", "gradients")]
    + [("check_linear_interpolation", p) for p in ("shapes", "values")]
    + [("check_q_sample", p) for p in ("shapes", "values")],
)
def test_the_judge_passes_what_the_kernel_passes(tmp_path, monkeypatch, check, part):
    kernel, answers = in_kernel(tmp_path, monkeypatch, check, CORRECT[check], part)
    assert kernel == (True, "")
    assert checks.judge(check, part, answers) == (True, "")


@pytest.mark.parametrize("check", sorted(WRONG))
def test_the_judge_fails_a_mistake_with_the_checks_own_hint(tmp_path, monkeypatch, check):
    wrong, hint = WRONG[check]
    kernel, answers = in_kernel(tmp_path, monkeypatch, check, wrong, "values")
    assert not kernel[0] and f"[{hint}]" in kernel[1]
    assert checks.judge(check, "values", answers) == kernel


def test_a_patched_library_fools_the_kernel_not_the_judge(tmp_path, monkeypatch):
    wrong, hint = WRONG["check_kl_divergence"]
    with monkeypatch.context() as patch:  # what a notebook can do to its own kernel
        patch.setattr(gaussian, "kl_divergence", lambda mu, logvar: wrong(mu, logvar))
        kernel, answers = in_kernel(tmp_path, monkeypatch, "check_kl_divergence", wrong, "values")
    assert kernel == (True, "")
    passed, message = checks.judge("check_kl_divergence", "values", answers)
    assert not passed and f"[{hint}]" in message


def test_missing_or_forged_answers_fail(tmp_path, monkeypatch):
    _kernel, answers = in_kernel(tmp_path, monkeypatch, "check_kl_divergence", CORRECT["check_kl_divergence"], "values")
    assert not checks.judge("check_kl_divergence", "values", {})[0]
    forged = {key: ({"py": 0.0}, []) for key in answers}
    assert not checks.judge("check_kl_divergence", "values", forged)[0]
    assert checks.judge("HINTS", None, answers) is None  # not a check


def test_without_the_grader_nothing_is_written(tmp_path, monkeypatch):
    monkeypatch.delenv(channel.ANSWERS_ENV, raising=False)
    monkeypatch.chdir(tmp_path)
    checks.check_kl_divergence(CORRECT["check_kl_divergence"], part="values")
    assert not list(tmp_path.iterdir())


# --- every check: the judge agrees with an honest kernel, on every correct answer and every mistake


def _kernel_and_judge(tmp_path, monkeypatch, check: str, answer, code: list[str]) -> tuple[tuple, tuple]:
    """Each part's verdict in the kernel and in the judge, which also reads the notebook's ``code``."""
    path = tmp_path / "answers"
    monkeypatch.setenv(channel.ANSWERS_ENV, str(path))
    verdicts = []
    for part in _parts(check):
        path.unlink(missing_ok=True)
        kernel, recorded = in_kernel(tmp_path, monkeypatch, check, answer, part)
        verdicts.append((part, kernel, checks.judge(check, part, recorded, code=code)))
    return tuple((p, k) for p, k, _ in verdicts), tuple((p, j) for p, _, j in verdicts)


def _judged(check: str, kernel: tuple) -> tuple:
    """What the judge must say: the kernel's verdicts, or None for the checks it leaves to the kernel."""
    return tuple((part, None) for part, _ in kernel) if check in KERNEL_JUDGED else kernel


def _parts(check: str) -> list[str]:
    with pytest.raises(ValueError) as error:
        getattr(checks, check)(lambda *args: None, part="?")
    return eval(str(error.value).split("choose one of ")[1])  # the check's own list of parts


@pytest.mark.parametrize("assignment, cell", [(a, c) for a in answers.ASSIGNMENTS for c in answers.CORRECT[a]])
def test_the_judge_agrees_with_the_kernel_on_correct_answers(tmp_path, monkeypatch, assignment, cell):
    scope = answers.namespace(assignment)
    code = _notebook_code(assignment)
    kernel, judged = _kernel_and_judge(tmp_path, monkeypatch, answers.CHECKS[cell], scope[cell], code)
    assert all(verdict == (True, "") for _, verdict in kernel), kernel
    assert judged == _judged(answers.CHECKS[cell], kernel)


@pytest.mark.parametrize("mistake", answers.MISTAKES, ids=[m.name for m in answers.MISTAKES])
def test_the_judge_agrees_with_the_kernel_on_each_mistake(tmp_path, monkeypatch, mistake):
    scope = answers.namespace(mistake.assignment, {mistake.cell: mistake.source})
    code = _notebook_code(mistake.assignment, {mistake.cell: mistake.source})
    kernel, judged = _kernel_and_judge(tmp_path, monkeypatch, mistake.check, scope[mistake.cell], code)
    assert judged == _judged(mistake.check, kernel)


@pytest.mark.parametrize("assignment, design", [(a, d) for a, designs in answers.DESIGNS.items() for d in designs])
def test_the_judge_agrees_with_the_kernel_on_other_model_designs(tmp_path, monkeypatch, assignment, design):
    cell = next(iter(answers.CORRECT[assignment]))
    scope = answers.namespace(assignment, {cell: answers.DESIGNS[assignment][design]})
    code = _notebook_code(assignment, {cell: answers.DESIGNS[assignment][design]})
    kernel, judged = _kernel_and_judge(tmp_path, monkeypatch, answers.CHECKS[cell], scope[cell], code)
    assert all(verdict == (True, "") for _, verdict in kernel), kernel
    assert judged == kernel


def test_a_neutralised_comparison_passes_a_wrong_model_in_the_kernel_not_in_the_judge(tmp_path, monkeypatch):
    from vae_course.checks import vae_models

    mistake = next(m for m in answers.MISTAKES if m.check == "check_mlp_vae" and m.hint == "exp-logvar-as-std")
    scope = answers.namespace(mistake.assignment, {mistake.cell: mistake.source})
    with monkeypatch.context() as patch:  # a notebook replacing a function of the grading module
        patch.setattr(vae_models, "close", lambda *args, **kwargs: True)
        kernel, recorded = in_kernel(tmp_path, monkeypatch, "check_mlp_vae", scope[mistake.cell], "sampling")
    assert kernel == (True, "")
    passed, message = checks.judge("check_mlp_vae", "sampling", recorded)
    assert not passed and f"[{mistake.hint}]" in message


def test_a_patched_reference_fools_the_kernel_not_the_judge_on_random_draws(tmp_path, monkeypatch):
    """A notebook that makes the reference agree with a loss of the wrong target passes in its kernel;
    the judge recomputes the reference's draws from the same seeds and fails it."""
    real = diffusion.diffusion_loss

    def wrong(model, x0, alpha_bar, t=None, noise=None, generator=None):  # twice the loss, written out
        if t is None:
            t = torch.randint(len(alpha_bar), (len(x0),), generator=generator, device=x0.device)
        if noise is None:
            noise = torch.randn(x0.shape, generator=generator, device=x0.device, dtype=x0.dtype)
        a = alpha_bar[t].view(-1, 1, 1, 1).to(x0.dtype)
        return 2 * ((model(a.sqrt() * x0 + (1 - a).sqrt() * noise, t) - noise) ** 2).mean()

    def doubled(*args):  # what the notebook makes the reference compute
        return 2 * real(*args)

    with monkeypatch.context() as patch:
        patch.setattr(diffusion, "diffusion_loss", doubled)
        kernel, answers = in_kernel(tmp_path, monkeypatch, "check_diffusion_loss", wrong, "random")
    assert kernel == (True, "")
    passed, _ = checks.judge("check_diffusion_loss", "random", answers)
    assert not passed


def test_in_a_kernel_a_failing_check_is_its_test_cells_only_output():
    """Plain nbgrader grades a test cell's first result before its error; a stub that shows one and then
    raises must still score nothing: the check clears what the student's code showed before it fails."""
    import nbformat
    from nbclient import NotebookClient
    from nbgrader.utils import determine_grade

    stubs = {
        "result": "get_ipython().displayhook('full marks')",
        "number": "sys.displayhook(1)",
        "everything": "print('ok'); display(2); sys.displayhook(1); sys.displayhook('x')",
    }
    cells = [
        nbformat.v4.new_code_cell("import sys\nfrom IPython.display import display\nfrom vae_course import checks")
    ]
    for name, shows in stubs.items():
        cells.append(
            nbformat.v4.new_code_cell(f"def {name}(mu, logvar):\n    {shows}\n    raise NotImplementedError()")
        )
        test = nbformat.v4.new_code_cell(f'checks.check_kl_divergence({name}, part="shapes")')
        test.metadata["nbgrader"] = {"grade": True, "solution": False, "grade_id": name, "points": 1}
        cells.append(test)
    nb = nbformat.v4.new_notebook(cells=cells)
    NotebookClient(nb, timeout=120, kernel_name="python3", allow_errors=True).execute()
    for cell in nb.cells:
        if cell.metadata.get("nbgrader"):
            assert [o.output_type for o in cell.outputs] == ["error"], cell.outputs
            assert determine_grade(cell)[0] == 0


# --- what the kernel can hide from the answers: the judge reads the notebook's code (issue 20)


def _notebook_code(assignment: str, overrides: dict[str, str] | None = None) -> list[str]:
    """The code cells above a test cell, as the grader gives them to the judge: the setup, then the answers."""
    return [answers.cell_source(assignment, "setup"), *{**answers.CORRECT[assignment], **(overrides or {})}.values()]


DELEGATION_CASES = [("02_reparameterization", "reparameterize", v, s) for v, s in answers.DELEGATING.items()] + [
    (assignment, cell, variant, source)
    for (assignment, cell), variants in answers.SIBLING_DELEGATING.items()
    for variant, source in variants.items()
]


@pytest.mark.parametrize(
    "assignment, cell, variant, source", DELEGATION_CASES, ids=[f"{c}: {v}" for _, c, v, _ in DELEGATION_CASES]
)
def test_the_judge_fails_delegation_it_reads_in_the_notebook_whatever_the_kernel_recorded(
    tmp_path, monkeypatch, assignment, cell, variant, source
):
    """A kernel whose guards were switched off records the reference's answers, which are right: the
    notebook's code still shows where they came from."""
    check = answers.CHECKS[cell]
    part = _parts(check)[0]
    kernel, recorded = in_kernel(tmp_path, monkeypatch, check, answers.namespace(assignment)[cell], part)
    assert kernel == (True, "") and checks.judge(check, part, recorded) == (True, "")
    passed, message = checks.judge(check, part, recorded, code=_notebook_code(assignment, {cell: source}))
    assert not passed and ("[delegation]" in message or "cannot trust" in message), message


# Code that changes the checks in the kernel, so that its answers may come from anywhere.
CHANGES_THE_CHECKS = {
    "module attribute": "from vae_course.checks import core\ncore.find_delegation = lambda *args: None",
    "class attribute": "from vae_course.checks.core import Student\nStudent._run = lambda self, fn, *a, **k: fn(*a, **k)",
    "setattr on a computed import": (
        "import importlib\ncore = importlib.import_module('vae_course.checks.core')\n"
        "setattr(core.Student, '_run', lambda self, fn, *a, **k: fn(*a, **k))"
    ),
    "namespace item": "import vae_course.checks.delegation as d\nvars(d)['forbid'] = None",
    "namespace update": "import vae_course.checks.delegation as d\nvars(d).update(forbid=None)",
    "the library": "import vae_course\nvae_course.gaussian.kl_divergence = lambda mu, logvar: mu.sum(1)",
    "code of a function": "import vae_course\nvae_course.checks.core.forbid.__code__ = (lambda r: None).__code__",
    "found through __subclasses__": (
        "student = [c for c in object.__subclasses__() if c.__name__ == 'Student'][0]\n"
        "student._run = lambda self, fn, *a, **k: fn(*a, **k)"
    ),
    "found through gc": "import gc\nobjects = gc.get_objects()\nobjects[0].forbid = None",
    "inside the answer, at call time": (
        "def kl_divergence(mu, logvar):\n    import vae_course.checks.delegation as d\n    d.forbid = None\n"
        "    return -0.5 * (1 + logvar - mu.pow(2) - logvar.exp()).sum(1)"
    ),
    "the profile function": "import sys\nsys.setprofile(None)",
    "code from a string": "import base64\nexec(base64.b64decode('cGFzcw=='))",
    "a module": "import sys, types\nsys.modules['vae_course.checks.core'] = types.ModuleType('core')",
    "mock.patch": "from unittest import mock\nmock.patch('vae_course.checks.core.forbid').start()",
    "%run": "%run patch_the_checks.py",
}


@pytest.mark.parametrize("variant", sorted(CHANGES_THE_CHECKS))
def test_code_that_changes_the_checks_in_the_kernel_fails_every_judged_check(tmp_path, monkeypatch, variant):
    _kernel, recorded = in_kernel(
        tmp_path, monkeypatch, "check_kl_divergence", CORRECT["check_kl_divergence"], "values"
    )
    code = [*_notebook_code("03_kl_and_elbo"), CHANGES_THE_CHECKS[variant]]
    passed, message = checks.judge("check_kl_divergence", "values", recorded, code=code)
    assert not passed and "cannot trust" in message, message
    assert checks.judge("check_train", "shapes", {}, code=code)[0] is False  # even a check left to the kernel


def test_checks_patched_to_run_the_reference_fool_the_kernel_not_the_judge(tmp_path, monkeypatch):
    """The issue's attack: an empty answer, and checks changed so that the reference answers in its place."""
    import contextlib

    from vae_course.checks import core

    def kl_divergence(mu, logvar):
        raise NotImplementedError()

    def through_the_reference(self, fn, *args, **kwargs):
        with core.quiet():
            return gaussian.kl_divergence(*args, **kwargs) if fn is self.obj else fn(*args, **kwargs)

    with monkeypatch.context() as patch:  # what the notebook's cell below does to its kernel
        patch.setattr(core.Student, "_run", through_the_reference)
        patch.setattr(core, "forbid", lambda references: contextlib.nullcontext([]))
        kernel, recorded = in_kernel(tmp_path, monkeypatch, "check_kl_divergence", kl_divergence, "values")
    assert kernel == (True, "") and checks.judge("check_kl_divergence", "values", recorded) == (True, "")
    cell = """import contextlib
import vae_course
from vae_course.checks import core

def through_the_reference(self, fn, *args, **kwargs):
    with core.quiet():
        return vae_course.gaussian.kl_divergence(*args, **kwargs) if fn is self.obj else fn(*args, **kwargs)

core.Student._run = through_the_reference
core.forbid = lambda references: contextlib.nullcontext([])"""
    stub = "def kl_divergence(mu, logvar):\n    raise NotImplementedError()"
    code = [*_notebook_code("03_kl_and_elbo", {"kl_divergence": stub}), cell]
    passed, message = checks.judge("check_kl_divergence", "values", recorded, code=code)
    assert not passed and "cannot trust" in message and "core.Student._run" in message, message


@pytest.mark.parametrize("assignment", answers.ASSIGNMENTS)
def test_the_solutions_code_shows_neither_delegation_nor_tampering(assignment):
    """Every code cell of the instructor's notebook (setup, answers, try-it cells), read as the judge reads a student's."""
    import nbformat

    notebook = nbformat.read(answers.notebook_path(assignment), as_version=4)
    code = [
        c.source
        for c in notebook.cells
        if c.cell_type == "code"
        and not (c.metadata.get("nbgrader", {}).get("grade") and not c.metadata["nbgrader"].get("solution"))
    ]
    for cell in answers.CORRECT[assignment]:
        passed, message = checks.judge(answers.CHECKS[cell], None, {}, code=code) or (False, "no answer")
        assert "delegat" not in message and "cannot trust" not in message, message


# --------------------------------------------------------------------------- the language of the verdicts


def _fields(template: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(template) if field}


def test_the_courses_verdict_texts_translate_the_graders_own(monkeypatch):
    monkeypatch.delenv(LANGUAGE_VARIABLE, raising=False)
    assert checks.verdict_texts() == TEXTS
    monkeypatch.setenv(LANGUAGE_VARIABLE, "id")
    indonesian = checks.verdict_texts()
    assert set(indonesian) == set(TEXTS)
    for key, english in TEXTS.items():
        assert indonesian[key] != english and _fields(indonesian[key]) == _fields(english), key


def test_the_judge_speaks_the_language_of_the_class(tmp_path, monkeypatch):
    monkeypatch.setenv(LANGUAGE_VARIABLE, "id")
    wrong, hint = WRONG["check_kl_divergence"]
    kernel, answers = in_kernel(tmp_path, monkeypatch, "check_kl_divergence", wrong, "values")
    assert not kernel[0] and f"\nPetunjuk [{hint}]: " in kernel[1]
    assert checks.judge("check_kl_divergence", "values", answers) == kernel
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell('checks.check_kl_divergence(kl, part="values")')])
    nb.cells[0].metadata["nbgrader"] = {"grade": True, "solution": False, "grade_id": "test_kl", "points": 1}
    (overruled,) = judge_notebook(nb, {}, b"", "vae_course.checks")  # no answers: the cell did not run
    assert overruled["message"] == "Penilai tidak dapat membaca jawaban yang dihitung sel ini: sel ini tidak berjalan."
