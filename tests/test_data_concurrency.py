"""Several processes preparing Fashion-MNIST in one empty data root at once, as on a fresh machine.

The book's two editions build side by side and a class is graded by several kernels at once, each
loading the dataset; on a machine that never ran the course they all find the data root empty and
prepare it together, from Debian's package or from torchvision's download. Every one of them must
succeed and read the whole dataset. To make the race certain rather than likely, each process waits
for a common start signal and then copies slowly, a little after the one before it, so that some
copy while others copy the same file or already read it.
"""

from __future__ import annotations

import subprocess
import sys
import time

import pytest
from fake_fashion_mnist import make_fake_fashion_mnist

from vae_course.data import RAW_FILES

PROCESSES = 4
RAW_NAMES = [name for pair in RAW_FILES.values() for name in pair]
N_TRAIN, N_TEST = 64, 32

# One loader: patch where the files come from, wait for the start signal, load both splits, print them.
LOADER = r"""
import shutil, sys, time
from pathlib import Path

import torchvision.datasets.mnist

from vae_course import data

source, root, go, how = Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3]), sys.argv[4]


def slow_copy(src, dst, length=0):  # a few ms per kB: every process is mid-copy while the others start
    while chunk := src.read(1024):
        dst.write(chunk)
        dst.flush()
        time.sleep(0.005)


def fake_download(url, download_root, filename, md5):  # torchvision's download, from local .gz files
    import gzip

    name = filename.removesuffix(".gz")
    with gzip.open(source / filename, "rb") as src, open(Path(download_root) / name, "wb") as dst:
        slow_copy(src, dst)


shutil.copyfileobj = slow_copy
if how == "debian":
    data.DEBIAN_DIR = source
else:
    data.DEBIAN_DIR = source / "not-installed"
    torchvision.datasets.mnist.download_and_extract_archive = fake_download
Path(f"{go}.ready.{sys.argv[5]}").touch()  # imported and patched: waiting for the others
while not go.exists():
    time.sleep(0.005)
time.sleep(0.15 * int(sys.argv[5]))  # staggered: some read while others still write
train, test = data.load_fashion_mnist("train", root=root), data.load_fashion_mnist("test", root=root)
print(len(train), len(test), int(train.labels.sum()), int(test.labels.sum()))
"""


@pytest.mark.parametrize("how", ["debian", "download"])
def test_processes_preparing_one_empty_root_at_once_all_succeed(tmp_path, how):
    source = tmp_path / "source"
    arrays = make_fake_fashion_mnist(source, n_train=N_TRAIN, n_test=N_TEST, compress=True)
    root, go = tmp_path / "root", tmp_path / "go"
    loaders = [
        subprocess.Popen(
            [sys.executable, "-c", LOADER, str(source), str(root), str(go), how, str(number)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for number in range(PROCESSES)
    ]
    deadline = time.monotonic() + 300
    while len(list(tmp_path.glob("go.ready.*"))) < PROCESSES and time.monotonic() < deadline:
        time.sleep(0.01)
    go.touch()  # all of them start copying now
    results = [loader.communicate(timeout=300) for loader in loaders]

    failed = [
        (loader.returncode, err.strip().splitlines()[-3:])
        for loader, (_, err) in zip(loaders, results)
        if loader.returncode
    ]
    assert not failed, f"{len(failed)} of {PROCESSES} loads failed: {failed}"
    expected = f"{N_TRAIN} {N_TEST} {int(arrays['train'][1].sum())} {int(arrays['test'][1].sum())}"
    assert [out.strip() for out, _ in results] == [expected] * PROCESSES
    leftovers = sorted(
        p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file() and p.parent.name != "raw"
    )
    leftovers += sorted(p.name for p in (root / "FashionMNIST" / "raw").iterdir() if p.name.startswith("."))
    assert not leftovers, f"temporary files left behind: {leftovers}"


def test_an_interrupted_preparation_leaves_nothing_that_breaks_the_next(tmp_path, monkeypatch):
    """A process killed mid-copy leaves at most a hidden temporary file; the next load succeeds."""
    from vae_course import data as data_module

    source = tmp_path / "source"
    make_fake_fashion_mnist(source, n_train=N_TRAIN, n_test=N_TEST, compress=True)
    monkeypatch.setattr(data_module, "DEBIAN_DIR", source)
    root = tmp_path / "root"
    loader = subprocess.Popen(
        [sys.executable, "-c", LOADER, str(source), str(root), str(tmp_path / "go"), "debian", "0"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    (tmp_path / "go").touch()
    raw = root / "FashionMNIST" / "raw"
    deadline = time.monotonic() + 120
    while not (raw.is_dir() and any(raw.iterdir())) and time.monotonic() < deadline:
        time.sleep(0.01)
    loader.kill()  # mid-copy: the first file is still being written
    loader.wait()
    assert data_module._missing_files(root), "the killed process finished before it was killed"
    assert len(data_module.load_fashion_mnist("train", root=root)) == N_TRAIN
    assert len(data_module.load_fashion_mnist("test", root=root)) == N_TEST
