"""A synthetic graded class of the course's own assignments, for the class report's tests and benchmark.

Grading a real class of the course takes seconds per notebook; the class report only reads what
grading leaves behind. :func:`make_class` writes that directly, from a seeded :class:`Plan`:

- a gradebook holding the assignments' graded cells as ``nbgrader generate_assignment`` records
  them (read from ``solutions/``: test cells with their hidden tests, written answers), its
  students, submissions and grades (bulk inserts into nbgrader's own tables, SQLite or PostgreSQL);
- classgrade's run report of each assignment (time, status, flags, each test cell's error and the
  named hints of its message), except for the assignments ``plain`` names, which look graded by
  plain ``nbgrader autograde``: autograded notebooks whose failed test cells carry the checks'
  messages, no run report, and no score where the kernel died;

covering every case: submissions missing and late, written answers waiting for a hand, kernels that
died, integrity flags (a ``verdict-overruled`` among them) and every named hint of
``vae_course.checks`` at least once. The plan is the oracle: a test compares the report with it.
"""

from __future__ import annotations

import json
import random
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SOLUTIONS = ROOT / "solutions"
DUE = datetime(2030, 1, 6, 23, 59)  # the first assignment's due date; one a week after
COURSE_ID = "vae-course"

GOT, PARTLY, LOST, NOT_RUN, BY_HAND = "got", "partly", "lost", "not_run", "by_hand"


@dataclass(frozen=True)
class Cell:
    """A graded cell of an assignment's notebook (what the gradebook records of it)."""

    name: str
    kind: str  # "test" or "written"
    points: float
    source: str


@dataclass
class Outcome:
    """What one submission got in one cell."""

    outcome: str  # GOT, PARTLY, LOST, NOT_RUN, BY_HAND
    score: float | None  # None: undecided (waiting for a hand, or no score from plain nbgrader)
    error: str | None = None  # a failed test cell's error name
    hints: list[str] = field(default_factory=list)


@dataclass
class Entry:
    """One submission."""

    assignment: str
    student: str
    late: bool
    status: list[str]
    seconds: float
    flags: list[dict]
    cells: dict[str, Outcome]
    died_at: str | None = None  # the test cell in which the kernel died

    @property
    def score(self) -> float:
        return sum(o.score or 0.0 for o in self.cells.values())


@dataclass
class Plan:
    assignments: dict[str, list[Cell]]  # name -> graded cells, in notebook order
    students: list[str]
    entries: dict[tuple[str, str], Entry]  # (assignment, student) -> submission
    plain: tuple[str, ...]  # assignments graded by plain nbgrader
    hint_cells: dict[str, tuple[str, str]]  # hint -> (assignment, test cell) where the plan puts it


def course_cells(assignments: list[str] | None = None) -> dict[str, list[Cell]]:
    """The graded cells of the course's assignments (all, or ``assignments``), from ``solutions/``."""
    cells = {}
    for folder in sorted(p for p in SOLUTIONS.iterdir() if p.is_dir()):
        if assignments is not None and folder.name not in assignments:
            continue
        nb = json.loads((folder / f"{folder.name}.ipynb").read_text())
        cells[folder.name] = [
            Cell(
                meta["grade_id"],
                "written" if meta.get("solution") else "test",
                float(meta["points"]),
                "".join(c["source"]),
            )
            for c in nb["cells"]
            if (meta := c["metadata"].get("nbgrader", {})).get("grade")
        ]
    return cells


def hint_places(cells: dict[str, list[Cell]]) -> dict[str, tuple[str, str]]:
    """A test cell for every named hint: where the course's known mistakes raise it
    (``tests/exercise_support/answers.py``), else the test cells in turn."""
    from exercise_support.answers import MISTAKES

    from vae_course.checks import HINTS

    tests = [(a, c.name) for a, own in cells.items() for c in own if c.kind == "test"]
    places = {}
    for mistake in MISTAKES:
        own = [name for a, name in tests if a == mistake.assignment and name in mistake.failing]
        chosen = [n for n in own if any(n.endswith(part) for part in mistake.parts)] or own
        if chosen and mistake.hint not in places:
            places[mistake.hint] = (mistake.assignment, sorted(chosen)[0])
    for number, hint in enumerate(h for h in HINTS if h not in places):
        places[hint] = tests[(7 * number) % len(tests)]
    return places


