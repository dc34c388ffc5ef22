"""A tiny synthetic Fashion-MNIST written in the real IDX format, for tests (no network)."""

from __future__ import annotations

import gzip
import struct
from pathlib import Path

import numpy as np

from vae_course.data import RAW_FILES


def write_idx(path: Path, array: np.ndarray, compress: bool = False) -> None:
    """Write uint8 ``array`` as an IDX file: magic (0, 0, 0x08 = ubyte, ndim), sizes big-endian, data."""
    header = struct.pack(">BBBB", 0, 0, 0x08, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    payload = header + array.astype(np.uint8).tobytes()
    path.parent.mkdir(parents=True, exist_ok=True)
    if compress:
        with gzip.open(path.with_name(path.name + ".gz"), "wb") as f:
            f.write(payload)
    else:
        path.write_bytes(payload)


def make_fake_fashion_mnist(folder: Path, n_train: int = 64, n_test: int = 32, compress: bool = False, seed: int = 0):
    """Write the four files into ``folder`` (``.gz`` if ``compress``); returns the arrays written."""
    rng = np.random.default_rng(seed)
    arrays = {}
    for split, n in (("train", n_train), ("test", n_test)):
        images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
        labels = rng.integers(0, 10, size=(n,), dtype=np.uint8)
        image_name, label_name = RAW_FILES[split]
        write_idx(folder / image_name, images, compress)
        write_idx(folder / label_name, labels, compress)
        arrays[split] = (images, labels)
    return arrays
