"""Start a student's kernel in a sandbox, from a warm process, without a network port.

``start_kernel`` forks a small *keeper* process, which enters the sandbox (``sandbox.enter``) and
forks the kernel. With the namespaces the kernel is PID 1 of its own PID namespace, so everything
it starts dies with it; each process dies with its parent (``PR_SET_PDEATHSIG``), so nothing
outlives the grader. Client and kernel talk over unix sockets in the sandbox folder. The kernel
is forked from the warm worker (``fork``: libraries already imported) or is a fresh interpreter
(``spawn``, as nbgrader starts kernels); ``AdoptedProvisioner`` lets jupyter_client manage it.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass
from pathlib import Path

from jupyter_client.provisioning import LocalProvisioner

from .. import sandbox
from ..sandbox import linux
from . import kernel_boot

_BOOTSTRAP = "import sys; exec(compile(open(sys.argv[1]).read(), sys.argv[1], 'exec'))"

UNIX_SOCKET_PATH_MAX = 107  # bytes in a unix socket's path on Linux (sun_path holds 108, with the NUL)
# What the pool, the runner and jupyter_client add below the temporary folder, at the longest: the worker's
# folder (pool.py), the notebook's (runner.py), SandboxPaths' socket stem and an ipc port number.
SOCKET_PATH_TAIL = len("/vae-grade-99-abcdefgh/run-0123abcd/sandbox/run/k-99999")


def socket_path_problem(tmp_dir: str | None) -> str | None:
    """Why kernels cannot start below ``tmp_dir`` (default: the system's), or None: its path is too long."""
    folder = os.path.abspath(tmp_dir or tempfile.gettempdir())
    longest = len(os.fsencode(folder)) + SOCKET_PATH_TAIL
    if longest <= UNIX_SOCKET_PATH_MAX:
        return None
    return (
        f"the temporary folder {folder} is too long for the kernels' sockets: {longest} bytes with the grader's "
        f"own folders below it, over Linux's {UNIX_SOCKET_PATH_MAX}; choose a --tmp-dir (or TMPDIR) of at most "
        f"{UNIX_SOCKET_PATH_MAX - SOCKET_PATH_TAIL} bytes"
    )


@dataclass
class SandboxPaths:
    """A notebook's private folder: only ``sandbox`` is visible to the kernel."""

    root: Path

    @property
    def sandbox(self) -> Path:
        return self.root / "sandbox"

    @property
    def work(self) -> Path:  # the kernel's working folder: a copy of the submission
        return self.sandbox / "work"

    @property
    def home(self) -> Path:
        return self.sandbox / "home"

    @property
    def tmp(self) -> Path:
        return self.sandbox / "tmp"

    @property
    def answers(self) -> Path:  # the kernel's answers for the judge (``classgrade.judge.channel``)
        return self.sandbox / "run" / "answers.cga"

    @property
    def socket_stem(self) -> Path:  # jupyter_client's ipc sockets: this path, then "-" and a number
        return self.sandbox / "run" / "k"

    @property
    def connection_file(self) -> Path:
        return self.sandbox / "run" / "kernel.json"

    def create(self, files_dir: str, skip: set[str]) -> None:
        for folder in (self.home / ".config" / "matplotlib", self.tmp, self.sandbox / "run"):
            folder.mkdir(parents=True)
        shutil.copytree(
            files_dir, self.work, ignore=lambda d, names: [n for n in names if d == files_dir and n in skip]
        )
        for cache in _matplotlib_font_caches():  # spares each kernel a font scan
            shutil.copy(cache, self.home / ".config" / "matplotlib")


def _matplotlib_font_caches() -> list[Path]:
    folder = Path(os.environ.get("MPLCONFIGDIR") or Path.home() / ".cache" / "matplotlib")
    return sorted(folder.glob("fontlist-*.json"))


class ForkedProcess:
    """The keeper process, with the part of ``subprocess.Popen``'s interface jupyter_client uses."""

    stdin = stdout = stderr = None

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            try:
                pid, wait_status = os.waitpid(self.pid, os.WNOHANG)
            except ChildProcessError:
                self.returncode = -1
            else:
                if pid:
                    self.returncode = os.waitstatus_to_exitcode(wait_status)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int | None:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None and (deadline is None or time.monotonic() < deadline):
            time.sleep(0.02)
        return self.returncode

    def send_signal(self, signum: int) -> None:
        if self.poll() is None:
            os.kill(self.pid, signum)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)


class AdoptedProvisioner(LocalProvisioner):
    """A provisioner whose kernel is already running: the keeper forked before the event loop."""

    adopted: ForkedProcess | None = None

    async def launch_kernel(self, cmd, **kwargs):
        self.process = self.adopted
        self.pid = self.pgid = self.adopted.pid
        self.cwd = kwargs.get("cwd")
        return self.connection_info


