"""Training a GAN: alternate one discriminator step and one generator step, and keep a history."""

from __future__ import annotations

import time
from dataclasses import dataclass

import torch

from .data import ImageSet, as_images, shuffled_batches
from .device import resolve_device
from .models.dcgan import DCGAN, discriminator_loss, generator_loss
from .trainlog import TrainingLog
from .validation import require_int, require_number


@dataclass(frozen=True)
class GANTrainConfig:
    epochs: int = 15  # passes over the training set (one discriminator and one generator step per batch)
    batch_size: int = 128  # real images per step, and as many generated ones
    lr: float = 2e-4  # Adam learning rate of both players (Radford et al., 2016)
    adam_beta1: float = 0.5  # Adam's momentum; the default 0.9 makes the game oscillate more
    seed: int = 0  # seeds the shuffling and the generator's noise

    def __post_init__(self):
        require_int("epochs", self.epochs, 1)
        require_int("batch_size", self.batch_size, 1)
        require_number("lr", self.lr, 0.0, low_open=True)
        require_number("adam_beta1", self.adam_beta1, 0.0, 1.0)
        require_int("seed", self.seed, 0, 2**63 - 1)


def gan_step(
    model: DCGAN,
    real: torch.Tensor,
    optimizers: tuple[torch.optim.Optimizer, torch.optim.Optimizer],
    noise: torch.Tensor,
) -> torch.Tensor:
    """One round of the game on a batch; returns (2,) detached: discriminator and generator loss.

    Args:
        real: real images (B, 1, 28, 28).
        optimizers: ``(discriminator_optimizer, generator_optimizer)``.
        noise: (B, noise_dim), the generator's input for this round.
    """
    d_optimizer, g_optimizer = optimizers
    fake = model.decode(noise)  # (B, 1, 28, 28)
    # 1. the discriminator learns to tell real from fake (no gradient into the generator: detach)
    d_loss = discriminator_loss(model.discriminate(real), model.discriminate(fake.detach()))
    d_optimizer.zero_grad(set_to_none=True)
    d_loss.backward()
    d_optimizer.step()
    # 2. the generator learns to make the updated discriminator call its images real
    g_loss = generator_loss(model.discriminate(fake))
    g_optimizer.zero_grad(set_to_none=True)
    g_loss.backward()
    g_optimizer.step()
    return torch.stack([d_loss.detach(), g_loss.detach()])


def fit_gan(
    model: DCGAN,
    train: ImageSet | torch.Tensor,
    val: ImageSet | torch.Tensor | None = None,
    config: GANTrainConfig = GANTrainConfig(),
    device: str | torch.device | None = None,
    progress: bool = False,
) -> TrainingLog:
    """Train a :class:`DCGAN` with the non-saturating loss.

    There is no validation loss that says "better" for a GAN (both losses only say who is winning
    now), so ``val`` is accepted for a uniform signature and unused; the history has the mean
    losses and, per epoch, the discriminator's mean probability on real and generated images.

    Returns:
        A :class:`~vae_course.trainlog.TrainingLog`; the model ends in eval mode.
    """
    del val
    device = resolve_device(device)
    torch.manual_seed(config.seed)
    model.to(device).train()
    batches, generator = shuffled_batches(as_images(train), config.batch_size, config.seed, device)
    images = batches.images
    betas = (config.adam_beta1, 0.999)
    optimizers = (
        torch.optim.Adam(model.discriminator.parameters(), lr=config.lr, betas=betas),
        torch.optim.Adam(model.generator.parameters(), lr=config.lr, betas=betas),
    )
    log = TrainingLog()
    for epoch in range(1, config.epochs + 1):
        start, totals = time.perf_counter(), torch.zeros(2, device=device)
        for real in batches:
            noise = torch.randn(len(real), model.latent_dim, generator=generator, device=device)
            totals += gan_step(model, real, optimizers, noise) * len(real)
        d_loss, g_loss = (totals / len(images)).tolist()
        record = {"epoch": epoch, "discriminator_loss": d_loss, "generator_loss": g_loss}
        record["seconds"] = time.perf_counter() - start
        log.append(record, progress)
    return log.finish(model)


def generator_best_response(
    model: DCGAN, steps: int = 150, batch_size: int = 64, lr: float = 1e-3, seed: int = 0
) -> DCGAN:
    """A copy of ``model`` whose generator trained ``steps`` steps against its *frozen* discriminator.

    The game without the other player: the generator's best answer to a fixed discriminator is to
    put all its images where that discriminator says "real" most strongly, whatever z is, so its
    samples collapse towards a few images (mode collapse). The original model is not changed.
    """
    import copy

    collapsed = copy.deepcopy(model).cpu().train()
    collapsed.discriminator.requires_grad_(False)
    optimizer = torch.optim.Adam(collapsed.generator.parameters(), lr=lr, betas=(0.5, 0.999))
    generator = torch.Generator().manual_seed(seed)
    for _ in range(steps):
        noise = torch.randn(batch_size, collapsed.latent_dim, generator=generator)
        loss = generator_loss(collapsed.discriminate(collapsed.decode(noise)))
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    return collapsed.eval()
