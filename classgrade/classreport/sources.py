"""Everything the class report knows, read once: the gradebook, the run reports, the autograded notebooks.

The gradebook is read with a handful of queries over nbgrader's own tables (its ORM classes, so
SQLite and PostgreSQL alike), not object by object: a class of 500 students and ten assignments is
some 50,000 grades. The run reports of ``python -m classgrade autograde`` (``report.json`` of each
assignment, and of each shard below it) add what the gradebook cannot hold: time, statuses, kernels
that died, integrity flags and each test cell's error and named mistakes. Where an assignment has
none (graded by plain ``nbgrader autograde``), the errors and mistakes come from its autograded
notebooks and the rest is unknown (:attr:`ClassData.graded_by`).
"""

from __future__ import annotations

import fnmatch
import importlib
import json
import os
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import NamedTuple

from . import outcomes


@dataclass(frozen=True)
class Assignment:
    name: str
    duedate: datetime | None


@dataclass(frozen=True)
class Student:
    id: str
    first_name: str | None
    last_name: str | None
    email: str | None
    lms_user_id: str | None

    @property
    def name(self) -> str:
        return " ".join(part for part in (self.first_name, self.last_name) if part)


@dataclass(frozen=True)
class Question:
    """A graded cell of an assignment: a test cell, a written or code answer graded by hand, a task."""

    assignment: str
    notebook: str
    name: str  # the cell's grade_id
    max_score: float
    kind: str  # "test", "written", "code", "task"
    parts: tuple[str, ...] = ()  # the checks a test cell calls, "check_kl (values)"
    checks: tuple[tuple[str, str | None], ...] = ()  # the same, as (check, part)


class Submission(NamedTuple):  # (tuples: a big class has tens of thousands of grades)
    assignment: str
    student: str
    timestamp: datetime | None
    late_seconds: float


class Grade(NamedTuple):
    assignment: str
    student: str
    notebook: str
    question: str
    auto_score: float | None
    manual_score: float | None
    extra_credit: float | None
    needs_manual_grade: bool

    @property
    def decided(self) -> bool:
        return self.auto_score is not None or self.manual_score is not None

    @property
    def score(self) -> float:
        """nbgrader's score: the manual score if any, else the automatic one, plus extra credit; else 0."""
        base = self.manual_score if self.manual_score is not None else self.auto_score
        return 0.0 if base is None else base + (self.extra_credit or 0.0)


@dataclass(frozen=True)
class Run:
    """One student's entry in an assignment's run report (``python -m classgrade autograde``)."""

    assignment: str
    student: str
    seconds: float
    status: tuple[str, ...]
    notes: tuple[str, ...]
    flags: tuple[dict, ...]
    notebooks: tuple[str, ...]  # the notebooks that were executed


@dataclass
class ClassData:
    """What the report is computed from; every field is plain data."""

    course_id: str
    assignments: list[Assignment]  # in order: by due date, then name
    students: list[Student]
    questions: list[Question]  # per assignment, in notebook order
    submissions: list[Submission]
    grades: list[Grade]
    # (assignment, student, notebook) -> grade_id -> {"error", "hints"}; absent: no executed notebook
    cells: dict[tuple[str, str, str], dict[str, dict]] = field(default_factory=dict)
    runs: dict[tuple[str, str], Run] = field(default_factory=dict)  # (assignment, student) -> run
    graded_by: dict[str, str] = field(default_factory=dict)  # assignment -> "classgrade" | "nbgrader"
    judged: dict[tuple[str, str | None], bool] = field(default_factory=dict)  # (check, part) -> the judge decides it
    judge_known: bool = False  # whether ``judged`` could be asked of the course's checks module
    hint_texts: dict[str, str] = field(default_factory=dict)  # name -> text, in the report's language
    test_sources: dict[tuple[str, str, str], str] = field(default_factory=dict)  # a test cell's source, hidden tests in


# ----------------------------------------------------------------------------- the gradebook


