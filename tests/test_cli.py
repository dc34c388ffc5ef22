"""The CLI end to end on a tiny synthetic dataset, in subprocesses as a user would run it."""

import errno
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from fake_fashion_mnist import make_fake_fashion_mnist

from vae_course import cli


def run(*args, root, check=True):
    env = {**os.environ, "VAE_COURSE_DATA": str(root), "PYTHONWARNINGS": "error"}
    result = subprocess.run(
        [sys.executable, "-m", "vae_course", *map(str, args)], capture_output=True, text=True, env=env
    )
    if check and result.returncode != 0:
        raise AssertionError(result.stderr)
    return result


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    root = tmp_path_factory.mktemp("data")
    make_fake_fashion_mnist(root / "FashionMNIST" / "raw", n_train=80, n_test=20)
    out = root / "runs" / "vae.pt"
    run(
        "train",
        "--model",
        "conv_vae",
        "--latent-dim",
        "2",
        "--epochs",
        "2",
        "--batch-size",
        "16",
        "--seed",
        "3",
        "--iwae-samples",
        "20",
        "--iwae-images",
        "5",
        "--quiet",
        "--out",
        out,
        root=root,
    )
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
    run("train", "--recipe", "autoencoder_2d", "--epochs", "1", "--eval-device", "cpu", "--quiet", "--out", out,
        root=tmp_path)  # fmt: skip
    card = json.loads(out.with_suffix(".json").read_text())
    assert card["recipe"] == "autoencoder_2d" and card["train_config"]["epochs"] == 1
    assert card.get("eval_device", card["device"]) == "cpu"  # recorded where it differs from the training device
    assert card["model"] == "mlp_autoencoder" and "test_reconstruction_bce" in card["metrics"]


def test_speed_switches_reach_the_train_config():
    parser = cli.build_parser()
    recipe = cli._recipe(parser.parse_args(["train", "--recipe", "mlp_vae_20d", "--cuda-graph", "--out", "x.pt"]))
    assert recipe.train.cuda_graph and not recipe.train.compile
    recipe = cli._recipe(parser.parse_args(["train", "--recipe", "mlp_vae_20d", "--out", "x.pt"]))
    assert not recipe.train.cuda_graph
    with pytest.raises(ValueError, match="does not take --cuda-graph"):
        cli._recipe(parser.parse_args(["train", "--recipe", "dcgan", "--cuda-graph", "--out", "x.pt"]))


@pytest.mark.parametrize("command", ["train", "evaluate", "remeasure", "sample"])
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


# Bad input, command by command: each must print one line "error: ...", exit with status 2, and
# write nothing. In-process through main(argv), so that the table stays fast.

