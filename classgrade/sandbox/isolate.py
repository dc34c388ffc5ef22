"""Isolate a student's kernel from the instructor's account, without root where Linux allows it.

``enter`` runs in a freshly forked, single-threaded process, before the kernel starts, and applies
in order, each step on its own so that one missing feature does not disable the others:

1. resource limits (``setrlimit``): address space, file size, open files, CPU time, no core dumps;
2. new user, network, PID and IPC namespaces (``unshare``): no network interface but a loopback
   that is down; the kernel is PID 1 of its own PID namespace, so every process it starts dies
   with it; the process count limit is counted inside the namespace;
3. all capabilities dropped, so root inside the namespace (or a grader running as root) has none;
4. a seccomp filter denying internet sockets, only where the namespaces are unavailable;
5. Landlock: read-only access to the system and the Python installation, read-write access to
   the submission's private sandbox folder, nothing else (no course folder, no gradebook, no
   ``solutions/``, no other submission, no home folder); no TCP; no signal or abstract socket
   to a process outside the sandbox.

``enter`` returns what it applied, and what it could not, so each run records its real isolation.
"""

from __future__ import annotations

import dataclasses
import errno
import json
import os
import resource
import signal
import socket
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from . import linux

MIB = 1024 * 1024
# System folders a Python kernel needs to read (and run programs from).
SYSTEM_READ_PATHS = ("/usr", "/lib", "/lib32", "/lib64", "/bin", "/sbin", "/etc", "/proc", "/sys", "/dev")
# Devices a kernel may write to; GPUs (read-write plus ioctl) when present.
DEVICE_WRITE_PATHS = ("/dev/null", "/dev/zero", "/dev/full", "/dev/tty", "/dev/dri")
_READ = linux.FS_EXECUTE | linux.FS_READ_FILE | linux.FS_READ_DIR
_ALL = (1 << 16) - 1


@dataclass(frozen=True)
class SandboxConfig:
    """Limits and isolation for one kernel. Every limit applies to the kernel and its children."""

    memory_mb: int = 4096  # address space a kernel may add to its start-up footprint (RLIMIT_AS)
    file_size_mb: int = 512  # largest file the kernel may write (RLIMIT_FSIZE)
    open_files: int = 1024  # file descriptors (RLIMIT_NOFILE)
    processes: int = 1024  # processes and threads inside the kernel's user namespace (RLIMIT_NPROC)
    cpu_seconds: int | None = None  # CPU time of the kernel (RLIMIT_CPU); None: no limit
    namespaces: bool = True  # new user, network, PID and IPC namespaces
    network: bool = False  # allow internet access (off: no network namespace interface, no sockets)
    landlock: bool = True  # file-system, TCP and signal restrictions
    read_paths: tuple[str, ...] = ()  # more paths the kernel may read, e.g. the data set
    protected_paths: tuple[str, ...] = ()  # never readable (the course folder), except...
    exception_paths: tuple[str, ...] = ()  # ...these paths inside them (the course's package, if editable)


@dataclass
class Applied:
    """What ``enter`` managed to apply; ``missing`` lists what it could not, with the reason."""

    applied: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


def python_read_paths() -> list[str]:
    """The Python installation: prefixes, the interpreter's folder, every import root."""
    paths = {sys.prefix, sys.base_prefix, sys.exec_prefix, os.path.dirname(os.path.realpath(sys.executable))}
    paths.update(p for p in sys.path if p and os.path.isdir(p))
    return sorted(paths)


def package_dirs(name: str) -> list[str]:
    """Where package ``name`` lives (an editable install may put it inside the course folder)."""
    import importlib.util

    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return []
    return list(spec.submodule_search_locations or []) if spec else []


def _within(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip("/") + "/")