def plan_class(students: int, assignments: list[str] | None = None, plain: tuple[str, ...] = (), seed: int = 0) -> Plan:
    """A class of ``students`` across the course's assignments, every case at least once."""
    rng = random.Random(seed)
    cells = course_cells(assignments)
    names = list(cells)
    places = hint_places(cells)
    per_cell: dict[tuple[str, str], list[str]] = {}
    for hint, place in places.items():
        per_cell.setdefault(place, []).append(hint)
    ids = [f"s{i:04d}" for i in range(students)]
    entries = {}
    for i, student in enumerate(ids):
        skill = rng.uniform(0.45, 0.95) - (0.3 if i % 9 == 4 else 0.0)  # some students fall behind...
        for k, a in enumerate(names):
            if (i % 11 == 3 and k == len(names) - 1) or rng.random() < 0.05:  # ...or miss assignments
                continue
            if i % 9 == 4 and k >= len(names) // 2:
                skill = max(0.05, skill - 0.25)
            entries[(a, student)] = _entry(rng, a, student, cells[a], per_cell, skill, a in plain)
    plan = Plan(cells, ids, entries, tuple(plain), places)
    _cover_every_case(plan)
    return plan


def _entry(rng, assignment, student, cells, per_cell, skill, plain) -> Entry:
    late = rng.random() < 0.1
    flags = []
    if rng.random() < 0.03:
        flags.append(_flag("monkeypatch", assignment, "assigns torch.allclose: torch.allclose = lambda *a, **k: True"))
    died = rng.random() < 0.03
    status = ["kernel-died"] if died else ["ok"]
    tests = [c for c in cells if c.kind == "test"]
    died_at = rng.choice(tests).name if died else None
    outcomes, stopped = {}, False
    for cell in cells:
        if died and plain:  # nbgrader gave up on the notebook: no grade was saved
            outcomes[cell.name] = Outcome(NOT_RUN if cell.kind == "test" else BY_HAND, None)
            continue
        if cell.kind == "written":
            if rng.random() < 0.3:
                outcomes[cell.name] = Outcome(BY_HAND, None)
            else:
                score = float(rng.randint(0, int(cell.points)))
                outcomes[cell.name] = Outcome(_by_score(score, cell.points), score)
            continue
        if cell.name == died_at:
            stopped = True
        if stopped:  # classgrade writes an error output into each cell that did not run: 0 points
            outcomes[cell.name] = Outcome(NOT_RUN, 0.0, "DeadKernelError" if cell.name == died_at else "NotExecuted")
        elif rng.random() < skill:
            outcomes[cell.name] = Outcome(GOT, cell.points)
        else:
            hints = per_cell.get((assignment, cell.name), [])
            named = [rng.choice(hints)] if hints and rng.random() < 0.7 else []
            outcomes[cell.name] = Outcome(LOST, 0.0, "CheckFailure" if named else "AssertionError", named)
    return Entry(assignment, student, late, status, round(rng.uniform(1.5, 12.0), 2), flags, outcomes, died_at)


def _by_score(score: float, points: float) -> str:
    return GOT if score >= points else LOST if score <= 0 else PARTLY


def _flag(code: str, notebook: str, evidence: str, cell: str | None = None) -> dict:
    return {"code": code, "notebook": notebook, "cell": cell, "line": None, "evidence": evidence, "source": "runtime"}


def _cover_every_case(plan: Plan) -> None:
    """Make sure of each case: every hint once, a verdict overruled, a flag, a dead kernel, a late one."""
    graded = [e for e in plan.entries.values() if e.status == ["ok"]]
    for number, (hint, (assignment, cell)) in enumerate(sorted(plan.hint_cells.items())):
        own = [e for e in graded if e.assignment == assignment]
        entry = own[number % len(own)]
        outcome = entry.cells[cell]
        if hint not in outcome.hints:
            entry.cells[cell] = Outcome(LOST, 0.0, "CheckFailure", [*outcome.hints, hint])
    judged = next(e for e in graded if e.assignment not in plan.plain and not e.flags)
    cell = next(c.name for c in plan.assignments[judged.assignment] if c.kind == "test")
    judged.cells[cell] = Outcome(LOST, 0.0, "CheckFailure")
    judged.flags.append(_flag("verdict-overruled", judged.assignment, "the kernel passed this test cell", cell))
    graded[1].late = True
    if not any(e.status == ["kernel-died"] for e in plan.entries.values() if e.assignment not in plan.plain):
        raise AssertionError("the plan has no dead kernel: use more students")


