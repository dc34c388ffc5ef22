"""The hidden tests' API, ``vae_course.checks``: shipped to students, so it needs no grading tool."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from exercise_support import answers

from vae_course import checks, diffusion
from vae_course.checks import vae_models
from vae_course.checks.core import DTYPES, CheckFailure, device_dtypes
from vae_course.checks.hints import HINTS, HINTS_ID
from vae_course.language import LANGUAGE_VARIABLE

MODEL_CHECKS = {"04_mlp_vae": ("MLPVAE", checks.check_mlp_vae), "05_conv_vae": ("ConvVAE", checks.check_conv_vae)}
DESIGNS = [(assignment, design) for assignment, designs in answers.DESIGNS.items() for design in designs]


def test_importing_the_checks_imports_no_grading_tool():
    code = (
        "import sys, vae_course.checks\n"
        "print(sorted(m for m in ('nbgrader', 'nbformat', 'jupyter_client', 'classgrade') if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_cases_run_every_dtype_on_the_cpu_and_one_on_a_gpu():
    cases = list(device_dtypes())
    assert [(d.type, t) for d, t in cases if d.type == "cpu"] == [("cpu", t) for t in DTYPES]
    assert [t for d, t in cases if d.type != "cpu"] == ([DTYPES[0]] if torch.cuda.is_available() else [])
    assert len(list(device_dtypes(every_dtype_on_gpu=True))) == len(DTYPES) * (1 + torch.cuda.is_available())


# --- assignment 10: the diffusion model's forward process and loss


def _view(a):
    return a.view(-1, 1, 1, 1)  # (B,) -> (B, 1, 1, 1)


def _diffusion_loss(order="t-first", low=0, target="noise", model_input="x_t", reduce="mean", seeded=True):
    """A student's diffusion_loss, right by default, wrong in one named way otherwise."""

    def diffusion_loss(model, x0, alpha_bar, t=None, noise=None, generator=None):
        g = generator if seeded else None

        def steps():
            return torch.randint(low, len(alpha_bar), (len(x0),), generator=g, device=x0.device)

        def draw():
            return torch.randn(x0.shape, generator=g, device=x0.device, dtype=x0.dtype)

        if order == "noise-first":
            noise = draw() if noise is None else noise
            t = steps() if t is None else t
        else:
            t = steps() if t is None else t
            noise = draw() if noise is None else noise
        a = _view(alpha_bar[t])
        x_t = a.sqrt() * x0 + (1 - a).sqrt() * noise
        predicted = model(x_t if model_input == "x_t" else x0, t)
        squared = (predicted - (noise if target == "noise" else x0)).pow(2)
        if reduce == "mse_loss":
            return torch.nn.functional.mse_loss(predicted, noise)
        return squared.mean() if reduce == "mean" else squared.sum()

    return diffusion_loss


DIFFUSION_CORRECT = {
    "check_alpha_bars": [
        lambda betas: torch.cumprod(1 - betas, dim=0),
        lambda betas: torch.exp(torch.cumsum(torch.log1p(-betas), 0)),
        lambda betas: torch.stack([torch.prod(1 - betas[: i + 1]) for i in range(len(betas))]),
    ],
    "check_q_sample": [
        lambda x0, t, alpha_bar, noise: _view(alpha_bar[t]).sqrt() * x0 + _view(1 - alpha_bar[t]).sqrt() * noise,
        lambda x0, t, alpha_bar, noise: torch.stack(
            [alpha_bar[s] ** 0.5 * x0[i] + (1 - alpha_bar[s]) ** 0.5 * noise[i] for i, s in enumerate(t)]
        ),
        lambda x0, t, alpha_bar, noise: (
            torch.einsum("b,bchw->bchw", alpha_bar[t].sqrt(), x0)
            + torch.einsum("b,bchw->bchw", (1 - alpha_bar[t]).sqrt(), noise)
        ),
    ],
    "check_noise_prediction_loss": [
        lambda predicted, noise: torch.nn.functional.mse_loss(predicted, noise),
        lambda predicted, noise: (predicted - noise).square().sum() / noise.numel(),
        lambda predicted, noise: (noise - predicted).pow(2).flatten(1).mean(1).mean(),
    ],
    "check_diffusion_loss": [_diffusion_loss(), _diffusion_loss(reduce="mse_loss")],
}

