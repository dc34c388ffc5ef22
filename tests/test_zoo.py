"""Recipes: one function trains them and writes their cards, for the CLI and the book alike."""

import dataclasses
import json

import pytest

from vae_course import zoo
from vae_course.train import TrainConfig


def test_load_or_train_without_a_checkpoint_gives_the_card_the_cli_writes(fake_root, tmp_path, monkeypatch):
    shipped = zoo.model_card("autoencoder_2d")
    monkeypatch.setattr(zoo, "PRETRAINED_DIR", tmp_path / "none")
    monkeypatch.setenv("VAE_COURSE_DATA", str(fake_root))
    model, card = zoo.load_or_train("autoencoder_2d", device="cpu")
    assert set(card) == set(shipped)
    assert {k: card["train_config"][k] for k in shipped["train_config"]} == shipped[
        "train_config"
    ]  # shipped before the speed switches
    assert card["recipe"] == "autoencoder_2d" and card["model_config"] == shipped["model_config"]
    assert card["metrics"]["test_images"] == 32 and not model.training
    assert not (tmp_path / "none").exists()  # the book's fallback writes nothing


def test_train_recipe_writes_checkpoint_and_card_with_the_recipes_name(fake_root, tmp_path):
    recipe = zoo.Recipe("mlp_vae", {"hidden_dim": 16, "latent_dim": 2}, TrainConfig(epochs=1, batch_size=16))
    _, card = zoo.train_recipe(
        recipe, tmp_path / "runs" / "vae.pt", name="mlp_vae_20d", data_root=fake_root, device="cpu", iwae_samples=0
    )
    assert sorted(p.name for p in (tmp_path / "runs").iterdir()) == ["vae.json", "vae.pt"]
    assert card["recipe"] == "mlp_vae_20d" and card["epochs_run"] == 1 and "test_iwae_nll" not in card["metrics"]


def test_a_vae_recipe_with_frechet_records_the_gans_frechet_metrics(fake_root, tmp_path, monkeypatch):
    """The same keys as the GAN's card, from the same function: zoo.frechet_metrics."""
    calls = []

    def fake_frechet_metrics(model, test_images, device, **options):
        calls.append((type(model).__name__, len(test_images), options))
        return {"frechet_distance": 1.0}

    monkeypatch.setattr(zoo, "frechet_metrics", fake_frechet_metrics)
    recipe = zoo.Recipe("mlp_vae", {"hidden_dim": 16, "latent_dim": 2}, TrainConfig(epochs=1, batch_size=16))
    _, card = zoo.train_recipe(recipe, data_root=fake_root, device="cpu", iwae_samples=0)
    assert calls == [] and "frechet_distance" not in card["metrics"]
    with_frechet = dataclasses.replace(recipe, frechet=True)
    _, card = zoo.train_recipe(with_frechet, data_root=fake_root, device="cpu", iwae_samples=0)
    assert calls == [("MLPVAE", card["metrics"]["test_images"], {})] and card["metrics"]["frechet_distance"] == 1.0
    assert zoo.RECIPES["conv_vae_12d"].frechet  # chapter 10's VAE


def test_remeasure_adds_a_recipes_new_metrics_and_keeps_the_training_record(fake_root, tmp_path, monkeypatch):
    import torch

    from vae_course.checkpoints import load_checkpoint

    monkeypatch.setattr(zoo, "frechet_metrics", lambda model, images, device, **options: {"frechet_distance": 2.0})
    recipe = zoo.Recipe("mlp_vae", {"hidden_dim": 16, "latent_dim": 2}, TrainConfig(epochs=1, batch_size=16))
    monkeypatch.setitem(zoo.RECIPES, "tiny_vae", recipe)
    out = tmp_path / "tiny_vae.pt"
    _, trained = zoo.train_recipe("tiny_vae", out, data_root=fake_root, device="cpu", iwae_samples=3, iwae_images=4)
    weights = load_checkpoint(out)[0].state_dict()
    monkeypatch.setitem(zoo.RECIPES, "tiny_vae", dataclasses.replace(recipe, frechet=True))  # a metric added later
    card = zoo.remeasure_checkpoint(out, data_root=fake_root, command="python -m vae_course remeasure tiny_vae.pt")
    assert card == json.loads(out.with_suffix(".json").read_text())
    assert card["metrics"] == {**trained["metrics"], "frechet_distance": 2.0}  # the same measures give the same numbers
    assert card["metrics_command"] == "python -m vae_course remeasure tiny_vae.pt"
    assert {k: v for k, v in card.items() if not k.startswith("metrics")} == {
        k: v for k, v in trained.items() if k != "metrics"
    }
    model, metadata = load_checkpoint(out)
    assert metadata["metrics"] == card["metrics"]
    assert all(torch.equal(weights[k], v) for k, v in model.state_dict().items())


def test_remeasure_refuses_a_checkpoint_without_a_recipe(fake_root, tmp_path):
    recipe = zoo.Recipe("mlp_vae", {"hidden_dim": 16, "latent_dim": 2}, TrainConfig(epochs=1, batch_size=16))
    zoo.train_recipe(
        recipe, tmp_path / "vae.pt", data_root=fake_root, device="cpu", iwae_samples=0
    )  # --model: no recipe
    with pytest.raises(ValueError, match="names no recipe"):
        zoo.remeasure_checkpoint(tmp_path / "vae.pt", data_root=fake_root)


def test_recipes_refuse_unknown_models_and_options():
    with pytest.raises(ValueError, match="unknown model"):
        zoo.Recipe("transformer")
    with pytest.raises(ValueError, match="has no option"):
        zoo.Recipe("mlp_vae", {"depth": 3})
    with pytest.raises(ValueError, match="frechet is for a VAE"):
        zoo.Recipe("mlp_autoencoder", frechet=True)
    with pytest.raises(ValueError, match="unknown recipe"):
        zoo.train_recipe("mlp_vae_3d")
