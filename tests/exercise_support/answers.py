"""Students' answers for testing the exercises: correct ones written differently from the solutions,
and one per common mistake, each with the grade cells it should lose and the hint it should get.

Answers are source code for the solution cells of an assignment (keyed by the cell's id), so the
same text can be executed directly (for the unit tests of the checks) or pasted into a notebook
(for the end-to-end tests with nbgrader).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SOLUTIONS = ROOT / "solutions"
ASSIGNMENTS = (
    "01_autoencoder",
    "02_reparameterization",
    "03_kl_and_elbo",
    "04_mlp_vae",
    "05_conv_vae",
    "06_latent_space",
    "07_training_loop",
    "08_bounds",
    "09_beta_collapse",
    "10_diffusion",
)

# Assignments 4 and 5 specify their models by behaviour: designs other than the suggested one pass.
MLP_SUGGESTED_RENAMED = """
class MLPVAE(nn.Module):
    def __init__(self, config=MLPVAEConfig()):
        super().__init__()
        self.config = config
        self.latent_dim = config.latent_dim
        self.encoder_hidden = nn.Linear(config.input_dim, config.hidden_dim)
        self.encoder_mu = nn.Linear(config.hidden_dim, config.latent_dim)
        self.encoder_logvar = nn.Linear(config.hidden_dim, config.latent_dim)
        self.decoder_hidden = nn.Linear(config.latent_dim, config.hidden_dim)
        self.decoder_out = nn.Linear(config.hidden_dim, config.input_dim)

    def encode(self, x):
        h = nn.functional.relu(self.encoder_hidden(x.view(x.size(0), -1)))
        return self.encoder_mu(h), self.encoder_logvar(h)

    def decode(self, z):
        return torch.sigmoid(self.decoder_out(self.decoder_hidden(z).clamp(min=0))).reshape(len(z), 1, 28, 28)

    def forward(self, x, eps=None):
        mu, logvar = self.encode(x)
        if eps is None:
            eps = torch.randn_like(mu)
        eps = torch.tensor(eps)  # PyTorch warns: copy-constructing a tensor
        return self.decode(mu + torch.exp(logvar / 2) * eps), mu, logvar
"""
MLP_TWO_HIDDEN_LAYERS = """
class MLPVAE(nn.Module):
    def __init__(self, config=MLPVAEConfig()):
        super().__init__()
        self.latent_dim = config.latent_dim
        self.encoder = nn.Sequential(
            nn.Flatten(), nn.Linear(784, 256), nn.ELU(), nn.Linear(256, 64), nn.ELU(),
            nn.Linear(64, 2 * config.latent_dim),
        )
        self.decoder = nn.Sequential(
            nn.Linear(config.latent_dim, 64), nn.LeakyReLU(0.1), nn.Linear(64, 256), nn.LeakyReLU(0.1),
            nn.Linear(256, 784), nn.Sigmoid(), nn.Unflatten(1, (1, 28, 28)),
        )

    def encode(self, x):
        mu, logvar = self.encoder(x).chunk(2, dim=1)
        return mu, logvar

    def decode(self, z):
        return self.decoder(z)

    def forward(self, x, eps=None):
        mu, logvar = self.encode(x)
        z = reparameterize(mu, logvar, eps)
        return self.decode(z), mu, logvar
"""
CONV_SUGGESTED_RENAMED = """
class ConvVAE(nn.Module):
    def __init__(self, config=ConvVAEConfig()):
        super().__init__()
        self.config = config
        self.latent_dim = config.latent_dim
        c1, c2 = config.channels
        self.conv1 = nn.Conv2d(1, c1, 4, 2, 1)
        self.conv2 = nn.Conv2d(c1, c2, 4, 2, 1)
        self.to_hidden = nn.Linear(c2 * 49, config.hidden_dim)
        self.to_mu = nn.Linear(config.hidden_dim, config.latent_dim)
        self.to_logvar = nn.Linear(config.hidden_dim, config.latent_dim)
        self.from_latent = nn.Linear(config.latent_dim, config.hidden_dim)
        self.to_features = nn.Linear(config.hidden_dim, c2 * 49)
        self.deconv1 = nn.ConvTranspose2d(c2, c1, 4, 2, 1)
        self.deconv2 = nn.ConvTranspose2d(c1, 1, 4, 2, 1)

    def encode(self, x):
        h = F.relu(self.conv2(F.relu(self.conv1(x))))
        h = F.relu(self.to_hidden(h.flatten(1)))
        return self.to_mu(h), self.to_logvar(h)

    def decode(self, z):
        h = F.relu(self.to_features(F.relu(self.from_latent(z))))
        h = h.view(len(z), self.config.channels[1], 7, 7)
        return torch.sigmoid(self.deconv2(F.relu(self.deconv1(h))))

    def forward(self, x, eps=None):
        mu, logvar = self.encode(x)
        return self.decode(reparameterize(mu, logvar, eps)), mu, logvar
