"""The setup cell that opens every exercise notebook (``scripts/setup_cell.py``): one text everywhere,
one version, silent where ``vae_course`` is installed, and an install that works where it is not."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
from exercise_support import answers, course
from exercise_support.answers import ASSIGNMENTS, ROOT

import vae_course
from vae_course.course import CLASS_LANGUAGES, exercise_folders


def _load_setup_cell_module():
    spec = importlib.util.spec_from_file_location("setup_cell", ROOT / "scripts" / "setup_cell.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


setup_cell = _load_setup_cell_module()
# (folder, assignment, language): every source and release, in every language of the exercises
NOTEBOOKS = [
    (folder, assignment, language)
    for language in CLASS_LANGUAGES
    for folder in exercise_folders(language)
    for assignment in ASSIGNMENTS
]


# --------------------------------------------------------------------------- one text, one version


def test_the_cell_is_the_same_code_in_every_language():
    english = setup_cell.cell_source()
    for language in CLASS_LANGUAGES:
        translated = setup_cell.cell_source(language=language)
        assert _code_only(translated) == _code_only(english), f"the {language} cell runs other code"
        assert re.findall(r"\d+\.\d+\.\d+", translated) == re.findall(r"\d+\.\d+\.\d+", english)
    assert setup_cell.cell_source(language="id") != english, "its comment and messages are in Indonesian"


def _code_only(source: str) -> str:
    """The cell without its comments and the words it prints (as a syntax tree)."""
    import ast

    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            node.values = [value for value in node.values if isinstance(value, ast.FormattedValue)]
    return ast.dump(tree)


def test_the_version_is_pyprojects_and_the_repository_is_the_books():
    version = setup_cell.course_version()
    assert version == vae_course.__version__, "pyproject.toml and vae_course.__version__ disagree"
    assert setup_cell.repository_url() == "https://github.com/vae-course/vae-course"
    requirement = setup_cell.requirement()
    assert requirement == f"vae-course @ git+{setup_cell.repository_url()}@v{version}"
    source = setup_cell.cell_source()
    assert f'"{requirement}"' in source and setup_cell.INSTALL_SOURCE_ENV_VAR in source
    assert re.findall(r"\d+\.\d+\.\d+", source) == [version, version], "one version, written twice in the cell"


@pytest.mark.parametrize(("folder", "assignment", "language"), NOTEBOOKS, ids=[f"{f}-{a}" for f, a, _ in NOTEBOOKS])
def test_every_notebook_starts_with_the_setup_cell(folder, assignment, language):
    notebook = course.read_notebook(answers.notebook_path(assignment, ROOT / folder))
    first = notebook["cells"][0]
    assert first["cell_type"] == "code" and first["id"] == setup_cell.CELL_ID
    assert "".join(first["source"]) == setup_cell.cell_source(language=language), (
        "run scripts/setup_cell.py and scripts/translate_exercises.py, then nbgrader"
    )
    grading = first["metadata"]["nbgrader"]
    assert grading["grade"] is False and grading["solution"] is False and "points" not in grading
    assert grading["locked"] is True and grading["grade_id"] == setup_cell.CELL_ID
    assert sum(c["id"] == setup_cell.CELL_ID for c in notebook["cells"]) == 1


def test_the_script_has_nothing_left_to_update(capsys):
    assert setup_cell.main(["--check"]) == 0, capsys.readouterr().out


def test_inserting_replaces_an_older_cell_and_keeps_the_others():
    import nbformat

    old = nbformat.v4.new_code_cell("!pip install something-old")
    old.id = setup_cell.CELL_ID
    intro = nbformat.v4.new_markdown_cell("# Title")
    intro.id = "intro"
    notebook = setup_cell.with_setup_cell(nbformat.v4.new_notebook(cells=[intro, old]))
    assert [c.id for c in notebook.cells] == [setup_cell.CELL_ID, "intro"]
    assert notebook.cells[0].source == setup_cell.cell_source() and notebook.cells[1] is intro


@pytest.mark.parametrize(("guide", "language"), [("student-guide.md", "en"), ("student-guide.id.md", "id")])
def test_the_student_guide_quotes_what_the_cell_prints(guide, language):
    text = " ".join((ROOT / "docs" / guide).read_text().split())
    words = setup_cell.TEXT[language]
    assert f"`{words['installing']} {setup_cell.requirement()} ...`" in text
    assert f"`{words['installed']} vae_course {setup_cell.course_version()}.`" in text
    repository = setup_cell.repository_url().removeprefix("https://github.com/")
    assert f"colab.research.google.com/github/{repository}/blob/main/{exercise_folders(language)[1]}/" in text


# --------------------------------------------------------------------------- what the cell does


def test_where_vae_course_is_installed_it_does_nothing_and_prints_nothing(tmp_path):
    """As under the autograder: no install (the override points nowhere), no output at all."""
    env = {**os.environ, "NBGRADER_EXECUTION": "autograde", setup_cell.INSTALL_SOURCE_ENV_VAR: str(tmp_path / "none")}
    result = subprocess.run(
        [sys.executable, "-c", setup_cell.cell_source()], env=env, capture_output=True, text=True, timeout=120
    )
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


def test_where_vae_course_is_missing_it_installs_the_override(monkeypatch, capsys):
    """With the library hidden from ``find_spec``, the cell runs pip on the override with this Python."""
    calls = []
    find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "vae_course" else find_spec(name, *a)
    )
    monkeypatch.setattr(subprocess, "run", lambda command, **kwargs: calls.append((command, kwargs)))
    monkeypatch.setenv(setup_cell.INSTALL_SOURCE_ENV_VAR, "/wheels/vae_course-0.1.0-py3-none-any.whl")
    exec(compile(setup_cell.cell_source(), "<setup cell>", "exec"), {})
    assert calls == [
        (
            [sys.executable, "-m", "pip", "install", "--quiet", "/wheels/vae_course-0.1.0-py3-none-any.whl"],
            {"check": True},
        )
    ]
    out = capsys.readouterr().out
    assert "Installing /wheels/vae_course-0.1.0-py3-none-any.whl" in out
    assert f"Installed vae_course {vae_course.__version__}." in out


def test_by_default_it_installs_the_pinned_release(monkeypatch):
    calls = []
    find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "vae_course" else find_spec(name, *a)
    )
    monkeypatch.setattr(subprocess, "run", lambda command, **kwargs: calls.append(command))
    monkeypatch.delenv(setup_cell.INSTALL_SOURCE_ENV_VAR, raising=False)
    exec(compile(setup_cell.cell_source(), "<setup cell>", "exec"), {})
    assert calls[0][-1] == setup_cell.requirement()


# --------------------------------------------------------------------------- a fresh environment, end to end

ASSIGNMENT = "03_kl_and_elbo"  # the cheapest that imports vae_course in its own setup cell


def _solved_release(assignment: str) -> dict:
    """The committed release with every solution cell answered by the source notebook's solution."""
    source = course.read_notebook(answers.notebook_path(assignment))
    solutions = {
        cell["id"]: re.sub(r"\s*### (BEGIN|END) SOLUTION", "", "".join(cell["source"]))
        for cell in source["cells"]
        if cell["cell_type"] == "code" and cell["metadata"].get("nbgrader", {}).get("solution")
    }
    released = course.read_notebook(answers.notebook_path(assignment, ROOT / "exercises"))
    notebook = course.answered(released, solutions, "A written answer.")
    notebook["cells"].append(
        {
            "cell_type": "code",
            "execution_count": None,
            "id": "where-is-vae-course",
            "metadata": {},
            "outputs": [],
            "source": "import json, sys\nprint(json.dumps({'file': vae_course.__file__, 'prefix': sys.prefix}))",
        }
    )
    return notebook


