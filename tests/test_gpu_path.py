"""The GPU path, checked on the CPU: no host reads per step, and the speed switches keep results.

What a GPU adds (device-side numbers, TF32, fused kernels) is checked on a GPU machine by
``bench/check_gpu_matches_cpu.py``; the tolerances there and here come from the same measurements.
"""

from __future__ import annotations

import copy
import shutil
import sys
import sysconfig
from pathlib import Path

import pytest
import torch

import vae_course
from vae_course.device import tf32_mode
from vae_course.models import build_model
from vae_course.train import TrainConfig, build_optimizer, fit, step_losses

PACKAGE_DIR = str(Path(vae_course.__file__).parent)

# Tensor methods that copy a value to the host: on a GPU each waits for all queued work.
HOST_READS = ("item", "tolist", "numpy", "cpu", "__bool__", "__int__", "__float__", "__index__", "__format__")


def _tiny_images(n: int, seed: int = 0) -> torch.Tensor:
    return torch.rand(n, 1, 28, 28, generator=torch.Generator().manual_seed(seed))


@pytest.fixture
def host_reads(monkeypatch) -> list[str]:
    """Records every host read that vae_course's own code makes, as 'file:line method'.

    Only calls made directly from a file of the package count: PyTorch's own reads (such as Adam's
    step counter, which lives on the host unless ``capturable``) are not ours, and none of them is
    a device synchronisation in the optimizers fit builds.
    """
    calls: list[str] = []

    def counting(name, original):
        def read(self, *args, **kwargs):
            caller = sys._getframe(1)
            if caller.f_code.co_filename.startswith(PACKAGE_DIR):
                calls.append(f"{Path(caller.f_code.co_filename).name}:{caller.f_lineno} {name}")
            return original(self, *args, **kwargs)

        return read

    for name in HOST_READS:
        monkeypatch.setattr(torch.Tensor, name, counting(name, getattr(torch.Tensor, name)))
    return calls


@pytest.mark.parametrize(
    ("steps", "check_every"),
    [(4, 1000), (32, 1000), (32, 8), (12, 1)],  # the last two: the counter does see per-step reads
)
def test_fit_reads_the_device_only_every_check_every_steps(host_reads, steps, check_every):
    torch.manual_seed(0)
    model = build_model("mlp_vae", hidden_dim=32, latent_dim=4)
    config = TrainConfig(epochs=1, batch_size=8, check_every=check_every)
    fit(model, _tiny_images(steps * 8), None, config, device="cpu", progress=False)
    # one int() per check_every steps, then one int() and one tolist() at the end of the epoch
    assert len(host_reads) == steps // check_every + 2, host_reads


def _one_step(model, x, eps) -> tuple[torch.Tensor, torch.Tensor]:
    """Loss and all gradients, flattened, after one step_losses + backward."""
    loss, _ = step_losses(model, x, "bce", 1.0, eps)
    loss.backward()
    return loss.detach(), torch.cat([p.grad.flatten() for p in model.parameters()])


def _relative(a: torch.Tensor, b: torch.Tensor) -> float:
    return float((a.double() - b.double()).norm() / b.double().norm())


@pytest.mark.parametrize(("name", "config"), [("mlp_vae", {"hidden_dim": 64}), ("conv_vae", {"latent_dim": 12})])
def test_one_float32_step_matches_a_float64_reference(name, config):
    # The yardstick for every tolerance of the fast path: float32's own rounding error. Measured
    # for the course's models: loss 2e-8, gradients 1.3e-7 (MLP) and 7e-7 (conv); allowed: 10x to 100x.
    torch.manual_seed(0)
    model = build_model(name, **config)
    x = _tiny_images(32)
    eps = torch.randn(32, model.latent_dim, generator=torch.Generator().manual_seed(1))
    loss32, grads32 = _one_step(model, x, eps)
    loss64, grads64 = _one_step(copy.deepcopy(model).double(), x.double(), eps.double())
    assert _relative(loss32, loss64) < 1e-6
    assert _relative(grads32, grads64) < 1e-5


def test_pinned_noise_makes_a_step_reproducible():
    torch.manual_seed(0)
    model = build_model("mlp_vae", hidden_dim=32, latent_dim=4)
    x, eps = _tiny_images(8), torch.randn(8, 4)
    first, second = step_losses(model, x, eps=eps)[0], step_losses(model, x, eps=eps)[0]
    assert torch.equal(first, second)
    assert not torch.equal(first, step_losses(model, x, eps=eps + 1)[0])


