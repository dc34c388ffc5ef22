"""Checks for the training loop (assignment 7): ``train_step``, ``evaluate`` and ``train``.

A loop is graded by what it does, not by how it is written. The model the checks hand to the
student's code is a :class:`SpyVAE`: an MLP VAE that records, for every batch it encodes, which
hidden split the batch came from (training, validation or held-out images), whether the model was
in training mode and whether autograd was recording; and, at every backward pass, whether a
gradient from an earlier step was still there (not zeroed). Values are compared with the library's
reference loop (:func:`vae_course.fit`) and metrics, on the same hidden data and initial weights.

Everything runs on the CPU, single-threaded: the whole ``train`` check (the student's loop and the
reference's, 2,048 images for 2 epochs) takes about a second, well inside nbgrader's 30 s per cell.
"""

from __future__ import annotations

import copy
import functools
import math
import numbers
from collections.abc import Callable

import torch
from torch import nn

from .. import train as train_module
from ..data import DataNotFoundError, load_fashion_mnist
from ..evaluate import evaluate_negative_elbo
from ..gaussian import kl_divergence, reparameterize
from ..language import t
from ..losses import negative_elbo
from ..models import MLPVAE, MLPVAEConfig
from .core import CheckFailure, Student, run_parts

TRAIN_SIZE, VAL_SIZE, HELD_OUT_SIZE = (
    2048,
    512,
    1024,
)  # hidden images, drawn from Fashion-MNIST's training split
DATA_SEED = 20240  # which images: a fixed random subset, not the first ones the notebook uses
MODEL = MLPVAEConfig(hidden_dim=128, latent_dim=8)  # small: an epoch of 2,048 images takes ~0.2 s on one thread
BUDGET = {
    "epochs": 2,
    "batch_size": 64,
    "lr": 2e-3,
}  # the fixed budget both loops train with
# Held-out -ELBO (nats per image) after the budget, reference loop, 12 seeds: mean 312.0, standard
# deviation 3.5, range 13.4 (`python -m vae_course.checks.training` prints them). A correct loop
# (the assignment's solution) differs from the reference only in its shuffling and noise: over 8 seeds
# it ended 2.2 nats worse on average, with a standard deviation of 4.9 (about sqrt(2) * 3.5). We allow
# 5 of those, one-sided (a better loop passes). A loop that never zeroes the gradients ends about
# 100 nats worse (414), one that never steps at the untrained model's ~550.
TOLERANCE = 25.0
SMALL = MLPVAEConfig(hidden_dim=32, latent_dim=3)  # for train_step and evaluate: fast, float64


# --------------------------------------------------------------------------- the spy


def fingerprint(x: torch.Tensor) -> torch.Tensor:
    """One exact integer per image (N, 1, 28, 28) in [0, 1] from 8-bit pixels: where a batch came from."""
    pixels = (x.detach().double().flatten(1).cpu() * 255).round().long()  # (N, 784)
    weights = torch.randint(1, 1 << 20, (pixels.shape[1],), generator=torch.Generator().manual_seed(0))
    return (pixels * weights).sum(dim=1)  # (N,)  exact: integers, no rounding


class SpyVAE(nn.Module):
    """An MLP VAE that records how it is used.

    Attributes:
        calls: one ``(split, training, grad_enabled, batch_size)`` per call of ``encode`` (which
            ``forward`` calls), ``split`` the name of the hidden split the batch's first image is from.
        stale: backward passes that found a gradient left over from an earlier step.
    """

    def __init__(self, config: MLPVAEConfig = MODEL, splits: dict[int, str] | None = None):
        super().__init__()
        self.vae = MLPVAE(config)
        self.latent_dim = config.latent_dim
        self.splits = splits or {}
        self.calls: list[tuple[str, bool, bool, int]] = []
        self.stale = 0
        for param in self.vae.parameters():
            param.register_hook(self._gradient_hook(param))

    def _gradient_hook(self, param: nn.Parameter) -> Callable[[torch.Tensor], None]:
        def hook(
            grad: torch.Tensor,
        ) -> None:  # runs before the new gradient is added to param.grad
            if param.grad is not None and bool(param.grad.any()):
                self.stale += 1

        return hook

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        split = self.splits.get(int(fingerprint(x[:1])[0]), "other") if len(x) else "other"
        self.calls.append((split, self.training, torch.is_grad_enabled(), len(x)))
        return self.vae.encode(x)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return self.vae.decode(z)

    def forward(self, x: torch.Tensor, eps: torch.Tensor | None = None):
        mu, logvar = self.encode(x)  # (B, D)
        return self.decode(reparameterize(mu, logvar, eps)), mu, logvar

    def forget(self) -> None:
        self.calls, self.stale = [], 0

    def used(self, split: str) -> list[tuple[str, bool, bool, int]]:
        return [call for call in self.calls if call[0] == split]


