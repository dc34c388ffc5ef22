"""Checks for the losses: ``reconstruction_loss`` (assignment 1) and ``negative_elbo`` (assignment 3)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import torch

from .. import gaussian, losses
from ..language import t
from .core import (
    CheckFailure,
    Student,
    StudentError,
    describe,
    device_dtypes,
    expect_close,
    expect_gradients,
    expect_shape,
    generator,
    gradients,
    run_parts,
)

IMAGE_SHAPES = ((1, 1, 28, 28), (4, 784), (9, 1, 28, 28))  # reconstruction_loss takes (B, ...)


def image_pair(shape: tuple, seed: int, logits: bool) -> tuple[torch.Tensor, torch.Tensor]:
    """Hidden (x_hat, x) in float64: probabilities in [0.02, 0.98] (or logits in [-6, 6]) and
    targets in [0, 1], half of them binary, as Fashion-MNIST pixels often are."""
    g = generator(seed)
    if logits:
        x_hat = (2.5 * torch.randn(shape, generator=g, dtype=torch.float64)).clamp(-6, 6)
    else:
        x_hat = torch.empty(shape, dtype=torch.float64).uniform_(0.02, 0.98, generator=g)
    x = torch.rand(shape, generator=g, dtype=torch.float64)
    x = torch.where(torch.rand(shape, generator=g, dtype=torch.float64) < 0.5, x.round(), x)
    return x_hat, x


def reconstruction_inputs(seed: int = 0) -> Iterator[tuple[torch.Tensor, torch.Tensor, str, bool, str]]:
    """Hidden (x_hat, x, kind, from_logits, description) for every case."""
    for device, dtype in device_dtypes():
        for k, shape in enumerate(IMAGE_SHAPES):
            for kind in ("bce", "mse"):
                for from_logits in (False, True):
                    x_hat, x = image_pair(shape, seed + k, from_logits)
                    x_hat, x = x_hat.to(device, dtype), x.to(device, dtype)
                    case = describe(dtype, device, x_hat=shape) + f", kind={kind!r}, from_logits={from_logits}"
                    yield x_hat, x, kind, from_logits, case


def _per_example_hint(shape: tuple) -> str | None:
    return "per-example" if len(shape) == 0 or shape == (1,) else "not-reduced" if len(shape) > 1 else None


def check_reconstruction_loss(reconstruction_loss: Callable, part: str | None = None) -> None:
    """Check a student's ``reconstruction_loss(x_hat, x, kind="bce", from_logits=False) -> (B,)``.

    Parts: ``"shapes"``, ``"values"``, ``"gradients"``.
    """
    student = Student(reconstruction_loss, "reconstruction_loss", (losses.reconstruction_loss,))
    what = "reconstruction_loss(x_hat, x, kind, from_logits)"

    def run(x_hat, x, kind, from_logits):
        try:
            if kind == "bce" and not from_logits:  # the defaults: the student's must be these too
                return student(x_hat, x)
            return student(x_hat, x, kind=kind, from_logits=from_logits)
        except StudentError as err:
            if from_logits and "between 0 and 1" in str(err.error):
                raise err.with_hint("logits-to-bce") from None
            raise

    def shapes():
        for x_hat, x, kind, from_logits, case in reconstruction_inputs():
            student.case = case
            expect_shape(run(x_hat, x, kind, from_logits), x.shape[:1], what, case, _per_example_hint)

    def values():
        for x_hat, x, kind, from_logits, case in reconstruction_inputs():
            student.case = case
            expected = losses.reconstruction_loss(x_hat, x, kind, from_logits)
            got = run(x_hat, x, kind, from_logits)
            other = "mse" if kind == "bce" else "bce"
            probabilities = x_hat.sigmoid() if from_logits else x_hat
            candidates = {
                "mean-not-sum": expected / x[0].numel(),
                "loss-sign": -expected,
                "kind-ignored": losses.reconstruction_loss(x_hat, x, other, from_logits),
                "per-example": expected.sum() if x.shape[0] > 1 else None,
                "double-sigmoid": None if from_logits else losses.reconstruction_loss(x_hat.sigmoid(), x, kind),
                "bce-one-term": -(x * probabilities.log()).flatten(1).sum(1) if kind == "bce" else None,
                "logits-to-bce": ((x_hat - x) ** 2).flatten(1).sum(1) if from_logits and kind == "mse" else None,
            }
            if from_logits and kind == "bce" and isinstance(got, torch.Tensor) and not torch.isfinite(got).all():
                message = t(f"{what} is not finite ({case}).", f"{what} tidak berhingga ({case}).")
                raise CheckFailure(message, hint="logits-to-bce")
            expect_close(got, expected, what, case, candidates, _per_example_hint)

    def gradient():
        for x_hat, x, kind, from_logits, case in reconstruction_inputs():
            student.case = case
            x_hat = x_hat.clone().requires_grad_()
            loss = expect_shape(run(x_hat, x, kind, from_logits), x.shape[:1], what, case, _per_example_hint)
            if not loss.requires_grad:
                message = t(
                    f"The loss does not depend on x_hat through autograd ({case}).",
                    f"Loss tidak bergantung pada x_hat melalui autograd ({case}).",
                )
                raise CheckFailure(message, hint="no-gradient")
            (got,) = gradients(loss, [x_hat])
            (expected,) = gradients(losses.reconstruction_loss(x_hat, x, kind, from_logits), [x_hat])
            if got is None:
                message = t(f"No gradient reaches x_hat ({case}).", f"Tidak ada gradien yang sampai ke x_hat ({case}).")
                raise CheckFailure(message, hint="no-gradient")
            what_gradient = t("the gradient of the loss with respect to x_hat", "gradien loss terhadap x_hat")
            expect_close(got, expected, what_gradient, case)

    run_parts("reconstruction_loss", {"shapes": shapes, "values": values, "gradients": gradient}, part)


# --------------------------------------------------------------------------- negative ELBO

ELBO_CASES = (  # (batch, latent dims, beta, kind): the first uses the defaults beta=1, kind="bce"
    (5, 20, 1.0, "bce"),
    (1, 2, 4.0, "bce"),
    (16, 3, 0.5, "mse"),
    (6, 20, 2.0, "bce"),
)


def elbo_inputs(seed: int = 20) -> Iterator[tuple[dict, str]]:
    """Hidden keyword arguments of ``negative_elbo`` and their description."""
    for device, dtype in device_dtypes():
        for k, (batch, dims, beta, kind) in enumerate(ELBO_CASES):
            x_hat, x = image_pair((batch, 1, 28, 28), seed + k, logits=False)
            g = generator(seed + 100 + k)
            mu = torch.randn(batch, dims, generator=g, dtype=torch.float64)
            logvar = torch.empty(batch, dims, dtype=torch.float64).uniform_(-2.0, 1.0, generator=g)
            tensors = {"x_hat": x_hat, "x": x, "mu": mu, "logvar": logvar}
            tensors = {name: t.to(device, dtype) for name, t in tensors.items()}
            case = describe(dtype, device, x_hat=x_hat.shape, mu=mu.shape) + f", beta={beta}, kind={kind!r}"
            yield {**tensors, "beta": beta, "kind": kind}, case


def _scalar_hint(shape: tuple) -> str | None:
    return "batch-not-averaged" if len(shape) == 1 else None


def check_negative_elbo(negative_elbo: Callable, part: str | None = None) -> None:
    """Check a student's ``negative_elbo(x_hat, x, mu, logvar, beta=1.0, kind="bce") -> scalar``.

    Parts: ``"shapes"``, ``"values"``, ``"gradients"``.
    """
    student = Student(negative_elbo, "negative_elbo", (losses.negative_elbo,))
    what = "negative_elbo(x_hat, x, mu, logvar, beta, kind)"

    def run(args):
        if args["beta"] == 1.0 and args["kind"] == "bce":  # the defaults
            return student(args["x_hat"], args["x"], args["mu"], args["logvar"])
        return student(args["x_hat"], args["x"], args["mu"], args["logvar"], beta=args["beta"], kind=args["kind"])

    def shapes():
        for args, case in elbo_inputs():
            student.case = case
            expect_shape(run(args), (), what, case, _scalar_hint)

    def values():
        for args, case in elbo_inputs():
            student.case = case
            x_hat, x, mu, logvar, beta, kind = (args[k] for k in ("x_hat", "x", "mu", "logvar", "beta", "kind"))
            expected = losses.negative_elbo(x_hat, x, mu, logvar, beta, kind)
            reconstruction = losses.reconstruction_loss(x_hat, x, kind)  # (B,)
            kl = gaussian.kl_divergence(mu, logvar)  # (B,)
            other = "mse" if kind == "bce" else "bce"
            batch = x.shape[0]
            expect_close(
                run(args),
                expected,
                what,
                case,
                shape_hint=_scalar_hint,
                candidates={
                    "kl-sign": (reconstruction - beta * kl).mean(),
                    "sum-over-batch": (reconstruction + beta * kl).sum() if batch > 1 else None,
                    "mean-not-sum": (reconstruction / x[0].numel() + beta * kl).mean(),
                    "beta-ignored": (reconstruction + kl).mean() if beta != 1 else None,
                    "beta-on-reconstruction": (beta * reconstruction + kl).mean() if beta != 1 else None,
                    "kind-ignored": losses.negative_elbo(x_hat, x, mu, logvar, beta, other),
                    "batch-not-averaged": reconstruction + beta * kl if batch > 1 else None,
                },
            )

    def gradient():
        for args, case in elbo_inputs():
            student.case = case
            inputs = [args[k].clone().requires_grad_() for k in ("x_hat", "mu", "logvar")]
            args = {**args, "x_hat": inputs[0], "mu": inputs[1], "logvar": inputs[2]}
            loss = expect_shape(run(args), (), what, case, _scalar_hint)
            if not loss.requires_grad:
                message = t(
                    f"The loss does not depend on its inputs through autograd ({case}).",
                    f"Loss tidak bergantung pada inputnya melalui autograd ({case}).",
                )
                raise CheckFailure(message, hint="no-gradient")
            got = gradients(loss, inputs)
            reference = losses.negative_elbo(inputs[0], args["x"], inputs[1], inputs[2], args["beta"], args["kind"])
            expected = gradients(reference, inputs)
            expect_gradients(got, expected, ("x_hat", "mu", "logvar"), t("the loss", "loss"), case)

    run_parts("negative_elbo", {"shapes": shapes, "values": values, "gradients": gradient}, part)
