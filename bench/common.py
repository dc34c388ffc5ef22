"""What the benchmarks share: the PyTorch example's recipe, one timed run of each side, and tables.

The baseline is the recipe of pytorch/examples ``vae/main.py``, re-implemented here: an MLP VAE
784-400-20, BCE and KL each summed over the whole batch, Adam with lr 1e-3, batches of 128 from a
``torchvision.datasets.FashionMNIST`` with ``transforms.ToTensor()`` through a shuffling
``DataLoader`` (``num_workers=1, pin_memory=True`` on CUDA, the loader's defaults elsewhere), and
the loss read back to the host with ``.item()`` after every step. What the example does besides
training (a test pass, saving PNGs and printing a log line every 10 steps) is left out of the
timings; the test -ELBO of both sides comes from the same function,
:func:`vae_course.evaluate_negative_elbo`.

The scripts in this folder import this file as ``common`` (run them as ``python bench/NAME.py``);
importing it puts this checkout's ``vae_course`` first on ``sys.path``, so the scripts measure the
code beside them, installed or not (a GPU machine may have only PyTorch).
"""

from __future__ import annotations

import json
import platform
import statistics
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parent.parent
if str(REPOSITORY) not in sys.path:
    sys.path.insert(0, str(REPOSITORY))

import torch  # noqa: E402  (after the path set-up, like every import below)
import torch.nn.functional as F  # noqa: E402
from torch import nn  # noqa: E402

import vae_course  # noqa: E402
from vae_course.data import IMAGE_SIZE, ensure_fashion_mnist  # noqa: E402
from vae_course.models import MLPVAE, build_model  # noqa: E402
from vae_course.train import TrainConfig, fit  # noqa: E402

BATCH_SIZE = 128  # the example's default
LEARNING_RATE = 1e-3  # the example's Adam learning rate


class RecipeVAE(nn.Module):
    """The example's MLP VAE, 784-400-20, with its forward returning ``(x_hat, mu, logvar)``.

    The example calls its layers fc1, fc21, fc22, fc3 and fc4; they are named here as in
    :class:`vae_course.MLPVAE` and built in the same order, so the same seed gives both the same
    initial weights and a trained state dict loads into the library's model for evaluation.
    """

    def __init__(self, hidden_dim: int = 400, latent_dim: int = 20):
        super().__init__()
        self.encoder_hidden = nn.Linear(IMAGE_SIZE, hidden_dim)  # the example's fc1
        self.encoder_mu = nn.Linear(hidden_dim, latent_dim)  # fc21
        self.encoder_logvar = nn.Linear(hidden_dim, latent_dim)  # fc22
        self.decoder_hidden = nn.Linear(latent_dim, hidden_dim)  # fc3
        self.decoder_out = nn.Linear(hidden_dim, IMAGE_SIZE)  # fc4

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        h = F.relu(self.encoder_hidden(x.view(-1, IMAGE_SIZE)))  # (B, 400)
        mu, logvar = self.encoder_mu(h), self.encoder_logvar(h)  # (B, 20), (B, 20)
        z = mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)  # (B, 20)  reparameterization
        x_hat = torch.sigmoid(self.decoder_out(F.relu(self.decoder_hidden(z))))  # (B, 784)
        return x_hat, mu, logvar