def start_kernel(task: dict, paths: SandboxPaths, audit: dict[str, int], log_fd: int) -> tuple[ForkedProcess, dict]:
    """Fork the keeper, which enters the sandbox and forks the kernel; return it and what it applied.

    ``audit`` holds the kernel's ends of the audit channel (``audit_fd``: records, ``audit_key_fd``:
    the hook's key; see ``audit.AuditChannel``); they and ``log_fd`` must be above 2: the kernel's
    standard streams are replaced. Only the kernel keeps them: the keeper closes its copies.
    """
    audit_fds = [audit["audit_fd"], audit["audit_key_fd"]]
    if min(*audit_fds, log_fd) <= 2:
        raise ValueError(f"audit={audit} and log_fd={log_fd} must be above 2 (the kernel's stdio replaces them)")
    config = sandbox.SandboxConfig(**{k: tuple(v) if isinstance(v, list) else v for k, v in task["sandbox"].items()})
    spec = {
        "connection_file": str(paths.connection_file),
        **audit,
        "packages": [m.split(".")[0] for m in (*task.get("watched_modules", []), task.get("checks_module", "")) if m],
        "sandbox_dir": str(paths.sandbox),
        "read_roots": [
            *sandbox.SYSTEM_READ_PATHS,
            *sandbox.python_read_paths(),
            *config.read_paths,
            *config.exception_paths,
        ],
        "threads": task.get("threads"),
        "extra_arguments": task.get("extra_arguments", []),
        "preload": task.get("preload", []),
        "memory_mb": config.memory_mb,  # in spawn mode, set once the fresh kernel has imported ``preload``
    }
    env = dict(
        task["env"],
        HOME=str(paths.home),
        TMPDIR=str(paths.tmp),
        MPLCONFIGDIR=str(paths.home / ".config" / "matplotlib"),
        CLASSGRADE_ANSWERS=str(paths.answers),
    )
    report_read, report_write = os.pipe()
    runner_pid = os.getpid()
    pid = os.fork()
    if pid == 0:  # the keeper
        code = 70
        try:
            os.close(report_read)
            os.setsid()
            linux.set_parent_death_signal(signal.SIGKILL)
            if os.getppid() != runner_pid:
                os._exit(code)
            applied = sandbox.enter(config, str(paths.sandbox), memory=task.get("kernel_start") != "spawn")
            kernel = os.fork()
            if kernel == 0:
                _exec_kernel(task, spec, env, paths, audit_fds, log_fd)
            for fd in audit_fds:  # the channel is the kernel's alone: closing it there must show
                os.close(fd)
            signal.signal(signal.SIGINT, signal.SIG_IGN)  # interrupts are for the kernel
            os.write(report_write, json.dumps(applied.to_dict()).encode())
            os.close(report_write)
            _, wait_status = os.waitpid(kernel, 0)
            exit_code = os.waitstatus_to_exitcode(wait_status)
            code = exit_code if exit_code >= 0 else 128 - exit_code
        except BaseException:
            traceback.print_exc(file=sys.stderr)
        finally:
            os._exit(code)
    os.close(report_write)
    with os.fdopen(report_read, "rb") as report:
        applied = json.loads(report.read() or b'{"applied": [], "missing": ["sandbox: keeper failed"]}')
    return ForkedProcess(pid), applied


def _exec_kernel(task: dict, spec: dict, env: dict, paths: SandboxPaths, audit_fds: list[int], log_fd: int) -> None:
    """In the kernel process (PID 1 of its namespace): clean fds, folder and environment; run."""
    code = 1
    try:
        linux.set_parent_death_signal(signal.SIGKILL)
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.dup2(log_fd, 1)
        os.dup2(log_fd, 2)
        keep = {0, 1, 2, *audit_fds}
        for fd in [int(name) for name in os.listdir("/proc/self/fd")]:
            if fd not in keep:
                try:
                    os.close(fd)
                except OSError:
                    pass
        os.chdir(paths.work)
        os.environ.clear()
        os.environ.update(env)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        if task.get("kernel_start") == "spawn":
            for fd in audit_fds:
                os.set_inheritable(fd, True)
            python = sys.executable
            os.execve(python, [python, "-c", _BOOTSTRAP, kernel_boot.__file__, json.dumps(spec)], env)
        kernel_boot.main(spec, forked=True)
        code = 0
    except SystemExit as exit_:
        code = exit_.code if isinstance(exit_.code, int) else 1
    except BaseException:
        traceback.print_exc()
    finally:
        sys.stdout.flush()
        os._exit(code)
