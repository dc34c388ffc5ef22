"""The models the book shows: their training recipes, and the small checkpoints shipped with the package.

:func:`train_recipe` is the one place that trains a recipe, measures it on the test set and
writes its checkpoint ``NAME.pt`` with a model card ``NAME.json`` (the command, seed, epochs and
test metrics). The CLI (``python -m vae_course train --recipe NAME``) calls it, and so does
:func:`load_or_train`, which the book calls: load the shipped checkpoint when present, else train.
"""

from __future__ import annotations

import dataclasses
import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import nn

from .checkpoints import environment_metadata, load_checkpoint, save_checkpoint
from .classifier import ClassifierTrainConfig, fit_classifier
from .files import atomic_paths, check_output_path
from .models import AUTOENCODERS, VAES, build_config, build_model, is_vae
from .train import TrainConfig, average_loss_terms, fit, upgrade_train_config
from .train_ddpm import DDPMTrainConfig, fit_ddpm
from .train_gan import GANTrainConfig, fit_gan
from .validation import count_of, require_int

PRETRAINED_DIR = Path(__file__).parent / "pretrained"


# model -> (its fit function, its training config class); autoencoders and VAEs use fit and TrainConfig
TRAINERS = {
    "dcgan": (fit_gan, GANTrainConfig),
    "ddpm": (fit_ddpm, DDPMTrainConfig),
    "classifier": (fit_classifier, ClassifierTrainConfig),
}
VAL_SIZE = 5000  # validation images split off the training set by default (a fifth of a smaller set)
IWAE_IMAGES = 1000  # test images of a card's IWAE estimate by default (all of a smaller test set)
FRECHET_SAMPLES = 1000  # samples per seed in a model card's Fréchet distances
FRECHET_SEEDS = (0, 1, 2)  # one distance per seed: their spread is the sampling noise
DDPM_CARD_SAMPLER = {"sampler": "ddim", "ddim_steps": 50}  # the DDPM's samples for its Fréchet distance
BITS_PER_DIM_IMAGES = 100  # first test images for the DDPM's bits/dim (all T terms each)


def default_train_config(model: str):
    """The default training config of a model: :class:`TrainConfig` for the autoencoders and VAEs."""
    return TRAINERS[model][1]() if model in TRAINERS else TrainConfig()


@dataclass(frozen=True)
class Recipe:
    model: str  # registry name in vae_course.models.MODELS
    model_config: dict = field(default_factory=dict)  # keyword arguments of the model's config
    train: object = TrainConfig()  # TrainConfig, or the model's config in TRAINERS
    description: str = ""
    frechet: bool = False  # a VAE's card also records its samples' Fréchet distances (the GAN's and DDPM's always do)

    def __post_init__(self):
        build_config(self.model, **self.model_config)  # a ValueError names a bad model or option
        expected = type(default_train_config(self.model))
        if not isinstance(self.train, expected):
            raise ValueError(
                f"a {self.model} recipe trains with a {expected.__name__}, got {type(self.train).__name__}"
            )  # noqa: TRY004 (one error type for bad configs)
        if self.frechet and self.model not in VAES:
            raise ValueError(f"frechet is for a VAE's card; a {self.model} has none or always has one")


MLP_VAE_LATENT_SIZES = (2, 5, 10, 20, 50)  # one recipe mlp_vae_{D}d each: chapter 9's latent-size sweep


def _mlp_vae_recipe(latent_dim: int) -> Recipe:
    """The MLP VAE of chapter 6 (784-200-D) with a latent space of ``latent_dim`` dimensions."""
    return Recipe(
        "mlp_vae",
        {"hidden_dim": 200, "latent_dim": latent_dim},
        TrainConfig(epochs=10, lr=3e-4, batch_size=128),
        f"MLP VAE 784-200-{latent_dim}, Adam lr 3e-4, batch 128, 10 epochs, BCE + KL",
    )


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
    **{f"mlp_vae_{d}d": _mlp_vae_recipe(d) for d in MLP_VAE_LATENT_SIZES},
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
        frechet=True,  # chapter 10 compares it with the GAN and the DDPM
    ),
    "classifier": Recipe(
        "classifier",
        {},
        ClassifierTrainConfig(epochs=5, lr=1e-3, batch_size=128),
        "CNN classifier (two conv layers, 128 features): its features define the Fréchet distance",
    ),
    "dcgan": Recipe(
        "dcgan",
        {"noise_dim": 32},
        GANTrainConfig(epochs=12, lr=2e-4, batch_size=128),
        "DCGAN, 32-D noise, non-saturating loss, Adam lr 2e-4 (beta1 0.5), batch 128, 12 epochs",
    ),
    "ddpm": Recipe(
        "ddpm",
        {"timesteps": 200, "schedule": "cosine"},
        DDPMTrainConfig(epochs=5, lr=1e-3, batch_size=128),
        "DDPM, T = 200 cosine schedule, small U-Net, noise-prediction loss, Adam lr 1e-3, batch 128, 5 epochs",
    ),
}


