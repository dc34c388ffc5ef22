import pytest
import torch

from vae_course.models import build_model
from vae_course.train import History, NonFiniteLossError, TrainConfig, fit, upgrade_train_config


def _tiny_images(n=32, seed=0):
    """Binary-ish images: easy to overfit."""
    return (torch.rand(n, 1, 28, 28, generator=torch.Generator().manual_seed(seed)) > 0.7).float()


@pytest.mark.parametrize("name", ["mlp_autoencoder", "mlp_vae", "conv_vae"])
def test_overfits_a_tiny_batch(name):
    torch.manual_seed(0)
    model = build_model(name)
    images = _tiny_images(8)  # 8 images: the posterior can tell them apart with about 2 nats of KL
    history = fit(model, images, images, TrainConfig(epochs=150, batch_size=8, lr=3e-3), device="cpu", progress=False)
    first, best = history.epochs[0], min(history.column("val_reconstruction"))
    assert first.train_reconstruction > 500  # about 784 * log 2 at initialisation
    assert best < 20  # nats per image: the batch is memorised
    assert len(history.epochs) == 150 and history.best_epoch is not None
    assert not model.training  # fit leaves the model in eval mode


def test_history_records_train_val_reconstruction_kl_and_seconds():
    model = build_model("mlp_vae", latent_dim=4)
    images = _tiny_images(40)
    history = fit(model, images[:30], images[30:], TrainConfig(epochs=2, batch_size=8), device="cpu", progress=False)
    assert isinstance(history, History) and len(history.epochs) == 2
    record = history.epochs[-1]
    assert record.train_kl > 0 and record.val_kl > 0 and record.seconds > 0
    assert record.val_loss == pytest.approx(record.val_reconstruction + record.val_kl)
    assert history.column("epoch") == [1, 2]
    assert history.to_dict()["epochs"][0]["epoch"] == 1


def test_same_seed_same_result():
    images = _tiny_images()
    results = []
    for _ in range(2):
        torch.manual_seed(1)
        model = build_model("mlp_vae", latent_dim=3)
        fit(model, images, None, TrainConfig(epochs=2, batch_size=8, seed=5), device="cpu", progress=False)
        results.append(torch.cat([p.flatten() for p in model.parameters()]))
    torch.testing.assert_close(results[0], results[1], rtol=0, atol=0)


def test_early_stopping_restores_the_best_epoch():
    torch.manual_seed(0)
    model = build_model("mlp_vae", latent_dim=2)
    train, val = _tiny_images(64, seed=1), _tiny_images(16, seed=2)  # unrelated noise: val stops improving
    history = fit(
        model, train, val, TrainConfig(epochs=200, batch_size=16, lr=1e-2, patience=2), device="cpu", progress=False
    )
    assert history.stopped_early and len(history.epochs) < 200
    val_losses = history.column("val_loss")
    assert history.best_epoch == 1 + val_losses.index(min(val_losses))
    assert len(history.epochs) == history.best_epoch + 2
    from vae_course.train import average_loss_terms

    reconstruction, kl = average_loss_terms(model, val)
    assert reconstruction + kl == pytest.approx(min(val_losses), rel=1e-4)


def test_nan_loss_is_a_clear_error_naming_epoch_and_step():
    torch.manual_seed(0)
    model = build_model("mlp_vae", latent_dim=2)
    # a learning rate of 1e30 makes the first update overflow: the second step's loss is not finite
    with pytest.raises(NonFiniteLossError, match=r"NaN or infinite at epoch 1, step 2;"):
        fit(model, _tiny_images(32), None, TrainConfig(epochs=3, batch_size=8, lr=1e30), device="cpu", progress=False)


def test_non_finite_loss_is_caught_by_the_deferred_check(monkeypatch):
    """The loss goes infinite at step 3 of 8; the check runs only at step 5 and names step 3."""
    import vae_course.train as train_module

    calls = {"n": 0}
    real = train_module.loss_terms

    def blow_up_at_step_3(*args, **kwargs):
        calls["n"] += 1
        reconstruction, kl = real(*args, **kwargs)
        return reconstruction, kl * (float("inf") if calls["n"] == 3 else 1.0)

    monkeypatch.setattr(train_module, "loss_terms", blow_up_at_step_3)
    model = build_model("mlp_vae", latent_dim=2)
    with pytest.raises(NonFiniteLossError, match=r"epoch 1, step 3;"):
        fit(
            model,
            _tiny_images(64),
            None,
            TrainConfig(epochs=1, batch_size=8, check_every=5),
            device="cpu",
            progress=False,
        )
    assert calls["n"] == 5  # stopped at the first check, not at the end of the epoch


def test_beta_zero_ignores_kl_in_the_gradient():
    images = _tiny_images(16)
    torch.manual_seed(0)
    model = build_model("mlp_vae", latent_dim=2)
    history = fit(
        model, images, None, TrainConfig(epochs=30, batch_size=16, lr=1e-2, beta=0.0), device="cpu", progress=False
    )
    assert history.epochs[-1].train_kl > history.epochs[0].train_kl  # nothing holds the posterior to the prior


def test_fit_trains_any_module_with_the_course_interface():
    """A student's own autoencoder class (not the library's) trains with fit."""

    class StudentAutoencoder(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.net = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(784, 784), torch.nn.Sigmoid())

        def forward(self, x):
            return self.net(x).view_as(x)

    history = fit(
        StudentAutoencoder(), _tiny_images(16), None, TrainConfig(epochs=2, batch_size=8), device="cpu", progress=False
    )
    assert history.epochs[-1].train_kl == 0.0


@pytest.mark.parametrize(
    ("fields", "match"),
    [
        ({"epochs": -1}, "epochs must be between 1"),
        ({"epochs": 0}, "epochs must be between 1"),
        ({"batch_size": 0}, "batch_size must be between 1"),
        ({"lr": 0.0}, "lr must be greater than 0"),
        ({"lr": float("inf")}, "lr must be a finite number"),
        ({"beta": -0.5}, "beta must be at least 0"),
        ({"kind": "l1"}, "kind must be one of"),
        ({"seed": -1}, "seed must be between 0"),
        ({"patience": 0}, "patience must be at least 1"),
        ({"check_every": 0}, "check_every must be at least 1"),
        ({"compile": "fastest"}, "compile must be"),
        ({"tf32": "yes"}, "tf32 must be"),
    ],
)
def test_train_config_refuses_bad_values(fields, match):
    with pytest.raises(ValueError, match=match):
        TrainConfig(**fields)


def test_old_field_names_are_upgraded():
    stored = {"epochs": 10, "reconstruction": "mse", "seed": 0}  # a card written before the rename
    assert TrainConfig(**upgrade_train_config(stored)).kind == "mse"
