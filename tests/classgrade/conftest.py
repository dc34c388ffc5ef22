"""The class that the autograder's tests grade, graded once per run and shared.

Every kind of submission of the tiny course (``autograde_support.course.EXPECTED``: right, wrong,
a named mistake, broken, hostile) graded with ``--jobs 2``: ``test_autograde.py`` checks each
result, ``test_class_report.py`` the class report written from it. Tests that change the course
work on a copy.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from autograde_support import course as support


@pytest.fixture(scope="session")
def graded_class(tmp_path_factory) -> tuple[Path, dict]:
    """``(course folder, report.json)`` of the whole class graded once."""
    course = support.make_course(tmp_path_factory.mktemp("class") / "course")
    support.submit_all(course)
    return course, support.grade(course, "--jobs", "2")
