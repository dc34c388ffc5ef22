"""GPU benchmark (issue 6): the PyTorch example's DataLoader recipe against ``vae_course.fit``.

For the MLP VAE (784-400-20) and the convolutional VAE (12-D latent), each trained with Adam at
lr 1e-3 on batches of 128 for 30 epochs, eager, with ``compile=True``, with
``compile="reduce-overhead"`` (CUDA graphs of the loss and its gradient) and with ``cuda_graph=True``
(the whole step as one CUDA graph; also with ``compile=True``): seconds per training epoch, the speed-up over the recipe,
the test -ELBO per image, the end-to-end time (loading the data, all epochs and the test
evaluation), the one-off cost of the first epoch (compilation, when ``compile=True``), and the time
per epoch against the arithmetic floor: FLOPs per epoch over the GPU's peak float32 rate.

FLOPs are counted by ``torch.utils.flop_counter.FlopCounterMode`` over one training step (forward
and backward of a batch of 128; matmuls and convolutions only, so elementwise work and Adam's
update are left out) times the images per epoch over 128. The peak is dense FP32 without tensor
cores from NVIDIA's data sheets (``PEAK_FP32_TFLOPS``), or ``--peak-tflops``. It is a floor for
IEEE float32 matmuls; cuDNN runs convolutions in TF32 by PyTorch's default, so the conv VAE could
go below it.

Bars (issue 6): MLP VAE at least 10x faster than the recipe; the 30-epoch conv VAE under 30 s end
to end; test -ELBO the same within noise.

    python bench/bench_gpu.py --models mlp_vae    # the measurement, one model at a time (each
    python bench/bench_gpu.py --models conv_vae   # about 3-5 min); merged into one results file
    python bench/bench_gpu.py --device cpu --epochs 1 --quick   # smoke test, any machine
    python bench/bench_gpu.py --models mlp_vae --variants cuda-graph   # one variant, merged with the others' runs

Results go to ``bench/results/gpu-<gpu-name>.md`` (and ``.json``), or ``--out``; smoke runs and
runs on other devices go to a temporary folder unless ``--out`` says otherwise.
"""

from __future__ import annotations

import argparse
import json
import re
import shlex
import sys
import tempfile
import time
from pathlib import Path

import torch
from common import (
    BATCH_SIZE,
    RecipeVAE,
    Run,
    environment,
    run_library,
    run_recipe,
    table,
    write_json,
)
from torch.utils.flop_counter import FlopCounterMode

from vae_course.device import resolve_device
from vae_course.models import build_model
from vae_course.train import step_losses

TRAIN_IMAGES = 60_000
QUICK_TRAIN, QUICK_TEST = 4096, 1000  # --quick: image counts for a smoke test
RESULTS = Path(__file__).resolve().parent / "results"

# model key -> (registry name, config, what the recipe trains)
MODELS = {
    "mlp_vae": ("mlp_vae", {"hidden_dim": 400, "latent_dim": 20}, RecipeVAE),
    "conv_vae": ("conv_vae", {"latent_dim": 12}, lambda: build_model("conv_vae", latent_dim=12)),
}

# Dense FP32 TFLOPS without tensor cores (NVIDIA data sheets, boost clock); first match wins.
PEAK_FP32_TFLOPS = (
    (r"H100.*PCIe", 51.2),
    (r"H[12]00.*NVL", 60.0),
    (r"H100|H200|GH200", 67.0),
    (r"A100", 19.5),
    (r"\bA10\b", 31.2),
    (r"L40S", 91.6),
    (r"\bL40\b", 90.5),
    (r"\bL4\b", 30.3),
    (r"\bT4\b", 8.1),
    (r"V100-SXM", 15.7),
    (r"V100", 14.0),
    (r"RTX 4090", 82.6),
    (r"RTX 3090", 35.6),
    (r"RTX A6000", 38.7),
)

