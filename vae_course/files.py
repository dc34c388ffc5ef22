"""Writing outputs atomically: a file is either complete or not there, never half written.

Each output is written to a temporary file in the same folder, then renamed over its target
(``os.replace``, atomic on one file system). A failure on the way (a full disk, an interrupt, an
error while writing) removes the temporary files and leaves the targets as they were.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def check_output_path(path: str | os.PathLike) -> Path:
    """``path`` as a :class:`Path`; ``ValueError`` if it exists and is not a regular file (a folder, a device)."""
    path = Path(path)
    if path.exists() and not path.is_file():
        kind = "a folder" if path.is_dir() else "not a regular file"
        raise ValueError(f"cannot write {path}: it is {kind}")
    return path


@contextmanager
def atomic_paths(*paths: str | os.PathLike) -> Iterator[list[Path]]:
    """Temporary paths beside ``paths``, each renamed over its target only if the block succeeds.

    The temporary names keep the target's suffix (``.x.1a2b3c4d.tmp.png``), so writers that choose a
    format by suffix work unchanged. Folders are created as needed.

    Example::

        with atomic_paths("runs/vae.pt", "runs/vae.json") as (checkpoint, card):
            torch.save(payload, checkpoint)
            card.write_text(text)
    """
    targets = [check_output_path(path) for path in paths]
    temporaries: list[Path] = []
    try:
        for target in targets:
            target.parent.mkdir(parents=True, exist_ok=True)
            temporary = target.with_name(f".{target.stem}.{secrets.token_hex(4)}.tmp{target.suffix}")
            temporary.open("xb").close()  # claims the name, with the permissions the umask gives
            temporaries.append(temporary)
        yield temporaries
        for temporary, target in zip(temporaries, targets):
            os.replace(temporary, target)
    finally:
        for temporary in temporaries:
            temporary.unlink(missing_ok=True)
