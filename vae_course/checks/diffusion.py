r"""Checks for the diffusion model's forward process and loss (assignment 10): ``alpha_bars``,
``q_sample``, ``noise_prediction_loss`` and ``diffusion_loss``.

Each is compared with its reference in :mod:`vae_course.diffusion` on hidden schedules, images,
steps and noise. Steps are 0-based as in the library: index ``t`` is the paper's step ``t + 1``, so
``alpha_bar[0] = 1 - beta[0]``. The losses run a small step-dependent denoiser,
:math:`\epsilon_\theta(x_t, t) = a_t x_t + b_t`, which is enough to tell noised from clean inputs,
noise from images as targets, and one step from the next.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import torch
from torch import nn

from .. import diffusion
from ..language import t as in_language  # t is the diffusion step here
from .core import (
    CheckFailure,
    Student,
    StudentError,
    close,
    describe,
    device_dtypes,
    expect_close,
    expect_gradients,
    expect_like,
    expect_shape,
    generator,
    gradients,
    run_parts,
)

# (schedule, T): the library's schedules at a few lengths, and "random" betas in [0.001, 0.3]. The
# linear schedule is rescaled to T steps, which keeps its betas below 1 only for T > 20.
SCHEDULE_CASES = (("linear", 100), ("cosine", 50), ("random", 7), ("cosine", 1), ("linear", 1000))
# (batch, T): a batch of 28 images would broadcast (B,) against the width by mistake, silently
Q_SAMPLE_CASES = ((1, 10), (28, 200), (6, 50))
# (batch, T, schedule) of the losses; a batch above 1 first, where a sum over pixels and a sum
# over everything differ
LOSS_CASES = ((5, 50, "linear"), (1, 10, "cosine"), (9, 200, "cosine"))


def hidden_betas(schedule: str, timesteps: int, seed: int) -> torch.Tensor:
    """A hidden schedule, float64 (T,)."""
    if schedule == "random":
        return torch.empty(timesteps, dtype=torch.float64).uniform_(0.001, 0.3, generator=generator(seed))
    return diffusion.make_betas(schedule, timesteps)


def schedule_inputs(seed: int = 0) -> Iterator[tuple[torch.Tensor, str]]:
    """Hidden (betas, description) for every schedule, dtype and device."""
    for device, dtype in device_dtypes():
        for k, (schedule, timesteps) in enumerate(SCHEDULE_CASES):
            betas = hidden_betas(schedule, timesteps, seed + k).to(device, dtype)
            yield (
                betas,
                describe(dtype, device, betas=betas.shape)
                + in_language(f", {schedule} schedule", f", jadwal {schedule}"),
            )


def noising_inputs(seed: int = 0) -> Iterator[tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor, str]]:
    """Hidden (x0, t, alpha_bar, noise, description): images in model space [-1, 1], steps covering 0 and T - 1."""
    for device, dtype in device_dtypes():
        for k, (batch, timesteps) in enumerate(Q_SAMPLE_CASES):
            g = generator(seed + k)
            x0 = 2 * torch.rand(batch, 1, 28, 28, generator=g, dtype=torch.float64) - 1
            t = torch.randint(timesteps, (batch,), generator=g)
            t[: min(batch, 2)] = torch.tensor([timesteps - 1, 0])[: min(batch, 2)]  # both ends of the chain
            noise = torch.randn(batch, 1, 28, 28, generator=g, dtype=torch.float64)
            alpha_bar = diffusion.alpha_bars(diffusion.make_betas("cosine", timesteps))
            x0, noise, alpha_bar = (v.to(device, dtype) for v in (x0, noise, alpha_bar))
            case = describe(dtype, device, x0=x0.shape, alpha_bar=alpha_bar.shape)
            yield x0, t.to(device), alpha_bar, noise, case


class StepDenoiser(nn.Module):
    r"""A hidden 'network' :math:`\epsilon_\theta(x_t, t) = a_t x_t + b_t`, one scale and shift per step."""

    def __init__(self, timesteps: int, seed: int):
        super().__init__()
        g = generator(seed)
        self.scale = nn.Parameter(0.5 + torch.rand(timesteps, generator=g))  # (T,)
        self.shift = nn.Parameter(0.3 * torch.randn(timesteps, generator=g))  # (T,)

    def forward(self, x_t: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        return self.scale[t].view(-1, 1, 1, 1) * x_t + self.shift[t].view(-1, 1, 1, 1)  # (B, 1, 28, 28)


def loss_inputs(
    seed: int = 0,
) -> Iterator[tuple[nn.Module, torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor, str]]:
    """Hidden (model, x0, alpha_bar, t, noise, description) for the training loss."""
    for device, dtype in device_dtypes():
        for k, (batch, timesteps, schedule) in enumerate(LOSS_CASES):
            g = generator(seed + k)
            model = StepDenoiser(timesteps, seed + k).to(device, dtype)
            x0 = 2 * torch.rand(batch, 1, 28, 28, generator=g, dtype=torch.float64) - 1
            t = torch.randint(timesteps, (batch,), generator=g)
            noise = torch.randn(batch, 1, 28, 28, generator=g, dtype=torch.float64)
            alpha_bar = diffusion.alpha_bars(diffusion.make_betas(schedule, timesteps))
            x0, noise, alpha_bar = (v.to(device, dtype) for v in (x0, noise, alpha_bar))
            case = describe(dtype, device, x0=x0.shape, alpha_bar=alpha_bar.shape)
            yield model, x0, alpha_bar, t.to(device), noise, case


# --------------------------------------------------------------------------- alpha_bars


def check_alpha_bars(alpha_bars: Callable, part: str | None = None) -> None:
    r"""Check a student's ``alpha_bars(betas) -> (T,)``, :math:`\bar\alpha_t = \prod_{s \le t} (1 - \beta_s)`.

    Parts: ``"shapes"``, ``"values"`` (named mistakes: ``1 - beta`` alone, the product of the betas,
    the product shifted by one step).
    """
    student = Student(alpha_bars, "alpha_bars", (diffusion.alpha_bars,))
    what = "alpha_bars(betas)"

    def shapes():
        for betas, case in schedule_inputs():
            student.case = case
            expect_like(student(betas), betas, what, case)

    def values():
        for betas, case in schedule_inputs(seed=10):
            student.case = case
            expected = diffusion.alpha_bars(betas)  # (T,)
            many = len(betas) > 1
            shifted = torch.cat([torch.ones_like(betas[:1]), expected[:-1]])  # prod over s < t
            candidates = {
                "alpha-not-bar": 1 - betas if many else None,
                "cumprod-of-betas": torch.cumprod(betas, dim=0),
                "step-off-by-one": shifted,
            }
            expect_close(student(betas), expected, what, case, candidates)

    run_parts("alpha_bars", {"shapes": shapes, "values": values}, part)


# --------------------------------------------------------------------------- q_sample


def _broadcast_hint(shape: tuple) -> str | None:
    return "per-image-broadcast" if len(shape) != 4 or shape[1:] != (1, 28, 28) else None


def q_sample_mistakes(x0, t, alpha_bar, noise) -> dict[str, torch.Tensor | None]:
    """What each common mistake computes on these inputs, (B, 1, 28, 28)."""
    a = alpha_bar[t].view(-1, 1, 1, 1)  # (B, 1, 1, 1)
    earlier = alpha_bar[t - 1].view(-1, 1, 1, 1)  # t = 0 reads alpha_bar[-1], as Python does
    mistakes = {
        "sqrt-forgotten": a * x0 + (1 - a) * noise,
        "noise-scale": a.sqrt() * x0 + (1 - a) * noise,
        "step-off-by-one": earlier.sqrt() * x0 + (1 - earlier).sqrt() * noise,
        "per-image-broadcast": None,
    }
    if len(t) == x0.shape[-1]:  # (B,) broadcast over the last axis, the width, when B == 28
        flat = alpha_bar[t]  # (B,)
        mistakes["per-image-broadcast"] = flat.sqrt() * x0 + (1 - flat).sqrt() * noise
    return mistakes


def check_q_sample(q_sample: Callable, part: str | None = None) -> None:
    r"""Check a student's ``q_sample(x0, t, alpha_bar, noise) -> (B, 1, 28, 28)``,
    :math:`x_t = \sqrt{\bar\alpha_t}\, x_0 + \sqrt{1 - \bar\alpha_t}\, \epsilon`, one step per image.

    Parts: ``"shapes"``, ``"values"`` (named mistakes: a square root forgotten, the step off by one,
    ``alpha_bar[t]`` broadcast over the wrong axis, the given noise ignored).
    """
    student = Student(q_sample, "q_sample", (diffusion.q_sample, diffusion.q_mean_variance))
    what = "q_sample(x0, t, alpha_bar, noise)"

    def run(x0, t, alpha_bar, noise):
        try:
            return student(x0, t, alpha_bar, noise)
        except StudentError as err:
            text = str(err.error)
            if isinstance(err.error, IndexError) or "out of bounds" in text:
                raise err.with_hint("step-off-by-one") from None
            if "must match the size" in text or "broadcast" in text:
                raise err.with_hint("per-image-broadcast") from None
            raise

    def shapes():
        for x0, t, alpha_bar, noise, case in noising_inputs():
            student.case = case
            expect_like(run(x0, t, alpha_bar, noise), x0, what, case, _broadcast_hint)

    def values():
        for x0, t, alpha_bar, noise, case in noising_inputs(seed=20):
            student.case = case
            expected = diffusion.q_sample(x0, t, alpha_bar, noise)
            got = run(x0, t, alpha_bar, noise)
            if isinstance(got, torch.Tensor) and not close(got, expected):
                again = run(x0, t, alpha_bar, noise)
                if not close(got, again):
                    message = in_language(
                        f"q_sample gave two different x_t for the same x0, t and noise ({case}).",
                        f"q_sample memberi dua x_t yang berbeda untuk x0, t, dan noise yang sama ({case}).",
                    )
                    raise CheckFailure(message, hint="noise-ignored")
            expect_close(got, expected, what, case, q_sample_mistakes(x0, t, alpha_bar, noise), _broadcast_hint)

    run_parts("q_sample", {"shapes": shapes, "values": values}, part)


# --------------------------------------------------------------------------- the simple loss


def _scalar_hint(shape: tuple) -> str | None:
    return "loss-not-scalar" if len(shape) >= 1 else None


def noise_pairs(seed: int = 0) -> Iterator[tuple[torch.Tensor, torch.Tensor, str]]:
    """Hidden (predicted_noise, noise, description)."""
    for device, dtype in device_dtypes():
        for k, (batch, _, _) in enumerate(LOSS_CASES):
            g = generator(seed + k)
            noise = torch.randn(batch, 1, 28, 28, generator=g, dtype=torch.float64)
            predicted = 0.7 * noise + 0.5 * torch.randn(batch, 1, 28, 28, generator=g, dtype=torch.float64)
            predicted, noise = predicted.to(device, dtype), noise.to(device, dtype)
            yield predicted, noise, describe(dtype, device, noise=noise.shape)


def loss_mistakes(predicted: torch.Tensor, noise: torch.Tensor) -> dict[str, torch.Tensor | None]:
    """What each common mistake makes of the simple loss."""
    squared = (noise - predicted).pow(2)  # (B, 1, 28, 28)
    return {
        "loss-sum-not-mean": squared.sum(),
        "loss-sum-over-pixels": squared.flatten(1).sum(1).mean(),
        "loss-not-scalar": squared.flatten(1).mean(1) if len(noise) > 1 else None,
    }


def check_noise_prediction_loss(noise_prediction_loss: Callable, part: str | None = None) -> None:
    r"""Check a student's ``noise_prediction_loss(predicted_noise, noise) -> ()``, the mean of
    :math:`(\epsilon - \epsilon_\theta)^2` over pixels and images.

    Parts: ``"shapes"``, ``"values"`` (named mistakes: sums instead of the mean), ``"gradients"``.
    """
    student = Student(noise_prediction_loss, "noise_prediction_loss", (diffusion.noise_prediction_loss,))
    what = "noise_prediction_loss(predicted_noise, noise)"

    def shapes():
        for predicted, noise, case in noise_pairs():
            student.case = case
            expect_shape(student(predicted, noise), (), what, case, _scalar_hint)

    def values():
        for predicted, noise, case in noise_pairs(seed=30):
            student.case = case
            expected = diffusion.noise_prediction_loss(predicted, noise)
            mistakes = loss_mistakes(predicted, noise)
            expect_close(student(predicted, noise), expected, what, case, mistakes, _scalar_hint)

    def gradient():
        for predicted, noise, case in noise_pairs(seed=40):
            student.case = case
            predicted = predicted.clone().requires_grad_()
            loss = expect_shape(student(predicted, noise), (), what, case, _scalar_hint)
            if not loss.requires_grad:
                message = in_language(
                    f"The loss does not depend on predicted_noise through autograd ({case}).",
                    f"Loss tidak bergantung pada predicted_noise melalui autograd ({case}).",
                )
                raise CheckFailure(message, hint="no-gradient")
            got = gradients(loss, [predicted])
            expected = gradients(diffusion.noise_prediction_loss(predicted, noise), [predicted])
            expect_gradients(got, expected, ("predicted_noise",), in_language("the loss", "loss"), case)

    run_parts("noise_prediction_loss", {"shapes": shapes, "values": values, "gradients": gradient}, part)


# --------------------------------------------------------------------------- one training loss


def training_loss_mistakes(model, x0, alpha_bar, t, noise) -> dict[str, torch.Tensor | None]:
    """What each common mistake makes of one training loss with pinned ``t`` and ``noise``."""
    x_t = diffusion.q_sample(x0, t, alpha_bar, noise)
    predicted = model(x_t, t)
    return {
        "noise-target": (predicted - x0).pow(2).mean(),
        "model-input": (model(x0, t) - noise).pow(2).mean(),
        **loss_mistakes(predicted, noise),
    }


def _drawn(model, x0, alpha_bar, seed: int, low: int = 0, noise_first: bool = False) -> torch.Tensor:
    """The reference's loss with t and noise drawn from a generator seeded ``seed``: t first (as the
    exercise asks), or noise first; t from ``[low, T)``."""
    g = torch.Generator(device=x0.device).manual_seed(seed)

    def steps():
        return torch.randint(low, len(alpha_bar), (len(x0),), generator=g, device=x0.device)

    def noise():
        return torch.randn(x0.shape, generator=g, device=x0.device, dtype=x0.dtype)

    if noise_first:
        drawn_noise, t = noise(), steps()
    else:
        t, drawn_noise = steps(), noise()
    return diffusion.diffusion_loss(model, x0, alpha_bar, t, drawn_noise)


def check_diffusion_loss(diffusion_loss: Callable, part: str | None = None) -> None:
    """Check a student's ``diffusion_loss(model, x0, alpha_bar, t=None, noise=None, generator=None) -> ()``.

    Parts: ``"values"`` (``t`` and ``noise`` given), ``"random"`` (drawn from ``generator``: first
    ``t`` uniformly in ``[0, T)``, then the noise, as the exercise says), ``"gradients"`` (with
    respect to the model's weights).
    """
    student = Student(diffusion_loss, "diffusion_loss", (diffusion.diffusion_loss,))
    what = "diffusion_loss(model, x0, alpha_bar, t, noise)"

    def values():
        for model, x0, alpha_bar, t, noise, case in loss_inputs(seed=50):
            student.case = case
            with torch.no_grad():
                expected = diffusion.diffusion_loss(model, x0, alpha_bar, t, noise)
                mistakes = training_loss_mistakes(model, x0, alpha_bar, t, noise)
                got = student(model, x0, alpha_bar, t=t, noise=noise)
            expect_close(got, expected, what, case, mistakes, _scalar_hint)

    def random():
        drawn = "diffusion_loss(model, x0, alpha_bar, generator=generator)"
        for k, (model, x0, alpha_bar, _, _, case) in enumerate(loss_inputs(seed=60)):
            student.case = case
            seed = 1000 + k
            with torch.no_grad():
                got = student(model, x0, alpha_bar, generator=torch.Generator(device=x0.device).manual_seed(seed))
                expect_shape(got, (), drawn, case, _scalar_hint)
                again = student(model, x0, alpha_bar, generator=torch.Generator(device=x0.device).manual_seed(seed))
                if not close(got, again):
                    message = in_language(
                        f"Two generators with the same seed gave two different losses ({case}).",
                        f"Dua generator dengan seed yang sama memberi dua loss yang berbeda ({case}).",
                    )
                    raise CheckFailure(message, hint="generator-ignored")
                expected = _drawn(model, x0, alpha_bar, seed)
                candidates = {
                    "draw-order": _drawn(model, x0, alpha_bar, seed, noise_first=True),
                    "step-off-by-one": _drawn(model, x0, alpha_bar, seed, low=1) if len(alpha_bar) > 1 else None,
                }
            expect_close(got, expected, drawn, case, candidates, _scalar_hint)

    def gradient():
        for model, x0, alpha_bar, t, noise, case in loss_inputs(seed=70):
            student.case = case
            weights = list(model.parameters())
            loss = expect_shape(student(model, x0, alpha_bar, t=t, noise=noise), (), what, case, _scalar_hint)
            if not loss.requires_grad:
                message = in_language(
                    f"The loss does not depend on the model's weights through autograd ({case}).",
                    f"Loss tidak bergantung pada bobot model melalui autograd ({case}).",
                )
                raise CheckFailure(message, hint="no-gradient")
            got = gradients(loss, weights)
            expected = gradients(diffusion.diffusion_loss(model, x0, alpha_bar, t, noise), weights)
            names = (in_language("the scales a_t", "skala a_t"), in_language("the shifts b_t", "geseran b_t"))
            expect_gradients(got, expected, names, in_language("the loss", "loss"), case)

    run_parts("diffusion_loss", {"values": values, "random": random, "gradients": gradient}, part)