MLP_SPEEDUP_BAR = 10.0  # the recipe's seconds per epoch over vae_course's, at least
CONV_END_TO_END_BAR = 30.0  # seconds for the 30-epoch conv VAE, at most


def peak_tflops(device_name: str, override: float | None) -> tuple[float | None, str]:
    """The peak FP32 rate to divide by, and where it came from."""
    if override:
        return override, "--peak-tflops"
    for pattern, tflops in PEAK_FP32_TFLOPS:
        if re.search(pattern, device_name):
            return tflops, f"data sheet, matched {pattern!r}"
    return None, "unknown device: give --peak-tflops"


def float32_precision() -> str:
    """PyTorch's current TF32 settings for CUDA matmuls and cuDNN convolutions."""
    matmul, conv = torch.backends.cuda.matmul, torch.backends.cudnn.conv
    if hasattr(matmul, "fp32_precision"):  # PyTorch >= 2.9
        return f"matmuls {matmul.fp32_precision}, convolutions {conv.fp32_precision}"
    return f"matmuls allow_tf32={matmul.allow_tf32}, convolutions allow_tf32={torch.backends.cudnn.allow_tf32}"


def flops_per_step(model_name: str, config: dict, device: torch.device) -> int:
    """Matmul and convolution FLOPs of one training step's forward and backward, batch of 128."""
    model = build_model(model_name, **config).to(device).train()
    x = torch.rand(BATCH_SIZE, 1, 28, 28, device=device)
    with FlopCounterMode(display=False) as counter:
        loss, _ = step_losses(model, x)
        loss.backward()
    return counter.get_total_flops()


# variant key -> (name in the tables, run_library's switches); "recipe" is the baseline every speed-up divides
VARIANTS = {
    "recipe": ("recipe (DataLoader)", None),
    "eager": ("vae_course", {}),
    "compile": ("vae_course, compile=True", {"compile": True}),
    "reduce-overhead": ('vae_course, compile="reduce-overhead"', {"compile": "reduce-overhead"}),
    "cuda-graph": ("vae_course, cuda_graph=True", {"cuda_graph": True}),
    "compile+cuda-graph": ("vae_course, compile=True, cuda_graph=True", {"compile": True, "cuda_graph": True}),
}
CUDA_ONLY = ("reduce-overhead", "cuda-graph", "compile+cuda-graph")  # elsewhere the same as another variant


def chosen_variants(args: argparse.Namespace, device: torch.device) -> list[str]:
    """The variant keys to run: --variants, less the compiled ones with --no-compile and CUDA's elsewhere."""
    keys = args.variants or list(VARIANTS)
    if args.no_compile:
        keys = [key for key in keys if "compile" not in key and key != "reduce-overhead"]
    if device.type != "cuda":
        keys = [key for key in keys if key not in CUDA_ONLY]
    return keys


def bench_model(key: str, device: torch.device, args: argparse.Namespace, variants: list[str]) -> dict:
    """The chosen variants of one model, with its FLOP count; prints a line per finished run."""
    model_name, config, make_recipe_model = MODELS[key]
    subsets = {"train_subset": QUICK_TRAIN, "test_subset": QUICK_TEST} if args.quick else {}
    runs: list[Run] = []
    for variant in variants:
        name, switches = VARIANTS[variant]
        if switches is None:
            runs.append(run_recipe(name, make_recipe_model, device, args.epochs, args.seed, **subsets))
        else:
            runs.append(run_library(name, model_name, config, device, args.epochs, args.seed, **switches, **subsets))
        _progress(key, runs[-1])
    images = QUICK_TRAIN if args.quick else TRAIN_IMAGES
    flops_epoch = flops_per_step(model_name, config, device) * images / BATCH_SIZE
    return {"model": key, "config": config, "images": images, "flops_per_epoch": flops_epoch,
            "runs": [run.to_dict() for run in runs]}  # fmt: skip


