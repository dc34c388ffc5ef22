import gzip

import numpy as np
import pytest
import torch
from fake_fashion_mnist import make_fake_fashion_mnist, write_idx

from vae_course import data as data_module
from vae_course.data import (
    Batches,
    DataCorruptError,
    DataNotFoundError,
    ImageSet,
    data_root,
    load_fashion_mnist,
    train_val_split,
)


@pytest.fixture(autouse=True)
def no_debian_copy(monkeypatch, tmp_path):
    """Tests see only the data they make: no system copy, no network."""
    monkeypatch.setattr(data_module, "DEBIAN_DIR", tmp_path / "no-debian")
    monkeypatch.setattr(data_module, "_download", lambda root: "network disabled in tests")
    monkeypatch.delenv(data_module.DATA_ENV_VAR, raising=False)


def test_loads_pixels_in_unit_interval_with_labels(tmp_path):
    arrays = make_fake_fashion_mnist(tmp_path / "FashionMNIST" / "raw", n_train=10, n_test=6)
    train = load_fashion_mnist("train", root=tmp_path)
    test = load_fashion_mnist("test", root=tmp_path)
    assert train.images.shape == (10, 1, 28, 28) and train.images.dtype == torch.float32
    assert test.labels.shape == (6,) and test.labels.dtype == torch.int64
    np.testing.assert_allclose(train.images[:, 0].numpy(), arrays["train"][0] / 255.0, rtol=0, atol=1e-7)
    np.testing.assert_array_equal(test.labels.numpy(), arrays["test"][1])
    assert 0.0 <= train.images.min() and train.images.max() <= 1.0


def test_root_resolution_order(tmp_path, monkeypatch):
    assert data_root(tmp_path / "a") == tmp_path / "a"
    monkeypatch.setenv(data_module.DATA_ENV_VAR, str(tmp_path / "env"))
    assert data_root() == tmp_path / "env"
    assert data_root(tmp_path / "a") == tmp_path / "a"  # the argument wins
    monkeypatch.delenv(data_module.DATA_ENV_VAR)
    assert data_root().name == "vae-course"


def test_env_var_is_used(tmp_path, monkeypatch):
    make_fake_fashion_mnist(tmp_path / "env" / "FashionMNIST" / "raw", n_train=7)
    monkeypatch.setenv(data_module.DATA_ENV_VAR, str(tmp_path / "env"))
    assert len(load_fashion_mnist("train")) == 7


def test_debian_gz_files_are_decompressed_into_root(tmp_path, monkeypatch):
    debian = tmp_path / "debian"
    arrays = make_fake_fashion_mnist(debian, n_train=9, compress=True)
    monkeypatch.setattr(data_module, "DEBIAN_DIR", debian)
    root = tmp_path / "root"
    train = load_fashion_mnist("train", root=root)
    assert len(train) == 9 and (root / "FashionMNIST" / "raw" / "train-images-idx3-ubyte").is_file()
    np.testing.assert_array_equal(train.labels.numpy(), arrays["train"][1])


def test_download_is_tried_when_nothing_is_local(tmp_path, monkeypatch):
    tried = []

    def fake_download(root):
        tried.append(root)
        make_fake_fashion_mnist(root / "FashionMNIST" / "raw", n_train=5)

    monkeypatch.setattr(data_module, "_download", fake_download)
    assert len(load_fashion_mnist("train", root=tmp_path)) == 5
    assert tried == [tmp_path]


def test_missing_data_error_says_what_to_do(tmp_path):
    with pytest.raises(DataNotFoundError) as info:
        load_fashion_mnist("train", root=tmp_path)
    message = str(info.value)
    assert "apt-get install dataset-fashion-mnist" in message
    assert "download=True" in message and data_module.DATA_ENV_VAR in message
    assert "network disabled in tests" in message
    with pytest.raises(DataNotFoundError, match="download=False"):
        load_fashion_mnist("train", root=tmp_path, download=False)


