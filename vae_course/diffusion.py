r"""Denoising diffusion (Ho et al., 2020): the noise schedule, the forward process, the loss, samplers, the ELBO.

Conventions: the model works on images scaled to [-1, 1] (:func:`to_model_space`); steps are
0-based, ``t = 0 .. T-1``, so index ``t`` is the paper's step :math:`t + 1`; ``betas`` (T,) is the
schedule and ``alpha_bar[t]`` :math:`= \prod_{s \le t} (1 - \beta_s)`. A ``model`` is anything
called as ``model(x_t, t)`` that predicts the noise, e.g. :class:`~vae_course.models.DDPM`.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import torch
from torch import nn

from .data import IMAGE_SIZE

SCHEDULES = ("linear", "cosine")
NUM_LEVELS = 256  # grey levels of the 8-bit data: the ELBO is a bound on their discrete probability


def linear_betas(timesteps: int, start: float = 1e-4, end: float = 0.02, max_beta: float = 0.999) -> torch.Tensor:
    """Ho et al.'s linear schedule, rescaled so that T steps add as much noise as their 1,000: (T,).

    Below T = 21 the rescaled betas would reach 1 (no signal left, and NaN downstream); they are
    clipped at ``max_beta``, as the cosine schedule's are.
    """
    scale = 1000 / timesteps
    return torch.linspace(scale * start, scale * end, timesteps, dtype=torch.float64).clamp(max=max_beta)


def cosine_betas(timesteps: int, offset: float = 0.008, max_beta: float = 0.999) -> torch.Tensor:
    r"""Nichol and Dhariwal's cosine schedule, :math:`\bar\alpha(t) \propto \cos^2\big(\frac{t/T + s}{1 + s} \frac{\pi}{2}\big)`: (T,)."""
    steps = torch.arange(timesteps + 1, dtype=torch.float64) / timesteps  # (T+1,)
    f = torch.cos((steps + offset) / (1 + offset) * math.pi / 2) ** 2  # (T+1,)
    return (1 - f[1:] / f[:-1]).clamp(max=max_beta)  # beta_t = 1 - abar(t+1) / abar(t)


def make_betas(schedule: str, timesteps: int) -> torch.Tensor:
    """The schedule by name, float64 (T,)."""
    if schedule not in SCHEDULES:
        raise ValueError(f"schedule must be one of {SCHEDULES}, got {schedule!r}")
    return linear_betas(timesteps) if schedule == "linear" else cosine_betas(timesteps)


def alpha_bars(betas: torch.Tensor) -> torch.Tensor:
    r""":math:`\bar\alpha_t = \prod_{s \le t} (1 - \beta_s)`, (T,)."""
    return torch.cumprod(1 - betas, dim=0)


def to_model_space(x: torch.Tensor) -> torch.Tensor:
    """Pixels in [0, 1] -> [-1, 1], where the forward process ends at N(0, I)."""
    return 2 * x - 1


def to_pixels(x: torch.Tensor) -> torch.Tensor:
    """[-1, 1] -> pixels in [0, 1], clamped."""
    return ((x + 1) / 2).clamp(0, 1)