TRAIN = ["train", "--model", "mlp_vae", "--epochs", "1", "--batch-size", "16", "--iwae-samples", "0", "--quiet"]
BAD_TRAIN = {
    "negative epochs": ["--epochs", "-1"],
    "zero epochs": ["--epochs", "0"],
    "absurd epochs": ["--epochs", "1000000000"],
    "epochs not a number": ["--epochs", "ten"],
    "zero batch size": ["--batch-size", "0"],
    "zero learning rate": ["--lr", "0"],
    "negative learning rate": ["--lr", "-1e-3"],
    "NaN learning rate": ["--lr", "nan"],
    "diverging learning rate": ["--lr", "1e9"],
    "negative beta": ["--beta", "-1"],
    "zero latent size": ["--latent-dim", "0"],
    "absurd hidden size": ["--hidden-dim", "100000000"],
    "zero patience": ["--patience", "0"],
    "negative seed": ["--seed", "-1"],
    "zero validation size": ["--val-size", "0"],
    # sizes beyond the data: a given number is never quietly cut down to what there is
    "validation size beyond the data": ["--val-size", "999999"],
    "validation size of the whole set": ["--val-size", "80"],
    "training subset beyond the data": ["--train-subset", "999999"],
    "IWAE images beyond the test set": ["--iwae-samples", "5", "--iwae-images", "21"],
    "zero training subset": ["--train-subset", "0"],
    "negative IWAE samples": ["--iwae-samples", "-1"],
    "zero IWAE images": ["--iwae-samples", "5", "--iwae-images", "0"],
    "unknown model": ["--model", "transformer"],
    "unknown recipe": ["--recipe", "mlp_vae_3d"],
    "both a recipe and a model": ["--recipe", "mlp_vae_20d"],
    "unknown device": ["--device", "floppy"],
    "unknown flag": ["--epoks", "3"],
    "corrupt data": ["--data-root", "{corrupt}"],
    "a folder as --out": ["--out", "{out}"],
    "a device as --out": ["--out", "/dev/full"],
    "a card path as --out": ["--out", "{out}/vae.json"],
    "a file as the --out folder": ["--out", "{file}/vae.pt"],
}
BAD_EVALUATE = {
    "missing checkpoint": ["{out}/missing.pt"],
    "a folder as checkpoint": ["{out}"],
    "junk bytes": ["{file}"],
    "a foreign torch file": ["{foreign}"],
    "negative IWAE samples": ["{checkpoint}", "--iwae-samples", "-5"],
    "absurd IWAE samples": ["{checkpoint}", "--iwae-samples", "1000000000"],
    "zero IWAE images": ["{checkpoint}", "--iwae-images", "0"],
    "zero test subset": ["{checkpoint}", "--test-subset", "0"],
    "test subset beyond the data": ["{checkpoint}", "--test-subset", "999999"],
    "IWAE images beyond the test set": ["{checkpoint}", "--iwae-images", "21"],
    "IWAE images beyond the test subset": ["{checkpoint}", "--test-subset", "4", "--iwae-images", "5"],
    "negative seed": ["{checkpoint}", "--seed", "-3"],
    "unknown device": ["{checkpoint}", "--device", "gpu7"],
    "corrupt data": ["{checkpoint}", "--data-root", "{corrupt}"],
}
BAD_REMEASURE = {
    "missing checkpoint": ["{out}/missing.pt"],
    "junk bytes without a card": ["{file}"],
    "a checkpoint of no recipe": ["{checkpoint}"],  # trained with --model
    "unknown device": ["{checkpoint}", "--device", "gpu7"],
}
BAD_SAMPLE = {
    "missing checkpoint": ["{out}/missing.pt"],
    "junk bytes": ["{file}"],
    "zero samples": ["{checkpoint}", "--num-samples", "0"],
    "absurd samples": ["{checkpoint}", "--num-samples", "1000000000"],
    "a folder as --out": ["{checkpoint}", "--out", "{out}"],
    "a device as --out": ["{checkpoint}", "--out", "/dev/full"],
    "unknown device": ["{checkpoint}", "--device", "cuda:99"],
}
CASES = (
    [("train", name, args) for name, args in BAD_TRAIN.items()]
    + [("evaluate", name, args) for name, args in BAD_EVALUATE.items()]
    + [("remeasure", name, args) for name, args in BAD_REMEASURE.items()]
    + [("sample", name, args) for name, args in BAD_SAMPLE.items()]
)


@pytest.fixture(scope="module")
def bad_inputs(tmp_path_factory, trained):
    """Paths the table's placeholders stand for, around a data root with a tiny fake dataset."""
    folder = tmp_path_factory.mktemp("bad")
    make_fake_fashion_mnist(folder / "corrupt" / "FashionMNIST" / "raw", n_train=8, n_test=4)
    for raw in (folder / "corrupt" / "FashionMNIST" / "raw").iterdir():
        raw.write_bytes(b"not an IDX file")
    (folder / "junk.pt").write_bytes(b"junk")
    torch.save({"weights": torch.zeros(3)}, folder / "foreign.pt")
    return {
        "root": trained[0],
        "checkpoint": str(trained[1]),
        "corrupt": str(folder / "corrupt"),
        "file": str(folder / "junk.pt"),
        "foreign": str(folder / "foreign.pt"),
    }


