"""A small Fashion-MNIST classifier whose features define the course's Fréchet distance.

The Fréchet distance compares the statistics of generated and real images in the feature space
of a network trained on the data. The usual network, Inception-v3 (FID), was trained on ImageNet
photos and expects 299x299 colour images; for 28x28 grey clothes a small classifier trained on
Fashion-MNIST itself sees what matters here. Its features are the 128 activations of the
penultimate layer (after the ReLU, before the logits): the last layer that still describes an
image's shape and texture (the 10 logits keep little more than the class), small enough for a
128x128 covariance to be estimated from a thousand samples.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from .data import Batches, ImageSet, shuffled_batches
from .device import resolve_device
from .trainlog import TrainingLog
from .validation import MAX_WIDTH, require_int, require_number

NUM_CLASSES = 10


@dataclass(frozen=True)
class ClassifierConfig:
    channels: tuple[int, int] = (32, 64)  # feature maps of the two conv layers, at 28x28 and 14x14
    feature_dim: int = 128  # width of the penultimate layer: the Fréchet distance's feature space

    def __post_init__(self):
        require_int("feature_dim", self.feature_dim, 1, MAX_WIDTH)
        if not isinstance(self.channels, tuple) or len(self.channels) != 2:
            raise ValueError(f"channels must be a tuple of two feature-map counts, got {self.channels!r}")
        for channels in self.channels:
            require_int("channels", channels, 1, MAX_WIDTH)


class FashionClassifier(nn.Module):
    """x (1x28x28) -conv, pool-> 14x14 -conv, pool-> 7x7 -> features (feature_dim) -> 10 logits."""

    def __init__(self, config: ClassifierConfig = ClassifierConfig()):
        super().__init__()
        self.config = config
        c1, c2 = config.channels
        self.body = nn.Sequential(
            nn.Conv2d(1, c1, kernel_size=3, padding=1),  # (B, c1, 28, 28)
            nn.ReLU(),
            nn.MaxPool2d(2),  # (B, c1, 14, 14)
            nn.Conv2d(c1, c2, kernel_size=3, padding=1),  # (B, c2, 14, 14)
            nn.ReLU(),
            nn.MaxPool2d(2),  # (B, c2, 7, 7)
            nn.Flatten(),  # (B, c2 * 49)
            nn.Linear(c2 * 7 * 7, config.feature_dim),
            nn.ReLU(),  # (B, feature_dim): the features
        )
        self.head = nn.Linear(config.feature_dim, NUM_CLASSES)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """Images (B, 1, 28, 28) -> penultimate-layer features (B, feature_dim)."""
        return self.body(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Images (B, 1, 28, 28) -> class logits (B, 10)."""
        return self.head(self.features(x))


@torch.no_grad()
def classifier_features(
    classifier: FashionClassifier,
    images: torch.Tensor,
    batch_size: int = 1000,
    device: str | torch.device | None = None,
) -> torch.Tensor:
    """Features of ``images`` (N, 1, 28, 28), in eval mode, as float64 on the CPU: (N, feature_dim)."""
    return _in_batches(classifier, images, batch_size, device, lambda x: classifier.features(x).double())


@torch.no_grad()
def predict_classes(
    classifier: FashionClassifier,
    images: torch.Tensor,
    batch_size: int = 1000,
    device: str | torch.device | None = None,
) -> torch.Tensor:
    """The most likely class of each image: (N,) int64 on the CPU."""
    return _in_batches(classifier, images, batch_size, device, lambda x: classifier(x).argmax(1))


def _in_batches(classifier: FashionClassifier, images, batch_size: int, device, apply) -> torch.Tensor:
    """``apply`` to ``images`` batch by batch, on ``device`` (default: the classifier's), in eval mode."""
    device = resolve_device(device) if device is not None else next(classifier.parameters()).device
    classifier.to(device).eval()
    return torch.cat([apply(x.to(device)).cpu() for x in Batches(images, batch_size)])


def accuracy(classifier: FashionClassifier, data: ImageSet, device: str | torch.device | None = None) -> float:
    """Fraction of ``data`` classified correctly."""
    return (predict_classes(classifier, data.images, device=device) == data.labels).double().mean().item()


@dataclass(frozen=True)
class ClassifierTrainConfig:
    epochs: int = 5  # passes over the training set
    batch_size: int = 128  # images per optimizer step
    lr: float = 1e-3  # Adam learning rate
    seed: int = 0  # seeds the shuffling

    def __post_init__(self):
        require_int("epochs", self.epochs, 1)
        require_int("batch_size", self.batch_size, 1)
        require_number("lr", self.lr, 0.0, low_open=True)
        require_int("seed", self.seed, 0, 2**63 - 1)


def fit_classifier(
    model: FashionClassifier,
    train: ImageSet,
    val: ImageSet | None = None,
    config: ClassifierTrainConfig = ClassifierTrainConfig(),
    device: str | torch.device | None = None,
    progress: bool = False,
) -> TrainingLog:
    """Train with Adam on the cross-entropy; the log has train loss and validation accuracy per epoch."""
    device = resolve_device(device)
    torch.manual_seed(config.seed)
    model.to(device).train()
    images, labels = train.images.to(device), train.labels.to(device)
    order_batches, _ = shuffled_batches(torch.arange(len(images)), config.batch_size, config.seed, device)
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr)
    log = TrainingLog()
    for epoch in range(1, config.epochs + 1):
        start, total = time.perf_counter(), torch.zeros((), device=device)
        for index in order_batches:
            loss = F.cross_entropy(model(images[index]), labels[index])  # mean over the batch
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            total += loss.detach() * len(index)
        record = {"epoch": epoch, "train_cross_entropy": total.item() / len(images)}
        if val is not None:
            record["val_accuracy"] = accuracy(model, val, device)
            model.train()
        record["seconds"] = time.perf_counter() - start
        log.append(record, progress)
    return log.finish(model)
