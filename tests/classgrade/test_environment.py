"""``classgrade/environment.py``: the environment's own programs are found without activating it.

nbgrader runs ``alembic`` from ``PATH`` whenever it opens a gradebook. These tests run nbgrader and
classgrade with ``PATH`` reduced to the system's folders, as on a machine where the virtual
environment was never activated (``.venv/bin/python -m ...``).
"""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import nbformat

from autograde_support import course as support
from classgrade.environment import put_scripts_on_path

REPOSITORY = Path(__file__).resolve().parents[2]
SYSTEM_PATH = "/usr/sbin:/usr/bin:/sbin:/bin"


def test_scripts_folder_goes_first_once(monkeypatch):
    scripts = sysconfig.get_path("scripts")
    monkeypatch.setenv("PATH", os.pathsep.join(["/usr/bin", scripts, "/bin"]))
    assert put_scripts_on_path() == scripts
    assert put_scripts_on_path() == scripts
    assert os.environ["PATH"].split(os.pathsep) == [scripts, "/usr/bin", "/bin"]


def _run(course: Path, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PATH=SYSTEM_PATH, JUPYTER_PLATFORM_DIRS="1")
    result = subprocess.run([sys.executable, "-m", *args], cwd=course, env=env, capture_output=True, text=True)
    assert result.returncode == 0, f"{args} exited with {result.returncode}:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result


def test_nbgrader_and_classgrade_work_without_the_environment_on_path(tmp_path):
    """The course's own nbgrader_config.py, a tiny assignment, and PATH without the environment."""
    course = support.make_course_with_config(tmp_path / "course", REPOSITORY / "nbgrader_config.py")
    _run(course, "nbgrader", "generate_assignment", support.ASSIGNMENT)  # creates the gradebook: alembic
    release = nbformat.read(course / "exercises" / support.ASSIGNMENT / f"{support.NOTEBOOK}.ipynb", as_version=4)
    folder = course / "submitted" / "correct" / support.ASSIGNMENT
    folder.mkdir(parents=True)
    nbformat.write(support._answer(support.CORRECT)(release), folder / f"{support.NOTEBOOK}.ipynb")
    _run(course, "nbgrader", "autograde", support.ASSIGNMENT)
    theirs = support.grades_table(course)
    _run(course, "classgrade", "autograde", support.ASSIGNMENT, "--jobs", "1", "--preload", "", "--warmup", "", "--quiet")
    assert ("correct", "score", 5.0, support.MAX_SCORE) in support.grades_table(course)
    assert support.grades_table(course) == theirs
