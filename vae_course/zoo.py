"""The models the book shows: their training recipes, and the small checkpoints shipped with the package.

Each recipe is trained by the CLI (``python -m vae_course train --recipe NAME``), which writes
``NAME.pt`` and a model card ``NAME.json`` (the command, seed, epochs and test metrics). The book
calls :func:`load_or_train`: load the shipped checkpoint when present, else train with the recipe.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import nn

from .checkpoints import load_checkpoint
from .models import build_model
from .train import TrainConfig

PRETRAINED_DIR = Path(__file__).parent / "pretrained"


@dataclass(frozen=True)
class Recipe:
    model: str  # registry name in vae_course.models.MODELS
    model_config: dict = field(default_factory=dict)  # keyword arguments of the model's config
    train: TrainConfig = TrainConfig()
    description: str = ""


RECIPES: dict[str, Recipe] = {
    "autoencoder_2d": Recipe(
        "mlp_autoencoder",
        {"hidden_dim": 200, "latent_dim": 2},
        TrainConfig(epochs=10, lr=1e-3, batch_size=128, patience=3),
        "plain MLP autoencoder 784-200-2: a latent space small enough to plot",
    ),
    "autoencoder_20d": Recipe(
        "mlp_autoencoder",
        {"hidden_dim": 200, "latent_dim": 20},
        TrainConfig(epochs=10, lr=1e-3, batch_size=128, patience=3),
        "plain undercomplete MLP autoencoder 784-200-20, the starting point",
    ),
    "mlp_vae_20d": Recipe(
        "mlp_vae",
        {"hidden_dim": 200, "latent_dim": 20},
        TrainConfig(epochs=10, lr=3e-4, batch_size=128),
        "MLP VAE 784-200-20, Adam lr 3e-4, batch 128, 10 epochs, BCE + KL",
    ),
    "conv_vae_2d": Recipe(
        "conv_vae",
        {"latent_dim": 2},
        TrainConfig(epochs=30, lr=1e-3, batch_size=128, patience=3),
        "convolutional VAE with a 2-D latent space, Adam lr 1e-3, batch 128, up to 30 epochs",
    ),
    "conv_vae_12d": Recipe(
        "conv_vae",
        {"latent_dim": 12},
        TrainConfig(epochs=30, lr=1e-3, batch_size=128, patience=3),
        "convolutional VAE with a 12-D latent space, Adam lr 1e-3, batch 128, up to 30 epochs",
    ),
}


def pretrained_path(name: str) -> Path:
    """Where the shipped checkpoint of recipe ``name`` lives (it may not exist)."""
    if name not in RECIPES:
        raise ValueError(f"unknown recipe {name!r}; choose one of {sorted(RECIPES)}")
    return PRETRAINED_DIR / f"{name}.pt"


def model_card(name: str) -> dict:
    """The model card written next to a shipped checkpoint (command, seed, epochs, test metrics)."""
    return json.loads(pretrained_path(name).with_suffix(".json").read_text())


def build_recipe_model(name: str) -> nn.Module:
    recipe = RECIPES[name]
    torch.manual_seed(recipe.train.seed)  # the same initial weights as the CLI
    return build_model(recipe.model, **recipe.model_config)


def load_or_train(name: str, device: str | torch.device | None = None, progress: bool = False):
    """The model of recipe ``name``: the shipped checkpoint if present, else trained now.

    Returns:
        ``(model, card)``: the model in eval mode, and its model card (for a model trained now,
        the history and the recipe, without test metrics).
    """
    path = pretrained_path(name)
    if path.exists():
        model, _ = load_checkpoint(path, expected_model=RECIPES[name].model, device=device or "cpu")
        return model, model_card(name)
    from .data import load_fashion_mnist, train_val_split
    from .train import fit

    recipe = RECIPES[name]
    train, val = train_val_split(load_fashion_mnist("train"), seed=recipe.train.seed)
    model = build_recipe_model(name)
    history = fit(model, train, val, recipe.train, device=device, progress=progress)
    return model, {"recipe": name, "history": history.to_dict(), "trained_now": True}
