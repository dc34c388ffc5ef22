"""``python -m vae_course train|evaluate|sample``: the one place where arguments are parsed.

Bad input never ends in a traceback: a bad flag, a bad value (the configs' ``ValueError``), an
unreadable or foreign file, a full disk or a diverging run print one line ``error: ...`` and exit
with status 2, and every output is written atomically, so nothing partial is left behind.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import shlex
import sys
from pathlib import Path

import torch

from .models import MODELS

MAX_IMAGES = 10_000  # the size of the test set: a cap for --num-samples and the IWAE's images
MAX_IWAE_SAMPLES = 100_000  # importance samples per image; 5000 is the default of evaluate


class ArgumentParser(argparse.ArgumentParser):
    """argparse, except that a usage error is one line ``error: ...`` (status 2), as every other error."""

    def error(self, message: str):
        self.exit(2, f"error: {message} (see {self.prog} --help)\n")


def _int_type(low: int, high: int | None = None):
    """An argparse ``type`` for integers in ``[low, high]``."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
        if value < low or (high is not None and value > high):
            bounds = f"at least {low}" if high is None else f"between {low} and {high}"
            raise argparse.ArgumentTypeError(f"must be {bounds}, got {value}")
        return value

    return parse


POSITIVE = _int_type(1)
SEED = _int_type(0, 2**63 - 1)


def _add_data_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data-root", help="folder holding FashionMNIST/raw/ (default: $VAE_COURSE_DATA or ~/.cache/vae-course)"
    )
    parser.add_argument("--device", help="cpu, cuda, cuda:1, mps (default: the best available)")


def build_parser() -> argparse.ArgumentParser:
    parser = ArgumentParser(
        prog="python -m vae_course", description="Train, evaluate and sample the course's VAEs on Fashion-MNIST."
    )
    commands = parser.add_subparsers(dest="command", required=True)

    train = commands.add_parser(
        "train", help="train a model; writes OUT (.pt checkpoint) and a model card next to it (.json)"
    )
    what = train.add_mutually_exclusive_group()
    what.add_argument("--recipe", help="a named recipe from vae_course.zoo.RECIPES (sets model and hyperparameters)")
    what.add_argument("--model", choices=sorted(MODELS), help="model to train, if no --recipe")
    train.add_argument("--latent-dim", type=int, help="size of z")
    train.add_argument("--hidden-dim", type=int, help="width of the hidden layer(s)")
    train.add_argument("--epochs", type=int, help="maximum number of epochs")
    train.add_argument("--batch-size", type=int, help="images per step")
    train.add_argument("--lr", type=float, help="Adam learning rate")
    train.add_argument("--beta", type=float, help="weight of the KL term")
    train.add_argument("--patience", type=int, help="early stopping: epochs without a better validation loss")
    train.add_argument("--seed", type=SEED, help="random seed")
    train.add_argument(
        "--compile", action="store_true", default=None, help="torch.compile the training step (pays off on a GPU)"
    )
    train.add_argument(
        "--cuda-graph",
        action="store_true",
        default=None,
        help="on CUDA, record the whole training step as one CUDA graph (faster epochs; bench/README.md)",
    )
    train.add_argument(
        "--eval-device", help="where to measure the card's metrics (default: --device); cpu: reproducible anywhere"
    )
    train.add_argument(
        "--val-size",
        type=POSITIVE,
        help="validation images split off the training set (default: 5000, or a fifth of a smaller set)",
    )
    train.add_argument(
        "--train-subset", type=_int_type(2), help="train on only the first N training images (smoke tests)"
    )
    train.add_argument(
        "--iwae-samples",
        type=_int_type(0, MAX_IWAE_SAMPLES),
        default=1000,
        help="k for the IWAE estimate in the model card (0 to skip)",
    )
    train.add_argument(
        "--iwae-images",
        type=_int_type(1, MAX_IMAGES),
        help="test images for the IWAE estimate (default: 1000, or all of a smaller test set)",
    )
    train.add_argument("--out", required=True, type=Path, help="checkpoint path, e.g. runs/mlp_vae.pt")
    train.add_argument("--quiet", action="store_true", help="no progress bars")
    _add_data_args(train)

    evaluate = commands.add_parser("evaluate", help="print test -ELBO and the IWAE estimate of -log p(x)")
    evaluate.add_argument("checkpoint", type=Path)
    evaluate.add_argument(
        "--iwae-samples", type=_int_type(0, MAX_IWAE_SAMPLES), default=5000, help="k, importance samples per image"
    )
    evaluate.add_argument(
        "--iwae-images",
        type=_int_type(1, MAX_IMAGES),
        help="test images for the IWAE estimate (default: 1000, or all of fewer; 10000 for all)",
    )
    evaluate.add_argument("--test-subset", type=POSITIVE, help="evaluate -ELBO on only the first N test images")
    evaluate.add_argument("--seed", type=SEED, default=0)
    evaluate.add_argument("--json", action="store_true", help="print the metrics as JSON")
    _add_data_args(evaluate)

    remeasure = commands.add_parser(
        "remeasure",
        help="measure a recipe's checkpoint again with the recipe's measures, without retraining; "
        "rewrites the metrics of its model card (and of the checkpoint) and records this command there",
    )
    remeasure.add_argument("checkpoint", type=Path, help="a checkpoint trained from a recipe, its card beside it")
    _add_data_args(remeasure)

    sample = commands.add_parser(
        "sample", help="write PNG grids: samples from the prior, and for 2-D models the manifold"
    )
    sample.add_argument("checkpoint", type=Path)
    sample.add_argument("--num-samples", type=_int_type(1, MAX_IMAGES), default=64)
    sample.add_argument("--seed", type=SEED, default=0)
    sample.add_argument("--out", type=Path, default=Path("samples.png"), help="PNG path for the sample grid")
    sample.add_argument("--device", help="cpu, cuda, mps")
    return parser


