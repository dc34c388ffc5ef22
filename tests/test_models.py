import pytest
import torch

from vae_course.models import MODELS, ConvVAE, MLPVAE, MLPVAEConfig, build_model, is_vae, model_name

CASES = [
    ("mlp_autoencoder", {}),
    ("mlp_autoencoder", {"latent_dim": 2}),
    ("mlp_vae", {}),
    ("mlp_vae", {"hidden_dim": 400, "latent_dim": 20}),
    ("conv_vae", {"latent_dim": 2}),
    ("conv_vae", {"latent_dim": 12}),
]


def test_every_registered_model_is_covered():
    assert {name for name, _ in CASES} == set(MODELS)


@pytest.mark.parametrize("name,config", CASES)
@pytest.mark.parametrize("batch", [1, 5])
def test_shapes(name, config, batch):
    model = build_model(name, **config)
    x = torch.rand(batch, 1, 28, 28)
    latent = model.latent_dim
    if is_vae(model):
        x_hat, mu, logvar = model(x)
        assert mu.shape == logvar.shape == (batch, latent)
        assert model.decode(torch.randn(batch, latent)).shape == (batch, 1, 28, 28)
    else:
        x_hat = model(x)
        assert model.encode(x).shape == (batch, latent)
    assert x_hat.shape == (batch, 1, 28, 28)
    assert ((x_hat >= 0) & (x_hat <= 1)).all()  # sigmoid output: probabilities


def test_mlp_vae_sizes():
    default = MLPVAE()
    assert (default.encoder_hidden.in_features, default.encoder_hidden.out_features, default.encoder_mu.out_features) == (784, 200, 20)
    pytorch_example = MLPVAE(MLPVAEConfig(hidden_dim=400, latent_dim=20))
    assert pytorch_example.encoder_hidden.out_features == 400
    # same parameter count as the PyTorch example's fc1, fc21, fc22, fc3, fc4
    assert sum(p.numel() for p in pytorch_example.parameters()) == (784 * 400 + 400) + 2 * (400 * 20 + 20) + (20 * 400 + 400) + (400 * 784 + 784)


def test_forward_uses_given_noise():
    model = ConvVAE().eval()
    x = torch.rand(3, 1, 28, 28)
    mu, logvar = model.encode(x)
    x_hat, _, _ = model(x, eps=torch.zeros_like(mu))
    torch.testing.assert_close(x_hat, model.decode(mu))


def test_registry_round_trip_and_errors():
    for name in MODELS:
        assert model_name(build_model(name)) == name
    with pytest.raises(ValueError, match="unknown model"):
        build_model("transformer")
    with pytest.raises(ValueError, match="no option"):
        build_model("mlp_vae", latent=3)
