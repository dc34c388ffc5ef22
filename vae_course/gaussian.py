r"""The Gaussian math a VAE needs, as pure functions.

The encoder outputs a diagonal Gaussian :math:`q(z \mid x) = \mathcal{N}(\mu, \operatorname{diag}(\sigma^2))`
parameterised by ``mu`` and ``logvar`` :math:`= \log \sigma^2`; the prior is :math:`\mathcal{N}(0, I)`.
:func:`kl_diagonal_gaussians` is the general case: two diagonal Gaussians, neither of them the prior.
"""

from __future__ import annotations

import torch


def reparameterize(mu: torch.Tensor, logvar: torch.Tensor, eps: torch.Tensor | None = None) -> torch.Tensor:
    r"""Draw :math:`z \sim q(z \mid x)` as a differentiable function of ``mu`` and ``logvar``.

    :math:`z = \mu + \sigma \odot \varepsilon` with :math:`\sigma = \exp(\tfrac{1}{2}\log\sigma^2)`
    and :math:`\varepsilon \sim \mathcal{N}(0, I)`, so gradients reach ``mu`` and ``logvar``.

    Args:
        mu: posterior means, shape (B, D).
        logvar: posterior log-variances, shape (B, D).
        eps: standard normal noise of shape (B, D); drawn fresh with ``randn_like`` if None.

    Returns:
        z, shape (B, D).
    """
    std = torch.exp(0.5 * logvar)  # (B, D)  sigma = exp(logvar / 2)
    if eps is None:
        eps = torch.randn_like(std)  # (B, D)  fresh noise on every call
    return mu + std * eps  # (B, D)


def kl_divergence(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    r"""KL divergence :math:`D_{KL}(\mathcal{N}(\mu, \sigma^2) \,\|\, \mathcal{N}(0, I))` per example.

    :math:`D_{KL} = -\tfrac{1}{2} \sum_j \left(1 + \log\sigma_j^2 - \mu_j^2 - \sigma_j^2\right)`,
    summed over the latent dimensions (use :func:`kl_per_dimension` to keep them apart).

    Args:
        mu: posterior means, shape (B, D).
        logvar: posterior log-variances, shape (B, D).

    Returns:
        KL in nats for each example, shape (B,).
    """
    return kl_per_dimension(mu, logvar).sum(dim=-1)  # (B,)  sum over latent dims


def kl_per_dimension(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    r"""The closed-form KL of :func:`kl_divergence`, one term per latent dimension, shape (B, D)."""
    return -0.5 * (1.0 + logvar - mu.pow(2) - logvar.exp())  # (B, D)


def kl_diagonal_gaussians(
    mu_q: torch.Tensor, logvar_q: torch.Tensor, mu_p: torch.Tensor, logvar_p: torch.Tensor
) -> torch.Tensor:
    r""":math:`D_{KL}(q \,\|\, p)` between two diagonal Gaussians, summed over the latent dimensions.

    :math:`D_{KL} = \tfrac{1}{2} \sum_j \left(\log\sigma_{p,j}^2 - \log\sigma_{q,j}^2
    + \frac{\sigma_{q,j}^2 + (\mu_{q,j} - \mu_{p,j})^2}{\sigma_{p,j}^2} - 1\right)`;
    with :math:`p = \mathcal{N}(0, I)` it is :func:`kl_divergence`.

    Args:
        mu_q, logvar_q: mean and log-variance of q, shape (B, D).
        mu_p, logvar_p: mean and log-variance of p, broadcastable to (B, D).

    Returns:
        KL in nats for each example, shape (B,).
    """
    variance_ratio = torch.exp(logvar_q - logvar_p)  # (B, D)  sigma_q^2 / sigma_p^2: the trace term
    mahalanobis = (mu_q - mu_p).pow(2) * torch.exp(-logvar_p)  # (B, D)  (mu_q - mu_p)^2 / sigma_p^2
    per_dim = 0.5 * (logvar_p - logvar_q + variance_ratio + mahalanobis - 1.0)  # (B, D)
    return per_dim.sum(dim=-1)  # (B,)  sum over latent dims


def gaussian_log_density(z: torch.Tensor, mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    r""":math:`\log \mathcal{N}(z; \mu, \operatorname{diag}(e^{\text{logvar}}))`, summed over the last dim.

    Args:
        z, mu, logvar: broadcastable tensors with the latent dimension last, (..., D).

    Returns:
        Log-density in nats, shape (...).
    """
    log_2pi = torch.log(torch.tensor(2.0 * torch.pi, dtype=z.dtype, device=z.device))
    return -0.5 * (log_2pi + logvar + (z - mu).pow(2) * torch.exp(-logvar)).sum(dim=-1)
