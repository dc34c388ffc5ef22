"""The hints a failed check can give: one named entry per common mistake.

A check that recognises a mistake (its answer matches what the mistake would compute) adds the
hint's text to its failure message, after the name in brackets, e.g. ``Hint [kl-sign]: ...``.
The names are stable: tests and instructors can search feedback for them. Each hint has an
English text (:data:`HINTS`) and an Indonesian one (:data:`HINTS_ID`); ``VAE_COURSE_LANGUAGE``
picks one (:mod:`vae_course.language`), the name stays the same.
"""

from __future__ import annotations

from ..language import t

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


# The same hints in Indonesian (``VAE_COURSE_LANGUAGE=id``), keyed alike: the names in brackets stay
# English in both languages, so that reports and tests can search for them. Terms as in the book's
# glossary, locale/id/glossary.md.
HINTS_ID: dict[str, str] = {
    # --- any exercise
    "not-implemented": "Ganti `raise NotImplementedError()` dengan kode Anda.",
    "delegation": (
        "Jawaban Anda memanggil implementasi vae_course sendiri untuk hal yang justru diminta oleh latihan "
        "ini, sehingga bagian ini mendapat skor nol. Tulis sendiri dengan operasi torch; untuk hal lain Anda "
        "tetap boleh memakai pustaka."
    ),
    "wrong-dtype": (
        "Hasilnya harus ber-dtype sama dengan input. Buat tensor baru dengan `torch.*_like(x)` atau "
        "berikan `dtype=x.dtype, device=x.device`, jangan mengandalkan nilai bawaan."
    ),
    "wrong-device": "Hasilnya harus berada di device yang sama dengan input (pakai `*_like` atau `device=x.device`).",
    "no-gradient": (
        "Gradien tidak mengalir kembali ke input. Jangan memanggil `.detach()`, `.item()`, `.numpy()` atau "
        "`torch.tensor(...)` pada nilai yang Anda pakai untuk menghitung, dan jangan bekerja di dalam "
        "`torch.no_grad()`."
    ),
    "not-finite": "Hasilnya memuat NaN atau tak hingga: periksa log(0), pembagian dengan nol, atau overflow.",
    "in-place": "Fungsi Anda mengubah salah satu inputnya di tempat (in place); kerjakan pada salinannya (`.clone()`).",
    # --- reductions
    "mean-not-sum": (
        "Anda mengambil rata-rata padahal kuliah ini mengambil jumlah: loss dijumlahkan atas piksel dan "
        "atas dimensi laten (nat per gambar), dan hanya dirata-ratakan atas batch."
    ),
    "sum-over-batch": "Jumlahkan atas piksel atau dimensi laten, tetapi ambil *rata-rata* atas batch.",
    "per-example": "Kembalikan satu nilai per contoh, bentuk (B,): reduksi atas setiap dimensi kecuali batch.",
    "not-reduced": "Reduksi (jumlahkan) atas piksel atau dimensi laten: hasilnya harus berbentuk (B,).",
    "batch-not-averaged": "ELBO negatif adalah satu angka: rata-ratakan loss per gambar atas batch.",
    # --- reconstruction loss
    "logits-to-bce": (
        "Dengan `from_logits=True`, `x_hat` berisi logit, bukan probabilitas: terapkan sigmoid lebih dulu "
        "atau, lebih baik, pakai `F.binary_cross_entropy_with_logits`, yang stabil untuk logit besar."
    ),
    "double-sigmoid": "Dengan `from_logits=False`, `x_hat` sudah berisi probabilitas: jangan terapkan sigmoid.",
    "kind-ignored": "Perhatikan `kind`: 'bce' adalah binary cross-entropy, 'mse' galat kuadrat.",
    "loss-sign": (
        "Loss adalah log-likelihood *negatif*: nilainya positif dan makin kecil makin baik. Periksa tandanya."
    ),
    "bce-one-term": "Binary cross-entropy punya dua suku: x log(x_hat) dan (1 - x) log(1 - x_hat).",
    # --- reparameterization
    "exp-logvar-as-std": ("`exp(logvar)` adalah varians sigma^2, bukan simpangan baku: sigma = exp(0.5 * logvar)."),
    "logvar-as-std": "`logvar` adalah log(sigma^2); simpangan bakunya sigma = exp(0.5 * logvar).",
    "eps-ignored": "Pakai `eps` yang diberikan jika bukan None; ambil derau baru hanya jika eps None.",
    "stale-noise": (
        "Derau tidak diambil baru: dua panggilan memberi z yang sama. Ambil derau baru di setiap panggilan "
        "(misalnya `torch.randn_like(std)`) dan jangan menyetel ulang seed atau menyimpannya."
    ),
    "shared-noise": "Setiap elemen perlu deraunya sendiri: ambil eps dengan bentuk mu, bukan satu nilai untuk semua.",
    "not-standard-normal": ("eps harus derau normal baku, N(0, 1): pakai `torch.randn_like`, bukan `torch.rand_like`."),
    # --- KL and ELBO
    "kl-sign": ("Tanda KL Anda terbalik: D_KL = -0.5 * sum(1 + logvar - mu^2 - exp(logvar)) tidak pernah negatif."),
    "kl-half": "KL bentuk tertutup punya faktor 0.5 di depan penjumlahannya.",
    "beta-ignored": "Kalikan suku KL dengan `beta`.",
    "beta-on-reconstruction": "`beta` membobot suku KL, bukan suku rekonstruksi.",
    # --- models
    "missing-sigmoid": (
        "Decoder harus mengeluarkan probabilitas piksel di [0, 1]: akhiri dengan sigmoid "
        "(tanpanya, BCE akan menerima logit)."
    ),
    "missing-relu": "Setiap lapisan tersembunyi diikuti ReLU.",
    "image-shape": "Gambar hasil decode berbentuk (B, 1, 28, 28): ubah bentuk output decoder yang (B, 784).",
    "forward-no-sampling": (
        "forward harus mengambil sampel z = reparameterize(mu, logvar, eps) lalu men-decode z; men-decode mu "
        "secara langsung (atau mengabaikan eps) adalah yang dilakukan autoencoder."
    ),
    "forward-outputs": "forward mengembalikan tuple (x_hat, mu, logvar), dengan urutan itu.",
    "architecture": "Bangun tepat lapisan-lapisan yang didaftar latihan, dengan urutan itu, dengan ukuran dari `config`.",
    "hardcoded-size": (
        "Baca ukurannya dari `config` (`config.latent_dim`, dan `config.hidden_dim` jika latihan memakainya); "
        "model harus bekerja untuk ukuran laten apa pun, bukan hanya nilai bawaan."
    ),
    "conv-shape": (
        "Ikuti sisi peta fitur melalui lapisan-lapisan Anda: Conv2d atau ConvTranspose2d dengan kernel k, "
        "stride s, dan padding p memetakan sisi n ke (n + 2p - k) // s + 1, atau ke (n - 1) s - 2p + k untuk "
        "yang transpos (kernel 4, stride 2, padding 1: 28 -> 14 -> 7 dan kembali). "
        "Decoder harus berakhir di (B, 1, 28, 28)."
    ),
    "parameter-budget": (
        "Model Anda lebih besar daripada yang diizinkan latihan: sempitkan lapisan yang paling lebar "
        "(lapisan terhubung penuh di sebelah gambar atau peta fitur memuat sebagian besar bobot)."
    ),
    "conv-layers": (
        "Encoder harus menjalankan setidaknya satu `nn.Conv2d` dan decoder setidaknya satu "
        "`nn.ConvTranspose2d` (sebagai modul yang dibuat di `__init__`; pooling dan lapisan lain boleh ada "
        "di antaranya)."
    ),
    "logvar-range": (
        "logvar adalah log(sigma^2) dan harus bisa turun di bawah 0 (posterior yang lebih sempit daripada "
        "prior). Jangan lewatkan logvar melalui ReLU, softplus, atau exp: cukup lapisan linear biasa."
    ),
    "decoder-uses-x": (
        "x_hat harus bergantung pada x hanya melalui z: forward mengembalikan decode(z) untuk "
        "z = mu + exp(0.5 * logvar) * eps, dan decoder tidak melihat apa pun lagi dari x (tanpa skip "
        "connection dari x, tanpa menyimpan apa pun dari encode terakhir)."
    ),
    "encode-outputs": "encode mengembalikan tuple (mu, logvar), masing-masing berbentuk (B, latent_dim).",
    # --- latent space
    "endpoints": "Lintasan memuat kedua ujungnya: baris pertama adalah z_start dan baris terakhir z_end.",
    "linear-not-spherical": (
        "Ini garis lurus. Interpolasi sferis mengikuti lingkaran besar: bobotnya "
        "sin((1 - t) omega) / sin(omega) dan sin(t omega) / sin(omega), dengan omega sudut antara kedua kode."
    ),
    "slerp-parallel": (
        "Jika kedua kode sejajar (atau berlawanan arah) atau nol, sin(omega) hampir 0: kembalilah ke "
        "interpolasi linear alih-alih membagi dengannya."
    ),
    "traverse-adds": "Penelusuran *menetapkan* dimensi `dim` ke setiap nilai; penelusuran tidak menambahkan nilai itu ke z[dim].",
    "traverse-dim": "Hanya dimensi `dim` yang berubah sepanjang penelusuran; setiap entri lain tetap sama dengan z.",
    "grid-quantiles": (
        "Letakkan kisi pada kuantil N(0, 1) yang berjarak sama (dari `quantile` sampai `1 - quantile`, "
        "dipetakan melalui invers CDF normal), bukan pada nilai-nilai yang berjarak sama."
    ),
    "grid-order": (
        "Gambarnya benar, urutannya salah: dimensi laten pertama naik sepanjang setiap baris (dari kiri ke "
        "kanan), yang kedua turun ke bawah baris demi baris, seperti titik-titik pada plot."
    ),
    "samples-not-means": (
        "Kode-kode ini acak: Anda memakai sampel z (dari forward atau reparameterize), bukan rata-rata "
        "posterior mu. Encode dengan `mu, logvar = model.encode(x)` dan simpan mu, supaya kodenya (dan "
        "t-SNE-nya) deterministik."
    ),
    "no-grad": "Encode di dalam `torch.no_grad()` (dan `model.eval()`): kodenya tidak boleh melacak gradien.",
    "batches": "Encode setiap gambar: lalui semua batch dan gabungkan kodenya sesuai urutan.",
    "tsne-seed": "Berikan `seed` ke t-SNE (`random_state=seed`) supaya seed yang sama memberi embedding yang sama.",
    "tsne-quality": (
        "Embedding ini tidak menjaga tetangga tetap berdekatan. Latih t-SNE pada kode yang diberikan, "
        "dengan 2 dimensi output dan perplexity yang diberikan."
    ),
    # --- the training loop
    "zero-grad": (
        "Panggil `optimizer.zero_grad()` di setiap langkah, sebelum `loss.backward()`: backward *menambahkan* "
        "ke gradien yang sudah ada di bobot, sehingga tanpanya setiap langkah memakai jumlah semua gradien "
        "sebelumnya."
    ),
    "step-order": (
        "Satu langkah pelatihan adalah, dengan urutan ini: `optimizer.zero_grad()`, forward pass dan loss, "
        "`loss.backward()`, `optimizer.step()`. Mengenolkan gradien di antara backward dan step membuang "
        "gradiennya."
    ),
    "no-step": "Gradien dihitung tetapi tidak pernah diterapkan: panggil `optimizer.step()` setelah `loss.backward()`.",
    "loss-item": (
        "Kembalikan `loss.item()` (satu float), bukan tensor loss: tensor menjaga seluruh graf langkah itu "
        "tetap hidup, dan daftar tensor sepanjang satu epoch menyimpan graf setiap langkah di memori."
    ),
    "batch-weighted-mean": (
        "Batch terakhir bisa lebih kecil daripada yang lain: rata-rata dari rata-rata batch memberinya bobot "
        "berlebih. Jumlahkan loss setiap gambar (rata-rata batch kali ukuran batch) lalu bagi dengan jumlah "
        "gambar."
    ),
    "eval-mode": (
        "Panggil `model.eval()` sebelum mengevaluasi: lapisan seperti dropout dan batch norm berperilaku lain "
        "dalam mode pelatihan, jadi validasi harus berjalan dalam mode eval."
    ),
    "eval-no-grad": (
        "Evaluasi di dalam `with torch.no_grad():`: validasi tidak memerlukan gradien, dan merekam grafnya "
        "memakan memori dan waktu."
    ),
    "train-mode": (
        "Panggil `model.train()` di awal setiap epoch: setelah validasi dalam mode eval, model tetap dalam "
        "mode eval sampai Anda mengembalikannya."
    ),
    "every-image": "Evaluasi setiap gambar tepat satu kali: lalui semua batch, termasuk batch terakhir (yang lebih kecil).",
    "history": (
        "Kembalikan {'train_loss': [...], 'val_loss': [...]}: satu angka per epoch di setiap daftar, dengan "
        "loss validasi dari `evaluate(model, val_images)` setelah setiap epoch."
    ),
    # --- the KL between two Gaussians
    "kl-swapped": (
        "Anda menghitung D_KL(p || q): KL tidak simetris. Dalam D_KL(q || p) log-varians p datang lebih dulu, "
        "log sigma_p^2 - log sigma_q^2, dan sigma_q^2 maupun (mu_q - mu_p)^2 dibagi dengan sigma_p^2."
    ),
    "kl-trace": (
        "Suku trace hilang: E_q[(z - mu_p)^2] / sigma_p^2 = (sigma_q^2 + (mu_q - mu_p)^2) / sigma_p^2, "
        "sehingga sigma_q^2 / sigma_p^2 muncul di samping kuadrat selisih kedua rata-rata."
    ),
    "kl-prior-variance": (
        "Bagi dengan varians p: suku-sukunya adalah sigma_q^2 / sigma_p^2 dan (mu_q - mu_p)^2 / sigma_p^2 "
        "(dengan p = N(0, I) pembaginya 1, itulah sebabnya KL pada VAE tidak memperlihatkannya)."
    ),
    "kl-prior-assumed": "Di sini p bukan N(0, I): pakai mu_p dan logvar_p.",
    # --- importance weights and the IWAE bound
    "iw-prior-missing": ("Log bobot punya tiga suku, log p(x|z) + log p(z) - log q(z|x): log p(z) hilang."),
    "iw-q-sign": "Bobotnya adalah p(x, z) / q(z|x): *kurangkan* log q(z|x).",
    "iw-likelihood-sign": (
        "log p(x|z) adalah *minus* loss rekonstruksi: binary cross-entropy adalah log-likelihood negatif."
    ),
    "log-2pi": (
        "Setiap log-densitas Gaussian memuat konstanta -D/2 log(2 pi). Pertahankan konstanta itu di log p(z) "
        "dan di log q(z|x) (atau buang dari keduanya: konstanta itu saling menghapus), bukan hanya di salah satunya."
    ),
    "iw-shape": "Kembalikan bentuk (S, B): satu baris per sampel z, satu kolom per gambar.",
    "iw-targets-order": (
        "Target harus berulang dengan urutan sampel yang diratakan. z.flatten(0, 1) berurutan menurut sampel "
        "(baris s * B + b adalah sampel s dari gambar b), jadi ulangi seluruh batch satu kali per sampel: "
        "`x.expand(S, *x.shape).flatten(0, 1)`. `x.repeat_interleave(S, dim=0)` mengulang setiap gambar S "
        "kali berturut-turut (berurutan menurut gambar), sehingga sebagian besar rekonstruksi dibandingkan "
        "dengan gambar lain."
    ),
    "mean-of-log": (
        "Anda merata-ratakan log bobot: itu ELBO lagi (Jensen: rata-rata dari log tidak pernah melebihi log "
        "dari rata-rata). Batas IWAE adalah log dari rata-rata bobot, log (1/k) sum_i exp(log w_i)."
    ),
    "log-sum-not-mean": ("Itu log dari *jumlah* bobot: kurangkan log k untuk mendapatkan log dari rata-ratanya."),
    "log-mean-exp-overflow": (
        "exp mengalami overflow untuk log bobot sebesar ratusan nat (exp(89) adalah inf di float32, exp(710) "
        "di float64) dan underflow ke 0 untuk nilai negatif yang besar. Kurangkan maksimumnya lebih dulu: "
        "m + log(mean(exp(v - m))) dengan m = max(v), atau pakai torch.logsumexp(v, dim) - log k."
    ),
    "wrong-dim": "Reduksi atas dimensi `dim` yang diberikan, dan hanya dimensi itu.",
    # --- KL per dimension and active units
    "kl-summed": (
        "Pisahkan dimensi laten: kembalikan bentuk (B, D), satu KL per contoh dan dimensi (jangan dijumlahkan)."
    ),
    "kl-batch-mean": (
        "Pisahkan contoh-contohnya: kembalikan bentuk (B, D); rata-ratakan atas batch nanti, saat membuat plot."
    ),
    "au-mask": (
        "Kembalikan mask berbentuk (D,), satu True/False per dimensi laten (`.sum()`-nya menghitung unit aktif)."
    ),
    "au-dim": "Ambil varians atas gambar (dimensi 0 dari mu, bentuk (N, D)), satu nilai per dimensi laten.",
    "au-std": "Bandingkan *varians* mu_j atas gambar dengan ambang batas, bukan simpangan bakunya.",
    "au-threshold": "Pakai `threshold` yang diberikan, bukan 0.01 yang tetap.",
    "au-mean": (
        "Suatu dimensi aktif jika rata-rata posteriornya *bervariasi* dari gambar ke gambar: pakai varians "
        "atas gambar, bukan rata-ratanya (pergeseran konstan tidak membawa informasi)."
    ),
    # --- the diffusion model's forward process and loss
    "alpha-not-bar": (
        "Itu alpha_t = 1 - beta_t, bagian varians yang dipertahankan satu langkah sebagai sinyal. alpha_bar_t "
        "adalah perkalian kumulatif alpha hingga dan termasuk langkah t: `torch.cumprod(1 - betas, dim=0)`."
    ),
    "cumprod-of-betas": "alpha_t = 1 - beta_t: ambil perkalian kumulatif dari 1 - betas, bukan dari betas.",
    "step-off-by-one": (
        "Langkah dihitung mulai dari 0: indeks t adalah langkah t + 1 di makalah. alpha_bar[0] = 1 - betas[0] "
        "(sudah satu langkah derau), x_t memakai alpha_bar[t] itu sendiri, dan t diambil dari [0, T) dengan "
        "`torch.randint(T, ...)`."
    ),
    "sqrt-forgotten": (
        "x_t = sqrt(alpha_bar_t) x0 + sqrt(1 - alpha_bar_t) eps: faktornya adalah akar kuadrat, supaya "
        "varians alpha_bar_t dan 1 - alpha_bar_t berjumlah 1."
    ),
    "noise-scale": (
        "Derau diskalakan dengan simpangan baku sqrt(1 - alpha_bar_t), bukan dengan varians 1 - alpha_bar_t."
    ),
    "per-image-broadcast": (
        "alpha_bar[t] berbentuk (B,), satu nilai per gambar; x0 berbentuk (B, 1, 28, 28). Ubah bentuknya "
        "menjadi (B, 1, 1, 1), misalnya `alpha_bar[t].view(-1, 1, 1, 1)`, supaya setiap gambar mendapat "
        "langkahnya sendiri: tensor (B,) di-broadcast terhadap sumbu terakhir (lebar), bukan terhadap batch."
    ),
    "noise-ignored": "Pakai `noise` yang diberikan: x_t harus merupakan fungsi tetap dari x0, t, dan noise.",
    "loss-sum-not-mean": (
        "Loss sederhana adalah *rata-rata* atas setiap piksel dari setiap gambar (||eps - eps_theta||^2 dari "
        "Ho dkk., dirata-ratakan): pakai `.mean()`, bukan `.sum()`."
    ),
    "loss-sum-over-pixels": (
        "Berbeda dengan loss VAE dalam nat per gambar, loss sederhana juga merata-ratakan atas piksel: ambil "
        "rata-rata atas semua elemen, bukan jumlah atas piksel."
    ),
    "loss-not-scalar": "Kembalikan satu angka, bentuk (): rata-rata atas gambar dan piksel.",
    "noise-target": (
        "Jaringan memprediksi derau eps yang membentuk x_t: bandingkan outputnya dengan `noise`, bukan dengan x0."
    ),
    "model-input": (
        "Berikan ke jaringan gambar berderau x_t = q_sample(x0, t, alpha_bar, noise) dan t, bukan x0 yang bersih."
    ),
    "generator-ignored": (
        "Ambil t dan derau dari `generator` yang diberikan (`generator=generator` di `torch.randint` dan "
        "`torch.randn`), bukan dari keadaan acak global: seed yang sama harus memberi loss yang sama."
    ),
    "draw-order": (
        "Idenya benar, bilangan acaknya lain: ambil t lebih dulu, `torch.randint(T, (B,), generator=generator, "
        "device=x0.device)`, lalu deraunya, `torch.randn(x0.shape, generator=generator, ...)`, seperti kata "
        "latihan, supaya seed yang sama memberi hasil pengambilan yang sama dengan acuan."
    ),
}


def hint(name: str) -> str:
    """The text of hint ``name`` in the course's language (KeyError for an unknown name: hints are a closed list)."""
    return t(HINTS[name], HINTS_ID[name])
