"""Checks for the VAEs that students design: ``MLPVAE`` (assignment 4) and ``ConvVAE`` (assignment 5).

The exercises specify these models by behaviour, not layer by layer, so no weights are compared
with a reference. The checks test what every correct VAE does, whatever its layers: the shapes of
``encode``, ``decode`` and ``forward`` for several latent sizes and batch sizes, a parameter budget,
an encoder that reads its input and can make the posterior narrower than the prior, a decoder that
outputs probabilities from ``z`` alone, ``forward`` as the reparameterization with the given
``eps``, gradients that reach every weight from the negative ELBO, and a few Adam steps that lower
it. The convolutional VAE must also run an ``nn.Conv2d`` in its encoder and an
``nn.ConvTranspose2d`` in its decoder.

Every call of the student's code goes through :class:`.core.Student` (or :func:`.judging.answer`),
so the grader's judge replays these checks on the recorded outputs. The training steps of the parts
``encoder`` and ``trains`` run in the kernel only; the judge decides from the model's outputs before
and after them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn

from .. import models
from ..data import IMAGE_SHAPE
from ..language import t
from ..losses import negative_elbo
from . import judging
from .core import CheckFailure, Student, close, describe, device_dtypes, expect_close, expect_shape, run_parts
from .models import codes, image_hint, images


@dataclass(frozen=True)
class Spec:
    """What an exercise asks of its model."""

    name: str  # the class the student writes
    reference: type  # the library's model: calling or subclassing it is delegation
    config: type  # the config class its constructor takes; only latent_dim is binding
    latent_dims: tuple[int, ...]  # the latent sizes the checks build, the default first
    budget: int  # parameters, at most, for every latent size
    convolutional: bool = False  # the encoder runs an nn.Conv2d, the decoder an nn.ConvTranspose2d


MLP_VAE = Spec("MLPVAE", models.MLPVAE, models.MLPVAEConfig, (20, 2, 7), budget=500_000)
CONV_VAE = Spec("ConvVAE", models.ConvVAE, models.ConvVAEConfig, (12, 2, 5), budget=1_000_000, convolutional=True)

BATCHES = (1, 6)  # batch sizes of the hidden images
PROBE_STEPS, PROBE_LR = 20, 1e-2  # Adam steps that lower the mean logvar (the encoder part)
TRAIN_STEPS, TRAIN_LR, TRAIN_BATCH = 40, 3e-3, 32  # Adam steps on the negative ELBO of one fixed batch
TRAIN_GAIN = 0.1  # after them the negative ELBO must be at least 10% lower


def check_mlp_vae(model_class: type, part: str | None = None) -> None:
    """Check a student's ``MLPVAE(config)`` against the specification of assignment 4.

    Parts: shapes, budget, encoder, decoder, sampling, noise, gradients, trains.
    """
    _check(MLP_VAE, model_class, part)


def check_conv_vae(model_class: type, part: str | None = None) -> None:
    """Check a student's ``ConvVAE(config)`` against the specification of assignment 5.

    Parts: shapes, budget, layers, encoder, decoder, sampling, noise, gradients, trains.
    """
    _check(CONV_VAE, model_class, part)


def _check(spec: Spec, model_class: type, part: str | None) -> None:
    student = Student(model_class, spec.name, (spec.reference,))
    every, first = _every_case(student, spec), _first_case(student, spec)
    parts = {
        "shapes": every(_shapes),
        "budget": _every_latent_dim(student, spec, _budget),
        "layers": first(_layers),
        "encoder": _in_turn(every(_encoder), first(_variance_probe)),
        "decoder": every(_decoder),
        "sampling": every(_sampling),
        "noise": first(_noise),
        "gradients": every(_gradients),
        "trains": first(_trains),
    }
    if not spec.convolutional:
        del parts["layers"]
    run_parts(spec.name, parts, part)


# --------------------------------------------------------------------------- cases


class Case:
    """One hidden case: the student's class built for a latent size, on a device, in a dtype."""

    def __init__(self, student: Student, spec: Spec, latent_dim: int, dtype: torch.dtype, device: torch.device):
        self.student, self.spec, self.name = student, spec, spec.name
        self.latent_dim, self.dtype, self.device = latent_dim, dtype, device
        self.label = f"{describe(dtype, device)}, latent_dim={latent_dim}"

    def build(self, train: bool = False) -> nn.Module:
        """The student's model for this latent size, on the case's device and dtype."""
        model = self.student(self.spec.config(latent_dim=self.latent_dim))
        if not isinstance(model, nn.Module):
            kind = type(model).__name__
            message = t(
                f"{self.name}(config) should build a torch.nn.Module, got {kind}.",
                f"{self.name}(config) seharusnya membangun torch.nn.Module, didapat {kind}.",
            )
            raise CheckFailure(message)
        return model.to(self.device, self.dtype).train(train)

    def images(self, batch: int, seed: int) -> torch.Tensor:
        return images(batch, seed).to(self.device, self.dtype)  # (B, 1, 28, 28)

    def codes(self, batch: int, seed: int) -> torch.Tensor:
        return codes(batch, self.latent_dim, seed).to(self.device, self.dtype)  # (B, D)

    def encode(self, model: nn.Module, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(mu, logvar) from the student's ``encode``, each checked to be (B, D)."""
        out = self.student.run(model.encode, x)
        if not (isinstance(out, tuple) and len(out) == 2):
            message = t(
                f"{self.name}.encode(x) should return the tuple (mu, logvar), got {_kind(out)} ({self.label}).",
                f"{self.name}.encode(x) seharusnya mengembalikan tuple (mu, logvar), didapat {_kind(out)} ({self.label}).",
            )
            raise CheckFailure(message, hint="encode-outputs")
        for label, value in zip(("mu", "logvar"), out):
            expect_shape(value, (len(x), self.latent_dim), _from(label, f"{self.name}.encode(x)"), self.label)
        return out

    def decode(self, model: nn.Module, z: torch.Tensor) -> torch.Tensor:
        """Images from the student's ``decode``, checked to be (B, 1, 28, 28)."""
        out = self.student.run(model.decode, z)
        return expect_shape(out, (len(z), *IMAGE_SHAPE), f"{self.name}.decode(z)", self.label, image_hint)

    def forward(self, model: nn.Module, x: torch.Tensor, eps: torch.Tensor | None = None) -> tuple:
        """(x_hat, mu, logvar) from the student's ``forward``, shapes checked; ``eps`` passed if given."""
        out = self.student.run(model.forward, x) if eps is None else self.student.run(model.forward, x, eps=eps)
        if not (isinstance(out, tuple) and len(out) == 3):
            message = t(
                f"{self.name}.forward(x) should return the tuple (x_hat, mu, logvar), got {_kind(out)}.",
                f"{self.name}.forward(x) seharusnya mengembalikan tuple (x_hat, mu, logvar), didapat {_kind(out)}.",
            )
            raise CheckFailure(message, hint="forward-outputs")
        expect_shape(out[0], x.shape, _from("x_hat", f"{self.name}.forward(x)"), self.label, image_hint)
        for label, value in zip(("mu", "logvar"), out[1:]):
            expect_shape(value, (len(x), self.latent_dim), _from(label, f"{self.name}.forward(x)"), self.label)
        return out


def _every_case(student: Student, spec: Spec) -> Callable[[Callable], Callable[[], None]]:
    """``body(case)`` for every latent size, dtype and device: the default latent size first.

    A failure with no better hint at another latent size means the default passed: the model has
    its latent size hard-coded.
    """

    def wrap(body: Callable[[Case], None]) -> Callable[[], None]:
        def run() -> None:
            for device, dtype in device_dtypes():
                for latent_dim in spec.latent_dims:
                    case = Case(student, spec, latent_dim, dtype, device)
                    student.case = case.label
                    try:
                        body(case)
                    except CheckFailure as err:
                        if err.hint is None and latent_dim != spec.latent_dims[0]:
                            raise CheckFailure(err.message, hint="hardcoded-size") from None
                        raise

        return run

    return wrap


def _every_latent_dim(student: Student, spec: Spec, body: Callable[[Case], None]) -> Callable[[], None]:
    """``body(case)`` for every latent size, once (on the first device, in the first dtype)."""

    def run() -> None:
        device, dtype = next(device_dtypes())
        for latent_dim in spec.latent_dims:
            case = Case(student, spec, latent_dim, dtype, device)
            student.case = case.label
            body(case)

    return run


def _first_case(student: Student, spec: Spec) -> Callable[[Callable], Callable[[], None]]:
    """``body(case)`` once: the default latent size, the first device and dtype (float32 on the CPU)."""

    def wrap(body: Callable[[Case], None]) -> Callable[[], None]:
        def run() -> None:
            device, dtype = next(device_dtypes())
            case = Case(student, spec, spec.latent_dims[0], dtype, device)
            student.case = case.label
            body(case)

        return run

    return wrap


def _in_turn(*runs: Callable[[], None]) -> Callable[[], None]:
    def run() -> None:
        for each in runs:
            each()

    return run


# --------------------------------------------------------------------------- parts


def _shapes(case: Case) -> None:
    model = case.build()
    for batch in BATCHES:
        x, z = case.images(batch, seed=batch), case.codes(batch, seed=batch)
        case.encode(model, x)
        case.decode(model, z)
        case.forward(model, x)
        case.forward(model, x, eps=case.codes(batch, seed=10 + batch))


def _budget(case: Case) -> None:
    count = sum(p.numel() for p in case.build().parameters())
    if count > case.spec.budget:
        message = t(
            f"Your {case.name} has {count:,} parameters for latent_dim={case.latent_dim}; "
            f"the budget is {case.spec.budget:,} at most.",
            f"{case.name} Anda memiliki {count:,} parameter untuk latent_dim={case.latent_dim}; "
            f"anggarannya paling banyak {case.spec.budget:,}.",
        )
        raise CheckFailure(message, hint="parameter-budget")


def _layers(case: Case) -> None:
    model = case.build()
    for method, arg, kind, layer in (
        ("encode", case.images(2, seed=90), "conv", "nn.Conv2d"),
        ("decode", case.codes(2, seed=91), "conv_transpose", "nn.ConvTranspose2d"),
    ):
        if kind not in _layer_kinds_run(case, model, method, arg):
            message = t(
                f"{case.name}.{method} ran no {layer} layer ({case.label}).",
                f"{case.name}.{method} tidak menjalankan satu pun lapisan {layer} ({case.label}).",
            )
            raise CheckFailure(message, hint="conv-layers")


def _layer_kinds_run(case: Case, model: nn.Module, method: str, arg: torch.Tensor) -> set[str]:
    """The kinds of convolution layers that ran while ``model.<method>(arg)`` ran (an answer)."""
    kinds: set[str] = set()
    handles = [
        module.register_forward_hook(lambda *_, kind=kind: kinds.add(kind))
        for module in model.modules()
        for kind in [_layer_kind(module)]
        if kind is not None
    ]
    try:
        case.student.run(getattr(model, method), arg)
    finally:
        for handle in handles:
            handle.remove()
    return set(judging.answer(lambda: sorted(kinds)))


def _layer_kind(module: nn.Module) -> str | None:
    if isinstance(module, nn.Conv2d):
        return "conv"
    if isinstance(module, nn.ConvTranspose2d):
        return "conv_transpose"
    return None


def _encoder(case: Case) -> None:
    model = case.build()
    x = case.images(6, seed=60)
    with torch.no_grad():
        mu, logvar = case.encode(model, x)
    for label, value in (("mu", mu), ("logvar", logvar)):
        if not torch.isfinite(value).all():
            what = _from(label, f"{case.name}.encode(x)")
            raise CheckFailure(_not_finite(what, case.label), hint="not-finite")
    if close(mu, mu[:1].expand_as(mu)):
        message = t(
            f"{case.name}.encode gave every image the same mu ({case.label}): mu must depend on the image.",
            f"{case.name}.encode memberi setiap gambar mu yang sama ({case.label}): mu harus bergantung pada gambarnya.",
        )
        raise CheckFailure(message)


def _variance_probe(case: Case) -> None:
    """A few Adam steps that lower the mean logvar must reach logvar < 0, a variance below the prior's."""
    model = case.build(train=True)
    x = case.images(16, seed=61)
    case.student.run(_steps_lowering_logvar, model, x)
    with torch.no_grad():
        _, logvar = case.encode(model.eval(), x)
    if not (logvar < 0).any():
        message = t(
            f"After {PROBE_STEPS} Adam steps (lr {PROBE_LR:g}) that lower the mean of logvar, every logvar "
            f"from {case.name}.encode is still >= 0 ({case.label}): your encoder cannot make the posterior "
            "narrower than the prior.",
            f"Setelah {PROBE_STEPS} langkah Adam (lr {PROBE_LR:g}) yang menurunkan rata-rata logvar, setiap logvar "
            f"dari {case.name}.encode masih >= 0 ({case.label}): encoder Anda tidak dapat membuat posterior "
            "lebih sempit daripada prior.",
        )
        raise CheckFailure(message, hint="logvar-range")


def _steps_lowering_logvar(model: nn.Module, x: torch.Tensor) -> None:
    optimizer = torch.optim.Adam(model.parameters(), lr=PROBE_LR)
    for _ in range(PROBE_STEPS):
        optimizer.zero_grad()
        _, logvar = model.encode(x)  # (B, D)
        logvar.mean().backward()
        optimizer.step()


def _decoder(case: Case) -> None:
    model = case.build()
    z = 3 * case.codes(6, seed=70)  # large codes: the decoder's output range shows
    with torch.no_grad():
        p = case.decode(model, z)
        _expect_probabilities(p, f"{case.name}.decode(z)", case.label)
        case.forward(model, case.images(6, seed=71))  # anything a decoder keeps from the encoder changes
        again = case.decode(model, z)
        if not close(again, p):
            message = t(
                f"{case.name}.decode(z) gave other images for the same z after the model encoded other "
                f"images ({case.label}).",
                f"{case.name}.decode(z) memberi gambar lain untuk z yang sama setelah model meng-encode gambar "
                f"lain ({case.label}).",
            )
            raise CheckFailure(message, hint="decoder-uses-x")
        if close(case.decode(model, 3 * case.codes(6, seed=72)), p):
            message = t(
                f"{case.name}.decode(z) gave the same images for other codes ({case.label}).",
                f"{case.name}.decode(z) memberi gambar yang sama untuk kode lain ({case.label}).",
            )
            raise CheckFailure(message)


def _expect_probabilities(p: torch.Tensor, what: str, label: str) -> None:
    if not torch.isfinite(p).all():
        raise CheckFailure(_not_finite(what, label), hint="not-finite")
    if p.min() < 0 or p.max() > 1:
        low, high = f"{p.min():.3g}", f"{p.max():.3g}"
        message = t(
            f"{what} should hold pixel probabilities in [0, 1], got values in [{low}, {high}] ({label}).",
            f"{what} seharusnya berisi probabilitas piksel di [0, 1], didapat nilai di [{low}, {high}] ({label}).",
        )
        raise CheckFailure(message, hint="missing-sigmoid")


@torch.no_grad()
def _sampling(case: Case) -> None:
    model = case.build()
    for batch in BATCHES:
        x, eps = case.images(batch, seed=20 + batch), case.codes(batch, seed=30 + batch)
        mu, logvar = case.encode(model, x)
        x_hat, forward_mu, forward_logvar = case.forward(model, x, eps)
        forward = f"{case.name}.forward(x, eps)"
        expect_close(forward_mu, mu, _from("mu", forward), case.label, {"forward-outputs": logvar})
        expect_close(forward_logvar, logvar, _from("logvar", forward), case.label, {"forward-outputs": mu})
        answers = _sampling_answers(case, model, x, eps, mu, logvar)
        if not close(x_hat, answers["right"]):
            message = t(
                f"x_hat from {forward} is not decode(z) for z = mu + exp(0.5 * logvar) * eps, with mu and logvar "
                f"from encode(x) ({case.label}, batch of {batch}).",
                f"x_hat dari {forward} bukan decode(z) untuk z = mu + exp(0.5 * logvar) * eps, dengan mu dan logvar "
                f"dari encode(x) ({case.label}, batch berisi {batch}).",
            )
            raise CheckFailure(message, hint=_sampling_mistake(x_hat, answers))


def _sampling_mistake(x_hat: torch.Tensor, answers: dict[str, torch.Tensor]) -> str | None:
    """The mistake that explains a wrong x_hat from forward(x, eps), if one does."""
    for hint in ("forward-no-sampling", "exp-logvar-as-std", "logvar-as-std"):
        if close(x_hat, answers[hint], slack=10.0):
            return hint
    if not torch.equal(answers["again"], x_hat):
        return "eps-ignored"
    if not close(answers["same-z-other-images"], x_hat, slack=10.0):
        return "decoder-uses-x"
    return None


def _sampling_answers(case: Case, model, x, eps, mu, logvar) -> dict[str, torch.Tensor]:
    """What x_hat from forward(x, eps) is ("right"), what it would be under each mistake it could
    make, and the answers that tell the others apart.

    Every call is made whether or not it is needed, so that the kernel and the judge ask for the
    same answers in the same order whatever the verdict.
    """
    z = mu + torch.exp(0.5 * logvar) * eps  # (B, D)  the reparameterization
    answers = {
        "right": case.decode(model, z),
        "forward-no-sampling": case.decode(model, mu),
        "exp-logvar-as-std": case.decode(model, mu + logvar.exp() * eps),
        "logvar-as-std": case.decode(model, mu + logvar * eps),
    }
    answers["again"] = case.forward(model, x, eps)[0]  # unequal to the first if eps was ignored
    # The same z from other images (their eps solved for it): another x_hat if forward uses x.
    other = case.images(len(x), seed=40 + len(x))
    other_mu, other_logvar = case.encode(model, other)
    other_eps = (z - other_mu) / torch.exp(0.5 * other_logvar)
    answers["same-z-other-images"] = case.forward(model, other, other_eps)[0]
    return answers


@torch.no_grad()
def _noise(case: Case) -> None:
    model = case.build()
    x = case.images(4, seed=40)
    first, second = (case.forward(model, x)[0] for _ in range(2))
    decoded_mean = case.decode(model, case.encode(model, x)[0])  # asked for whatever the verdict
    if torch.equal(first, second):
        hint = "forward-no-sampling" if close(first, decoded_mean) else "stale-noise"
        message = t(
            f"{case.name}.forward(x) returned the same x_hat twice, so z was not sampled afresh ({case.label}).",
            f"{case.name}.forward(x) mengembalikan x_hat yang sama dua kali, jadi sampel z tidak diambil baru "
            f"({case.label}).",
        )
        raise CheckFailure(message, hint=hint)


def _gradients(case: Case) -> None:
    model = case.build()
    x, eps = case.images(5, seed=50), case.codes(5, seed=51)
    loss = _negative_elbo(case.forward(model, x, eps), x, case)
    if not loss.requires_grad:
        message = t(
            f"The negative ELBO of {case.name}'s outputs does not depend on its weights ({case.label}).",
            f"ELBO negatif dari output {case.name} tidak bergantung pada bobotnya ({case.label}).",
        )
        raise CheckFailure(message, hint="no-gradient")
    names = [name for name, _ in model.named_parameters()]
    norms = judging.answer(lambda: _gradient_norms(loss, model))
    if len(norms) != len(names):
        message = t(
            f"The grader got {len(norms)} gradients for the {len(names)} weights of your {case.name}.",
            f"Penilai menerima {len(norms)} gradien untuk {len(names)} bobot {case.name} Anda.",
        )
        raise CheckFailure(message)
    for name, norm in zip(names, norms):
        if norm is None:
            message = t(
                f"No gradient of the negative ELBO reaches the weight {name} of your {case.name} ({case.label}).",
                f"Tidak ada gradien ELBO negatif yang sampai ke bobot {name} pada {case.name} Anda ({case.label}).",
            )
            raise CheckFailure(message, hint="no-gradient")
        if not torch.isfinite(norm).all():
            message = t(
                f"The gradient of the negative ELBO for {name} is not finite ({case.label}).",
                f"Gradien ELBO negatif untuk {name} tidak berhingga ({case.label}).",
            )
            raise CheckFailure(message, hint="not-finite")


def _gradient_norms(loss: torch.Tensor, model: nn.Module) -> list[torch.Tensor | None]:
    """The norm of d loss / d w for every weight w (None for a weight the loss does not reach)."""
    weights = list(model.parameters())
    trainable = [w for w in weights if w.requires_grad]
    grads = iter(torch.autograd.grad(loss, trainable, allow_unused=True) if trainable else ())
    norms = [next(grads) if w.requires_grad else None for w in weights]
    return [None if g is None else g.detach().norm() for g in norms]


def _negative_elbo(output: tuple, x: torch.Tensor, case: Case) -> torch.Tensor:
    x_hat, mu, logvar = output
    _expect_probabilities(x_hat.detach(), _from("x_hat", f"{case.name}.forward(x, eps)"), case.label)
    return negative_elbo(x_hat, x, mu, logvar)


def _trains(case: Case) -> None:
    model = case.build(train=True)
    x = garments(TRAIN_BATCH, seed=80).to(case.device, case.dtype)  # (B, 1, 28, 28)
    eps = case.codes(TRAIN_BATCH, seed=81)
    with torch.no_grad():
        before = _negative_elbo(case.forward(model, x, eps), x, case).item()
    case.student.run(_training_steps, model, x, case.latent_dim)
    with torch.no_grad():
        after = _negative_elbo(case.forward(model, x, eps), x, case).item()
    if not after <= (1 - TRAIN_GAIN) * before:
        message = t(
            f"{TRAIN_STEPS} Adam steps (lr {TRAIN_LR:g}) on one batch of {TRAIN_BATCH} images took the negative "
            f"ELBO of your {case.name} from {before:.1f} to {after:.1f} nats per image; a model that trains "
            f"lowers it by at least {TRAIN_GAIN:.0%} ({case.label}).",
            f"{TRAIN_STEPS} langkah Adam (lr {TRAIN_LR:g}) pada satu batch berisi {TRAIN_BATCH} gambar membawa ELBO "
            f"negatif {case.name} Anda dari {before:.1f} ke {after:.1f} nat per gambar; model yang belajar "
            f"menurunkannya setidaknya {TRAIN_GAIN:.0%} ({case.label}).",
        )
        raise CheckFailure(message, hint="not-finite" if after != after else None)


def _training_steps(model: nn.Module, x: torch.Tensor, latent_dim: int) -> None:
    optimizer = torch.optim.Adam(model.parameters(), lr=TRAIN_LR)
    noise = torch.Generator().manual_seed(82)
    for _ in range(TRAIN_STEPS):
        eps = torch.randn(len(x), latent_dim, generator=noise, dtype=torch.float64).to(x.device, x.dtype)
        optimizer.zero_grad()
        x_hat, mu, logvar = model(x, eps=eps)
        negative_elbo(x_hat, x, mu, logvar).backward()
        optimizer.step()


def garments(batch: int, seed: int) -> torch.Tensor:
    """Hidden training images: a bright box of random size and place on a dark background, float64.

    Shape (batch, 1, 28, 28); unlike uniform noise they have structure a model can learn in a few steps.
    """
    g = torch.Generator().manual_seed(seed)
    top, left = (torch.randint(2, 10, (batch, 1, 1), generator=g) for _ in range(2))
    bottom, right = (torch.randint(18, 27, (batch, 1, 1), generator=g) for _ in range(2))
    rows, cols = torch.arange(28).view(1, 28, 1), torch.arange(28).view(1, 1, 28)
    inside = (rows >= top) & (rows < bottom) & (cols >= left) & (cols < right)  # (B, 28, 28)
    return torch.where(inside, 0.9, 0.02).to(torch.float64).unsqueeze(1)


# --------------------------------------------------------------------------- messages


def _kind(value) -> str:
    if isinstance(value, tuple):
        return t(f"a tuple of {len(value)}", f"tuple berisi {len(value)}")
    return type(value).__name__


def _from(value: str, call: str) -> str:
    """How a message names one output of a call: "mu from MLPVAE.encode(x)"."""
    return t(f"{value} from {call}", f"{value} dari {call}")


def _not_finite(what: str, label: str) -> str:
    return t(f"{what} is not finite ({label}).", f"{what} tidak berhingga ({label}).")