def merge_runs(earlier: dict | None, entry: dict) -> dict:
    """``entry`` with the runs of ``earlier`` (same model, epochs and images) that it did not re-measure, recipe first."""
    if earlier is None or (earlier["epochs"], earlier["images"]) != (entry["epochs"], entry["images"]):
        return entry
    names = [name for name, _ in VARIANTS.values()]
    runs = {run["name"]: run for run in earlier["runs"]} | {run["name"]: run for run in entry["runs"]}
    if names[0] not in runs:
        raise SystemExit("no recipe run for this model and epoch count: run the 'recipe' variant too")
    return entry | {"runs": sorted(runs.values(), key=lambda run: names.index(run["name"]))}


def _progress(key: str, run: Run) -> None:
    print(f"  {key}, {run.name}: {run.median:.3f} s/epoch, end to end {run.end_to_end:.1f} s, "
          f"test -ELBO {run.test['negative_elbo']:.2f}", flush=True)  # fmt: skip


def report(results: dict) -> str:
    """The Markdown report: one table for all models, then the floor and the bars."""
    env, peak = results["environment"], results["peak_tflops"]
    lines = [f"# vae_course GPU benchmark on {env['device_name']}", ""]
    if results["quick"]:
        lines += ["**Smoke run (--quick): a subset of the data; these figures measure nothing.**", ""]
    lines += [
        f"- Device: {env['device_name']} ({env['device']}); CPU: {env['cpu']}",
        f"- torch {env['torch']}, CUDA {env['cuda']}, Python {env['python']}, vae_course {env['vae_course']}",
        f"- Peak for the floor: {peak if peak else 'unknown'} TFLOPS FP32 ({results['peak_source']})",
        f"- Float32 precision on CUDA (PyTorch's settings, TrainConfig.tf32=None): {results['precision']}",
        "",
    ]
    headers = ["model", "variant", "epochs", "s/epoch (median)", "first epoch (s)", "one-off (s)",
               "end to end (s)", "test -ELBO", "speed-up", "x floor"]  # fmt: skip
    rows, bars = [], []
    for key, entry in results["models"].items():
        recipe = entry["runs"][0]
        floor = entry["flops_per_epoch"] / (peak * 1e12) if peak else None
        for run in entry["runs"]:
            rows.append([key, run["name"], len(run["epoch_seconds"]), f"{run['median']:.3f}",
                         f"{run['epoch_seconds'][0]:.2f}", _maybe(run["warmup"], ".1f"),
                         f"{run['end_to_end']:.1f}", f"{run['test']['negative_elbo']:.2f}",
                         f"{recipe['median'] / run['median']:.1f}x",
                         _maybe(floor and run["median"] / floor, ".0f")])  # fmt: skip
        floor_text = f"{floor * 1e3:.2f} ms" if floor else "n/a"
        commands = dict.fromkeys(f"{run.get('date', entry['date'])}: `{run.get('command', entry['command'])}`"
                                 for run in entry["runs"])  # fmt: skip
        bars.append(f"- {key}: {entry['flops_per_epoch'] / 1e12:.3f} TFLOP per epoch "
                    f"({entry['images']} images), floor {floor_text} per epoch; runs {'; '.join(commands)}")  # fmt: skip
        bars += _bars(key, entry)
    lines += [table(headers, rows), "", "Speed-up: the recipe's median seconds per epoch over this row's. "
              "x floor: median seconds per epoch over the arithmetic floor. One-off: first epoch minus "
              "the median of the others (compilation, autotuning). End to end: loading the data, "
              "building the model, all epochs and the test evaluation, in a process where CUDA is "
              "already initialised (the recipe's end to end includes its DataLoader's set-up).",
              "", *bars, ""]  # fmt: skip
    return "\n".join(lines)


