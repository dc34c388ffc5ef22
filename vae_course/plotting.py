"""Figures for the book and the CLI. Each function returns a matplotlib ``Figure``; nothing is shown
or saved unless asked (:func:`save_figure`)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Sequence

import numpy as np
import torch

from .data import CLASS_NAMES
from .files import atomic_paths


def _figure(**kwargs):
    from matplotlib.figure import Figure

    return Figure(**kwargs)


def _tile(images: torch.Tensor, nrow: int, padding: int = 1) -> np.ndarray:
    """Images (N, 1, H, W) -> one (rows*(H+p)-p, nrow*(W+p)-p) array, padded with white."""
    images = images.detach().cpu().float().clamp(0, 1)[:, 0]  # (N, H, W)
    n, h, w = images.shape
    rows = -(-n // nrow)
    canvas = np.zeros((rows * (h + padding) - padding, nrow * (w + padding) - padding), dtype=np.float32)  # 0 is white in gray_r
    for i, image in enumerate(images.numpy()):
        r, c = divmod(i, nrow)
        canvas[r * (h + padding) : r * (h + padding) + h, c * (w + padding) : c * (w + padding) + w] = image
    return canvas


def image_grid(images: torch.Tensor, nrow: int | None = None, title: str | None = None, scale: float = 0.6):
    """A grid of grey images (N, 1, 28, 28), ``nrow`` per row (default: about square)."""
    nrow = nrow or int(np.ceil(np.sqrt(len(images))))
    canvas = _tile(images, nrow)
    rows = -(-len(images) // nrow)
    fig = _figure(figsize=(max(2.0, nrow * scale), max(1.0, rows * scale) + (0.4 if title else 0)))
    ax = fig.add_subplot()
    ax.imshow(canvas, cmap="gray_r", vmin=0, vmax=1)
    ax.set_axis_off()
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return fig


def reconstruction_grid(originals: torch.Tensor, reconstructions: torch.Tensor, scale: float = 0.8):
    """Originals (top row) above their reconstructions (bottom row)."""
    n = len(originals)
    fig = _figure(figsize=(n * scale, 2.3 * scale + 0.3))
    axes = fig.subplots(2, 1)
    for ax, images, label in zip(axes, (originals, reconstructions), ("original", "reconstruction")):
        ax.imshow(_tile(images, n), cmap="gray_r", vmin=0, vmax=1)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_ylabel(label, rotation=0, ha="right", va="center")
    fig.tight_layout()
    return fig


def loss_curves(history, title: str | None = None):
    """Train/validation loss per epoch, split into reconstruction and KL (for a VAE).

    Args:
        history: a :class:`~vae_course.train.History`, or its ``to_dict()`` (e.g. from a model card).
    """
    records = history["epochs"] if isinstance(history, dict) else [vars(r) for r in history.epochs]
    epochs = [r["epoch"] for r in records]
    has_val = records[0]["val_reconstruction"] is not None
    has_kl = any(r["train_kl"] for r in records)
    panels = [("train_reconstruction", "val_reconstruction", "reconstruction")]
    if has_kl:
        panels = [("total", "total", "negative ELBO")] + panels + [("train_kl", "val_kl", "KL")]
    fig = _figure(figsize=(4 * len(panels), 3.2))
    for ax, (train_key, val_key, label) in zip(fig.subplots(1, len(panels), squeeze=False)[0], panels):
        for split, key in (("train", train_key), ("validation", val_key)):
            if split == "validation" and not has_val:
                continue
            prefix = "train" if split == "train" else "val"
            values = [r[f"{prefix}_reconstruction"] + r[f"{prefix}_kl"] for r in records] if key == "total" else [r[key] for r in records]
            ax.plot(epochs, values, marker="o", markersize=3, label=split)
        ax.set_xlabel("epoch")
        ax.set_ylabel(f"{label} (nats / image)")
        ax.legend()
        ax.grid(alpha=0.3)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def latent_scatter(
    points: torch.Tensor | np.ndarray,
    labels: torch.Tensor | np.ndarray,
    class_names: Sequence[str] = CLASS_NAMES,
    title: str | None = None,
    axis_labels: tuple[str, str] = ("$z_1$", "$z_2$"),
):
    """2-D points (N, 2) coloured by class, with a legend of class names."""
    points = np.asarray(points)
    labels = np.asarray(labels)
    fig = _figure(figsize=(7, 5.5))
    ax = fig.add_subplot()
    colors = _class_colors(len(class_names))
    for k, name in enumerate(class_names):
        mask = labels == k
        ax.scatter(points[mask, 0], points[mask, 1], s=3, alpha=0.6, color=colors[k], label=name)
    ax.set_xlabel(axis_labels[0])
    ax.set_ylabel(axis_labels[1])
    ax.legend(markerscale=4, fontsize=8, loc="center left", bbox_to_anchor=(1.0, 0.5))
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return fig


def _class_colors(n: int):
    from matplotlib import colormaps

    return [colormaps["tab10"](k % 10) for k in range(n)]


def labelled_grid(
    images: torch.Tensor,
    row_labels: Sequence[str],
    column_labels: Sequence[str] | None = None,
    xlabel: str | None = None,
    scale: float = 0.6,
):
    """A grid of images (R * C, 1, 28, 28), row-major, with a label for every row and column.

    Args:
        images: R * C images, where R is ``len(row_labels)``.
        row_labels: R labels, written left of the rows.
        column_labels: C labels under the columns (default: none).
        xlabel: a title for the column labels.
    """
    num_rows = len(row_labels)
    if num_rows == 0 or len(images) % num_rows:
        raise ValueError(f"{len(images)} images do not fill {num_rows} rows")
    num_columns = len(images) // num_rows
    if column_labels is not None and len(column_labels) != num_columns:
        raise ValueError(f"{len(column_labels)} column labels for {num_columns} columns")
    fig = _figure(figsize=(num_columns * scale + 1.2, num_rows * scale + (0.6 if xlabel else 0.4)))
    ax = fig.add_subplot()
    ax.imshow(_tile(images, num_columns), cmap="gray_r", vmin=0, vmax=1)
    centres = [(28 + 1) * i + 14 for i in range(max(num_rows, num_columns))]  # tiles are 28 px plus 1 px padding
    ax.set_yticks(centres[:num_rows], list(row_labels))
    ax.set_xticks(centres[:num_columns] if column_labels is not None else [], list(column_labels or []))
    ax.tick_params(length=0)
    if xlabel:
        ax.set_xlabel(xlabel)
    fig.tight_layout()
    return fig


def traversal_grid(
    images: torch.Tensor,
    num_dims: int,
    values: Sequence[float] | None = None,
    row_labels: Sequence[str] | None = None,
    xlabel: str = "value of the traversed dimension",
    value_format: str = "{:.1f}",
):
    """Rows of a traversal (num_dims * T, 1, 28, 28): one row per latent dimension.

    Args:
        values: the T values (or offsets) of the columns, written under them.
        row_labels: default ``$z_1$``, ``$z_2$``, ...
        xlabel: what the values are.
        value_format: how to write a value (``"{:+.1f}"`` for signed offsets).
    """
    row_labels = row_labels or [f"$z_{{{i + 1}}}$" for i in range(num_dims)]
    column_labels = None if values is None else [value_format.format(v) for v in values]
    return labelled_grid(images, row_labels, column_labels, xlabel=xlabel if values is not None else None)


def save_figure(fig, path: str | os.PathLike, dpi: int = 120) -> Path:
    """Write ``fig`` to ``path`` (PNG by suffix), creating folders; atomically, as :func:`~vae_course.files.atomic_paths`."""
    with atomic_paths(path) as (temporary,):
        fig.savefig(temporary, dpi=dpi, bbox_inches="tight")
    return Path(path)
