"""Figures for the book and the CLI. Each figure function returns a matplotlib ``Figure``; nothing is
shown or saved unless asked (:func:`save_figure`). :func:`upsampling_stamps` is the computation behind
:func:`upsampling_figure`, kept apart so that it can be tested against PyTorch."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

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
    canvas = np.zeros(
        (rows * (h + padding) - padding, nrow * (w + padding) - padding), dtype=np.float32
    )  # 0 is white in gray_r
    for i, image in enumerate(images.numpy()):
        r, c = divmod(i, nrow)
        canvas[r * (h + padding) : r * (h + padding) + h, c * (w + padding) : c * (w + padding) + w] = image
    return canvas


def _label_tiles(ax, row_labels=None, column_labels=None, size: int = 28, padding: int = 1) -> None:
    """Name the rows (left) and columns (below) of a tiled image: a tick label at each tile's centre."""
    step = size + padding
    for spine in ax.spines.values():
        spine.set_visible(False)
    ax.tick_params(length=0, labelsize=12)
    ax.set_yticks([step * i + size / 2 for i in range(len(row_labels or []))], list(row_labels or []))
    ax.set_xticks([step * i + size / 2 for i in range(len(column_labels or []))], list(column_labels or []))
    longest = max((len(label) for label in column_labels or []), default=0)
    if longest > 5:  # long names (class names, say) would run into each other
        ax.tick_params(axis="x", labelrotation=30, labelsize=11)
        for label in ax.get_xticklabels():
            label.set_horizontalalignment("right")


