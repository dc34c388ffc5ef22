"""``python -m vae_course train|evaluate|sample``: the one place where arguments are parsed."""

from __future__ import annotations

import argparse
import dataclasses
import json
import shlex
import sys
from pathlib import Path

import torch

from .models import MODELS


def _add_data_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data-root", help="folder holding FashionMNIST/raw/ (default: $VAE_COURSE_DATA or ~/.cache/vae-course)")
    parser.add_argument("--device", help="cpu, cuda, cuda:1, mps (default: the best available)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m vae_course", description="Train, evaluate and sample the course's VAEs on Fashion-MNIST.")
    commands = parser.add_subparsers(dest="command", required=True)

    train = commands.add_parser("train", help="train a model; writes OUT (.pt checkpoint) and a model card next to it (.json)")
    train.add_argument("--recipe", help="a named recipe from vae_course.zoo.RECIPES (sets model and hyperparameters)")
    train.add_argument("--model", choices=sorted(MODELS), help="model to train, if no --recipe")
    train.add_argument("--latent-dim", type=int, help="size of z")
    train.add_argument("--hidden-dim", type=int, help="width of the hidden layer(s)")
    train.add_argument("--epochs", type=int, help="maximum number of epochs")
    train.add_argument("--batch-size", type=int, help="images per step")
    train.add_argument("--lr", type=float, help="Adam learning rate")
    train.add_argument("--beta", type=float, help="weight of the KL term")
    train.add_argument("--patience", type=int, help="early stopping: epochs without a better validation loss")
    train.add_argument("--seed", type=int, help="random seed")
    train.add_argument("--compile", action="store_true", default=None, help="torch.compile the training step (pays off on a GPU)")
    train.add_argument("--val-size", type=int, default=5000, help="validation images split off the training set")
    train.add_argument("--train-subset", type=int, help="train on only the first N training images (smoke tests)")
    train.add_argument("--iwae-samples", type=int, default=1000, help="k for the IWAE estimate in the model card (0 to skip)")
    train.add_argument("--iwae-images", type=int, default=1000, help="test images for the IWAE estimate")
    train.add_argument("--out", required=True, type=Path, help="checkpoint path, e.g. runs/mlp_vae.pt")
    train.add_argument("--quiet", action="store_true", help="no progress bars")
    _add_data_args(train)

    evaluate = commands.add_parser("evaluate", help="print test -ELBO and the IWAE estimate of -log p(x)")
    evaluate.add_argument("checkpoint", type=Path)
    evaluate.add_argument("--iwae-samples", type=int, default=5000, help="k, importance samples per image")
    evaluate.add_argument("--iwae-images", type=int, default=1000, help="test images for the IWAE estimate (10000 for all)")
    evaluate.add_argument("--test-subset", type=int, help="evaluate -ELBO on only the first N test images")
    evaluate.add_argument("--seed", type=int, default=0)
    evaluate.add_argument("--json", action="store_true", help="print the metrics as JSON")
    _add_data_args(evaluate)

    sample = commands.add_parser("sample", help="write PNG grids: samples from the prior, and for 2-D models the manifold")
    sample.add_argument("checkpoint", type=Path)
    sample.add_argument("--num-samples", type=int, default=64)
    sample.add_argument("--seed", type=int, default=0)
    sample.add_argument("--out", type=Path, default=Path("samples.png"), help="PNG path for the sample grid")
    sample.add_argument("--device", help="cpu, cuda, mps")
    return parser


def _train_setup(args: argparse.Namespace):
    from .train import TrainConfig
    from .zoo import RECIPES

    if args.recipe:
        if args.recipe not in RECIPES:
            raise SystemExit(f"unknown recipe {args.recipe!r}; choose one of {sorted(RECIPES)}")
        recipe = RECIPES[args.recipe]
        model_name, model_config, train_config = recipe.model, dict(recipe.model_config), recipe.train
    elif args.model:
        model_name, model_config, train_config = args.model, {}, TrainConfig()
    else:
        raise SystemExit("train needs --recipe or --model")
    for flag in ("latent_dim", "hidden_dim"):
        if getattr(args, flag) is not None:
            model_config[flag] = getattr(args, flag)
    overrides = {f.name: getattr(args, f.name) for f in dataclasses.fields(TrainConfig) if getattr(args, f.name, None) is not None}
    return model_name, model_config, dataclasses.replace(train_config, **overrides)