def read_gradebook(db_url: str, course_id: str, patterns: list[str]) -> ClassData:
    """The gradebook's assignments (those matching any of the glob ``patterns``; all if none), its students,
    and the assignments' graded cells, submissions and grades.

    Raises:
        SystemExit: a pattern matches no assignment.
    """
    from nbgrader.api import Assignment as DbAssignment
    from nbgrader.api import (
        BaseCell,
        Gradebook,
        GradeCell,
        Notebook,
        SolutionCell,
        SourceCell,
        SubmittedAssignment,
        SubmittedNotebook,
        TaskCell,
    )
    from nbgrader.api import Grade as DbGrade
    from nbgrader.api import Student as DbStudent

    with Gradebook(db_url, course_id) as gb:
        db = gb.db
        rows = db.query(DbAssignment.name, DbAssignment.duedate).all()
        wanted = _matching([name for name, _ in rows], patterns)
        assignments = sorted(
            (Assignment(name, duedate) for name, duedate in rows if name in wanted),
            key=lambda a: (a.duedate is None, a.duedate or datetime.min, a.name),
        )
        wanted = {a.name for a in assignments}

        def within(query):
            return query.filter(DbAssignment.name.in_(wanted))

        students = [Student(*row) for row in db.query(
            DbStudent.id, DbStudent.first_name, DbStudent.last_name, DbStudent.email, DbStudent.lms_user_id
        ).order_by(DbStudent.id)]  # fmt: skip
        solution_cells = set(
            within(
                db.query(DbAssignment.name, Notebook.name, SolutionCell.name)
                .join(Notebook, SolutionCell.notebook_id == Notebook.id)
                .join(DbAssignment, Notebook.assignment_id == DbAssignment.id)
            )
        )
        sources = {
            (a, nb, name): source
            for a, nb, name, source in within(
                db.query(DbAssignment.name, Notebook.name, SourceCell.name, SourceCell.source)
                .join(Notebook, SourceCell.notebook_id == Notebook.id)
                .join(DbAssignment, Notebook.assignment_id == DbAssignment.id)
            )
        }
        graded = []
        for table, task in ((GradeCell, False), (TaskCell, True)):
            for a, nb, name, max_score, cell_type in within(
                db.query(DbAssignment.name, Notebook.name, table.name, table.max_score, table.cell_type)
                .join(Notebook, table.notebook_id == Notebook.id)
                .join(DbAssignment, Notebook.assignment_id == DbAssignment.id)
            ):
                if task:
                    kind = "task"
                elif (a, nb, name) in solution_cells:
                    kind = "written" if cell_type == "markdown" else "code"
                else:
                    kind = "test"
                graded.append((a, nb, name, float(max_score), kind, sources.get((a, nb, name), "")))
        submissions = [
            Submission(a, student, timestamp, _late_seconds(timestamp, duedate, extension))
            for a, student, timestamp, extension, duedate in within(
                db.query(
                    DbAssignment.name,
                    SubmittedAssignment.student_id,
                    SubmittedAssignment.timestamp,
                    SubmittedAssignment.extension,
                    DbAssignment.duedate,
                ).join(DbAssignment, SubmittedAssignment.assignment_id == DbAssignment.id)
            )
        ]
        grades = [
            Grade(a, student, nb, cell, auto, manual, extra, bool(needs))
            for a, student, nb, cell, auto, manual, extra, needs in within(
                db.query(
                    DbAssignment.name,
                    SubmittedAssignment.student_id,
                    Notebook.name,
                    BaseCell.name,
                    DbGrade.auto_score,
                    DbGrade.manual_score,
                    DbGrade.extra_credit,
                    DbGrade.needs_manual_grade,
                )
                .select_from(DbGrade)
                .join(SubmittedNotebook, DbGrade.notebook_id == SubmittedNotebook.id)
                .join(SubmittedAssignment, SubmittedNotebook.assignment_id == SubmittedAssignment.id)
                .join(Notebook, SubmittedNotebook.notebook_id == Notebook.id)
                .join(BaseCell, DbGrade.cell_id == BaseCell.id)
                .join(DbAssignment, SubmittedAssignment.assignment_id == DbAssignment.id)
            )
        ]
    data = ClassData(course_id, assignments, students, [], submissions, grades)
    data.questions = [Question(a, nb, name, score, kind) for a, nb, name, score, kind, _ in graded]
    data.test_sources = {(a, nb, name): source for a, nb, name, _, kind, source in graded if kind == "test"}
    return data


