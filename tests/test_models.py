import pytest
import torch

from vae_course.models import (
    AUTOENCODERS,
    MLPVAE,
    MODELS,
    ConvVAE,
    MLPVAEConfig,
    build_model,
    decode,
    is_vae,
    model_name,
)

CASES = [
    ("mlp_autoencoder", {}),
    ("mlp_autoencoder", {"latent_dim": 2}),
    ("mlp_vae", {}),
    ("mlp_vae", {"hidden_dim": 400, "latent_dim": 20}),
    ("conv_vae", {"latent_dim": 2}),
    ("conv_vae", {"latent_dim": 12}),
]


def test_every_registered_model_is_covered():
    assert {name for name, _ in CASES} == set(AUTOENCODERS)  # the others: test_dcgan, test_diffusion, test_classifier
    assert set(MODELS) == set(AUTOENCODERS) | {"dcgan", "ddpm", "classifier"}


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
    assert (
        default.encoder_hidden.in_features,
        default.encoder_hidden.out_features,
        default.encoder_mu.out_features,
    ) == (784, 200, 20)
    pytorch_example = MLPVAE(MLPVAEConfig(hidden_dim=400, latent_dim=20))
    assert pytorch_example.encoder_hidden.out_features == 400
    # same parameter count as the PyTorch example's fc1, fc21, fc22, fc3, fc4
    assert sum(p.numel() for p in pytorch_example.parameters()) == (784 * 400 + 400) + 2 * (400 * 20 + 20) + (
        20 * 400 + 400
    ) + (400 * 784 + 784)


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


@pytest.mark.parametrize(
    ("name", "config", "match"),
    [
        ("mlp_autoencoder", {"latent_dim": 0}, "latent_dim must be between 1"),
        ("mlp_autoencoder", {"hidden_dim": -5}, "hidden_dim must be between 1"),
        ("mlp_vae", {"latent_dim": 2.5}, "latent_dim must be an integer"),
        ("mlp_vae", {"hidden_dim": 10**8}, "hidden_dim must be between 1 and 10000"),
        ("mlp_vae", {"input_dim": True}, "input_dim must be an integer"),
        ("conv_vae", {"channels": (32,)}, "channels must be a tuple of two"),
        ("conv_vae", {"channels": (32, 0)}, "channels must be between 1"),
        ("conv_vae", {"hidden_dim": 0}, "hidden_dim must be between 1"),
        ("conv_vae", {"depth": 3}, "has no option"),
    ],
)
def test_configs_refuse_bad_values(name, config, match):
    with pytest.raises(ValueError, match=match):
        build_model(name, **config)


@pytest.mark.parametrize("name", sorted(AUTOENCODERS))
@pytest.mark.parametrize("training", [True, False])
def test_decode_leaves_the_model_as_it_was(name, training):
    model = build_model(name, latent_dim=3).train(training)
    z = torch.randn(5, 3, generator=torch.Generator().manual_seed(0))
    images = decode(model, z)
    assert model.training is training  # no switch to eval behind the caller's back
    assert images.shape == (5, 1, 28, 28) and images.device.type == "cpu" and not images.requires_grad
    with torch.no_grad():
        torch.testing.assert_close(images, model.decode(z), rtol=0, atol=0)
