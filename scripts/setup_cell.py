#!/usr/bin/env python3
"""The first cell of every exercise notebook: make ``vae_course`` importable, wherever it runs.

Where the library is installed (a clone of the course, its JupyterHub, the autograder) the cell only
imports it and prints nothing. Elsewhere (Colab, Kaggle, a bare Jupyter) it installs the course's own
version with pip: the tag ``v<version>`` of the repository, where the version is ``pyproject.toml``'s
and the repository is ``_config.yml``'s ``repository.url``, so a release bumps one number.
``$VAE_COURSE_INSTALL_SOURCE`` replaces that requirement (a wheel, a folder) to test it offline.

This file is the cell's one source. Insert or update it in every source notebook, then regenerate the
releases with nbgrader::

    .venv/bin/python scripts/setup_cell.py            # writes solutions/*/*.ipynb
    .venv/bin/python scripts/setup_cell.py --check    # exit 1 if a notebook is out of date
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
# Setup: makes the course's library, vae_course, importable. Where it is installed (a clone of the
# course, its JupyterHub, the autograder) this cell does nothing; elsewhere (Colab, Kaggle) it
# installs the course's version {version} with pip, once. Run it first; do not edit it.
import importlib.util
import os
import subprocess
import sys

if importlib.util.find_spec("vae_course") is None:
    default = "{requirement}"
    source = os.environ.get("{env_var}", default)  # tests install a local build
    print(f"Installing {{source}} ...")
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", source], check=True)
    importlib.invalidate_caches()
    import vae_course

    print(f"Installed vae_course {{vae_course.__version__}}.")"""


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


def cell_source(root: Path = ROOT) -> str:
    """The text of the setup cell."""
    return TEMPLATE.format(version=course_version(root), env_var=INSTALL_SOURCE_ENV_VAR, requirement=requirement(root))


def make_cell(root: Path = ROOT):
    """The setup cell: locked so that the autograder restores it, worth no points."""
    import nbformat

    cell = nbformat.v4.new_code_cell(cell_source(root))
    cell.id = CELL_ID
    cell.metadata["nbgrader"] = {
        "grade": False,
        "grade_id": CELL_ID,
        "locked": True,
        "schema_version": 3,
        "solution": False,
    }
    return cell


def with_setup_cell(notebook, root: Path = ROOT):
    """``notebook`` with the setup cell first (replacing an older one); other cells untouched."""
    notebook.cells = [make_cell(root)] + [cell for cell in notebook.cells if cell.get("id") != CELL_ID]
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
        print("now regenerate the releases: python -m nbgrader generate_assignment '*' --force")
    return 1 if stale and args.check else 0


if __name__ == "__main__":
    sys.exit(main())