def landlock_rules(config: SandboxConfig, sandbox_dir: str) -> list[tuple[str, int]]:
    """(path, rights) rules: read the system and Python, write the sandbox, never the protected paths.

    Landlock can only allow, so a readable path that contains a protected one is opened up child by
    child, leaving out the protected ones (and listing nothing in between).
    """
    protected = [os.path.realpath(p) for p in config.protected_paths]
    exceptions = [os.path.realpath(p) for p in config.exception_paths]
    rules: list[tuple[str, int]] = []

    def allow_read(path: str, depth: int = 0) -> None:
        if any(_within(path, e) for e in exceptions):
            rules.append((path, _READ))
        elif any(_within(path, p) for p in protected):
            return
        elif not any(_within(x, path) for x in protected + exceptions):
            rules.append((path, _READ))
        elif depth < 16 and os.path.isdir(path):
            try:
                children = [entry.path for entry in os.scandir(path)]
            except OSError:
                return
            for child in children:
                allow_read(os.path.realpath(child), depth + 1)

    readable = list(SYSTEM_READ_PATHS) + python_read_paths() + list(config.read_paths) + exceptions
    for path in dict.fromkeys(os.path.realpath(p) for p in readable if os.path.exists(p)):
        allow_read(path)
    rules.append((os.path.realpath(sandbox_dir), _ALL))
    for path in DEVICE_WRITE_PATHS + tuple(str(p) for p in Path("/dev").glob("nvidia*")):
        rules.append((path, _READ | linux.FS_WRITE_FILE | linux.FS_IOCTL_DEV))
    return rules


def limit_memory(memory_mb: int) -> None:
    """Cap the address space at its current size plus ``memory_mb`` (soft and hard: no way back)."""
    value = linux.vm_size() + memory_mb * MIB
    _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    value = value if hard == resource.RLIM_INFINITY else min(value, hard)
    resource.setrlimit(resource.RLIMIT_AS, (value, value))


def _set_limits(config: SandboxConfig, applied: Applied, memory: bool) -> None:
    if memory:
        try:
            limit_memory(config.memory_mb)
        except (OSError, ValueError) as error:
            applied.missing.append(f"RLIMIT_AS: {error}")
    limits = {
        "RLIMIT_FSIZE": config.file_size_mb * MIB,
        "RLIMIT_NOFILE": config.open_files,
        "RLIMIT_CORE": 0,
    }
    if config.cpu_seconds:
        limits["RLIMIT_CPU"] = config.cpu_seconds
    for name, value in limits.items():
        which = getattr(resource, name)
        try:
            _soft, hard = resource.getrlimit(which)
            value = value if hard == resource.RLIM_INFINITY else min(value, hard)
            resource.setrlimit(which, (value, value))
        except (OSError, ValueError) as error:
            applied.missing.append(f"{name}: {error}")
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a too-large write fails with EFBIG instead of killing
    applied.applied.append(f"limits: memory +{config.memory_mb} MiB, files {config.file_size_mb} MiB, "
                           f"{config.open_files} fds" + (f", cpu {config.cpu_seconds} s" if config.cpu_seconds else ""))


def _enter_namespaces(config: SandboxConfig, applied: Applied) -> bool:
    """New user, PID, IPC (and, unless allowed, network) namespaces; returns whether the network is cut off."""
    uid, gid = os.getuid(), os.getgid()
    net = 0 if config.network else linux.CLONE_NEWNET
    label = "user, PID, IPC" + ("" if config.network else ", network")
    attempts = [
        (linux.CLONE_NEWUSER | linux.CLONE_NEWPID | linux.CLONE_NEWIPC | net, label),
        (linux.CLONE_NEWUSER | net, "user" + ("" if config.network else ", network")),
    ]
    reason = "disabled"
    for flags, names in attempts if config.namespaces else []:
        try:
            linux.unshare(flags)
            linux.map_current_user(uid, gid)
        except OSError as error:
            reason = f"unshare failed: {os.strerror(error.errno or errno.EPERM)}"
            continue
        try:
            resource.setrlimit(resource.RLIMIT_NPROC, (config.processes, config.processes))
        except (OSError, ValueError):
            pass
        if not config.network:
            try:
                linux.loopback_up()  # a private loopback, for the kernel's own subprocess pipes
            except OSError:
                pass
        applied.applied.append(f"namespaces: {names}")
        return not config.network
    applied.missing.append(f"namespaces: {reason}")
    return False


