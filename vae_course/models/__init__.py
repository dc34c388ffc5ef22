"""The course's models, and a registry that rebuilds one from its name and config (for checkpoints)."""

from __future__ import annotations

import dataclasses

import torch
from torch import nn

from ..classifier import ClassifierConfig, FashionClassifier
from .autoencoder import MLPAutoencoder, MLPAutoencoderConfig
from .conv_vae import ConvVAE, ConvVAEConfig
from .dcgan import DCGAN, DCGANConfig
from .ddpm import DDPM, DDPMConfig
from .mlp_vae import MLPVAE, MLPVAEConfig

# name -> (model class, config class); the name is what checkpoints and the CLI use
MODELS: dict[str, tuple[type[nn.Module], type]] = {
    "mlp_autoencoder": (MLPAutoencoder, MLPAutoencoderConfig),
    "mlp_vae": (MLPVAE, MLPVAEConfig),
    "conv_vae": (ConvVAE, ConvVAEConfig),
    "dcgan": (DCGAN, DCGANConfig),
    "ddpm": (DDPM, DDPMConfig),
    "classifier": (FashionClassifier, ClassifierConfig),
}
AUTOENCODERS = ("mlp_autoencoder", "mlp_vae", "conv_vae")  # the models with encode(x) and decode(z)
VAES = ("mlp_vae", "conv_vae")  # the AUTOENCODERS whose encode returns (mu, logvar): see is_vae


def model_name(model: nn.Module) -> str:
    """The registry name of a model instance."""
    for name, (cls, _) in MODELS.items():
        if type(model) is cls:
            return name
    raise ValueError(f"{type(model).__name__} is not one of the course's models {sorted(MODELS)}")


def build_config(name: str, **config) -> object:
    """The config of model ``name`` from keyword arguments; ``ValueError`` for an unknown name or option."""
    if name not in MODELS:
        raise ValueError(f"unknown model {name!r}; choose one of {sorted(MODELS)}")
    config_cls = MODELS[name][1]
    fields = {f.name for f in dataclasses.fields(config_cls)}
    unknown = set(config) - fields
    if unknown:
        raise ValueError(f"{name} has no option(s) {sorted(unknown)}; it takes {sorted(fields)}")
    if isinstance(config.get("channels"), list):  # a checkpoint stores a tuple as a list
        config["channels"] = tuple(config["channels"])
    return config_cls(**config)


def build_model(name: str, **config) -> nn.Module:
    """Build a model by registry name, e.g. ``build_model("mlp_vae", hidden_dim=400)``."""
    config = build_config(name, **config)  # checks the name first
    return MODELS[name][0](config)


@torch.no_grad()
def decode(model: nn.Module, z: torch.Tensor) -> torch.Tensor:
    """Images for codes: ``model.decode(z)`` where the model is, returned on the CPU without gradients.

    It leaves the model as it was: same device, same train/eval mode (the course's models have no
    dropout or batch norm, so the mode does not change what they decode).

    Args:
        model: any model with ``decode(z)``, e.g. from :func:`build_model` or :func:`~vae_course.load_or_train`.
        z: codes (N, D), on any device.

    Returns:
        Images (N, 1, 28, 28) in [0, 1], on the CPU.
    """
    parameter = next(model.parameters(), None)
    device = parameter.device if parameter is not None else z.device
    return model.decode(z.to(device)).cpu()  # (N, 1, 28, 28)


def is_vae(model: nn.Module) -> bool:
    """True for models whose ``encode`` returns ``(mu, logvar)``."""
    return isinstance(model, (MLPVAE, ConvVAE))


__all__ = [
    "AUTOENCODERS",
    "DCGAN",
    "DDPM",
    "MLPVAE",
    "MODELS",
    "VAES",
    "ClassifierConfig",
    "ConvVAE",
    "ConvVAEConfig",
    "DCGANConfig",
    "DDPMConfig",
    "FashionClassifier",
    "MLPAutoencoder",
    "MLPAutoencoderConfig",
    "MLPVAEConfig",
    "build_config",
    "build_model",
    "decode",
    "is_vae",
    "model_name",
]