def spy(config: MLPVAEConfig = MODEL, seed: int = 0, splits=None, dtype=torch.float32) -> SpyVAE:
    torch.manual_seed(seed)
    return SpyVAE(config, splits).to(dtype)


@functools.lru_cache(maxsize=1)
def hidden_data() -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Training, validation and held-out images (float32, (N, 1, 28, 28)): a fixed random subset."""
    try:
        images = load_fashion_mnist("train", download=False).images
    except DataNotFoundError as err:  # the grader's setup, not the student's work
        message = t(
            f"The grader cannot find Fashion-MNIST; tell your instructor. ({err})",
            f"Penilai tidak dapat menemukan Fashion-MNIST; beri tahu pengajar Anda. ({err})",
        )
        raise CheckFailure(message) from None
    order = torch.randperm(len(images), generator=torch.Generator().manual_seed(DATA_SEED))
    picked = images[order[: TRAIN_SIZE + VAL_SIZE + HELD_OUT_SIZE]]
    return (
        picked[:TRAIN_SIZE],
        picked[TRAIN_SIZE : TRAIN_SIZE + VAL_SIZE],
        picked[TRAIN_SIZE + VAL_SIZE :],
    )


def split_names(**splits: torch.Tensor) -> dict[int, str]:
    return {int(f): name for name, images in splits.items() for f in fingerprint(images)}


def as_number(value, what: str) -> float:
    """A returned loss as a float: a Python number, or a tensor of shape () that does not track gradients."""
    if isinstance(value, torch.Tensor):
        if value.requires_grad:
            message = t(
                f"{what} returned a tensor that still tracks gradients.",
                f"{what} mengembalikan tensor yang masih melacak gradien.",
            )
            raise CheckFailure(message, hint="loss-item")
        if value.numel() != 1:
            shape = tuple(value.shape)
            message = t(
                f"{what} returned a tensor of shape {shape}; expected one number.",
                f"{what} mengembalikan tensor berbentuk {shape}; seharusnya satu angka.",
            )
            raise CheckFailure(message, hint="batch-not-averaged")
        return float(value)
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return float(value)
    kind = type(value).__name__
    raise CheckFailure(
        t(
            f"{what} should return the loss as a float, got {kind}.",
            f"{what} seharusnya mengembalikan loss sebagai float, didapat {kind}.",
        )
    )


def _close(got: float, expected: float, rtol: float = 1e-5, atol: float = 1e-4) -> bool:
    return math.isfinite(got) and abs(got - expected) <= atol + rtol * abs(expected)


# --------------------------------------------------------------------------- train_step


def reference_step(
    model: nn.Module,
    x: torch.Tensor,
    optimizer,
    beta: float,
    zero: bool = True,
    scale: float = 1.0,
):
    """The step of :func:`vae_course.fit`; ``zero=False`` or ``scale`` reproduce two mistakes."""
    if zero:
        optimizer.zero_grad(set_to_none=True)
    x_hat, mu, logvar = model(x)
    loss = negative_elbo(x_hat, x, mu, logvar, beta=beta)
    (scale * loss).backward()
    optimizer.step()
    return loss.item()


def _step_case(seed: int, beta: float):
    """Two copies of one small float64 spy, an SGD optimizer for each, and two hidden batches."""
    model = spy(SMALL, seed=seed, dtype=torch.float64)
    reference = copy.deepcopy(model)
    g = torch.Generator().manual_seed(100 + seed)
    batches = [torch.rand(8 + 3 * k, 1, 28, 28, generator=g, dtype=torch.float64) for k in range(2)]
    optimizers = [torch.optim.SGD(m.parameters(), lr=1e-3) for m in (model, reference)]
    return model, reference, optimizers, batches


def _params(model: nn.Module) -> list[torch.Tensor]:
    return [p.detach().clone() for p in model.parameters()]


def _same(a: list[torch.Tensor], b: list[torch.Tensor], rtol: float = 1e-6, atol: float = 1e-9) -> bool:
    return all(torch.allclose(x, y, rtol=rtol, atol=atol) for x, y in zip(a, b))


def check_train_step(train_step: Callable, part: str | None = None) -> None:
    """Check a student's ``train_step(model, batch, optimizer, beta=1.0) -> float``.

    Parts: ``"shapes"`` (a float comes back, the weights change), ``"values"`` (the loss before
    the update and the updated weights equal the reference step's, beta 1 and 4) and
    ``"zero_grad"`` (two steps in a row: the second must not reuse the first one's gradients).
    """
    student = Student(train_step, "train_step", (train_module.fit,))

    def shapes():
        model, _, (optimizer, _), batches = _step_case(seed=0, beta=1.0)
        before = _params(model)
        as_number(student(model, batches[0], optimizer), "train_step(model, batch, optimizer)")
        if _same(_params(model), before, rtol=0, atol=0):
            _unchanged(model, t("one call of train_step", "satu panggilan train_step"))

    def values():
        for seed, beta in ((1, 1.0), (2, 4.0)):
            model, reference, (optimizer, ref_optimizer), batches = _step_case(seed, beta)
            torch.manual_seed(seed)
            got = as_number(student(model, batches[0], optimizer, beta=beta), "train_step")
            torch.manual_seed(seed)
            expected = reference_step(reference, batches[0], ref_optimizer, beta)
            case = t(f"a batch of {len(batches[0])} images", f"satu batch berisi {len(batches[0])} gambar")
            case += f", beta = {beta}"
            if not _close(got, expected):
                hint = None
                if beta != 1.0 and _close(
                    got,
                    expected - (beta - 1.0) * _kl(reference, batches[0], seed),
                    rtol=1e-4,
                ):
                    hint = "beta-ignored"
                elif _close(got, expected * len(batches[0]), rtol=1e-4):
                    hint = "sum-over-batch"
                message = t(
                    f"train_step returned the loss {got:.4f}; the reference step's is {expected:.4f} ({case}).",
                    f"train_step mengembalikan loss {got:.4f}; loss langkah acuan adalah {expected:.4f} ({case}).",
                )
                raise CheckFailure(message, hint=hint)
            if not _same(_params(model), _params(reference)):
                if _same(
                    _params(model),
                    _params(spy(SMALL, seed=seed, dtype=torch.float64)),
                    rtol=0,
                    atol=0,
                ):
                    _unchanged(model, f"train_step ({case})")
                raise CheckFailure(
                    t(
                        f"After one train_step the weights differ from the reference step's ({case}): "
                        "compute the loss of the batch, backpropagate it and take one optimizer step.",
                        f"Setelah satu train_step, bobotnya berbeda dari bobot langkah acuan ({case}): "
                        "hitung loss batch itu, lakukan backpropagation, lalu ambil satu langkah optimizer.",
                    )
                )

    def zero_grad():
        model, reference, (optimizer, ref_optimizer), batches = _step_case(seed=3, beta=1.0)
        for k, x in enumerate(batches):
            torch.manual_seed(10 + k)
            as_number(student(model, x, optimizer), "train_step")
            torch.manual_seed(10 + k)
            reference_step(reference, x, ref_optimizer, 1.0)
        if model.stale:
            message = t(
                "In the second of two train_steps, backward added its gradients to those left over "
                "from the first: they were not zeroed.",
                "Pada train_step kedua dari dua, backward menambahkan gradiennya ke gradien sisa "
                "langkah pertama: gradien itu tidak dinolkan.",
            )
            raise CheckFailure(message, hint="zero-grad")
        if not _same(_params(model), _params(reference)):
            message = t(
                "After two train_steps the weights differ from two reference steps.",
                "Setelah dua train_step, bobotnya berbeda dari bobot setelah dua langkah acuan.",
            )
            raise CheckFailure(message)

    run_parts("train_step", {"shapes": shapes, "values": values, "zero_grad": zero_grad}, part)


def _kl(model: SpyVAE, x: torch.Tensor, seed: int) -> float:
    """The batch's mean KL under the noise ``seed`` (the weights of ``model`` are the updated ones,
    but the KL depends only on the encoder's outputs before the step, so recompute from a fresh copy)."""
    fresh = spy(SMALL, seed=seed, dtype=torch.float64)
    with torch.no_grad():
        mu, logvar = fresh.vae.encode(x)
        return kl_divergence(mu, logvar).mean().item()


def _unchanged(model: nn.Module, what: str) -> None:
    if all(p.grad is None or not bool(p.grad.any()) for p in model.parameters()):
        message = t(
            f"The weights did not change after {what}, and they hold no gradient.",
            f"Bobotnya tidak berubah setelah {what}, dan tidak menyimpan gradien.",
        )
        raise CheckFailure(message, hint="step-order")
    message = t(
        f"The weights did not change after {what}, although gradients were computed.",
        f"Bobotnya tidak berubah setelah {what}, padahal gradien sudah dihitung.",
    )
    raise CheckFailure(message, hint="no-step")


# --------------------------------------------------------------------------- evaluate


def _evaluation_case(seed: int = 0):
    """A small float64 spy and 700 hidden images whose last 100 (a small last batch of 300) are nearly black.

    The posteriors are nearly points (sigma = e^-9), so the one-sample estimate of the -ELBO hardly
    depends on the noise; the decoder leans towards dark pixels, so dark images cost far less than
    the others and a mean of batch means differs from the mean over images.
    """
    model = spy(SMALL, seed=seed, dtype=torch.float64)
    with torch.no_grad():
        model.vae.encoder_logvar.weight.zero_()
        model.vae.encoder_logvar.bias.fill_(-18.0)
        model.vae.decoder_out.bias.fill_(-3.0)  # pixel probabilities around 0.05
    g = torch.Generator().manual_seed(200 + seed)
    images = torch.rand(700, 1, 28, 28, generator=g, dtype=torch.float64)
    images[600:] *= 0.05  # (100, 1, 28, 28)  nearly black
    return model, images


def reference_evaluation(model: nn.Module, images: torch.Tensor, batch_size: int) -> float:
    reconstruction, kl = train_module.average_loss_terms(model, images, "bce", batch_size)
    return reconstruction + kl


def check_evaluate(evaluate: Callable, part: str | None = None) -> None:
    """Check a student's ``evaluate(model, images, batch_size=1000) -> float``: the mean -ELBO per image.

    Parts: ``"shapes"`` (a float), ``"values"`` (the reference's value, whatever the batch size)
    and ``"behaviour"`` (eval mode, no gradients, every image once).
    """
    student = Student(evaluate, "evaluate", (train_module.average_loss_terms, evaluate_negative_elbo))

    def shapes():
        model, images = _evaluation_case()
        as_number(
            student(model, images[:50], batch_size=20),
            "evaluate(model, images, batch_size)",
        )

    def values():
        model, images = _evaluation_case(seed=1)
        for batch_size in (300, 1000):
            got = as_number(student(model, images, batch_size=batch_size), "evaluate")
            expected = reference_evaluation(model, images, batch_size)
            if _close(got, expected, rtol=1e-5, atol=1e-2):
                continue
            per_batch = [reference_evaluation(model, chunk, len(chunk)) for chunk in images.split(batch_size)]
            hint = None
            if _close(got, expected * len(images), rtol=1e-4):
                hint = "sum-over-batch"
            elif _close(got, sum(per_batch) / len(per_batch), rtol=1e-5, atol=1e-2):
                hint = "batch-weighted-mean"
            message = t(
                f"evaluate returned {got:.3f} nats per image; the reference gives {expected:.3f} "
                f"({len(images)} hidden images, batch_size={batch_size}).",
                f"evaluate mengembalikan {got:.3f} nat per gambar; acuan memberi {expected:.3f} "
                f"({len(images)} gambar tersembunyi, batch_size={batch_size}).",
            )
            raise CheckFailure(message, hint=hint)

    def behaviour():
        model, images = _evaluation_case(seed=2)
        model.train()
        student(model, images, batch_size=300)
        calls = model.calls
        if not calls:
            message = t(
                "evaluate never called the model (model(x) or model.encode(x)).",
                "evaluate tidak pernah memanggil model (model(x) atau model.encode(x)).",
            )
            raise CheckFailure(message)
        if any(training for _, training, _, _ in calls):
            message = t("evaluate ran the model in training mode.", "evaluate menjalankan model dalam mode pelatihan.")
            raise CheckFailure(message, hint="eval-mode")
        if any(grad for _, _, grad, _ in calls):
            message = t(
                "evaluate ran the model with autograd recording.",
                "evaluate menjalankan model sementara autograd merekam.",
            )
            raise CheckFailure(message, hint="eval-no-grad")
        encoded = sum(size for *_, size in calls)
        if encoded != len(images):
            message = t(
                f"evaluate encoded {encoded} images, not the {len(images)} it was given (each exactly once).",
                f"evaluate meng-encode {encoded} gambar, bukan {len(images)} gambar yang diberikan "
                "(masing-masing tepat satu kali).",
            )
            raise CheckFailure(message, hint="every-image")

    run_parts("evaluate", {"shapes": shapes, "values": values, "behaviour": behaviour}, part)


# --------------------------------------------------------------------------- train


def _history(history, epochs: int) -> dict[str, list[float]]:
    if not isinstance(history, dict) or not {"train_loss", "val_loss"} <= set(history):
        message = t(
            "train should return a dict with the lists 'train_loss' and 'val_loss'.",
            "train seharusnya mengembalikan dict berisi daftar 'train_loss' dan 'val_loss'.",
        )
        raise CheckFailure(message, hint="history")
    for key in ("train_loss", "val_loss"):
        values = history[key]
        if not isinstance(values, (list, tuple)) or len(values) != epochs:
            length = len(values) if isinstance(values, (list, tuple)) else type(values).__name__
            message = t(
                f"history[{key!r}] should hold one number per epoch ({epochs}), got {length}.",
                f"history[{key!r}] seharusnya berisi satu angka per epoch ({epochs}), didapat {length}.",
            )
            raise CheckFailure(message, hint="history")
        numbers_ = [as_number(v, f"train (history[{key!r}])") for v in values]
        if not all(math.isfinite(v) for v in numbers_):
            message = t(f"history[{key!r}] contains NaN or infinity.", f"history[{key!r}] memuat NaN atau tak hingga.")
            raise CheckFailure(message, hint="not-finite")
    return {key: [float(v) for v in history[key]] for key in ("train_loss", "val_loss")}


def _train(student: Student, seed: int, epochs: int = BUDGET["epochs"], size: int = TRAIN_SIZE):
    train_images, val_images, held_out = hidden_data()
    train_images = train_images[:size]
    model = spy(seed=seed, splits=split_names(train=train_images, val=val_images))
    history = student(
        model,
        train_images,
        val_images,
        epochs=epochs,
        batch_size=BUDGET["batch_size"],
        lr=BUDGET["lr"],
        seed=seed,
    )
    return model, _history(history, epochs), held_out


def held_out_negative_elbo(model: nn.Module, images: torch.Tensor) -> float:
    return evaluate_negative_elbo(model, images, device="cpu", seed=0)["negative_elbo"]


def reference_loop(seed: int) -> float:
    """Held-out -ELBO of the reference loop (:func:`vae_course.fit`) after the budget, from the same initial weights."""
    train_images, val_images, held_out = hidden_data()
    model = spy(seed=seed)
    config = train_module.TrainConfig(
        epochs=BUDGET["epochs"],
        batch_size=BUDGET["batch_size"],
        lr=BUDGET["lr"],
        seed=seed,
    )
    train_module.fit(model, train_images, val_images, config, device="cpu", progress=False)
    return held_out_negative_elbo(model, held_out)


def check_train(train: Callable, part: str | None = None) -> None:
    """Check a student's ``train(model, train_images, val_images, epochs, batch_size, lr, beta=1.0, seed=0) -> dict``.

    Parts: ``"shapes"`` (the history), ``"modes"`` (gradients zeroed, training mode for training,
    eval mode and no gradients for validation), ``"falls"`` (the losses fall) and ``"reference"``
    (the held-out -ELBO after the budget is within :data:`TOLERANCE` of the reference loop's).
    """
    student = Student(train, "train", (train_module.fit,))

    def shapes():
        _train(student, seed=0, epochs=2, size=256)

    def modes():
        model, _, _ = _train(student, seed=1, epochs=2, size=512)
        if model.stale:
            message = t(
                f"In {model.stale} backward passes, gradients from the previous step were still in "
                "the weights: they were added up instead of replaced.",
                f"Pada {model.stale} backward pass, gradien dari langkah sebelumnya masih ada di bobot: "
                "gradien dijumlahkan, bukan diganti.",
            )
            raise CheckFailure(message, hint="zero-grad")
        trained, validated = model.used("train"), model.used("val")
        if not trained:
            message = t(
                "train never ran the model on train_images.",
                "train tidak pernah menjalankan model pada train_images.",
            )
            raise CheckFailure(message)
        if not validated:
            message = t(
                "train never ran the model on val_images: evaluate it after every epoch.",
                "train tidak pernah menjalankan model pada val_images: evaluasi model setelah setiap epoch.",
            )
            raise CheckFailure(message, hint="history")
        if not all(training for _, training, _, _ in trained):
            message = t(
                "Some training steps ran in eval mode (after a validation).",
                "Beberapa langkah pelatihan berjalan dalam mode eval (setelah validasi).",
            )
            raise CheckFailure(message, hint="train-mode")
        if any(training for _, training, _, _ in validated):
            message = t(
                "The validation ran the model in training mode.",
                "Validasi menjalankan model dalam mode pelatihan.",
            )
            raise CheckFailure(message, hint="eval-mode")
        if any(grad for _, _, grad, _ in validated):
            message = t(
                "The validation ran with autograd recording.",
                "Validasi berjalan sementara autograd merekam.",
            )
            raise CheckFailure(message, hint="eval-no-grad")

    def falls():
        model, history, held_out = _train(student, seed=2)
        untrained = held_out_negative_elbo(spy(seed=2), held_out)
        after = held_out_negative_elbo(model, held_out)
        train_loss, val_loss = history["train_loss"], history["val_loss"]
        if not (train_loss[-1] < train_loss[0] and val_loss[-1] < val_loss[0] and after < untrained - 50):
            hint = "zero-grad" if model.stale else None
            message = t(
                f"The losses do not fall: train_loss {_fmt(train_loss)}, val_loss {_fmt(val_loss)}; "
                f"held-out -ELBO {untrained:.1f} before training, {after:.1f} after.",
                f"Loss-nya tidak turun: train_loss {_fmt(train_loss)}, val_loss {_fmt(val_loss)}; "
                f"-ELBO pada gambar yang disisihkan {untrained:.1f} sebelum pelatihan, {after:.1f} sesudahnya.",
            )
            raise CheckFailure(message, hint=hint)

    def reference():
        model, _, held_out = _train(student, seed=3)
        got, expected = held_out_negative_elbo(model, held_out), reference_loop(seed=3)
        if got > expected + TOLERANCE:
            hint = "zero-grad" if model.stale else None
            epochs, batch_size, lr = BUDGET["epochs"], BUDGET["batch_size"], BUDGET["lr"]
            message = t(
                f"After the same budget ({epochs} epochs of {TRAIN_SIZE} hidden images, batch size "
                f"{batch_size}, lr {lr}) your loop reaches a held-out -ELBO of {got:.1f} nats; "
                f"the reference loop reaches {expected:.1f}, and a correct loop is within {TOLERANCE:.0f} of it.",
                f"Dengan anggaran yang sama ({epochs} epoch atas {TRAIN_SIZE} gambar tersembunyi, ukuran batch "
                f"{batch_size}, lr {lr}) loop Anda mencapai -ELBO {got:.1f} nat pada gambar yang disisihkan; "
                f"loop acuan mencapai {expected:.1f}, dan loop yang benar berada dalam {TOLERANCE:.0f} nat darinya.",
            )
            raise CheckFailure(message, hint=hint)

    run_parts(
        "train",
        {"shapes": shapes, "modes": modes, "falls": falls, "reference": reference},
        part,
    )


def _fmt(values: list[float]) -> str:
    return "[" + ", ".join(f"{v:.1f}" for v in values) + "]"


if __name__ == "__main__":  # the seed-to-seed spread behind TOLERANCE (a few seconds)
    import statistics

    torch.set_num_threads(1)
    results = [reference_loop(seed) for seed in range(12)]
    print(
        f"held-out -ELBO over 12 seeds: mean {statistics.mean(results):.1f}, "
        f"sd {statistics.stdev(results):.2f}, range {max(results) - min(results):.1f}"
    )
