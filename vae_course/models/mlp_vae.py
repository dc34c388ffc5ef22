"""The MLP VAE: 784-200-20 by default, as in the student project (784-400-20 is PyTorch's example)."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from ..data import IMAGE_SHAPE, IMAGE_SIZE
from ..gaussian import reparameterize
from ..validation import MAX_WIDTH, require_int


@dataclass(frozen=True)
class MLPVAEConfig:
    input_dim: int = IMAGE_SIZE  # pixels per image, 28 * 28
    hidden_dim: int = 200  # one hidden ReLU layer in the encoder and in the decoder
    latent_dim: int = 20  # dimensions of z

    def __post_init__(self):
        for name in ("input_dim", "hidden_dim", "latent_dim"):
            require_int(name, getattr(self, name), 1, MAX_WIDTH)


class MLPVAE(nn.Module):
    """x -> (mu, logvar) -> z -> x_hat with one hidden layer on each side.

    ``forward(x)`` returns ``(x_hat, mu, logvar)``; the loss lives in :mod:`vae_course.losses`.
    """

    def __init__(self, config: MLPVAEConfig = MLPVAEConfig()):
        super().__init__()
        self.config = config
        self.latent_dim = config.latent_dim
        self.encoder_hidden = nn.Linear(config.input_dim, config.hidden_dim)
        self.encoder_mu = nn.Linear(config.hidden_dim, config.latent_dim)
        self.encoder_logvar = nn.Linear(config.hidden_dim, config.latent_dim)
        self.decoder_hidden = nn.Linear(config.latent_dim, config.hidden_dim)
        self.decoder_out = nn.Linear(config.hidden_dim, config.input_dim)

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Images (B, 1, 28, 28) -> (mu, logvar), each (B, D)."""
        h = torch.relu(self.encoder_hidden(x.flatten(start_dim=1)))  # (B, H)
        return self.encoder_mu(h), self.encoder_logvar(h)  # (B, D), (B, D)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """Codes (B, D) -> pixel probabilities (B, 1, 28, 28)."""
        h = torch.relu(self.decoder_hidden(z))  # (B, H)
        return torch.sigmoid(self.decoder_out(h)).view(-1, *IMAGE_SHAPE)  # (B, 1, 28, 28)

    def forward(
        self, x: torch.Tensor, eps: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        mu, logvar = self.encode(x)  # (B, D), (B, D)
        z = reparameterize(mu, logvar, eps)  # (B, D)
        return self.decode(z), mu, logvar
