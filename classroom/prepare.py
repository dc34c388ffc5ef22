"""Make a classroom's folders: the exchange, each role's Jupyter configuration, the homes, the course.

Everything here is idempotent: running ``scripts/classroom`` again on the same folder keeps the
class's work (submissions, the gradebook, the instructor's edits to the course's sources) and
only adds what is missing.

Each role's configuration lives outside every home, in ``config/ROLE/``, which the hub puts on the
role's ``JUPYTER_CONFIG_PATH`` (:mod:`classroom.hub`):

- the instructor's servers load formgrader and create-assignment, point nbgrader at the course
  folder and allow formgrader's iframe (each user has a host of their own: see :mod:`classroom.hub`);
- a student's servers leave formgrader, the course list and create-assignment out (both the server
  extensions and JupyterLab's panels), and file the student's submissions under the hub's name for
  them (``JUPYTERHUB_USER``): nbgrader would otherwise take the Unix login, the same for everybody
  on this hub.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from .layout import EXCHANGE_MODES, Classroom

# nbgrader's server extensions and JupyterLab plugins that a student's server leaves out
INSTRUCTOR_SERVER_EXTENSIONS = ("nbgrader.server_extensions.formgrader", "nbgrader.server_extensions.course_list")
INSTRUCTOR_LAB_PLUGINS = (
    "@jupyter/nbgrader:formgrader",
    "@jupyter/nbgrader:course-list",
    "@jupyter/nbgrader:create-assignment",
)

SERVER_CONFIG = '''\
"""Every user's Jupyter server on the course hub (written by scripts/classroom)."""

c = get_config()  # noqa: F821
# Nothing leaves the machine: no news feed (nor the question whether to fetch it), no update check,
# no extension manager querying PyPI.
c.LabApp.news_url = None
c.LabApp.check_for_updates_class = "jupyterlab.NeverCheckForUpdate"
c.LabApp.extension_manager = "readonly"
c.LabApp.app_settings_dir = {lab_settings!r}  # its overrides.json: JupyterLab's defaults for this hub
# Terminals keep the server's environment (the course's Python first on PATH): a login shell, the
# default under JupyterHub, would reset PATH from /etc/profile.
c.ServerApp.terminado_settings = {{"shell_command": ["/bin/bash"]}}
# Server extensions left out: jupyter_lsp (no language server here: it would look for a dozen at
# each start){role_extensions}
c.ServerApp.jpserver_extensions = {extensions!r}
'''
# JupyterLab's settings for everyone on the hub (LabApp.app_settings_dir/overrides.json)
LAB_OVERRIDES = {"@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": False}}

INSTRUCTOR_SERVER_CONFIG = """
# JupyterLab shows formgrader in an iframe, which JupyterHub forbids by default (frame-ancestors
# 'none'), since on a hub where all users share one host any user's page could frame another's.
# On this hub each user has a host of their own (NAME.localhost): 'self' lets only the instructor's
# own pages frame the instructor's formgrader.
c.ServerApp.tornado_settings = {"headers": {"Content-Security-Policy": "frame-ancestors 'self'"}}
"""

HUB_SERVER_EXTENSIONS_OFF = ("jupyter_lsp",)

NBGRADER_CONFIG = '''\
"""The {role}'s nbgrader settings on the course hub (written by scripts/classroom at each start)."""

import os

from traitlets.utils.importstring import import_item

