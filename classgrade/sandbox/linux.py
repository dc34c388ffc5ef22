"""Thin ctypes wrappers around the Linux calls the sandbox needs, none of which needs root.

Namespaces (``unshare``), Landlock (file-system, TCP and scope rules), a seccomp filter that denies
internet sockets, capability dropping and ``prctl``. Each function raises ``OSError`` when the kernel
refuses; the policy of what to try, and what to do when it fails, lives in ``sandbox.py``.
Everything here is meant to run in a freshly forked, single-threaded child.
"""

from __future__ import annotations

import ctypes
import errno
import os
import platform
import struct

_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long

# Syscall numbers; Landlock's are the same on every architecture.
_MACHINE = platform.machine()
_NR = {
    "x86_64": {"capset": 126, "socket": 41, "io_uring_setup": 425},
    "aarch64": {"capset": 91, "socket": 198, "io_uring_setup": 425},
}.get(_MACHINE, {})
_NR_LANDLOCK_CREATE_RULESET, _NR_LANDLOCK_ADD_RULE, _NR_LANDLOCK_RESTRICT_SELF = 444, 445, 446
_AUDIT_ARCH = {"x86_64": 0xC000003E, "aarch64": 0xC00000B7}.get(_MACHINE)

CLONE_NEWUSER = 0x10000000
CLONE_NEWNET = 0x40000000
CLONE_NEWPID = 0x20000000
CLONE_NEWIPC = 0x08000000

_PR_SET_PDEATHSIG = 1
_PR_SET_NO_NEW_PRIVS = 38
_PR_CAPBSET_DROP = 24
_PR_SET_SECCOMP = 22
_SECCOMP_MODE_FILTER = 2

# Landlock access rights, by the ABI version that introduced them.
FS_EXECUTE = 1 << 0
FS_WRITE_FILE = 1 << 1
FS_READ_FILE = 1 << 2
FS_READ_DIR = 1 << 3
FS_REMOVE_DIR = 1 << 4
FS_REMOVE_FILE = 1 << 5
FS_MAKE_CHAR = 1 << 6
FS_MAKE_DIR = 1 << 7
FS_MAKE_REG = 1 << 8
FS_MAKE_SOCK = 1 << 9
FS_MAKE_FIFO = 1 << 10
FS_MAKE_BLOCK = 1 << 11
FS_MAKE_SYM = 1 << 12
FS_REFER = 1 << 13  # ABI 2
FS_TRUNCATE = 1 << 14  # ABI 3
FS_IOCTL_DEV = 1 << 15  # ABI 5
NET_BIND_TCP = 1 << 0  # ABI 4
NET_CONNECT_TCP = 1 << 1  # ABI 4
SCOPE_ABSTRACT_UNIX_SOCKET = 1 << 0  # ABI 6
SCOPE_SIGNAL = 1 << 1  # ABI 6

FS_FILE_RIGHTS = FS_EXECUTE | FS_WRITE_FILE | FS_READ_FILE | FS_TRUNCATE | FS_IOCTL_DEV
_FS_BY_ABI = {1: (1 << 13) - 1, 2: (1 << 14) - 1, 3: (1 << 15) - 1, 5: (1 << 16) - 1}


def _check(result: int) -> int:
    if result < 0:
        code = ctypes.get_errno()
        raise OSError(code, os.strerror(code))
    return result


def unshare(flags: int) -> None:
    """Move the calling (single-threaded) process into new namespaces."""
    _check(_libc.unshare(ctypes.c_int(flags)))


def map_current_user(uid: int, gid: int) -> None:
    """After ``unshare(CLONE_NEWUSER)``: map the outer uid and gid to themselves."""
    with open("/proc/self/setgroups", "w") as f:
        f.write("deny")
    with open("/proc/self/uid_map", "w") as f:
        f.write(f"{uid} {uid} 1")
    with open("/proc/self/gid_map", "w") as f:
        f.write(f"{gid} {gid} 1")


def loopback_up() -> None:
    """Bring up ``lo`` in a new network namespace (needs CAP_NET_ADMIN there, which unshare gives)."""
    import fcntl
    import socket

    siocgifflags, siocsifflags, iff_up = 0x8913, 0x8914, 0x1
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        request = struct.pack("16sH14x", b"lo", 0)
        flags = struct.unpack("16sH14x", fcntl.ioctl(sock, siocgifflags, request))[1]
        fcntl.ioctl(sock, siocsifflags, struct.pack("16sH14x", b"lo", flags | iff_up))


def set_parent_death_signal(signum: int) -> None:
    _check(_libc.prctl(_PR_SET_PDEATHSIG, ctypes.c_ulong(signum), 0, 0, 0))


def set_no_new_privs() -> None:
    _check(_libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))


