"""CPU benchmark (issue 2): the PyTorch example's DataLoader recipe against ``vae_course.fit``.

Both train the same MLP VAE (784-400-20, same initial weights), with Adam at lr 1e-3 and batches
of 128 on all 60,000 training images, for the same number of epochs, one after the other in this
process. Printed: seconds per training epoch (median and mean over epochs), their ratio, and the
test -ELBO per image of both, from the same function (:func:`vae_course.evaluate_negative_elbo`,
seed 0). The bar (issue 2) on 2 CPU cores: vae_course at most 0.8x the recipe's time per epoch,
with a test -ELBO no worse (about 244 nats after 10 epochs).

Run from the repository root, on a quiet machine:

    python bench/bench_cpu.py                      # 10 epochs each, about 2 x 10 x (3..10) s
    python bench/bench_cpu.py --epochs 1           # smoke run
    python bench/bench_cpu.py --json bench/results/cpu.json
"""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

import torch
from common import RecipeVAE, environment, run_library, run_recipe, table, write_json

TIME_BAR = 0.8  # vae_course's seconds per epoch over the recipe's, at most


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=10, help="epochs for each side (default 10)")
    parser.add_argument("--seed", type=int, default=0, help="seeds both sides' weights, order and noise")
    parser.add_argument("--threads", type=int, help="torch.set_num_threads for both sides (default: torch's)")
    parser.add_argument("--json", type=Path, help="also write the results to this JSON file")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device("cpu")
    env = environment(device)
    print(f"{env['device_name']}, {env['torch_threads']} torch threads, torch {env['torch']}")
    print(f"MLP VAE 784-400-20, Adam lr 1e-3, batch 128, 60,000 images, {args.epochs} epoch(s) each\n")

    recipe = run_recipe("recipe (DataLoader)", RecipeVAE, device, args.epochs, args.seed)
    print(f"recipe done: {recipe.median:.2f} s/epoch")
    ours = run_library("vae_course", "mlp_vae", {"hidden_dim": 400}, device, args.epochs, args.seed)
    print(f"vae_course done: {ours.median:.2f} s/epoch\n")

    headers = ["", "s/epoch (median)", "s/epoch (mean)", "end to end (s)", "test -ELBO", "train loss, last epoch"]
    rows = [
        [run.name, f"{run.median:.2f}", f"{run.mean:.2f}", f"{run.end_to_end:.1f}",
         f"{run.test['negative_elbo']:.2f}", f"{run.train_loss[-1]:.2f}"]
        for run in (recipe, ours)
    ]  # fmt: skip
    print(table(headers, rows))
    ratio = ours.median / recipe.median
    elbo_gap = ours.test["negative_elbo"] - recipe.test["negative_elbo"]
    print(
        f"\nvae_course / recipe, seconds per epoch: {ratio:.2f} (median), "
        f"{ours.mean / recipe.mean:.2f} (mean); bar <= {TIME_BAR}: {'met' if ratio <= TIME_BAR else 'NOT met'}"
    )
    print(f"test -ELBO, vae_course minus recipe: {elbo_gap:+.2f} nats "
          f"({'no worse' if elbo_gap <= 0 else 'worse: rerun with other --seed values to see if that is beyond noise'})")  # fmt: skip

    if args.json:
        write_json(args.json, {
            "command": shlex.join(["python", *sys.argv]),
            "environment": env,
            "epochs": args.epochs,
            "seed": args.seed,
            "runs": [recipe.to_dict(), ours.to_dict()],
            "ratio_median": ratio,
            "elbo_gap": elbo_gap,
        })  # fmt: skip
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
