"""A plain undercomplete MLP autoencoder: the course's starting point."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from ..data import IMAGE_SHAPE, IMAGE_SIZE
from ..validation import MAX_WIDTH, require_int


@dataclass(frozen=True)
class MLPAutoencoderConfig:
    input_dim: int = IMAGE_SIZE  # pixels per image, 28 * 28
    hidden_dim: int = 200  # width of the one hidden layer on each side
    latent_dim: int = 20  # bottleneck width; 2 gives a latent space you can plot

    def __post_init__(self):
        for name in ("input_dim", "hidden_dim", "latent_dim"):
            require_int(name, getattr(self, name), 1, MAX_WIDTH)


class MLPAutoencoder(nn.Module):
    """Encoder x -> z and decoder z -> x_hat, trained to reconstruct; no probabilities.

    ``forward`` returns ``x_hat`` only; use :meth:`encode` for the codes.
    """

    def __init__(self, config: MLPAutoencoderConfig = MLPAutoencoderConfig()):
        super().__init__()
        self.config = config
        self.latent_dim = config.latent_dim
        self.encoder = nn.Sequential(
            nn.Flatten(),  # (B, 1, 28, 28) -> (B, 784)
            nn.Linear(config.input_dim, config.hidden_dim),
            nn.ReLU(),
            nn.Linear(config.hidden_dim, config.latent_dim),
        )
        self.decoder = nn.Sequential(
            nn.Linear(config.latent_dim, config.hidden_dim),
            nn.ReLU(),
            nn.Linear(config.hidden_dim, config.input_dim),
            nn.Sigmoid(),  # pixel intensities in [0, 1]
            nn.Unflatten(1, IMAGE_SHAPE),  # (B, 784) -> (B, 1, 28, 28)
        )

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """Images (B, 1, 28, 28) -> codes (B, D)."""
        return self.encoder(x)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """Codes (B, D) -> images (B, 1, 28, 28) in [0, 1]."""
        return self.decoder(z)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decode(self.encode(x))  # (B, 1, 28, 28)
