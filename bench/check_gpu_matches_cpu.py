"""Check that vae_course trains and evaluates on a GPU as on the CPU, within stated tolerances.

Run on the GPU machine, from the repository root (about a minute on one GPU and 16 cores):

    python bench/check_gpu_matches_cpu.py                 # cuda against cpu
    python bench/check_gpu_matches_cpu.py --device mps
    python bench/check_gpu_matches_cpu.py --device cpu --no-compile   # self-check: all zeros

Four checks, each printed with its value and tolerance; the exit status is 1 if any fails.

1. Steps. Same initial weights, the same 20 batches and the same pinned reparameterization noise,
   trained on the CPU (the reference: eager float32, PyTorch's default Adam) and on the device in
   each configuration of :class:`~vae_course.TrainConfig` worth checking (default: fused Adam and
   PyTorch's TF32 settings; ``tf32=False``; ``tf32=True``; ``compile=True``; on CUDA,
   ``compile="reduce-overhead"``, which adds CUDA graphs of the loss, and ``cuda_graph=True``, alone and
   with ``compile=True``, which records the whole step). Compared: the first
   step's loss and gradients, every step's loss, and the weights' change over the 20 steps
   (``|dw_device - dw_cpu| / |dw_cpu|``).
2. Evaluation. The CPU-trained weights evaluated on both devices on the 10,000 test images with
   the same pinned noise (relative difference), and with ``evaluate_negative_elbo``'s own noise on
   each device (difference in nats).
3. Training. ``fit`` for 2 epochs on each device (on CUDA also with ``cuda_graph=True``), each with its
   own random streams (shuffling, noise): the test -ELBO may differ by seed-to-seed noise only.
4. Synchronisations (CUDA only). ``torch.cuda.set_sync_debug_mode("warn")`` during ``fit``: the
   number of synchronising calls may grow with the number of steps only by the ``check_every``
   checks, never by one per step.

Tolerances come from measurements on the CPU (see ``TOLERANCES``): IEEE float32 results may differ
from the CPU's by 10 to 100 times float32's own error against float64; TF32 results by a few times
the error of an emulated TF32 (matmul and convolution inputs rounded to 10 mantissa bits).
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path

import common  # noqa: F401  (puts this checkout's vae_course first on sys.path)
import torch

import vae_course
from vae_course.cuda_graph import GraphedStep
from vae_course.device import resolve_device, tf32_mode
from vae_course.gaussian import kl_divergence, reparameterize
from vae_course.losses import reconstruction_loss
from vae_course.models import build_model
from vae_course.train import (
    StepState,
    TrainConfig,
    build_optimizer,
    compile_step,
    fit,
    step_losses,
    train_step,
    uses_cuda_graph,
)

STEPS = 20
MODELS = {"mlp_vae": {"hidden_dim": 400, "latent_dim": 20}, "conv_vae": {"latent_dim": 12}}


@dataclass(frozen=True)
class Tolerance:
    loss: float  # first step's loss, relative
    grad: float  # first step's gradients, |g - g_cpu| / |g_cpu| over all parameters
    losses: float  # every step's loss over the 20 steps, relative, max
    update: float  # weights' change over the 20 steps, |dw - dw_cpu| / |dw_cpu|
    evaluation: float  # test -ELBO with pinned noise, relative


TOLERANCES = {
    # Measured on the CPU, float32 against float64, MLP VAE / conv VAE: first step's loss 2e-8 /
    # 2e-9, gradients 1.3e-7 / 7e-7; over 20 Adam steps, losses 8e-8 / 1.4e-7 and the weights'
    # change 2.5e-6 / 1e-4 (Adam's step is nearly sign(g) for small gradients, so rounding in
    # weights that barely move is amplified). Two float32 results may differ by twice that;
    # compile=True against eager on the CPU, pinned noise: losses 1.6e-7 / 8e-7, weights' change
    # 1.2e-6 / 4e-4 (Inductor's fused kernels round differently).
    "ieee": Tolerance(loss=1e-5, grad=1e-4, losses=1e-5, update=5e-3, evaluation=1e-5),
    # Emulated TF32 against float32 on the CPU: first step's loss 2e-7 / 6e-6, gradients 1.1e-3 /
    # 4e-4; over 20 steps, losses 2.7e-4 / 3.1e-4 and the weights' change 0.035 / 0.081.
    "tf32": Tolerance(loss=1e-4, grad=1e-2, losses=3e-3, update=0.3, evaluation=1e-4),
}
# Measured on the CPU, MLP VAE 784-400-20 after 2 epochs: evaluate_negative_elbo's seed moves the
# test -ELBO by sd 0.03 nats; the training seed moves it by sd 0.6 nats (4 seeds, range 1.4).
# Another device is another seed, so these allow about 5 and 3 standard deviations of a difference.
EVALUATION_NOISE_NATS = 0.25  # same weights, each device's own noise
TRAINING_NOISE_NATS = 2.5  # 2-epoch fits, each device's own shuffling and noise


def relative(a: torch.Tensor, b: torch.Tensor) -> float:
    """|a - b| / |b|, in float64."""
    a, b = a.double().cpu(), b.double().cpu()
    return float((a - b).norm() / b.norm())


def flat(tensors) -> torch.Tensor:
    return torch.cat([t.detach().double().cpu().flatten() for t in tensors])


def uses_tf32(model_name: str, config: TrainConfig) -> bool:
    """Whether this configuration runs float32 products in TF32 on CUDA."""
    if config.tf32 is not None:
        return config.tf32
    matmul = torch.get_float32_matmul_precision() != "highest"
    conv_flags = torch.backends.cudnn.conv
    conv = (
        conv_flags.fp32_precision == "tf32"
        if hasattr(conv_flags, "fp32_precision")
        else torch.backends.cudnn.allow_tf32
    )
    return matmul or (conv and model_name == "conv_vae")


def pinned_inputs(latent_dim: int) -> tuple[torch.Tensor, torch.Tensor]:
    """STEPS batches of 128 training images and their noise, drawn on the CPU: (S, 128, 1, 28, 28), (S, 128, D)."""
    generator = torch.Generator().manual_seed(0)
    images = vae_course.load_fashion_mnist("train").images
    order = torch.randperm(len(images), generator=generator)[: STEPS * 128]
    eps = torch.randn(STEPS, 128, latent_dim, generator=generator)
    return images[order].view(STEPS, 128, 1, 28, 28), eps


def train_steps(model, batches, eps, config: TrainConfig, device: torch.device) -> dict:
    """fit's step (optimizer, compile, precision, CUDA graph) on pinned batches and noise; what the checks compare."""
    model = copy.deepcopy(model).to(device).train()
    start = flat(model.parameters())
    optimizer = build_optimizer(model, config, device)
    step_fn = compile_step(config.compile) if config.compile else step_losses
    state = StepState.on(device)

    def step(x: torch.Tensor, noise: torch.Tensor) -> torch.Tensor:
        return train_step(model, optimizer, step_fn, config, state, x, noise)

    if uses_cuda_graph(config, device):
        step = GraphedStep(step)
    losses, first_grads = [], None
    with tf32_mode(config.tf32, device):
        for x, noise in zip(batches, eps):
            loss = step(x.to(device), noise.to(device))
            if first_grads is None:
                first_grads = flat(p.grad for p in model.parameters())  # Adam leaves the gradients alone
            losses.append(loss.detach().clone())  # a CUDA graph's output is overwritten by the next replay
    return {"losses": torch.stack(losses).double().cpu(), "grads": first_grads,
            "update": flat(model.parameters()) - start, "model": model}  # fmt: skip