"""
CONV_POOLING = """
class ConvVAE(nn.Module):
    def __init__(self, config=ConvVAEConfig()):
        super().__init__()
        self.latent_dim = config.latent_dim
        self.features = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),  # 14 x 14
            nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),  # 7 x 7
            nn.Flatten(),
        )
        self.heads = nn.Linear(32 * 7 * 7, 2 * config.latent_dim)
        self.expand = nn.Sequential(nn.Linear(config.latent_dim, 32 * 7 * 7), nn.ReLU())
        self.paint = nn.Sequential(
            nn.ConvTranspose2d(32, 16, 2, stride=2), nn.ReLU(),  # 14 x 14
            nn.ConvTranspose2d(16, 8, 2, stride=2), nn.ReLU(),  # 28 x 28
            nn.Conv2d(8, 1, 3, padding=1),
        )

    def encode(self, x):
        h = self.heads(self.features(x))
        return h[:, : self.latent_dim], h[:, self.latent_dim :]

    def decode(self, z):
        return torch.sigmoid(self.paint(self.expand(z).view(-1, 32, 7, 7)))

    def forward(self, x, eps=None):
        mu, logvar = self.encode(x)
        if eps is None:
            eps = torch.randn_like(mu)
        return self.decode(mu + eps * torch.exp(0.5 * logvar)), mu, logvar
"""
DESIGNS = {  # assignment -> design -> source of the model's cell; every one is correct
    "04_mlp_vae": {"suggested, other names": MLP_SUGGESTED_RENAMED, "two hidden layers": MLP_TWO_HIDDEN_LAYERS},
    "05_conv_vae": {"suggested, other names": CONV_SUGGESTED_RENAMED, "pooling, 2x2 deconvolutions": CONV_POOLING},
}

# Correct, and written differently from solutions/: other formulas, other layer names, another order
# of random calls, sum-then-mean. Several also make PyTorch print a UserWarning (``torch.tensor`` of a
# tensor): correct work must keep full marks although something is written to stderr.
CORRECT: dict[str, dict[str, str]] = {
    "01_autoencoder": {
        "reconstruction_loss": """
def reconstruction_loss(x_hat, x, kind="bce", from_logits=False):
    p = torch.sigmoid(x_hat) if from_logits else x_hat
    if kind == "mse":
        per_pixel = torch.square(p - x)
    else:
        per_pixel = -(x * torch.log(p) + (1 - x) * torch.log1p(-p))
    one = torch.tensor(torch.tensor(1.0, dtype=x.dtype))  # PyTorch warns: copy-constructing a tensor
    return one * per_pixel.reshape(x.shape[0], -1).sum(-1)
""",
        "MLPAutoencoder": """
class MLPAutoencoder(nn.Module):
    def __init__(self, config=MLPAutoencoderConfig()):
        super().__init__()
        self.config = config
        self.latent_dim = config.latent_dim
        self.enc_in = nn.Linear(config.input_dim, config.hidden_dim)
        self.enc_out = nn.Linear(config.hidden_dim, config.latent_dim)
        self.dec_in = nn.Linear(config.latent_dim, config.hidden_dim)
        self.dec_out = nn.Linear(config.hidden_dim, config.input_dim)

    def encode(self, x):
        return self.enc_out(F.relu(self.enc_in(x.reshape(len(x), -1))))

    def decode(self, z):
        return self.dec_out(F.relu(self.dec_in(z))).sigmoid().reshape(-1, 1, 28, 28)

    def forward(self, x):
        return self.decode(self.encode(x))
""",
    },
    "02_reparameterization": {
        "reparameterize": """
def reparameterize(mu, logvar, eps=None):
    if eps is None:
        eps = torch.normal(torch.zeros_like(mu), torch.ones_like(mu))  # another way to draw N(0, 1)
    else:
        eps = torch.tensor(eps)  # PyTorch warns: copy-constructing a tensor
    sigma = torch.sqrt(torch.exp(logvar))
    return eps * sigma + mu
""",
    },
    "03_kl_and_elbo": {
        "kl_divergence": """
def kl_divergence(mu, logvar):
    variance = torch.exp(logvar)
    return 0.5 * torch.sum(mu * mu + variance - 1.0 - logvar, dim=1)
""",
        "negative_elbo": """
def negative_elbo(x_hat, x, mu, logvar, beta=1.0, kind="bce"):
    total = reconstruction_loss(x_hat, x, kind).sum() + beta * kl_divergence(mu, logvar).sum()
    return total / x.shape[0]  # sum, then divide by the batch size
""",
    },
    "04_mlp_vae": {"MLPVAE": MLP_TWO_HIDDEN_LAYERS},
    "05_conv_vae": {"ConvVAE": CONV_POOLING},
    "06_latent_space": {
        "linear_interpolation": """
def linear_interpolation(z_start, z_end, num_steps):
    steps = [z_start + (i / (num_steps - 1)) * (z_end - z_start) for i in range(num_steps)]
    return torch.stack(steps)
""",
        "spherical_interpolation": """
def spherical_interpolation(z_start, z_end, num_steps):
    a, b = z_start / (z_start.norm() + 1e-30), z_end / (z_end.norm() + 1e-30)
    omega = torch.acos(torch.clamp((a * b).sum(), -1, 1))
    if z_start.norm() == 0 or z_end.norm() == 0 or abs(math.sin(omega.item())) < 1e-6:
        return linear_interpolation(z_start, z_end, num_steps)
    rows = []
    for t in torch.linspace(0, 1, num_steps, dtype=z_start.dtype):
        rows.append((torch.sin((1 - t) * omega) * z_start + torch.sin(t * omega) * z_end) / torch.sin(omega))
    return torch.stack(rows)
""",
        "traverse": """
def traverse(z, dim, values):
    rows = []
    for value in values:
        row = z.clone()
        row[dim] = torch.tensor(value)  # PyTorch warns: copy-constructing a tensor
        rows.append(row)
    return torch.stack(rows)
""",
        "manifold_grid": """
