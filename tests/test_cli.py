"""The CLI end to end on a tiny synthetic dataset, in subprocesses as a user would run it."""

import json
import os
import subprocess
import sys

import pytest
import torch

from fake_fashion_mnist import make_fake_fashion_mnist


def run(*args, root, check=True):
    env = {**os.environ, "VAE_COURSE_DATA": str(root), "PYTHONWARNINGS": "error"}
    result = subprocess.run([sys.executable, "-m", "vae_course", *map(str, args)], capture_output=True, text=True, env=env)
    if check and result.returncode != 0:
        raise AssertionError(result.stderr)
    return result


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    root = tmp_path_factory.mktemp("data")
    make_fake_fashion_mnist(root / "FashionMNIST" / "raw", n_train=80, n_test=20)
    out = root / "runs" / "vae.pt"
    run("train", "--model", "conv_vae", "--latent-dim", "2", "--epochs", "2", "--batch-size", "16", "--seed", "3",
        "--iwae-samples", "20", "--iwae-images", "5", "--quiet", "--out", out, root=root)
    return root, out


def test_train_writes_checkpoint_and_card(trained):
    root, out = trained
    card = json.loads(out.with_suffix(".json").read_text())
    assert card["command"].startswith("python -m vae_course train --model conv_vae")
    assert card["seed"] == 3 and card["epochs_run"] == 2 and len(card["history"]["epochs"]) == 2
    assert card["train_images"] == 64 and card["val_images"] == 16
    metrics = card["metrics"]
    assert metrics["test_images"] == 20 and metrics["iwae_samples"] == 20
    assert metrics["test_negative_elbo"] == pytest.approx(metrics["test_reconstruction"] + metrics["test_kl"])
    payload = torch.load(out, weights_only=True)
    assert payload["metadata"]["metrics"] == metrics and payload["config"]["latent_dim"] == 2


def test_evaluate_prints_elbo_and_iwae(trained):
    root, out = trained
    result = run("evaluate", out, "--iwae-samples", "50", "--iwae-images", "4", "--json", root=root)
    metrics = json.loads(result.stdout)
    assert set(metrics) >= {"test_negative_elbo", "test_iwae_nll"} and metrics["iwae_samples"] == 50
    text = run("evaluate", out, "--iwae-samples", "10", "--iwae-images", "2", root=root).stdout
    assert "test_negative_elbo" in text and "test_iwae_nll" in text


def test_sample_writes_pngs(trained, tmp_path):
    root, out = trained
    result = run("sample", out, "--num-samples", "16", "--out", tmp_path / "grid.png", root=root)
    assert (tmp_path / "grid.png").stat().st_size > 1000
    assert (tmp_path / "grid_manifold.png").stat().st_size > 1000  # a 2-D model also gets its manifold
    assert "wrote" in result.stdout


def test_recipe_flags_override(tmp_path):
    make_fake_fashion_mnist(tmp_path / "FashionMNIST" / "raw", n_train=40, n_test=10)
    out = tmp_path / "ae.pt"
    run("train", "--recipe", "autoencoder_2d", "--epochs", "1", "--quiet", "--out", out, root=tmp_path)
    card = json.loads(out.with_suffix(".json").read_text())
    assert card["recipe"] == "autoencoder_2d" and card["train_config"]["epochs"] == 1
    assert card["model"] == "mlp_autoencoder" and "test_reconstruction_bce" in card["metrics"]


@pytest.mark.parametrize("command", ["train", "evaluate", "sample"])
def test_help(command, tmp_path):
    assert "usage: python -m vae_course " + command in run(command, "--help", root=tmp_path).stdout


def test_documented_errors_are_messages_not_tracebacks(tmp_path, trained):
    root, out = trained
    (tmp_path / "bad.pt").write_bytes(b"junk")
    result = run("evaluate", tmp_path / "bad.pt", root=root, check=False)
    assert result.returncode == 2 and "error:" in result.stderr and "Traceback" not in result.stderr
    result = run("train", "--out", tmp_path / "x.pt", root=root, check=False)
    assert result.returncode != 0 and "--recipe or --model" in result.stderr


def test_missing_data_is_a_message(tmp_path, trained, monkeypatch, capsys):
    from vae_course import cli, data

    monkeypatch.setattr(data, "DEBIAN_DIR", tmp_path / "no-debian")  # in-process: no system copy, no network
    monkeypatch.setattr(data, "_download", lambda root: "offline")
    with pytest.raises(SystemExit) as info:
        cli.main(["evaluate", str(trained[1]), "--data-root", str(tmp_path / "empty")])
    assert info.value.code == 2
    assert "apt-get install dataset-fashion-mnist" in capsys.readouterr().err