# ----------------------------------------------------------------------------- writing the course


def write_class(course: Path, plan: Plan, db_url: str | None = None) -> str:
    """Write the gradebook (``db_url``, default ``course/gradebook.db``), run reports and autograded
    notebooks of ``plan`` into ``course`` (with the course's ``nbgrader_config.py``); return the URL."""
    from nbgrader.api import Gradebook

    from classgrade.environment import put_scripts_on_path

    put_scripts_on_path()  # nbgrader runs alembic from PATH when it creates a gradebook
    course.mkdir(parents=True, exist_ok=True)
    db_url = db_url or f"sqlite:///{course / 'gradebook.db'}"
    config = (ROOT / "nbgrader_config.py").read_text()
    config += f"\nc.CourseDirectory.root = {str(course)!r}\nc.CourseDirectory.db_url = {db_url!r}\n"
    (course / "nbgrader_config.py").write_text(config)
    for assignment in plan.assignments:  # the source notebooks: the order of the questions
        (course / "solutions" / assignment).mkdir(parents=True, exist_ok=True)
        source = SOLUTIONS / assignment / f"{assignment}.ipynb"
        (course / "solutions" / assignment / source.name).write_text(source.read_text())
    with Gradebook(db_url, COURSE_ID) as gb:
        _add_assignments(gb, plan)
        _insert_submissions(gb, plan)
    for assignment in plan.assignments:
        if assignment in plan.plain:
            _write_autograded(course, plan, assignment)
        else:
            _write_run_report(course, plan, assignment)
    return db_url


def _add_assignments(gb, plan: Plan) -> None:
    """The assignments' notebooks and graded cells, as ``generate_assignment`` records them (one commit)."""
    from nbgrader.api import Assignment, GradeCell, Notebook, SolutionCell, SourceCell

    for k, (name, cells) in enumerate(plan.assignments.items()):
        assignment = Assignment(name=name, duedate=DUE + timedelta(weeks=k), course_id=COURSE_ID)
        notebook = Notebook(name=name, assignment=assignment)
        gb.db.add_all([assignment, notebook])
        for cell in cells:
            cell_type = "markdown" if cell.kind == "written" else "code"
            gb.db.add(GradeCell(name=cell.name, max_score=cell.points, cell_type=cell_type, notebook=notebook))
            if cell.kind == "written":
                gb.db.add(SolutionCell(name=cell.name, notebook=notebook))
            locked = cell.kind == "test"
            gb.db.add(
                SourceCell(name=cell.name, cell_type=cell_type, locked=locked, source=cell.source, notebook=notebook)
            )
    gb.db.commit()


