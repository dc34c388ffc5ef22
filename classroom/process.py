"""Start the course hub, wait until it answers, and stop it with everything it started.

JupyterHub runs in a session of its own, so a Ctrl-C in the terminal reaches only ``scripts/classroom``,
which then stops the hub with SIGTERM: JupyterHub stops every server (``cleanup_servers``) and its
proxy before it exits. Whatever is still running after that (the hub was killed, a server did not
stop in time) is found by the marker that every process of the classroom carries in its environment
(``CLASSROOM_ROOT=<folder>``: the hub, the proxy, servers, kernels, terminals) and ended, by process id.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from .layout import MARKER, Classroom

HUB_START_TIMEOUT_S = 120  # JupyterHub and its proxy start in seconds; much more on a busy machine
HUB_STOP_TIMEOUT_S = 90  # the hub stops each server (SIGINT, then SIGTERM after 30 s), then the proxy
LEFTOVER_TIMEOUT_S = 10  # SIGTERM to SIGKILL, for what the hub left running


def free_port() -> int:
    """A TCP port of 127.0.0.1 that nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_hub(classroom: Classroom, config_file: Path) -> subprocess.Popen:
    """JupyterHub on ``config_file``, in its own session, logging to ``hub/jupyterhub.log``."""
    from classgrade.environment import put_scripts_on_path

    put_scripts_on_path()  # this environment's programs (jupyterhub-singleuser, python) first on PATH
    env = {**os.environ, MARKER: str(classroom.root)}
    log = open(classroom.hub / "jupyterhub.log", "ab")
    with log:
        return subprocess.Popen(
            [sys.executable, "-m", "jupyterhub", "-f", str(config_file)],
            cwd=classroom.hub,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def log_tail(classroom: Classroom, lines: int = 30) -> str:
    path = classroom.hub / "jupyterhub.log"
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else ""


def wait_for_hub(process: subprocess.Popen, classroom: Classroom, port: int) -> None:
    """Return once the hub answers on ``port``; raise with its log if it exits or takes too long."""
    # The proxy routes by host: ask for the hub's own (localhost), at the address it listens on.
    request = urllib.request.Request(f"http://127.0.0.1:{port}/hub/api/", headers={"Host": f"localhost:{port}"})
    deadline = time.monotonic() + HUB_START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"JupyterHub exited with {process.returncode}:\n{log_tail(classroom)}")
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.5)
    raise RuntimeError(f"JupyterHub did not answer within {HUB_START_TIMEOUT_S} s:\n{log_tail(classroom)}")


def processes_of(classroom: Classroom) -> list[int]:
    """Ids of the running processes that carry this classroom's marker in their environment."""
    entry = f"{MARKER}={classroom.root}".encode()
    found = []
    for folder in Path("/proc").iterdir():
        if not folder.name.isdigit() or int(folder.name) == os.getpid():
            continue
        try:
            environment = (folder / "environ").read_bytes().split(b"\0")
        except OSError:  # gone, or not ours to read
            continue
        if entry in environment and _alive(int(folder.name)):
            found.append(int(folder.name))
    return found


def end_processes(pids: list[int], timeout: float = LEFTOVER_TIMEOUT_S) -> None:
    """SIGTERM each of ``pids``, then SIGKILL those still there after ``timeout`` seconds."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for pid in pids:
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and any(_alive(pid) for pid in pids):
            time.sleep(0.2)


def _alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie, dead and waiting for its parent to collect it, does not)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def stop_hub(process: subprocess.Popen, classroom: Classroom) -> list[int]:
    """Stop the hub (SIGTERM: it stops its servers and proxy), then end what is left of the classroom's
    processes. Returns the ids of those it had to end."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(HUB_STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    leftovers = processes_of(classroom)
    end_processes(leftovers)
    return leftovers