def _build_wheel(folder: Path) -> Path:
    """A wheel of this checkout, built from a copy so that the repository gets no build files."""
    project = folder / "project"
    project.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, project / name)
    shutil.copytree(ROOT / "vae_course", project / "vae_course", ignore=shutil.ignore_patterns("__pycache__"))
    pip = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index", "--quiet"]
    command = [*pip, "--wheel-dir", str(folder / "wheels"), str(project)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=600)  # setuptools warns a lot
    assert result.returncode == 0, result.stdout + result.stderr
    (wheel,) = (folder / "wheels").glob("vae_course-*.whl")
    return wheel


def _fresh_venv(folder: Path) -> tuple[Path, Path]:
    """A venv whose ``sys.path`` ends with this environment's site-packages as a plain folder: torch
    and Jupyter import from there, but the ``.pth`` files in it (the editable ``vae_course``) are
    not processed. Returns the venv's python and its site-packages."""
    venv = folder / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    site_packages = Path(
        subprocess.run(
            [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
    )
    shared = Path(sysconfig.get_paths()["purelib"]).resolve()
    (site_packages / "shared-env.pth").write_text(f"{shared}\n")
    return python, site_packages


def _clean_env(folder: Path, **extra: str) -> dict[str, str]:
    """No PYTHONPATH, no user site, no index for pip, and every Jupyter/pip folder in ``folder``."""
    return {
        "PATH": os.environ["PATH"],
        "HOME": str(folder / "home"),
        "PYTHONNOUSERSITE": "1",
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "PIP_NO_INDEX": "1",  # offline: pip may install only what it is given
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        "PIP_NO_CACHE_DIR": "1",
        "JUPYTER_PATH": str(folder / "jupyter"),
        "JUPYTER_RUNTIME_DIR": str(folder / "jupyter-runtime"),
        "MPLCONFIGDIR": str(folder / "matplotlib"),
        **extra,
    }


def _vae_course_entries(site_packages: Path) -> list[str]:
    return sorted(p.name for p in site_packages.iterdir() if "vae_course" in p.name)


@pytest.mark.slow
def test_a_release_runs_in_a_fresh_environment_that_lacks_the_library(tmp_path):
    """The setup cell installs a local wheel into a venv without ``vae_course``; then the release,
    answered with the solutions, imports the library and passes its visible tests."""
    wheel = _build_wheel(tmp_path)
    python, site_packages = _fresh_venv(tmp_path)
    shared = Path(sysconfig.get_paths()["purelib"]).resolve()
    shared_before = _vae_course_entries(shared)
    env = _clean_env(tmp_path, **{setup_cell.INSTALL_SOURCE_ENV_VAR: str(wheel)})

    probe = "import torch, ipykernel, nbconvert\ntry:\n    import vae_course\nexcept ModuleNotFoundError:\n    print('missing')"
    # Run outside the repository: ``python -c`` puts the working folder first on sys.path.
    result = subprocess.run([python, "-c", probe], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert (result.returncode, result.stdout.strip()) == (0, "missing"), result.stderr

    # A kernel that runs the venv's python (the notebook's "python3" could resolve to another one).
    kernel = tmp_path / "jupyter" / "kernels" / "fresh-venv"
    kernel.mkdir(parents=True)
    argv = [str(python), "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    (kernel / "kernel.json").write_text(json.dumps({"argv": argv, "display_name": "fresh venv", "language": "python"}))
    work = tmp_path / "work"  # outside the repository
    work.mkdir()
    (work / f"{ASSIGNMENT}.ipynb").write_text(json.dumps(_solved_release(ASSIGNMENT), indent=1))
    execute = [
        python,
        "-m",
        "nbconvert",
        "--to",
        "notebook",
        "--execute",
        "--output",
        "executed.ipynb",
        "--ExecutePreprocessor.kernel_name=fresh-venv",
        "--ExecutePreprocessor.timeout=600",
        f"{ASSIGNMENT}.ipynb",
    ]
    result = subprocess.run(execute, cwd=work, env=env, capture_output=True, text=True, timeout=1200)
    assert result.returncode == 0, result.stderr[-5000:]

    import nbformat

    cells = {cell.id: cell for cell in nbformat.read(work / "executed.ipynb", as_version=4).cells}
    shown = "".join(output.get("text", "") for output in cells[setup_cell.CELL_ID]["outputs"])
    assert f"Installing {wheel}" in shown and f"Installed vae_course {vae_course.__version__}." in shown
    tests = [
        cell
        for cell in cells.values()
        if cell["metadata"].get("nbgrader", {}).get("grade") and cell["cell_type"] == "code"
    ]
    assert len(tests) == len(course.autograded_cells(ASSIGNMENT)) == 6
    for cell in tests:
        assert cell["execution_count"] is not None, f"{cell['id']} did not run"
        assert all(output["output_type"] != "error" for output in cell["outputs"]), cell["id"]
    (where,) = [json.loads(o["text"]) for o in cells["where-is-vae-course"]["outputs"] if o.get("name") == "stdout"]
    assert Path(where["prefix"]) == tmp_path / "venv", "the kernel did not run the fresh venv's python"
    assert Path(where["file"]).is_relative_to(site_packages), f"vae_course came from {where['file']}"
    assert (site_packages / f"vae_course-{vae_course.__version__}.dist-info").is_dir()
    assert _vae_course_entries(shared) == shared_before, "the shared environment was changed"
