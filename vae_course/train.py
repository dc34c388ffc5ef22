"""Training: one ``fit`` function for every model in the course, with history and early stopping.

The hot loop keeps everything on the device: batches are slices of a device tensor
(:class:`~vae_course.data.Batches`), running sums stay tensors, and the host reads them (one
synchronisation) only every ``check_every`` steps, to catch a NaN loss, and at the end of an epoch.
No step copies between host and device or calls ``.item()``, so a GPU never waits for Python.

Speed switches in :class:`TrainConfig`: ``compile`` (off by default) compiles the loss and its
gradient; ``fused_adam`` (on), ``tf32`` and ``cuda_graph`` (off) act on CUDA only, so the defaults
train on the CPU (and on Apple's MPS) exactly as plain eager PyTorch does. ``cuda_graph`` records
the whole step, Adam's update included, as one CUDA graph (:mod:`vae_course.cuda_graph`);
``compile="reduce-overhead"`` graphs only the loss and its gradient.
"""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

import torch
from torch import nn
from tqdm.auto import tqdm

from .cuda_graph import GraphedStep
from .data import Batches, ImageSet, as_images, shuffled_batches
from .device import resolve_device, tf32_mode
from .gaussian import kl_divergence
from .losses import RECONSTRUCTION_KINDS, reconstruction_loss
from .validation import require_int, require_number

MAX_EPOCHS = 100_000  # passes over the data; more is a typo
MAX_BATCH_SIZE = 60_000  # the whole training set in one step
COMPILE_MODES = ("default", "reduce-overhead", "max-autotune", "max-autotune-no-cudagraphs")  # torch.compile's


@dataclass(frozen=True)
class TrainConfig:
    epochs: int = 10  # passes over the training set
    batch_size: int = 128  # images per optimizer step
    lr: float = 1e-3  # Adam learning rate
    beta: float = 1.0  # weight of the KL term; 1 is the plain ELBO
    kind: str = "bce"  # reconstruction loss, as in negative_elbo: "bce" (Bernoulli decoder) or "mse"
    seed: int = 0  # seeds the weights' noise, the shuffling and the reparameterization noise
    patience: int | None = None  # stop after this many epochs without a better validation loss
    check_every: int = 50  # steps between checks for a non-finite loss (each costs one sync)
    # Speed switches. compile changes the noise stream (Inductor draws its own random numbers), so a
    # compiled run is reproducible but not identical to an eager one; the others change rounding only.
    compile: bool | str = False  # torch.compile the step's loss and gradient: a one-off cost, fewer
    # kernels; a string is torch.compile's mode, e.g. "reduce-overhead" (CUDA graphs on CUDA)
    fused_adam: bool = True  # CUDA only: Adam's update as one fused kernel (same math, ~1e-7 rounding)
    tf32: bool | None = None  # CUDA only: True allows TF32 tensor cores in float32 matmuls and convs
    # (~1e-3 relative error per product), False forbids them, None keeps PyTorch's settings (TF32 convs)
    cuda_graph: bool = False  # CUDA only: record each full batch's whole step as one CUDA graph and
    # replay it (same kernels, one launch); not with compile="reduce-overhead", which has its own graphs

    def __post_init__(self):
        require_int("epochs", self.epochs, 1, MAX_EPOCHS)
        require_int("batch_size", self.batch_size, 1, MAX_BATCH_SIZE)
        require_number("lr", self.lr, 0.0, low_open=True)  # a huge lr is allowed: fit reports the divergence
        require_number("beta", self.beta, 0.0)
        if self.kind not in RECONSTRUCTION_KINDS:
            raise ValueError(f"kind must be one of {RECONSTRUCTION_KINDS}, got {self.kind!r}")
        require_int("seed", self.seed, 0, 2**63 - 1)
        if self.patience is not None:
            require_int("patience", self.patience, 1)
        require_int("check_every", self.check_every, 1)
        if not isinstance(self.compile, bool) and self.compile not in COMPILE_MODES:
            raise ValueError(f"compile must be True, False or a torch.compile mode, got {self.compile!r}")
        if self.tf32 is not None and not isinstance(self.tf32, bool):
            raise ValueError(f"tf32 must be True, False or None, got {self.tf32!r}")
        if not isinstance(self.cuda_graph, bool):
            raise ValueError(f"cuda_graph must be True or False, got {self.cuda_graph!r}")
        if self.cuda_graph and self.compile == "reduce-overhead":
            raise ValueError(
                'cuda_graph=True records the whole step; it cannot hold compile="reduce-overhead"\'s graphs'
            )


