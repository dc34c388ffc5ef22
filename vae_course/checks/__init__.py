"""Checks that nbgrader's hidden tests call: one per exercise, each split into parts for partial credit.

A hidden test cell of an assignment is one line, for example::

    checks.check_reparameterize(reparameterize, part="values")

Each check runs the student's function or class on hidden inputs (several shapes, batch sizes,
seeds, float32 and float64, the CPU and a GPU when there is one) next to the reference in
``vae_course`` (the VAEs of assignments 4 and 5, which students design, against a specification of
their behaviour instead: :mod:`.vae_models`) and raises :class:`CheckFailure` (an ``AssertionError``) with a message that teaches:
what was expected, what came back, and a named hint (:mod:`.hints`) when the answer matches a common
mistake. ``part=None`` runs every part in order.

Under classgrade, each check also sends what the student's code returned to the grader, whose
:func:`judge` replays the same check on it in a process the student's code never ran in
(:mod:`.judging`, :mod:`.channel`): changing the kernel cannot change that verdict.

Messages, hints and the grader's own verdicts (:func:`verdict_texts`) are in the language of
``VAE_COURSE_LANGUAGE`` (English or Indonesian, :mod:`vae_course.language`); hint names stay English.

| exercise | check | parts |
|---|---|---|
| ``reconstruction_loss`` | :func:`check_reconstruction_loss` | shapes, values, gradients |
| ``MLPAutoencoder`` | :func:`check_mlp_autoencoder` | shapes, values, gradients |
| ``reparameterize`` | :func:`check_reparameterize` | shapes, values, noise, gradients |
| ``kl_divergence`` | :func:`check_kl_divergence` | shapes, values, gradients |
| ``negative_elbo`` | :func:`check_negative_elbo` | shapes, values, gradients |
| ``MLPVAE`` | :func:`check_mlp_vae` | shapes, budget, encoder, decoder, sampling, noise, gradients, trains |
| ``ConvVAE`` | :func:`check_conv_vae` | shapes, budget, layers, encoder, decoder, sampling, noise, gradients, trains |
| ``linear_interpolation`` | :func:`check_linear_interpolation` | shapes, values |
| ``spherical_interpolation`` | :func:`check_spherical_interpolation` | shapes, values, special |
| ``traverse`` | :func:`check_traverse` | shapes, values |
| ``manifold_grid`` | :func:`check_manifold_grid` | shapes, values |
| ``encode_means`` | :func:`check_encode_means` | shapes, values |
| ``tsne_embedding`` | :func:`check_tsne_embedding` | shapes, values |
| ``train_step`` | :func:`check_train_step` | shapes, values, zero_grad |
| ``evaluate`` | :func:`check_evaluate` | shapes, values, behaviour |
| ``train`` | :func:`check_train` | shapes, modes, falls, reference |
| ``kl_diagonal_gaussians`` | :func:`check_kl_diagonal_gaussians` | shapes, values, gradients |
| ``log_importance_weights`` | :func:`check_log_importance_weights` | shapes, values |
| ``log_mean_exp`` | :func:`check_log_mean_exp` | shapes, values, stable |
| ``kl_per_dimension`` | :func:`check_kl_per_dimension` | shapes, values, gradients |
| ``active_units`` | :func:`check_active_units` | shapes, values |
| ``alpha_bars`` | :func:`check_alpha_bars` | shapes, values |
| ``q_sample`` | :func:`check_q_sample` | shapes, values |
| ``noise_prediction_loss`` | :func:`check_noise_prediction_loss` | shapes, values, gradients |
| ``diffusion_loss`` | :func:`check_diffusion_loss` | values, random, gradients |
"""

from __future__ import annotations

from .bounds import (  # assignment 8
    check_kl_diagonal_gaussians,
    check_log_importance_weights,
    check_log_mean_exp,
)
from .collapse import check_active_units, check_kl_per_dimension  # assignment 9
from .core import CheckFailure
from .diffusion import (  # assignment 10
    check_alpha_bars,
    check_diffusion_loss,
    check_noise_prediction_loss,
    check_q_sample,
)
from .gaussian import check_kl_divergence, check_reparameterize
from .hints import HINTS
from .judging import judge, verdict_texts
from .latent import (
    check_encode_means,
    check_linear_interpolation,
    check_manifold_grid,
    check_spherical_interpolation,
    check_traverse,
    check_tsne_embedding,
)
from .losses import check_negative_elbo, check_reconstruction_loss
from .models import check_mlp_autoencoder
from .training import check_evaluate, check_train, check_train_step  # assignment 7
from .vae_models import check_conv_vae, check_mlp_vae  # assignments 4 and 5: behaviour, not layers

__all__ = [
    "HINTS",
    "CheckFailure",
    "check_active_units",
    "check_alpha_bars",
    "check_diffusion_loss",
    "check_noise_prediction_loss",
    "check_q_sample",
    "check_evaluate",
    "check_kl_diagonal_gaussians",
    "check_kl_per_dimension",
    "check_log_importance_weights",
    "check_log_mean_exp",
    "check_train",
    "check_train_step",
    "check_conv_vae",
    "check_encode_means",
    "check_kl_divergence",
    "check_linear_interpolation",
    "check_manifold_grid",
    "check_mlp_autoencoder",
    "check_mlp_vae",
    "check_negative_elbo",
    "check_reconstruction_loss",
    "check_reparameterize",
    "check_spherical_interpolation",
    "check_traverse",
    "check_tsne_embedding",
    "judge",
    "verdict_texts",
]