def test_cuda_switches_leave_cpu_training_bit_for_bit_unchanged():
    histories, weights = [], []
    for switches in ({"fused_adam": False, "tf32": None}, {"fused_adam": True, "tf32": True}):
        torch.manual_seed(0)
        model = build_model("conv_vae", latent_dim=4)
        config = TrainConfig(epochs=2, batch_size=16, **switches)
        histories.append(fit(model, _tiny_images(40), None, config, device="cpu", progress=False).column("train_loss"))
        weights.append(torch.cat([p.detach().flatten() for p in model.parameters()]))
    assert histories[0] == histories[1]
    assert torch.equal(weights[0], weights[1])


def test_fused_adam_is_asked_for_on_cuda_only(monkeypatch):
    asked = []
    monkeypatch.setattr(torch.optim, "Adam", lambda params, **options: asked.append(options["fused"]))
    model = build_model("mlp_vae", hidden_dim=8, latent_dim=2)
    for device in ("cpu", "mps", "cuda"):
        build_optimizer(model, TrainConfig(), torch.device(device))
    build_optimizer(model, TrainConfig(fused_adam=False), torch.device("cuda"))
    assert asked == [None, None, True, None]  # None: PyTorch's default for the device


def _tf32_flags() -> tuple[str, str]:
    return torch.backends.cuda.matmul.fp32_precision, torch.backends.cudnn.conv.fp32_precision


@pytest.mark.skipif(not hasattr(torch.backends.cuda.matmul, "fp32_precision"), reason="PyTorch < 2.9")
def test_tf32_mode_sets_cuda_flags_and_restores_them():
    before = _tf32_flags()
    for enabled, inside in [(True, ("tf32", "tf32")), (False, ("ieee", "ieee")), (None, before)]:
        with tf32_mode(enabled, torch.device("cuda")):
            assert _tf32_flags() == inside
        assert _tf32_flags() == before
    with tf32_mode(True, torch.device("cpu")):  # any other device: untouched
        assert _tf32_flags() == before


def _compiler_missing() -> bool:
    """Inductor's CPU backend builds C++ kernels as Python extensions: it needs g++ and Python.h."""
    compiler = shutil.which("g++") or shutil.which("c++") or shutil.which("clang++")
    headers = Path(sysconfig.get_paths()["include"], "Python.h").is_file()
    return sys.platform == "win32" or not (compiler and headers)


@pytest.mark.slow  # compiles two graphs with Inductor's C++ backend: 15-40 s on 2 cores, cold cache
@pytest.mark.skipif(_compiler_missing(), reason="torch.compile on the CPU needs g++ and Python's headers")
def test_compiled_fit_matches_eager_fit(monkeypatch):
    # Inductor draws its own random numbers; its fallback_random uses eager's, so both runs see the
    # same noise and differ only by rounding in the fused kernels.
    import torch._inductor.config

    monkeypatch.setattr(torch._inductor.config, "fallback_random", True)
    images = _tiny_images(56)  # batches of 16: three full ones and a last one of 8, two graphs
    runs = []
    for compile in (False, True):
        torch.manual_seed(0)
        model = build_model("mlp_vae", hidden_dim=64, latent_dim=4)
        start = torch.cat([p.detach().flatten() for p in model.parameters()])
        config = TrainConfig(epochs=2, batch_size=16, compile=compile)
        history = fit(model, images, None, config, device="cpu", progress=False)
        update = torch.cat([p.detach().flatten() for p in model.parameters()]) - start
        runs.append((torch.tensor(history.column("train_loss")), update))
    (eager_losses, eager_update), (compiled_losses, compiled_update) = runs
    # Measured: losses 5e-11 apart, weights' change 3e-7. Allowed: float32's own error against
    # float64 (losses 1e-7; weights' change 2.5e-6 for this MLP over 20 Adam steps, up to 1e-4 for
    # the conv VAE, as Adam's step is nearly sign(g) for tiny gradients). Other noise gives ~1e-1.
    torch.testing.assert_close(compiled_losses, eager_losses, rtol=1e-5, atol=0)
    assert _relative(compiled_update, eager_update) < 1e-4
