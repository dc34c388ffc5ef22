"""Every checkpoint shipped in vae_course/pretrained/ still reproduces the test metrics in its card."""

import pytest
import torch

from vae_course.checkpoints import load_checkpoint
from vae_course.data import load_fashion_mnist
from vae_course.evaluate import evaluate_negative_elbo, iwae_negative_log_likelihood
from vae_course.models import AUTOENCODERS, VAES
from vae_course.train import average_loss_terms
from vae_course.zoo import RECIPES, model_card, pretrained_path

TOLERANCE = 0.05  # nats per image: same seed and data, so only floating-point summation order differs


@pytest.fixture(scope="module")
def test_images():
    return load_fashion_mnist("test").images


@pytest.mark.parametrize("name", sorted(RECIPES))
def test_checkpoint_and_card_are_shipped(name):
    card = model_card(name)
    assert pretrained_path(name).is_file()
    assert (
        card["recipe"] == name
        and card["command"]
        == f"python -m vae_course train --recipe {name} --quiet --out vae_course/pretrained/{name}.pt"
    )
    assert card["model"] == RECIPES[name].model and card["epochs_run"] >= 1
    if "metrics_command" in card:  # measured again after training, without retraining
        assert card["metrics_command"] == f"python -m vae_course remeasure vae_course/pretrained/{name}.pt"
    _, metadata = load_checkpoint(pretrained_path(name))
    assert metadata["metrics"] == card["metrics"]


@pytest.mark.parametrize("name", sorted(n for n in RECIPES if RECIPES[n].model in AUTOENCODERS))
def test_checkpoint_reproduces_its_test_metrics(name, test_images):
    torch.set_num_threads(2)
    model, _ = load_checkpoint(pretrained_path(name), expected_model=RECIPES[name].model)
    metrics = model_card(name)["metrics"]
    assert metrics["test_images"] == len(test_images)
    if "test_reconstruction_bce" in metrics:  # a plain autoencoder
        reconstruction, _ = average_loss_terms(model, test_images)
        assert reconstruction == pytest.approx(metrics["test_reconstruction_bce"], abs=TOLERANCE)
        return
    result = evaluate_negative_elbo(model, test_images, device="cpu", seed=metrics["eval_seed"])
    for key in ("negative_elbo", "reconstruction", "kl"):
        assert result[key] == pytest.approx(metrics[f"test_{key}"], abs=TOLERANCE), key


@pytest.mark.slow
@pytest.mark.parametrize("name", [n for n in sorted(RECIPES) if RECIPES[n].model in VAES])
def test_checkpoint_reproduces_its_iwae_estimate(name, test_images):
    model, _ = load_checkpoint(pretrained_path(name))
    metrics = model_card(name)["metrics"]
    images = test_images[: metrics["iwae_images"]]
    value = iwae_negative_log_likelihood(
        model, images, metrics["iwae_samples"], device="cpu", seed=metrics["eval_seed"]
    )
    assert value == pytest.approx(metrics["test_iwae_nll"], abs=TOLERANCE)
    assert value < metrics["test_negative_elbo"]  # the IWAE bound is tighter than the ELBO


FRECHET_TOLERANCE = 1e-3  # relative: same seeds and samples, so only summation order differs


def test_classifier_reproduces_its_test_accuracy():
    from vae_course.classifier import accuracy

    torch.set_num_threads(2)
    model, _ = load_checkpoint(pretrained_path("classifier"), expected_model="classifier")
    metrics = model_card("classifier")["metrics"]
    test = load_fashion_mnist("test")
    assert metrics["test_images"] == len(test)
    assert accuracy(model, test) == pytest.approx(metrics["test_accuracy"], abs=1e-3)  # 10 images in 10,000


def _check_frechet_distances(name, **sampler_options):
    from vae_course.compare import frechet_distances

    torch.set_num_threads(2)
    model, _ = load_checkpoint(pretrained_path(name), expected_model=RECIPES[name].model)
    classifier, _ = load_checkpoint(pretrained_path("classifier"), expected_model="classifier")
    metrics = model_card(name)["metrics"]
    assert (
        metrics["classifier_test_accuracy"] == model_card("classifier")["metrics"]["test_accuracy"]
    )  # scored by the shipped classifier
    test_images = load_fashion_mnist("test").images
    distances = frechet_distances(
        model,
        classifier,
        test_images,
        metrics["frechet_samples"],
        tuple(metrics["frechet_seeds"]),
        "cpu",
        **sampler_options,
    )
    assert distances == pytest.approx(metrics["frechet_distances"], rel=FRECHET_TOLERANCE)
    return model, metrics


def test_dcgan_reproduces_its_frechet_distances():
    _check_frechet_distances("dcgan")


@pytest.mark.parametrize("name", sorted(n for n in RECIPES if RECIPES[n].frechet))
def test_vae_reproduces_the_frechet_distances_on_its_card(name):
    """A VAE recipe with ``frechet`` (chapter 10's) carries the GAN's Fréchet metrics, and they reproduce."""
    gan_keys = {
        key for key in model_card("dcgan")["metrics"] if key.startswith("frechet") or key.startswith("classifier")
    }
    assert gan_keys <= set(model_card(name)["metrics"])
    _check_frechet_distances(name)


@pytest.mark.slow
def test_ddpm_reproduces_its_frechet_distances_and_bits_per_dim():
    from vae_course.diffusion import bits_per_dim

    metrics = model_card("ddpm")["metrics"]
    model, metrics = _check_frechet_distances("ddpm", sampler=metrics["sampler"], ddim_steps=metrics["ddim_steps"])
    images = load_fashion_mnist("test").images[: metrics["bits_per_dim_images"]]
    value = bits_per_dim(model, images, model.betas, seed=metrics["eval_seed"])
    assert value == pytest.approx(metrics["bits_per_dim"], abs=1e-3)