def _recipe(args: argparse.Namespace):
    """The :class:`~vae_course.zoo.Recipe` the flags ask for: ``--recipe`` or ``--model``, then overrides."""
    from .train import TrainConfig
    from .zoo import RECIPES, Recipe, default_train_config

    if args.recipe:
        if args.recipe not in RECIPES:
            raise ValueError(f"unknown recipe {args.recipe!r}; choose one of {sorted(RECIPES)}")
        recipe = RECIPES[args.recipe]
    elif args.model:
        recipe = Recipe(args.model, {}, default_train_config(args.model))
    else:
        raise ValueError("train needs --recipe or --model")
    model_config = dict(recipe.model_config)
    for flag in ("latent_dim", "hidden_dim"):
        if getattr(args, flag) is not None:
            model_config[flag] = getattr(args, flag)
    overrides = {
        f.name: getattr(args, f.name)
        for f in dataclasses.fields(TrainConfig)
        if getattr(args, f.name, None) is not None
    }
    unknown = set(overrides) - {f.name for f in dataclasses.fields(recipe.train)}
    if unknown:  # e.g. --beta for the GAN
        raise ValueError(
            f"a {recipe.model} does not take {', '.join('--' + n.replace('_', '-') for n in sorted(unknown))}"
        )
    return dataclasses.replace(recipe, model_config=model_config, train=dataclasses.replace(recipe.train, **overrides))


def _device(name: str | None) -> torch.device:
    """The ``--device``, checked: a ``ValueError`` for a name PyTorch does not know or a device not present."""
    from .device import resolve_device

    try:
        device = resolve_device(name)
    except RuntimeError as err:
        raise ValueError(f"unknown device {name!r}: {err}".splitlines()[0]) from None
    available = {"cuda": torch.cuda.is_available, "mps": lambda: torch.backends.mps.is_available()}
    if device.type in available and not available[device.type]():
        raise ValueError(f"device {name!r} is not available on this machine")
    if device.type == "cuda" and device.index is not None and device.index >= torch.cuda.device_count():
        raise ValueError(
            f"device {name!r} is not available: this machine has {torch.cuda.device_count()} CUDA device(s)"
        )
    return device


