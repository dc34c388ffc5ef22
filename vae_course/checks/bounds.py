"""Checks for the bounds of chapter 9 (assignment 8): ``kl_diagonal_gaussians``, ``log_importance_weights``
and ``log_mean_exp``.

The KL is compared with :func:`vae_course.kl_diagonal_gaussians` (itself tested against
``torch.distributions``), the log weights with :func:`vae_course.log_importance_weights` on the same
pinned noise, and the log-mean-exp with :func:`vae_course.log_mean_exp`, also on log weights of the
size images have (hundreds of nats), where ``log(mean(exp(v)))`` overflows.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator

import torch

from .. import evaluate, gaussian, models
from ..losses import reconstruction_loss
from .core import (
    DTYPES,
    CheckFailure,
    Student,
    close,
    describe,
    devices,
    expect_close,
    expect_gradients,
    expect_shape,
    generator,
    gradients,
    run_parts,
)
from .gaussian import SHAPES

# --------------------------------------------------------------------------- KL between two diagonal Gaussians


def two_gaussians(seed: int = 0) -> Iterator[tuple[tuple[torch.Tensor, ...], str]]:
    """Hidden (mu_q, logvar_q, mu_p, logvar_p) for every shape, dtype and device; log-variances away from 0."""
    for device in devices():
        for dtype in DTYPES if device.type == "cpu" else DTYPES[:1]:
            for k, (batch, dims) in enumerate(SHAPES):
                g = generator(seed + k)
                tensors = []
                for _ in range(2):
                    mu = 1.5 * torch.randn(batch, dims, generator=g, dtype=torch.float64)
                    logvar = torch.empty(batch, dims, dtype=torch.float64).uniform_(0.3, 1.5, generator=g)
                    logvar = logvar * torch.where(torch.rand(batch, dims, generator=g) < 0.5, -1.0, 1.0).double()
                    tensors += [mu, logvar]
                tensors = tuple(t.to(device, dtype) for t in tensors)
                yield tensors, describe(dtype, device, mu_q=tensors[0].shape)


def _kl_shape_hint(shape: tuple) -> str | None:
    return "not-reduced" if len(shape) == 2 else "per-example" if len(shape) < 1 or shape == (1,) else None


def kl_mistakes(mu_q, logvar_q, mu_p, logvar_p) -> dict[str, torch.Tensor | None]:
    """What each common mistake computes on these inputs."""
    expected = gaussian.kl_diagonal_gaussians(mu_q, logvar_q, mu_p, logvar_p)
    ratio, gap = torch.exp(logvar_q - logvar_p), (mu_q - mu_p).pow(2)
    dims = mu_q.shape[1]
    return {
        "kl-swapped": gaussian.kl_diagonal_gaussians(mu_p, logvar_p, mu_q, logvar_q),
        "kl-trace": 0.5 * (logvar_p - logvar_q + gap * torch.exp(-logvar_p) - 1).sum(-1),
        "kl-prior-variance": 0.5 * (logvar_p - logvar_q + logvar_q.exp() + gap - 1).sum(-1),
        "kl-prior-assumed": gaussian.kl_divergence(mu_q, logvar_q),
        "kl-sign": -expected,
        "kl-half": 2 * expected,
        "mean-not-sum": expected / dims if dims > 1 else None,
        # logvar read as log sigma: log sigma^2 = 2 logvar and sigma^2 = exp(2 logvar)
        "exp-logvar-as-std": gaussian.kl_diagonal_gaussians(mu_q, 2 * logvar_q, mu_p, 2 * logvar_p),
        "per-example": expected.sum() if mu_q.shape[0] > 1 else None,
        "not-reduced": 0.5 * (logvar_p - logvar_q + ratio + gap * torch.exp(-logvar_p) - 1) if dims > 1 else None,
    }


def check_kl_diagonal_gaussians(kl_diagonal_gaussians: Callable, part: str | None = None) -> None:
    """Check a student's ``kl_diagonal_gaussians(mu_q, logvar_q, mu_p, logvar_p) -> (B,)``.

    Parts: shapes, values (with the mistakes named: q and p swapped, the trace term missing, ...),
    gradients (with respect to all four inputs).
    """
    references = (
        gaussian.kl_diagonal_gaussians,
        gaussian.kl_divergence,
        gaussian.kl_per_dimension,
    )
    student = Student(kl_diagonal_gaussians, "kl_diagonal_gaussians", references)
    what = "kl_diagonal_gaussians(mu_q, logvar_q, mu_p, logvar_p)"

    def shapes():
        for inputs, case in two_gaussians(seed=30):
            student.case = case
            expect_shape(student(*inputs), inputs[0].shape[:1], what, case, _kl_shape_hint)

    def values():
        for inputs, case in two_gaussians(seed=40):
            student.case = case
            expected = gaussian.kl_diagonal_gaussians(*inputs)
            expect_close(
                student(*inputs),
                expected,
                what,
                case,
                kl_mistakes(*inputs),
                _kl_shape_hint,
            )

    def gradient():
        for inputs, case in two_gaussians(seed=50):
            student.case = case
            inputs = [t.clone().requires_grad_() for t in inputs]
            kl = expect_shape(student(*inputs), inputs[0].shape[:1], what, case, _kl_shape_hint)
            if not kl.requires_grad:
                raise CheckFailure(
                    f"The KL does not depend on its inputs through autograd ({case}).",
                    hint="no-gradient",
                )
            got = gradients(kl, inputs)
            expected = gradients(gaussian.kl_diagonal_gaussians(*inputs), inputs)
            expect_gradients(got, expected, ("mu_q", "logvar_q", "mu_p", "logvar_p"), "the KL", case)

    run_parts(
        "kl_diagonal_gaussians",
        {"shapes": shapes, "values": values, "gradients": gradient},
        part,
    )


# --------------------------------------------------------------------------- log importance weights

IW_CASES = (  # (hidden_dim, latent_dim, batch, samples)
    (32, 2, 3, 5),
    (16, 5, 1, 7),
    (24, 3, 4, 1),
)


def iw_inputs(seed: int = 0):
    """Hidden (model, x, eps, description): small MLP VAEs in eval mode, images, pinned noise (S, B, D)."""
    for device in devices():
        for dtype in DTYPES if device.type == "cpu" else DTYPES[:1]:
            for k, (hidden, latent, batch, samples) in enumerate(IW_CASES):
                torch.manual_seed(seed + k)
                model = (
                    models.MLPVAE(models.MLPVAEConfig(hidden_dim=hidden, latent_dim=latent)).to(device, dtype).eval()
                )
                g = generator(seed + k)
                x = torch.rand(batch, 1, 28, 28, generator=g, dtype=torch.float64).to(device, dtype)
                eps = torch.randn(samples, batch, latent, generator=g, dtype=torch.float64).to(device, dtype)
                case = describe(dtype, device, x=x.shape, eps=eps.shape) + f", latent_dim={latent}"
                yield model, x, eps, case


def iw_mistakes(model, x, eps) -> tuple[dict[str, torch.Tensor | None], torch.Tensor]:
    """What each common mistake computes, (S, B), from the three log-densities of the reference; and
    the second way to get the 2 pi constant wrong."""
    samples = eps.shape[0]
    mu, logvar = model.encode(x)  # (B, D)
    z = gaussian.reparameterize(mu, logvar, eps)  # (S, B, D)
    x_hat = model.decode(z.flatten(0, 1))
    log_px = -reconstruction_loss(x_hat, x.expand(samples, *x.shape).flatten(0, 1)).view(samples, -1)  # (S, B)
    log_pz = gaussian.gaussian_log_density(z, torch.zeros_like(z), torch.zeros_like(z))  # (S, B)
    log_qz = gaussian.gaussian_log_density(z, mu, logvar)  # (S, B)
    half_log_2pi = 0.5 * mu.shape[1] * math.log(2 * math.pi)
    image_major = x.repeat_interleave(samples, dim=0)  # (S * B, 1, 28, 28): each image S times in a row
    log_px_misaligned = -reconstruction_loss(x_hat, image_major).view(samples, -1)  # (S, B)
    return {
        "iw-prior-missing": log_px - log_qz,
        "iw-q-sign": log_px + log_pz + log_qz,
        "iw-likelihood-sign": -log_px + log_pz - log_qz,
        "log-2pi": log_px + log_pz - log_qz + half_log_2pi,  # the constant left out of log p(z) only
        "iw-shape": (log_px + log_pz - log_qz).T if samples > 1 else None,
        "iw-targets-order": log_px_misaligned + log_pz - log_qz if samples > 1 and x.shape[0] > 1 else None,
    }, log_px + log_pz - log_qz - half_log_2pi  # ... or out of log q(z|x) only


def check_log_importance_weights(log_importance_weights: Callable, part: str | None = None) -> None:
    """Check a student's ``log_importance_weights(model, x, num_samples, generator=None, eps=None) -> (S, B)``.

    Parts: shapes (with and without ``eps``), values (``eps`` pinned, against the reference).
    """
    student = Student(
        log_importance_weights,
        "log_importance_weights",
        (evaluate.log_importance_weights, evaluate.iwae_negative_log_likelihood),
    )
    what = "log_importance_weights(model, x, num_samples, eps=eps)"

    def shape_hint(shape):
        return "iw-shape" if len(shape) == 2 else None

    def shapes():
        for model, x, eps, case in iw_inputs(seed=60):
            student.case = case
            samples, batch = eps.shape[:2]
            with torch.no_grad():
                expect_shape(
                    student(model, x, samples, eps=eps),
                    (samples, batch),
                    what,
                    case,
                    shape_hint,
                )
                got = student(model, x, samples)
            expect_shape(
                got,
                (samples, batch),
                "log_importance_weights(model, x, num_samples)",
                case,
                shape_hint,
            )

    def values():
        for model, x, eps, case in iw_inputs(seed=70):
            student.case = case
            with torch.no_grad():
                expected = evaluate.log_importance_weights(model, x, eps.shape[0], eps=eps)
                mistakes, other_constant = iw_mistakes(model, x, eps)
                got = student(model, x, eps.shape[0], eps=eps)
                if isinstance(got, torch.Tensor) and not close(got, expected):
                    again = student(model, x, eps.shape[0], eps=eps)
                    if not close(got, again):
                        message = f"log_importance_weights gave two different results for the same eps ({case})."
                        raise CheckFailure(message, hint="eps-ignored")
                if close(got, other_constant):
                    mistakes["log-2pi"] = other_constant
                expect_close(got, expected, what, case, mistakes, shape_hint)

    run_parts("log_importance_weights", {"shapes": shapes, "values": values}, part)


# --------------------------------------------------------------------------- log-mean-exp


def log_weight_inputs(seed: int, scale: float, offset: float):
    """Hidden log weights (S, B): ``offset + scale * N(0, 1)``, with the dims to reduce over."""
    for device in devices():
        for dtype in DTYPES if device.type == "cpu" else DTYPES[:1]:
            for k, shape in enumerate(((5, 3), (1, 4), (50, 2), (4, 3, 2))):
                values = offset + scale * torch.randn(*shape, generator=generator(seed + k), dtype=torch.float64)
                values = values.to(device, dtype)
                for dim in range(values.dim()):
                    yield (
                        values,
                        dim,
                        describe(dtype, device, log_w=values.shape) + f", dim={dim}",
                    )


def lme_mistakes(values: torch.Tensor, dim: int) -> dict[str, torch.Tensor | None]:
    k = values.shape[dim]
    expected = evaluate.log_mean_exp(values, dim)
    return {  # the mean of the log weights is the ELBO; the log of their sum is log k too large
        "mean-of-log": values.mean(dim) if k > 1 else None,
        "log-sum-not-mean": expected + math.log(k) if k > 1 else None,
    }


def check_log_mean_exp(log_mean_exp: Callable, part: str | None = None) -> None:
    """Check a student's ``log_mean_exp(values, dim=0)``.

    Parts: shapes (``dim`` removed), values (log weights of a few nats), stable (log weights of
    -900 to +800 nats, where ``exp`` overflows or underflows in float32 and float64).
    """
    student = Student(log_mean_exp, "log_mean_exp", (evaluate.log_mean_exp,))
    what = "log_mean_exp(log_w, dim)"

    def shape_hint_for(values, dim):
        def hint(shape):
            others = [tuple(s for i, s in enumerate(values.shape) if i != d) for d in range(values.dim()) if d != dim]
            return "wrong-dim" if shape in others else None

        return hint

    def shapes():
        for values, dim, case in log_weight_inputs(seed=80, scale=1.0, offset=0.0):
            student.case = case
            expected = evaluate.log_mean_exp(values, dim)
            expect_shape(
                student(values, dim),
                expected.shape,
                what,
                case,
                shape_hint_for(values, dim),
            )

    def values_part(seed: int, scale: float, offsets: tuple[float, ...]):
        for offset in offsets:
            for values, dim, case in log_weight_inputs(seed=seed, scale=scale, offset=offset):
                student.case = case
                expected = evaluate.log_mean_exp(values, dim)
                mistakes = lme_mistakes(values, dim)
                got = student(values.clone(), dim)
                overflowed = (
                    isinstance(got, torch.Tensor) and got.shape == expected.shape and not torch.isfinite(got).all()
                )
                if overflowed and torch.isfinite(expected).all():
                    message = (
                        f"{what} returned inf or NaN for log weights around {offset:g} nats ({case}), "
                        "where the result is finite."
                    )
                    raise CheckFailure(message, hint="log-mean-exp-overflow")
                expect_close(got, expected, what, case, mistakes, shape_hint_for(values, dim))

    def values():
        values_part(seed=90, scale=2.0, offsets=(0.0, -3.0))

    def stable():
        values_part(seed=100, scale=20.0, offsets=(-900.0, 800.0))

    run_parts("log_mean_exp", {"shapes": shapes, "values": values, "stable": stable}, part)
