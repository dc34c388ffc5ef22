"""Tools for exploring a latent space. Deterministic: encodings use the posterior mean under
``eval()`` and ``no_grad()``; everything random takes a ``generator`` (or its noise as an argument).
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from .data import Batches
from .device import model_device
from .models import decode


@torch.no_grad()
def encode_means(
    model: nn.Module, images: torch.Tensor, batch_size: int = 1000, device: str | torch.device | None = None
) -> torch.Tensor:
    """Posterior means mu(x) for every image (codes z for a plain autoencoder).

    Args:
        images: (N, 1, 28, 28).
        device: where to run; default: where the model is.

    Returns:
        (N, D) on the CPU.
    """
    device = model_device(model, device)
    model.to(device).eval()
    codes = []
    for x in Batches(images, batch_size):
        out = model.encode(x.to(device))
        codes.append((out[0] if isinstance(out, tuple) else out).cpu())  # mu, never a sample
    return torch.cat(codes)


def tsne_embedding(codes: torch.Tensor | np.ndarray, seed: int = 0, perplexity: float = 30.0) -> np.ndarray:
    """2-D t-SNE (scikit-learn) of latent codes (N, D) -> (N, 2)."""
    from sklearn.manifold import TSNE

    codes = codes.numpy() if isinstance(codes, torch.Tensor) else np.asarray(codes)
    tsne = TSNE(n_components=2, perplexity=perplexity, init="pca", random_state=seed)
    return tsne.fit_transform(codes.astype(np.float32))


def linear_interpolation(z_start: torch.Tensor, z_end: torch.Tensor, num_steps: int) -> torch.Tensor:
    r"""Points :math:`(1 - t) z_0 + t z_1` for ``num_steps`` values of t from 0 to 1.

    Args:
        z_start, z_end: codes of shape (D,).

    Returns:
        (num_steps, D), first row ``z_start``, last row ``z_end``.
    """
    t = torch.linspace(0.0, 1.0, num_steps, dtype=z_start.dtype, device=z_start.device).unsqueeze(1)  # (T, 1)
    return (1 - t) * z_start + t * z_end  # (T, D)


def spherical_interpolation(z_start: torch.Tensor, z_end: torch.Tensor, num_steps: int) -> torch.Tensor:
    r"""Slerp: :math:`\frac{\sin((1-t)\Omega)}{\sin\Omega} z_0 + \frac{\sin(t\Omega)}{\sin\Omega} z_1`,
    with :math:`\Omega` the angle between the codes. Under a Gaussian prior it keeps the norm of the
    path typical, where a straight line passes near the origin. Falls back to the straight line when
    the codes are (anti)parallel or zero, where the formula divides by :math:`\sin\Omega \approx 0`.

    Args:
        z_start, z_end: codes of shape (D,).

    Returns:
        (num_steps, D), first row ``z_start``, last row ``z_end``.
    """
    norms = z_start.norm() * z_end.norm()
    cos_omega = torch.dot(z_start, z_end) / norms if norms > 0 else torch.ones((), dtype=z_start.dtype)
    omega = torch.arccos(cos_omega.clamp(-1.0, 1.0))
    if torch.sin(omega).abs() < 1e-6:
        return linear_interpolation(z_start, z_end, num_steps)
    t = torch.linspace(0.0, 1.0, num_steps, dtype=z_start.dtype, device=z_start.device).unsqueeze(1)  # (T, 1)
    return (torch.sin((1 - t) * omega) * z_start + torch.sin(t * omega) * z_end) / torch.sin(omega)  # (T, D)


def interpolate(z_start: torch.Tensor, z_end: torch.Tensor, num_steps: int, method: str = "linear") -> torch.Tensor:
    """``method="linear"`` or ``"spherical"``; see the two functions above."""
    if method == "linear":
        return linear_interpolation(z_start, z_end, num_steps)
    if method == "spherical":
        return spherical_interpolation(z_start, z_end, num_steps)
    raise ValueError(f"method must be 'linear' or 'spherical', got {method!r}")


def traverse(z: torch.Tensor, dim: int, values: torch.Tensor, centred: bool = False) -> torch.Tensor:
    """Copies of code ``z`` with dimension ``dim`` set to each of ``values``.

    Args:
        z: a code, (D,).
        dim: the dimension to vary.
        values: (T,). With ``centred=False`` the values dimension ``dim`` takes; with ``centred=True``
            offsets added to ``z[dim]``, so that an offset of 0 gives ``z`` itself and the traversal
            is centred on the image the code came from.

    Returns:
        (T, D): row t equals ``z`` except in dimension ``dim``.
    """
    if not 0 <= dim < z.shape[-1]:
        raise IndexError(f"dim {dim} is out of range for a {z.shape[-1]}-D code")
    codes = z.expand(len(values), -1).clone()  # (T, D)
    codes[:, dim] = values.to(codes) + (z[dim] if centred else 0)  # (T,)
    return codes


def sample_prior(
    num_samples: int,
    latent_dim: int,
    generator: torch.Generator | None = None,
    device: str | torch.device | None = None,
) -> torch.Tensor:
    """Codes z ~ N(0, I), shape (num_samples, latent_dim)."""
    device = (
        torch.device(device)
        if device is not None
        else (generator.device if generator is not None else torch.device("cpu"))
    )
    return torch.randn(num_samples, latent_dim, generator=generator, device=device)


def sample_images(
    model: nn.Module,
    num_samples: int,
    generator: torch.Generator | None = None,
    device: str | torch.device | None = None,
) -> torch.Tensor:
    """New images: decode z ~ N(0, I). Returns (num_samples, 1, 28, 28) on the CPU."""
    return decode(model, sample_prior(num_samples, model.latent_dim, generator, device))


def manifold_codes(grid_size: int = 20, quantile: float = 0.05) -> torch.Tensor:
    """A grid_size x grid_size grid of 2-D codes at evenly spaced quantiles of N(0, 1), row-major,
    with the second dimension decreasing down the rows (so images sit like points on a plot)."""
    q = torch.linspace(quantile, 1 - quantile, grid_size)
    values = torch.distributions.Normal(0.0, 1.0).icdf(q)  # (G,)
    z1, z2 = torch.meshgrid(values, values.flip(0), indexing="xy")  # (G, G) each
    return torch.stack([z1.reshape(-1), z2.reshape(-1)], dim=1)  # (G * G, 2)


def manifold_grid(
    model: nn.Module, grid_size: int = 20, quantile: float = 0.05, device: str | torch.device | None = None
) -> torch.Tensor:
    """Decoded images of :func:`manifold_codes` for a model with a 2-D latent space: (G*G, 1, 28, 28)."""
    if model.latent_dim != 2:
        raise ValueError(f"a manifold grid needs a 2-D latent space, this model has {model.latent_dim}")
    if device is not None:
        model.to(device)
    return decode(model, manifold_codes(grid_size, quantile))
