"""Shared fixtures."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from fake_fashion_mnist import make_fake_fashion_mnist


@pytest.fixture
def fake_root(tmp_path) -> Path:
    """A data root with ``FashionMNIST/raw/`` holding a tiny synthetic dataset."""
    make_fake_fashion_mnist(tmp_path / "FashionMNIST" / "raw")
    return tmp_path


@pytest.fixture
def images() -> torch.Tensor:
    """A small batch of images in [0, 1], (16, 1, 28, 28)."""
    return torch.rand(16, 1, 28, 28, generator=torch.Generator().manual_seed(0))
