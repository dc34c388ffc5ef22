"""Checks shared by the frozen configs: a bad value is a ``ValueError`` that names the field.

The configs call these in ``__post_init__``, so the library refuses a bad value as early as the
command line does (``python -m vae_course`` turns the ``ValueError`` into one ``error:`` line).
"""

from __future__ import annotations

import math

MAX_WIDTH = 10_000  # units in one layer or latent dimensions: more is a typo, not a model of 28x28 images


def require_int(name: str, value: object, low: int = 1, high: int | None = None) -> None:
    """Raise ``ValueError`` unless ``value`` is an int (not a bool) in ``[low, high]``."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{name} must be an integer, got {value!r}")  # noqa: TRY004 (one error type for bad configs)
    if value < low or (high is not None and value > high):
        bounds = f"at least {low}" if high is None else f"between {low} and {high}"
        raise ValueError(f"{name} must be {bounds}, got {value}")


def require_number(name: str, value: object, low: float, high: float = math.inf, low_open: bool = False) -> None:
    """Raise ``ValueError`` unless ``value`` is a finite real in ``[low, high]`` (``(low, high]`` if ``low_open``)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    if value < low or (low_open and value == low) or value > high:
        low_text = f"greater than {low}" if low_open else f"at least {low}"
        raise ValueError(
            f"{name} must be {low_text}" + ("" if high == math.inf else f" and at most {high}") + f", got {value}"
        )


def count_of(name: str, value: int | None, default: int, available: int) -> int:
    """How many of ``available`` items to use: ``value``, or ``default`` capped at what there is.

    A default adapts to a small data set; a number the user gave does not: more than there are is a
    ``ValueError`` (``--val-size 999999`` must not quietly become 12000).
    """
    if value is None:
        return min(default, available)
    require_int(name, value, 1)
    if value > available:
        raise ValueError(f"{name} must be at most {available}, the number of images there are, got {value}")
    return value
