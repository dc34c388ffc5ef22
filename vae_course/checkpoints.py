"""Checkpoints: weights, the model's config, and training metadata in one file.

A checkpoint is a plain dict saved with ``torch.save``; it holds only tensors, strings, numbers,
lists and dicts, so it loads with ``torch.load(weights_only=True)`` (no pickled code runs).
"""

from __future__ import annotations

import dataclasses
import os
import platform
from pathlib import Path

import torch
from torch import nn

from .files import atomic_paths
from .models import MODELS, build_model, model_name
from .train import upgrade_train_config

FORMAT = "vae-course-checkpoint"
FORMAT_VERSION = 1


class CheckpointError(ValueError):
    """The file is not a vae-course checkpoint, or not one for the requested model."""


def environment_metadata() -> dict[str, str]:
    """Library, torch and Python versions, recorded in every checkpoint."""
    from . import __version__

    return {"vae_course": __version__, "torch": str(torch.__version__), "python": platform.python_version()}


def save_checkpoint(path: str | os.PathLike, model: nn.Module, metadata: dict | None = None) -> Path:
    """Save ``model`` with its registry name, config and ``metadata`` (command, seed, metrics...).

    The file is written atomically: on any error (a full disk included) ``path`` is left as it was.
    """
    payload = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "model": model_name(model),
        "config": dataclasses.asdict(model.config),
        "state_dict": {k: v.detach().cpu() for k, v in model.state_dict().items()},
        "metadata": {**environment_metadata(), **(metadata or {})},
    }
    with atomic_paths(path) as (temporary,):
        torch.save(payload, temporary)
    return Path(path)


def read_checkpoint(path: str | os.PathLike) -> dict:
    """The raw checkpoint dict, validated; raises :class:`CheckpointError` if it is not one of ours."""
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise
    except Exception as err:  # unpickling errors come in many types
        raise CheckpointError(f"{path} is not a readable checkpoint: {err}") from err
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise CheckpointError(f"{path} is not a vae-course checkpoint")
    if payload.get("model") not in MODELS:
        raise CheckpointError(f"{path} holds an unknown model {payload.get('model')!r}")
    metadata = payload.get("metadata", {})
    if isinstance(metadata.get("train_config"), dict):  # checkpoints written before a field was renamed
        metadata["train_config"] = upgrade_train_config(metadata["train_config"])
    return payload


def load_checkpoint(
    path: str | os.PathLike, expected_model: str | None = None, device: str | torch.device = "cpu"
) -> tuple[nn.Module, dict]:
    """Rebuild the model saved in ``path``; return ``(model, metadata)`` with the model in eval mode.

    Args:
        expected_model: if given (e.g. ``"conv_vae"``), a checkpoint of another model is an error.

    Raises:
        CheckpointError: not a checkpoint, another architecture, or weights that do not fit.
    """
    payload = read_checkpoint(path)
    if expected_model is not None and payload["model"] != expected_model:
        raise CheckpointError(f"{path} holds a {payload['model']!r} model, not a {expected_model!r} model")
    model = build_model(payload["model"], **payload["config"])
    load_weights(model, payload, source=str(path))
    return model.to(device).eval(), payload["metadata"]


def load_weights(model: nn.Module, checkpoint: dict | str | os.PathLike, source: str = "checkpoint") -> None:
    """Load a checkpoint's weights into an existing model, checking it is the same architecture."""
    payload = checkpoint if isinstance(checkpoint, dict) else read_checkpoint(checkpoint)
    source = source if isinstance(checkpoint, dict) else str(checkpoint)
    name = model_name(model)
    if payload["model"] != name or payload["config"] != dataclasses.asdict(model.config):
        raise CheckpointError(
            f"{source} was saved from {payload['model']} {payload['config']}, "
            f"which does not match this {name} {dataclasses.asdict(model.config)}"
        )
    try:
        model.load_state_dict(payload["state_dict"])
    except RuntimeError as err:
        raise CheckpointError(f"{source} has weights that do not fit {name}: {err}") from err