def pretrained_path(name: str) -> Path:
    """Where the shipped checkpoint of recipe ``name`` lives (it may not exist)."""
    return PRETRAINED_DIR / f"{_recipe(name)[0]}.pt"


def model_card(name: str) -> dict:
    """The model card written next to a shipped checkpoint (command, seed, epochs, test metrics)."""
    card = json.loads(pretrained_path(name).with_suffix(".json").read_text())
    card["train_config"] = upgrade_train_config(card["train_config"])  # cards written before a rename
    return card


def _recipe(recipe: str | Recipe) -> tuple[str | None, Recipe]:
    """``(name, recipe)`` for a recipe name or a :class:`Recipe` (whose name is None)."""
    if isinstance(recipe, Recipe):
        return None, recipe
    if recipe not in RECIPES:
        raise ValueError(f"unknown recipe {recipe!r}; choose one of {sorted(RECIPES)}")
    return recipe, RECIPES[recipe]


def evaluate_on_test_set(
    model: nn.Module, images: torch.Tensor, iwae_samples: int, iwae_images: int, device, seed: int = 0
) -> dict:
    """What a model card records about the test set: -ELBO and its terms, and the IWAE estimate.

    A plain autoencoder gets its mean reconstruction BCE only. ``iwae_samples=0`` skips the IWAE.
    """
    from .evaluate import evaluate_negative_elbo, iwae_negative_log_likelihood
    from .models import model_name

    if model_name(model) not in AUTOENCODERS:
        raise ValueError(f"evaluate measures autoencoders and VAEs; a {model_name(model)} card has its own metrics")
    if not is_vae(model):
        reconstruction, _ = average_loss_terms(model.to(device), images.to(device))
        return {"test_reconstruction_bce": reconstruction, "test_images": len(images)}
    metrics = {f"test_{k}": v for k, v in evaluate_negative_elbo(model, images, device=device, seed=seed).items()}
    metrics["test_images"] = len(images)
    if iwae_samples > 0:
        subset = images[:iwae_images]
        metrics["test_iwae_nll"] = iwae_negative_log_likelihood(model, subset, iwae_samples, device=device, seed=seed)
        metrics.update(iwae_samples=iwae_samples, iwae_images=len(subset))
    metrics["eval_seed"] = seed
    return metrics


def frechet_metrics(model: nn.Module, test_images: torch.Tensor, device, **sampler_options) -> dict:
    """A card's Fréchet distances: :data:`FRECHET_SAMPLES` samples for each of :data:`FRECHET_SEEDS`.

    Scored against ``test_images`` (the whole test set) in the features of the shipped classifier
    (:func:`load_or_train` ``("classifier")``), whose test accuracy the card records with them.
    ``sampler_options`` (``sampler``, ``ddim_steps``) for a DDPM, recorded too.
    """
    from .compare import frechet_distances, summarise

    classifier, classifier_card = load_or_train("classifier", device=device)
    distances = frechet_distances(
        model, classifier, test_images, FRECHET_SAMPLES, FRECHET_SEEDS, device, **sampler_options
    )
    summary = summarise(distances)
    return {
        "frechet_distance": summary["mean"],
        "frechet_distance_std": summary["std"],
        "frechet_distances": summary["values"],
        "frechet_samples": FRECHET_SAMPLES,
        "frechet_seeds": list(FRECHET_SEEDS),
        "classifier_test_accuracy": classifier_card["metrics"]["test_accuracy"],
        **sampler_options,
    }