def manifold_grid(model, grid_size=20, quantile=0.05, device=None):
    normal = torch.distributions.Normal(0.0, 1.0)
    values = [normal.icdf(torch.tensor(p)).item() for p in np.linspace(quantile, 1 - quantile, grid_size)]
    codes = [[z1, z2] for z2 in reversed(values) for z1 in values]
    model.eval()
    with torch.no_grad():
        return model.decode(torch.tensor(codes, dtype=torch.float32)).cpu()
""",
        "encode_means": """
def encode_means(model, images, batch_size=1000, device=None):
    model.eval()
    with torch.no_grad():
        pieces = []
        for batch in torch.split(images, batch_size):
            codes = model.encode(batch)
            pieces.append(codes[0] if isinstance(codes, tuple) else codes)
    return torch.cat(pieces).cpu()
""",
        "tsne_embedding": """
def tsne_embedding(codes, seed=0, perplexity=30.0):
    from sklearn.manifold import TSNE

    data = np.asarray(codes, dtype=np.float64)
    return TSNE(2, perplexity=perplexity, init="random", learning_rate="auto", random_state=seed).fit_transform(data)
""",
    },
    "07_training_loop": {
        # Zeroes after the step instead of before, writes the loss out, returns float(tensor).
        "train_step": """
from vae_course import kl_divergence, reconstruction_loss


def train_step(model, batch, optimizer, beta=1.0):
    x_hat, mu, logvar = model(batch)
    loss = torch.mean(reconstruction_loss(x_hat, batch) + beta * kl_divergence(mu, logvar))
    loss.backward()
    optimizer.step()
    model.zero_grad(set_to_none=True)  # zeroed after the step: the next backward starts from nothing
    return float(loss.detach())
""",
        # inference_mode, per-image sums, torch.split, and the caller's mode restored afterwards.
        "evaluate": """
import vae_course


def evaluate(model, images, batch_size=1000):
    was_training = model.training
    model.eval()
    total = torch.zeros((), dtype=torch.float64)
    with torch.inference_mode():
        for x in torch.split(images, batch_size):
            x_hat, mu, logvar = model(x)
            total += (vae_course.reconstruction_loss(x_hat, x) + vae_course.kl_divergence(mu, logvar)).sum().double()
    model.train(was_training)
    return total.item() / images.shape[0]
""",
        # A DataLoader with its own generator, and a loss weighted by batch size.
        "train": """
from torch.utils.data import DataLoader, TensorDataset


def train(model, train_images, val_images, epochs=3, batch_size=64, lr=1e-3, beta=1.0, seed=0):
    torch.manual_seed(seed)
    loader = DataLoader(TensorDataset(train_images), batch_size=batch_size, shuffle=True)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    train_loss, val_loss = [], []
    for epoch in range(1, epochs + 1):
        model.train()
        total, count = 0.0, 0
        for (x,) in loader:
            total += train_step(model, x, optimizer, beta=beta) * len(x)
            count += len(x)
        train_loss.append(total / count)
        val_loss.append(evaluate(model, val_images, batch_size=256))
    return {"train_loss": train_loss, "val_loss": val_loss}
""",
    },
    "08_bounds": {
        "kl_diagonal_gaussians": """
def kl_diagonal_gaussians(mu_q, logvar_q, mu_p, logvar_p):
    var_q, var_p = logvar_q.exp(), logvar_p.exp()
    return 0.5 * torch.sum(torch.log(var_p / var_q) + (var_q + (mu_q - mu_p) ** 2) / var_p - 1, dim=1)
""",
        # torch.distributions for the densities, one decode per sample, the library's reparameterize.
        "log_importance_weights": """
from torch.distributions import Normal

from vae_course import reparameterize


def log_importance_weights(model, x, num_samples, generator=None, eps=None):
    mu, logvar = model.encode(x)
    rows = []
    for i in range(num_samples):
        noise = eps[i] if eps is not None else torch.randn(mu.shape, generator=generator, dtype=mu.dtype, device=mu.device)
        z = reparameterize(mu, logvar, noise)
        log_px = -reconstruction_loss(model.decode(z), x)
        log_pz = Normal(torch.zeros_like(z), torch.ones_like(z)).log_prob(z).sum(dim=1)
        log_qz = Normal(mu, torch.exp(0.5 * logvar)).log_prob(z).sum(dim=1)
        rows.append(log_px + log_pz - log_qz)
    return torch.stack(rows)
""",
        "log_mean_exp": """
def log_mean_exp(values, dim=0):
    return torch.logsumexp(values, dim=dim) - math.log(values.shape[dim])
""",
    },
    "09_beta_collapse": {
        "kl_per_dimension": """
def kl_per_dimension(mu, logvar):
    variance = torch.exp(logvar)
    return (mu * mu + variance - logvar - 1) / 2
""",
        # The biased variance, written out, and a float mask turned into bools.
        "active_units": """
def active_units(mu, threshold=0.01):
    centred = mu - mu.mean(dim=0, keepdim=True)
    variance = (centred ** 2).mean(dim=0)
    return (variance > threshold).float() > 0.5
""",
    },
    "10_diffusion": {
        # exp of a cumulative sum of logs, a loop over the images, F.mse_loss, unsqueezes.
        "alpha_bars": """
def alpha_bars(betas):
    return torch.exp(torch.cumsum(torch.log1p(-betas), dim=0))
""",
        "q_sample": """
def q_sample(x0, t, alpha_bar, noise):
    rows = []
    for i in range(x0.shape[0]):
        a = alpha_bar[t[i]]
        rows.append(torch.sqrt(a) * x0[i] + torch.sqrt(1.0 - a) * noise[i])
    return torch.stack(rows)
