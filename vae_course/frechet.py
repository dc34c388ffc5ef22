r"""The Fréchet distance between two sets of features, each summarised by a Gaussian.

.. math::

    d^2 = \lVert \mu_1 - \mu_2 \rVert^2 + \operatorname{tr}\big(\Sigma_1 + \Sigma_2 - 2 (\Sigma_1^{1/2} \Sigma_2 \Sigma_1^{1/2})^{1/2}\big)

is the squared 2-Wasserstein distance between :math:`\mathcal{N}(\mu_1, \Sigma_1)` and
:math:`\mathcal{N}(\mu_2, \Sigma_2)` (Dowson and Landau, 1982); with Inception features it is the
FID of Heusel et al. (2017). :math:`\operatorname{tr}(\Sigma_1^{1/2} \Sigma_2 \Sigma_1^{1/2})^{1/2}`
equals :math:`\operatorname{tr}(\Sigma_1 \Sigma_2)^{1/2}` but has a symmetric argument, so both
square roots come from a symmetric eigendecomposition, in float64.
"""

from __future__ import annotations

import torch


def feature_statistics(features: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean (D,) and unbiased covariance (D, D) of features (N, D), in float64."""
    features = features.double()
    return features.mean(0), torch.cov(features.T)


def sqrtm_psd(matrix: torch.Tensor) -> torch.Tensor:
    """The symmetric square root of a symmetric positive semi-definite matrix (D, D).

    Eigenvalues that rounding pushed below zero are set to zero.
    """
    eigenvalues, eigenvectors = torch.linalg.eigh(matrix)  # (D,), (D, D)
    return eigenvectors @ torch.diag(eigenvalues.clamp(min=0).sqrt()) @ eigenvectors.T


def frechet_distance(mean1: torch.Tensor, cov1: torch.Tensor, mean2: torch.Tensor, cov2: torch.Tensor) -> float:
    """The Fréchet distance (squared, as FID reports it) between two Gaussians; means (D,), covariances (D, D)."""
    mean1, cov1, mean2, cov2 = (v.double() for v in (mean1, cov1, mean2, cov2))
    root1 = sqrtm_psd(cov1)
    cross = sqrtm_psd(root1 @ cov2 @ root1)  # (Sigma1^1/2 Sigma2 Sigma1^1/2)^1/2
    return ((mean1 - mean2).pow(2).sum() + torch.trace(cov1 + cov2 - 2 * cross)).item()


def frechet_distance_of_features(features1: torch.Tensor, features2: torch.Tensor) -> float:
    """The Fréchet distance between the Gaussians fitted to two feature sets (N1, D) and (N2, D)."""
    return frechet_distance(*feature_statistics(features1), *feature_statistics(features2))