def _per_image(values: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    """(B,) -> (B, 1, 1, 1) in ``like``'s dtype, to broadcast over an image batch."""
    return values.to(like.dtype).view(-1, *([1] * (like.dim() - 1)))


def q_mean_variance(x0: torch.Tensor, t: torch.Tensor, alpha_bar: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    r"""Mean and variance of :math:`q(x_t \mid x_0) = \mathcal{N}(\sqrt{\bar\alpha_t}\, x_0, (1 - \bar\alpha_t) I)`.

    Args:
        x0: clean images in model space (B, 1, 28, 28).
        t: steps (B,), int64 in ``[0, T)``.
        alpha_bar: (T,).

    Returns:
        ``(mean, variance)``: (B, 1, 28, 28) and (B, 1, 1, 1).
    """
    a = _per_image(alpha_bar.to(x0.device)[t], x0)  # (B, 1, 1, 1)
    return a.sqrt() * x0, 1 - a


def q_sample(
    x0: torch.Tensor,
    t: torch.Tensor,
    alpha_bar: torch.Tensor,
    noise: torch.Tensor | None = None,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    r"""Jump straight to step ``t``: :math:`x_t = \sqrt{\bar\alpha_t}\, x_0 + \sqrt{1 - \bar\alpha_t}\, \epsilon`.

    Args:
        x0: clean images in model space (B, 1, 28, 28).
        t: steps (B,), int64 in ``[0, T)``.
        alpha_bar: (T,).
        noise: optional :math:`\epsilon` (B, 1, 28, 28); drawn from ``generator`` if None.

    Returns:
        The noisy images :math:`x_t` (B, 1, 28, 28).
    """
    if noise is None:
        noise = torch.randn(x0.shape, generator=generator, device=x0.device, dtype=x0.dtype)
    mean, variance = q_mean_variance(x0, t, alpha_bar)
    return mean + variance.sqrt() * noise


def noise_prediction_loss(predicted_noise: torch.Tensor, noise: torch.Tensor) -> torch.Tensor:
    r"""Ho et al.'s simple loss :math:`\lVert \epsilon - \epsilon_\theta(x_t, t) \rVert^2`: mean over pixels and batch."""
    return (noise - predicted_noise).pow(2).mean()


def diffusion_loss(
    model: nn.Module,
    x0: torch.Tensor,
    alpha_bar: torch.Tensor,
    t: torch.Tensor | None = None,
    noise: torch.Tensor | None = None,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """One training loss: a random step per image, noise the images there, predict the noise.

    Args:
        x0: clean images in model space (B, 1, 28, 28).
        t, noise: optional pinned steps (B,) and noise (B, 1, 28, 28); drawn from ``generator`` if None.
    """
    if t is None:
        t = torch.randint(len(alpha_bar), (len(x0),), generator=generator, device=x0.device)
    if noise is None:
        noise = torch.randn(x0.shape, generator=generator, device=x0.device, dtype=x0.dtype)
    return noise_prediction_loss(model(q_sample(x0, t, alpha_bar, noise), t), noise)


def predicted_x0(
    x_t: torch.Tensor, t: torch.Tensor, alpha_bar: torch.Tensor, predicted_noise: torch.Tensor
) -> torch.Tensor:
    r""":math:`\hat x_0 = (x_t - \sqrt{1 - \bar\alpha_t}\, \hat\epsilon) / \sqrt{\bar\alpha_t}`, (B, 1, 28, 28)."""
    a = _per_image(alpha_bar.to(x_t.device)[t], x_t)
    return (x_t - (1 - a).sqrt() * predicted_noise) / a.sqrt()


def implied_noise(x_t: torch.Tensor, t: torch.Tensor, alpha_bar: torch.Tensor, x0: torch.Tensor) -> torch.Tensor:
    r"""The noise that leads from ``x0`` to ``x_t``, :math:`(x_t - \sqrt{\bar\alpha_t}\, x_0) / \sqrt{1 - \bar\alpha_t}`:
    :func:`predicted_x0` solved for the noise, (B, 1, 28, 28)."""
    a = _per_image(alpha_bar.to(x_t.device)[t], x_t)
    return (x_t - a.sqrt() * x0) / (1 - a).sqrt()


def posterior_mean_variance(
    x0: torch.Tensor, x_t: torch.Tensor, t: torch.Tensor, betas: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    r"""Mean and variance of :math:`q(x_{t-1} \mid x_t, x_0)` for steps ``t >= 1`` (B,).

    mean :math:`= \frac{\beta_t \sqrt{\bar\alpha_{t-1}}}{1 - \bar\alpha_t} x_0 + \frac{(1 - \bar\alpha_{t-1}) \sqrt{\alpha_t}}{1 - \bar\alpha_t} x_t`,
    variance :math:`\tilde\beta_t = \frac{1 - \bar\alpha_{t-1}}{1 - \bar\alpha_t} \beta_t`; (B, 1, 28, 28) and (B, 1, 1, 1).
    """
    betas = betas.to(x_t.device)
    alpha_bar = alpha_bars(betas)
    beta, a, a_prev = _per_image(betas[t], x_t), _per_image(alpha_bar[t], x_t), _per_image(alpha_bar[t - 1], x_t)
    mean = beta * a_prev.sqrt() / (1 - a) * x0 + (1 - a_prev) * (1 - beta).sqrt() / (1 - a) * x_t
    return mean, (1 - a_prev) / (1 - a) * beta


def p_mean(x_t: torch.Tensor, t: torch.Tensor, betas: torch.Tensor, predicted_noise: torch.Tensor) -> torch.Tensor:
    r"""Mean of the learned reverse step :math:`p_\theta(x_{t-1} \mid x_t)`:
    :math:`\frac{1}{\sqrt{\alpha_t}}\big(x_t - \frac{\beta_t}{\sqrt{1 - \bar\alpha_t}} \epsilon_\theta\big)`, (B, 1, 28, 28)."""
    betas = betas.to(x_t.device)
    beta, a = _per_image(betas[t], x_t), _per_image(alpha_bars(betas)[t], x_t)
    return (x_t - beta / (1 - a).sqrt() * predicted_noise) / (1 - beta).sqrt()


def _start_noise(num_samples: int, generator, device) -> torch.Tensor:
    return torch.randn(num_samples, 1, 28, 28, generator=generator, device=device)  # x_T ~ N(0, I)


@torch.no_grad()
def ancestral_chain(
    model: nn.Module, betas: torch.Tensor, x_T: torch.Tensor, generator: torch.Generator | None = None
) -> Iterator[tuple[int, torch.Tensor, torch.Tensor]]:
    r"""Ho et al.'s sampler one step at a time: yields ``(step, x_t, x0_hat)`` for ``step = T-1 .. 0``.

    Each step predicts the clean image :math:`\hat x_0` (B, 1, 28, 28) that the predicted noise points
    to, clipped to the data's range [-1, 1], as in Ho et al.'s code, then moves to
    :math:`x_{t-1} = \tilde\mu_t(x_t, \hat x_0) + \sqrt{\beta_t}\, z`, the posterior mean of
    :math:`q(x_{t-1} \mid x_t, \hat x_0)` plus fresh noise; that mean equals :math:`\mu_\theta` when
    nothing is clipped. Without the clip, the cosine schedule's last steps (:math:`\alpha_t` near 0)
    magnify the network's errors until the images saturate. The last step adds no noise: the sample
    is the last ``x0_hat``. ``x_T`` (B, 1, 28, 28) sets the device; ``generator`` draws the fresh noise.
    """
    alpha_bar = alpha_bars(betas.to(x_T.device))
    x = x_T
    for step in reversed(range(len(betas))):
        t = torch.full((len(x),), step, device=x.device, dtype=torch.long)
        x0 = predicted_x0(x, t, alpha_bar, model(x, t)).clamp(-1, 1)  # (B, 1, 28, 28)
        yield step, x, x0
        if step > 0:
            mean, _ = posterior_mean_variance(x0, x, t, betas)
            x = mean + math.sqrt(betas[step]) * torch.randn(x.shape, generator=generator, device=x.device)


@torch.no_grad()
def ancestral_sample(
    model: nn.Module,
    betas: torch.Tensor,
    num_samples: int,
    generator: torch.Generator | None = None,
    device: str | torch.device = "cpu",
    x_T: torch.Tensor | None = None,
) -> torch.Tensor:
    r"""Ho et al.'s sampler: T steps :math:`x_{t-1} = \mu_\theta(x_t, t) + \sqrt{\beta_t}\, z`, no noise at the last.

    The steps are :func:`ancestral_chain`'s; the sample is the clean image predicted at the last
    step, whose mean :math:`\mu_\theta(x_1, 1)` is exactly :math:`\hat x_0`.

    Returns:
        Images (num_samples, 1, 28, 28) in [0, 1], on the CPU.
    """
    x = _start_noise(num_samples, generator, device) if x_T is None else x_T.to(device)
    for _, _, x0_hat in ancestral_chain(model, betas, x, generator):
        sample = x0_hat  # the last step's prediction is the sample
    return to_pixels(sample).cpu()


def ddim_steps(timesteps: int, num_steps: int) -> list[int]:
    """``num_steps`` evenly spaced steps from T-1 down to 0, e.g. (1000, 4) -> [999, 666, 333, 0]."""
    if not 1 <= num_steps <= timesteps:
        raise ValueError(f"num_steps must be in [1, {timesteps}], got {num_steps}")
    return sorted({round(i * (timesteps - 1) / max(num_steps - 1, 1)) for i in range(num_steps)}, reverse=True)


@torch.no_grad()
def ddim_sample(
    model: nn.Module,
    betas: torch.Tensor,
    num_samples: int,
    num_steps: int = 50,
    generator: torch.Generator | None = None,
    device: str | torch.device = "cpu",
    x_T: torch.Tensor | None = None,
) -> torch.Tensor:
    r"""The deterministic DDIM sampler (Song et al., 2021) on ``num_steps`` of the T steps.

    Each step predicts :math:`\hat x_0`, clipped to [-1, 1] as in :func:`ancestral_chain`, and moves
    to the earlier step along the same noise:
    :math:`x_s = \sqrt{\bar\alpha_s}\, \hat x_0 + \sqrt{1 - \bar\alpha_s}\, \hat\epsilon`, where
    :math:`\hat\epsilon` is the noise that leads from the clipped :math:`\hat x_0` to :math:`x_t`
    (:func:`implied_noise`; Nichol and Dhariwal's code does the same). It equals the network's noise
    wherever nothing was clipped; where something was, the network's own noise would point past the
    clipped image. Same network, no retraining; only :math:`x_T` is random.

    Returns:
        Images (num_samples, 1, 28, 28) in [0, 1], on the CPU.
    """
    alpha_bar = alpha_bars(betas.to(device))
    x = _start_noise(num_samples, generator, device) if x_T is None else x_T.to(device)
    steps = ddim_steps(len(betas), num_steps)
    for step, next_step in zip(steps, steps[1:] + [None]):
        t = torch.full((len(x),), step, device=device, dtype=torch.long)
        x0 = predicted_x0(x, t, alpha_bar, model(x, t)).clamp(-1, 1)  # (B, 1, 28, 28)
        if next_step is None:
            x = x0
        else:
            a_next = alpha_bar[next_step].to(x.dtype)
            x = a_next.sqrt() * x0 + (1 - a_next).sqrt() * implied_noise(x, t, alpha_bar, x0)
    return to_pixels(x).cpu()


def gaussian_kl(mean1, var1, mean2, var2) -> torch.Tensor:
    r""":math:`D_{KL}(\mathcal{N}(m_1, v_1) \,\|\, \mathcal{N}(m_2, v_2))` elementwise (broadcast)."""
    return 0.5 * (torch.log(var2 / var1) + (var1 + (mean1 - mean2) ** 2) / var2 - 1)


def denoising_weights(betas: torch.Tensor) -> torch.Tensor:
    r"""The weight of the noise error in each denoising KL of the ELBO, with :math:`\sigma_t^2 = \beta_t`: (T-1,).

    :math:`\lambda_t = \frac{\beta_t^2}{2 \sigma_t^2 \alpha_t (1 - \bar\alpha_t)} = \frac{\beta_t}{2 \alpha_t (1 - \bar\alpha_t)}`;
    entry ``i`` is 0-based step ``i + 1``, the paper's :math:`t = i + 2` (the terms :math:`t = 2 \dots T`).
    """
    alpha_bar = alpha_bars(betas)  # (T,)
    return betas[1:] / (2 * (1 - betas[1:]) * (1 - alpha_bar[1:]))


def denoising_kl_constants(betas: torch.Tensor, dims: int = IMAGE_SIZE) -> torch.Tensor:
    r"""The part of each denoising KL that does not depend on the network, in nats per image: (T-1,).

    The posterior :math:`q(x_{t-1} \mid x_t, x_0)` has variance :math:`\tilde\beta_t`, the reverse step
    :math:`\sigma_t^2 = \beta_t`, so the KL is :math:`\lambda_t \lVert \epsilon - \epsilon_\theta \rVert^2 + C_t`
    (:func:`denoising_weights`; Ho et al., 2020, eq. 8's "+ C") with
    :math:`C_t = \frac{d}{2}(r_t - 1 - \ln r_t)`, :math:`r_t = \tilde\beta_t / \sigma_t^2 = \frac{1 - \bar\alpha_{t-1}}{1 - \bar\alpha_t}`,
    over ``dims`` pixels. Entry ``i`` is 0-based step ``i + 1`` (the paper's :math:`t = i + 2`).
    """
    alpha_bar = alpha_bars(betas)  # (T,)
    ratio = (1 - alpha_bar[:-1]) / (1 - alpha_bar[1:])  # beta tilde / beta, (T-1,)
    return dims / 2 * (ratio - 1 - torch.log(ratio))


def discretized_gaussian_log_likelihood(x0: torch.Tensor, mean: torch.Tensor, variance: torch.Tensor) -> torch.Tensor:
    r"""log P(x0) for 8-bit pixels in model space under :math:`\mathcal{N}(\text{mean}, \text{variance})` binned to 256 levels.

    Each level owns the interval of width 2/255 around it; the first and last extend to infinity
    (Ho et al., 2020, eq. 13). Elementwise, (B, 1, 28, 28).
    """
    std = variance.sqrt()
    half_bin = 1.0 / (NUM_LEVELS - 1)
    cdf_upper = torch.special.ndtr((x0 + half_bin - mean) / std)
    cdf_lower = torch.special.ndtr((x0 - half_bin - mean) / std)
    probability = torch.where(
        x0 > 1 - half_bin, 1 - cdf_lower, torch.where(x0 < -1 + half_bin, cdf_upper, cdf_upper - cdf_lower)
    )
    return probability.clamp(min=1e-12).log()


def nats_to_bits_per_dim(nats_per_image: float | torch.Tensor, dims: int = IMAGE_SIZE):
    """Nats per image -> bits per pixel: divide by the pixels and by ln 2."""
    return nats_per_image / (dims * math.log(2))


@torch.no_grad()
def negative_elbo_terms(
    model: nn.Module, x0: torch.Tensor, betas: torch.Tensor, generator: torch.Generator | None = None
) -> torch.Tensor:
    r"""Every term of the DDPM's negative ELBO, in nats per image: (B, T + 1).

    Column 0 is the decoder term :math:`-\log p_\theta(x_0 \mid x_1)` (discretized Gaussian with
    variance :math:`\beta_1`), columns 1..T-1 the KLs between :math:`q(x_{t-1} \mid x_t, x_0)` and
    :math:`p_\theta(x_{t-1} \mid x_t) = \mathcal{N}(\mu_\theta, \beta_t I)` with one draw of
    :math:`x_t \sim q(x_t \mid x_0)` each, column T the prior term
    :math:`D_{KL}(q(x_T \mid x_0) \,\|\, \mathcal{N}(0, I))`. Sums over pixels.

    Args:
        x0: clean images in model space (B, 1, 28, 28), on the model's device.
        betas: (T,).
    """
    betas = betas.to(x0.device)
    alpha_bar = alpha_bars(betas)
    T, B = len(betas), len(x0)
    terms = torch.zeros(B, T + 1, dtype=torch.float64, device=x0.device)
    for step in range(T):
        t = torch.full((B,), step, device=x0.device, dtype=torch.long)
        x_t = q_sample(x0, t, alpha_bar, generator=generator)
        mean = p_mean(x_t, t, betas, model(x_t, t))
        if step == 0:
            log_p = discretized_gaussian_log_likelihood(x0, mean, _per_image(betas[t], x0))
            terms[:, 0] = -log_p.sum((1, 2, 3)).double()
        else:
            q_mean, q_var = posterior_mean_variance(x0, x_t, t, betas)
            terms[:, step] = gaussian_kl(q_mean, q_var, mean, _per_image(betas[t], x0)).sum((1, 2, 3)).double()
    last = torch.full((B,), T - 1, device=x0.device, dtype=torch.long)
    mean_T, var_T = q_mean_variance(x0, last, alpha_bar)
    terms[:, T] = gaussian_kl(mean_T, var_T, torch.zeros_like(mean_T), torch.ones_like(var_T)).sum((1, 2, 3)).double()
    return terms


def bits_per_dim(
    model: nn.Module,
    images: torch.Tensor,
    betas: torch.Tensor,
    batch_size: int = 100,
    seed: int = 0,
    device: str | torch.device = "cpu",
) -> float:
    r"""The negative ELBO in bits per dimension, on 8-bit images given as pixels in [0, 1].

    A bound on :math:`-\log_2 P(x)` for the *discrete* 256-level images (the decoder term bins the
    Gaussian), so it compares directly with published bits/dim of discrete models. One draw of
    :math:`x_t` per step and image, seeded: reproducible, and unbiased for the ELBO.
    """
    generator = torch.Generator(device=device).manual_seed(seed)
    total = 0.0
    for start in range(0, len(images), batch_size):
        x0 = to_model_space(images[start : start + batch_size].to(device))
        total += negative_elbo_terms(model, x0, betas, generator).sum().item()
    return nats_to_bits_per_dim(total / len(images))