""",
        "noise_prediction_loss": """
import torch.nn.functional as F


def noise_prediction_loss(predicted_noise, noise):
    return F.mse_loss(predicted_noise, noise)
""",
        "diffusion_loss": """
def diffusion_loss(model, x0, alpha_bar, t=None, noise=None, generator=None):
    batch = x0.shape[0]
    steps = t if t is not None else torch.randint(0, alpha_bar.shape[0], (batch,), generator=generator, device=x0.device)
    eps = noise if noise is not None else torch.randn(x0.shape, generator=generator, device=x0.device, dtype=x0.dtype)
    a = alpha_bar[steps][:, None, None, None]
    x_t = a.sqrt() * x0 + (1 - a).sqrt() * eps
    return ((model(x_t, steps) - eps) ** 2).sum() / eps.numel()
""",
    },
}

# The given code a student could call: the answer to "write reparameterize" must not be this.
DELEGATING = {
    "static": """
import vae_course

def reparameterize(mu, logvar, eps=None):
    return vae_course.reparameterize(mu, logvar, eps)
""",
    "alias": """
from vae_course import reparameterize as library_reparameterize

def reparameterize(mu, logvar, eps=None):
    return library_reparameterize(mu, logvar, eps)
""",
    "runtime": """
import importlib

def reparameterize(mu, logvar, eps=None):
    module = importlib.import_module("vae_" + "course")
    return getattr(module, "reparam" + "eterize")(mu, logvar, eps)
""",
    "swallowed": """
import importlib

def reparameterize(mu, logvar, eps=None):
    try:
        return getattr(importlib.import_module("vae_course.gaussian"), "reparam" + "eterize")(mu, logvar, eps)
    except Exception:
        return mu + torch.exp(0.5 * logvar) * (torch.randn_like(mu) if eps is None else eps)
""",
}
SUBCLASSING = """
import vae_course

class MLPVAE(vae_course.MLPVAE):
    pass
"""


@dataclass(frozen=True)
class Mistake:
    """A common mistake: the answer that makes it, the grade cells it loses and the hint it gets."""

    hint: str  # the hint the feedback must name, e.g. "kl-sign"
    assignment: str
    cell: str  # the solution cell (and the function or class) the answer replaces
    source: str
    failing: frozenset[str]  # grade cells that score zero; the others keep full marks
    check: str  # the check that recognises it, in vae_course.checks
    parts: tuple[str, ...] = field(default=())  # parts of the check that fail with this hint

    @property
    def name(self) -> str:
        return f"{self.assignment}:{self.cell}:{self.hint}"


def _mistake(hint, assignment, cell, source, failing, check, parts):
    return Mistake(hint, assignment, cell, source, frozenset(failing), check, tuple(parts))


MISTAKES = (
    _mistake(
        "mean-not-sum",
        "01_autoencoder",
        "reconstruction_loss",
        """
def reconstruction_loss(x_hat, x, kind="bce", from_logits=False):
    if from_logits:
        x_hat = torch.sigmoid(x_hat)
    if kind == "bce":
        per_pixel = F.binary_cross_entropy(x_hat, x, reduction="none")
    else:
        per_pixel = (x_hat - x) ** 2
    return per_pixel.flatten(1).mean(dim=1)  # a mean over pixels
""",
        {"test_reconstruction_loss_values", "test_reconstruction_loss_gradients"},
        "check_reconstruction_loss",
        ["values"],
    ),
    _mistake(
        "logits-to-bce",
        "01_autoencoder",
        "reconstruction_loss",
        """
def reconstruction_loss(x_hat, x, kind="bce", from_logits=False):
    if kind == "bce":  # from_logits is ignored: logits go straight into the BCE
        per_pixel = F.binary_cross_entropy(x_hat, x, reduction="none")
    else:
        per_pixel = (x_hat - x) ** 2
    return per_pixel.flatten(1).sum(dim=1)
""",
        {"test_reconstruction_loss_shapes", "test_reconstruction_loss_values", "test_reconstruction_loss_gradients"},
        "check_reconstruction_loss",
        ["shapes", "values", "gradients"],
    ),
    _mistake(
        "missing-sigmoid",
        "01_autoencoder",
        "MLPAutoencoder",
        CORRECT["01_autoencoder"]["MLPAutoencoder"].replace(").sigmoid().reshape(", ").reshape("),
        {"test_autoencoder_values", "test_autoencoder_gradients"},
        "check_mlp_autoencoder",
        ["values"],
    ),
    _mistake(
        "exp-logvar-as-std",
        "02_reparameterization",
        "reparameterize",
        """
def reparameterize(mu, logvar, eps=None):
    std = torch.exp(logvar)  # the variance, not the standard deviation
    if eps is None:
        eps = torch.randn_like(std)
    return mu + std * eps
""",
        {"test_reparameterize_values", "test_reparameterize_noise", "test_reparameterize_gradients"},
        "check_reparameterize",
        ["values", "noise"],
    ),
    _mistake(
        "stale-noise",
        "02_reparameterization",
        "reparameterize",
        """
def reparameterize(mu, logvar, eps=None):
    if eps is None:
        torch.manual_seed(0)  # the same noise on every call
        eps = torch.randn_like(mu)
    return mu + torch.exp(0.5 * logvar) * eps
""",
        {"test_reparameterize_noise"},
        "check_reparameterize",
        ["noise"],
    ),
    _mistake(
        "kl-sign",
        "03_kl_and_elbo",
        "kl_divergence",
        """
