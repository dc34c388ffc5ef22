"""The worker pool's private folders: a killed coordinator's are removed by the next run, nobody else's."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

from classgrade.execution import pool


def _dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def _folder(tmp_path, name: str, owner: str | None):
    folder = tmp_path / f"{pool.FOLDER_PREFIX}{name}"
    (folder / "run-0123abcd" / "sandbox").mkdir(parents=True)
    if owner is not None:
        (folder / pool.OWNER_FILE).write_text(owner)
    return folder


def test_only_a_dead_coordinators_folders_on_this_host_are_removed(tmp_path):
    host = socket.gethostname()
    parent = os.getppid()  # alive
    dead = _folder(tmp_path, "0-dead", f"{host} {_dead_pid()}")
    kept = [
        _folder(tmp_path, "1-alive", f"{host} {parent}"),
        _folder(tmp_path, "2-mine", f"{host} {os.getpid()}"),
        _folder(tmp_path, "3-elsewhere", f"another-host-{host} {_dead_pid()}"),
        _folder(tmp_path, "4-no-owner", None),
        _folder(tmp_path, "5-garbled", "not a pid"),
    ]
    other = tmp_path / "someone-elses-folder"
    other.mkdir()
    assert pool.remove_abandoned_folders(str(tmp_path)) == [str(dead)]
    assert not dead.exists() and all(folder.exists() for folder in kept) and other.exists()


def test_a_pool_marks_its_folders_and_sweeps_abandoned_ones(tmp_path):
    dead = _folder(tmp_path, "0-dead", f"{socket.gethostname()} {_dead_pid()}")
    workers = pool.WorkerPool(pool.PoolConfig(jobs=2, tmp_dir=str(tmp_path)))
    assert workers.abandoned == [str(dead)] and not dead.exists()
    for worker in workers.workers:
        assert (tmp_path / os.path.basename(worker.base_dir) / pool.OWNER_FILE).read_text() == pool._owner()
        worker.close()
    assert not list(tmp_path.glob(f"{pool.FOLDER_PREFIX}*"))
