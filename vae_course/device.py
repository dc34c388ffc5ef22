"""Choosing the device once, at the edge: CUDA if present, else Apple's MPS, else the CPU."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch


def resolve_device(device: str | torch.device | None = None) -> torch.device:
    """``device`` if given (``"cpu"``, ``"cuda:1"``, ...), else the best one available."""
    if device is not None:
        return torch.device(device)
    if torch.cuda.is_available():
        return torch.device("cuda")
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


@contextmanager
def tf32_mode(enabled: bool | None, device: torch.device) -> Iterator[None]:
    """Within the block, CUDA float32 matmuls and convolutions use TF32 tensor cores iff ``enabled``.

    TF32 keeps float32's range but rounds the inputs of each product to 10 mantissa bits (about
    1e-3 relative error per product, accumulated in float32). ``None``, or a device other than
    CUDA, changes nothing. The previous settings come back when the block ends.
    """
    if enabled is None or device.type != "cuda":
        yield
        return
    precision = "tf32" if enabled else "ieee"
    matmul, cudnn = torch.backends.cuda.matmul, torch.backends.cudnn
    if hasattr(matmul, "fp32_precision"):  # PyTorch >= 2.9; mixing it with allow_tf32 is an error
        saved = matmul.fp32_precision, cudnn.conv.fp32_precision
        matmul.fp32_precision = cudnn.conv.fp32_precision = precision
        try:
            yield
        finally:
            matmul.fp32_precision, cudnn.conv.fp32_precision = saved
    else:
        saved = matmul.allow_tf32, cudnn.allow_tf32
        matmul.allow_tf32 = cudnn.allow_tf32 = enabled
        try:
            yield
        finally:
            matmul.allow_tf32, cudnn.allow_tf32 = saved


def model_device(model: torch.nn.Module, device: str | torch.device | None = None) -> torch.device:
    """``device`` if given, else where ``model``'s parameters already are (tools never move a model
    behind the caller's back)."""
    if device is not None:
        return torch.device(device)
    parameter = next(model.parameters(), None)
    return parameter.device if parameter is not None else torch.device("cpu")