def test_truncated_file_is_a_clear_error(tmp_path):
    make_fake_fashion_mnist(tmp_path / "FashionMNIST" / "raw", n_train=10)
    path = tmp_path / "FashionMNIST" / "raw" / "train-images-idx3-ubyte"
    path.write_bytes(path.read_bytes()[:-100])
    with pytest.raises(DataCorruptError, match="corrupt or truncated"):
        load_fashion_mnist("train", root=tmp_path)


def test_labels_that_do_not_match_images_are_an_error(tmp_path):
    make_fake_fashion_mnist(tmp_path / "FashionMNIST" / "raw", n_train=10)
    write_idx(tmp_path / "FashionMNIST" / "raw" / "train-labels-idx1-ubyte", np.zeros(8, dtype=np.uint8))
    with pytest.raises(DataCorruptError, match="10 images but 8 labels"):
        load_fashion_mnist("train", root=tmp_path)
    write_idx(tmp_path / "FashionMNIST" / "raw" / "train-labels-idx1-ubyte", np.full(10, 12, dtype=np.uint8))
    with pytest.raises(DataCorruptError, match="labels outside"):
        load_fashion_mnist("train", root=tmp_path)


def test_corrupt_debian_gzip_is_a_clear_error(tmp_path, monkeypatch):
    debian = tmp_path / "debian"
    make_fake_fashion_mnist(debian, compress=True)
    gz = debian / "train-images-idx3-ubyte.gz"
    gz.write_bytes(gz.read_bytes()[:50])  # cut short
    monkeypatch.setattr(data_module, "DEBIAN_DIR", debian)
    with pytest.raises(DataCorruptError, match="gzip"):
        load_fashion_mnist("train", root=tmp_path / "root")
    assert not (tmp_path / "root" / "FashionMNIST" / "raw" / "train-images-idx3-ubyte").exists()


def test_unknown_split():
    with pytest.raises(ValueError, match="split"):
        load_fashion_mnist("validation")


def test_train_val_split_is_a_seeded_partition():
    data = ImageSet(torch.arange(100.0).view(100, 1, 1, 1), torch.arange(100) % 10)
    train, val = train_val_split(data, val_size=20, seed=3)
    again, _ = train_val_split(data, val_size=20, seed=3)
    other, _ = train_val_split(data, val_size=20, seed=4)
    assert len(train) == 80 and len(val) == 20
    values = torch.cat([train.images.flatten(), val.images.flatten()]).sort().values
    torch.testing.assert_close(values, torch.arange(100.0))  # every example exactly once
    torch.testing.assert_close(train.labels, train.images.flatten().long() % 10)  # labels follow images
    assert torch.equal(train.images, again.images) and not torch.equal(train.images, other.images)
    with pytest.raises(ValueError):
        train_val_split(data, val_size=100)


def test_batches_cover_every_example_once_per_epoch():
    images = torch.arange(10.0).view(10, 1)
    batches = Batches(images, batch_size=4, shuffle=True, generator=torch.Generator().manual_seed(0))
    assert len(batches) == 3
    epoch1 = torch.cat(list(batches)).flatten()
    epoch2 = torch.cat(list(batches)).flatten()
    assert [len(b) for b in batches] == [4, 4, 2]
    torch.testing.assert_close(epoch1.sort().values, images.flatten())
    assert not torch.equal(epoch1, epoch2)  # a new order each epoch
    ordered = torch.cat(list(Batches(images, batch_size=3))).flatten()
    torch.testing.assert_close(ordered, images.flatten())


def test_real_fashion_mnist_if_installed():
    if not all(
        (data_module.Path("/usr/share/datasets/fashion-mnist") / f"{n}.gz").exists()
        for n in (
            "t10k-images-idx3-ubyte",
            "t10k-labels-idx1-ubyte",
            "train-images-idx3-ubyte",
            "train-labels-idx1-ubyte",
        )
    ):
        pytest.skip("Debian's dataset-fashion-mnist is not installed")
    with gzip.open("/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz") as f:
        labels = np.frombuffer(f.read()[8:], dtype=np.uint8)
    assert len(labels) == 10_000 and np.bincount(labels).tolist() == [1000] * 10
