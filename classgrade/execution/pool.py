"""A pool of warm worker processes (``worker.py``) that execute notebooks and report back.

The coordinator submits tasks and collects events (``("start", task)``, ``("done", task, result)``)
from its own thread; one thread per worker only moves messages. A worker that dies or hangs is
replaced, and its notebook gets a ``grader-error`` result instead of stopping the run.
"""

from __future__ import annotations

import json
import os
import queue
import select
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

from .. import status
from .worker import receive, send

_STARTUP_TIMEOUT = 300.0  # seconds for a worker to import its libraries
FOLDER_PREFIX = "vae-grade-"  # each worker's private folder: FOLDER_PREFIX + index + "-" + random
OWNER_FILE = "owner"  # in that folder: "HOST PID" of the coordinator that made it


def _owner() -> str:
    return f"{socket.gethostname()} {os.getpid()}"


def remove_abandoned_folders(tmp_dir: str | None = None) -> list[str]:
    """Remove the workers' folders whose coordinator is gone (killed, e.g. a shard's SIGKILL); return them.

    Kept: a folder with no owner file, one made on another host (a shared --tmp-dir), and one whose
    owner is still running (or whose process id was reused).
    """
    removed = []
    for folder in Path(tmp_dir or tempfile.gettempdir()).glob(f"{FOLDER_PREFIX}*"):
        try:
            host, pid = (folder / OWNER_FILE).read_text().split()
            pid = int(pid)
        except (OSError, ValueError):
            continue
        if host == socket.gethostname() and not _running(pid):
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(str(folder))
    return removed


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


@dataclass(frozen=True)
class PoolConfig:
    """How many workers, what they preload, and their environment."""

    jobs: int = 2  # worker processes, i.e. notebooks executed at once
    preload: tuple[str, ...] = ()  # imported once per worker, for every kernel
    warmup: str = ""  # run once per worker: lazy imports and caches every kernel then inherits
    threads: int = 1  # math library threads per kernel (OMP_NUM_THREADS...)
    tmp_dir: str | None = None  # where the sandboxes live (default: the system's temporary folder)
    log_path: str | None = None  # the workers' stderr (default: discarded)


def _failure(message: str) -> dict:
    return {
        "notebook": None,
        "events": [status.GRADER_ERROR],
        "details": [message],
        "sandbox": {},
        "probe": None,
        "audit": [],
        "kernel_log": "",
        "seconds": 0.0,
    }


class _Worker:
    """One worker process and the private folder its runners and sandboxes live in."""

    def __init__(self, config: PoolConfig, index: int) -> None:
        self.config = config
        self.base_dir = tempfile.mkdtemp(prefix=f"{FOLDER_PREFIX}{index}-", dir=config.tmp_dir)
        Path(self.base_dir, OWNER_FILE).write_text(_owner())
        self.process: subprocess.Popen | None = None
        self.errors: list[str] = []

    def start(self) -> None:
        threads = str(self.config.threads)
        env = dict(
            os.environ,
            OMP_NUM_THREADS=threads,
            MKL_NUM_THREADS=threads,
            OPENBLAS_NUM_THREADS=threads,
            PYTHONUNBUFFERED="1",
            MPLBACKEND="module://matplotlib_inline.backend_inline",
        )
        log = open(self.config.log_path, "ab") if self.config.log_path else subprocess.DEVNULL
        self.process = subprocess.Popen(
            [sys.executable, "-m", "classgrade.execution.worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log,
            cwd=self.base_dir,
            env=env,
            start_new_session=True,
        )
        if log is not subprocess.DEVNULL:
            log.close()
        send(self.process.stdin, {"preload": list(self.config.preload), "warmup": self.config.warmup})
        ready = self._receive(_STARTUP_TIMEOUT)
        if not ready or not ready.get("ready"):
            raise RuntimeError("a grading worker failed to start; see the log")
        self.errors = ready.get("errors", [])

    def _receive(self, timeout: float) -> dict | None:
        if not select.select([self.process.stdout], [], [], timeout)[0]:
            return None
        return receive(self.process.stdout)

    def run(self, task: dict) -> dict:
        task = dict(task, base_dir=self.base_dir)
        try:
            send(self.process.stdin, task)
            reply = self._receive(task["hard_timeout"] + 60.0)
        except (BrokenPipeError, OSError) as error:
            reply = {"error": f"lost the worker: {error}"}
        if reply is None:
            reply = {"error": "the worker stopped answering"}
        if "error" in reply:
            self.restart()
            return _failure(reply["error"])
        path = Path(reply["result_file"])
        try:
            return json.loads(path.read_text())
        finally:
            path.unlink(missing_ok=True)

    def restart(self) -> None:
        self.stop()
        self.start()

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def close(self) -> None:
        """End the worker (end of input), then remove its folder; ``stop`` if it does not end."""
        if self.process and self.process.poll() is None:
            try:
                self.process.stdin.close()
                self.process.wait(timeout=10)
            except (OSError, subprocess.TimeoutExpired):
                self.stop()
        shutil.rmtree(self.base_dir, ignore_errors=True)


class WorkerPool:
    """``jobs`` warm workers; ``submit`` tasks, then iterate over ``events``."""

    def __init__(self, config: PoolConfig) -> None:
        self.config = config
        self.tasks: queue.Queue = queue.Queue()
        self.events_queue: queue.Queue = queue.Queue()
        self.abandoned = remove_abandoned_folders(config.tmp_dir)  # left by a coordinator that was killed
        self.workers = [_Worker(config, i) for i in range(config.jobs)]
        self.threads: list[threading.Thread] = []
        self.start_errors: list[str] = []
        self.pending = 0

    def __enter__(self) -> WorkerPool:
        """Start the workers in the background: tasks can be submitted while they import."""
        for worker in self.workers:
            thread = threading.Thread(target=self._serve, args=(worker,), daemon=True)
            thread.start()
            self.threads.append(thread)
        return self

    def __exit__(self, *exc) -> None:
        for _ in self.workers:
            self.tasks.put(None)
        if exc[0] is not None:  # interrupted: do not wait for notebooks in flight
            for worker in self.workers:
                worker.stop()
        for thread in self.threads:  # each thread closes its worker when it sees the end of the tasks
            thread.join(timeout=60)

    @property
    def preload_errors(self) -> list[str]:
        return sorted({error for worker in self.workers for error in worker.errors})

    def submit(self, task: dict) -> None:
        self.pending += 1
        self.tasks.put(task)

    def _serve(self, worker: _Worker) -> None:
        try:
            worker.start()
        except Exception as error:
            self.start_errors.append(f"{type(error).__name__}: {error}")
            if len(self.start_errors) < len(self.workers):
                return  # the other workers take the tasks
        while (task := self.tasks.get()) is not None:
            self.events_queue.put(("start", task, None))
            try:
                result = worker.run(task)
            except Exception as error:  # never lose a task: report it
                result = _failure(f"{type(error).__name__}: {error}")
            self.events_queue.put(("done", task, result))
        worker.close()

    def events(self, block: bool = True):
        """Yield events; with ``block=False`` only those already there, else until all tasks are done."""
        while self.pending:
            try:
                event = self.events_queue.get(block=block)
            except queue.Empty:
                return
            if event[0] == "done":
                self.pending -= 1
            yield event