DIFFUSION_MISTAKES = [  # (check, answer, part, hint)
    ("check_alpha_bars", lambda betas: 1 - betas, "values", "alpha-not-bar"),
    ("check_alpha_bars", lambda betas: torch.cumprod(betas, 0), "values", "cumprod-of-betas"),
    (
        "check_alpha_bars",
        lambda betas: torch.cat([torch.ones_like(betas[:1]), torch.cumprod(1 - betas, 0)[:-1]]),
        "values",
        "step-off-by-one",
    ),
    (
        "check_q_sample",
        lambda x0, t, alpha_bar, noise: _view(alpha_bar[t]) * x0 + _view(1 - alpha_bar[t]) * noise,
        "values",
        "sqrt-forgotten",
    ),
    (
        "check_q_sample",
        lambda x0, t, alpha_bar, noise: _view(alpha_bar[t]).sqrt() * x0 + _view(1 - alpha_bar[t]) * noise,
        "values",
        "noise-scale",
    ),
    (
        "check_q_sample",
        lambda x0, t, alpha_bar, noise: (
            _view(alpha_bar[t - 1]).sqrt() * x0 + _view(1 - alpha_bar[t - 1]).sqrt() * noise
        ),
        "values",
        "step-off-by-one",
    ),
    (
        "check_q_sample",
        lambda x0, t, alpha_bar, noise: (
            _view(alpha_bar[t + 1]).sqrt() * x0 + _view(1 - alpha_bar[t + 1]).sqrt() * noise
        ),
        "shapes",
        "step-off-by-one",
    ),
    (  # silently wrong for a batch of 28 (the width), an error for other batches
        "check_q_sample",
        lambda x0, t, alpha_bar, noise: alpha_bar[t].sqrt() * x0 + (1 - alpha_bar[t]).sqrt() * noise,
        "values",
        "per-image-broadcast",
    ),
    (
        "check_q_sample",
        lambda x0, t, alpha_bar, noise: alpha_bar[t].sqrt() * x0 + (1 - alpha_bar[t]).sqrt() * noise,
        "shapes",
        "per-image-broadcast",
    ),
    (
        "check_q_sample",
        lambda x0, t, alpha_bar, noise: (
            _view(alpha_bar[t]).sqrt() * x0 + _view(1 - alpha_bar[t]).sqrt() * torch.randn_like(x0)
        ),
        "values",
        "noise-ignored",
    ),
    ("check_noise_prediction_loss", lambda p, n: (p - n).pow(2).sum(), "values", "loss-sum-not-mean"),
    (
        "check_noise_prediction_loss",
        lambda p, n: (p - n).pow(2).flatten(1).sum(1).mean(),
        "values",
        "loss-sum-over-pixels",
    ),
    ("check_noise_prediction_loss", lambda p, n: (p - n).pow(2).flatten(1).mean(1), "shapes", "loss-not-scalar"),
    ("check_diffusion_loss", _diffusion_loss(target="x0"), "values", "noise-target"),
    ("check_diffusion_loss", _diffusion_loss(model_input="x0"), "values", "model-input"),
    ("check_diffusion_loss", _diffusion_loss(reduce="sum"), "values", "loss-sum-not-mean"),
    ("check_diffusion_loss", _diffusion_loss(order="noise-first"), "random", "draw-order"),
    ("check_diffusion_loss", _diffusion_loss(low=1), "random", "step-off-by-one"),
    ("check_diffusion_loss", _diffusion_loss(seeded=False), "random", "generator-ignored"),
    (
        "check_diffusion_loss",
        lambda model, x0, alpha_bar, t=None, noise=None, generator=None: _diffusion_loss()(
            model, x0, alpha_bar, t, noise, generator
        ).detach(),
        "gradients",
        "no-gradient",
    ),
]


@pytest.mark.parametrize(
    "check, answer",
    [(check, answer) for check, answers in DIFFUSION_CORRECT.items() for answer in answers],
    ids=[f"{check}-{i}" for check, answers in DIFFUSION_CORRECT.items() for i in range(len(answers))],
)
def test_diffusion_checks_accept_correct_answers_written_differently(check, answer):
    getattr(checks, check)(answer)


@pytest.mark.parametrize(
    "check, answer, part, hint", DIFFUSION_MISTAKES, ids=[f"{m[0]}-{m[2]}-{m[3]}" for m in DIFFUSION_MISTAKES]
)
def test_diffusion_checks_name_each_mistake(check, answer, part, hint):
    with pytest.raises(checks.CheckFailure) as failure:
        getattr(checks, check)(answer, part=part)
    assert failure.value.hint == hint, str(failure.value)
    assert f"Hint [{hint}]" in str(failure.value) and "tensor(" not in failure.value.message


def test_diffusion_checks_reject_the_library_itself():
    for check, reference in (
        ("check_alpha_bars", diffusion.alpha_bars),
        ("check_q_sample", diffusion.q_sample),
        ("check_noise_prediction_loss", diffusion.noise_prediction_loss),
        ("check_diffusion_loss", diffusion.diffusion_loss),
    ):
        with pytest.raises(checks.CheckFailure) as failure:
            getattr(checks, check)(reference)
        assert failure.value.hint == "delegation"


