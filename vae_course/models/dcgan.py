"""A small DCGAN: a generator of transposed convolutions and a convolutional discriminator.

The generator maps noise z ~ N(0, I) to an image, 7x7 -> 14x14 -> 28x28, like the conv VAE's
decoder; the discriminator mirrors it, 28x28 -> 14x14 -> 7x7 -> one logit, "real or generated".
Following Radford et al. (2016): batch norm in the generator, leaky ReLUs in the discriminator.
The losses of the adversarial game are the pure functions at the end.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from ..validation import MAX_WIDTH, require_int


@dataclass(frozen=True)
class DCGANConfig:
    noise_dim: int = 32  # size of the generator's input z ~ N(0, I)
    channels: tuple[int, int] = (64, 32)  # generator feature maps at 7x7 and 14x14 (the discriminator's reversed)

    def __post_init__(self):
        require_int("noise_dim", self.noise_dim, 1, MAX_WIDTH)
        if not isinstance(self.channels, tuple) or len(self.channels) != 2:
            raise ValueError(f"channels must be a tuple of two feature-map counts, got {self.channels!r}")
        for channels in self.channels:
            require_int("channels", channels, 1, MAX_WIDTH)


class DCGAN(nn.Module):
    """Generator and discriminator in one module, so that one checkpoint holds the whole game.

    ``decode(z)`` is the generator (images in [0, 1], like a VAE's decoder) and ``latent_dim`` its
    noise size, so the library's sampling helpers work unchanged; ``discriminate(x)`` gives logits.
    """

    def __init__(self, config: DCGANConfig = DCGANConfig()):
        super().__init__()
        self.config = config
        self.latent_dim = config.noise_dim
        c7, c14 = config.channels
        self.generator = nn.Sequential(
            nn.Linear(config.noise_dim, c7 * 7 * 7),
            nn.BatchNorm1d(c7 * 7 * 7),
            nn.ReLU(),
            nn.Unflatten(1, (c7, 7, 7)),  # (B, c7, 7, 7)
            nn.ConvTranspose2d(c7, c14, kernel_size=4, stride=2, padding=1),  # (B, c14, 14, 14)
            nn.BatchNorm2d(c14),
            nn.ReLU(),
            nn.ConvTranspose2d(c14, 1, kernel_size=4, stride=2, padding=1),  # (B, 1, 28, 28)
            nn.Sigmoid(),  # pixels in [0, 1], the data's range
        )
        self.discriminator = nn.Sequential(
            nn.Conv2d(1, c14, kernel_size=4, stride=2, padding=1),  # (B, c14, 14, 14)
            nn.LeakyReLU(0.2),
            nn.Conv2d(c14, c7, kernel_size=4, stride=2, padding=1),  # (B, c7, 7, 7)
            nn.LeakyReLU(0.2),
            nn.Flatten(),  # (B, c7 * 49)
            nn.Linear(c7 * 7 * 7, 1),  # (B, 1)
        )

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """Noise (B, noise_dim) -> images (B, 1, 28, 28) in [0, 1]: the generator G(z)."""
        return self.generator(z)

    def discriminate(self, x: torch.Tensor) -> torch.Tensor:
        """Images (B, 1, 28, 28) -> logits (B,) of "x is real"; D(x) = sigmoid(logit)."""
        return self.discriminator(x).squeeze(1)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.decode(z)


def discriminator_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    r"""The discriminator's loss: binary cross-entropy, real images labelled 1, generated ones 0.

    :math:`-\log D(x) - \log(1 - D(G(z)))`, with :math:`-\log \sigma(l) = \mathrm{softplus}(-l)`
    and :math:`-\log(1 - \sigma(l)) = \mathrm{softplus}(l)` (stable for any logit).

    Args:
        real_logits: (B,) logits on real images.
        fake_logits: (B,) logits on generated images.

    Returns:
        A scalar: the sum of the two terms, each a mean over its batch.
    """
    return F.softplus(-real_logits).mean() + F.softplus(fake_logits).mean()


def generator_loss(fake_logits: torch.Tensor) -> torch.Tensor:
    r"""The non-saturating generator loss :math:`-\log D(G(z))`, mean over the batch.

    The minimax game would have the generator minimise :math:`\log(1 - D(G(z)))`, whose gradient
    vanishes exactly when the discriminator wins easily (early in training);
    :math:`-\log D(G(z))` has the same fixed point and a strong gradient there (Goodfellow et al., 2014).

    Args:
        fake_logits: (B,) discriminator logits on generated images.
    """
    return F.softplus(-fake_logits).mean()
