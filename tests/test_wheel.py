"""An instructor's ``pip install "vae-course[grading]"``, outside this repository (issue 9).

Slow. The wheel is built from this checkout and installed with its ``[grading]`` extra into a new
virtual environment in a temporary folder. To stay offline and cheap, that environment sees the test
environment's third-party packages through a ``.pth`` line (a plain path: the editable ``vae_course``
of the test environment is not activated by it, which the test checks), so pip resolves the extra's
requirements against them and installs the wheel alone (data files such as nbconvert's templates,
which a real install puts under the new environment's ``share/jupyter``, are found through
``JUPYTER_PATH`` instead). An instructor's own course folder is then
made there in nbgrader's default layout (``source/``, ``release/``) with the three-line
``nbgrader_config.py`` of docs/instructor-guide.md, a correct and a broken submission are collected,
and the new environment's grading command grades them with a system-only ``PATH``.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ASSIGNMENT = "02_reparameterization"
SYSTEM_PATH = "/usr/sbin:/usr/bin:/sbin:/bin"
INSTRUCTOR_CONFIG = """from vae_course.course import configure_nbgrader

c = get_config()
configure_nbgrader(c)
"""

pytestmark = pytest.mark.slow


def run(command: list, cwd: Path, timeout: float = 900) -> subprocess.CompletedProcess:
    """Run ``command`` as a stranger would: system PATH, no user site, no PYTHONPATH."""
    env = {"PATH": SYSTEM_PATH, "HOME": str(cwd), "PYTHONNOUSERSITE": "1", "LANG": "C.UTF-8",
           "OMP_NUM_THREADS": "1", "PIP_NO_INDEX": "1", "PIP_DISABLE_PIP_VERSION_CHECK": "1",
           "JUPYTER_PATH": str(Path(sysconfig.get_path("data")) / "share" / "jupyter")}
    result = subprocess.run([str(part) for part in command], cwd=cwd, env=env, capture_output=True, text=True,
                            timeout=timeout)
    assert result.returncode == 0, f"{command}\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result


@pytest.fixture(scope="module")
def instructor(tmp_path_factory) -> tuple[Path, Path]:
    """(python of a new environment with the wheel installed with [grading], an empty folder)."""
    base = tmp_path_factory.mktemp("instructor")
    dist = base / "dist"
    run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", dist, ROOT], cwd=base)
    wheel = next(dist.glob("vae_course-*.whl"))
    run([sys.executable, "-m", "venv", "--without-pip", base / "venv"], cwd=base)
    python = base / "venv" / "bin" / "python"
    purelib = Path(run([python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"], cwd=base).stdout.strip())
    (purelib / "test_environment_packages.pth").write_text(sysconfig.get_path("purelib") + "\n")
    for module in ("vae_course", "classgrade"):
        missing = subprocess.run([python, "-c", f"import {module}"], cwd=base, capture_output=True)
        assert missing.returncode != 0, f"the new environment must not see this checkout's {module}"
    run([python, "-m", "pip", "install", "-q", "--find-links", dist, f"vae-course[grading] @ {wheel.as_uri()}"], cwd=base)
    where = run([python, "-c", "import vae_course, classgrade; print(vae_course.__file__, classgrade.__file__)"],
                cwd=base).stdout.split()
    assert all(path.startswith(str(purelib)) for path in where), where
    return python, base


def answered(course: Path) -> dict:
    """The release with every solution cell filled from the source: a correct submission."""
    name = f"{ASSIGNMENT}.ipynb"
    solutions = {cell["metadata"]["nbgrader"]["grade_id"]: cell["source"]
                 for cell in json.loads((course / "source" / ASSIGNMENT / name).read_text())["cells"]
                 if cell["metadata"].get("nbgrader", {}).get("solution")}
    notebook = json.loads((course / "release" / ASSIGNMENT / name).read_text())
    for cell in notebook["cells"]:
        grade_id = cell["metadata"].get("nbgrader", {}).get("grade_id")
        if grade_id in solutions:
            cell["source"] = solutions[grade_id]
    return notebook


def test_the_wheel_grades_an_instructors_own_course(instructor):
    python, base = instructor
    course = base / "my-course"
    shutil.copytree(ROOT / "solutions" / ASSIGNMENT, course / "source" / ASSIGNMENT)
    (course / "nbgrader_config.py").write_text(INSTRUCTOR_CONFIG)
    run([python, "-m", "nbgrader", "generate_assignment", ASSIGNMENT], cwd=course)
    assert (course / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").exists()

    correct = course / "submitted" / "alice" / ASSIGNMENT
    correct.mkdir(parents=True)
    (correct / f"{ASSIGNMENT}.ipynb").write_text(json.dumps(answered(course)))
    broken = course / "submitted" / "bob" / ASSIGNMENT
    broken.mkdir(parents=True)
    (broken / f"{ASSIGNMENT}.ipynb").write_text('{"cells": [ not json')

    run([python, "-m", "classgrade", "autograde", ASSIGNMENT, "--jobs", "1", "--quiet"], cwd=course)
    report = json.loads((course / "reports" / "autograde" / ASSIGNMENT / "report.json").read_text())
    entries = {entry["student"]: entry for entry in report["submissions"]}
    source = json.loads((course / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").read_text())
    autograded = sum(cell["metadata"]["nbgrader"]["points"] for cell in source["cells"]  # test cells, not written answers
                     if cell["metadata"].get("nbgrader", {}).get("grade") and not cell["metadata"]["nbgrader"]["solution"])
    assert entries["alice"]["score"] == autograded > 0, entries["alice"]["notes"]
    assert entries["alice"]["status"] == ["ok"], entries["alice"]
    assert entries["bob"]["score"] == 0 and "invalid-notebook" in entries["bob"]["status"], entries["bob"]
    run([python, "-m", "nbgrader", "generate_feedback", ASSIGNMENT], cwd=course)
    assert (course / "feedback" / "alice" / ASSIGNMENT / f"{ASSIGNMENT}.html").exists()