def evaluate_new_model(model: nn.Module, test, device, data_root=None, seed: int = 0) -> dict:
    """The card's test metrics of the classifier (accuracy), the GAN and the DDPM (Fréchet distances, bits/dim)."""
    from .classifier import accuracy
    from .diffusion import bits_per_dim
    from .models import model_name

    name = model_name(model)
    model.to(device).eval()
    if name == "classifier":
        return {"test_accuracy": accuracy(model, test, device), "test_images": len(test), "eval_seed": seed}
    options = DDPM_CARD_SAMPLER if name == "ddpm" else {}
    metrics = {**frechet_metrics(model, test.images, device, **options), "test_images": len(test), "eval_seed": seed}
    if name == "ddpm":
        images = test.images[:BITS_PER_DIM_IMAGES]
        metrics["bits_per_dim"] = bits_per_dim(model, images, model.betas, seed=seed, device=device)
        metrics["bits_per_dim_images"] = len(images)
    return metrics


def measure_recipe(
    model: nn.Module, recipe: Recipe, test, device, data_root=None, iwae_samples: int = 1000, iwae_images: int = 1000
) -> dict:
    """The test metrics a recipe's model card records: :func:`evaluate_new_model` for the classifier,
    the GAN and the DDPM; :func:`evaluate_on_test_set` for the autoencoders and VAEs, with
    :func:`frechet_metrics` too when the recipe asks for them."""
    if recipe.model in TRAINERS:
        return evaluate_new_model(model, test, device, data_root)
    metrics = evaluate_on_test_set(model, test.images, iwae_samples, iwae_images, device)
    if recipe.frechet:
        metrics.update(frechet_metrics(model, test.images, device))
    return metrics


def remeasure_checkpoint(
    checkpoint: str | os.PathLike,
    device: str | torch.device = "cpu",
    data_root: str | os.PathLike | None = None,
    command: str | None = None,
) -> dict:
    """Measure a recipe's checkpoint again with the recipe's current measures, without retraining it.

    For a metric added to a recipe's card (e.g. ``frechet``) or a measure that changed: the card
    beside ``checkpoint`` (``.json``) and the checkpoint's own copy of the metrics are rewritten
    (atomically, both or neither); the weights and the training record (command, config, history,
    times) are kept, and the card records ``command`` as ``metrics_command``. The IWAE estimate, if
    the card has one, is measured again with the card's ``iwae_samples`` and ``iwae_images``.

    Returns:
        The new card.
    """
    from .data import load_fashion_mnist

    checkpoint = Path(checkpoint)
    card_path = checkpoint.with_suffix(".json")
    card = json.loads(card_path.read_text())
    if card.get("recipe") not in RECIPES:
        raise ValueError(f"{card_path} names no recipe of the zoo: remeasure measures checkpoints trained from one")
    recipe = RECIPES[card["recipe"]]
    model, _ = load_checkpoint(checkpoint, expected_model=recipe.model, device=device)  # validates the file
    payload = torch.load(checkpoint, map_location="cpu", weights_only=True)  # rewritten as it is, but its metrics
    old = card["metrics"]
    test = load_fashion_mnist("test", root=data_root)
    metrics = measure_recipe(
        model, recipe, test, device, data_root, old.get("iwae_samples", 0), old.get("iwae_images", 1)
    )
    payload["metadata"]["metrics"] = metrics
    card = {**card, "metrics": metrics, "metrics_command": command}
    with atomic_paths(checkpoint, card_path) as (checkpoint_path, new_card_path):
        torch.save(payload, checkpoint_path)
        new_card_path.write_text(json.dumps(card, indent=2) + "\n")
    return card


