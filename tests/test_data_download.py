"""Fashion-MNIST where nothing is on disk (Colab, Kaggle): torchvision's own download code runs, and
when the network fails the error says what to do. No test touches the network: ``urlopen`` fails."""

import urllib.error
import urllib.request

import pytest

from vae_course import data as data_module
from vae_course.data import DataNotFoundError, load_fashion_mnist


@pytest.fixture
def offline(monkeypatch, tmp_path):
    """No local copy anywhere, and every URL torchvision opens fails as it does without a network."""
    opened = []

    def urlopen(request, *args, **kwargs):
        opened.append(getattr(request, "full_url", request))
        raise urllib.error.URLError("no network in tests")

    monkeypatch.setattr(urllib.request, "urlopen", urlopen)
    monkeypatch.setattr(data_module, "DEBIAN_DIR", tmp_path / "no-debian")
    monkeypatch.delenv(data_module.DATA_ENV_VAR, raising=False)
    return opened


def test_a_failed_download_says_what_to_do(offline, tmp_path, capfd):
    root = tmp_path / "empty"
    with pytest.raises(DataNotFoundError) as info:
        load_fashion_mnist("train", root=root)
    assert any("fashion-mnist" in url for url in offline), "torchvision's download was not tried"
    message = str(info.value)
    first_line = message.splitlines()[0]
    assert str(root / "FashionMNIST" / "raw") in first_line
    assert "URLError" in first_line or "urlopen error" in first_line, "the cause is on the first line"
    assert "no network in tests" in first_line
    assert "Colab" in message and "Kaggle" in message and "Internet" in message
    assert "apt-get install dataset-fashion-mnist" in message
    assert data_module.DATA_ENV_VAR in message and "FashionMNIST/raw/" in message
    assert not (root / "FashionMNIST" / "raw" / "train-images-idx3-ubyte").exists()
    assert capfd.readouterr().err == ""


def test_without_download_nothing_is_fetched(offline, tmp_path):
    with pytest.raises(DataNotFoundError, match="download=False"):
        load_fashion_mnist("test", root=tmp_path / "empty", download=False)
    assert offline == []
