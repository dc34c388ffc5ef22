"""Start an IPython kernel for a student's notebook, with an audit hook that records tampering.

This file must not import the course's package (nor classgrade): in ``spawn`` mode it runs as a fresh interpreter's
``-c`` script, exactly where ``python -m ipykernel_launcher`` would run. In ``fork`` mode the
grader calls ``main`` in a child forked from a process that has already imported the kernel and
the preloaded libraries.

The audit hook (PEP 578, which code cannot remove once added) writes one record per suspicious
event that student code starts: reading or listing a path outside the sandbox (or any path, when
the cell itself opens it: ``open``, IPython's wrapper of it, ``io.open``, ``os.open``, pathlib),
opening a network connection, starting a process, adding another audit hook, reaching into the
interpreter's objects (``gc``, ``ctypes`` memory). It records evidence; it blocks nothing.

The channel is made so that the kernel's own code can neither hide nor forge what the hook wrote:

* records go down a pipe the runner drains while the kernel runs (nothing to truncate, seek or
  re-read, no cap for harmless records to fill): every record arrives, or the runner says why not;
* each record carries a sequence number and an HMAC-SHA256 tag under a key the hook draws at boot,
  before any cell runs, and sends to the runner once over a second pipe it then closes. The key
  lives only inside a keyed C object in the hook's closure, reachable from Python only through
  ``gc`` or memory reads, which are themselves audit events the hook records (and tags) first. The
  runner keeps the tagged records and reports any other byte in the channel as a forgery;
* the hook runs no code a cell could have replaced: it holds every function it calls from boot
  (C functions and its own closures), and turns arguments into text without calling their methods;
* a cell that floods the hook with distinct harmless events gets a final ``flood`` record once the
  hook has written :data:`MAX_RECORDS`, and at the end the runner asks the hook for a heartbeat
  record, whose absence says the channel was cut.
"""

from __future__ import annotations

import json
import os
import struct
import sys

_PATH_EVENTS = frozenset({"open", "os.listdir", "os.scandir", "os.chdir", "shutil.copyfile", "glob.glob"})
_OTHER_EVENTS = frozenset(
    {
        "socket.connect",
        "socket.bind",
        "subprocess.Popen",
        "os.system",
        "os.exec",
        "os.posix_spawn",
        "sys.addaudithook",
        "ctypes.dlopen",
    }  # fmt: skip
)
# Events a cell starts to reach the interpreter's objects: the hook's key is among them.
_REACHING_EVENTS = frozenset({"gc.get_objects", "gc.get_referrers", "gc.get_referents", "ctypes.addressof",
                              "ctypes.string_at", "ctypes.wstring_at", "ctypes.cdata"})  # fmt: skip
HEARTBEAT = "classgrade.heartbeat"  # sys.audit(HEARTBEAT, nonce): the runner's check that the channel is whole
MAGIC = b"CGAU"
HEADER = struct.Struct(">4sII")  # magic, sequence number, payload length
TAG_BYTES = 16  # of HMAC-SHA256
KEY_BYTES = 32
MAX_RECORDS = 1000  # distinct records the hook writes; then one flood record, and no more
MAX_PAYLOAD = 3000  # bytes of a record's payload: a record stays below PIPE_BUF, so each write is whole
SEPARATOR = "\x1f"  # between a payload's event, argument and line


def _forms(path: str) -> set[str]:
    """A root as given, absolute, and with its links resolved: a file is opened under whichever the
    library that opens it computed (an editable install, a home folder reached through a link)."""
    return {os.path.abspath(path).rstrip("/") or "/", os.path.realpath(path).rstrip("/") or "/"}