def enter(config: SandboxConfig, sandbox_dir: str, memory: bool = True) -> Applied:
    """Apply every restriction this machine supports to the calling, freshly forked process.

    After this the process may read the system and Python, write ``sandbox_dir`` only, and reach no
    network; if the namespaces were created, the next ``fork`` is PID 1 of a new PID namespace.
    With ``memory=False`` the caller sets the memory limit itself, later (``limit_memory``): a
    kernel that will ``exec`` a fresh interpreter sets it once that has imported its libraries.
    """
    applied = Applied()
    _set_limits(config, applied, memory)
    isolated_network = _enter_namespaces(config, applied)
    try:
        linux.drop_capabilities()
        applied.applied.append("capabilities: none")
    except (OSError, KeyError) as error:
        applied.missing.append(f"capabilities: {error}")
    if not isolated_network and not config.network:
        try:
            linux.seccomp_deny_internet_sockets()
            applied.applied.append("seccomp: no internet sockets")
        except OSError as error:
            applied.missing.append(f"network: no namespace and no seccomp ({error})")
    abi = linux.landlock_abi() if config.landlock else 0
    if abi:
        try:
            deny_tcp = not (isolated_network or config.network)  # a private loopback needs TCP
            linux.landlock_restrict(abi, landlock_rules(config, sandbox_dir), deny_tcp=deny_tcp, scope=True)
            extras = (", no TCP" if deny_tcp and abi >= 4 else "") + (", no signals out" if abi >= 6 else "")
            applied.applied.append(f"landlock ABI {abi}: read system+python, write sandbox{extras}")
        except OSError as error:
            applied.missing.append(f"landlock: {error}")
    else:
        applied.missing.append("landlock: " + ("disabled" if not config.landlock else "not supported by this kernel"))
    return applied


def check(config: SandboxConfig = SandboxConfig()) -> dict:
    """Report what isolation works on this machine: enter a sandbox in a child and try to escape.

    Returns ``{"applied": [...], "missing": [...], "escapes": {...}}`` where each escape is ``True``
    if the sandboxed child could still do it (network, reading a protected file, writing outside).
    """
    with tempfile.TemporaryDirectory() as root:
        sandbox_dir, secret_dir = os.path.join(root, "sandbox"), os.path.join(root, "course")
        os.makedirs(sandbox_dir)
        os.makedirs(secret_dir)
        secret = os.path.join(secret_dir, "gradebook.db")
        Path(secret).write_text("secret")
        config = dataclasses.replace(config, protected_paths=config.protected_paths + (secret_dir,))
        listener = socket.create_server(("127.0.0.1", 0))
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:  # child: sandbox itself, try to escape, report
            os.close(read_end)
            report: dict = {}
            try:
                report = enter(config, sandbox_dir).to_dict()
                report["escapes"] = _try_escapes(secret, root, listener.getsockname())
            except BaseException as error:  # report anything, never return into the caller's code
                report["error"] = repr(error)
            os.write(write_end, json.dumps(report).encode())
            os._exit(0)
        os.close(write_end)
        with os.fdopen(read_end, "rb") as pipe:
            data = pipe.read()
        os.waitpid(pid, 0)
        listener.close()
    return json.loads(data or b"{}")


def _try_escapes(secret: str, root: str, address: tuple) -> dict:
    escapes = {}
    try:
        socket.create_connection(address, timeout=2).close()
        escapes["network"] = True
    except OSError:
        escapes["network"] = False
    try:
        Path(secret).read_text()
        escapes["read protected file"] = True
    except OSError:
        escapes["read protected file"] = False
    try:
        Path(root, "outside.txt").write_text("x")
        escapes["write outside sandbox"] = True
    except OSError:
        escapes["write outside sandbox"] = False
    try:
        os.kill(os.getppid(), 0)
        escapes["signal the grader"] = True
    except OSError:
        escapes["signal the grader"] = False
    return escapes
