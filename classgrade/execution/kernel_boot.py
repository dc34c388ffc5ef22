"""Start an IPython kernel for a student's notebook, with an audit hook that records tampering.

This file must not import the course's package (nor classgrade): in ``spawn`` mode it runs as a fresh interpreter's
``-c`` script, exactly where ``python -m ipykernel_launcher`` would run. In ``fork`` mode the
grader calls ``main`` in a child forked from a process that has already imported the kernel and
the preloaded libraries.

The audit hook (PEP 578, which code cannot remove once added) writes one JSON line per suspicious
event that student code starts: reading or listing a path outside the sandbox, opening a network
connection, starting a process, adding another audit hook. It records evidence; it blocks nothing.
"""

from __future__ import annotations

import json
import os
import sys

_PATH_EVENTS = frozenset({"open", "os.listdir", "os.scandir", "os.chdir", "shutil.copyfile", "glob.glob"})
_OTHER_EVENTS = frozenset({"socket.connect", "socket.bind", "subprocess.Popen", "os.system", "os.exec",
                           "os.posix_spawn", "sys.addaudithook", "os.kill", "ctypes.dlopen"})
_MAX_EVENTS = 200
_STACK_DEPTH = 16


def _within(path: str, roots: tuple[str, ...]) -> bool:
    return any(path == root or path.startswith(root.rstrip("/") + "/") for root in roots)


def install_audit_hook(fd: int, sandbox_dir: str, read_roots: list[str]) -> None:
    """Record, on ``fd``, events started by code from a notebook cell (see the module docstring).

    A path event counts when the innermost non-standard-library caller is a cell (``open``,
    ``Path.read_text``, ``os.listdir`` in student code), or when a cell is anywhere on the stack and
    the path is outside the sandbox and outside ``read_roots`` (``np.load('/course/...')``): the
    grader passes the system's folders, Python and the course's readable paths, so that a library
    opening ``/dev/null`` or ``/proc/self/maps`` for a cell is not evidence.
    """
    import sysconfig
    import tempfile

    stdlib = os.path.realpath(sysconfig.get_paths()["stdlib"])
    site_dirs = tuple(os.path.realpath(p) for p in sys.path if "site-packages" in p or "dist-packages" in p)
    allowed = tuple(os.path.realpath(p) for p in read_roots) + (os.path.realpath(sandbox_dir),)
    sandbox = (os.path.realpath(sandbox_dir),)
    state = {"count": 0, "cells": None}

    def caller(frame):
        """('cell', line) if a cell started this, ('lib', None) if a library did, else None."""
        if state["cells"] is None:
            state["cells"] = os.path.realpath(tempfile.gettempdir()) + os.sep + "ipykernel_"
        innermost = None
        for _ in range(_STACK_DEPTH):
            if frame is None:
                break
            name = frame.f_code.co_filename
            if name.startswith("<frozen importlib"):
                return None  # an import, whoever asked for it
            if name.startswith(state["cells"]):
                return ("cell" if innermost in (None, "stdlib") else "lib"), frame.f_lineno
            if innermost in (None, "stdlib"):
                is_stdlib = name.startswith(stdlib) and not name.startswith(site_dirs) or name.startswith("<")
                innermost = "stdlib" if is_stdlib else "lib"
            frame = frame.f_back
        return None

    def hook(event, args, _write=os.write, _dumps=json.dumps, _getframe=sys._getframe):
        if state["count"] >= _MAX_EVENTS or (event not in _PATH_EVENTS and event not in _OTHER_EVENTS):
            return
        try:
            path = None
            if event in _PATH_EVENTS:
                if not args or not isinstance(args[0], (str, bytes, os.PathLike)):
                    return
                path = os.path.abspath(os.fsdecode(args[0]))
                if _within(path, sandbox) and ".." not in os.fsdecode(args[0]):
                    return
            origin = caller(_getframe(1))
            if origin is None:
                return
            kind, line = origin
            if event in _PATH_EVENTS and kind == "lib" and _within(path, allowed):
                return
            if event == "ctypes.dlopen" and kind == "lib" and isinstance(args[0], str) and _within(args[0], allowed):
                return  # a library loading its own shared objects (torch's libgomp...)
            state["count"] += 1
            record = {"event": event, "arg": path if path is not None else repr(args)[:200], "line": line}
            _write(fd, (_dumps(record) + "\n").encode())
        except Exception:
            pass

    sys.addaudithook(hook)


def _fit_to_sandbox(spec: dict) -> None:
    """In a forked kernel: forget state the grader's process cached, as a fresh interpreter would."""
    import tempfile

    tempfile.tempdir = None  # TMPDIR changed
    if sys.path and os.path.isdir(sys.path[0]):
        sys.path[0] = os.getcwd()  # `python -m ipykernel_launcher` puts the working folder first
    threads = spec.get("threads")
    if threads and "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(int(threads))


def _preload_and_limit(modules: list[str], memory_mb: int | None) -> None:
    import importlib
    import resource

    for name in modules:
        try:
            importlib.import_module(name)
        except Exception:
            pass
    if memory_mb:
        with open("/proc/self/status") as f:
            size = next(int(line.split()[1]) * 1024 for line in f if line.startswith("VmSize:"))
        limit = size + memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def main(spec: dict, forked: bool = False) -> None:
    """Run the kernel described by ``spec`` (connection_file, audit_fd, sandbox_dir, read_roots, ...)."""
    sys.argv = ["ipykernel_launcher", "-f", spec["connection_file"]]
    if forked:
        _fit_to_sandbox(spec)
    from ipykernel.kernelapp import IPKernelApp

    if not forked:  # a fresh interpreter: import what a forked kernel inherits, then cap its memory
        _preload_and_limit(spec.get("preload", []), spec.get("memory_mb"))
    if spec.get("audit_fd") is not None:
        install_audit_hook(int(spec["audit_fd"]), spec["sandbox_dir"], spec.get("read_roots", []))

    argv = ["-f", spec["connection_file"], "--HistoryManager.hist_file=:memory:", *spec.get("extra_arguments", [])]
    IPKernelApp.launch_instance(argv=argv)


if __name__ == "__main__":
    main(json.loads(sys.argv[-1]))
