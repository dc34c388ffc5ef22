"""classgrade is general: no module names the course; the course's values come from its configuration."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "classgrade"


def test_no_file_of_classgrade_names_the_course():
    named = [str(p.relative_to(PACKAGE)) for p in PACKAGE.rglob("*") if p.is_file() and "__pycache__" not in p.parts
             and "vae_course" in p.read_text(errors="replace")]
    assert named == []


def test_every_subpackage_says_which_process_it_runs_in():
    for init in PACKAGE.glob("*/__init__.py"):
        docstring = init.read_text().split('"""')[1]
        assert "process" in docstring, init


def test_course_values_come_from_the_course_configuration(tmp_path):
    (tmp_path / "nbgrader_config.py").write_text("c = get_config()\nc.ClassGrade.reference_package = 'mycourse'\n"
                                                  "c.ClassGrade.read_paths = ['/srv/data']\n")
    code = ("from nbgrader.apps.autogradeapp import AutogradeApp\nfrom classgrade.config import load\n"
            "app = AutogradeApp()\napp.initialize([])\ns = load(app.config)\n"
            "print(s.reference_package, s.read_paths, s.watched_modules, s.checks_module == '')")
    result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=True)
    assert result.stdout.split("\n")[0] == "mycourse ['/srv/data'] ('mycourse',) True"
