"""The answers channel: a data-only file the kernel appends to and the judge parses strictly.

A file is a sequence of records, each::

    b"CGA1" | header length (4 bytes, big-endian) | header (UTF-8 JSON) | array bytes

The header is ``{"key": [check, part, call], "value": <JSON>, "arrays": [[dtype, shape], ...]}``:
``key`` names the answer (the course's checks module chooses the strings; ``call`` counts the
student calls of one part), ``value`` describes the answer in JSON (numbers, strings, lists,
objects: which array goes where is the course's convention), and ``arrays`` gives the dtype
(``float32``, ``float64``, ``int64`` or ``bool``) and shape of each array whose little-endian,
C-order bytes follow the header, in order. No pickle, no code: anything else is rejected.
A course whose checks cannot import classgrade (students do not install the grader) writes the
same format itself, in a few lines.
"""

from __future__ import annotations

import json
import math
import os
import stat
import struct

import numpy as np

ANSWERS_ENV = "CLASSGRADE_ANSWERS"  # the kernel's environment variable naming its answers file
MAGIC = b"CGA1"
_LENGTH = struct.Struct(">I")
DTYPES = {"float32": "<f4", "float64": "<f8", "int64": "<i8", "bool": "|b1"}
MAX_BYTES = 256 * 1024 * 1024  # an answers file is read up to this size
MAX_HEADER = 1024 * 1024
MAX_RECORDS = 100_000
MAX_ARRAYS = 256  # per record
MAX_DIMS = 8

Key = tuple[str, str, int]
Answer = tuple[object, list[np.ndarray]]  # (the JSON value, its arrays)


class ChannelError(ValueError):
    """The answers are malformed: the cell they belong to fails."""


def write_record(path: str, key: Key, value=None, arrays=()) -> None:
    """Append one answer to ``path``: ``value`` (JSON) and numpy ``arrays`` of the allowed dtypes."""
    names = {np.dtype(code): name for name, code in DTYPES.items()}
    arrays = [np.asarray(a, order="C") for a in arrays]
    header = {"key": list(key), "value": value, "arrays": [[names[a.dtype], list(a.shape)] for a in arrays]}
    data = json.dumps(header).encode()
    payload = b"".join(a.astype(DTYPES[names[a.dtype]], copy=False).tobytes() for a in arrays)
    with open(path, "ab") as f:
        f.write(MAGIC + _LENGTH.pack(len(data)) + data + payload)


def read_bytes(path: str, limit: int = MAX_BYTES) -> bytes:
    """The file's content, without following a link or blocking on a FIFO; b"" if there is none."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except FileNotFoundError:
        return b""
    except OSError as error:
        raise ChannelError(f"the answers file cannot be opened: {error.strerror}") from None
    with os.fdopen(fd, "rb") as f:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise ChannelError("the answers file is not a regular file")
        data = f.read(limit + 1)
    if len(data) > limit:
        raise ChannelError(f"the answers file is larger than {limit} bytes")
    return data


def read_records(data: bytes) -> dict[Key, Answer]:
    """Parse ``data`` (all of it) into answers by key; :class:`ChannelError` if anything is off."""
    answers: dict[Key, Answer] = {}
    offset = 0
    while offset < len(data):
        if len(answers) >= MAX_RECORDS:
            raise ChannelError("too many answers")
        key, answer, offset = _record(data, offset)
        if key in answers:
            raise ChannelError(f"answer {key} was written twice")
        answers[key] = answer
    return answers


def _record(data: bytes, offset: int) -> tuple[Key, Answer, int]:
    if data[offset : offset + len(MAGIC)] != MAGIC:
        raise ChannelError(f"no record starts at byte {offset}")
    offset += len(MAGIC)
    if offset + _LENGTH.size > len(data):
        raise ChannelError("truncated record")
    (size,) = _LENGTH.unpack_from(data, offset)
    offset += _LENGTH.size
    if size > MAX_HEADER or offset + size > len(data):
        raise ChannelError("truncated or oversized record header")
    try:
        header = json.loads(data[offset : offset + size].decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise ChannelError("a record header is not JSON") from None
    offset += size
    key, specs = _header(header)
    arrays = []
    for dtype, shape in specs:
        count = math.prod(shape)
        length = count * np.dtype(DTYPES[dtype]).itemsize
        if offset + length > len(data):
            raise ChannelError(f"answer {key}: truncated array")
        arrays.append(np.frombuffer(data, DTYPES[dtype], count, offset).reshape(shape).copy())
        offset += length
    return key, (header.get("value"), arrays), offset


def _header(header) -> tuple[Key, list[tuple[str, tuple[int, ...]]]]:
    if not isinstance(header, dict) or set(header) - {"key", "value", "arrays"}:
        raise ChannelError("a record header has unexpected fields")
    key = header.get("key")
    if not (
        isinstance(key, list)
        and len(key) == 3
        and all(isinstance(k, str) for k in key[:2])
        and type(key[2]) is int
        and 0 <= key[2]
    ):
        raise ChannelError("a record key is not [check, part, call]")
    specs = header.get("arrays", [])
    if not isinstance(specs, list) or len(specs) > MAX_ARRAYS:
        raise ChannelError("a record's arrays are malformed")
    checked = []
    for spec in specs:
        if not (
            isinstance(spec, list)
            and len(spec) == 2
            and spec[0] in DTYPES
            and isinstance(spec[1], list)
            and len(spec[1]) <= MAX_DIMS
            and all(type(n) is int and 0 <= n <= MAX_BYTES for n in spec[1])
        ):
            raise ChannelError(f"answer {key}: an array has a bad dtype or shape")
        checked.append((spec[0], tuple(spec[1])))
    return (key[0], key[1], key[2]), checked
