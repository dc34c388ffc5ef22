r"""Test-set metrics: the negative ELBO per image and an importance-weighted log-likelihood.

The IWAE bound with :math:`k` samples :math:`z_i \sim q(z \mid x)`,

.. math::

    \log p(x) \ge \mathcal{L}_k = \log \frac{1}{k} \sum_{i=1}^{k}
        \frac{p(x \mid z_i)\, p(z_i)}{q(z_i \mid x)},

equals the ELBO at :math:`k = 1` and tightens towards :math:`\log p(x)` as :math:`k` grows
(Burda et al., 2016). Reported as a negative log-likelihood in nats per image.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from .data import Batches
from .device import model_device
from .gaussian import gaussian_log_density, kl_divergence, reparameterize
from .losses import reconstruction_loss


@torch.no_grad()
def evaluate_negative_elbo(
    model: nn.Module,
    images: torch.Tensor,
    batch_size: int = 1000,
    device: str | torch.device | None = None,
    seed: int = 0,
) -> dict[str, float]:
    """One-sample estimate of the negative ELBO (BCE decoder), averaged over ``images``.

    Args:
        model: a VAE from :mod:`vae_course.models`.
        images: (N, 1, 28, 28) in [0, 1].
        device: where to run; default: where the model is.
        seed: seeds the reparameterization noise, so the estimate is reproducible.

    Returns:
        ``{"negative_elbo", "reconstruction", "kl"}`` in nats per image.
    """
    device = model_device(model, device)
    model.to(device).eval()
    generator = torch.Generator(device=device).manual_seed(seed)
    totals = torch.zeros(2, dtype=torch.float64, device=device)
    for x in Batches(images, batch_size):
        x = x.to(device)
        mu, logvar = model.encode(x)  # (B, D)
        eps = torch.randn(mu.shape, generator=generator, device=device, dtype=mu.dtype)
        x_hat = model.decode(reparameterize(mu, logvar, eps))
        reconstruction = reconstruction_loss(x_hat, x)  # (B,)
        totals += torch.stack([reconstruction.sum(), kl_divergence(mu, logvar).sum()]).double()
    reconstruction, kl = (totals / images.shape[0]).tolist()
    return {"negative_elbo": reconstruction + kl, "reconstruction": reconstruction, "kl": kl}


def active_units(mu: torch.Tensor, threshold: float = 0.01) -> torch.Tensor:
    r"""Which latent dimensions the encoder uses: :math:`\operatorname{Var}_x(\mu_j(x)) > \text{threshold}`.

    A dimension whose posterior mean hardly moves from image to image carries no information about
    the image: its posterior has collapsed onto the prior, and its KL is near 0. Burda et al. (2016)
    count the active units with the threshold 0.01.

    Args:
        mu: posterior means of many images, shape (N, D), N >= 2.
        threshold: the smallest variance of an active dimension.

    Returns:
        A bool mask, shape (D,); ``.sum()`` is the number of active units.
    """
    return mu.var(dim=0) > threshold  # (D,)  unbiased variance over the images


def log_mean_exp(values: torch.Tensor, dim: int = 0) -> torch.Tensor:
    r""":math:`\log \frac{1}{k} \sum_i e^{v_i}` along ``dim``, without overflow or underflow.

    Computed as ``logsumexp`` (which subtracts the maximum before exponentiating) minus
    :math:`\log k`; the naive ``values.exp().mean(dim).log()`` gives inf or -inf for log weights of
    a few hundred nats, the usual size for images.

    Args:
        values: any shape; ``dim`` has size k >= 1.
        dim: the dimension to average over (it is removed).

    Returns:
        ``values`` with ``dim`` reduced.
    """
    return torch.logsumexp(values, dim=dim) - math.log(values.shape[dim])


def log_importance_weights(
    model: nn.Module,
    x: torch.Tensor,
    num_samples: int,
    generator: torch.Generator | None = None,
    eps: torch.Tensor | None = None,
) -> torch.Tensor:
    r"""Log weights :math:`\log p(x \mid z) + \log p(z) - \log q(z \mid x)` for ``num_samples`` z per image.

    Args:
        x: images (B, 1, 28, 28) on the model's device.
        num_samples: S, samples of z per image.
        generator: draws the noise when ``eps`` is None.
        eps: standard normal noise (S, B, D) that pins the samples, z = mu + sigma * eps.

    Returns:
        Shape (S, B) with S = ``num_samples``.
    """
    mu, logvar = model.encode(x)  # (B, D)
    if eps is None:
        eps = torch.randn((num_samples, *mu.shape), generator=generator, device=mu.device, dtype=mu.dtype)
    z = reparameterize(mu, logvar, eps)  # (S, B, D) by broadcasting
    x_hat = model.decode(z.flatten(0, 1))  # (S * B, 1, 28, 28)
    targets = x.expand(num_samples, *x.shape).flatten(0, 1)  # (S * B, 1, 28, 28)
    log_px_given_z = -reconstruction_loss(x_hat, targets).view(num_samples, -1)  # (S, B)
    log_pz = gaussian_log_density(z, torch.zeros_like(z), torch.zeros_like(z))  # (S, B)
    log_qz = gaussian_log_density(z, mu, logvar)  # (S, B)
    return log_px_given_z + log_pz - log_qz


@torch.no_grad()
def iwae_negative_log_likelihood(
    model: nn.Module,
    images: torch.Tensor,
    num_samples: int = 5000,
    max_decoded: int = 20_000,
    device: str | torch.device | None = None,
    seed: int = 0,
) -> float:
    r"""Estimate :math:`-\log p(x)` in nats per image with the IWAE bound :math:`\mathcal{L}_k`.

    Memory is bounded whatever ``num_samples`` is: at most ``max_decoded`` images are decoded at
    once (about 63 MB of float32 for 20,000), by splitting both the images and the samples into
    chunks and combining the chunks' log-sum-exps.

    Args:
        model: a VAE from :mod:`vae_course.models`.
        images: (N, 1, 28, 28) in [0, 1].
        num_samples: k, importance samples per image (5000 is the usual choice for reporting).
        max_decoded: upper bound on S * B decoded at once.
        device: where to run; default: where the model is.
        seed: seeds the samples.

    Returns:
        The mean over images of :math:`-\mathcal{L}_k`; an upper bound on the true NLL.
    """
    device = model_device(model, device)
    model.to(device).eval()
    generator = torch.Generator(device=device).manual_seed(seed)
    image_batch = max(1, min(images.shape[0], max_decoded // num_samples))
    sample_chunk = max(1, max_decoded // image_batch)
    total = 0.0
    for x in Batches(images, image_batch):
        x = x.to(device)
        chunks = []  # each (B,): log-sum-exp of one chunk of log weights
        for start in range(0, num_samples, sample_chunk):
            count = min(sample_chunk, num_samples - start)
            chunks.append(torch.logsumexp(log_importance_weights(model, x, count, generator), dim=0))
        log_px = torch.logsumexp(torch.stack(chunks), dim=0) - math.log(num_samples)  # (B,)  log-mean-exp over all S
        total += -log_px.double().sum().item()
    return total / images.shape[0]
