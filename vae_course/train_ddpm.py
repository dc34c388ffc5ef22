"""Training a DDPM: Adam on the noise-prediction loss, with a history like the other trainers'."""

from __future__ import annotations

import time
from dataclasses import dataclass

import torch

from .data import Batches, ImageSet, as_images, shuffled_batches
from .device import resolve_device
from .diffusion import alpha_bars, diffusion_loss, to_model_space
from .models.ddpm import DDPM
from .trainlog import TrainingLog
from .validation import require_int, require_number


@dataclass(frozen=True)
class DDPMTrainConfig:
    epochs: int = 8  # passes over the training set, one random step per image each
    batch_size: int = 128  # images per optimizer step
    lr: float = 1e-3  # Adam learning rate
    seed: int = 0  # seeds the shuffling, the steps and the noise

    def __post_init__(self):
        require_int("epochs", self.epochs, 1)
        require_int("batch_size", self.batch_size, 1)
        require_number("lr", self.lr, 0.0, low_open=True)
        require_int("seed", self.seed, 0, 2**63 - 1)


@torch.no_grad()
def average_diffusion_loss(model: DDPM, images: torch.Tensor, seed: int = 0, batch_size: int = 500) -> float:
    """The simple loss on ``images`` (pixels in [0, 1]) with seeded steps and noise: a validation number."""
    device = model.betas.device
    generator = torch.Generator(device=device).manual_seed(seed)
    alpha_bar = alpha_bars(model.betas).float()
    total = 0.0
    for x in Batches(images.to(device), batch_size):
        total += diffusion_loss(model, to_model_space(x), alpha_bar, generator=generator).item() * len(x)
    return total / len(images)


def fit_ddpm(
    model: DDPM,
    train: ImageSet | torch.Tensor,
    val: ImageSet | torch.Tensor | None = None,
    config: DDPMTrainConfig = DDPMTrainConfig(),
    device: str | torch.device | None = None,
    progress: bool = False,
) -> TrainingLog:
    """Train ``model`` to predict the noise at random steps; the history has train and validation loss."""
    device = resolve_device(device)
    torch.manual_seed(config.seed)
    model.to(device).train()
    batches, generator = shuffled_batches(as_images(train), config.batch_size, config.seed, device)
    images = batches.images
    val_images = None if val is None else as_images(val)
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr)
    alpha_bar = alpha_bars(model.betas).float()  # (T,)
    log = TrainingLog()
    for epoch in range(1, config.epochs + 1):
        start, total = time.perf_counter(), torch.zeros((), device=device)
        for x in batches:
            loss = diffusion_loss(model, to_model_space(x), alpha_bar, generator=generator)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            total += loss.detach() * len(x)
        record = {"epoch": epoch, "train_loss": total.item() / len(images)}
        if val_images is not None:
            model.eval()
            record["val_loss"] = average_diffusion_loss(model, val_images[:1000])
            model.train()
        record["seconds"] = time.perf_counter() - start
        log.append(record, progress)
    return log.finish(model)