@torch.no_grad()
def pinned_negative_elbo(model, images: torch.Tensor, device: torch.device, batch_size: int = 1000) -> float:
    """Test -ELBO per image with noise drawn on the CPU, the same on every device."""
    model = copy.deepcopy(model).to(device).eval()
    generator = torch.Generator().manual_seed(0)
    total = 0.0
    for start in range(0, len(images), batch_size):
        x = images[start : start + batch_size].to(device)
        mu, logvar = model.encode(x)
        eps = torch.randn(mu.shape, generator=generator).to(device)
        x_hat = model.decode(reparameterize(mu, logvar, eps))
        total += float((reconstruction_loss(x_hat, x) + kl_divergence(mu, logvar)).double().sum())
    return total / len(images)


class Checks:
    """Collects (name, value, tolerance) and prints each as it comes."""

    def __init__(self):
        self.rows: list[dict] = []

    def add(self, name: str, value: float, tolerance: float) -> None:
        ok = value <= tolerance
        self.rows.append({"check": name, "value": value, "tolerance": tolerance, "ok": ok})
        print(f"  [{'ok' if ok else 'FAIL'}] {name}: {value:.2e} (tolerance {tolerance:.2g})", flush=True)

    @property
    def failed(self) -> list[dict]:
        return [row for row in self.rows if not row["ok"]]