def kl_divergence(mu, logvar):
    return 0.5 * (1 + logvar - mu ** 2 - logvar.exp()).sum(dim=1)
""",
        {"test_kl_values", "test_kl_gradients", "test_elbo_values", "test_elbo_gradients"},
        "check_kl_divergence",
        ["values"],
    ),
    _mistake(
        "mean-not-sum",
        "03_kl_and_elbo",
        "kl_divergence",
        """
def kl_divergence(mu, logvar):
    return -0.5 * (1 + logvar - mu ** 2 - logvar.exp()).mean(dim=1)
""",
        {"test_kl_values", "test_kl_gradients", "test_elbo_values", "test_elbo_gradients"},
        "check_kl_divergence",
        ["values"],
    ),
    _mistake(
        "beta-ignored",
        "03_kl_and_elbo",
        "negative_elbo",
        """
def negative_elbo(x_hat, x, mu, logvar, beta=1.0, kind="bce"):
    return (reconstruction_loss(x_hat, x, kind) + kl_divergence(mu, logvar)).mean()
""",
        {"test_elbo_values", "test_elbo_gradients"},
        "check_negative_elbo",
        ["values"],
    ),
    _mistake(
        "missing-sigmoid",
        "04_mlp_vae",
        "MLPVAE",
        MLP_TWO_HIDDEN_LAYERS.replace(
            "nn.Linear(256, 784), nn.Sigmoid(), nn.Unflatten",
            "nn.Linear(256, 784), nn.Unflatten",
        ),
        {"test_mlp_vae_decoder", "test_mlp_vae_gradients", "test_mlp_vae_trains"},
        "check_mlp_vae",
        ["decoder", "gradients", "trains"],
    ),
    _mistake(
        "logvar-range",
        "04_mlp_vae",
        "MLPVAE",
        MLP_TWO_HIDDEN_LAYERS.replace(
            "        return mu, logvar\n",
            "        return mu, F.softplus(logvar)  # a variance of at least 1\n",
        ),
        {"test_mlp_vae_encoder"},
        "check_mlp_vae",
        ["encoder"],
    ),
    _mistake(
        "forward-no-sampling",
        "04_mlp_vae",
        "MLPVAE",
        MLP_TWO_HIDDEN_LAYERS.replace(
            "        z = reparameterize(mu, logvar, eps)\n",
            "        z = mu  # no sample\n",
        ),
        {"test_mlp_vae_sampling", "test_mlp_vae_noise"},
        "check_mlp_vae",
        ["sampling", "noise"],
    ),
    _mistake(
        "exp-logvar-as-std",
        "04_mlp_vae",
        "MLPVAE",
        MLP_TWO_HIDDEN_LAYERS.replace(
            "        z = reparameterize(mu, logvar, eps)\n",
            "        z = mu + torch.exp(logvar) * (torch.randn_like(mu) if eps is None else eps)  # the variance\n",
        ),
        {"test_mlp_vae_sampling"},
        "check_mlp_vae",
        ["sampling"],
    ),
    _mistake(
        "logvar-as-std",
        "04_mlp_vae",
        "MLPVAE",
        MLP_TWO_HIDDEN_LAYERS.replace(
            "        z = reparameterize(mu, logvar, eps)\n",
            "        z = mu + logvar * (torch.randn_like(mu) if eps is None else eps)  # logvar as the std\n",
        ),
        {"test_mlp_vae_sampling"},
        "check_mlp_vae",
        ["sampling"],
    ),
    _mistake(
        "eps-ignored",
        "04_mlp_vae",
        "MLPVAE",
        MLP_TWO_HIDDEN_LAYERS.replace(
            "        z = reparameterize(mu, logvar, eps)\n",
            "        z = reparameterize(mu, logvar)  # fresh noise, eps ignored\n",
        ),
        {"test_mlp_vae_sampling"},
        "check_mlp_vae",
        ["sampling"],
    ),
    _mistake(
        "decoder-uses-x",
        "04_mlp_vae",
        "MLPVAE",
        MLP_TWO_HIDDEN_LAYERS.replace(
            "        return self.decode(z), mu, logvar\n",
            "        return 0.9 * self.decode(z) + 0.1 * x, mu, logvar  # a skip from x\n",
        ),
        {"test_mlp_vae_sampling"},
        "check_mlp_vae",
        ["sampling"],
    ),
    _mistake(
        "image-shape",
        "04_mlp_vae",
        "MLPVAE",
        MLP_TWO_HIDDEN_LAYERS.replace(
            "nn.Sigmoid(), nn.Unflatten(1, (1, 28, 28)),",
            "nn.Sigmoid(),",
        ),
        {
            "test_mlp_vae_shapes",
            "test_mlp_vae_decoder",
            "test_mlp_vae_sampling",
            "test_mlp_vae_noise",
            "test_mlp_vae_gradients",
            "test_mlp_vae_trains",
        },
        "check_mlp_vae",
        ["shapes", "decoder", "sampling", "noise", "gradients", "trains"],
    ),
    _mistake(
        "parameter-budget",
        "04_mlp_vae",
        "MLPVAE",
        MLP_TWO_HIDDEN_LAYERS.replace(
            "nn.Linear(784, 256), nn.ELU(), nn.Linear(256, 64)",
            "nn.Linear(784, 512), nn.ELU(), nn.Linear(512, 64)",
        ),
        {"test_mlp_vae_budget"},
        "check_mlp_vae",
        ["budget"],
    ),
    _mistake(
        "conv-layers",
        "05_conv_vae",
        "ConvVAE",
        CONV_POOLING.replace(
            "nn.ConvTranspose2d(32, 16, 2, stride=2), nn.ReLU(),  # 14 x 14\n            nn.ConvTranspose2d(16, 8, 2, stride=2), nn.ReLU(),  # 28 x 28",
            "nn.Upsample(scale_factor=2), nn.Conv2d(32, 16, 3, padding=1), nn.ReLU(),  # 14 x 14\n            nn.Upsample(scale_factor=2), nn.Conv2d(16, 8, 3, padding=1), nn.ReLU(),  # 28 x 28",
        ),
        {"test_conv_vae_layers"},
        "check_conv_vae",
        ["layers"],
    ),
    _mistake(
        "conv-shape",
        "05_conv_vae",
        "ConvVAE",
        CONV_POOLING.replace(
            "nn.ConvTranspose2d(16, 8, 2, stride=2), nn.ReLU(),  # 28 x 28",
            "nn.ConvTranspose2d(16, 8, 3, stride=2), nn.ReLU(),  # 29 x 29",
        ),
        {
            "test_conv_vae_shapes",
            "test_conv_vae_decoder",
            "test_conv_vae_sampling",
            "test_conv_vae_noise",
            "test_conv_vae_gradients",
            "test_conv_vae_trains",
        },
        "check_conv_vae",
        ["shapes", "decoder", "sampling", "noise", "gradients", "trains"],
    ),
    _mistake(
        "parameter-budget",
        "05_conv_vae",
        "ConvVAE",
        CONV_POOLING.replace(
            "self.heads = nn.Linear(32 * 7 * 7, 2 * config.latent_dim)",
            "self.heads = nn.Sequential(nn.Linear(32 * 7 * 7, 1024), nn.ReLU(), nn.Linear(1024, 2 * config.latent_dim))",
        ),
        {"test_conv_vae_budget"},
        "check_conv_vae",
        ["budget"],
    ),
    _mistake(
        "hardcoded-size",
        "05_conv_vae",
        "ConvVAE",
        CONV_POOLING.replace(
            "        self.latent_dim = config.latent_dim\n",
            "        self.latent_dim = 12\n",
        ),
        {
            "test_conv_vae_shapes",
            "test_conv_vae_encoder",
            "test_conv_vae_decoder",
            "test_conv_vae_sampling",
            "test_conv_vae_gradients",
        },
        "check_conv_vae",
        ["shapes", "encoder", "decoder", "sampling", "gradients"],
    ),
    _mistake(
        "samples-not-means",
        "06_latent_space",
        "encode_means",
        """