RENAMED_FIELDS = {"reconstruction": "kind"}  # old TrainConfig field -> new, for cards and checkpoints


def upgrade_train_config(fields: dict) -> dict:
    """A stored ``TrainConfig`` dict (model card, checkpoint) with old field names renamed to today's."""
    return {RENAMED_FIELDS.get(name, name): value for name, value in fields.items()}


class NonFiniteLossError(FloatingPointError):
    """The training loss became NaN or infinite."""


@dataclass
class EpochRecord:
    """Per-epoch averages, in nats per image for BCE. ``kl`` is 0 for a plain autoencoder."""

    epoch: int
    train_reconstruction: float
    train_kl: float
    val_reconstruction: float | None
    val_kl: float | None
    seconds: float

    @property
    def train_loss(self) -> float:
        return self.train_reconstruction + self.train_kl

    @property
    def val_loss(self) -> float | None:
        return None if self.val_reconstruction is None else self.val_reconstruction + self.val_kl


@dataclass
class History:
    """What ``fit`` returns: one :class:`EpochRecord` per epoch, and where early stopping landed."""

    epochs: list[EpochRecord] = field(default_factory=list)
    best_epoch: int | None = None  # epoch whose weights the model holds at the end
    stopped_early: bool = False

    def column(self, name: str) -> list[float]:
        """One column across epochs, e.g. ``history.column("val_loss")``."""
        return [getattr(record, name) for record in self.epochs]

    def to_dict(self) -> dict:
        return {
            "epochs": [asdict(record) for record in self.epochs],
            "best_epoch": self.best_epoch,
            "stopped_early": self.stopped_early,
        }


