"""The grading environment's own programs come first on ``PATH``, whoever started the interpreter.

nbgrader runs the program ``alembic`` (``nbgrader.api.get_alembic_version``) found on ``PATH``
when it opens a gradebook. Without this, ``.venv/bin/python -m classgrade ...`` (or ``-m nbgrader``)
fails on a machine where the environment is not activated, or finds another environment's alembic.
"""

from __future__ import annotations

import os
import sysconfig


def put_scripts_on_path() -> str:
    """Put this interpreter's scripts folder first on ``os.environ["PATH"]``; return that folder.

    Called by the command line before anything opens a gradebook, and by the course's
    ``nbgrader_config.py`` (so that plain ``python -m nbgrader`` works too). Idempotent.
    """
    scripts = sysconfig.get_path("scripts")
    entries = [p for p in os.environ.get("PATH", "").split(os.pathsep) if p and p != scripts]
    os.environ["PATH"] = os.pathsep.join([scripts, *entries])
    return scripts
