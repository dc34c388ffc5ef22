import math

import pytest
import torch

from vae_course import diffusion
from vae_course.models import DDPM, DDPMConfig
from vae_course.train_ddpm import DDPMTrainConfig, fit_ddpm

TINY = DDPMConfig(timesteps=10, channels=(8, 8, 16), time_dim=8)


class ZeroNoise(torch.nn.Module):
    """A 'network' that always predicts zero noise."""

    def forward(self, x_t, t):
        return torch.zeros_like(x_t)


@pytest.mark.parametrize("schedule", diffusion.SCHEDULES)
def test_schedules(schedule):
    betas = diffusion.make_betas(schedule, 100)
    alpha_bar = diffusion.alpha_bars(betas)
    assert betas.shape == (100,) and ((betas > 0) & (betas < 1)).all()
    assert (alpha_bar.diff() < 0).all() and alpha_bar[-1] < 1e-3  # ends (almost) at pure noise
    torch.testing.assert_close(alpha_bar[3], torch.prod(1 - betas[:4]))


@pytest.mark.parametrize("timesteps", [1, 2, 10, 20, 21])
def test_short_schedules_keep_some_signal_at_every_step(timesteps):
    for schedule in diffusion.SCHEDULES:
        betas = diffusion.make_betas(schedule, timesteps)
        alpha_bar = diffusion.alpha_bars(betas)
        assert betas.shape == (timesteps,) and bool((betas > 0).all() and (betas < 1).all())
        assert bool(torch.isfinite(alpha_bar).all() and (alpha_bar > 0).all())


def test_q_sample_with_pinned_noise_is_the_closed_form():
    alpha_bar = diffusion.alpha_bars(diffusion.cosine_betas(50)).float()
    x0, noise = torch.rand(3, 1, 28, 28), torch.randn(3, 1, 28, 28)
    t = torch.tensor([0, 10, 49])
    expected = torch.stack(
        [alpha_bar[s].sqrt() * x0[i] + (1 - alpha_bar[s]).sqrt() * noise[i] for i, s in enumerate(t)]
    )
    torch.testing.assert_close(diffusion.q_sample(x0, t, alpha_bar, noise), expected)


def test_forward_process_matches_the_step_by_step_chain():
    """Noising one step at a time, x_t = sqrt(1 - beta_t) x_{t-1} + sqrt(beta_t) eps, has the closed form's mean and variance."""
    betas = diffusion.linear_betas(20)
    alpha_bar = diffusion.alpha_bars(betas)
    generator = torch.Generator().manual_seed(0)
    x0 = torch.full((200_000,), 0.7, dtype=torch.float64)
    x = x0.clone()
    for beta in betas[:8]:  # steps 0..7
        x = (1 - beta).sqrt() * x + beta.sqrt() * torch.randn(x.shape, generator=generator, dtype=torch.float64)
    mean, variance = diffusion.q_mean_variance(x0[:1].view(1, 1, 1, 1), torch.tensor([7]), alpha_bar)
    assert x.mean().item() == pytest.approx(mean.item(), abs=0.01)
    assert x.var().item() == pytest.approx(variance.item(), rel=0.02)


def test_loss_by_hand():
    alpha_bar = diffusion.alpha_bars(diffusion.cosine_betas(10)).float()
    x0 = torch.rand(2, 1, 28, 28)
    noise = torch.randn(2, 1, 28, 28, generator=torch.Generator().manual_seed(0))
    loss = diffusion.diffusion_loss(ZeroNoise(), x0, alpha_bar, t=torch.tensor([1, 5]), noise=noise)
    assert loss.item() == pytest.approx(noise.pow(2).mean().item())  # || eps - 0 ||^2, mean over pixels and batch
    assert diffusion.noise_prediction_loss(noise, noise).item() == 0


def test_reverse_mean_with_the_true_noise_is_the_posterior_mean():
    """mu_theta with the exact epsilon equals the mean of q(x_{t-1} | x_t, x_0) (Ho et al., eq. 10-11)."""
    betas = diffusion.cosine_betas(30)
    alpha_bar = diffusion.alpha_bars(betas)
    x0 = torch.rand(4, 1, 28, 28, dtype=torch.float64) * 2 - 1
    noise = torch.randn(4, 1, 28, 28, dtype=torch.float64)
    t = torch.tensor([1, 5, 17, 29])
    x_t = diffusion.q_sample(x0, t, alpha_bar, noise)
    posterior_mean, posterior_variance = diffusion.posterior_mean_variance(x0, x_t, t, betas)
    torch.testing.assert_close(diffusion.p_mean(x_t, t, betas, noise), posterior_mean)
    assert (posterior_variance.flatten() < betas[t]).all()  # beta tilde < beta


