import pytest
import torch

from vae_course.frechet import (
    feature_statistics,
    frechet_distance,
    frechet_distance_of_features,
    sqrtm_psd,
)


def _random_covariance(dim, seed):
    a = torch.randn(dim, dim, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
    return a @ a.T / dim + 0.1 * torch.eye(dim, dtype=torch.float64)


def test_square_root_squares_back():
    cov = _random_covariance(6, 0)
    root = sqrtm_psd(cov)
    torch.testing.assert_close(root @ root, cov)
    torch.testing.assert_close(root, root.T)


def test_diagonal_covariances_have_a_closed_form():
    m1, m2 = torch.tensor([0.0, 1.0, 2.0]), torch.tensor([1.0, 1.0, 0.0])
    v1, v2 = torch.tensor([1.0, 4.0, 9.0]), torch.tensor([4.0, 1.0, 1.0])
    expected = ((m1 - m2) ** 2).sum() + ((v1.sqrt() - v2.sqrt()) ** 2).sum()  # sum of (sigma1 - sigma2)^2
    assert frechet_distance(m1, torch.diag(v1), m2, torch.diag(v2)) == pytest.approx(expected.item())


def test_against_scipy_sqrtm():
    linalg = pytest.importorskip("scipy.linalg")
    cov1, cov2 = _random_covariance(5, 1), _random_covariance(5, 2)
    m1, m2 = torch.randn(5, dtype=torch.float64), torch.randn(5, dtype=torch.float64)
    cross = linalg.sqrtm((cov1 @ cov2).numpy()).real  # the textbook formula, with a general square root
    expected = ((m1 - m2) ** 2).sum().item() + torch.trace(cov1 + cov2).item() - 2 * cross.trace()
    assert frechet_distance(m1, cov1, m2, cov2) == pytest.approx(expected, rel=1e-9)


def test_same_features_give_zero_and_the_distance_is_symmetric():
    f1 = torch.randn(200, 4, generator=torch.Generator().manual_seed(0))
    f2 = 2 * torch.randn(300, 4, generator=torch.Generator().manual_seed(1)) + 1
    assert frechet_distance_of_features(f1, f1) == pytest.approx(0.0, abs=1e-9)
    assert frechet_distance_of_features(f1, f2) == pytest.approx(frechet_distance_of_features(f2, f1))
    mean, cov = feature_statistics(f1)
    assert mean.shape == (4,) and cov.shape == (4, 4) and mean.dtype == torch.float64