def recipe_loss(x_hat: torch.Tensor, x: torch.Tensor, mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """The example's loss: BCE plus closed-form KL, each summed over pixels or latent dims AND over the batch."""
    bce = F.binary_cross_entropy(x_hat.flatten(1), x.flatten(1), reduction="sum")
    kl = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
    return bce + kl


def recipe_loader(device: torch.device, train_subset: int | None = None) -> torch.utils.data.DataLoader:
    """The example's training loader, on Fashion-MNIST's files as found by :mod:`vae_course.data`."""
    from torchvision import datasets, transforms

    root = ensure_fashion_mnist()
    dataset = datasets.FashionMNIST(str(root), train=True, download=False, transform=transforms.ToTensor())
    if train_subset is not None:
        dataset = torch.utils.data.Subset(dataset, range(train_subset))
    kwargs = {"num_workers": 1, "pin_memory": True} if device.type == "cuda" else {}
    return torch.utils.data.DataLoader(dataset, batch_size=BATCH_SIZE, shuffle=True, **kwargs)


def recipe_epoch(model: nn.Module, optimizer: torch.optim.Optimizer, loader, device: torch.device) -> float:
    """One pass of the example's training loop; returns its average loss per image."""
    model.train()
    total = 0.0
    for x, _ in loader:
        x = x.to(device)
        optimizer.zero_grad()
        x_hat, mu, logvar = model(x)
        loss = recipe_loss(x_hat, x, mu, logvar)
        loss.backward()
        total += loss.item()  # the example reads the loss back after every step
        optimizer.step()
    return total / len(loader.dataset)


def synchronize(device: torch.device) -> None:
    """Wait for queued GPU work, so that a timer reads finished work."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    elif device.type == "mps":
        torch.mps.synchronize()


@dataclass
class Run:
    """One timed training run: per-epoch seconds of the training passes, and the result."""

    name: str
    epoch_seconds: list[float]
    train_loss: list[float]  # per image, per epoch
    test: dict[str, float]  # evaluate_negative_elbo's output on the test images
    end_to_end: float  # seconds: data setup + model + all epochs + test evaluation
    extra: dict = field(default_factory=dict)

    @property
    def median(self) -> float:
        return statistics.median(self.epoch_seconds)

    @property
    def mean(self) -> float:
        return statistics.fmean(self.epoch_seconds)

    @property
    def warmup(self) -> float | None:
        """First epoch minus the median of the others: one-off costs (compilation, autotuning)."""
        if len(self.epoch_seconds) < 2:
            return None
        return self.epoch_seconds[0] - statistics.median(self.epoch_seconds[1:])

    def to_dict(self) -> dict:
        return {**asdict(self), "median": self.median, "mean": self.mean, "warmup": self.warmup}


def _test_images(test_subset: int | None) -> torch.Tensor:
    images = vae_course.load_fashion_mnist("test").images
    return images if test_subset is None else images[:test_subset]


def run_recipe(
    name: str,
    make_model,
    device: torch.device,
    epochs: int,
    seed: int = 0,
    train_subset: int | None = None,
    test_subset: int | None = None,
) -> Run:
    """Train ``make_model()`` with the example's recipe and evaluate it like the library's models."""
    start = time.perf_counter()
    torch.manual_seed(seed)
    loader = recipe_loader(device, train_subset)
    model = make_model().to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE)
    seconds, losses = [], []
    for _ in range(epochs):
        epoch_start = time.perf_counter()
        losses.append(recipe_epoch(model, optimizer, loader, device))
        synchronize(device)
        seconds.append(time.perf_counter() - epoch_start)
    test = vae_course.evaluate_negative_elbo(as_library_model(model), _test_images(test_subset), device=device)
    return Run(name, seconds, losses, test, time.perf_counter() - start)


def as_library_model(model: nn.Module) -> nn.Module:
    """The library's twin of a :class:`RecipeVAE` (same weights), or ``model`` itself."""
    if not isinstance(model, RecipeVAE):
        return model
    twin = build_model(
        "mlp_vae", hidden_dim=model.encoder_hidden.out_features, latent_dim=model.encoder_mu.out_features
    )
    assert isinstance(twin, MLPVAE)
    twin.load_state_dict(model.state_dict())
    return twin.to(next(model.parameters()).device)


def run_library(
    name: str,
    model_name: str,
    model_config: dict,
    device: torch.device,
    epochs: int,
    seed: int = 0,
    compile: bool | str = False,
    train_subset: int | None = None,
    test_subset: int | None = None,
    cuda_graph: bool = False,
) -> Run:
    """Train with :func:`vae_course.fit` (same batch size, learning rate and epochs) and evaluate."""
    start = time.perf_counter()
    train = vae_course.load_fashion_mnist("train").images
    if train_subset is not None:
        train = train[:train_subset]
    torch.manual_seed(seed)
    model = build_model(model_name, **model_config)
    config = TrainConfig(
        epochs=epochs, batch_size=BATCH_SIZE, lr=LEARNING_RATE, seed=seed, compile=compile, cuda_graph=cuda_graph
    )
    history = fit(model, train, None, config, device=device, progress=False)
    test = vae_course.evaluate_negative_elbo(model, _test_images(test_subset), device=device)
    return Run(name, history.column("seconds"), history.column("train_loss"), test, time.perf_counter() - start)


def environment(device: torch.device) -> dict:
    """Where a benchmark ran: device name, thread count, library versions."""
    if device.type == "cuda":
        device_name = torch.cuda.get_device_name(device)
    else:
        device_name = _cpu_name() if device.type == "cpu" else device.type
    return {
        "device": str(device),
        "device_name": device_name,
        "cpu": _cpu_name(),
        "torch_threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "cuda": torch.version.cuda,
        "vae_course": vae_course.__version__,
        "python": platform.python_version(),
        "date": time.strftime("%Y-%m-%d %H:%M"),
    }


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "cpu"


def table(headers: list[str], rows: list[list]) -> str:
    """A Markdown table whose columns also line up in a terminal."""
    cells = [[_cell(value) for value in row] for row in [headers, *rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = ["| " + " | ".join(value.ljust(width) for value, width in zip(row, widths)) + " |" for row in cells]
    lines.insert(1, "|" + "|".join("-" * (width + 2) for width in widths) + "|")
    return "\n".join(lines)


def _cell(value) -> str:
    return "n/a" if value is None else str(value)


def write_json(path: Path, payload: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, indent=2) + "\n")