def _test_metrics(model, test_images, iwae_samples: int, iwae_images: int, device, seed: int = 0) -> dict:
    from .evaluate import evaluate_negative_elbo, iwae_negative_log_likelihood
    from .models import is_vae
    from .train import average_loss_terms

    if not is_vae(model):
        reconstruction, _ = average_loss_terms(model.to(device), test_images.to(device))
        return {"test_reconstruction_bce": reconstruction, "test_images": len(test_images)}
    metrics = {f"test_{k}": v for k, v in evaluate_negative_elbo(model, test_images, device=device, seed=seed).items()}
    metrics["test_images"] = len(test_images)
    if iwae_samples > 0:
        subset = test_images[:iwae_images]
        metrics["test_iwae_nll"] = iwae_negative_log_likelihood(model, subset, iwae_samples, device=device, seed=seed)
        metrics.update(iwae_samples=iwae_samples, iwae_images=len(subset))
    metrics["eval_seed"] = seed
    return metrics


def train_command(args: argparse.Namespace) -> None:
    from .checkpoints import save_checkpoint
    from .data import load_fashion_mnist, train_val_split
    from .device import resolve_device
    from .models import build_model
    from .train import fit

    model_name, model_config, config = _train_setup(args)
    device = resolve_device(args.device)
    data = load_fashion_mnist("train", root=args.data_root)
    if args.train_subset:
        data = data.subset(args.train_subset)
    train, val = train_val_split(data, val_size=min(args.val_size, len(data) // 5), seed=config.seed)
    torch.manual_seed(config.seed)
    model = build_model(model_name, **model_config)
    history = fit(model, train, val, config, device=device, progress=not args.quiet)
    test = load_fashion_mnist("test", root=args.data_root)
    metrics = _test_metrics(model, test.images, args.iwae_samples, args.iwae_images, device)
    metadata = {
        "command": "python -m vae_course " + shlex.join(sys.argv[1:]),
        "recipe": args.recipe,
        "seed": config.seed,
        "epochs_run": len(history.epochs),
        "best_epoch": history.best_epoch,
        "train_config": dataclasses.asdict(config),
        "train_images": len(train),
        "val_images": len(val),
        "device": str(device),
        "metrics": metrics,
    }
    path = save_checkpoint(args.out, model, metadata)
    card = {**metadata, "model": model_name, "model_config": dataclasses.asdict(model.config), "history": history.to_dict()}
    from .checkpoints import environment_metadata

    card.update(environment_metadata())
    path.with_suffix(".json").write_text(json.dumps(card, indent=2) + "\n")
    print(f"wrote {path} and {path.with_suffix('.json')}")
    print(json.dumps(metrics, indent=2))


def evaluate_command(args: argparse.Namespace) -> None:
    from .checkpoints import load_checkpoint
    from .data import load_fashion_mnist
    from .device import resolve_device

    device = resolve_device(args.device)
    model, _ = load_checkpoint(args.checkpoint, device=device)
    test = load_fashion_mnist("test", root=args.data_root)
    images = test.images[: args.test_subset] if args.test_subset else test.images
    metrics = _test_metrics(model, images, args.iwae_samples, args.iwae_images, device, seed=args.seed)
    if args.json:
        print(json.dumps(metrics, indent=2))
        return
    for key, value in metrics.items():
        print(f"{key:>26}: {value:.3f}" if isinstance(value, float) else f"{key:>26}: {value}")


def sample_command(args: argparse.Namespace) -> None:
    from .checkpoints import load_checkpoint
    from .device import resolve_device
    from .latent import manifold_grid, sample_images
    from .plotting import image_grid, save_figure

    device = resolve_device(args.device)
    model, _ = load_checkpoint(args.checkpoint, device=device)
    generator = torch.Generator(device=device).manual_seed(args.seed)
    images = sample_images(model, args.num_samples, generator=generator, device=device)
    written = [save_figure(image_grid(images), args.out)]
    if model.latent_dim == 2:
        written.append(save_figure(image_grid(manifold_grid(model, 20, device=device), nrow=20), args.out.with_name(args.out.stem + "_manifold.png")))
    print("wrote " + ", ".join(str(p) for p in written))


def main(argv: list[str] | None = None) -> None:
    from .checkpoints import CheckpointError
    from .data import DataCorruptError, DataNotFoundError

    parser = build_parser()
    args = parser.parse_args(argv)
    command = {"train": train_command, "evaluate": evaluate_command, "sample": sample_command}[args.command]
    try:
        command(args)
    except (DataNotFoundError, DataCorruptError, CheckpointError, FileNotFoundError) as err:
        parser.exit(2, f"error: {err}\n")  # the documented errors: a message, not a traceback