def _bars(key: str, entry: dict) -> list[str]:
    recipe, *ours = entry["runs"]
    lines = []
    for run in ours:
        gap = run["test"]["negative_elbo"] - recipe["test"]["negative_elbo"]
        speedup = recipe["median"] / run["median"]
        text = f"  - {run['name']}: {speedup:.1f}x the recipe, test -ELBO {gap:+.2f} nats against it"
        full_data = entry["images"] == TRAIN_IMAGES
        if key == "mlp_vae":
            verdict = ("met" if speedup >= MLP_SPEEDUP_BAR else "NOT met") if full_data else "needs the full data"
            text += f"; bar >= {MLP_SPEEDUP_BAR:.0f}x: {verdict}"
        if key == "conv_vae":
            full = full_data and len(run["epoch_seconds"]) == 30
            verdict = (
                ("met" if run["end_to_end"] <= CONV_END_TO_END_BAR else "NOT met") if full else "needs 30 full epochs"
            )
            text += f"; end to end {run['end_to_end']:.1f} s, bar <= {CONV_END_TO_END_BAR:.0f} s: {verdict}"
        lines.append(text)
    return lines


def _maybe(value, spec: str) -> str:
    return "n/a" if value is None else format(value, spec)


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--device", help="cuda, cuda:1, mps, cpu (default: the best available)")
    parser.add_argument("--epochs", type=int, default=30, help="epochs for every run (default 30)")
    parser.add_argument("--models", nargs="+", choices=sorted(MODELS), default=list(MODELS))
    parser.add_argument("--no-compile", action="store_true", help="skip the compiled runs")
    parser.add_argument(
        "--variants", nargs="+", choices=list(VARIANTS),
        help="run only these (default: all); the others' runs from an earlier run on this device are kept",
    )  # fmt: skip
    parser.add_argument(
        "--quick", action="store_true", help=f"smoke test: {QUICK_TRAIN} train and {QUICK_TEST} test images"
    )
    parser.add_argument("--peak-tflops", type=float, help="peak FP32 TFLOPS for the floor (default: by GPU name)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, help="torch.set_num_threads (CPU runs)")
    parser.add_argument(
        "--out", type=Path, help="Markdown results file (default: bench/results/gpu-<name>.md); JSON beside it"
    )
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    device = resolve_device(args.device)
    env = environment(device)
    peak, peak_source = peak_tflops(env["device_name"], args.peak_tflops)
    # measurements on a GPU go to the repository; smoke runs and other devices to a temporary folder
    folder = RESULTS if device.type == "cuda" and not args.quick else Path(tempfile.gettempdir()) / "vae-course-bench"
    prefix = "gpu" if device.type == "cuda" else device.type
    out = args.out or folder / f"{prefix}-{_slug(env['device_name'])}{'-quick' if args.quick else ''}.md"
    print(f"device: {env['device_name']} ({device}); torch {env['torch']}, CUDA {env['cuda']}")
    print(f"peak FP32: {peak} TFLOPS ({peak_source}); results: {out}", flush=True)

    json_path = out.with_suffix(".json")
    results = {"environment": env, "peak_tflops": peak, "peak_source": peak_source, "quick": args.quick,
               "precision": float32_precision(), "models": {}}  # fmt: skip
    earlier = {}
    if json_path.exists():  # keep the other models' entries, and runs not re-measured, from an earlier run here
        stored = json.loads(json_path.read_text())
        if stored["environment"]["device_name"] == env["device_name"] and stored["quick"] == args.quick:
            earlier = stored["models"]
            results["models"] = dict(earlier)
    variants = chosen_variants(args, device)
    command, start = shlex.join(["python", *sys.argv]), time.perf_counter()
    for key in args.models:
        entry = bench_model(key, device, args, variants)
        for run in entry["runs"]:
            run.update(command=command, date=env["date"])
        entry.update(command=command, date=env["date"], epochs=args.epochs)
        results["models"][key] = merge_runs(earlier.get(key), entry)
        write_json(json_path, results)  # after every model, so a cut-off run keeps what it measured
        out.write_text(report(results))
    print(f"\n{report(results)}\nwrote {out} and {json_path} ({time.perf_counter() - start:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
