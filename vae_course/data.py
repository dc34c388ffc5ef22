"""Fashion-MNIST as tensors: finding the files, loading, splitting and batching.

The dataset is small (70,000 images of 28 x 28 bytes, 55 MB as float32), so we keep a whole split
as one tensor on the training device and slice batches out of it. There is no per-sample Python
work in a training step, which is what makes an epoch fast on a CPU and very fast on a GPU.

Where the files come from, in order:

1. ``<root>/FashionMNIST/raw/`` already holds the four decompressed IDX files;
2. Debian's package ``dataset-fashion-mnist`` (``/usr/share/datasets/fashion-mnist/*.gz``),
   decompressed into ``<root>``;
3. torchvision's download (online users, Colab).

``root`` is the argument if given, else ``$VAE_COURSE_DATA``, else ``~/.cache/vae-course``. Any number
of processes, on one machine or on several sharing ``root`` over a network file system, may prepare
it at once: files appear in ``FashionMNIST/raw/`` only by an atomic rename, complete.
"""

from __future__ import annotations

import gzip
import os
import shutil
import tempfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import torch

from .files import atomic_paths

IMAGE_SHAPE = (1, 28, 28)  # (C, H, W)
IMAGE_SIZE = 28 * 28  # pixels per image
NUM_CLASSES = 10
CLASS_NAMES = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)

DATA_ENV_VAR = "VAE_COURSE_DATA"
DEBIAN_DIR = Path("/usr/share/datasets/fashion-mnist")
RAW_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}


class DataNotFoundError(FileNotFoundError):
    """Fashion-MNIST is not on disk and could not be fetched."""


class DataCorruptError(ValueError):
    """A Fashion-MNIST file exists but does not hold a valid dataset."""


@dataclass(frozen=True)
class ImageSet:
    """Images and their labels, kept together.

    Attributes:
        images: float32 pixels in [0, 1], shape (N, 1, 28, 28).
        labels: int64 class indices in [0, 10), shape (N,).
    """

    images: torch.Tensor
    labels: torch.Tensor

    def __len__(self) -> int:
        return self.images.shape[0]

    def to(self, device: torch.device | str) -> ImageSet:
        return ImageSet(self.images.to(device), self.labels.to(device))

    def subset(self, n: int) -> ImageSet:
        """The first ``n`` examples (a view, no copy)."""
        return ImageSet(self.images[:n], self.labels[:n])


def data_root(root: str | os.PathLike | None = None) -> Path:
    """The folder that holds (or will hold) ``FashionMNIST/raw/``: argument, env var, default."""
    if root is not None:
        return Path(root).expanduser()
    if os.environ.get(DATA_ENV_VAR):
        return Path(os.environ[DATA_ENV_VAR]).expanduser()
    return Path.home() / ".cache" / "vae-course"


def _raw_dir(root: Path) -> Path:
    return root / "FashionMNIST" / "raw"


def _missing_files(root: Path) -> list[str]:
    names = [name for pair in RAW_FILES.values() for name in pair]
    return [name for name in names if not (_raw_dir(root) / name).is_file()]


def _copy_from_debian(root: Path) -> bool:
    """Decompress Debian's ``.gz`` files into ``root``; False if the package is not installed.

    Safe when several processes (or machines sharing ``root``) do it at once: each decompresses into
    a temporary file of its own and renames it over the target (:func:`~vae_course.files.atomic_paths`),
    so a reader finds each file complete or absent, and the last rename leaves the same bytes.
    """
    source = DEBIAN_DIR
    missing = _missing_files(root)
    if not all((source / f"{name}.gz").is_file() for name in missing):
        return False
    for name in missing:
        try:
            with atomic_paths(_raw_dir(root) / name) as (partial,):
                with gzip.open(source / f"{name}.gz", "rb") as src, open(partial, "wb") as dst:
                    shutil.copyfileobj(src, dst)
        except (gzip.BadGzipFile, EOFError, zlib.error) as err:  # what a bad .gz raises; a write error is not one
            raise DataCorruptError(f"{source / name}.gz is not a valid gzip file: {err}") from err
    return True


def _download(root: Path) -> str | None:
    """torchvision's download; returns the error text if it failed.

    torchvision writes its files in place, so it downloads into a folder of this process's own
    beside ``FashionMNIST/``; the decompressed files are then renamed into ``<root>/FashionMNIST/raw/``.
    """
    from torchvision.datasets import FashionMNIST

    root.mkdir(parents=True, exist_ok=True)
    private = Path(tempfile.mkdtemp(prefix=".download-", dir=root))
    try:
        FashionMNIST(str(private), train=True, download=True)
        FashionMNIST(str(private), train=False, download=True)
        _raw_dir(root).mkdir(parents=True, exist_ok=True)
        for pair in RAW_FILES.values():
            for name in pair:
                os.replace(_raw_dir(private) / name, _raw_dir(root) / name)
    except Exception as err:  # network errors come in many types
        return " ".join(f"{type(err).__name__}: {err}".split())  # one line: torchvision's has several
    finally:
        shutil.rmtree(private, ignore_errors=True)
    return None


