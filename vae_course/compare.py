"""Comparing the course's generative models on one footing: samples, Fréchet distances, timings.

Every model draws images in [0, 1] through :func:`draw_samples`: a VAE or the GAN decodes
z ~ N(0, I); the DDPM runs a sampler. :func:`frechet_distances` scores the same number of samples
per seed against the test set, in the features of the shipped classifier.
"""

from __future__ import annotations

import statistics
import time

import torch
from torch import nn

from .classifier import FashionClassifier, classifier_features
from .diffusion import ancestral_sample, ddim_sample
from .frechet import feature_statistics, frechet_distance
from .models.ddpm import DDPM

SAMPLERS = ("ddim", "ancestral")


@torch.no_grad()
def draw_samples(
    model: nn.Module,
    num_samples: int,
    seed: int = 0,
    device: str | torch.device = "cpu",
    sampler: str = "ddim",
    ddim_steps: int = 50,
    batch_size: int = 500,
) -> torch.Tensor:
    """New images from any of the course's generative models, reproducibly: (N, 1, 28, 28) in [0, 1] on the CPU.

    Args:
        model: a VAE, the :class:`~vae_course.models.DCGAN`, or a :class:`~vae_course.models.DDPM`.
        seed: seeds all the randomness (codes, or the DDPM's start noise and steps).
        sampler, ddim_steps: for a DDPM only: ``"ddim"`` with ``ddim_steps`` steps, or ``"ancestral"`` (all T steps).
        batch_size: images per network call (memory only; the images do not depend on it).
    """
    if sampler not in SAMPLERS:
        raise ValueError(f"sampler must be one of {SAMPLERS}, got {sampler!r}")
    model.to(device).eval()
    generator = torch.Generator(device=device).manual_seed(seed)
    chunks = []
    for start in range(0, num_samples, batch_size):
        n = min(batch_size, num_samples - start)
        if isinstance(model, DDPM):
            x_T = torch.randn(n, 1, 28, 28, generator=generator, device=device)
            if sampler == "ddim":
                chunks.append(ddim_sample(model, model.betas, n, ddim_steps, device=device, x_T=x_T))
            else:
                chunks.append(ancestral_sample(model, model.betas, n, generator, device=device, x_T=x_T))
        else:
            z = torch.randn(n, model.latent_dim, generator=generator, device=device)
            chunks.append(model.decode(z).cpu())
    return torch.cat(chunks)


def frechet_distances(
    model: nn.Module,
    classifier: FashionClassifier,
    reference_images: torch.Tensor,
    num_samples: int = 1000,
    seeds: tuple[int, ...] = (0, 1, 2),
    device: str | torch.device = "cpu",
    **sampler_options,
) -> list[float]:
    """One Fréchet distance per seed, between ``num_samples`` samples and ``reference_images``.

    Args:
        reference_images: real images (N, 1, 28, 28), e.g. the whole test set.
        sampler_options: ``sampler`` and ``ddim_steps`` for a DDPM (see :func:`draw_samples`).

    Returns:
        The distances, in seed order; their spread is the run-to-run (sampling) noise.
    """
    reference = feature_statistics(classifier_features(classifier, reference_images, device=device))
    distances = []
    for seed in seeds:
        samples = draw_samples(model, num_samples, seed, device, **sampler_options)
        distances.append(
            frechet_distance(*feature_statistics(classifier_features(classifier, samples, device=device)), *reference)
        )
    return distances


def summarise(values: list[float]) -> dict:
    """Mean and sample standard deviation of a few numbers, and the numbers."""
    spread = statistics.stdev(values) if len(values) > 1 else 0.0
    return {"mean": statistics.fmean(values), "std": spread, "values": list(values)}


def time_to_sample(model: nn.Module, num_samples: int, device: str | torch.device = "cpu", **sampler_options) -> float:
    """Wall-clock seconds to draw ``num_samples`` images (one run, after a small warm-up)."""
    draw_samples(model, 2, seed=0, device=device, **sampler_options)  # warm-up: first calls allocate
    start = time.perf_counter()
    draw_samples(model, num_samples, seed=1, device=device, **sampler_options)
    return time.perf_counter() - start