def encode_means(model, images, batch_size=1000, device=None):
    model.eval()
    with torch.no_grad():
        out = model.encode(images)
        if isinstance(out, tuple):
            mu, logvar = out
            return mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)  # a sample, not the mean
        return out
""",
        {"test_encode_values"},
        "check_encode_means",
        ["values"],
    ),
    _mistake(
        "linear-not-spherical",
        "06_latent_space",
        "spherical_interpolation",
        """
def spherical_interpolation(z_start, z_end, num_steps):
    return linear_interpolation(z_start, z_end, num_steps)
""",
        {"test_slerp_values"},
        "check_spherical_interpolation",
        ["values"],
    ),
    _mistake(
        "zero-grad",
        "07_training_loop",
        "train_step",
        CORRECT["07_training_loop"]["train_step"].replace(
            "    model.zero_grad(set_to_none=True)  # zeroed after the step: the next backward starts from nothing\n",
            "",
        ),
        {"test_train_step_zero_grad", "test_train_modes", "test_train_falls", "test_train_reference"},
        "check_train_step",
        ["zero_grad"],
    ),
    _mistake(
        "step-order",
        "07_training_loop",
        "train_step",
        """
def train_step(model, batch, optimizer, beta=1.0):
    x_hat, mu, logvar = model(batch)
    loss = negative_elbo(x_hat, batch, mu, logvar, beta=beta)
    loss.backward()
    optimizer.zero_grad()  # too late: this throws away the gradients backward just computed
    optimizer.step()
    return loss.item()
""",
        {
            "test_train_step_shapes",
            "test_train_step_values",
            "test_train_step_zero_grad",
            "test_train_falls",
            "test_train_reference",
        },
        "check_train_step",
        ["shapes", "values"],
    ),
    _mistake(
        "beta-ignored",
        "07_training_loop",
        "train_step",
        CORRECT["07_training_loop"]["train_step"].replace("+ beta * kl_divergence", "+ kl_divergence"),
        {"test_train_step_values"},
        "check_train_step",
        ["values"],
    ),
    _mistake(
        "eval-mode",
        "07_training_loop",
        "evaluate",
        CORRECT["07_training_loop"]["evaluate"].replace("    model.eval()\n", ""),
        {"test_evaluate_behaviour", "test_train_modes"},
        "check_evaluate",
        ["behaviour"],
    ),
    _mistake(
        "batch-weighted-mean",
        "07_training_loop",
        "evaluate",
        """
def evaluate(model, images, batch_size=1000):
    model.eval()
    with torch.no_grad():
        means = []
        for x in torch.split(images, batch_size):
            x_hat, mu, logvar = model(x)
            means.append(negative_elbo(x_hat, x, mu, logvar).item())
    return sum(means) / len(means)  # the mean of batch means over-weights a small last batch
""",
        {"test_evaluate_values"},
        "check_evaluate",
        ["values"],
    ),
    _mistake(
        "train-mode",
        "07_training_loop",
        "train",
        """
