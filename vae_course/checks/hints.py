"""The hints a failed check can give: one named entry per common mistake.

A check that recognises a mistake (its answer matches what the mistake would compute) adds the
hint's text to its failure message, after the name in brackets, e.g. ``Hint [kl-sign]: ...``.
The names are stable: tests and instructors can search feedback for them.
"""

from __future__ import annotations

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
    "kl-sign": ("Your KL has the wrong sign: D_KL = -0.5 * sum(1 + logvar - mu^2 - exp(logvar)) is never negative."),
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
        "Read the sizes from `config` (`config.latent_dim`, and `config.hidden_dim` where the exercise "
        "uses it); the model must work for any latent size, not only the default."
    ),
    "conv-shape": (
        "Follow the side of the feature maps through your layers: a Conv2d or ConvTranspose2d with "
        "kernel k, stride s and padding p maps a side n to (n + 2p - k) // s + 1, or (n - 1) s - 2p + k "
        "for the transposed one (kernel 4, stride 2, padding 1: 28 -> 14 -> 7 and back). "
        "The decoder must end at (B, 1, 28, 28)."
    ),
    "parameter-budget": (
        "Your model is larger than the exercise allows: make the widest layers narrower (the fully "
        "connected layers next to the images or feature maps hold most of the weights)."
    ),
    "conv-layers": (
        "The encoder must run at least one `nn.Conv2d` and the decoder at least one `nn.ConvTranspose2d` "
        "(as modules, created in `__init__`; pooling and other layers may come in between)."
    ),
    "logvar-range": (
        "logvar is log(sigma^2) and must be able to go below 0 (a posterior narrower than the prior). "
        "Do not pass it through a ReLU, softplus or exp: a plain linear layer outputs it."
    ),
    "decoder-uses-x": (
        "x_hat must depend on x only through z: forward returns decode(z) for "
        "z = mu + exp(0.5 * logvar) * eps, and the decoder sees nothing else of x (no skip connection "
        "from x, nothing kept from the last encode)."
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
    # --- the training loop
    "zero-grad": (
        "Call `optimizer.zero_grad()` in every step, before `loss.backward()`: backward *adds* to "
        "the gradients already in the weights, so without it each step uses the sum of all earlier ones."
    ),
    "step-order": (
        "A training step is, in this order: `optimizer.zero_grad()`, the forward pass and the loss, "
        "`loss.backward()`, `optimizer.step()`. Zeroing between backward and step throws the gradients away."
    ),
    "no-step": "Gradients were computed but never applied: call `optimizer.step()` after `loss.backward()`.",
    "loss-item": (
        "Return `loss.item()` (a float), not the loss tensor: a tensor keeps the whole graph of the step "
        "alive, and a list of them across an epoch holds every step's graph in memory."
    ),
    "batch-weighted-mean": (
        "The last batch can be smaller than the others: the mean of the batch means over-weights it. "
        "Add up the loss of every image (batch mean times batch size) and divide by the number of images."
    ),
    "eval-mode": (
        "Call `model.eval()` before evaluating: layers such as dropout and batch norm behave "
        "differently in training mode, so validation must run in eval mode."
    ),
    "eval-no-grad": (
        "Evaluate under `with torch.no_grad():`: validation needs no gradients, and recording the graph "
        "costs memory and time."
    ),
    "train-mode": (
        "Call `model.train()` at the start of every epoch: after a validation in eval mode, the model "
        "stays in eval mode until you switch it back."
    ),
    "every-image": "Evaluate every image exactly once: go through all the batches, the last (smaller) one included.",
    "history": (
        "Return {'train_loss': [...], 'val_loss': [...]}: one number per epoch in each list, the "
        "validation loss from `evaluate(model, val_images)` after every epoch."
    ),
    # --- the KL between two Gaussians
    "kl-swapped": (
        "You computed D_KL(p || q): the KL is not symmetric. In D_KL(q || p) the log-variance of p "
        "comes first, log sigma_p^2 - log sigma_q^2, and both sigma_q^2 and (mu_q - mu_p)^2 are divided by sigma_p^2."
    ),
    "kl-trace": (
        "The trace term is missing: E_q[(z - mu_p)^2] / sigma_p^2 = (sigma_q^2 + (mu_q - mu_p)^2) / sigma_p^2, "
        "so sigma_q^2 / sigma_p^2 appears next to the squared difference of the means."
    ),
    "kl-prior-variance": (
        "Divide by the variance of p: the terms are sigma_q^2 / sigma_p^2 and (mu_q - mu_p)^2 / sigma_p^2 "
        "(with p = N(0, I) the division is by 1, which is why the VAE's KL does not show it)."
    ),
    "kl-prior-assumed": "Here p is not N(0, I): use mu_p and logvar_p.",
    # --- importance weights and the IWAE bound
    "iw-prior-missing": "A log weight has three terms, log p(x|z) + log p(z) - log q(z|x): log p(z) is missing.",
    "iw-q-sign": "The weight is p(x, z) / q(z|x): *subtract* log q(z|x).",
    "iw-likelihood-sign": (
        "log p(x|z) is *minus* the reconstruction loss: binary cross-entropy is a negative log-likelihood."
    ),
    "log-2pi": (
        "Each Gaussian log-density has the constant -D/2 log(2 pi). Keep it in both log p(z) and "
        "log q(z|x) (or leave it out of both: it cancels), not in one of them only."
    ),
    "iw-shape": "Return shape (S, B): one row per sample z, one column per image.",
    "iw-targets-order": (
        "The targets must repeat in the order of the flattened samples. z.flatten(0, 1) is sample-major "
        "(row s * B + b is sample s of image b), so repeat the whole batch once per sample: "
        "`x.expand(S, *x.shape).flatten(0, 1)`. `x.repeat_interleave(S, dim=0)` repeats each image S "
        "times in a row (image-major), which compares most reconstructions with another image."
    ),
    "mean-of-log": (
        "You averaged the log weights: that is the ELBO again (Jensen: the mean of the logs is at most "
        "the log of the mean). The IWAE bound is the log of the mean of the weights, log (1/k) sum_i exp(log w_i)."
    ),
    "log-sum-not-mean": "That is the log of the *sum* of the weights: subtract log k to get the log of their mean.",
    "log-mean-exp-overflow": (
        "exp overflows for log weights of hundreds of nats (exp(89) is inf in float32, exp(710) in float64) "
        "and underflows to 0 for large negative ones. Subtract the maximum first: "
        "m + log(mean(exp(v - m))) with m = max(v), or use torch.logsumexp(v, dim) - log k."
    ),
    "wrong-dim": "Reduce over the dimension `dim` you are given, and only that one.",
    # --- KL per dimension and active units
    "kl-summed": "Keep the latent dimensions apart: return shape (B, D), one KL per example and dimension (do not sum).",
    "kl-batch-mean": "Keep the examples apart: return shape (B, D); average over the batch later, when you plot.",
    "au-mask": "Return a mask of shape (D,), one True/False per latent dimension (its `.sum()` counts the active units).",
    "au-dim": "Take the variance over the images (dim 0 of mu, shape (N, D)), one value per latent dimension.",
    "au-std": "Compare the *variance* of mu_j over the images with the threshold, not its standard deviation.",
    "au-threshold": "Use the `threshold` you are given, not a fixed 0.01.",
    "au-mean": (
        "A dimension is active when its posterior mean *varies* from image to image: use the variance "
        "over the images, not the mean (a constant offset carries no information)."
    ),
    # --- the diffusion model's forward process and loss
    "alpha-not-bar": (
        "That is alpha_t = 1 - beta_t, the share of the variance one step keeps as signal. alpha_bar_t is the "
        "cumulative product of the alphas up to and including step t: `torch.cumprod(1 - betas, dim=0)`."
    ),
    "cumprod-of-betas": "alpha_t = 1 - beta_t: take the cumulative product of 1 - betas, not of the betas.",
    "step-off-by-one": (
        "Steps are 0-based: index t is the paper's step t + 1. alpha_bar[0] = 1 - betas[0] (one step of noise "
        "already), x_t uses alpha_bar[t] itself, and t is drawn from [0, T) with `torch.randint(T, ...)`."
    ),
    "sqrt-forgotten": (
        "x_t = sqrt(alpha_bar_t) x0 + sqrt(1 - alpha_bar_t) eps: the factors are square roots, so that the "
        "variances alpha_bar_t and 1 - alpha_bar_t add up to 1."
    ),
    "noise-scale": (
        "The noise is scaled by the standard deviation sqrt(1 - alpha_bar_t), not by the variance 1 - alpha_bar_t."
    ),
    "per-image-broadcast": (
        "alpha_bar[t] has shape (B,), one value per image; x0 has shape (B, 1, 28, 28). Reshape it to "
        "(B, 1, 1, 1), e.g. `alpha_bar[t].view(-1, 1, 1, 1)`, so that each image gets its own step: "
        "a (B,) tensor broadcasts against the last axis (the width), not the batch."
    ),
    "noise-ignored": "Use the `noise` you are given: x_t must be a fixed function of x0, t and noise.",
    "loss-sum-not-mean": (
        "The simple loss is a *mean* over every pixel of every image (Ho et al.'s ||eps - eps_theta||^2 "
        "averaged): use `.mean()`, not `.sum()`."
    ),
    "loss-sum-over-pixels": (
        "Unlike the VAE's losses in nats per image, the simple loss averages over the pixels too: "
        "take the mean over all elements, not a sum over pixels."
    ),
    "loss-not-scalar": "Return one number, shape (): the mean over the images and the pixels.",
    "noise-target": ("The network predicts the noise eps that made x_t: compare its output with `noise`, not with x0."),
    "model-input": "Give the network the noisy images x_t = q_sample(x0, t, alpha_bar, noise) and t, not the clean x0.",
    "generator-ignored": (
        "Draw t and the noise from the `generator` you are given (`generator=generator` in `torch.randint` "
        "and `torch.randn`), not from the global random state: the same seed must give the same loss."
    ),
    "draw-order": (
        "Right idea, other random numbers: draw t first, `torch.randint(T, (B,), generator=generator, "
        "device=x0.device)`, then the noise, `torch.randn(x0.shape, generator=generator, ...)`, as the "
        "exercise says, so that the same seed gives the reference's draws."
    ),
}


def hint(name: str) -> str:
    """The text of hint ``name`` (KeyError for an unknown name: hints are a closed list)."""
    return HINTS[name]