def test_discretized_likelihood_sums_to_one_over_the_levels():
    levels = torch.linspace(-1, 1, diffusion.NUM_LEVELS, dtype=torch.float64)
    for mean, variance in [(0.3, 0.01), (-0.99, 1e-4), (0.0, 4.0)]:
        log_p = diffusion.discretized_gaussian_log_likelihood(levels, torch.tensor(mean), torch.tensor(variance))
        assert log_p.exp().sum().item() == pytest.approx(1.0, abs=1e-9)


@pytest.mark.parametrize("sampler", ["ancestral", "ddim"])
def test_samplers_are_deterministic_given_their_noise(sampler):
    torch.manual_seed(0)
    model = DDPM(TINY).eval()
    draws = []
    for _ in range(2):
        generator = torch.Generator().manual_seed(7)
        if sampler == "ddim":
            draws.append(diffusion.ddim_sample(model, model.betas, 3, num_steps=4, generator=generator))
        else:
            draws.append(diffusion.ancestral_sample(model, model.betas, 3, generator=generator))
    assert draws[0].shape == (3, 1, 28, 28) and ((draws[0] >= 0) & (draws[0] <= 1)).all()
    torch.testing.assert_close(draws[0], draws[1])


def test_ddim_steps():
    assert diffusion.ddim_steps(1000, 4) == [999, 666, 333, 0]
    assert diffusion.ddim_steps(10, 10) == list(range(9, -1, -1))
    with pytest.raises(ValueError):
        diffusion.ddim_steps(10, 11)


def test_elbo_terms_and_bits_per_dim():
    torch.manual_seed(0)
    model = DDPM(TINY).eval()
    images = torch.randint(0, 256, (3, 1, 28, 28)).float() / 255
    terms = diffusion.negative_elbo_terms(
        model, diffusion.to_model_space(images), model.betas, torch.Generator().manual_seed(0)
    )
    assert terms.shape == (3, TINY.timesteps + 1) and torch.isfinite(terms).all() and (terms[:, 1:] >= 0).all()
    bpd = diffusion.bits_per_dim(model, images, model.betas, seed=1)
    assert bpd == diffusion.bits_per_dim(model, images, model.betas, seed=1)  # seeded: reproducible
    total = (
        diffusion.negative_elbo_terms(
            model, diffusion.to_model_space(images), model.betas, torch.Generator().manual_seed(1)
        ).sum()
        / 3
    )
    assert bpd == pytest.approx(total.item() / (784 * math.log(2)))


def test_overfits_a_tiny_batch():
    torch.manual_seed(0)
    model = DDPM(TINY)
    images = (torch.rand(8, 1, 28, 28, generator=torch.Generator().manual_seed(0)) > 0.5).float()
    log = fit_ddpm(model, images, images, DDPMTrainConfig(epochs=150, batch_size=8, lr=3e-3), device="cpu")
    assert log.epochs[-1]["val_loss"] < 0.5 * log.epochs[0]["val_loss"] and not model.training


class OracleDenoiser(torch.nn.Module):
    """The exact noise predictor for data that is one fixed image: eps = (x_t - sqrt(abar) x*) / sqrt(1 - abar)."""

    def __init__(self, image, alpha_bar):
        super().__init__()
        self.image, self.alpha_bar = image, alpha_bar

    def forward(self, x_t, t):
        a = self.alpha_bar[t].view(-1, 1, 1, 1).to(x_t.dtype)
        return (x_t - a.sqrt() * self.image) / (1 - a).sqrt()


def test_elbo_of_the_exact_denoiser_is_only_the_variance_mismatch():
    """With eps_theta exact, the reverse and posterior means agree, so each KL is the closed form for
    variances beta (ours) against beta tilde (the posterior's), per pixel."""
    betas = diffusion.linear_betas(50)
    alpha_bar = diffusion.alpha_bars(betas)
    image = (torch.randint(0, 256, (1, 1, 28, 28)).double() / 255) * 2 - 1
    terms = diffusion.negative_elbo_terms(
        OracleDenoiser(image, alpha_bar), image.expand(2, -1, -1, -1), betas, torch.Generator().manual_seed(0)
    )
    beta_tilde = (1 - alpha_bar[:-1]) / (1 - alpha_bar[1:]) * betas[1:]  # steps 1..T-1
    expected = 0.5 * (torch.log(betas[1:] / beta_tilde) + beta_tilde / betas[1:] - 1) * 784
    torch.testing.assert_close(terms[0, 1:-1], expected)
    # the decoder term, exact mean and variance beta_1: each pixel's bin of half-width 1/255, open at -1 and 1
    normal = torch.distributions.Normal(0.0, betas[0].sqrt().item())
    inside = normal.cdf(torch.tensor(1 / 255)) - normal.cdf(torch.tensor(-1 / 255))
    at_edge = normal.cdf(torch.tensor(1 / 255))
    edges = (image.abs() > 1 - 1e-6).sum()
    expected_decoder = -(edges * at_edge.log() + (784 - edges) * inside.log())
    assert terms[0, 0].item() == pytest.approx(expected_decoder.item(), rel=1e-5)
    prior = 0.5 * (alpha_bar[-1] * image.pow(2) + (1 - alpha_bar[-1]) - 1 - torch.log(1 - alpha_bar[-1])).sum()
    torch.testing.assert_close(terms[0, -1], prior)


