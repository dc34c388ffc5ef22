"""Hints of the assignments on the training loop (7), bounds (8) and posterior collapse (9): merged into :data:`.hints.HINTS`."""

from __future__ import annotations

EXTRA_HINTS: dict[str, str] = {
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
}