def train_recipe(
    recipe: str | Recipe,
    out: str | os.PathLike | None = None,
    *,
    name: str | None = None,
    data_root: str | os.PathLike | None = None,
    device: str | torch.device | None = None,
    eval_device: str | torch.device | None = None,
    train_subset: int | None = None,
    val_size: int | None = None,
    iwae_samples: int = 1000,
    iwae_images: int | None = None,
    progress: bool = False,
    command: str | None = None,
) -> tuple[nn.Module, dict]:
    """Train a recipe, measure it on the test set, and with ``out`` write its checkpoint and model card.

    Args:
        recipe: a name in :data:`RECIPES`, or a :class:`Recipe` (the CLI's ``--model`` and flags).
        out: checkpoint path (``.pt``); the model card goes beside it (``.json``). Both are written
            atomically, after training: on any error neither is left behind, half written or not.
        name: the recipe's name recorded in the card, for a :class:`Recipe` changed from one in
            :data:`RECIPES` (the CLI's ``--recipe NAME --epochs 1``); a name given as ``recipe`` is used as is.
        data_root: folder holding ``FashionMNIST/raw/``; see :func:`~vae_course.load_fashion_mnist`.
        device: where to train; default :func:`~vae_course.resolve_device`.
        eval_device: where to measure the card's metrics; default ``device``. Random draws (samples,
            noise) differ between a CPU and a GPU, so ``"cpu"`` makes a GPU-trained card reproducible anywhere.
        train_subset: train on the first N training images only (smoke tests); at most as many as there are.
        val_size: validation images split off the training set; default :data:`VAL_SIZE`, or a fifth
            of a smaller set. A given size must leave at least one training image.
        iwae_samples, iwae_images: the IWAE estimate in the card; ``iwae_samples=0`` skips it.
            ``iwae_images`` defaults to :data:`IWAE_IMAGES` (fewer if the test set is smaller); a
            given number must not exceed the test set.
        progress: progress bars while training.
        command: how the run was started, recorded in the card (the CLI passes its command line).

    Returns:
        ``(model, card)``: the trained model in eval mode, and its model card.

    Raises:
        ValueError: an unknown recipe, a bad size (one the data cannot supply included), or ``out`` is
            a folder or the card's own path; raised before training, so nothing is written.
        NonFiniteLossError: training diverged; nothing is written.
    """
    from .data import load_fashion_mnist, train_val_split
    from .device import resolve_device

    recipe_name, recipe = _recipe(recipe)
    name = recipe_name or name
    if out is not None:
        out = check_output_path(out)
        if out.suffix == ".json":
            raise ValueError(f"the checkpoint {out} cannot end in .json: its model card goes beside it as .json")
        check_output_path(out.with_suffix(".json"))
    if train_subset is not None:
        require_int("train_subset", train_subset, 2)  # a training and a validation image
    if val_size is not None:
        require_int("val_size", val_size, 1)
    require_int("iwae_samples", iwae_samples, 0)
    if iwae_images is not None:
        require_int("iwae_images", iwae_images, 1)
    device = resolve_device(device)
    data = load_fashion_mnist("train", root=data_root)
    test = load_fashion_mnist("test", root=data_root)
    if train_subset is not None:
        data = data.subset(count_of("train_subset", train_subset, 0, len(data)))
    if val_size is None:
        val_size = max(1, min(VAL_SIZE, len(data) // 5))
    train, val = train_val_split(data, val_size=val_size, seed=recipe.train.seed)  # ValueError: no training left
    iwae_images = count_of("iwae_images", iwae_images, IWAE_IMAGES, len(test))
    torch.manual_seed(recipe.train.seed)  # the initial weights
    model = build_model(recipe.model, **recipe.model_config)
    trainer = TRAINERS[recipe.model][0] if recipe.model in TRAINERS else fit
    start = time.perf_counter()
    history = trainer(model, train, val, recipe.train, device=device, progress=progress)
    train_seconds = time.perf_counter() - start
    eval_device = device if eval_device is None else resolve_device(eval_device)
    metrics = measure_recipe(model, recipe, test, eval_device, data_root, iwae_samples, iwae_images)
    metadata = {
        "command": command,
        "recipe": name,
        "seed": recipe.train.seed,
        "epochs_run": len(history.epochs),
        "best_epoch": history.best_epoch,
        "train_config": dataclasses.asdict(recipe.train),
        "train_images": len(train),
        "val_images": len(val),
        "device": str(device),
        "metrics": metrics,
    }
    if recipe.model in TRAINERS:  # the VAEs' cards predate this field: their time is the epochs' sum
        metadata["train_seconds"] = train_seconds
    if eval_device != device:
        metadata["eval_device"] = str(eval_device)
    card = {**metadata, "model": recipe.model, "model_config": dataclasses.asdict(model.config)}
    card.update(history=history.to_dict(), **environment_metadata())
    if out is not None:
        with atomic_paths(out, out.with_suffix(".json")) as (checkpoint_path, card_path):
            save_checkpoint(checkpoint_path, model, metadata)
            card_path.write_text(json.dumps(card, indent=2) + "\n")
    return model, card


def load_or_train(name: str, device: str | torch.device | None = None, progress: bool = False):
    """The model of recipe ``name``: the shipped checkpoint if present, else trained now.

    Returns:
        ``(model, card)``: the model in eval mode, and its model card; a model trained now gets the
        card :func:`train_recipe` writes (nothing is written to disk).
    """
    path = pretrained_path(name)
    if path.exists():
        model, _ = load_checkpoint(path, expected_model=RECIPES[name].model, device=device or "cpu")
        return model, model_card(name)
    return train_recipe(name, device=device, progress=progress, command=f"vae_course.load_or_train({name!r})")