def image_grid(
    images: torch.Tensor,
    nrow: int | None = None,
    title: str | None = None,
    scale: float = 0.6,
    row_labels: Sequence[str] | None = None,
    column_labels: Sequence[str] | None = None,
    xlabel: str | None = None,
    ylabel: str | None = None,
):
    """A grid of grey images (N, 1, 28, 28), ``nrow`` per row (default: about square).

    Args:
        images: (N, 1, 28, 28) pixel values in [0, 1], drawn dark for 1.
        nrow: images per row.
        title: above the grid, e.g. which model made the images.
        scale: inches per image.
        row_labels: one name per row, left of it (e.g. "original", "12-D conv VAE").
        column_labels: one name per column, below it (e.g. class names, or the value of a latent dimension).
        xlabel, ylabel: what the columns and the rows vary, e.g. "$z_1$".
    """
    nrow = nrow or int(np.ceil(np.sqrt(len(images))))
    canvas = _tile(images, nrow)
    rows = -(-len(images) // nrow)
    if row_labels is not None and len(row_labels) != rows:
        raise ValueError(f"{len(row_labels)} row labels for {rows} rows")
    if column_labels is not None and len(column_labels) != nrow:
        raise ValueError(f"{len(column_labels)} column labels for {nrow} columns")
    labelled = bool(row_labels or column_labels or xlabel or ylabel)
    width = nrow * scale + (1.2 if row_labels or ylabel else 0)
    height = rows * scale + (0.4 if title else 0) + (0.6 if column_labels or xlabel else 0)
    fig = _figure(figsize=(max(2.0, width), max(1.0, height)))
    ax = fig.add_subplot()
    ax.imshow(canvas, cmap="gray_r", vmin=0, vmax=1)
    if labelled:
        _label_tiles(ax, row_labels, column_labels)
        if xlabel:
            ax.set_xlabel(xlabel, fontsize=13)
        if ylabel:
            ax.set_ylabel(ylabel, fontsize=13)
    else:
        ax.set_axis_off()
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return fig


def reconstruction_grid(
    originals: torch.Tensor, reconstructions: torch.Tensor, scale: float = 0.8, title: str | None = None
):
    """Originals (top row) above their reconstructions (bottom row); ``title`` names the model."""
    n = len(originals)
    fig = _figure(figsize=(n * scale, 2.3 * scale + 0.3 + (0.4 if title else 0)))
    axes = fig.subplots(2, 1)
    for ax, images, label in zip(axes, (originals, reconstructions), ("original", "reconstruction")):
        ax.imshow(_tile(images, n), cmap="gray_r", vmin=0, vmax=1)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_ylabel(label, rotation=0, ha="right", va="center")
    if title:
        fig.suptitle(title)
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
    # Sized to be read at the width of a book page (about 7 inches): the 3 panels share one y label.
    fig = _figure(figsize=(max(5.0, 2.6 * len(panels)), 3.2 + (0.3 if title else 0)))
    axes = fig.subplots(1, len(panels), squeeze=False)[0]
    for ax, (train_key, val_key, label) in zip(axes, panels):
        for split, key in (("train", train_key), ("validation", val_key)):
            if split == "validation" and not has_val:
                continue
            prefix = "train" if split == "train" else "val"
            values = (
                [r[f"{prefix}_reconstruction"] + r[f"{prefix}_kl"] for r in records]
                if key == "total"
                else [r[key] for r in records]
            )
            ax.plot(epochs, values, marker="o", markersize=3, label=split)
        ax.set_xlabel("epoch", fontsize=11)
        ax.set_title(label, fontsize=12)
        ax.tick_params(labelsize=10)
        ax.legend(fontsize=10)
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("nats per image", fontsize=11)
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
    return image_grid(
        images,
        nrow=len(images) // num_dims,
        row_labels=row_labels,
        column_labels=column_labels,
        xlabel=xlabel if values is not None else None,
    )


def upsampling_stamps(layer: torch.nn.ConvTranspose2d, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Split a one-channel transposed convolution of ``x`` (H, W) into one stamp per input cell.

    Cell (i, j) alone, ``x[i, j]`` times a one-hot input, produces the kernel scaled by ``x[i, j]``,
    placed at row ``stride * i`` and column ``stride * j`` of the unpadded output; the layer's output
    is the sum of the stamps with ``padding`` cells cut from every side. Both facts are checked here
    against the layer itself.

    Args:
        layer: a ``ConvTranspose2d`` with one input and one output channel and no bias.
        x: (H, W) input values.

    Returns:
        ``(stamps, output)``: stamps (H, W, H_full, W_full) on the unpadded output, and the layer's
        output (H_out, W_out), with H_full = (H - 1) * stride + kernel and H_out = H_full - 2 * padding.
    """
    (stride, _), (padding, _) = layer.stride, layer.padding
    full_layer = torch.nn.functional.conv_transpose2d  # the same weights without the padding crop
    with torch.no_grad():
        one_hot = torch.eye(x.numel()).view(-1, 1, *x.shape) * x.reshape(-1, 1, 1, 1)  # (H*W, 1, H, W)
        stamps = full_layer(one_hot, layer.weight, stride=layer.stride)[:, 0]  # (H*W, H_full, W_full)
        output = layer(x[None, None])[0, 0]  # (H_out, W_out)
    kernel = layer.weight[0, 0].detach()  # (k, k)
    for (i, j), stamp in zip(np.ndindex(*x.shape), stamps):
        placed = stamp[stride * i : stride * i + kernel.shape[0], stride * j : stride * j + kernel.shape[1]]
        assert torch.allclose(placed, x[i, j] * kernel, atol=1e-5)  # the stamp is the scaled kernel...
        assert torch.isclose(stamp.abs().sum(), placed.abs().sum(), atol=1e-5)  # ...and nothing else
    full = stamps.sum(dim=0)  # overlaps add
    cropped = full[padding : full.shape[0] - padding, padding : full.shape[1] - padding]
    assert torch.allclose(cropped, output, atol=1e-5), "the stamps do not add up to the layer's output"
    return stamps.view(*x.shape, *stamps.shape[1:]), output


def _value_grid(ax, values: torch.Tensor, vmax: float, title: str, fontsize: float = 8) -> None:
    """A matrix drawn as coloured cells with their values written in (zeros left blank)."""
    ax.imshow(values.numpy(), cmap="Blues", vmin=0, vmax=vmax)
    rows, cols = values.shape
    for r, c in np.ndindex(rows, cols):
        if values[r, c]:
            color = "white" if values[r, c] > 0.6 * vmax else "black"
            ax.text(c, r, f"{values[r, c].item():g}", ha="center", va="center", fontsize=fontsize, color=color)
    ax.set_xticks(np.arange(cols + 1) - 0.5, minor=True)
    ax.set_yticks(np.arange(rows + 1) - 0.5, minor=True)
    ax.grid(which="minor", color="0.75", linewidth=0.5)
    ax.tick_params(which="both", length=0, labelbottom=False, labelleft=False)
    ax.set_title(title, fontsize=10)


def upsampling_figure(layer: torch.nn.ConvTranspose2d, x: torch.Tensor):
    """A transposed convolution drawn as stamps: the input, one stamp per input cell, their sum.

    Everything drawn is computed by ``layer`` (see :func:`upsampling_stamps`); a dashed frame marks the
    part of the sum that the layer keeps after its padding crop.
    """
    from matplotlib.patches import Rectangle

    from .language import number, t

    stamps, output = upsampling_stamps(layer, x)  # (H, W, H_full, W_full), (H_out, W_out)
    height, width = x.shape
    (stride, _), (padding, _) = layer.stride, layer.padding
    full = stamps.sum(dim=(0, 1))  # (H_full, W_full)
    vmax = full.max().item()
    fig = _figure(figsize=(7, 6.4), layout="constrained")  # readable at the width of a book page
    top, bottom = fig.subfigures(2, 1, height_ratios=[1, 1])
    left, middle = top.subfigures(1, 2, width_ratios=[1, 2])
    _value_grid(left.add_subplot(), x, vmax, f"{height} × {width}", fontsize=11)
    left.suptitle(t("1. the input", "1. input"), fontsize=11)
    for (i, j), ax in zip(np.ndindex(height, width), middle.subplots(height, width, squeeze=False).flat):
        _value_grid(
            ax,
            stamps[i, j],
            vmax,
            t(
                f"cell ({i}, {j}): {x[i, j].item():g} × kernel",
                f"sel ({i}, {j}): {number(x[i, j].item(), 'g')} × kernel",
            ),
            fontsize=8,
        )
    middle.suptitle(
        t(
            f"2. each cell stamps the kernel, shifted by stride {stride}",
            f"2. tiap sel mencap kernel, bergeser sejauh stride {stride}",
        ),
        fontsize=11,
    )
    ax = bottom.add_subplot()
    sizes = t(
        f"sum {full.shape[0]} × {full.shape[1]}; output {output.shape[0]} × {output.shape[1]} (dashed)",
        f"jumlah {full.shape[0]} × {full.shape[1]}; output {output.shape[0]} × {output.shape[1]} (putus-putus)",
    )
    _value_grid(ax, full, vmax, sizes, fontsize=11)
    ax.add_patch(Rectangle((padding - 0.5, padding - 0.5), output.shape[1], output.shape[0],
                           fill=False, linestyle="--", linewidth=2, color="tab:red"))  # fmt: skip
    bottom.suptitle(
        t(
            f"3. overlaps add; padding {padding} cuts a ring off every side",
            f"3. tumpang tindih dijumlahkan; padding {padding} memotong satu cincin di tiap sisi",
        ),
        fontsize=11,
    )
    return fig


def save_figure(fig, path: str | os.PathLike, dpi: int = 120) -> Path:
    """Write ``fig`` to ``path`` (PNG by suffix), creating folders; atomically, as :func:`~vae_course.files.atomic_paths`."""
    with atomic_paths(path) as (temporary,):
        fig.savefig(temporary, dpi=dpi, bbox_inches="tight")
    return Path(path)


class FigureWithAlt:
    """A figure and its alt text, for a notebook: it displays as the figure's PNG, described by ``alt``.

    The alt text travels in the output's metadata (``{"image/png": {"alt": ...}}``), where the book's
    Sphinx extension ``book/_ext/figure_alt.py`` puts it on the page's ``<img>``; plain-text front ends
    show the alt text itself.
    """

    def __init__(self, figure, alt: str):
        if not alt.strip():
            raise ValueError("a figure's alt text cannot be empty")
        self.figure = figure
        self.alt = alt

    def _repr_mimebundle_(self, include=None, exclude=None) -> tuple[dict, dict]:
        from IPython.core.pylabtools import print_figure

        from .language import localize_numbers

        localize_numbers(self.figure)  # tick labels in the language's number format (0,5 in Indonesian)
        png = print_figure(self.figure, "png", bbox_inches="tight", base64=True)  # as the inline backend draws it
        return {"image/png": png, "text/plain": self.alt}, {"image/png": {"alt": self.alt}}


def with_alt(figure, alt: str) -> FigureWithAlt:
    """``figure`` described by ``alt`` (what it shows, for readers who cannot see it); see :class:`FigureWithAlt`."""
    return FigureWithAlt(figure, alt)