def _oracle_kl(mean1, var1, mean2, var2):
    """KL(N(mean1, var1) || N(mean2, var2)) summed over each image's pixels, by torch.distributions."""
    normal = torch.distributions.Normal
    kl = torch.distributions.kl_divergence(normal(mean1, var1.sqrt().expand_as(mean1)), normal(mean2, var2.sqrt()))
    return kl.sum((1, 2, 3))


@pytest.mark.parametrize("schedule", diffusion.SCHEDULES)
def test_denoising_kl_is_the_weighted_noise_error_plus_a_constant(schedule):
    """Ho et al.'s eq. 8 with its "+ C": KL(q(x_{t-1}|x_t,x_0) || N(mu_theta, beta_t I)) = lambda_t ||eps - eps_theta||^2 + C_t."""
    betas = diffusion.make_betas(schedule, 40)
    alpha_bar = diffusion.alpha_bars(betas)
    generator = torch.Generator().manual_seed(0)
    t = torch.tensor([1, 2, 13, 38, 39])  # the first denoising step (paper's t = 2) to the last (t = T)
    x0 = 2 * torch.rand(len(t), 1, 28, 28, generator=generator, dtype=torch.float64) - 1
    noise = torch.randn(x0.shape, generator=generator, dtype=torch.float64)
    predicted = noise + 0.3 * torch.randn(x0.shape, generator=generator, dtype=torch.float64)  # an imperfect network
    x_t = diffusion.q_sample(x0, t, alpha_bar, noise)
    posterior_mean, posterior_variance = diffusion.posterior_mean_variance(x0, x_t, t, betas)
    reverse_variance = betas[t].view(-1, 1, 1, 1).expand_as(x0)  # sigma_t^2 = beta_t
    kl = _oracle_kl(posterior_mean, posterior_variance, diffusion.p_mean(x_t, t, betas, predicted), reverse_variance)
    weights, constants = diffusion.denoising_weights(betas), diffusion.denoising_kl_constants(betas)
    assert weights.shape == constants.shape == (len(betas) - 1,)
    formula = weights[t - 1] * (noise - predicted).pow(2).sum((1, 2, 3)) + constants[t - 1]
    torch.testing.assert_close(formula, kl)
    # the constant is the KL of the exact denoiser, and it is what the weighted error alone would leave out
    exact = _oracle_kl(posterior_mean, posterior_variance, diffusion.p_mean(x_t, t, betas, noise), reverse_variance)
    torch.testing.assert_close(constants[t - 1], exact)
    assert (constants > 0).all()  # beta tilde < beta at every step, so r_t < 1 and C_t > 0


def test_negative_elbo_terms_match_torch_distributions():
    """Every column of negative_elbo_terms, recomputed from torch.distributions with the same draws of x_t."""
    torch.manual_seed(0)
    model = DDPM(TINY).eval()
    betas = model.betas
    alpha_bar = diffusion.alpha_bars(betas)
    x0 = diffusion.to_model_space(torch.randint(0, 256, (2, 1, 28, 28)) / 255)  # float32, as the network
    terms = diffusion.negative_elbo_terms(model, x0, betas, torch.Generator().manual_seed(3))  # float64 sums
    close = lambda actual, expected: torch.testing.assert_close(actual, expected.double(), rtol=1e-5, atol=1e-4)  # noqa: E731
    generator = torch.Generator().manual_seed(3)  # the same draws, in the same order: one x_t per step
    normal = torch.distributions.Normal
    for step in range(len(betas)):
        t = torch.full((2,), step)
        x_t = diffusion.q_sample(x0, t, alpha_bar, torch.randn(x0.shape, generator=generator, dtype=x0.dtype))
        with torch.no_grad():
            mean = diffusion.p_mean(x_t, t, betas, model(x_t, t))
        if step == 0:  # the decoder: N(mean, beta_1) integrated over each grey level's bin, open at -1 and 1
            reverse = normal(mean, betas[0].sqrt().float())
            upper = torch.where(x0 > 1 - 1e-6, torch.ones_like(x0), reverse.cdf(x0 + 1 / 255))
            lower = torch.where(x0 < -1 + 1e-6, torch.zeros_like(x0), reverse.cdf(x0 - 1 / 255))
            close(terms[:, 0], -(upper - lower).log().sum((1, 2, 3)))
        else:
            q_mean, q_var = diffusion.posterior_mean_variance(x0, x_t, t, betas)
            close(terms[:, step], _oracle_kl(q_mean, q_var, mean, betas[step].float().expand_as(mean)))
    prior = torch.distributions.kl_divergence(
        normal(alpha_bar[-1].sqrt().float() * x0, (1 - alpha_bar[-1]).sqrt().float()), normal(torch.zeros_like(x0), 1.0)
    )
    close(terms[:, -1], prior.sum((1, 2, 3)))