# --------------------------------------------------------------------------- the VAEs students design


def _model_parts(check) -> list[str]:
    with pytest.raises(ValueError) as error:
        check(lambda *args: None, part="?")
    return eval(str(error.value).split("choose one of ")[1])  # the check's own list of parts


@pytest.mark.parametrize(("assignment", "design"), DESIGNS, ids=[f"{a}-{d}" for a, d in DESIGNS])
def test_vae_model_designs_pass_every_part_quietly(assignment, design, capfd):
    """Assignments 4 and 5 specify behaviour: each design within the specification passes."""
    cell, check = MODEL_CHECKS[assignment]
    scope = answers.namespace(assignment, {cell: answers.DESIGNS[assignment][design]})
    capfd.readouterr()
    for part in _model_parts(check):
        check(scope[cell], part=part)
    assert capfd.readouterr() == ("", "")


@pytest.mark.parametrize("assignment", sorted(MODEL_CHECKS))
def test_every_part_of_a_vae_model_check_has_its_grade_cell(assignment):
    cell, check = MODEL_CHECKS[assignment]
    prefix = {"MLPVAE": "test_mlp_vae", "ConvVAE": "test_conv_vae"}[cell]
    for part in _model_parts(check):
        source = answers.cell_source(assignment, f"{prefix}_{part}")
        assert f'{check.__name__}({cell}, part="{part}")' in source


def test_vae_model_mistakes_cover_every_model_hint():
    """Each mistake the brief of assignments 4 and 5 names has an answer that gets its hint."""
    named = {m.hint for m in answers.MISTAKES if m.check in ("check_mlp_vae", "check_conv_vae")}
    assert named >= {
        "missing-sigmoid",
        "logvar-range",
        "forward-no-sampling",
        "exp-logvar-as-std",
        "logvar-as-std",
        "eps-ignored",
        "decoder-uses-x",
        "image-shape",
        "conv-shape",
        "parameter-budget",
        "conv-layers",
        "hardcoded-size",
    }


def test_the_vae_model_budgets_admit_the_suggested_designs():
    """The library's models are the suggested designs: they fit the budgets at every latent size."""
    for spec in (vae_models.MLP_VAE, vae_models.CONV_VAE):
        for latent_dim in spec.latent_dims:
            model = spec.reference(spec.config(latent_dim=latent_dim))
            assert sum(p.numel() for p in model.parameters()) <= spec.budget


def test_the_hidden_training_images_are_boxes_in_the_unit_interval():
    x = vae_models.garments(8, seed=0)
    assert x.shape == (8, 1, 28, 28) and x.dtype == torch.float64
    assert torch.allclose(x.unique(), torch.tensor([0.02, 0.9], dtype=x.dtype))
    assert torch.equal(x, vae_models.garments(8, seed=0))


def test_a_model_that_does_not_learn_fails_the_trains_part():
    scope = answers.namespace("04_mlp_vae")
    base = scope["MLPVAE"]

    class Frozen(base):  # the decoder's weights do not move (and get no gradient)
        def __init__(self, config):
            super().__init__(config)
            self.decoder.requires_grad_(False)

    Frozen.__name__ = "MLPVAE"
    with pytest.raises(CheckFailure, match="Adam steps"):
        checks.check_mlp_vae(Frozen, part="trains")
    with pytest.raises(CheckFailure) as failure:
        checks.check_mlp_vae(Frozen, part="gradients")
    assert failure.value.hint == "no-gradient"


def test_the_table_of_checks_lists_every_check_with_its_parts():
    """``vae_course.checks``' docstring table is what hidden tests can call: every check and its parts."""
    rows = [line.split("|")[1:4] for line in checks.__doc__.splitlines() if line.startswith("| ``")]
    listed = {check.strip()[len(":func:`") : -1]: [p.strip() for p in parts.split(",")] for _, check, parts in rows}
    public = {name for name in checks.__all__ if name.startswith("check_")}
    assert set(listed) == public
    for name, parts in listed.items():
        assert sorted(_model_parts(getattr(checks, name))) == sorted(parts), name


# --------------------------------------------------------------------------- feedback in the student's language

# Function words of English prose: an Indonesian message (code spans and names aside) has none.
ENGLISH = re.compile(r"\b(the|should|got|expected|differs|does|not|with|of shape|on a|reaches|returned)\b")
CODE = re.compile(r"`[^`]*`|\b\w+\([^()]*(\([^()]*\)[^()]*)*\)|\b\w*_\w*\b")  # inline code, calls, snake_case names


