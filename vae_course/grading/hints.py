"""The hints a failed check can give: one named entry per common mistake.

A check that recognises a mistake (its answer matches what the mistake would compute) adds the
hint's text to its failure message, after the name in brackets, e.g. ``Hint [kl-sign]: ...``.
The names are stable: tests and instructors can search feedback for them.
"""

from __future__ import annotations

from .hints_extra import EXTRA_HINTS

HINTS: dict[str, str] = {
    # --- any exercise
    "not-implemented": "Replace `raise NotImplementedError()` with your code.",
    "delegation": (
        "Your answer calls vae_course's own implementation of the very thing this exercise asks you "
        "to write, so this part scores zero. Write it yourself with torch operations; you may still "
        "use the library for everything else."
    ),
    "wrong-dtype": (
        "The result should have the dtype of the inputs. Create new tensors with `torch.*_like(x)` "
        "or pass `dtype=x.dtype, device=x.device` instead of relying on the defaults."
    ),
    "wrong-device": "The result should be on the device of the inputs (use `*_like` or `device=x.device`).",
    "no-gradient": (
        "Gradients do not flow back to the inputs. Do not call `.detach()`, `.item()`, `.numpy()` or "
        "`torch.tensor(...)` on values you compute with, and do not work under `torch.no_grad()`."
    ),
    "not-finite": "The result contains NaN or infinity: look for log(0), division by zero or overflow.",
    "in-place": "Your function changed one of its inputs in place; work on a copy (`.clone()`) instead.",
    # --- reductions
    "mean-not-sum": (
        "You took a mean where the course takes a sum: losses are summed over pixels and over latent "
        "dimensions (nats per image), and only averaged over the batch."
    ),
    "sum-over-batch": "Sum over pixels or latent dimensions, but take the *mean* over the batch.",
    "per-example": "Return one value per example, shape (B,): reduce over every dimension except the batch.",
    "not-reduced": "Reduce (sum) over the pixels or latent dimensions: the result should have shape (B,).",
    "batch-not-averaged": "The negative ELBO is one number: average the per-image losses over the batch.",
    # --- reconstruction loss
    "logits-to-bce": (
        "With `from_logits=True`, `x_hat` holds logits, not probabilities: apply a sigmoid first or, "
        "better, use `F.binary_cross_entropy_with_logits`, which is stable for large logits."
    ),
    "double-sigmoid": "With `from_logits=False`, `x_hat` already holds probabilities: do not apply a sigmoid.",
    "kind-ignored": "Look at `kind`: 'bce' is binary cross-entropy, 'mse' the squared error.",
    "loss-sign": "A loss is a *negative* log-likelihood: it is positive and smaller is better. Check the sign.",
    "bce-one-term": "Binary cross-entropy has two terms: x log(x_hat) and (1 - x) log(1 - x_hat).",
    # --- reparameterization
    "exp-logvar-as-std": (
        "`exp(logvar)` is the variance sigma^2, not the standard deviation: sigma = exp(0.5 * logvar)."
    ),
    "logvar-as-std": "`logvar` is log(sigma^2); the standard deviation is sigma = exp(0.5 * logvar).",
    "eps-ignored": "Use the `eps` you are given when it is not None; draw fresh noise only when it is None.",
    "stale-noise": (
        "The noise is not drawn fresh: two calls gave the same z. Draw new noise on every call "
        "(e.g. `torch.randn_like(std)`) and do not reseed or cache it."
    ),
    "shared-noise": "Every element needs its own noise: draw eps with the shape of mu, not one value for all.",
    "not-standard-normal": "eps must be standard normal noise, N(0, 1): use `torch.randn_like`, not `torch.rand_like`.",
    # --- KL and ELBO
    "kl-sign": (
        "Your KL has the wrong sign: D_KL = -0.5 * sum(1 + logvar - mu^2 - exp(logvar)) is never negative."
    ),
    "kl-half": "The closed-form KL has a factor 0.5 in front of the sum.",
    "beta-ignored": "Multiply the KL term by `beta`.",
    "beta-on-reconstruction": "`beta` weights the KL term, not the reconstruction term.",
    # --- models
    "missing-sigmoid": (
        "The decoder should output pixel probabilities in [0, 1]: end it with a sigmoid "
        "(without it, BCE would be given logits)."
    ),
    "missing-relu": "Each hidden layer is followed by a ReLU.",
    "image-shape": "Decoded images have shape (B, 1, 28, 28): reshape the decoder's (B, 784) output.",
    "forward-no-sampling": (
        "forward must sample z = reparameterize(mu, logvar, eps) and decode z; decoding mu directly "
        "(or ignoring eps) is what an autoencoder does."
    ),
    "forward-outputs": "forward returns the tuple (x_hat, mu, logvar), in that order.",
    "architecture": "Build exactly the layers the exercise lists, in that order, with the sizes from `config`.",
    "hardcoded-size": (
        "Read the sizes from `config` (`config.latent_dim`, `config.hidden_dim`, `config.channels`); "
        "the model must work for any latent size, not only the default."
    ),
    "conv-shape": (
        "Each Conv2d(kernel_size=4, stride=2, padding=1) halves the side (28 -> 14 -> 7) and each "
        "ConvTranspose2d with the same settings doubles it (7 -> 14 -> 28)."
    ),
    "encode-outputs": "encode returns the tuple (mu, logvar), each of shape (B, latent_dim).",
    # --- latent space
    "endpoints": "The path includes both ends: the first row is z_start and the last row is z_end.",
    "linear-not-spherical": (
        "This is a straight line. Spherical interpolation follows the great circle: weights "
        "sin((1 - t) omega) / sin(omega) and sin(t omega) / sin(omega), omega the angle between the codes."
    ),
    "slerp-parallel": (
        "When the codes are (anti)parallel or zero, sin(omega) is about 0: fall back to linear "
        "interpolation instead of dividing by it."
    ),
    "traverse-adds": "A traversal *sets* dimension `dim` to each value; it does not add the value to z[dim].",
    "traverse-dim": "Only dimension `dim` changes along a traversal; every other entry stays equal to z.",
    "grid-quantiles": (
        "Place the grid at evenly spaced quantiles of N(0, 1) (from `quantile` to `1 - quantile`, "
        "mapped through the inverse normal CDF), not at evenly spaced values."
    ),
    "grid-order": (
        "Right images, wrong order: the first latent dimension increases along each row (left to "
        "right), the second decreases down the rows, like points on a plot."
    ),
    "samples-not-means": (
        "These codes are random: you used samples z (from forward or reparameterize) instead of the "
        "posterior means mu. Encode with `mu, logvar = model.encode(x)` and keep mu, so the codes "
        "(and the t-SNE of them) are deterministic."
    ),
    "no-grad": "Encode under `torch.no_grad()` (and `model.eval()`): the codes should not track gradients.",
    "batches": "Encode every image: go through all the batches and concatenate the codes in order.",
    "tsne-seed": "Pass `seed` to t-SNE (`random_state=seed`) so the same seed gives the same embedding.",
    "tsne-quality": (
        "The embedding does not keep neighbours together. Fit t-SNE on the codes you are given, "
        "with 2 output dimensions and the given perplexity."
    ),
    **EXTRA_HINTS,  # assignments 7 (the training loop), 8 (bounds) and 9 (posterior collapse)
}


def hint(name: str) -> str:
    """The text of hint ``name`` (KeyError for an unknown name: hints are a closed list)."""
    return HINTS[name]
