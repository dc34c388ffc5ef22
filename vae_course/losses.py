r"""Reconstruction losses and the negative ELBO.

Reductions, everywhere in the course: **sum** over pixels and over latent dimensions (so each term is
in nats per image), then **mean** over the batch.

.. math::

    -\mathrm{ELBO}(x) = \underbrace{-\mathbb{E}_{q(z\mid x)}[\log p(x \mid z)]}_{\text{reconstruction}}
    + \beta \, \underbrace{D_{KL}(q(z \mid x) \,\|\, p(z))}_{\text{KL}}
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from .gaussian import kl_divergence

RECONSTRUCTION_KINDS = ("bce", "mse")


def reconstruction_loss(
    x_hat: torch.Tensor, x: torch.Tensor, kind: str = "bce", from_logits: bool = False
) -> torch.Tensor:
    r"""Reconstruction error per example, summed over pixels.

    ``"bce"`` is :math:`-\log p(x \mid z)` for a Bernoulli decoder:
    :math:`-\sum_i \big[x_i \log \hat x_i + (1 - x_i) \log(1 - \hat x_i)\big]`. ``"mse"`` is
    :math:`\sum_i (\hat x_i - x_i)^2`, a Gaussian decoder up to constants.

    Args:
        x_hat: decoder output, (B, ...): probabilities in [0, 1], or logits if ``from_logits``.
        x: targets in [0, 1], same shape as ``x_hat``.
        kind: ``"bce"`` or ``"mse"``.
        from_logits: ``x_hat`` holds logits; uses the numerically stable fused forms.

    Returns:
        Loss per example in nats (BCE) or squared pixel units (MSE), shape (B,).
    """
    if x_hat.shape != x.shape:
        raise ValueError(f"x_hat has shape {tuple(x_hat.shape)} but x has shape {tuple(x.shape)}")
    if kind == "bce":
        if from_logits:
            per_pixel = F.binary_cross_entropy_with_logits(x_hat, x, reduction="none")
        else:  # PyTorch clamps log(p) at -100, so p = 0 or 1 gives a large finite loss, never inf
            per_pixel = _bce_on_probabilities(x_hat, x)
    elif kind == "mse":
        per_pixel = (torch.sigmoid(x_hat) if from_logits else x_hat) - x
        per_pixel = per_pixel.pow(2)
    else:
        raise ValueError(f"kind must be one of {RECONSTRUCTION_KINDS}, got {kind!r}")
    return per_pixel.flatten(start_dim=1).sum(dim=1)  # (B,)  sum over pixels


def _bce_on_probabilities(p: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """``F.binary_cross_entropy`` per pixel, except that a NaN or infinite ``p`` gives NaN.

    PyTorch rejects such inputs with an error (on CUDA a device-side assert that ends the process),
    which hides the real problem: training diverged. Replacing them for the call and adding
    ``p - p`` (exactly 0 for finite p, NaN otherwise) lets the NaN reach the loss, where ``fit``
    reports it with its epoch and step. Finite inputs give bit-identical values and gradients.
    """
    safe = torch.nan_to_num(p, nan=0.5, posinf=1.0, neginf=0.0)
    return F.binary_cross_entropy(safe, x, reduction="none") + (p - p)


def negative_elbo(
    x_hat: torch.Tensor,
    x: torch.Tensor,
    mu: torch.Tensor,
    logvar: torch.Tensor,
    beta: float = 1.0,
    kind: str = "bce",
) -> torch.Tensor:
    r"""The VAE loss: reconstruction + beta * KL, summed per image, averaged over the batch.

    Args:
        x_hat: decoder probabilities, (B, 1, 28, 28).
        x: images in [0, 1], (B, 1, 28, 28).
        mu, logvar: encoder outputs, (B, D).
        beta: weight of the KL term (1 gives the ELBO; >1 is a beta-VAE).
        kind: reconstruction loss, ``"bce"`` or ``"mse"``.

    Returns:
        Scalar: mean over the batch of the per-image negative ELBO, in nats for BCE.
    """
    per_image = reconstruction_loss(x_hat, x, kind) + beta * kl_divergence(mu, logvar)  # (B,)
    return per_image.mean()  # mean over the batch
