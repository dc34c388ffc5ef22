"""A warm worker: imports the kernel and the libraries once, then forks a runner for each notebook.

Started by ``pool.py`` as ``python -m classgrade.execution.worker``; reads tasks from stdin and answers
on stdout, one length-prefixed JSON message each. Forking from this warm process is what makes a
kernel start in a fraction of a second with ``torch`` already imported. The worker never holds a
notebook: each runner writes its result to a file, so a forked kernel cannot find another
student's notebook, or the hidden tests, in the memory it inherits.
"""

from __future__ import annotations

import importlib
import json
import os
import resource
import select
import signal
import struct
import time
import traceback

_HEADER = struct.Struct(">Q")
RUNNER_MEMORY = 8 * 1024 * 1024 * 1024  # address space a runner (the client, not the kernel) may add


def send(stream, message: dict) -> None:
    data = json.dumps(message).encode()
    stream.write(_HEADER.pack(len(data)) + data)
    stream.flush()


def receive(stream) -> dict | None:
    header = stream.read(_HEADER.size)
    if len(header) < _HEADER.size:
        return None
    (size,) = _HEADER.unpack(header)
    data = stream.read(size)
    return json.loads(data) if len(data) == size else None


def preload(names: list[str], warmup: str = "") -> list[str]:
    """Import the grader's machinery, the kernel and ``names``, run ``warmup``; return the errors.

    Kernels forked from this process inherit all of it (the state of a fresh interpreter that has
    run these imports: nothing else).
    """
    errors = []
    for name in ["classgrade.execution.runner", "ipykernel.kernelapp", "ipykernel.ipkernel", *names]:
        try:
            importlib.import_module(name)
        except Exception as error:
            errors.append(f"{name}: {type(error).__name__}: {error}")
    if warmup:
        try:
            exec(compile(warmup, "<warmup>", "exec"), {})
        except Exception as error:
            errors.append(f"warmup: {type(error).__name__}: {error}")
    return errors


def run_forked(task: dict, private_fds: list[int]) -> dict:
    """Fork a runner for ``task``; wait for it, at most ``task["hard_timeout"]`` seconds."""
    done_read, done_write = os.pipe()
    result_file = os.path.join(task["base_dir"], f"result-{task['id']}.json")
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            os.close(done_read)
            for fd in private_fds:
                os.close(fd)
            os.setsid()
            from ..sandbox import linux
            from . import runner

            linux.set_parent_death_signal(signal.SIGKILL)
            soft, hard = resource.getrlimit(resource.RLIMIT_AS)
            resource.setrlimit(resource.RLIMIT_AS, (linux.vm_size() + RUNNER_MEMORY, hard))
            result = runner.run(task)
            with open(result_file + ".part", "w") as out:
                json.dump(result, out)
            os.rename(result_file + ".part", result_file)
            code = 0
        except BaseException:
            traceback.print_exc()
        finally:
            os._exit(code)
    os.close(done_write)
    deadline = time.monotonic() + task["hard_timeout"]
    timed_out = False
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            timed_out = True
            os.killpg(pid, signal.SIGKILL)
            break
        if select.select([done_read], [], [], remaining)[0] and not os.read(done_read, 1):
            break
    os.close(done_read)
    _, wait_status = os.waitpid(pid, 0)
    if timed_out:
        return {"error": f"the runner exceeded the hard limit of {task['hard_timeout']:g} s and was killed"}
    if not os.path.exists(result_file):
        return {"error": f"the runner died (exit status {os.waitstatus_to_exitcode(wait_status)})"}
    return {"result_file": result_file}


def main() -> None:
    inbox = os.fdopen(0, "rb")
    outbox = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # anything printed by a library goes to the log, not into the protocol
    hello = receive(inbox) or {}
    errors = preload(hello.get("preload", []), hello.get("warmup", ""))
    send(outbox, {"ready": True, "pid": os.getpid(), "errors": errors})
    private = [inbox.fileno(), outbox.fileno()]
    while (task := receive(inbox)) is not None:
        try:
            reply = run_forked(task, private)
        except Exception:
            reply = {"error": traceback.format_exc(limit=3)}
        send(outbox, reply)
    outbox.close()
    os._exit(0)  # skip tearing down PyTorch and friends: seconds, for nothing


if __name__ == "__main__":
    main()