def loss_terms(
    model: nn.Module, x: torch.Tensor, kind: str, eps: torch.Tensor | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """Reconstruction and KL per image, each (B,); KL is zeros for a plain autoencoder.

    Any model works whose ``forward`` returns ``(x_hat, mu, logvar)`` (a VAE) or ``x_hat`` (an
    autoencoder), a student's own class included. ``eps`` (B, D) pins a VAE's reparameterization
    noise (tests, device comparisons).
    """
    out = model(x) if eps is None else model(x, eps=eps)
    if isinstance(out, tuple):
        x_hat, mu, logvar = out
        return reconstruction_loss(x_hat, x, kind), kl_divergence(mu, logvar)
    reconstruction = reconstruction_loss(out, x, kind)
    return reconstruction, torch.zeros_like(reconstruction)


def step_losses(
    model: nn.Module, x: torch.Tensor, kind: str = "bce", beta: float = 1.0, eps: torch.Tensor | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """What one training step computes before ``backward``; ``fit`` compiles it with ``compile=True``.

    Args:
        x: a batch of images (B, 1, 28, 28) on the model's device.
        kind, beta: reconstruction loss and KL weight, as in :class:`TrainConfig` and :func:`~vae_course.negative_elbo`.
        eps: optional pinned reparameterization noise (B, D).

    Returns:
        ``(loss, sums)``: the scalar to differentiate, mean over the batch of reconstruction +
        beta * KL; and (2,), the batch's summed reconstruction and KL, detached, for the epoch averages.
    """
    reconstruction, kl = loss_terms(model, x, kind, eps)  # (B,), (B,)
    loss = (reconstruction + beta * kl).mean()  # negative ELBO: mean over the batch
    sums = torch.stack([reconstruction.detach().sum(), kl.detach().sum()])  # (2,)  sum over the batch
    return loss, sums


def compile_step(mode: bool | str = True) -> Callable[..., tuple[torch.Tensor, torch.Tensor]]:
    """:func:`step_losses` through ``torch.compile``; ``mode`` is True or one of its modes.

    ``dynamic=False``: one graph for the full batches and one for the smaller last batch.
    """
    return torch.compile(step_losses, dynamic=False, mode=None if mode is True else mode)


def uses_cuda_graph(config: TrainConfig, device: torch.device) -> bool:
    """Whether ``fit`` records its step as a CUDA graph: asked for, and on CUDA."""
    return config.cuda_graph and device.type == "cuda"


def build_optimizer(model: nn.Module, config: TrainConfig, device: torch.device) -> torch.optim.Optimizer:
    """Adam with ``config.lr``; fused into one kernel on CUDA when ``config.fused_adam`` (else PyTorch's default).

    With a CUDA graph, Adam is ``capturable``: its step count lives on the device, so the graph can hold it.
    """
    fused = True if device.type == "cuda" and config.fused_adam else None
    capturable = uses_cuda_graph(config, device)
    return torch.optim.Adam(model.parameters(), lr=config.lr, fused=fused, capturable=capturable)


@torch.no_grad()
def average_loss_terms(
    model: nn.Module, images: torch.Tensor, kind: str = "bce", batch_size: int = 1000
) -> tuple[float, float]:
    """Mean reconstruction and KL per image over ``images`` (already on the model's device)."""
    was_training = model.training
    model.eval()
    totals = torch.zeros(2, device=images.device)
    for x in Batches(images, batch_size):
        reconstruction, kl = loss_terms(model, x, kind)
        totals += torch.stack([reconstruction.sum(), kl.sum()])
    model.train(was_training)
    reconstruction, kl = (totals / images.shape[0]).tolist()
    return reconstruction, kl


@dataclass
class StepState:
    """What the steps of an epoch accumulate on the device; the host reads it every ``check_every`` steps.

    The tensors are made once per ``fit`` and reset in place, so that a CUDA graph can keep writing them.
    """

    totals: torch.Tensor  # (2,)  running sums of reconstruction and KL over the epoch
    step: torch.Tensor  # ()  steps taken in this epoch
    bad_step: torch.Tensor  # ()  first step with a non-finite loss, or -1

    @classmethod
    def on(cls, device: torch.device) -> StepState:
        return cls(torch.zeros(2, device=device), torch.zeros((), dtype=torch.long, device=device),
                   torch.full((), -1, dtype=torch.long, device=device))  # fmt: skip

    def reset(self) -> None:
        self.totals.zero_()
        self.step.zero_()
        self.bad_step.fill_(-1)


def train_step(
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    step_fn: Callable[..., tuple[torch.Tensor, torch.Tensor]],
    config: TrainConfig,
    state: StepState,
    x: torch.Tensor,
    eps: torch.Tensor | None = None,
) -> torch.Tensor:
    """One optimizer step on the batch ``x``, its sums added to ``state``; returns the loss, detached. No host reads.

    ``eps`` (B, D) pins the reparameterization noise (device comparisons); gradients are set to None
    before ``backward``, so that the step can be recorded as a CUDA graph (:mod:`vae_course.cuda_graph`).
    """
    loss, sums = step_fn(model, x, config.kind, config.beta, eps)  # (), (2,)
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()
    state.totals += sums
    state.step += 1
    not_finite = ~torch.isfinite(loss.detach())
    state.bad_step.copy_(torch.where(not_finite & (state.bad_step < 0), state.step, state.bad_step))
    return loss.detach()  # a loss kept with its graph would keep autograd's nodes, and their stream, alive


def _raise_if_not_finite(bad_step: torch.Tensor, epoch: int) -> None:
    step = int(bad_step)  # one host-device synchronisation
    if step >= 0:
        raise NonFiniteLossError(
            f"the training loss became NaN or infinite at epoch {epoch}, step {step}; "
            "try a lower learning rate, or check the inputs are in [0, 1]"
        )


def _train_epoch(
    step: Callable[[torch.Tensor], torch.Tensor],
    state: StepState,
    batches: Batches,
    config: TrainConfig,
    epoch: int,
    progress: bool,
) -> tuple[float, float]:
    """One pass over ``batches`` through ``step`` (which adds to ``state``); returns mean reconstruction and KL.

    Nothing in a step waits for the device: the sums and the first bad step stay tensors, read
    (one synchronisation each) every ``config.check_every`` steps and once at the end.
    """
    state.reset()
    bar = tqdm(batches, desc=f"epoch {epoch}/{config.epochs}", disable=not progress, leave=False)
    for number, x in enumerate(bar, start=1):
        step(x)
        if number % config.check_every == 0:
            _raise_if_not_finite(state.bad_step, epoch)
    _raise_if_not_finite(state.bad_step, epoch)
    reconstruction, kl = (state.totals / batches.images.shape[0]).tolist()
    return reconstruction, kl


def fit(
    model: nn.Module,
    train: ImageSet | torch.Tensor,
    val: ImageSet | torch.Tensor | None = None,
    config: TrainConfig = TrainConfig(),
    device: str | torch.device | None = None,
    progress: bool = True,
) -> History:
    """Train ``model`` with Adam on the (beta-)negative ELBO, or on reconstruction for an autoencoder.

    Args:
        model: any model from :mod:`vae_course.models`; it is moved to ``device`` and trained in place.
        train: training images (N, 1, 28, 28) in [0, 1], or an :class:`ImageSet`.
        val: validation images, used for the history and for early stopping.
        config: hyperparameters and speed switches; see :class:`TrainConfig`.
        device: where to train; default :func:`~vae_course.device.resolve_device`.
        progress: show a tqdm bar per epoch.

    Returns:
        The :class:`History`. With ``config.patience`` and ``val``, the model ends with the weights
        of its best validation epoch.

    Raises:
        NonFiniteLossError: the loss became NaN or infinite (the message names epoch and step).
    """
    device = resolve_device(device)
    torch.manual_seed(config.seed)
    model.to(device).train()
    batches, _ = shuffled_batches(as_images(train), config.batch_size, config.seed, device)
    val_images = None if val is None else as_images(val).to(device)
    optimizer = build_optimizer(model, config, device)
    step_fn = compile_step(config.compile) if config.compile else step_losses
    state = StepState.on(device)

    def step(x: torch.Tensor) -> torch.Tensor:
        return train_step(model, optimizer, step_fn, config, state, x)

    if uses_cuda_graph(config, device):
        step = GraphedStep(step)
    history, best_loss, best_state, stale = History(), math.inf, None, 0

    with tf32_mode(config.tf32, device):
        for epoch in range(1, config.epochs + 1):
            start = time.perf_counter()
            train_reconstruction, train_kl = _train_epoch(step, state, batches, config, epoch, progress)
            val_reconstruction = val_kl = None
            if val_images is not None:
                val_reconstruction, val_kl = average_loss_terms(model, val_images, config.kind)
            seconds = time.perf_counter() - start
            record = EpochRecord(epoch, train_reconstruction, train_kl, val_reconstruction, val_kl, seconds)
            history.epochs.append(record)
            if progress:
                val_text = "" if record.val_loss is None else f", val {record.val_loss:.2f}"
                tqdm.write(f"epoch {epoch}: train {record.train_loss:.2f}{val_text} ({seconds:.1f} s)")

            monitored = record.val_loss if record.val_loss is not None else record.train_loss
            if monitored < best_loss:
                best_loss, history.best_epoch, stale = monitored, epoch, 0
                if config.patience is not None:
                    best_state = copy.deepcopy(model.state_dict())
            else:
                stale += 1
                if config.patience is not None and val_images is not None and stale >= config.patience:
                    history.stopped_early = True
                    break
    if best_state is not None:
        model.load_state_dict(best_state)
    else:
        history.best_epoch = len(history.epochs)
    model.eval()
    return history
