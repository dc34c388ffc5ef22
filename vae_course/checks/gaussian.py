"""Checks for the Gaussian math: ``reparameterize`` and ``kl_divergence`` (assignments 2 and 3)."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator

import torch

from .. import gaussian
from ..language import t
from .core import (
    CheckFailure,
    Student,
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

SHAPES = ((1, 1), (7, 5), (64, 20))  # (batch, latent dims) of the hidden inputs


def gaussian_inputs(seed: int = 0, shapes=SHAPES) -> Iterator[tuple[torch.Tensor, torch.Tensor, torch.Tensor, str]]:
    """Hidden (mu, logvar, eps, description) for every shape, dtype and device.

    ``logvar`` stays away from 0 (where exp(logvar) and exp(logvar / 2) agree) so that mistakes show.
    """
    for device, dtype in device_dtypes():
        for k, (batch, dims) in enumerate(shapes):
            g = generator(seed + k)
            mu = 2.0 * torch.randn(batch, dims, generator=g, dtype=torch.float64)
            logvar = torch.empty(batch, dims, dtype=torch.float64).uniform_(0.3, 1.8, generator=g)
            logvar = logvar * torch.where(torch.rand(batch, dims, generator=g) < 0.5, -1.0, 1.0).double()
            eps = torch.randn(batch, dims, generator=g, dtype=torch.float64)
            mu, logvar, eps = (t.to(device, dtype) for t in (mu, logvar, eps))
            yield mu, logvar, eps, describe(dtype, device, mu=mu.shape)


# --------------------------------------------------------------------------- reparameterize


def check_reparameterize(reparameterize: Callable, part: str | None = None) -> None:
    """Check a student's ``reparameterize(mu, logvar, eps=None)``.

    Parts: ``"shapes"``, ``"values"`` (with the noise given), ``"noise"`` (drawn fresh, standard
    normal: checked through statistics, not through one RNG stream) and ``"gradients"``.
    """
    student = Student(reparameterize, "reparameterize", (gaussian.reparameterize,))

    def shapes():
        for mu, logvar, eps, case in gaussian_inputs():
            student.case = case
            for kwargs in ({"eps": eps}, {}):
                z = student(mu, logvar, **kwargs)
                expect_shape(z, mu.shape, "z = reparameterize(mu, logvar" + (", eps)" if kwargs else ")"), case)

    def values():
        for mu, logvar, eps, case in gaussian_inputs():
            student.case = case
            z = student(mu, logvar, eps=eps)
            expected = gaussian.reparameterize(mu, logvar, eps)
            if not close(z, expected) and not close(z, student(mu, logvar, eps=eps)):
                message = t(
                    f"reparameterize gave two different z for the same mu, logvar and eps ({case}).",
                    f"reparameterize memberi dua z yang berbeda untuk mu, logvar, dan eps yang sama ({case}).",
                )
                raise CheckFailure(message, hint="eps-ignored")
            expect_close(
                z,
                expected,
                "z = reparameterize(mu, logvar, eps)",
                case,
                candidates={
                    "exp-logvar-as-std": mu + logvar.exp() * eps,
                    "logvar-as-std": mu + logvar * eps,
                },
            )

    def noise():
        draws = 4000  # the statistics below are 6 standard errors wide: a correct answer fails ~never
        for device, dtype in device_dtypes(every_dtype_on_gpu=True):
            mean = torch.tensor([1.5, -0.5, 0.0], dtype=dtype, device=device)
            logvar = torch.tensor([-2.0, 0.7, 1.5], dtype=dtype, device=device)
            mu_batch, logvar_batch = mean.expand(draws, -1), logvar.expand(draws, -1)
            case = describe(dtype, device, mu=mu_batch.shape)
            student.case = case
            z1, z2 = student(mu_batch, logvar_batch), student(mu_batch, logvar_batch)
            expect_like(z1, mu_batch, "z = reparameterize(mu, logvar)", case)
            if torch.equal(z1, z2):
                message = t(
                    f"reparameterize(mu, logvar) returned the same z twice ({case}).",
                    f"reparameterize(mu, logvar) mengembalikan z yang sama dua kali ({case}).",
                )
                raise CheckFailure(message, hint="stale-noise")
            if bool((z1 == z1[:1]).all()):
                message = t(
                    f"Every row of z is the same, although each row needs its own noise ({case}).",
                    f"Setiap baris z sama, padahal setiap baris memerlukan deraunya sendiri ({case}).",
                )
                raise CheckFailure(message, hint="shared-noise")
            _check_statistics(z1.double(), mean.double(), logvar.double(), case)

    def gradient():
        for mu, logvar, eps, case in gaussian_inputs():
            student.case = case
            mu, logvar = mu.clone().requires_grad_(), logvar.clone().requires_grad_()
            z = student(mu, logvar, eps=eps)
            expect_shape(z, mu.shape, "z = reparameterize(mu, logvar, eps)", case)
            if not z.requires_grad:
                message = t(
                    f"z does not depend on mu and logvar through autograd ({case}).",
                    f"z tidak bergantung pada mu dan logvar melalui autograd ({case}).",
                )
                raise CheckFailure(message, hint="no-gradient")
            got = gradients(z, [mu, logvar])
            expected = gradients(gaussian.reparameterize(mu, logvar, eps), [mu, logvar])
            expect_gradients(got, expected, ("mu", "logvar"), "z", case)

    run_parts("reparameterize", {"shapes": shapes, "values": values, "noise": noise, "gradients": gradient}, part)


def _check_statistics(z: torch.Tensor, mean: torch.Tensor, logvar: torch.Tensor, case: str) -> None:
    """Column means and standard deviations of z (N, D) match N(mean, exp(logvar)), to 6 standard errors."""
    n = z.shape[0]
    std = (0.5 * logvar).exp()
    eps = (z - mean) / std  # what the noise must have been, if z = mean + std * eps
    sample_mean, sample_std = eps.mean(0), eps.std(0)
    mean_ok = bool((sample_mean.abs() <= 6 / math.sqrt(n)).all())
    std_ok = bool(((sample_std - 1).abs() <= 6 / math.sqrt(2 * n)).all())
    if mean_ok and std_ok:
        return
    z_std = z.std(0)
    if bool(((z_std / logvar.exp() - 1).abs() < 0.1).all()):
        hint = "exp-logvar-as-std"
    elif bool(((z_std / logvar.abs() - 1).abs() < 0.1).all()):
        hint = "logvar-as-std"
    elif bool(((sample_mean - 0.5).abs() < 0.1).all()) or not mean_ok:
        hint = "not-standard-normal"
    else:
        hint = None
    means, stds = _fmt(sample_mean), _fmt(sample_std)
    message = t(
        f"Without eps, z should be distributed as N(mu, exp(logvar)) ({case}): the noise it implies has "
        f"column means {means} (expected 0) and standard deviations {stds} (expected 1).",
        f"Tanpa eps, z seharusnya berdistribusi N(mu, exp(logvar)) ({case}): derau yang tersirat darinya "
        f"memiliki rata-rata kolom {means} (seharusnya 0) dan simpangan baku {stds} (seharusnya 1).",
    )
    raise CheckFailure(message, hint=hint)


def _fmt(values: torch.Tensor) -> str:
    return "[" + ", ".join(f"{v:.2f}" for v in values.tolist()) + "]"


# --------------------------------------------------------------------------- KL divergence


def _kl_shape_hint(shape: tuple) -> str | None:
    return "not-reduced" if len(shape) == 2 else "per-example" if len(shape) < 1 or shape == (1,) else None


def check_kl_divergence(kl_divergence: Callable, part: str | None = None) -> None:
    """Check a student's ``kl_divergence(mu, logvar) -> (B,)``. Parts: shapes, values, gradients."""
    student = Student(kl_divergence, "kl_divergence", (gaussian.kl_divergence, gaussian.kl_per_dimension))

    def shapes():
        for mu, logvar, _, case in gaussian_inputs(seed=10):
            student.case = case
            expect_shape(student(mu, logvar), mu.shape[:1], "kl_divergence(mu, logvar)", case, _kl_shape_hint)

    def values():
        for mu, logvar, _, case in gaussian_inputs(seed=10):
            student.case = case
            expected = gaussian.kl_divergence(mu, logvar)
            dims = mu.shape[1]
            mistakes = {
                "kl-sign": -expected,
                "mean-not-sum": expected / dims if dims > 1 else None,
                "kl-half": 2 * expected,
                # sigma = exp(logvar), so log sigma^2 = 2 logvar and sigma^2 = exp(2 logvar)
                "exp-logvar-as-std": -0.5 * (1 + 2 * logvar - mu.pow(2) - (2 * logvar).exp()).sum(-1),
                "per-example": expected.sum() if mu.shape[0] > 1 else None,
                "not-reduced": gaussian.kl_per_dimension(mu, logvar) if dims > 1 else None,
            }
            expect_close(student(mu, logvar), expected, "kl_divergence(mu, logvar)", case, mistakes, _kl_shape_hint)

    def gradient():
        for mu, logvar, _, case in gaussian_inputs(seed=10):
            student.case = case
            mu, logvar = mu.clone().requires_grad_(), logvar.clone().requires_grad_()
            kl = expect_shape(student(mu, logvar), mu.shape[:1], "kl_divergence(mu, logvar)", case, _kl_shape_hint)
            if not kl.requires_grad:
                message = t(
                    f"The KL does not depend on mu and logvar through autograd ({case}).",
                    f"KL tidak bergantung pada mu dan logvar melalui autograd ({case}).",
                )
                raise CheckFailure(message, hint="no-gradient")
            got = gradients(kl, [mu, logvar])
            expected = gradients(gaussian.kl_divergence(mu, logvar), [mu, logvar])
            expect_gradients(got, expected, ("mu", "logvar"), t("the KL", "KL"), case)

    run_parts("kl_divergence", {"shapes": shapes, "values": values, "gradients": gradient}, part)