def _late_seconds(timestamp: datetime | None, duedate: datetime | None, extension: timedelta | None) -> float:
    """nbgrader's ``SubmittedAssignment.total_seconds_late``: past the due date plus any extension."""
    if timestamp is None or duedate is None:
        return 0.0
    return max(0.0, (timestamp - (duedate + (extension or timedelta()))).total_seconds())


def order_questions(data: ClassData, position) -> None:
    """Sort each notebook's questions by ``position(assignment, notebook) -> {grade_id: index}``."""
    orders: dict[tuple[str, str], dict[str, int]] = {}
    for question in data.questions:
        key = (question.assignment, question.notebook)
        if key not in orders:
            orders[key] = position(*key)
    rank = {a.name: i for i, a in enumerate(data.assignments)}
    data.questions.sort(
        key=lambda q: (
            rank[q.assignment],
            q.notebook,
            orders[(q.assignment, q.notebook)].get(q.name, len(orders[(q.assignment, q.notebook)])),
            q.name,
        )
    )


def notebook_positions(folders: list[str]):
    """``position(assignment, notebook)`` for :func:`order_questions`: the grade ids in the order of the
    first notebook found under ``folders`` (format strings of the assignment and notebook)."""

    def position(assignment: str, notebook: str) -> dict[str, int]:
        for folder in folders:
            path = os.path.join(folder.format(assignment=assignment), notebook + ".ipynb")
            try:
                with open(path, encoding="utf-8") as f:
                    cells = json.load(f).get("cells", [])
            except (OSError, ValueError):
                continue
            ids = [c.get("metadata", {}).get("nbgrader", {}).get("grade_id") for c in cells]
            return {grade_id: i for i, grade_id in enumerate(ids) if grade_id}
        return {}

    return position


# ----------------------------------------------------------------------------- run reports


def run_report_files(runs_dir: Path, assignment: str) -> list[Path]:
    """An assignment's ``report.json`` and its shards', oldest first."""
    folder = runs_dir / assignment
    files = [folder / "report.json"] + sorted(folder.glob("shard-*-of-*/report.json"))
    return sorted((f for f in files if f.is_file()), key=lambda f: f.stat().st_mtime)


def read_runs(data: ClassData, runs_dir: Path) -> None:
    """Add the run reports of each assignment (a later report's entry for a student replaces an earlier one;
    entries of submissions the gradebook no longer holds are left out)."""
    submitted = {(s.assignment, s.student) for s in data.submissions}
    for assignment in data.assignments:
        for path in run_report_files(runs_dir, assignment.name):
            try:
                report = json.loads(path.read_text())
            except ValueError:
                continue
            data.graded_by[assignment.name] = "classgrade"
            for entry in report.get("submissions", []):
                student = entry["student"]
                if (assignment.name, student) not in submitted:
                    continue
                notebooks = entry.get("notebooks") or {}
                data.runs[(assignment.name, student)] = Run(
                    assignment.name,
                    student,
                    float(entry.get("seconds") or 0.0),
                    tuple(entry.get("status") or ()),
                    tuple(entry.get("notes") or ()),
                    tuple(entry.get("flags") or ()),
                    tuple(notebooks),
                )
                for notebook, details in notebooks.items():
                    if isinstance(details, dict) and isinstance(details.get("cells"), dict):
                        data.cells[(assignment.name, student, notebook)] = details["cells"]
    for assignment in data.assignments:
        data.graded_by.setdefault(assignment.name, "nbgrader")


