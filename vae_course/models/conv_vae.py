"""The convolutional VAE: strided Conv2d encoder, ConvTranspose2d decoder, any latent size."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from ..gaussian import reparameterize
from ..validation import MAX_WIDTH, require_int


@dataclass(frozen=True)
class ConvVAEConfig:
    latent_dim: int = 12  # the book uses 2 (a plottable map) and 12
    channels: tuple[int, int] = (32, 64)  # feature maps after the 1st and 2nd conv: 14x14, then 7x7
    hidden_dim: int = 128  # fully connected layer between the feature maps and (mu, logvar)

    def __post_init__(self):
        for name in ("latent_dim", "hidden_dim"):
            require_int(name, getattr(self, name), 1, MAX_WIDTH)
        if not isinstance(self.channels, tuple) or len(self.channels) != 2:
            raise ValueError(f"channels must be a tuple of two feature-map counts, got {self.channels!r}")
        for channels in self.channels:
            require_int("channels", channels, 1, MAX_WIDTH)


class ConvVAE(nn.Module):
    """x (1x28x28) -conv-> 14x14 -conv-> 7x7 -> (mu, logvar) -> z -> 7x7 -deconv-> 14x14 -deconv-> 28x28.

    Each conv halves the side (kernel 4, stride 2, padding 1); each transposed conv doubles it.
    ``forward(x)`` returns ``(x_hat, mu, logvar)``.
    """

    def __init__(self, config: ConvVAEConfig = ConvVAEConfig()):
        super().__init__()
        self.config = config
        self.latent_dim = config.latent_dim
        c1, c2 = config.channels
        features = c2 * 7 * 7
        self.encoder = nn.Sequential(
            nn.Conv2d(1, c1, kernel_size=4, stride=2, padding=1),  # (B, c1, 14, 14)
            nn.ReLU(),
            nn.Conv2d(c1, c2, kernel_size=4, stride=2, padding=1),  # (B, c2, 7, 7)
            nn.ReLU(),
            nn.Flatten(),  # (B, c2 * 49)
            nn.Linear(features, config.hidden_dim),
            nn.ReLU(),
        )
        self.encoder_mu = nn.Linear(config.hidden_dim, config.latent_dim)
        self.encoder_logvar = nn.Linear(config.hidden_dim, config.latent_dim)
        self.decoder = nn.Sequential(
            nn.Linear(config.latent_dim, config.hidden_dim),
            nn.ReLU(),
            nn.Linear(config.hidden_dim, features),
            nn.ReLU(),
            nn.Unflatten(1, (c2, 7, 7)),  # (B, c2, 7, 7)
            nn.ConvTranspose2d(c2, c1, kernel_size=4, stride=2, padding=1),  # (B, c1, 14, 14)
            nn.ReLU(),
            nn.ConvTranspose2d(c1, 1, kernel_size=4, stride=2, padding=1),  # (B, 1, 28, 28)
            nn.Sigmoid(),
        )

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Images (B, 1, 28, 28) -> (mu, logvar), each (B, D)."""
        h = self.encoder(x)  # (B, hidden_dim)
        return self.encoder_mu(h), self.encoder_logvar(h)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """Codes (B, D) -> pixel probabilities (B, 1, 28, 28)."""
        return self.decoder(z)

    def forward(
        self, x: torch.Tensor, eps: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        mu, logvar = self.encode(x)  # (B, D), (B, D)
        z = reparameterize(mu, logvar, eps)  # (B, D)
        return self.decode(z), mu, logvar