def run_in_process(argv, root, capsys, monkeypatch) -> tuple[int, str]:
    from vae_course import cli

    monkeypatch.setenv("VAE_COURSE_DATA", str(root))
    with pytest.raises(SystemExit) as info:
        cli.main([str(a) for a in argv])
    return info.value.code, capsys.readouterr().err


def assert_one_error_line(code, err):
    assert code == 2, err
    assert err.startswith("error: ") and err.count("\n") == 1 and err.endswith("\n"), err
    assert "Traceback" not in err


@pytest.mark.parametrize(("command", "name", "args"), CASES, ids=[f"{c}: {n}" for c, n, _ in CASES])
def test_bad_input_is_one_error_line_and_writes_nothing(command, name, args, bad_inputs, tmp_path, capsys, monkeypatch):
    out = tmp_path / "out"
    out.mkdir()
    places = {**bad_inputs, "out": str(out)}
    args = [a.format(**places) for a in args]
    if command == "train":
        argv = TRAIN + ([] if "--out" in args else ["--out", out / "vae.pt"]) + args
        if name == "unknown recipe":
            argv.remove("--model"), argv.remove("mlp_vae")
    elif command == "sample":
        argv = ["sample", *args] + ([] if "--out" in args else ["--out", out / "grid.png"])
    else:
        argv = [command, *args]
    code, err = run_in_process(argv, bad_inputs["root"], capsys, monkeypatch)
    assert_one_error_line(code, err)
    assert list(out.iterdir()) == []  # nothing written, not even a temporary file
    assert Path("/dev/full").is_char_device()


def test_diverging_run_names_epoch_and_step(bad_inputs, tmp_path, capsys, monkeypatch):
    argv = TRAIN + ["--lr", "1e9", "--out", tmp_path / "vae.pt"]
    code, err = run_in_process(argv, bad_inputs["root"], capsys, monkeypatch)
    assert_one_error_line(code, err)
    assert "NaN or infinite at epoch 1, step" in err and "nothing was written" in err
    assert list(tmp_path.iterdir()) == []


def _disk_full(*args, **kwargs):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def test_full_disk_leaves_nothing_partial(bad_inputs, tmp_path, capsys, monkeypatch):
    """A full disk while the card is written: the checkpoint, already written, is removed too."""
    monkeypatch.setattr(Path, "write_text", _disk_full)
    code, err = run_in_process(TRAIN + ["--out", tmp_path / "vae.pt"], bad_inputs["root"], capsys, monkeypatch)
    assert_one_error_line(code, err)
    assert "No space left on device" in err and list(tmp_path.iterdir()) == []
    monkeypatch.undo()
    monkeypatch.setattr(torch, "save", _disk_full)
    code, err = run_in_process(TRAIN + ["--out", tmp_path / "vae.pt"], bad_inputs["root"], capsys, monkeypatch)
    assert_one_error_line(code, err)
    assert list(tmp_path.iterdir()) == []


def test_full_disk_while_sampling_leaves_nothing_and_keeps_old_files(bad_inputs, tmp_path, capsys, monkeypatch):
    from matplotlib.figure import Figure

    (tmp_path / "grid.png").write_bytes(b"the old grid")
    monkeypatch.setattr(Figure, "savefig", _disk_full)
    argv = ["sample", bad_inputs["checkpoint"], "--out", tmp_path / "grid.png"]
    code, err = run_in_process(argv, bad_inputs["root"], capsys, monkeypatch)
    assert_one_error_line(code, err)
    assert [p.name for p in tmp_path.iterdir()] == ["grid.png"] and (
        tmp_path / "grid.png"
    ).read_bytes() == b"the old grid"


def test_in_process_runs_record_their_own_command(bad_inputs, tmp_path, capsys, monkeypatch):
    from vae_course import cli

    monkeypatch.setenv("VAE_COURSE_DATA", str(bad_inputs["root"]))
    cli.main([*TRAIN, "--out", str(tmp_path / "vae.pt")])
    card = json.loads((tmp_path / "vae.json").read_text())
    assert card["command"] == "python -m vae_course " + " ".join(TRAIN) + f" --out {tmp_path / 'vae.pt'}"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["vae.json", "vae.pt"]
