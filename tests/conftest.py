"""Shared fixtures."""

from __future__ import annotations

import os
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


@pytest.fixture(autouse=True, scope="session")
def kernels_import_the_test_course_checks():
    """The tiny test course's hidden tests import ``kl_checks`` (tests/autograde_support): put it on
    ``PYTHONPATH`` for every nbgrader and classgrade process the tests start, and their kernels."""
    from autograde_support import course

    os.environ["PYTHONPATH"] = course.kernel_environ()["PYTHONPATH"]


@pytest.fixture(autouse=True, scope="session")
def english_unless_a_test_asks():
    """Tests expect English feedback and labels: a ``VAE_COURSE_LANGUAGE`` in the developer's shell must not leak in."""
    from vae_course.language import LANGUAGE_VARIABLE

    os.environ.pop(LANGUAGE_VARIABLE, None)