def drop_capabilities() -> None:
    """Drop every capability (bounding set, then effective/permitted/inheritable)."""
    for cap in range(64):
        if _libc.prctl(_PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 and ctypes.get_errno() == errno.EINVAL:
            break
    header = struct.pack("II", 0x20080522, 0)  # _LINUX_CAPABILITY_VERSION_3, this process
    data = bytes(24)  # two zeroed __user_cap_data_struct
    _check(_libc.syscall(_NR["capset"], ctypes.c_char_p(header), ctypes.c_char_p(data)))


# --- Landlock -------------------------------------------------------------------------------------


def landlock_abi() -> int:
    """The Landlock ABI version the running kernel offers, 0 when it has none."""
    result = _libc.syscall(_NR_LANDLOCK_CREATE_RULESET, None, ctypes.c_size_t(0), ctypes.c_uint32(1))
    return max(int(result), 0)


def landlock_fs_rights(abi: int) -> int:
    """Every file-system right that ABI ``abi`` can restrict."""
    return _FS_BY_ABI[max(v for v in _FS_BY_ABI if v <= abi)] if abi else 0


def landlock_restrict(abi: int, fs_rules: list[tuple[str, int]], *, deny_tcp: bool, scope: bool) -> None:
    """Restrict this process (and its future children) to ``fs_rules``: (path, allowed rights).

    Handles every file-system right of ``abi``; with ``deny_tcp`` (ABI >= 4) no TCP bind or connect
    is allowed; with ``scope`` (ABI >= 6) no signal or abstract unix socket reaches outside the
    sandbox. Paths that do not exist are skipped.
    """
    handled_fs = landlock_fs_rights(abi)
    handled_net = NET_BIND_TCP | NET_CONNECT_TCP if deny_tcp and abi >= 4 else 0
    scoped = SCOPE_ABSTRACT_UNIX_SOCKET | SCOPE_SIGNAL if scope and abi >= 6 else 0
    if abi >= 6:
        attr = struct.pack("QQQ", handled_fs, handled_net, scoped)
    elif abi >= 4:
        attr = struct.pack("QQ", handled_fs, handled_net)
    else:
        attr = struct.pack("Q", handled_fs)
    ruleset = _check(_libc.syscall(_NR_LANDLOCK_CREATE_RULESET, ctypes.c_char_p(attr), ctypes.c_size_t(len(attr)), ctypes.c_uint32(0)))
    try:
        for path, rights in fs_rules:
            try:
                fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
            except OSError:
                continue
            try:
                if not os.path.isdir(path):
                    rights &= FS_FILE_RIGHTS
                rule = struct.pack("=Qi", rights & handled_fs, fd)
                _check(_libc.syscall(_NR_LANDLOCK_ADD_RULE, ctypes.c_int(ruleset), ctypes.c_int(1), ctypes.c_char_p(rule), ctypes.c_uint32(0)))
            finally:
                os.close(fd)
        set_no_new_privs()
        _check(_libc.syscall(_NR_LANDLOCK_RESTRICT_SELF, ctypes.c_int(ruleset), ctypes.c_uint32(0)))
    finally:
        os.close(ruleset)


# --- seccomp ----------------------------------------------------------------------------------------


def seccomp_deny_internet_sockets() -> None:
    """Install a seccomp filter: ``socket(AF_INET|AF_INET6|AF_PACKET, ...)`` and io_uring fail with EACCES.

    The fallback for kernels without user namespaces; unix sockets (the kernel's own transport) work.
    """
    if _AUDIT_ARCH is None or "socket" not in _NR:
        raise OSError(errno.ENOSYS, f"no seccomp filter for {_MACHINE}")
    allow, deny = 0x7FFF0000, 0x00050000 | errno.EACCES
    ld_abs, jeq, ret = 0x20, 0x15, 0x06  # BPF_LD|BPF_W|BPF_ABS, BPF_JMP|BPF_JEQ|BPF_K, BPF_RET|BPF_K

    def insn(code: int, jt: int, jf: int, k: int) -> bytes:
        return struct.pack("HBBI", code, jt, jf, k)

    program = [
        insn(ld_abs, 0, 0, 4),  # A = arch
        insn(jeq, 1, 0, _AUDIT_ARCH),
        insn(ret, 0, 0, allow),
        insn(ld_abs, 0, 0, 0),  # A = syscall number
        insn(jeq, 0, 1, _NR["io_uring_setup"]),
        insn(ret, 0, 0, deny),
        insn(jeq, 1, 0, _NR["socket"]),
        insn(ret, 0, 0, allow),
        insn(ld_abs, 0, 0, 16),  # A = low half of args[0], the address family
        insn(jeq, 3, 0, 2),  # AF_INET
        insn(jeq, 2, 0, 10),  # AF_INET6
        insn(jeq, 1, 0, 17),  # AF_PACKET
        insn(ret, 0, 0, allow),
        insn(ret, 0, 0, deny),
    ]
    code = b"".join(program)
    buffer = ctypes.create_string_buffer(code)
    prog = struct.pack("HxxxxxxQ", len(program), ctypes.addressof(buffer))
    set_no_new_privs()
    _check(_libc.prctl(_PR_SET_SECCOMP, _SECCOMP_MODE_FILTER, ctypes.c_char_p(prog), 0, 0))


def vm_size() -> int:
    """This process's virtual memory size in bytes (``VmSize`` in ``/proc/self/status``), 0 if unknown."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    return 0
