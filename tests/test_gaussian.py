import pytest
import torch
from torch.distributions import Independent, Normal
from torch.distributions import kl_divergence as torch_kl

from vae_course.gaussian import (
    gaussian_log_density,
    kl_diagonal_gaussians,
    kl_divergence,
    kl_per_dimension,
    reparameterize,
)


def _params(batch=64, dim=12, seed=0, dtype=torch.float64):
    g = torch.Generator().manual_seed(seed)
    mu = torch.randn(batch, dim, generator=g, dtype=dtype) * 2
    logvar = torch.randn(batch, dim, generator=g, dtype=dtype)
    return mu, logvar


@pytest.mark.parametrize("dim", [1, 2, 20])
def test_kl_matches_torch_distributions(dim):
    mu, logvar = _params(dim=dim)
    q = Normal(mu, torch.exp(0.5 * logvar))
    p = Normal(torch.zeros_like(mu), torch.ones_like(mu))
    expected = torch_kl(q, p).sum(dim=-1)  # oracle: PyTorch's registered Normal-Normal KL
    torch.testing.assert_close(kl_divergence(mu, logvar), expected)
    torch.testing.assert_close(kl_per_dimension(mu, logvar), torch_kl(q, p))


def test_kl_is_zero_at_the_prior_and_positive_elsewhere():
    zeros = torch.zeros(3, 5)
    torch.testing.assert_close(kl_divergence(zeros, zeros), torch.zeros(3))
    mu, logvar = _params()
    assert (kl_divergence(mu, logvar) > 0).all()


def test_reparameterize_with_pinned_noise():
    mu, logvar = _params(batch=4, dim=3)
    eps = torch.randn(4, 3, dtype=torch.float64)
    torch.testing.assert_close(reparameterize(mu, logvar, eps), mu + torch.sqrt(torch.exp(logvar)) * eps)
    torch.testing.assert_close(reparameterize(mu, logvar, torch.zeros_like(mu)), mu)


def test_reparameterize_sample_statistics():
    torch.manual_seed(0)
    mu = torch.tensor([[1.5, -2.0, 0.0]])
    logvar = torch.tensor([[0.0, 2.0, -3.0]])
    z = reparameterize(mu.expand(200_000, 3), logvar.expand(200_000, 3))
    torch.testing.assert_close(z.mean(0), mu[0], atol=0.02, rtol=0)
    torch.testing.assert_close(z.std(0), torch.exp(0.5 * logvar[0]), atol=0.02, rtol=0.01)


def test_reparameterize_draws_fresh_noise():
    mu, logvar = torch.zeros(8, 4), torch.zeros(8, 4)
    assert not torch.equal(reparameterize(mu, logvar), reparameterize(mu, logvar))


def test_gradients_reach_mu_and_logvar():
    mu = torch.randn(5, 3, requires_grad=True)
    logvar = torch.randn(5, 3, requires_grad=True)
    eps = torch.randn(5, 3)
    reparameterize(mu, logvar, eps).sum().backward()
    torch.testing.assert_close(mu.grad, torch.ones(5, 3))  # dz/dmu = 1
    torch.testing.assert_close(logvar.grad, 0.5 * torch.exp(0.5 * logvar.detach()) * eps)  # dz/dlogvar


def test_gaussian_log_density_matches_torch():
    mu, logvar = _params(batch=10, dim=4)
    z = torch.randn(10, 4, dtype=torch.float64)
    expected = Normal(mu, torch.exp(0.5 * logvar)).log_prob(z).sum(-1)
    torch.testing.assert_close(gaussian_log_density(z, mu, logvar), expected)


@pytest.mark.parametrize("dim", [1, 3, 20])
def test_kl_between_two_diagonal_gaussians_matches_torch_distributions(dim):
    mu_q, logvar_q = _params(dim=dim, seed=1)
    mu_p, logvar_p = _params(dim=dim, seed=2)
    q = Independent(Normal(mu_q, torch.exp(0.5 * logvar_q)), 1)
    p = Independent(Normal(mu_p, torch.exp(0.5 * logvar_p)), 1)
    expected = torch_kl(q, p)  # oracle: (B,), already summed over the D dimensions
    torch.testing.assert_close(kl_diagonal_gaussians(mu_q, logvar_q, mu_p, logvar_p), expected)
    assert not torch.allclose(kl_diagonal_gaussians(mu_p, logvar_p, mu_q, logvar_q), expected)  # not symmetric


def test_kl_between_diagonal_gaussians_with_the_prior_is_the_vae_kl():
    mu, logvar = _params()
    zeros = torch.zeros_like(mu)
    torch.testing.assert_close(kl_diagonal_gaussians(mu, logvar, zeros, zeros), kl_divergence(mu, logvar))
    torch.testing.assert_close(kl_diagonal_gaussians(mu, logvar, mu, logvar), torch.zeros(mu.shape[0], dtype=mu.dtype))
