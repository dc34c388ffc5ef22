"""The grading environment's own programs come first on ``PATH``, whoever started the interpreter.

nbgrader runs the program ``alembic`` (``nbgrader.api.get_alembic_version``) found on ``PATH``
when it opens a gradebook. Without this, ``.venv/bin/python -m classgrade ...`` (or ``-m nbgrader``)
fails on a machine where the environment is not activated, or finds another environment's alembic.
And nbgrader reads a course's ``nbgrader_config.py`` from the working directory: :func:`working_directory`.
"""

from __future__ import annotations

import contextlib
import os
import sysconfig
from importlib import metadata

PROGRAMS = (("alembic", "alembic"),)  # (distribution, program) that nbgrader runs from PATH


def program_folder(distribution: str, program: str) -> str | None:
    """The folder of ``program`` as installed by ``distribution`` (from its file list), if any."""
    try:
        files = metadata.distribution(distribution).files or []
    except metadata.PackageNotFoundError:
        return None
    for file in files:
        if file.name == program and file.parent.name in ("bin", "Scripts"):
            path = os.path.abspath(str(file.locate()))
            if os.access(path, os.X_OK):
                return os.path.dirname(path)
    return None


def put_scripts_on_path() -> str:
    """Put this interpreter's scripts folder first on ``os.environ["PATH"]``, then the folder of each
    program nbgrader runs as its distribution installed it (when that is elsewhere, e.g. a layered
    environment); return the scripts folder.

    Called by the command line before anything opens a gradebook, and by the course's
    ``nbgrader_config.py`` (so that plain ``python -m nbgrader`` works too). Idempotent.
    """
    scripts = sysconfig.get_path("scripts")
    folders = [scripts] + [f for f in (program_folder(d, p) for d, p in PROGRAMS) if f and f != scripts]
    entries = [p for p in os.environ.get("PATH", "").split(os.pathsep) if p and p not in folders]
    os.environ["PATH"] = os.pathsep.join([*folders, *entries])
    return scripts


@contextlib.contextmanager
def working_directory(path):
    """Work in ``path`` (a course folder, whose ``nbgrader_config.py`` nbgrader reads from there), then return."""
    previous = os.getcwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(previous)