def check_steps(checks: Checks, device: torch.device, compile: bool) -> dict:
    """Check 1 for every model and configuration; returns each model's CPU-trained weights."""
    configs = {"default": TrainConfig(), "tf32=False": TrainConfig(tf32=False), "tf32=True": TrainConfig(tf32=True)}
    if device.type == "cuda":
        configs["cuda_graph=True"] = TrainConfig(cuda_graph=True)
    if compile:
        configs["compile=True"] = TrainConfig(compile=True)
        if device.type == "cuda":
            configs["compile=reduce-overhead"] = TrainConfig(compile="reduce-overhead")
            configs["compile=True, cuda_graph=True"] = TrainConfig(compile=True, cuda_graph=True)
    trained = {}
    for model_name, model_config in MODELS.items():
        torch.manual_seed(0)
        model = build_model(model_name, **model_config)
        batches, eps = pinned_inputs(model.latent_dim)
        reference = train_steps(model, batches, eps, TrainConfig(), torch.device("cpu"))
        trained[model_name] = reference["model"]
        for label, config in configs.items():
            result = train_steps(model, batches, eps, config, device)
            precision = "tf32" if device.type == "cuda" and uses_tf32(model_name, config) else "ieee"
            tolerance = TOLERANCES[precision]
            prefix = f"steps, {model_name}, {label} ({precision})"
            checks.add(f"{prefix}: first loss", relative(result["losses"][:1], reference["losses"][:1]), tolerance.loss)
            checks.add(f"{prefix}: first gradients", relative(result["grads"], reference["grads"]), tolerance.grad)
            worst = float(((result["losses"] - reference["losses"]).abs() / reference["losses"].abs()).max())
            checks.add(f"{prefix}: max loss over {STEPS} steps", worst, tolerance.losses)
            checks.add(f"{prefix}: weights' change", relative(result["update"], reference["update"]), tolerance.update)
    return trained


def check_evaluation(checks: Checks, device: torch.device, trained: dict, test: torch.Tensor) -> None:
    """Check 2: the same weights evaluated on both devices."""
    cpu = torch.device("cpu")
    for model_name, model in trained.items():
        precision = "tf32" if device.type == "cuda" and uses_tf32(model_name, TrainConfig()) else "ieee"
        pinned = relative(torch.tensor(pinned_negative_elbo(model, test, device)),
                          torch.tensor(pinned_negative_elbo(model, test, cpu)))  # fmt: skip
        checks.add(
            f"evaluation, {model_name} ({precision}): pinned noise, relative", pinned, TOLERANCES[precision].evaluation
        )
        own = [
            vae_course.evaluate_negative_elbo(copy.deepcopy(model), test, device=d)["negative_elbo"]
            for d in (device, cpu)
        ]
        checks.add(
            f"evaluation, {model_name}: each device's own noise, nats", abs(own[0] - own[1]), EVALUATION_NOISE_NATS
        )


