"""A temporary nbgrader course for the end-to-end tests: generate, submit, autograde, read grades.

Everything goes through nbgrader's own command line (``python -m nbgrader ...``, the same entry point
as the ``nbgrader`` script) in a copy of the course directory, with its own ``gradebook.db``.
Scores are read from the gradebook: ``nbgrader validate`` and the exit status of ``autograde``
say nothing about failed tests. A class in another language is a course of its own, chosen as an
instructor chooses it: ``VAE_COURSE_LANGUAGE`` in the environment of every command.
"""

from __future__ import annotations

import copy
import html
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from vae_course.course import exercise_folders
from vae_course.language import LANGUAGE_VARIABLE

from .answers import ROOT, notebook_path

NBGRADER = (sys.executable, "-m", "nbgrader")
HIDDEN = re.compile(r"### BEGIN HIDDEN TESTS\n(.*?)### END HIDDEN TESTS", re.S)


def language_env(language: str) -> dict[str, str]:
    """The environment of a command for a class in ``language``: the instructor's one setting."""
    return {**os.environ, LANGUAGE_VARIABLE: language}


def nbgrader(course: Path, *args: str, language: str = "en", timeout: float = 1800) -> subprocess.CompletedProcess:
    """Run ``nbgrader <args>`` in ``course``; fail with its output if it exits with an error."""
    return nbgrader_side_by_side([(course, args, language)], timeout)[0]


def nbgrader_side_by_side(
    runs: list[tuple[Path, tuple[str, ...], str]], timeout: float = 1800
) -> list[subprocess.CompletedProcess]:
    """``nbgrader <args>`` in several courses at once, each ``(course, args, language)`` a process of its
    own: grading runs one kernel at a time on one thread, so two classes keep two cores busy instead of
    one. Fail if any fails."""
    processes = [
        subprocess.Popen([*NBGRADER, *args], cwd=course, env=language_env(language), text=True,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for course, args, language in runs
    ]  # fmt: skip
    results = []
    for process in processes:
        stdout, stderr = process.communicate(timeout=timeout)
        results.append(subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr))
    for result, (_, args, language) in zip(results, runs):
        if result.returncode != 0:
            command = " ".join(args)
            raise AssertionError(
                f"nbgrader {command} ({language}) exited with {result.returncode}:\n{result.stdout}\n{result.stderr}"
            )
    return results


def copy_course(folder: Path, language: str = "en") -> Path:
    """A course directory in ``folder`` for a class in ``language``: the repository's config and sources."""
    shutil.copy(ROOT / "nbgrader_config.py", folder / "nbgrader_config.py")
    source = exercise_folders(language)[0]
    shutil.copytree(ROOT / source, folder / source)
    return folder


def read_notebook(path: Path) -> dict:
    return json.loads(Path(path).read_text())


def release(course: Path, assignment: str, language: str = "en") -> dict:
    return read_notebook(notebook_path(assignment, course / exercise_folders(language)[1]))


def answered(notebook: dict, answers: dict[str, str], written: str | None = None) -> dict:
    """A copy of a released notebook with solution cells replaced by ``answers`` (cell id -> source)
    and, if ``written`` is given, every manually graded answer cell filled with it."""
    notebook = copy.deepcopy(notebook)
    for cell in notebook["cells"]:
        grading = cell["metadata"].get("nbgrader", {})
        if cell["id"] in answers:
            assert grading.get("solution"), f"{cell['id']} is not a solution cell"
            cell["source"] = answers[cell["id"]].strip("\n")
        elif written is not None and grading.get("solution") and cell["cell_type"] == "markdown":
            cell["source"] = written
    return notebook


def submit(course: Path, student: str, assignment: str, notebook: dict) -> None:
    path = course / "submitted" / student / assignment / f"{assignment}.ipynb"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(notebook, indent=1))


def grades(course: Path, student: str, assignment: str) -> dict[str, tuple[float | None, float]]:
    """Grade cell id -> (score, max score) of one submission; score None awaits manual grading."""
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        submission = gradebook.find_submission(assignment, student)
        return {
            grade.name: (None if grade.needs_manual_grade else grade.score, grade.max_score)
            for notebook in submission.notebooks
            for grade in notebook.grades
        }


def autograded_cells(assignment: str) -> set[str]:
    """Ids of the grade cells of an assignment that the autograder scores (its test cells)."""
    return {
        cell["id"]
        for cell in read_notebook(notebook_path(assignment))["cells"]
        if cell["metadata"].get("nbgrader", {}).get("grade") and not cell["metadata"]["nbgrader"].get("solution")
    }


def feedback_text(course: Path, student: str, assignment: str) -> str:
    """The text of a feedback page, as a reader sees it (tags stripped, entities decoded)."""
    page = (course / "feedback" / student / assignment / f"{assignment}.html").read_text()
    page = re.sub(r"<(script|style)\b.*?</\1>", "", page, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", "", page))


def hidden_test_lines(assignment: str) -> list[str]:
    """Every non-empty line of the hidden tests of an assignment's source notebook."""
    lines = []
    for cell in read_notebook(notebook_path(assignment))["cells"]:
        for region in HIDDEN.findall("".join(cell["source"])):
            lines += [line.strip() for line in region.splitlines() if line.strip()]
    return lines


def release_files(folder: Path) -> dict[str, object]:
    """Relative path -> content of a release folder; notebooks parsed, so formatting does not matter."""
    files = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        key = str(path.relative_to(folder))
        files[key] = read_notebook(path) if path.suffix == ".ipynb" else path.read_bytes()
    return files
