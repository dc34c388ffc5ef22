"""The hidden tests' API, ``vae_course.checks``: shipped to students, so it needs no grading tool."""

from __future__ import annotations

import subprocess
import sys

import pytest
import torch
from exercise_support import answers

from vae_course import checks
from vae_course.checks import vae_models
from vae_course.checks.core import DTYPES, CheckFailure, device_dtypes

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
