"""The DDPM's network: a small U-Net that predicts the noise in x_t, told the step t by an embedding.

28x28 -> 14x14 -> 7x7 and back, with a residual block per level, skip connections across, and
the step's sinusoidal embedding added inside every block. Small enough to train on one CPU core
in minutes; the diffusion math lives in :mod:`vae_course.diffusion`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from ..validation import MAX_WIDTH, require_int

SCHEDULES = ("linear", "cosine")  # as vae_course.diffusion.SCHEDULES


@dataclass(frozen=True)
class DDPMConfig:
    timesteps: int = 200  # T, steps of the forward process
    schedule: str = "cosine"  # "cosine" (Nichol and Dhariwal, 2021) or "linear" (Ho et al., 2020)
    channels: tuple[int, int, int] = (16, 32, 64)  # feature maps at 28x28, 14x14 and 7x7
    time_dim: int = 64  # width of the step embedding

    def __post_init__(self):
        require_int("timesteps", self.timesteps, 1, 100_000)
        if self.schedule not in SCHEDULES:
            raise ValueError(f"schedule must be one of {SCHEDULES}, got {self.schedule!r}")
        if not isinstance(self.channels, tuple) or len(self.channels) != 3:
            raise ValueError(f"channels must be a tuple of three feature-map counts, got {self.channels!r}")
        for channels in self.channels:
            require_int("channels", channels, 8, MAX_WIDTH)
            if channels % 8:
                raise ValueError(f"channels must be multiples of 8 (group norm in groups of 8), got {self.channels!r}")
        require_int("time_dim", self.time_dim, 2, MAX_WIDTH)
        if self.time_dim % 2:
            raise ValueError(f"time_dim must be even (sines and cosines), got {self.time_dim}")


def step_embedding(t: torch.Tensor, dim: int) -> torch.Tensor:
    """Sinusoidal embedding of integer steps (B,) -> (B, dim), as a transformer's positions."""
    half = dim // 2
    frequencies = torch.exp(-math.log(10_000) * torch.arange(half, device=t.device) / half)  # (dim/2,)
    angles = t.float()[:, None] * frequencies[None]  # (B, dim/2)
    return torch.cat([angles.sin(), angles.cos()], dim=1)  # (B, dim)


class ResidualBlock(nn.Module):
    """norm -> SiLU -> conv, plus the step embedding, norm -> SiLU -> conv, plus a skip path."""

    def __init__(self, in_channels: int, out_channels: int, time_dim: int):
        super().__init__()
        self.norm1 = nn.GroupNorm(8, in_channels)
        self.conv1 = nn.Conv2d(in_channels, out_channels, kernel_size=3, padding=1)
        self.time = nn.Linear(time_dim, out_channels)
        self.norm2 = nn.GroupNorm(8, out_channels)
        self.conv2 = nn.Conv2d(out_channels, out_channels, kernel_size=3, padding=1)
        self.skip = nn.Conv2d(in_channels, out_channels, 1) if in_channels != out_channels else nn.Identity()

    def forward(self, x: torch.Tensor, time: torch.Tensor) -> torch.Tensor:
        h = self.conv1(F.silu(self.norm1(x)))  # (B, out, H, W)
        h = h + self.time(time)[:, :, None, None]  # the step, broadcast over the image
        h = self.conv2(F.silu(self.norm2(h)))
        return h + self.skip(x)


class DDPM(nn.Module):
    """The noise predictor :math:`\\epsilon_\\theta(x_t, t)`, with the schedule it was trained for.

    ``forward(x_t, t)`` takes noisy images in model space (B, 1, 28, 28) and steps (B,) and returns
    the predicted noise (B, 1, 28, 28). ``betas`` (T,) is a buffer rebuilt from the config (not
    saved: the config says it all).
    """

    def __init__(self, config: DDPMConfig = DDPMConfig()):
        super().__init__()
        from ..diffusion import make_betas

        self.config = config
        c28, c14, c7 = config.channels
        self.register_buffer("betas", make_betas(config.schedule, config.timesteps), persistent=False)
        self.time = nn.Sequential(
            nn.Linear(config.time_dim, config.time_dim), nn.SiLU(), nn.Linear(config.time_dim, config.time_dim)
        )
        self.stem = nn.Conv2d(1, c28, kernel_size=3, padding=1)  # (B, c28, 28, 28)
        self.down28 = ResidualBlock(c28, c28, config.time_dim)
        self.to14 = nn.Conv2d(c28, c14, kernel_size=4, stride=2, padding=1)  # (B, c14, 14, 14)
        self.down14 = ResidualBlock(c14, c14, config.time_dim)
        self.to7 = nn.Conv2d(c14, c7, kernel_size=4, stride=2, padding=1)  # (B, c7, 7, 7)
        self.middle = ResidualBlock(c7, c7, config.time_dim)
        self.up14 = nn.ConvTranspose2d(c7, c14, kernel_size=4, stride=2, padding=1)  # (B, c14, 14, 14)
        self.block14 = ResidualBlock(2 * c14, c14, config.time_dim)  # after the skip from down14
        self.up28 = nn.ConvTranspose2d(c14, c28, kernel_size=4, stride=2, padding=1)  # (B, c28, 28, 28)
        self.block28 = ResidualBlock(2 * c28, c28, config.time_dim)  # after the skip from down28
        self.out = nn.Sequential(nn.GroupNorm(8, c28), nn.SiLU(), nn.Conv2d(c28, 1, kernel_size=3, padding=1))

    def forward(self, x_t: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        time = self.time(step_embedding(t, self.config.time_dim))  # (B, time_dim)
        h28 = self.down28(self.stem(x_t), time)  # (B, c28, 28, 28)
        h14 = self.down14(self.to14(h28), time)  # (B, c14, 14, 14)
        h7 = self.middle(self.to7(h14), time)  # (B, c7, 7, 7)
        u14 = self.block14(torch.cat([self.up14(h7), h14], dim=1), time)  # (B, c14, 14, 14)
        u28 = self.block28(torch.cat([self.up28(u14), h28], dim=1), time)  # (B, c28, 28, 28)
        return self.out(u28)  # (B, 1, 28, 28)