c = get_config()  # noqa: F821
# The course's settings (vae_course.course.configure_nbgrader: feedback without hidden tests, warnings
# cost no points, ...) as values, so that a server reads them without importing the course's library.
{settings}
c.Exchange.root = {exchange!r}
'''

INSTRUCTOR_NBGRADER_CONFIG = """c.CourseDirectory.root = {course!r}
# One Unix user runs every server of this hub, so the owner of every submission is that user:
# nbgrader's check that a submission belongs to its student would flag them all.
c.ExchangeCollect.check_owner = False
"""

STUDENT_NBGRADER_CONFIG = """# Submit and fetch feedback under the hub's name for the student: nbgrader would take the Unix
# login, which on this hub is the same for everybody.
c.CourseDirectory.student_id = os.environ.get("JUPYTERHUB_USER", "*")
"""


def _literal(value) -> str:
    """Python source for a configuration value: a literal, or ``import_item`` of a class."""
    if isinstance(value, type):
        return f"import_item({value.__module__ + '.' + value.__qualname__!r})"
    if isinstance(value, list):
        return "[" + ", ".join(_literal(item) for item in value) + "]"
    return repr(value)


def course_settings(data: Path) -> str:
    """Lines ``c.Section.name = value`` that set what the course's ``configure_nbgrader`` sets, for a
    classroom whose kernels find Fashion-MNIST in ``data``."""
    from traitlets.config import Config

    from vae_course.course import configure_nbgrader
    from vae_course.data import DATA_ENV_VAR

    previous = os.environ.get(DATA_ENV_VAR)
    os.environ[DATA_ENV_VAR] = str(data)  # the data root the settings name (ClassGrade.read_paths, ...)
    try:
        config = Config()
        configure_nbgrader(config)
    finally:
        if previous is None:
            del os.environ[DATA_ENV_VAR]
        else:
            os.environ[DATA_ENV_VAR] = previous
    return "\n".join(
        f"c.{section}.{name} = {_literal(value)}"
        for section in sorted(config)
        for name, value in sorted(config[section].items())
    )


def make_exchange(classroom: Classroom) -> None:
    """The exchange's root and the course's folders in it, with nbgrader's modes."""
    for name, mode in EXCHANGE_MODES.items():
        folder = classroom.exchange / classroom.course_id / name if name else classroom.exchange
        folder.mkdir(parents=True, exist_ok=True)
        os.chmod(folder, mode)


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def write_role_configs(classroom: Classroom, instructor: str) -> None:
    """``config/instructor/`` and ``config/student/``: Jupyter server, JupyterLab and nbgrader settings."""
    exchange = str(classroom.exchange)
    settings = course_settings(classroom.data)
    lab_settings = classroom.root / "config" / "lab-settings"
    _write(lab_settings / "overrides.json", json.dumps(LAB_OVERRIDES, indent=2) + "\n")

    def server_config(off: tuple[str, ...], why: str) -> str:
        extensions = {name: False for name in HUB_SERVER_EXTENSIONS_OFF + off}
        return SERVER_CONFIG.format(lab_settings=str(lab_settings), extensions=extensions, role_extensions=why)

    teacher = classroom.config("instructor")
    _write(teacher / "jupyter_server_config.py", server_config((), ".") + INSTRUCTOR_SERVER_CONFIG)
    _write(
        teacher / "nbgrader_config.py",
        NBGRADER_CONFIG.format(role="instructor", settings=settings, exchange=exchange)
        + INSTRUCTOR_NBGRADER_CONFIG.format(course=str(classroom.course(instructor))),
    )
    student = classroom.config("student")
    why = ", and formgrader and the course list, which serve the instructor's course folder."
    _write(student / "jupyter_server_config.py", server_config(INSTRUCTOR_SERVER_EXTENSIONS, why))
    _write(
        student / "nbgrader_config.py",
        NBGRADER_CONFIG.format(role="student", settings=settings, exchange=exchange) + STUDENT_NBGRADER_CONFIG,
    )
    page_config = {"disabledExtensions": {plugin: True for plugin in INSTRUCTOR_LAB_PLUGINS}}
    _write(student / "labconfig" / "page_config.json", json.dumps(page_config, indent=2) + "\n")


def run_as(classroom: Classroom, name: str, role: str, command: list[str], cwd: Path) -> str:
    """Run ``command`` as a terminal of ``name``'s server would; return its output, fail with it."""
    env = {**os.environ, **classroom.environment(role), "HOME": str(classroom.home(name)), "JUPYTERHUB_USER": name}
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return result.stdout + result.stderr


def make_course(
    classroom: Classroom, instructor: str, students: list[str], sources: Path, assignments: list[str]
) -> Path:
    """The instructor's course folder: the ``assignments`` copied from ``sources``
    (the repository's ``solutions/``) unless already there, their student versions generated (ready
    to release) and the class list in the gradebook. Returns the folder."""
    course = classroom.course(instructor)
    course.mkdir(parents=True, exist_ok=True)  # no nbgrader_config.py: the instructor's role configuration has it all
    for assignment in assignments:
        if not (course / "source" / assignment).exists():
            shutil.copytree(sources / assignment, course / "source" / assignment)
    nbgrader = [sys.executable, "-m", "nbgrader"]
    if any(not (course / "release" / assignment).exists() for assignment in assignments):
        # one command for all (nbgrader starts in seconds); those already generated are skipped
        run_as(classroom, instructor, "instructor", [*nbgrader, "generate_assignment", "*"], course)
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:  # the class list, for formgrader
        for student in students:
            gradebook.update_or_create_student(student)
    return course


def prepare(classroom: Classroom, instructor: str, students: list[str], sources: Path, assignments: list[str]) -> Path:
    """Everything but the hub's own configuration (:mod:`classroom.hub`); returns the course folder."""
    make_exchange(classroom)
    write_role_configs(classroom, instructor)
    for name in [instructor, *students]:
        classroom.home(name).mkdir(parents=True, exist_ok=True)
    classroom.data.mkdir(parents=True, exist_ok=True)
    return make_course(classroom, instructor, students, sources, assignments)