def train(model, train_images, val_images, epochs=3, batch_size=64, lr=1e-3, beta=1.0, seed=0):
    torch.manual_seed(seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    history = {"train_loss": [], "val_loss": []}
    model.train()  # once: after the first validation the model stays in eval mode
    for epoch in range(epochs):
        order = torch.randperm(len(train_images))
        losses = [train_step(model, train_images[order[i : i + batch_size]], optimizer, beta)
                  for i in range(0, len(train_images), batch_size)]
        history["train_loss"].append(sum(losses) / len(losses))
        model.eval()
        history["val_loss"].append(evaluate(model, val_images))
    return history
""",
        {"test_train_modes"},
        "check_train",
        ["modes"],
    ),
    _mistake(
        "kl-swapped",
        "08_bounds",
        "kl_diagonal_gaussians",
        """
def kl_diagonal_gaussians(mu_q, logvar_q, mu_p, logvar_p):
    var_q, var_p = logvar_q.exp(), logvar_p.exp()  # then the roles of q and p swapped below
    return 0.5 * torch.sum(torch.log(var_q / var_p) + (var_p + (mu_q - mu_p) ** 2) / var_q - 1, dim=1)
""",
        {"test_kl2_values", "test_kl2_gradients"},
        "check_kl_diagonal_gaussians",
        ["values"],
    ),
    _mistake(
        "kl-trace",
        "08_bounds",
        "kl_diagonal_gaussians",
        CORRECT["08_bounds"]["kl_diagonal_gaussians"].replace(
            "(var_q + (mu_q - mu_p) ** 2) / var_p", "(mu_q - mu_p) ** 2 / var_p"
        ),
        {"test_kl2_values", "test_kl2_gradients"},
        "check_kl_diagonal_gaussians",
        ["values"],
    ),
    _mistake(
        "iw-prior-missing",
        "08_bounds",
        "log_importance_weights",
        CORRECT["08_bounds"]["log_importance_weights"].replace("log_px + log_pz - log_qz", "log_px - log_qz"),
        {"test_iw_values"},
        "check_log_importance_weights",
        ["values"],
    ),
    _mistake(
        "log-2pi",
        "08_bounds",
        "log_importance_weights",
        """
def log_importance_weights(model, x, num_samples, generator=None, eps=None):
    mu, logvar = model.encode(x)
    if eps is None:
        eps = torch.randn((num_samples, *mu.shape), generator=generator, dtype=mu.dtype, device=mu.device)
    z = mu + torch.exp(0.5 * logvar) * eps
    x_hat = model.decode(z.flatten(0, 1))
    log_px = -reconstruction_loss(x_hat, x.repeat(num_samples, 1, 1, 1)).view(num_samples, -1)
    log_pz = -0.5 * z.pow(2).sum(-1)  # the constant -D/2 log(2 pi) left out here...
    log_qz = -0.5 * (math.log(2 * math.pi) + logvar + eps.pow(2)).sum(-1)  # ... but kept here
    return log_px + log_pz - log_qz
""",
        {"test_iw_values"},
        "check_log_importance_weights",
        ["values"],
    ),
    _mistake(
        "iw-targets-order",
        "08_bounds",
        "log_importance_weights",
        """
def log_importance_weights(model, x, num_samples, generator=None, eps=None):
    mu, logvar = model.encode(x)
    if eps is None:
        eps = torch.randn((num_samples, *mu.shape), generator=generator, dtype=mu.dtype, device=mu.device)
    z = mu + torch.exp(0.5 * logvar) * eps
    x_hat = model.decode(z.flatten(0, 1))  # sample-major: row s * B + b
    targets = x.repeat_interleave(num_samples, dim=0)  # image-major: row b * S + s
    log_px = -reconstruction_loss(x_hat, targets).view(num_samples, -1)
    log_pz = -0.5 * (math.log(2 * math.pi) + z.pow(2)).sum(-1)
    log_qz = -0.5 * (math.log(2 * math.pi) + logvar + eps.pow(2)).sum(-1)
    return log_px + log_pz - log_qz
""",
        {"test_iw_values"},
        "check_log_importance_weights",
        ["values"],
    ),
    _mistake(
        "mean-of-log",
        "08_bounds",
        "log_mean_exp",
        """
def log_mean_exp(values, dim=0):
    return values.mean(dim=dim)  # the ELBO, not the IWAE bound
""",
        {"test_lme_values", "test_lme_stable"},
        "check_log_mean_exp",
        ["values", "stable"],
    ),
    _mistake(
        "log-mean-exp-overflow",
        "08_bounds",
        "log_mean_exp",
        """
def log_mean_exp(values, dim=0):
    return torch.log(torch.mean(torch.exp(values), dim=dim))  # exp overflows for large log weights
""",
        {"test_lme_stable"},
        "check_log_mean_exp",
        ["stable"],
    ),
    _mistake(
        "kl-summed",
        "09_beta_collapse",
        "kl_per_dimension",
        """
def kl_per_dimension(mu, logvar):
    return -0.5 * (1 + logvar - mu ** 2 - logvar.exp()).sum(dim=1)  # summed: the dimensions are lost
""",
        {"test_kld_shapes", "test_kld_values", "test_kld_gradients"},
        "check_kl_per_dimension",
        ["shapes", "values", "gradients"],
    ),
    _mistake(
        "au-std",
        "09_beta_collapse",
        "active_units",
        """
def active_units(mu, threshold=0.01):
    return mu.std(dim=0) > threshold  # the standard deviation, not the variance
""",
        {"test_au_values"},
        "check_active_units",
        ["values"],
    ),
    _mistake(
        "au-mean",
        "09_beta_collapse",
        "active_units",
        """
def active_units(mu, threshold=0.01):
    return mu.mean(dim=0).abs() > threshold
""",
        {"test_au_values"},
        "check_active_units",
        ["values"],
    ),
    _mistake(
        "alpha-not-bar",
        "10_diffusion",
        "alpha_bars",
        """
def alpha_bars(betas):
    return 1 - betas  # alpha_t, not its cumulative product
""",
        {"test_abar_values"},  # the other answers take alpha_bar as given: they keep their marks
        "check_alpha_bars",
        ["values"],
    ),
    _mistake(
        "sqrt-forgotten",
        "10_diffusion",
        "q_sample",
        """
def q_sample(x0, t, alpha_bar, noise):
    a = alpha_bar[t].view(-1, 1, 1, 1)
    return a * x0 + (1 - a) * noise  # the variances, not the standard deviations
""",
        {"test_qs_values"},  # diffusion_loss, written without q_sample, keeps its marks
        "check_q_sample",
        ["values"],
    ),
    _mistake(
        "per-image-broadcast",
        "10_diffusion",
        "q_sample",
        """
def q_sample(x0, t, alpha_bar, noise):
    a = alpha_bar[t]  # (B,): broadcasts against the width, not the batch
    return a.sqrt() * x0 + (1 - a).sqrt() * noise
""",
        {"test_qs_shapes", "test_qs_values"},
        "check_q_sample",
        ["shapes", "values"],
    ),
    _mistake(
        "step-off-by-one",
        "10_diffusion",
        "q_sample",
        """
def q_sample(x0, t, alpha_bar, noise):
    a = alpha_bar[t - 1].view(-1, 1, 1, 1)  # the paper's 1-based t read as an index
    return a.sqrt() * x0 + (1 - a).sqrt() * noise
""",
        {"test_qs_values"},
        "check_q_sample",
        ["values"],
    ),
    _mistake(
        "loss-sum-not-mean",
        "10_diffusion",
        "noise_prediction_loss",
        """
def noise_prediction_loss(predicted_noise, noise):
    return ((noise - predicted_noise) ** 2).sum()
""",
        {"test_npl_values", "test_npl_gradients"},
        "check_noise_prediction_loss",
        ["values"],
    ),
    _mistake(
        "noise-target",
        "10_diffusion",
        "diffusion_loss",
        CORRECT["10_diffusion"]["diffusion_loss"].replace("(model(x_t, steps) - eps)", "(model(x_t, steps) - x0)"),
        {"test_dl_values", "test_dl_random", "test_dl_gradients"},
        "check_diffusion_loss",
        ["values"],
    ),
    _mistake(
        "generator-ignored",
        "10_diffusion",
        "diffusion_loss",
        CORRECT["10_diffusion"]["diffusion_loss"]
        .replace(
            "torch.randint(0, alpha_bar.shape[0], (batch,), generator=generator, device=x0.device)",
            "torch.randint(0, alpha_bar.shape[0], (batch,), device=x0.device)",
        )
        .replace("torch.randn(x0.shape, generator=generator,", "torch.randn(x0.shape,"),
        {"test_dl_random"},
        "check_diffusion_loss",
        ["random"],
    ),
)

# The notebook's names for the checks of each solution cell (the object under test has the cell's name).
CHECKS = {
    "reconstruction_loss": "check_reconstruction_loss",
    "MLPAutoencoder": "check_mlp_autoencoder",
    "reparameterize": "check_reparameterize",
    "kl_divergence": "check_kl_divergence",
    "negative_elbo": "check_negative_elbo",
    "MLPVAE": "check_mlp_vae",
    "ConvVAE": "check_conv_vae",
    "linear_interpolation": "check_linear_interpolation",
    "spherical_interpolation": "check_spherical_interpolation",
    "traverse": "check_traverse",
    "manifold_grid": "check_manifold_grid",
    "encode_means": "check_encode_means",
    "tsne_embedding": "check_tsne_embedding",
    "train_step": "check_train_step",
    "evaluate": "check_evaluate",
    "train": "check_train",
    "kl_diagonal_gaussians": "check_kl_diagonal_gaussians",
    "log_importance_weights": "check_log_importance_weights",
    "log_mean_exp": "check_log_mean_exp",
    "kl_per_dimension": "check_kl_per_dimension",
    "active_units": "check_active_units",
    "alpha_bars": "check_alpha_bars",
    "q_sample": "check_q_sample",
    "noise_prediction_loss": "check_noise_prediction_loss",
    "diffusion_loss": "check_diffusion_loss",
}


def notebook_path(assignment: str, folder: Path = SOLUTIONS) -> Path:
    return folder / assignment / f"{assignment}.ipynb"


def cell_source(assignment: str, cell_id: str) -> str:
    """The source of one cell of a source notebook."""
    cells = json.loads(notebook_path(assignment).read_text())["cells"]
    (cell,) = [c for c in cells if c["id"] == cell_id]
    return "".join(cell["source"])


def namespace(assignment: str, overrides: dict[str, str] | None = None) -> dict:
    """What a student's notebook defines: its setup cell, then the correct answers (or ``overrides``)."""
    scope: dict = {}
    exec(compile(cell_source(assignment, "setup"), f"<{assignment} setup>", "exec"), scope)
    answers = {**CORRECT[assignment], **(overrides or {})}
    for cell_id, source in answers.items():
        exec(compile(source, f"<{assignment} {cell_id}>", "exec"), scope)
    return scope
