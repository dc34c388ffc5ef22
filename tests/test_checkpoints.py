import errno
from pathlib import Path

import pytest
import torch

from vae_course.checkpoints import CheckpointError, load_checkpoint, load_weights, save_checkpoint
from vae_course.models import build_model


def test_round_trip_keeps_weights_config_and_metadata(tmp_path):
    model = build_model("conv_vae", latent_dim=3, channels=(8, 16), hidden_dim=32)
    path = save_checkpoint(tmp_path / "m.pt", model, {"seed": 7, "metrics": {"test_negative_elbo": 250.0}})
    loaded, metadata = load_checkpoint(path, expected_model="conv_vae")
    assert loaded.config == model.config and not loaded.training
    for a, b in zip(model.state_dict().values(), loaded.state_dict().values()):
        torch.testing.assert_close(a, b, rtol=0, atol=0)
    assert metadata["seed"] == 7 and metadata["metrics"]["test_negative_elbo"] == 250.0
    assert {"vae_course", "torch", "python"} <= set(metadata)


def test_checkpoint_loads_with_weights_only(tmp_path):
    path = save_checkpoint(
        tmp_path / "m.pt", build_model("mlp_vae", latent_dim=2), {"command": "python -m vae_course train"}
    )
    payload = torch.load(path, weights_only=True)  # no pickled code: safe to open
    assert payload["model"] == "mlp_vae" and payload["config"]["latent_dim"] == 2


def test_other_architecture_is_a_clear_error(tmp_path):
    path = save_checkpoint(tmp_path / "m.pt", build_model("mlp_vae", latent_dim=2))
    with pytest.raises(CheckpointError, match="holds a 'mlp_vae' model, not a 'conv_vae'"):
        load_checkpoint(path, expected_model="conv_vae")
    with pytest.raises(CheckpointError, match="does not match"):
        load_weights(build_model("mlp_vae", latent_dim=3), path)
    with pytest.raises(CheckpointError, match="does not match"):
        load_weights(build_model("conv_vae", latent_dim=2), path)


def test_not_a_checkpoint_is_a_clear_error(tmp_path):
    (tmp_path / "junk.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(CheckpointError, match="not a readable checkpoint"):
        load_checkpoint(tmp_path / "junk.pt")
    torch.save({"weights": torch.zeros(2)}, tmp_path / "other.pt")
    with pytest.raises(CheckpointError, match="not a vae-course checkpoint"):
        load_checkpoint(tmp_path / "other.pt")
    with pytest.raises(FileNotFoundError):
        load_checkpoint(tmp_path / "missing.pt")


def test_weights_that_do_not_fit_are_a_clear_error(tmp_path):
    model = build_model("mlp_vae", latent_dim=2)
    path = save_checkpoint(tmp_path / "m.pt", model)
    payload = torch.load(path, weights_only=True)
    payload["state_dict"]["encoder_mu.weight"] = torch.zeros(5, 5)
    torch.save(payload, path)
    with pytest.raises(CheckpointError, match="do not fit"):
        load_checkpoint(path)


def test_a_failed_save_leaves_the_old_file_and_no_temporary(tmp_path, monkeypatch):
    path = save_checkpoint(tmp_path / "m.pt", build_model("mlp_vae", latent_dim=2), {"seed": 1})
    before = path.read_bytes()

    def disk_full(payload, file):
        Path(file).write_bytes(b"half a checkpoint")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(torch, "save", disk_full)
    with pytest.raises(OSError, match="No space left"):
        save_checkpoint(path, build_model("mlp_vae", latent_dim=3))
    assert path.read_bytes() == before and [p.name for p in tmp_path.iterdir()] == ["m.pt"]


def test_a_folder_is_not_overwritten(tmp_path):
    with pytest.raises(ValueError, match="it is a folder"):
        save_checkpoint(tmp_path, build_model("mlp_vae", latent_dim=2))


def test_train_config_saved_under_an_old_field_name_loads_with_the_new_one(tmp_path):
    path = save_checkpoint(
        tmp_path / "m.pt", build_model("mlp_vae", latent_dim=2), {"train_config": {"reconstruction": "bce"}}
    )
    _, metadata = load_checkpoint(path)
    assert metadata["train_config"] == {"kind": "bce"}