def install_audit_hook(
    fd: int, key_fd: int, sandbox_dir: str, read_roots: list[str], packages: tuple[str, ...] = ()
) -> None:
    """Record, on pipe ``fd``, events started by code from a notebook cell (see the module docstring).

    A path event counts when the innermost caller that is neither the standard library nor
    IPython's ``open`` wrapper is a cell (whatever the path: ``open('/etc/passwd')``), or when a
    cell is anywhere on the stack and the path is outside the sandbox and outside ``read_roots``
    (``np.load('/course/...')``): the grader passes the system's folders, Python and the course's
    readable paths, so that a library opening ``/dev/null`` or ``/proc/self/maps`` for a cell is
    not evidence. ``packages`` (the reference package, the checks) are readable wherever they
    are installed: their folders, as this interpreter imported them, join ``read_roots``.

    The hook's key is written to ``key_fd``, which is then closed.
    """
    import _hashlib
    import _socket
    import sysconfig
    import tempfile

    stdlib = os.path.realpath(sysconfig.get_paths()["stdlib"])
    site_dirs = tuple(os.path.realpath(p) for p in sys.path if "site-packages" in p or "dist-packages" in p)
    roots = set().union(*(_forms(p) for p in [*read_roots, *_package_dirs(packages)]))
    allowed = tuple(sorted(roots)) + tuple(_forms(sandbox_dir))
    sandbox = tuple(_forms(sandbox_dir))
    temporary = tempfile.gettempdir()
    cells = tuple(f"{t}{os.sep}ipykernel_" for t in {temporary, os.path.realpath(temporary)})
    opener = getattr(sys.modules.get("IPython.core.interactiveshell"), "_modified_open", None)
    transparent = frozenset({id(opener.__code__)} if hasattr(opener, "__code__") else ())
    key = os.urandom(KEY_BYTES)
    keyed = _hashlib.hmac_new(key, digestmod="sha256")
    os.write(key_fd, key)
    os.close(key_fd)
    del key
    state = {"sequence": 0, "inside": False, "flooded": False}
    seen: set = set()
    _type, _isinstance, _len, _id = type, isinstance, len, id
    _str, _bytes_decode = str.__str__, bytes.decode
    _type_name = type.__dict__["__name__"].__get__
    _getcwd, _write, _getframe, _Exception = os.getcwd, os.write, sys._getframe, Exception
    _pack = HEADER.pack
    _family = _socket.socket.__dict__["family"].__get__  # the C getter: socket.socket.family is Python

    def text(value, depth: int = 0) -> str:
        """``value`` as text, without calling any of its methods (a cell's class could run code here)."""
        kind = _type(value)
        if kind is str:
            return value
        if _isinstance(value, str):
            return _str(value)
        if _isinstance(value, bytes):
            return _bytes_decode(value, "utf-8", "surrogateescape")
        if kind is int or kind is bool or kind is float or value is None:
            return f"{value}"
        if (kind is tuple or kind is list) and depth < 2:
            items = [text(v, depth + 1) if _type(v) is not str else "'" + v + "'" for v in value[:20]]
            return "(" + ", ".join(items) + ")"
        return "<" + _type_name(kind) + ">"

    def absolute(path: str) -> str:
        """``os.path.abspath``, written here: the hook calls no function a cell could have replaced."""
        if not path.startswith("/"):
            path = _getcwd() + "/" + path
        parts: list[str] = []
        for part in path.split("/"):
            if part == ".." and parts:
                parts.pop()
            elif part not in ("", ".", ".."):
                parts.append(part)
        return "/" + "/".join(parts)

    def within(path: str, folders: tuple[str, ...]) -> bool:
        for folder in folders:
            if folder == "/" or path == folder or path.startswith(folder + "/"):
                return True
        return False

    def caller(frame):
        """('cell', line) if a cell started this, ('lib', line) if a library did for a cell, else None."""
        innermost = None
        while frame is not None:
            code = frame.f_code
            name = code.co_filename
            if name.startswith("<frozen importlib"):
                return None  # an import, whoever asked for it
            if name.startswith(cells):
                return ("cell" if innermost in (None, "stdlib") else "lib"), frame.f_lineno
            if innermost in (None, "stdlib"):
                passing = _id(code) in transparent or name.startswith("<")
                passing = passing or name.startswith(stdlib) and not name.startswith(site_dirs)
                innermost = "stdlib" if passing else "lib"
            frame = frame.f_back
        return None

    def emit(event: str, arg: str, line) -> None:
        payload = f"{event}{SEPARATOR}{arg}{SEPARATOR}{line}".encode("utf-8", "backslashreplace")[:MAX_PAYLOAD]
        header = _pack(MAGIC, state["sequence"], _len(payload))
        state["sequence"] += 1
        tag = keyed.copy()
        tag.update(header + payload)
        _write(fd, header + payload + tag.digest()[:TAG_BYTES])

    def record(event: str, args) -> None:
        if event == HEARTBEAT:
            emit(event, text(args[0]) if args else "", 0)
            return
        path = None
        if event in _PATH_EVENTS:
            if not args or not (_isinstance(args[0], str) or _isinstance(args[0], bytes)):
                return  # a file descriptor, or the working folder
            raw = text(args[0])
            path = absolute(raw)
            if within(path, sandbox) and ".." not in raw:
                return
        origin = caller(_getframe(2))
        if origin is None:
            return
        kind, line = origin
        if event in _REACHING_EVENTS and kind != "cell":
            return  # libraries inspect objects and memory all the time
        if path is not None and kind == "lib" and within(path, allowed):
            return
        if event == "ctypes.dlopen" and kind == "lib" and args and _isinstance(args[0], str):
            name = text(args[0])
            if "/" not in name or within(absolute(name), allowed):
                return  # a library loading a shared object: its own, or one the loader finds in the system
        if path is not None:
            arg = path
        elif event in ("socket.connect", "socket.bind") and _len(args) >= 2:
            arg = f"family={_family(args[0])} {text(args[1])}"  # family=1: a unix socket
        else:
            arg = text(args) if event not in _REACHING_EVENTS else ""
        arg = arg[:1000]
        if (event, arg, line) in seen:
            return
        if _len(seen) >= MAX_RECORDS:
            if not state["flooded"]:
                state["flooded"] = True
                emit("audit.flood", f"more than {MAX_RECORDS} distinct events; later ones were not recorded", line)
            return
        seen.add((event, arg, line))
        emit(event, arg, line)

    def hook(event, args):
        if state["inside"] or not (
            event in _PATH_EVENTS or event in _OTHER_EVENTS or event in _REACHING_EVENTS or event == HEARTBEAT
        ):
            return
        state["inside"] = True  # what the hook itself does raises no event it records
        try:
            record(event, args)
        except _Exception:
            pass
        finally:
            state["inside"] = False

    sys.addaudithook(hook)


def _package_dirs(packages: tuple[str, ...]) -> list[str]:
    """Where ``packages`` live, as this interpreter imports them (imported already, or found)."""
    import importlib.util

    found = []
    for name in packages:
        module = sys.modules.get(name)
        paths = list(getattr(module, "__path__", []) or [])
        if not paths:
            try:
                spec = importlib.util.find_spec(name)
            except (ImportError, ValueError):
                spec = None
            paths = list(spec.submodule_search_locations or []) if spec else []
        found += [str(p) for p in paths]
    return found


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
        install_audit_hook(
            int(spec["audit_fd"]),
            int(spec.pop("audit_key_fd")),
            spec["sandbox_dir"],
            spec.get("read_roots", []),
            tuple(spec.get("packages", ())),
        )

    argv = ["-f", spec["connection_file"], "--HistoryManager.hist_file=:memory:", *spec.get("extra_arguments", [])]
    IPKernelApp.launch_instance(argv=argv)


if __name__ == "__main__":
    main(json.loads(sys.argv[-1]))
