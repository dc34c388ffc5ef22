import math

import numpy as np
import pytest
import torch

from vae_course.evaluate import (
    active_units,
    evaluate_negative_elbo,
    iwae_negative_log_likelihood,
    log_importance_weights,
    log_mean_exp,
)
from vae_course.gaussian import kl_divergence
from vae_course.models import build_model


def _model(latent_dim=4):
    torch.manual_seed(0)
    return build_model("mlp_vae", hidden_dim=32, latent_dim=latent_dim).eval()


def test_mean_log_weight_is_the_elbo(images, monkeypatch):
    """With a decoder that ignores z, E_q[log w] = log p(x|z) - KL(q || p) exactly: an oracle."""
    model = _model()
    monkeypatch.setattr(model, "decode", lambda z: torch.full((z.shape[0], 1, 28, 28), 0.5))
    with torch.no_grad():
        log_w = log_importance_weights(model, images[:3], 200_000, torch.Generator().manual_seed(0))  # (S, B)
        mu, logvar = model.encode(images[:3])
        expected = -784 * math.log(2) - kl_divergence(mu, logvar)  # log 0.5 per pixel, closed-form KL
    torch.testing.assert_close(log_w.mean(0), expected, atol=0.05, rtol=0)


def test_iwae_bound_is_tighter_than_the_elbo(images):
    model = _model()
    neg_elbo = evaluate_negative_elbo(model, images, device="cpu")["negative_elbo"]
    # average the 1-sample estimate over many seeds so its noise does not decide the comparison
    neg_elbo_mean = sum(evaluate_negative_elbo(model, images, device="cpu", seed=s)["negative_elbo"] for s in range(20)) / 20
    iwae_k1 = iwae_negative_log_likelihood(model, images, num_samples=1, device="cpu")
    iwae_k500 = iwae_negative_log_likelihood(model, images, num_samples=500, device="cpu")
    assert math.isfinite(neg_elbo)
    assert iwae_k500 <= neg_elbo_mean  # L_k >= ELBO  <=>  -L_k <= -ELBO
    assert iwae_k500 < iwae_k1


def test_iwae_with_5000_samples_is_chunked(images, monkeypatch):
    model = _model()
    biggest = []
    original = model.decode

    def spy(z):
        biggest.append(z.shape[0])
        return original(z)

    monkeypatch.setattr(model, "decode", spy)
    value = iwae_negative_log_likelihood(model, images[:3], num_samples=5000, max_decoded=4000, device="cpu")
    assert math.isfinite(value)
    assert max(biggest) <= 4000  # never decodes more than max_decoded images at once
    assert sum(biggest) == 3 * 5000


def test_iwae_does_not_depend_on_chunking_beyond_noise(images):
    model = _model()
    a = iwae_negative_log_likelihood(model, images[:4], num_samples=2000, max_decoded=8000, device="cpu")
    b = iwae_negative_log_likelihood(model, images[:4], num_samples=2000, max_decoded=500, device="cpu", seed=1)
    assert abs(a - b) < 0.5  # nats; the two use different noise


def test_negative_elbo_terms_add_up_and_are_reproducible(images):
    model = _model()
    first = evaluate_negative_elbo(model, images, batch_size=5, device="cpu")
    second = evaluate_negative_elbo(model, images, batch_size=16, device="cpu")
    assert first["negative_elbo"] == first["reconstruction"] + first["kl"]
    assert first["kl"] == pytest.approx(second["kl"], rel=1e-6)  # closed form on mu: batching only reorders sums
    assert evaluate_negative_elbo(model, images, batch_size=5, device="cpu") == first  # same seed, same noise


def test_log_mean_exp_matches_the_naive_form_where_it_is_safe():
    values = torch.randn(7, 5, 3, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    for dim in (0, 1, 2, -1):
        torch.testing.assert_close(log_mean_exp(values, dim), values.exp().mean(dim).log())


def test_log_mean_exp_is_stable_for_log_weights_of_images():
    """Log weights of images are hundreds of nats: exp overflows or underflows, the shift does not."""
    offsets = torch.tensor([[-900.0], [800.0]], dtype=torch.float64)  # (2, 1)
    values = offsets + torch.log(torch.tensor([[1.0, 2.0, 3.0, 6.0]], dtype=torch.float64))  # (2, 4)
    expected = offsets[:, 0] + math.log(3.0)  # log of the mean of (1, 2, 3, 6) is log 3
    torch.testing.assert_close(log_mean_exp(values, dim=1), expected)
    torch.testing.assert_close(log_mean_exp(values.float(), dim=1), expected.float())
    assert not torch.isfinite(values.exp().mean(1).log()).all()  # the naive form fails here


def test_pinned_noise_gives_the_weights_of_the_generator_path(images):
    model = _model().eval()
    with torch.no_grad():
        drawn = log_importance_weights(model, images, 3, torch.Generator().manual_seed(5))
        eps = torch.randn((3, images.shape[0], 4), generator=torch.Generator().manual_seed(5))
        torch.testing.assert_close(log_importance_weights(model, images, 3, eps=eps), drawn)


def test_active_units_against_numpy():
    rng = np.random.default_rng(0)
    scales = np.array([1.0, 0.5, 0.05, 0.2, 0.0])  # standard deviations; variances 1, 0.25, 0.0025, 0.04, 0
    mu = rng.standard_normal((500, 5)) * scales + rng.standard_normal(5)  # the offsets do not matter
    expected = np.var(mu, axis=0, ddof=1) > 0.01  # oracle: NumPy's unbiased variance over the images
    got = active_units(torch.from_numpy(mu))
    assert got.dtype == torch.bool and got.tolist() == expected.tolist() == [True, True, False, True, False]
    assert active_units(torch.from_numpy(mu), threshold=0.1).tolist() == [True, True, False, False, False]