def read_autograded(data: ClassData, autograded: str, hint_pattern: str) -> None:
    """Test cells' outcomes from the autograded notebooks where no run report gives them.

    Args:
        autograded: the path of a student's autograded assignment, with ``{student}`` and ``{assignment}``.
    """
    pattern = outcomes.compile_pattern(hint_pattern)
    notebooks = sorted({(q.assignment, q.notebook) for q in data.questions})
    submitted = {(s.assignment, s.student) for s in data.submissions}
    for assignment, student in sorted(submitted):
        for a, notebook in notebooks:
            key = (a, student, notebook)
            if a != assignment or key in data.cells:
                continue
            path = os.path.join(autograded.format(student=student, assignment=assignment), notebook + ".ipynb")
            try:
                with open(path, encoding="utf-8") as f:
                    data.cells[key] = outcomes.test_cells(json.load(f), pattern)
            except (OSError, ValueError):
                continue


# ----------------------------------------------------------------------------- the course's checks


def read_checks(data: ClassData, checks_module: str) -> None:
    """Which checks and parts each test cell calls (from its source in the gradebook)."""
    if not checks_module or not data.test_sources:
        return
    from ..integrity import checks_helpers
    from ..judge.verdict import checks_calls

    names = set(checks_helpers(checks_module))
    for index, question in enumerate(data.questions):
        source = data.test_sources.get((question.assignment, question.notebook, question.name))
        calls = checks_calls(source, names) if source else None
        if calls:
            parts = tuple(f"{check} ({part})" if part else check for check, part in calls)
            data.questions[index] = Question(
                question.assignment,
                question.notebook,
                question.name,
                question.max_score,
                question.kind,
                parts,
                tuple(calls),
            )


def read_judge(data: ClassData, checks_module: str) -> None:
    """Which (check, part) the course's trusted judge decides: ``judge(check, part, {})`` is not None.

    The judge answers None for a check it leaves to the kernel; for the others, without answers, it
    fails the cell at once. Asked only where classgrade graded (plain nbgrader has no judge).
    """
    if not checks_module or "classgrade" not in data.graded_by.values():
        return
    try:
        judge = getattr(importlib.import_module(checks_module), "judge", None)
    except Exception:  # noqa: BLE001 (the report still says what it knows without it)
        return
    data.judge_known = True
    for question in data.questions:
        for call in question.checks:
            if call in data.judged:
                continue
            try:
                data.judged[call] = judge is not None and judge(call[0], call[1], {}) is not None
            except Exception:  # noqa: BLE001 (it tried to judge: it decides this check)
                data.judged[call] = True


def read_hint_texts(data: ClassData, hint_text: str, language: str) -> None:
    """The text of every mistake named in the class, from the course's ``ClassGrade.hint_text``."""
    if not hint_text:
        return
    module, _, function = hint_text.partition(":")
    try:
        text = getattr(importlib.import_module(module), function)
    except Exception:  # noqa: BLE001 (names without texts)
        return
    names = {name for cells in data.cells.values() for cell in cells.values() for name in cell.get("hints", [])}
    for name in sorted(names):
        try:
            data.hint_texts[name] = str(text(name, language))
        except Exception:  # noqa: BLE001, S112 (an unknown name: shown without a text)
            continue


def course_paths(coursedir) -> tuple[str, list[str]]:
    """nbgrader's autograded folder pattern and the folders of the source and release notebooks."""

    def pattern(directory: str, student: str) -> str:
        return coursedir.format_path(directory, student, "{assignment}")

    autograded = pattern(coursedir.autograded_directory, "{student}")
    notebooks = [pattern(coursedir.source_directory, "."), pattern(coursedir.release_directory, ".")]
    return autograded, notebooks


def _matching(names: list[str], patterns: list[str]) -> set[str]:
    """The ``names`` that match any of ``patterns`` (glob, as nbgrader's ``"*"``); all of them if none."""
    if not patterns:
        return set(names)
    unknown = [p for p in patterns if not any(fnmatch.fnmatchcase(name, p) for name in names)]
    if unknown:
        raise SystemExit(f"no assignment in the gradebook matches {', '.join(map(repr, unknown))}")
    return {name for name in names if any(fnmatch.fnmatchcase(name, p) for p in patterns)}
