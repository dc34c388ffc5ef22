"""The runner's end of the audit channel: every record the kernel's hook wrote, checked for forgery.

The kernel's audit hook (``kernel_boot.install_audit_hook``) writes tagged records down a pipe and
its key down another, once. Here, in the runner, a thread drains the records while the kernel runs
(so neither a flood nor a full pipe can stall or hide anything), and once the kernel is dead the
records are parsed and verified against the key: a record whose tag verifies, in sequence, is the
hook's; any other byte in the channel was written by the kernel's own code, and is evidence of
tampering, as are a gap in the sequence, a flood, and a missing heartbeat (the channel was cut).
"""

from __future__ import annotations

import fcntl
import hmac
import os
import secrets
import threading

from . import kernel_boot

MAX_KEPT = kernel_boot.MAX_RECORDS + 1  # records handed to the report: all the hook writes, its flood record too


def above_stdio(fd: int) -> int:
    """``fd`` moved above 2 if it is one of 0, 1, 2 (a worker closed its standard streams, and the
    kernel's start points those at /dev/null and its log): the kernel would lose it."""
    if fd > 2:
        return fd
    high = fcntl.fcntl(fd, fcntl.F_DUPFD, 3)
    os.close(fd)
    return high


def _pipe() -> tuple[int, int]:
    read, write = os.pipe()
    return above_stdio(read), above_stdio(write)


class AuditChannel:
    """The pipes between the kernel's audit hook and this runner, and what came through them."""

    def __init__(self) -> None:
        self.read_fd, self.write_fd = _pipe()  # records
        self.key_read_fd, self.key_write_fd = _pipe()  # the hook's key, once
        self.nonce = secrets.token_hex(8)  # what the heartbeat must carry
        self.verifier: Verifier | None = None
        self.dropped = 0
        self._thread = threading.Thread(target=self._drain, name="audit", daemon=True)

    @property
    def kernel_fds(self) -> dict[str, int]:
        """The descriptors the kernel inherits."""
        return {"audit_fd": self.write_fd, "audit_key_fd": self.key_write_fd}

    def started(self) -> None:
        """The kernel has its ends: close ours, and verify the records as they come."""
        os.close(self.write_fd)
        os.close(self.key_write_fd)
        self._thread.start()

    def heartbeat(self) -> str:
        """Python for the kernel to evaluate: the hook then writes a heartbeat record with our nonce."""
        return f"__import__('sys').audit({kernel_boot.HEARTBEAT!r}, {self.nonce!r})"

    def _drain(self) -> None:
        """Read the key (the hook sends it at boot, before any record), then every record as it comes,
        keeping the verified ones only: junk, however much, never pushes a record out."""
        self.verifier = Verifier(self._key())
        while True:
            try:
                chunk = os.read(self.read_fd, 1 << 16)
            except OSError:
                break
            if not chunk:
                break
            self.verifier.feed(chunk)
        self.verifier.feed(b"", final=True)
        os.close(self.read_fd)

    def finish(self, expect_heartbeat: bool) -> list[dict]:
        """After the kernel is dead: the hook's records, then what is wrong with the channel, as records."""
        self._thread.join(timeout=10.0)
        verifier = self.verifier or Verifier(None)
        records = verifier.records
        found = [r for r in records if r["event"] != kernel_boot.HEARTBEAT][:MAX_KEPT]
        problems = []
        if verifier.key is None and verifier.junk:
            problems.append("the kernel's audit hook sent no key: its channel cannot be verified")
        elif verifier.junk:
            problems.append(
                f"{verifier.junk} bytes in the audit channel were not written by the grader's hook (forged)"
            )
        if verifier.gaps:
            problems.append(f"{verifier.gaps} records of the audit hook are missing from the channel")
        if len(records) > MAX_KEPT:
            problems.append(f"the audit hook wrote more than {MAX_KEPT} records: the rest were not kept")
        heard = any(r["event"] == kernel_boot.HEARTBEAT and r["arg"] == self.nonce for r in records)
        if expect_heartbeat and not heard:
            problems.append("the audit channel was cut: the hook's last record (a heartbeat) never arrived")
        return found + [{"event": "audit.channel", "arg": problem, "line": None} for problem in problems]

    def _key(self) -> bytes | None:
        key = b""
        try:
            while len(key) < kernel_boot.KEY_BYTES:
                chunk = os.read(self.key_read_fd, kernel_boot.KEY_BYTES - len(key))
                if not chunk:
                    break
                key += chunk
        except OSError:
            pass
        finally:
            os.close(self.key_read_fd)
        return key if len(key) == kernel_boot.KEY_BYTES else None


class Verifier:
    """Records taken from a stream of bytes as they come: those whose tags verify under ``key``.

    Forged bytes may sit anywhere, even inside what looks like a record's header: every occurrence
    of the magic is tried, and only a record whose tag verifies is taken. Memory stays bounded:
    a record is at most :data:`RECORD_BYTES` long, so anything older than that is settled.
    """

    RECORD_BYTES = kernel_boot.HEADER.size + kernel_boot.MAX_PAYLOAD + kernel_boot.TAG_BYTES

    def __init__(self, key: bytes | None):
        self.key = key
        self.records: list[dict] = []
        self.junk = 0  # bytes that belong to no record
        self.gaps = 0  # sequence numbers skipped
        self._expected = 0
        self._buffer = bytearray()

    def feed(self, data: bytes, final: bool = False) -> None:
        self._buffer += data
        position = 0
        while True:
            start = self._buffer.find(kernel_boot.MAGIC, position) if self.key is not None else -1
            if start < 0:
                keep = 0 if final else min(len(self._buffer) - position, len(kernel_boot.MAGIC) - 1)
                self.junk += len(self._buffer) - position - keep
                position = len(self._buffer) - keep
                break
            self.junk += start - position
            taken = self._record(start, final)
            if taken is None:  # a record may still be arriving
                position = start
                break
            position = start + (taken or 1)
            self.junk += 0 if taken else 1
        del self._buffer[:position]

    def _record(self, start: int, final: bool) -> int | None:
        """Bytes of the verified record at ``start``, 0 if none is there, None if it may still come."""
        header = kernel_boot.HEADER
        if start + header.size > len(self._buffer):
            return 0 if final else None
        _magic, sequence, length = header.unpack_from(self._buffer, start)
        if length > kernel_boot.MAX_PAYLOAD:
            return 0
        end = start + header.size + length + kernel_boot.TAG_BYTES
        if end > len(self._buffer):
            return 0 if final else None
        body = bytes(self._buffer[start : end - kernel_boot.TAG_BYTES])
        if not hmac.compare_digest(_tag(self.key, body), bytes(self._buffer[end - kernel_boot.TAG_BYTES : end])):
            return 0
        event, _, rest = body[header.size :].decode("utf-8", "replace").partition(kernel_boot.SEPARATOR)
        arg, _, line = rest.rpartition(kernel_boot.SEPARATOR)
        self.records.append({"event": event, "arg": arg, "line": int(line) if line.isdigit() else None})
        self.gaps += max(0, sequence - self._expected)
        self._expected = max(self._expected, sequence + 1)
        return end - start


def verify(data: bytes, key: bytes | None) -> tuple[list[dict], int, int]:
    """(the records of ``data`` whose tags verify under ``key``, bytes that belong to none, missing records)."""
    verifier = Verifier(key)
    verifier.feed(data, final=True)
    return verifier.records, verifier.junk, verifier.gaps


def _tag(key: bytes, body: bytes) -> bytes:
    return hmac.new(key, body, "sha256").digest()[: kernel_boot.TAG_BYTES]
