import pytest
import torch
import torch.nn.functional as F

from vae_course.gaussian import kl_divergence
from vae_course.losses import negative_elbo, reconstruction_loss


def _batch(seed=0):
    g = torch.Generator().manual_seed(seed)
    logits = torch.randn(6, 1, 28, 28, generator=g) * 3
    x = torch.rand(6, 1, 28, 28, generator=g)
    return logits, x


def test_bce_sums_over_pixels_per_image():
    logits, x = _batch()
    p = torch.sigmoid(logits)
    manual = -(x * torch.log(p) + (1 - x) * torch.log(1 - p)).flatten(1).sum(1)  # oracle: the formula
    torch.testing.assert_close(reconstruction_loss(p, x), manual, rtol=1e-5, atol=1e-3)


def test_bce_from_logits_agrees_with_probabilities_and_is_stable():
    logits, x = _batch()
    torch.testing.assert_close(
        reconstruction_loss(logits, x, from_logits=True),
        reconstruction_loss(torch.sigmoid(logits), x),
        rtol=1e-4,
        atol=1e-2,
    )
    extreme = torch.full((2, 1, 28, 28), 200.0)
    loss = reconstruction_loss(extreme, torch.zeros_like(extreme), from_logits=True)
    assert torch.isfinite(loss).all()
    torch.testing.assert_close(loss, torch.full((2,), 200.0 * 784))


def test_bce_of_saturated_probabilities_is_finite():
    p = torch.tensor([0.0, 1.0]).repeat(392).view(1, 1, 28, 28)
    assert torch.isfinite(reconstruction_loss(p, 1 - p)).all()


def test_mse_sums_over_pixels():
    logits, x = _batch()
    p = torch.sigmoid(logits)
    torch.testing.assert_close(reconstruction_loss(p, x, "mse"), F.mse_loss(p, x, reduction="none").flatten(1).sum(1))
    torch.testing.assert_close(
        reconstruction_loss(logits, x, "mse", from_logits=True), reconstruction_loss(p, x, "mse")
    )


def test_negative_elbo_is_batch_mean_of_reconstruction_plus_beta_kl():
    logits, x = _batch()
    p = torch.sigmoid(logits)
    mu, logvar = torch.randn(6, 4), torch.randn(6, 4)
    for beta in (0.0, 1.0, 4.0):
        expected = (reconstruction_loss(p, x) + beta * kl_divergence(mu, logvar)).mean()
        torch.testing.assert_close(negative_elbo(p, x, mu, logvar, beta=beta), expected)


def test_shape_mismatch_and_unknown_kind_are_clear_errors():
    logits, x = _batch()
    with pytest.raises(ValueError, match="shape"):
        reconstruction_loss(torch.sigmoid(logits).flatten(1), x)
    with pytest.raises(ValueError, match="kind"):
        reconstruction_loss(torch.sigmoid(logits), x, kind="l1")


def test_nan_probabilities_give_a_nan_loss_not_an_error():
    p = torch.full((2, 1, 28, 28), 0.3)
    p[1, 0, 5, 5] = float("nan")
    loss = reconstruction_loss(p, torch.zeros_like(p))
    assert torch.isfinite(loss[0]) and torch.isnan(loss[1])


def test_probability_path_matches_pytorch_bit_for_bit_with_gradients():
    logits, x = _batch()
    p1 = torch.sigmoid(logits).requires_grad_()
    p2 = p1.detach().clone().requires_grad_()
    ours = reconstruction_loss(p1, x)
    theirs = F.binary_cross_entropy(p2, x, reduction="none").flatten(1).sum(1)
    ours.sum().backward()
    theirs.sum().backward()
    assert torch.equal(ours, theirs) and torch.equal(p1.grad, p2.grad)
