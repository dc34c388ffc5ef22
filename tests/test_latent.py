import math

import numpy as np
import pytest
import torch

from vae_course.latent import (
    encode_means,
    interpolate,
    linear_interpolation,
    manifold_codes,
    manifold_grid,
    sample_images,
    sample_prior,
    spherical_interpolation,
    traverse,
    tsne_embedding,
)
from vae_course.models import build_model


def test_linear_interpolation_endpoints_and_midpoint():
    a, b = torch.tensor([0.0, 2.0]), torch.tensor([4.0, -2.0])
    path = linear_interpolation(a, b, 5)
    assert path.shape == (5, 2)
    torch.testing.assert_close(path[0], a)
    torch.testing.assert_close(path[-1], b)
    torch.testing.assert_close(path[2], (a + b) / 2)


def test_spherical_interpolation_follows_the_great_circle():
    a, b = torch.tensor([1.0, 0.0]), torch.tensor([0.0, 1.0])
    path = spherical_interpolation(a, b, 9)
    torch.testing.assert_close(path[0], a)
    torch.testing.assert_close(path[-1], b)
    torch.testing.assert_close(path.norm(dim=1), torch.ones(9))  # stays on the unit circle
    angles = torch.atan2(path[:, 1], path[:, 0])
    torch.testing.assert_close(angles, torch.linspace(0, math.pi / 2, 9))  # constant angular speed


def test_spherical_interpolation_of_parallel_codes_is_linear():
    a = torch.tensor([1.0, 2.0, 3.0])
    torch.testing.assert_close(spherical_interpolation(a, 2 * a, 4), linear_interpolation(a, 2 * a, 4))
    zero = torch.zeros(3)
    assert torch.isfinite(spherical_interpolation(zero, a, 4)).all()


def test_interpolate_dispatches_and_rejects_unknown_methods():
    a, b = torch.randn(6), torch.randn(6)
    torch.testing.assert_close(interpolate(a, b, 7, "spherical"), spherical_interpolation(a, b, 7))
    with pytest.raises(ValueError, match="method"):
        interpolate(a, b, 7, "cubic")


def test_traverse_changes_one_dimension_only():
    z = torch.arange(4.0)
    codes = traverse(z, 2, torch.linspace(-3, 3, 5))
    assert codes.shape == (5, 4)
    torch.testing.assert_close(codes[:, 2], torch.linspace(-3, 3, 5))
    torch.testing.assert_close(codes[:, [0, 1, 3]], z[[0, 1, 3]].expand(5, 3))
    assert z[2] == 2.0  # the input is not modified
    with pytest.raises(IndexError):
        traverse(z, 4, torch.zeros(2))


def test_centred_traverse_adds_offsets_to_the_code():
    z = torch.tensor([0.5, -1.0, 2.0])
    offsets = torch.linspace(-2, 2, 5)
    codes = traverse(z, 1, offsets, centred=True)
    oracle = z.repeat(5, 1)  # (5, 3) built independently: copy, then add the offsets to one column
    oracle[:, 1] += offsets
    torch.testing.assert_close(codes, oracle)
    torch.testing.assert_close(codes[2], z)  # offset 0, the middle column, is the image's own code
    torch.testing.assert_close(traverse(z, 1, z[1] + offsets), codes)  # same as setting z_d + offset


def test_sampling_is_deterministic_given_a_generator():
    a = sample_prior(5, 3, generator=torch.Generator().manual_seed(0))
    b = sample_prior(5, 3, generator=torch.Generator().manual_seed(0))
    assert a.shape == (5, 3) and torch.equal(a, b)
    model = build_model("mlp_vae", latent_dim=3)
    images = sample_images(model, 4, generator=torch.Generator().manual_seed(1))
    assert images.shape == (4, 1, 28, 28)


def test_encode_means_returns_posterior_means_in_eval_mode(images):
    model = build_model("conv_vae", latent_dim=2).train()
    codes = encode_means(model, images, batch_size=5, device="cpu")
    with torch.no_grad():
        mu, _ = model.encode(images)
    torch.testing.assert_close(codes, mu)  # the mean, not a sample: same every call
    torch.testing.assert_close(encode_means(model, images, device="cpu"), codes)
    assert not model.training
    ae_codes = encode_means(build_model("mlp_autoencoder", latent_dim=2), images, device="cpu")
    assert ae_codes.shape == (16, 2)


def test_manifold_grid():
    codes = manifold_codes(3)
    assert codes.shape == (9, 2)
    assert codes[0, 0] < codes[1, 0] and codes[0, 1] > codes[3, 1]  # x grows along a row, y down the rows
    torch.testing.assert_close(codes[4], torch.zeros(2), atol=1e-6, rtol=0)  # the centre is z = 0
    assert manifold_grid(build_model("conv_vae", latent_dim=2), 4).shape == (16, 1, 28, 28)
    with pytest.raises(ValueError, match="2-D"):
        manifold_grid(build_model("conv_vae", latent_dim=12), 4)


def test_tsne_is_seeded_and_separates_clusters():
    g = np.random.default_rng(0)
    codes = np.concatenate([g.normal(0, 1, (60, 12)), g.normal(8, 1, (60, 12))]).astype(np.float32)
    a = tsne_embedding(codes, seed=0, perplexity=10)
    b = tsne_embedding(torch.from_numpy(codes), seed=0, perplexity=10)
    assert a.shape == (120, 2)
    np.testing.assert_allclose(a, b)
    centre0, centre1 = a[:60].mean(0), a[60:].mean(0)
    spread = max(a[:60].std(0).max(), a[60:].std(0).max())
    assert np.linalg.norm(centre0 - centre1) > 3 * spread


def test_tools_run_where_the_model_is(images, monkeypatch):
    """device=None means the model's device: a tool never moves the caller's model elsewhere."""
    import vae_course.device as device_module

    monkeypatch.setattr(device_module.torch.cuda, "is_available", lambda: True)  # as on a GPU machine
    model = build_model("mlp_vae", latent_dim=2)
    encode_means(model, images)
    from vae_course.evaluate import evaluate_negative_elbo

    evaluate_negative_elbo(model, images)
    assert next(model.parameters()).device.type == "cpu"
