#!/usr/bin/env python3
"""The first cell of every exercise notebook: make ``vae_course`` importable, wherever it runs.

Where the library is installed (a clone of the course, its JupyterHub, the autograder) the cell only
imports it and prints nothing. Elsewhere (Colab, Kaggle, a bare Jupyter) it installs the course's own
version with pip: the tag ``v<version>`` of the repository, where the version is ``pyproject.toml``'s
and the repository is ``_config.yml``'s ``repository.url``, so a release bumps one number.
``$VAE_COURSE_INSTALL_SOURCE`` replaces that requirement (a wheel, a folder) to test it offline.

This file is the cell's one source, in every language the exercises are given in: its comment and
what it prints are in the notebook's language (``TEXT``), its code is the same. Insert or update it in
every English source notebook, then regenerate the translated sources (which take the cell in their
language from here) and the releases::

    .venv/bin/python scripts/setup_cell.py            # writes solutions/*/*.ipynb
    .venv/bin/python scripts/setup_cell.py --check    # exit 1 if a notebook is out of date
    .venv/bin/python scripts/translate_exercises.py   # solutions-id/*/*.ipynb
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import tomllib

ROOT = Path(__file__).resolve().parents[1]
CELL_ID = "install"  # the cell's id and nbgrader grade_id
INSTALL_SOURCE_ENV_VAR = "VAE_COURSE_INSTALL_SOURCE"

TEMPLATE = """\
{header}
import importlib.util
import os
import subprocess
import sys

if importlib.util.find_spec("vae_course") is None:
    default = "{requirement}"
    source = os.environ.get("{env_var}", default)  # {tests_comment}
    print(f"{installing} {{source}} ...")
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", source], check=True)
    importlib.invalidate_caches()
    import vae_course

    print(f"{installed} vae_course {{vae_course.__version__}}.")"""
# The cell's words in each language of the exercises (vae_course.course.CLASS_LANGUAGES).
TEXT = {
    "en": {
        "header": """\
# Setup: makes the course's library, vae_course, importable. Where it is installed (a clone of the
# course, its JupyterHub, the autograder) this cell does nothing; elsewhere (Colab, Kaggle) it
# installs the course's version {version} with pip, once. Run it first; do not edit it.""",
        "tests_comment": "tests install a local build",
        "installing": "Installing",
        "installed": "Installed",
    },
    "id": {
        "header": """\
# Penyiapan: membuat pustaka kuliah ini, vae_course, dapat diimpor. Di tempat pustaka itu sudah
# terpasang (klon repositori kuliah, JupyterHub-nya, autograder) sel ini tidak melakukan apa-apa; di
# tempat lain (Colab, Kaggle) sel ini memasang vae_course versi {version} dengan pip, sekali saja.
# Jalankan sel ini lebih dulu; jangan mengubahnya.""",
        "tests_comment": "tes memasang build lokal",
        "installing": "Memasang",
        "installed": "Terpasang:",
    },
}


def course_version(root: Path = ROOT) -> str:
    """The version in ``pyproject.toml``: the one place it is written."""
    with open(root / "pyproject.toml", "rb") as file:
        return tomllib.load(file)["project"]["version"]


def repository_url(root: Path = ROOT) -> str:
    """The published repository: ``repository.url`` in the book's ``_config.yml``."""
    import yaml

    config = yaml.safe_load((root / "_config.yml").read_text())
    return config["repository"]["url"].rstrip("/")


def requirement(root: Path = ROOT) -> str:
    """What the cell installs by default, e.g. ``vae-course @ git+https://github.com/o/r@v0.1.0``."""
    return f"vae-course @ git+{repository_url(root)}@v{course_version(root)}"


def cell_source(root: Path = ROOT, language: str = "en") -> str:
    """The text of the setup cell, in ``language``."""
    version = course_version(root)
    text = {**TEXT[language], "header": TEXT[language]["header"].format(version=version)}
    return TEMPLATE.format(version=version, env_var=INSTALL_SOURCE_ENV_VAR, requirement=requirement(root), **text)


def make_cell(root: Path = ROOT, language: str = "en"):
    """The setup cell: locked so that the autograder restores it, worth no points."""
    import nbformat

    cell = nbformat.v4.new_code_cell(cell_source(root, language))
    cell.id = CELL_ID
    cell.metadata["nbgrader"] = {
        "grade": False,
        "grade_id": CELL_ID,
        "locked": True,
        "schema_version": 3,
        "solution": False,
    }
    return cell


def with_setup_cell(notebook, root: Path = ROOT, language: str = "en"):
    """``notebook`` with the setup cell first (replacing an older one); other cells untouched."""
    notebook.cells = [make_cell(root, language)] + [cell for cell in notebook.cells if cell.get("id") != CELL_ID]
    return notebook


def source_notebooks(root: Path = ROOT) -> list[Path]:
    return sorted((root / "solutions").glob("*/*.ipynb"))


def main(argv: list[str] | None = None) -> int:
    import nbformat

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report notebooks that are out of date")
    args = parser.parse_args(argv)
    stale = []
    for path in source_notebooks():
        text = path.read_text()
        notebook = with_setup_cell(nbformat.reads(text, as_version=4))
        updated = nbformat.writes(notebook) + "\n"  # what nbformat.write puts in a file
        if updated != text:
            stale.append(path.relative_to(ROOT))
            if not args.check:
                path.write_text(updated)
    verb = "out of date" if args.check else "updated"
    for path in stale:
        print(f"{verb}: {path}")
    if stale and not args.check:
        print("now regenerate the translated sources and the releases: python scripts/translate_exercises.py, then")
        print("python -m nbgrader generate_assignment '*' --force, and again with VAE_COURSE_LANGUAGE=id")
    return 1 if stale and args.check else 0


if __name__ == "__main__":
    sys.exit(main())