def train_command(args: argparse.Namespace) -> None:
    from .zoo import train_recipe

    recipe = _recipe(args)
    _, card = train_recipe(
        recipe,
        args.out,
        name=args.recipe,
        data_root=args.data_root,
        device=_device(args.device),
        eval_device=None if args.eval_device is None else _device(args.eval_device),
        train_subset=args.train_subset,
        val_size=args.val_size,
        iwae_samples=args.iwae_samples,
        iwae_images=args.iwae_images,
        progress=not args.quiet,
        command="python -m vae_course " + shlex.join(args.argv),
    )
    print(f"wrote {args.out} and {args.out.with_suffix('.json')}")
    print(json.dumps(card["metrics"], indent=2))


def evaluate_command(args: argparse.Namespace) -> None:
    from .checkpoints import load_checkpoint
    from .data import load_fashion_mnist
    from .validation import count_of
    from .zoo import IWAE_IMAGES, evaluate_on_test_set

    device = _device(args.device)
    model, _ = load_checkpoint(args.checkpoint, device=device)
    test = load_fashion_mnist("test", root=args.data_root)
    images = test.images[: count_of("test_subset", args.test_subset, len(test), len(test))]
    iwae_images = count_of("iwae_images", args.iwae_images, IWAE_IMAGES, len(images))
    metrics = evaluate_on_test_set(model, images, args.iwae_samples, iwae_images, device, seed=args.seed)
    if args.json:
        print(json.dumps(metrics, indent=2))
        return
    for key, value in metrics.items():
        print(f"{key:>26}: {value:.3f}" if isinstance(value, float) else f"{key:>26}: {value}")


def remeasure_command(args: argparse.Namespace) -> None:
    from .zoo import remeasure_checkpoint

    card = remeasure_checkpoint(
        args.checkpoint, _device(args.device), args.data_root, command="python -m vae_course " + shlex.join(args.argv)
    )
    print(f"wrote {args.checkpoint} and {args.checkpoint.with_suffix('.json')}")
    print(json.dumps(card["metrics"], indent=2))


def sample_command(args: argparse.Namespace) -> None:
    from .checkpoints import load_checkpoint
    from .files import atomic_paths, check_output_path
    from .latent import manifold_grid, sample_images
    from .plotting import image_grid

    device = _device(args.device)
    outputs = [check_output_path(args.out)]
    model, _ = load_checkpoint(args.checkpoint, device=device)
    generator = torch.Generator(device=device).manual_seed(args.seed)
    figures = [image_grid(sample_images(model, args.num_samples, generator=generator, device=device))]
    if model.latent_dim == 2:  # a 2-D model also gets its manifold
        outputs.append(args.out.with_name(args.out.stem + "_manifold" + args.out.suffix))
        figures.append(image_grid(manifold_grid(model, 20, device=device), nrow=20))
    with atomic_paths(*outputs) as temporaries:  # both PNGs, or neither
        for figure, temporary in zip(figures, temporaries):
            figure.savefig(temporary, dpi=120, bbox_inches="tight")
    print("wrote " + ", ".join(str(p) for p in outputs))


def main(argv: list[str] | None = None) -> None:
    """Run one command; on bad input print one line ``error: ...`` and exit with status 2."""
    from .train import NonFiniteLossError

    parser = build_parser()
    args = parser.parse_args(argv)
    args.argv = sys.argv[1:] if argv is None else list(argv)  # recorded in the model card
    command = {
        "train": train_command,
        "evaluate": evaluate_command,
        "remeasure": remeasure_command,
        "sample": sample_command,
    }[args.command]
    try:
        command(args)
    except NonFiniteLossError as err:
        parser.exit(2, f"error: {err}; nothing was written\n")
    except (ValueError, OSError, MemoryError, torch.OutOfMemoryError) as err:  # configs, files, a full disk
        message = " ".join(str(err).split()) or type(err).__name__  # one line, however the error reads
        parser.exit(2, f"error: {message}\n")
