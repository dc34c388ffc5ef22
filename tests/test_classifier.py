import torch

from vae_course.classifier import (
    ClassifierConfig,
    ClassifierTrainConfig,
    FashionClassifier,
    accuracy,
    classifier_features,
    fit_classifier,
)
from vae_course.data import ImageSet


def test_shapes():
    model = FashionClassifier(ClassifierConfig(channels=(4, 8), feature_dim=16))
    x = torch.rand(3, 1, 28, 28)
    assert model(x).shape == (3, 10)
    features = classifier_features(model, x)
    assert features.shape == (3, 16) and features.dtype == torch.float64 and (features >= 0).all()  # after a ReLU


def test_overfits_a_tiny_labelled_batch():
    torch.manual_seed(0)
    images = torch.rand(20, 1, 28, 28, generator=torch.Generator().manual_seed(0))
    data = ImageSet(images, torch.arange(20) % 10)
    model = FashionClassifier(ClassifierConfig(channels=(4, 8), feature_dim=16))
    log = fit_classifier(model, data, data, ClassifierTrainConfig(epochs=60, batch_size=20, lr=3e-3), device="cpu")
    assert accuracy(model, data) == 1.0 and log.epochs[-1]["val_accuracy"] == 1.0
    assert log.epochs[-1]["train_cross_entropy"] < log.epochs[0]["train_cross_entropy"] and not model.training
