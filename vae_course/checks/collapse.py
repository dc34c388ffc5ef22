"""Checks for the beta / posterior-collapse project (assignment 9): ``kl_per_dimension`` and ``active_units``."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import torch

from .. import evaluate, gaussian
from ..language import t
from .core import (
    CheckFailure,
    Student,
    describe,
    devices,
    expect_close,
    expect_gradients,
    expect_shape,
    generator,
    gradients,
    run_parts,
)
from .gaussian import gaussian_inputs

# --------------------------------------------------------------------------- KL per dimension


def _per_dimension_hint(batch: int, dims: int) -> Callable[[tuple], str | None]:
    def hint(shape: tuple) -> str | None:
        if shape == (batch,):  # also when batch == dims: summing over D is the likelier mistake
            return "kl-summed"
        return "kl-batch-mean" if shape == (dims,) else None

    return hint


def check_kl_per_dimension(kl_per_dimension: Callable, part: str | None = None) -> None:
    """Check a student's ``kl_per_dimension(mu, logvar) -> (B, D)``. Parts: shapes, values, gradients."""
    student = Student(
        kl_per_dimension,
        "kl_per_dimension",
        (gaussian.kl_per_dimension, gaussian.kl_divergence),
    )
    what = "kl_per_dimension(mu, logvar)"

    def shapes():
        for mu, logvar, _, case in gaussian_inputs(seed=110):
            student.case = case
            expect_shape(
                student(mu, logvar),
                mu.shape,
                what,
                case,
                _per_dimension_hint(*mu.shape),
            )

    def values():
        for mu, logvar, _, case in gaussian_inputs(seed=120):
            student.case = case
            expected = gaussian.kl_per_dimension(mu, logvar)
            mistakes = {
                "kl-sign": -expected,
                "kl-half": 2 * expected,
                "exp-logvar-as-std": -0.5 * (1 + 2 * logvar - mu.pow(2) - (2 * logvar).exp()),
            }
            expect_close(
                student(mu, logvar),
                expected,
                what,
                case,
                mistakes,
                _per_dimension_hint(*mu.shape),
            )

    def gradient():
        for mu, logvar, _, case in gaussian_inputs(seed=130):
            student.case = case
            mu, logvar = mu.clone().requires_grad_(), logvar.clone().requires_grad_()
            kl = expect_shape(
                student(mu, logvar),
                mu.shape,
                what,
                case,
                _per_dimension_hint(*mu.shape),
            )
            if not kl.requires_grad:
                message = t(
                    f"The KL does not depend on mu and logvar through autograd ({case}).",
                    f"KL tidak bergantung pada mu dan logvar melalui autograd ({case}).",
                )
                raise CheckFailure(message, hint="no-gradient")
            got = gradients(kl, [mu, logvar])
            expected = gradients(gaussian.kl_per_dimension(mu, logvar), [mu, logvar])
            expect_gradients(got, expected, ("mu", "logvar"), t("the KL", "KL"), case)

    run_parts(
        "kl_per_dimension",
        {"shapes": shapes, "values": values, "gradients": gradient},
        part,
    )


# --------------------------------------------------------------------------- active units

# Variances of the hidden posterior means, dimension by dimension: each at least 1.6 times away
# from the thresholds 0.01 and 0.05, so that the biased and the unbiased variance agree on every
# dimension; 0.004 has a standard deviation (0.063) above 0.01, so a mask on the standard deviation shows.
VARIANCES = (0.0, 0.004, 0.03, 0.1, 1.0, 0.002, 2.5, 0.0001)


def posterior_means(seed: int, images: int = 300, dims: int = len(VARIANCES)) -> Iterator[tuple[torch.Tensor, str]]:
    """Hidden means (N, D) whose columns have exactly the sample variances of :data:`VARIANCES` (in some order)."""
    for device in devices():
        for dtype in (torch.float32, torch.float64) if device.type == "cpu" else (torch.float32,):
            g = generator(seed)
            order = torch.randperm(len(VARIANCES), generator=g)[:dims]
            variances = torch.tensor(VARIANCES, dtype=torch.float64)[order]  # (D,)
            noise = torch.randn(images, dims, generator=g, dtype=torch.float64)
            noise = (noise - noise.mean(0)) / noise.std(0)  # unit sample variance per column
            offsets = 3 * torch.randn(dims, generator=g, dtype=torch.float64)  # where the means sit does not matter
            mu = (offsets + noise * variances.sqrt()).to(device, dtype)  # (N, D)
            yield mu, describe(dtype, device, mu=mu.shape)


def _mask(got, what: str, case: str, dims: int) -> torch.Tensor:
    if not isinstance(got, torch.Tensor) or got.dim() == 0:
        kind = type(got).__name__
        if isinstance(got, torch.Tensor):
            kind += t(" of shape ()", " berbentuk ()")
        message = t(
            f"{what} should return a mask of shape ({dims},), one entry per dimension, got {kind}.",
            f"{what} seharusnya mengembalikan mask berbentuk ({dims},), satu entri per dimensi, didapat {kind}.",
        )
        raise CheckFailure(message, hint="au-mask")
    return got


def check_active_units(active_units: Callable, part: str | None = None) -> None:
    """Check a student's ``active_units(mu, threshold=0.01) -> (D,)`` bool mask. Parts: shapes, values."""
    student = Student(active_units, "active_units", (evaluate.active_units,))
    what = "active_units(mu, threshold)"

    def shape_hint(images: int, dims: int):
        return lambda shape: "au-dim" if shape == (images,) else None

    def shapes():
        for mu, case in posterior_means(seed=140):
            student.case = case
            got = _mask(student(mu, 0.01), what, case, mu.shape[1])
            expect_shape(got, mu.shape[1:], what, case, shape_hint(*mu.shape))

    def values():
        for seed, threshold in ((150, 0.01), (160, 0.05)):
            for mu, case in posterior_means(seed=seed):
                case = f"{case}, threshold={threshold}"
                student.case = case
                expected = evaluate.active_units(mu, threshold)
                got = expect_shape(
                    _mask(student(mu, threshold), what, case, mu.shape[1]),
                    expected.shape,
                    what,
                    case,
                    shape_hint(*mu.shape),
                )
                got = got.detach().to(expected.device).bool()
                if torch.equal(got, expected):
                    continue
                mistakes = {
                    "au-std": mu.std(0) > threshold,
                    "au-threshold": evaluate.active_units(mu, 0.01) if threshold != 0.01 else None,
                    "au-mean": mu.mean(0).abs() > threshold,
                }
                hint = next(
                    (name for name, wrong in mistakes.items() if wrong is not None and torch.equal(got, wrong)),
                    None,
                )
                marked, dims, reference = int(got.sum()), mu.shape[1], int(expected.sum())
                message = t(
                    f"{what} marks {marked} of {dims} dimensions active; the reference marks {reference} ({case}).",
                    f"{what} menandai {marked} dari {dims} dimensi sebagai aktif; acuan menandai {reference} ({case}).",
                )
                raise CheckFailure(message, hint=hint)

    run_parts("active_units", {"shapes": shapes, "values": values}, part)