def _untranslated_prose(path: Path) -> list[str]:
    """String literals of ``path`` that read as English prose and sit outside ``t(english, indonesian)``.

    Not messages, so left out: docstrings; the hint tables (tested below); strings compared with
    ``in``/``==`` (PyTorch's own error texts); programmer errors (``ValueError``...); ``__main__``.
    """
    tree = ast.parse(path.read_text())
    skip: set[int] = set()

    def skip_all(node):
        skip.update(id(n) for n in ast.walk(node))

    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef)) and body and isinstance(body[0], ast.Expr):
            skip_all(body[0])
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) in TRANSLATORS:
            skip_all(node)
        if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call):
            if getattr(node.exc.func, "id", "") in ("ValueError", "TypeError", "AssertionError", "KeyError"):
                skip_all(node)
        if isinstance(node, ast.Compare):
            skip_all(node)
        if isinstance(node, ast.AnnAssign) and getattr(node.target, "id", "") in ("HINTS", "HINTS_ID"):
            skip_all(node)
        if isinstance(node, ast.If) and "__main__" in ast.unparse(node.test):
            skip_all(node)
        if isinstance(node, ast.JoinedStr):
            skip.update(id(value) for value in node.values)
    found = []
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            text = node.value
        elif isinstance(node, ast.JoinedStr):
            text = "".join(value.value for value in node.values if isinstance(value, ast.Constant))
        else:
            continue
        if re.search(r"\b[A-Za-z]+ [A-Za-z]{2,}\b", text):  # two words in a row
            found.append(f"{path.name}:{node.lineno}: {text[:70]!r}")
    return found


# how the checks modules call vae_course.language.t (diffusion.py names it in_language: t is a step there)
TRANSLATORS = {"t", "in_language"}


def test_every_message_of_the_checks_has_an_indonesian_text():
    folder = Path(checks.__file__).parent
    found = [line for path in sorted(folder.glob("*.py")) for line in _untranslated_prose(path)]
    assert found == [], "write these as t(english, indonesian) (vae_course.language):\n" + "\n".join(found)


def test_every_hint_has_an_indonesian_text_with_the_same_code():
    assert list(HINTS_ID) == list(HINTS)
    for name, english in HINTS.items():
        indonesian = HINTS_ID[name]
        assert indonesian and indonesian != english, name
        assert re.findall(r"`[^`]*`", indonesian) == re.findall(r"`[^`]*`", english), name
        assert not ENGLISH.search(CODE.sub("", indonesian)), (name, indonesian)


def _failures(mistake) -> list[CheckFailure]:
    scope = answers.namespace(mistake.assignment, {mistake.cell: mistake.source})
    found = []
    for part in mistake.parts[:1]:
        with pytest.raises(CheckFailure) as failure:
            getattr(checks, mistake.check)(scope[mistake.cell], part=part)
        found.append(failure.value)
    return found


@pytest.mark.parametrize("mistake", answers.MISTAKES, ids=[m.name for m in answers.MISTAKES])
def test_a_failing_check_speaks_the_language_of_the_class_with_the_same_hint_name(monkeypatch, mistake):
    monkeypatch.delenv(LANGUAGE_VARIABLE, raising=False)
    english = _failures(mistake)
    monkeypatch.setenv(LANGUAGE_VARIABLE, "id")
    indonesian = _failures(mistake)
    for en, id_ in zip(english, indonesian):
        assert en.hint == id_.hint == mistake.hint
        assert str(en).endswith(f"\nHint [{mistake.hint}]: {HINTS[mistake.hint]}")
        assert str(id_).endswith(f"\nPetunjuk [{mistake.hint}]: {HINTS_ID[mistake.hint]}")
        assert id_.message != en.message
        ours = id_.message.replace(str(getattr(id_, "error", "")), "")  # the student's exception speaks English
        assert not ENGLISH.search(CODE.sub("", ours)), id_.message


def test_english_feedback_is_unchanged_by_default(monkeypatch):
    monkeypatch.delenv(LANGUAGE_VARIABLE, raising=False)

    def kl_divergence(mu, logvar):  # right values, no gradient
        return -0.5 * (1 + logvar - mu.pow(2) - logvar.exp()).sum(dim=1).detach()

    with pytest.raises(CheckFailure) as failure:
        checks.check_kl_divergence(kl_divergence, part="gradients")
    assert str(failure.value) == (
        "The KL does not depend on mu and logvar through autograd (float32 on cpu, mu of shape (1, 1)).\n"
        f"Hint [no-gradient]: {HINTS['no-gradient']}"
    )
