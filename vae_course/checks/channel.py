"""Answers as plain data: what crosses from the student's kernel to the grader's judge.

Under classgrade, the kernel's environment names an answers file (``CLASSGRADE_ANSWERS``). Each
answer is appended as one record of classgrade's format (``classgrade.judge.channel``; written
here so that the checks never import a grading tool)::

    b"CGA1" | header length (4 bytes, big-endian) | JSON header | array bytes

with the header ``{"key": [exercise, part, call], "value": ..., "arrays": [[dtype, shape], ...]}``.
A value is JSON: ``{"tensor": i, "dtype": ..., "device": ..., "requires_grad": ...}`` for the
i-th array as a tensor, ``{"ndarray": i}``, ``{"py": number, string, bool or None}``,
``{"tuple": [...]}``, ``{"list": [...]}``, ``{"dict": {...}}``, ``{"module": class name,
"parameters": [[name, shape], ...]}`` for a model (its state dict's parameters: the checks load the
reference's weights into it, so only names and shapes matter; its outputs are answers of their
own), ``{"object": type name}`` for anything else, and ``{"failure": message, "hint": ..., "error": ...}`` when the student's code
failed. Tensors and numbers, never pickled code.
"""

from __future__ import annotations

import json
import math
import os
import struct

import numpy as np
import torch
from torch import nn

ANSWERS_ENV = "CLASSGRADE_ANSWERS"
MAGIC = b"CGA1"
MAX_ITEMS = 1000  # leaves of one answer; beyond, the rest is sent as opaque objects
MAX_WEIGHTS = 50_000_000  # parameters of a replayed model (the course's have under a million)
_WIRE = {torch.float64: np.float64, torch.int64: np.int64, torch.bool: np.bool_}  # else float32
_DTYPES = {
    np.dtype(np.float32): "float32",
    np.dtype(np.float64): "float64",
    np.dtype(np.int64): "int64",
    np.dtype(np.bool_): "bool",
}


def answers_path() -> str | None:
    """The answers file, when the grader asked for one."""
    return os.environ.get(ANSWERS_ENV) or None


def write(path: str, key: tuple[str, str, int], value, arrays: list[np.ndarray]) -> None:
    """Append one record to ``path``."""
    arrays = [np.asarray(a, order="C") for a in arrays]
    header = json.dumps(
        {"key": list(key), "value": value, "arrays": [[_DTYPES[a.dtype], list(a.shape)] for a in arrays]}
    )
    with open(path, "ab") as f:
        f.write(
            MAGIC + struct.pack(">I", len(header.encode())) + header.encode() + b"".join(a.tobytes() for a in arrays)
        )


def encode(value, arrays: list[np.ndarray]):
    """The JSON description of ``value``; its tensors and arrays are appended to ``arrays``."""
    if len(arrays) >= MAX_ITEMS:
        return {"object": type(value).__name__}
    if isinstance(value, torch.Tensor):
        wire = _WIRE.get(value.dtype, np.float32)
        if value.is_complex() or value.is_sparse or value.is_quantized:
            return {"object": f"{value.dtype} tensor"}
        arrays.append(
            value.detach().cpu().resolve_conj().numpy().astype(wire)
            if value.numel()
            else np.zeros(tuple(value.shape), wire)
        )
        return {
            "tensor": len(arrays) - 1,
            "dtype": str(value.dtype).replace("torch.", ""),
            "device": value.device.type,
            "requires_grad": bool(value.requires_grad),
        }
    if isinstance(value, np.ndarray) and value.dtype.kind in "fiub":
        wire = {"f": np.float64, "i": np.int64, "u": np.int64, "b": np.bool_}[value.dtype.kind]
        arrays.append(value.astype(wire))
        return {"ndarray": len(arrays) - 1, "dtype": str(value.dtype)}
    if isinstance(value, nn.Module):
        parameters = [[name, list(p.shape)] for name, p in list(value.named_parameters())[:MAX_ITEMS]]
        return {"module": type(value).__name__, "parameters": parameters}
    if value is None or isinstance(value, (bool, int, float)) or isinstance(value, str) and len(value) < 10_000:
        return {"py": value}
    if isinstance(value, (tuple, list)) and len(value) <= MAX_ITEMS:
        return {type(value).__name__ if type(value) in (tuple, list) else "tuple": [encode(v, arrays) for v in value]}
    if isinstance(value, dict) and len(value) <= MAX_ITEMS and all(isinstance(k, str) for k in value):
        return {"dict": {k: encode(v, arrays) for k, v in value.items()}}
    return {"object": type(value).__name__}


def decode(value, arrays: list[np.ndarray], tensors: list[torch.Tensor]):
    """The Python value ``encode`` described (in the judge); every tensor made is added to ``tensors``."""
    if not isinstance(value, dict) or len(value) < 1:
        raise ValueError("not an answer")
    if "tensor" in value:
        dtype = getattr(torch, str(value.get("dtype")), None)
        if not isinstance(dtype, torch.dtype):
            raise ValueError("not a tensor dtype")
        device = value.get("device", "cpu")
        device = device if device == "cpu" or (device == "cuda" and torch.cuda.is_available()) else "cpu"
        tensor = torch.from_numpy(arrays[int(value["tensor"])].copy()).to(device, dtype)
        if value.get("requires_grad") and (dtype.is_floating_point or dtype.is_complex):
            tensor.requires_grad_()
        tensors.append(tensor)
        return tensor
    if "ndarray" in value:
        array = arrays[int(value["ndarray"])]
        dtype = str(value.get("dtype"))
        return array.astype(dtype) if dtype in ("float16", "float32", "float64", "int32", "uint8", "bool") else array
    if "py" in value:
        return value["py"]
    if "tuple" in value or "list" in value:
        items = [decode(v, arrays, tensors) for v in value.get("tuple", value.get("list", []))]
        return tuple(items) if "tuple" in value else items
    if "dict" in value:
        return {str(k): decode(v, arrays, tensors) for k, v in dict(value["dict"]).items()}
    if "module" in value:
        return ReplayedModel([(str(n), tuple(int(d) for d in shape)) for n, shape in value.get("parameters", [])])
    if "object" in value:
        return type(str(value["object"])[:100] or "object", (), {})()
    raise ValueError("not an answer")


class ReplayedModel(nn.Module):
    """A student's model in the judge: its parameters' names and shapes; its methods are replayed."""

    def __init__(self, parameters: list[tuple[str, tuple[int, ...]]]):
        super().__init__()
        if (
            any(d < 0 for _, shape in parameters for d in shape)
            or sum(math.prod(s) for _, s in parameters) > MAX_WEIGHTS
        ):
            raise ValueError("impossible parameter shapes")
        self.names = [name for name, _ in parameters]
        self.weights = nn.ParameterList(nn.Parameter(torch.zeros(shape)) for _, shape in parameters)

    def named_parameters(self, *args, **kwargs):
        yield from zip(self.names, self.weights)

    def encode(self, *args, **kwargs):  # never run: Student.run replays the kernel's answer
        raise NotImplementedError

    decode = forward = encode