def ensure_fashion_mnist(root: str | os.PathLike | None = None, download: bool = True) -> Path:
    """Make sure the four raw files are in ``<root>/FashionMNIST/raw/``; return ``root``.

    Raises:
        DataNotFoundError: the files are not there, Debian's package is not installed and the
            download failed (or ``download=False``). The message says what to do.
    """
    root = data_root(root)
    if not _missing_files(root) or _copy_from_debian(root):
        return root
    error = _download(root) if download else "download=False"
    if not _missing_files(root):
        return root
    raise DataNotFoundError(
        f"Fashion-MNIST is not in {_raw_dir(root)} and could not be fetched ({error}).\n"
        "Do one of these:\n"
        "  - with internet access (Colab; Kaggle with Settings > Internet turned on): load again with\n"
        "    download=True, the default, and torchvision downloads it\n"
        "  - on Debian/Ubuntu: sudo apt-get install dataset-fashion-mnist\n"
        f"  - copy the four IDX files ({', '.join(_missing_files(root))}) into {_raw_dir(root)},\n"
        f"    or point ${DATA_ENV_VAR} or root= at a folder that has FashionMNIST/raw/."
    )


def _read_split(root: Path, train: bool) -> tuple[torch.Tensor, torch.Tensor]:
    """torchvision's reader, with its bare asserts turned into a clear error."""
    from torchvision.datasets import FashionMNIST

    try:
        dataset = FashionMNIST(str(root), train=train, download=False)
        images, labels = dataset.data, dataset.targets
    except (AssertionError, RuntimeError, ValueError, KeyError, IndexError) as err:
        raise DataCorruptError(
            f"Fashion-MNIST files in {_raw_dir(root)} are corrupt or truncated "
            f"({type(err).__name__}: {err}). Delete them and load again."
        ) from err
    if images.dim() != 3 or tuple(images.shape[1:]) != IMAGE_SHAPE[1:]:
        raise DataCorruptError(f"expected images of shape (N, 28, 28), found {tuple(images.shape)}")
    if labels.shape != images.shape[:1]:
        raise DataCorruptError(f"{len(images)} images but {len(labels)} labels in {_raw_dir(root)}")
    if len(labels) and (labels.min() < 0 or labels.max() >= NUM_CLASSES):
        raise DataCorruptError(f"labels outside 0..{NUM_CLASSES - 1} in {_raw_dir(root)}")
    return images, labels


def load_fashion_mnist(split: str = "train", root: str | os.PathLike | None = None, download: bool = True) -> ImageSet:
    """Load one split of Fashion-MNIST with pixels scaled to [0, 1].

    Args:
        split: ``"train"`` (60,000 images) or ``"test"`` (10,000 images).
        root: folder holding ``FashionMNIST/raw/``; see :func:`data_root`.
        download: allow torchvision's download if nothing local is found.

    Returns:
        An :class:`ImageSet` with images (N, 1, 28, 28) float32 and labels (N,) int64, on the CPU.

    Raises:
        DataNotFoundError: no local copy and no download.
        DataCorruptError: the files exist but are not a valid dataset.
    """
    if split not in RAW_FILES:
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    root = ensure_fashion_mnist(root, download=download)
    images, labels = _read_split(root, train=split == "train")
    pixels = images.unsqueeze(1).float().div_(255.0)  # (N, 1, 28, 28) in [0, 1]
    return ImageSet(pixels, labels.long())


def train_val_split(data: ImageSet, val_size: int = 5000, seed: int = 0) -> tuple[ImageSet, ImageSet]:
    """Split off a random validation set of ``val_size`` examples, reproducibly."""
    if not 0 < val_size < len(data):
        raise ValueError(f"val_size must be in (0, {len(data)}), got {val_size}")
    order = torch.randperm(len(data), generator=torch.Generator().manual_seed(seed))
    val, train = order[:val_size], order[val_size:]
    return ImageSet(data.images[train], data.labels[train]), ImageSet(data.images[val], data.labels[val])


def as_images(data: ImageSet | torch.Tensor) -> torch.Tensor:
    """The images of ``data``: an :class:`ImageSet`'s (N, 1, 28, 28), or ``data`` itself if it is a tensor."""
    return data.images if isinstance(data, ImageSet) else data


def shuffled_batches(
    items: torch.Tensor, batch_size: int, seed: int, device: torch.device
) -> tuple[Batches, torch.Generator]:
    """``items`` moved to ``device``, in batches reshuffled each epoch, and the seeded generator that shuffles them.

    Every trainer starts this way; the generator also draws the trainer's other noise (a GAN's, a DDPM's steps).
    """
    generator = torch.Generator(device=device).manual_seed(seed)
    return Batches(items.to(device), batch_size, shuffle=True, generator=generator), generator


class Batches:
    """Mini-batches sliced from tensors that already live on the training device.

    One ``randperm`` per epoch on the tensors' device, then one indexing op per batch: no
    DataLoader, no worker processes, no host-device copies.

    Args:
        images: (N, ...) tensor; batches are (batch_size, ...).
        batch_size: examples per batch; the last batch may be smaller.
        shuffle: draw a new order each epoch from ``generator``.
        generator: a ``torch.Generator`` on the tensors' device, for reproducible order.
    """

    def __init__(
        self,
        images: torch.Tensor,
        batch_size: int,
        shuffle: bool = False,
        generator: torch.Generator | None = None,
    ):
        if batch_size < 1:
            raise ValueError(f"batch_size must be positive, got {batch_size}")
        self.images, self.batch_size, self.shuffle, self.generator = images, batch_size, shuffle, generator

    def __len__(self) -> int:
        return -(-self.images.shape[0] // self.batch_size)  # ceil division

    def __iter__(self) -> Iterator[torch.Tensor]:
        n = self.images.shape[0]
        if self.shuffle:
            order = torch.randperm(n, generator=self.generator, device=self.images.device)
            for start in range(0, n, self.batch_size):
                yield self.images[order[start : start + self.batch_size]]
        else:
            for start in range(0, n, self.batch_size):
                yield self.images[start : start + self.batch_size]