def check_training(checks: Checks, device: torch.device, train: torch.Tensor, test: torch.Tensor, epochs: int) -> None:
    """Check 3: fit on each device (on CUDA, also with cuda_graph=True), the test -ELBO within seed noise."""
    runs = [
        (device.type, device, TrainConfig(epochs=epochs)),
        ("cpu, the reference", torch.device("cpu"), TrainConfig(epochs=epochs)),
    ]
    if device.type == "cuda":
        runs.append(("cuda, cuda_graph=True", device, TrainConfig(epochs=epochs, cuda_graph=True)))
    results = {}
    for label, d, config in runs:
        torch.manual_seed(0)
        model = build_model("mlp_vae", **MODELS["mlp_vae"])
        fit(model, train, None, config, device=d, progress=False)
        results[label] = vae_course.evaluate_negative_elbo(model, test, device=d)["negative_elbo"]
    print(f"  fit, mlp_vae, {epochs} epochs: test -ELBO {results}")
    for label, value in results.items():
        if label != "cpu, the reference":
            checks.add(f"training, mlp_vae, {epochs} epochs, {label}: test -ELBO against the CPU's, nats",
                       abs(value - results["cpu, the reference"]), TRAINING_NOISE_NATS)  # fmt: skip


def count_syncs(device: torch.device, images: torch.Tensor, config: TrainConfig) -> int:
    """Synchronising CUDA calls during one fit, as counted by PyTorch's sync debug mode."""
    torch.manual_seed(0)
    model = build_model("mlp_vae", **MODELS["mlp_vae"])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        torch.cuda.set_sync_debug_mode("warn")
        try:
            fit(model, images, None, config, device=device, progress=False)
        finally:
            torch.cuda.set_sync_debug_mode("default")
    return sum("synchroniz" in str(w.message) for w in caught)


def check_syncs(checks: Checks, device: torch.device, train: torch.Tensor, compile: bool) -> None:
    """Check 4: syncs grow with steps only through check_every."""
    few, many, check_every = 50, 200, 50
    configs = {"compile=False": TrainConfig(epochs=1, check_every=check_every),
               "cuda_graph=True": TrainConfig(epochs=1, check_every=check_every, cuda_graph=True)}  # fmt: skip
    if compile:
        for mode in (True, "reduce-overhead"):
            configs[f"compile={mode}"] = TrainConfig(epochs=1, check_every=check_every, compile=mode)
    for label, config in configs.items():
        count_syncs(device, train[: few * 128], config)  # warm-up: compilation, cuDNN, allocator
        counts = [count_syncs(device, train[: n * 128], config) for n in (few, many)]
        print(f"  syncs, {label}: {counts[0]} in {few} steps, {counts[1]} in {many} steps")
        allowed = (many - few) // check_every  # the extra check_every checks
        checks.add(f"syncs, {label}: extra syncs for {many - few} extra steps", counts[1] - counts[0], allowed)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--device", default=None, help="device to compare with the CPU (default: the best available)")
    parser.add_argument("--no-compile", action="store_true", help="skip the compile=True configuration")
    parser.add_argument("--epochs", type=int, default=2, help="epochs for the training check (default 2)")
    parser.add_argument("--json", type=Path, help="also write the checks to this JSON file")
    args = parser.parse_args(argv)
    device = resolve_device(args.device)
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else device.type
    print(f"{name} ({device}) against the CPU; torch {torch.__version__}", flush=True)
    train = vae_course.load_fashion_mnist("train").images
    test = vae_course.load_fashion_mnist("test").images

    checks = Checks()
    print("1. training steps with pinned batches and noise")
    trained = check_steps(checks, device, compile=not args.no_compile)
    print("2. evaluation of the same weights")
    check_evaluation(checks, device, trained, test)
    print("3. training on each device")
    check_training(checks, device, train, test, args.epochs)
    if device.type == "cuda":
        print("4. synchronisations per step")
        check_syncs(checks, device, train, compile=not args.no_compile)

    failed = checks.failed
    print(f"\n{len(checks.rows) - len(failed)} of {len(checks.rows)} checks within tolerance")
    for row in failed:
        print(f"  FAILED: {row['check']}: {row['value']:.2e} > {row['tolerance']:.2g}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(
            json.dumps({"device": name, "torch": torch.__version__, "checks": checks.rows}, indent=2) + "\n"
        )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