def _insert_submissions(gb, plan: Plan) -> None:
    """Students, submissions and grades, in bulk: nbgrader's API adds them one object at a time."""
    from nbgrader.api import Assignment, Grade, GradeCell, Notebook, Student, SubmittedAssignment, SubmittedNotebook

    db = gb.db
    assignment_ids = dict(db.query(Assignment.name, Assignment.id))
    notebook_ids = dict(db.query(Notebook.name, Notebook.id))
    cell_ids = {
        (nb, name): cell_id
        for nb, name, cell_id in db.query(Notebook.name, GradeCell.name, GradeCell.id).join(
            Notebook, GradeCell.notebook_id == Notebook.id
        )
    }
    students, submissions, notebooks, grades = [], [], [], []
    for number, student in enumerate(plan.students):
        first, last = ("Ada", "Lovelace") if number % 2 else ("Budi", "Santoso")
        students.append(
            dict(id=student, first_name=first, last_name=f"{last} {number}", email=f"{student}@example.org")
        )
    written = {(a, c.name) for a, cells in plan.assignments.items() for c in cells if c.kind == "written"}
    for k, ((assignment, student), entry) in enumerate(plan.entries.items()):
        due = DUE + timedelta(weeks=list(plan.assignments).index(assignment))
        submission_id, notebook_id = uuid.uuid4().hex, uuid.uuid4().hex
        timestamp = due + (timedelta(hours=3 + k % 5) if entry.late else -timedelta(hours=5 + k % 7))
        submissions.append(
            dict(id=submission_id, assignment_id=assignment_ids[assignment], student_id=student, timestamp=timestamp)
        )
        notebooks.append(
            dict(id=notebook_id, assignment_id=submission_id, notebook_id=notebook_ids[assignment], flagged=False)
        )
        for cell, outcome in entry.cells.items():
            by_hand = (assignment, cell) in written
            grades.append(
                dict(
                    id=uuid.uuid4().hex,
                    notebook_id=notebook_id,
                    cell_id=cell_ids[(assignment, cell)],
                    auto_score=None if by_hand else outcome.score,
                    manual_score=outcome.score if by_hand else None,
                    needs_manual_grade=outcome.score is None,
                )
            )
    for table, rows in (
        (Student, students),
        (SubmittedAssignment, submissions),
        (SubmittedNotebook, notebooks),
        (Grade, grades),
    ):
        db.execute(table.__table__.insert(), rows)
    db.commit()


def _message(hints: list[str]) -> str:
    from vae_course.checks.hints import hint

    lines = ["the result differs from the reference on a hidden input (float32 on cpu)."]
    return "\n".join(lines + [f"Hint [{name}]: {hint(name)}" for name in hints])


def _write_run_report(course: Path, plan: Plan, assignment: str) -> None:
    submissions = []
    for (a, student), entry in sorted(plan.entries.items()):
        if a != assignment:
            continue
        tests = {c.name for c in plan.assignments[assignment] if c.kind == "test"}
        cells = {name: {"error": o.error, "hints": list(o.hints)} for name, o in entry.cells.items() if name in tests}
        notes = [f"{assignment}: the kernel died in cell 9 (exit status 1)"] if entry.died_at else []
        submissions.append(
            {
                "student": student,
                "score": entry.score,
                "max_score": sum(c.points for c in plan.assignments[assignment]),
                "seconds": entry.seconds,
                "status": entry.status,
                "notes": notes,
                "flags": entry.flags,
                "notebooks": {assignment: {"events": [], "details": notes, "seconds": entry.seconds, "cells": cells}},
            }
        )
    report = {"assignment": assignment, "started": "2030-01-08T10:00:00", "wall_seconds": 60.0, "jobs": 2,
              "isolation": {}, "submissions": submissions, "warnings": []}  # fmt: skip
    folder = course / "reports" / "autograde" / assignment
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "report.json").write_text(json.dumps(report))


def _write_autograded(course: Path, plan: Plan, assignment: str) -> None:
    """What plain nbgrader leaves: the executed notebook (none where the kernel died: it gave up)."""
    release = json.loads((SOLUTIONS / assignment / f"{assignment}.ipynb").read_text())
    for (a, student), entry in sorted(plan.entries.items()):
        if a != assignment or entry.died_at:
            continue
        nb = json.loads(json.dumps(release))
        for cell in nb["cells"]:
            meta = cell["metadata"].get("nbgrader", {})
            outcome = entry.cells.get(meta.get("grade_id"))
            if cell["cell_type"] != "code":
                continue
            cell["outputs"] = []
            if outcome is not None and outcome.error:
                message = _message(outcome.hints)
                cell["outputs"] = [{"output_type": "error", "ename": outcome.error, "evalue": message, "traceback": []}]
        folder = course / "autograded" / student / assignment
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{assignment}.ipynb").write_text(json.dumps(nb))


def make_class(course: Path, students: int, plain: tuple[str, ...] = (), db_url: str | None = None, seed: int = 0):
    """Plan a class and write it into ``course``; return ``(plan, db_url)``."""
    plan = plan_class(students, plain=plain, seed=seed)
    return plan, write_class(course, plan, db_url)