def test_ancestral_chain_yields_every_step_and_ends_at_the_sample():
    torch.manual_seed(0)
    model = DDPM(TINY).eval()
    x_T = torch.randn(3, 1, 28, 28, generator=torch.Generator().manual_seed(1))
    chain = list(diffusion.ancestral_chain(model, model.betas, x_T, torch.Generator().manual_seed(2)))
    assert [step for step, _, _ in chain] == list(range(TINY.timesteps - 1, -1, -1))
    torch.testing.assert_close(chain[0][1], x_T)  # it starts at x_T
    assert all(x0.abs().max() <= 1 and x.shape == x0.shape == x_T.shape for _, x, x0 in chain)  # x0_hat is clipped
    sample = diffusion.ancestral_sample(model, model.betas, 3, torch.Generator().manual_seed(2), x_T=x_T)
    torch.testing.assert_close(sample, diffusion.to_pixels(chain[-1][2]))


def test_implied_noise_inverts_predicted_x0():
    alpha_bar = diffusion.alpha_bars(diffusion.cosine_betas(20))
    generator = torch.Generator().manual_seed(0)
    x_t = torch.randn(3, 1, 28, 28, generator=generator, dtype=torch.float64)
    noise = torch.randn(3, 1, 28, 28, generator=generator, dtype=torch.float64)
    t = torch.tensor([0, 7, 19])
    x0 = diffusion.predicted_x0(x_t, t, alpha_bar, noise)
    torch.testing.assert_close(diffusion.implied_noise(x_t, t, alpha_bar, x0), noise)


class ScaledNoise(torch.nn.Module):
    """A 'network' whose noise points far outside the data's range: its x0_hat is clipped almost everywhere."""

    def forward(self, x_t, t):
        return -0.5 * x_t


def test_ddim_steps_along_the_noise_of_the_clipped_x0_hat():
    """An oracle written one image and one step at a time, in float64: after the clip, the step uses
    the noise from the clipped x0_hat to x_t, not the network's own (which would give another image)."""
    betas = diffusion.cosine_betas(12)
    alpha_bar = diffusion.alpha_bars(betas)
    x_T = torch.randn(2, 1, 28, 28, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    steps = diffusion.ddim_steps(12, 4)  # [11, 7, 4, 0]

    def oracle(own_noise: bool) -> torch.Tensor:
        images = []
        for x in x_T:
            for step, next_step in zip(steps, steps[1:] + [None]):
                a = alpha_bar[step]
                predicted = -0.5 * x
                x0 = ((x - (1 - a).sqrt() * predicted) / a.sqrt()).clamp(-1, 1)
                if next_step is None:
                    x = x0
                    break
                noise = predicted if own_noise else (x - a.sqrt() * x0) / (1 - a).sqrt()
                x = alpha_bar[next_step].sqrt() * x0 + (1 - alpha_bar[next_step]).sqrt() * noise
            images.append((x + 1) / 2)
        return torch.stack(images)

    sample = diffusion.ddim_sample(ScaledNoise(), betas, 2, num_steps=4, x_T=x_T)
    torch.testing.assert_close(sample, oracle(own_noise=False).clamp(0, 1))
    assert (sample - oracle(own_noise=True).clamp(0, 1)).abs().max() > 0.1  # the clip matters here


def test_ddim_with_the_exact_denoiser_returns_the_image():
    betas = diffusion.cosine_betas(50)
    image = (torch.randint(0, 256, (1, 1, 28, 28)).double() / 255) * 2 - 1
    x_T = torch.randn(3, 1, 28, 28, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    sample = diffusion.ddim_sample(OracleDenoiser(image, diffusion.alpha_bars(betas)), betas, 3, num_steps=10, x_T=x_T)
    torch.testing.assert_close(sample, diffusion.to_pixels(image).expand(3, -1, -1, -1))
