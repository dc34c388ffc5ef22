"""The course's models, and a registry that rebuilds one from its name and config (for checkpoints)."""

from __future__ import annotations

import dataclasses

from torch import nn

from .autoencoder import AutoencoderConfig, MLPAutoencoder
from .conv_vae import ConvVAE, ConvVAEConfig
from .mlp_vae import MLPVAE, MLPVAEConfig

# name -> (model class, config class); the name is what checkpoints and the CLI use
MODELS: dict[str, tuple[type[nn.Module], type]] = {
    "mlp_autoencoder": (MLPAutoencoder, AutoencoderConfig),
    "mlp_vae": (MLPVAE, MLPVAEConfig),
    "conv_vae": (ConvVAE, ConvVAEConfig),
}


def model_name(model: nn.Module) -> str:
    """The registry name of a model instance."""
    for name, (cls, _) in MODELS.items():
        if type(model) is cls:
            return name
    raise ValueError(f"{type(model).__name__} is not one of the course's models {sorted(MODELS)}")


def build_model(name: str, **config) -> nn.Module:
    """Build a model by registry name, e.g. ``build_model("mlp_vae", hidden_dim=400)``."""
    if name not in MODELS:
        raise ValueError(f"unknown model {name!r}; choose one of {sorted(MODELS)}")
    cls, config_cls = MODELS[name]
    fields = {f.name for f in dataclasses.fields(config_cls)}
    unknown = set(config) - fields
    if unknown:
        raise ValueError(f"{name} has no option(s) {sorted(unknown)}; it takes {sorted(fields)}")
    if "channels" in config:
        config["channels"] = tuple(config["channels"])
    return cls(config_cls(**config))


def is_vae(model: nn.Module) -> bool:
    """True for models whose ``encode`` returns ``(mu, logvar)``."""
    return not isinstance(model, MLPAutoencoder)


__all__ = [
    "MODELS",
    "AutoencoderConfig",
    "ConvVAE",
    "ConvVAEConfig",
    "MLPAutoencoder",
    "MLPVAE",
    "MLPVAEConfig",
    "build_model",
    "is_vae",
    "model_name",
]
