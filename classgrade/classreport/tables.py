"""The class report's numbers, as tables: computed from :class:`~.sources.ClassData` alone, written as CSV.

Everything the page says and every figure it draws comes from these tables (data first): a test
checks them against the gradebook, and the page against them. Each question's outcome for each
submission is one of :data:`OUTCOMES`:

- ``got``: full marks; ``partly``: some of the points; ``lost``: none;
- ``not_run``: the cell could not be graded: its notebook never ran (missing, invalid, the kernel
  did not start) or stopped before it (the kernel died, the notebook's time ran out, the grader
  failed), or plain nbgrader gave up and left no score;
- ``by_hand``: an answer waiting to be graded by hand.
"""

from __future__ import annotations

import csv
import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

from .outcomes import NOT_RUN
from .sources import ClassData, Grade, Question

GOT, PARTLY, LOST, NOT_RUN_OUTCOME, BY_HAND = "got", "partly", "lost", "not_run", "by_hand"
OUTCOMES = (GOT, PARTLY, LOST, NOT_RUN_OUTCOME, BY_HAND)
FALLING = 20.0  # percentage points: a latest score this far below the student's earlier mean is "falling"
DIED = ("kernel-died", "kernel-failed")  # statuses of a kernel that died or never started
GRADING_STATUSES = ("kernel-died", "kernel-failed", "cell-timeout", "notebook-timeout", "memory-limit", "grader-error")
ANONYMOUS_TABLES = ("assignments", "scores", "questions", "mistakes", "grading")  # what --anonymous keeps


@dataclass
class Table:
    """A CSV file's content: ``tables/<name>.csv``."""

    name: str
    columns: tuple[str, ...]
    rows: list[tuple]

    def records(self) -> list[dict]:
        return [dict(zip(self.columns, row)) for row in self.rows]

    def write(self, folder: Path) -> Path:
        path = folder / f"{self.name}.csv"
        with path.open("w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            writer.writerow(self.columns)
            writer.writerows(["" if value is None else value for value in row] for row in self.rows)
        return path


def outcome(question: Question, grade: Grade | None, cell: dict | None, executed: bool) -> str:
    """One of :data:`OUTCOMES` for one submission's ``question``.

    Args:
        grade: its grade (None: the gradebook has none).
        cell: the test cell's outcome (:func:`.outcomes.test_cells`), None if not known.
        executed: whether an executed notebook is known (a run report's, or an autograded one).
    """
    if grade is None:
        return NOT_RUN_OUTCOME
    if not grade.decided:
        return NOT_RUN_OUTCOME if question.kind == "test" else BY_HAND
    if question.kind == "test" and grade.manual_score is None:
        if not executed or (cell is not None and cell.get("error") in NOT_RUN):
            return NOT_RUN_OUTCOME
    if grade.score >= question.max_score:
        return GOT
    return LOST if grade.score <= 0 else PARTLY


def _percent(score: float, maximum: float) -> float:
    return round(100.0 * score / maximum, 1) if maximum else 0.0


def _round(value: float | None, digits: int = 2) -> float | None:
    return None if value is None else round(value, digits)


class _Index:
    """The class data, indexed once for the tables."""

    def __init__(self, data: ClassData):
        self.data = data
        self.order = [a.name for a in data.assignments]
        self.questions = defaultdict(list)  # assignment -> questions
        for question in data.questions:
            self.questions[question.assignment].append(question)
        self.max_score = {a: sum(q.max_score for q in self.questions[a]) for a in self.order}
        self.grades = {(g.assignment, g.student, g.notebook, g.question): g for g in data.grades}
        self.submissions = defaultdict(list)  # assignment -> submissions
        for submission in data.submissions:
            self.submissions[submission.assignment].append(submission)
        self.score, self.by_hand = defaultdict(float), set()
        for grade in data.grades:
            self.score[(grade.assignment, grade.student)] += grade.score
            if grade.needs_manual_grade:
                self.by_hand.add((grade.assignment, grade.student))
        self.notebooks = {(q.assignment, q.notebook) for q in data.questions}
        self.outcomes: dict[tuple[str, str], dict[tuple[str, str], str]] = {}  # (a, student) -> (nb, q) -> outcome
        for submission in data.submissions:
            a, student = submission.assignment, submission.student
            self.outcomes[(a, student)] = {
                (q.notebook, q.name): outcome(
                    q,
                    self.grades.get((a, student, q.notebook, q.name)),
                    self.cell(a, student, q.notebook, q.name),
                    self.executed(a, student, q.notebook),
                )
                for q in self.questions[a]
            }
        # assignments due: some student submitted them (their due date, if any, has passed for those)
        self.due = [a for a in self.order if self.submissions[a]]

    def cell(self, assignment: str, student: str, notebook: str, question: str) -> dict | None:
        return self.data.cells.get((assignment, student, notebook), {}).get(question)

    def executed(self, assignment: str, student: str, notebook: str) -> bool:
        return (assignment, student, notebook) in self.data.cells

    def label(self, question: Question) -> str:
        """A question's name, with its notebook's where the assignment has several."""
        several = sum(1 for a, _ in self.notebooks if a == question.assignment) > 1
        return f"{question.notebook}/{question.name}" if several else question.name


def compute(data: ClassData) -> dict[str, Table]:
    """Every table of the instructor's report, by name."""
    index = _Index(data)
    computed = [
        assignments_table(index),
        scores_table(index),
        questions_table(index),
        mistakes_table(index),
        grading_table(index),
        students_table(index),
        flags_table(index),
        incidents_table(index),
        lms_table(index),
    ]
    return {table.name: table for table in computed}


def anonymous(tables: dict[str, Table]) -> dict[str, Table]:
    """The anonymous edition's tables: :data:`ANONYMOUS_TABLES`, and of each score only the numbers."""
    kept = {name: tables[name] for name in ANONYMOUS_TABLES}
    scores = kept["scores"]
    columns = ("assignment", "score", "max_score", "late", "by_hand")
    index = [scores.columns.index(c) for c in columns]
    rows = sorted((tuple(row[i] for i in index) for row in scores.rows), key=lambda r: (r[0], r[1]))
    kept["scores"] = Table("scores", columns, rows)
    return kept


def assignments_table(index: _Index) -> Table:
    """The class at a glance: per assignment, submissions, missing, late, waiting for hand grading, scores."""
    rows = []
    for name, assignment in zip(index.order, index.data.assignments):
        submissions = index.submissions[name]
        scores = [index.score[(name, s.student)] for s in submissions]
        rows.append(
            (
                name,
                assignment.duedate.isoformat(sep=" ", timespec="minutes") if assignment.duedate else None,
                index.max_score[name],
                len(index.data.students),
                len(submissions),
                len(index.data.students) - len(submissions),
                sum(1 for s in submissions if s.late_seconds > 0),
                sum(1 for s in submissions if (name, s.student) in index.by_hand),
                _round(statistics.fmean(scores)) if scores else None,
                _round(statistics.median(scores)) if scores else None,
                min(scores, default=None),
                max(scores, default=None),
                index.data.graded_by.get(name, "nbgrader"),
            )
        )
    columns = ("assignment", "due", "max_score", "students", "submitted", "missing", "late", "by_hand")
    return Table("assignments", columns + ("mean", "median", "lowest", "highest", "graded_by"), rows)


def scores_table(index: _Index) -> Table:
    """One row per submission: who, the total score, late, waiting for a hand, grading time and status."""
    rows = []
    for name in index.order:
        for s in sorted(index.submissions[name], key=lambda s: s.student):
            run = index.data.runs.get((name, s.student))
            rows.append(
                (
                    name,
                    s.student,
                    _round(index.score[(name, s.student)], 4),
                    index.max_score[name],
                    s.late_seconds > 0,
                    round(s.late_seconds),
                    (name, s.student) in index.by_hand,
                    _round(run.seconds) if run else None,
                    " ".join(run.status) if run else None,
                )
            )
    columns = ("assignment", "student", "score", "max_score", "late", "late_seconds", "by_hand", "seconds", "status")
    return Table("scores", columns, rows)


def questions_table(index: _Index) -> Table:
    """Per question, how many submissions got it, partly, lost it, could not be graded, wait for a hand;
    hardest first within each assignment (the smallest share of full marks among those decided)."""
    rows = []
    for name in index.order:
        ranked = []
        for q in index.questions[name]:
            counts = Counter(index.outcomes[(name, s.student)][(q.notebook, q.name)] for s in index.submissions[name])
            scores = [
                index.grades[key].score
                for s in index.submissions[name]
                if (key := (name, s.student, q.notebook, q.name)) in index.grades and index.grades[key].decided
            ]
            decided = counts[GOT] + counts[PARTLY] + counts[LOST]
            share = counts[GOT] / decided if decided else None
            mean = statistics.fmean(scores) if scores else None
            hardness = (share is None, share or 0.0, (mean or 0.0) / q.max_score if q.max_score else 0.0)
            row = (
                name,
                q.notebook,
                index.label(q),
                q.kind,
                "; ".join(q.parts),
                q.max_score,
                len(index.submissions[name]),
            )
            ranked.append((hardness, row + tuple(counts[o] for o in OUTCOMES) + (_round(mean),)))
        ranked.sort(key=lambda item: item[0])
        rows += [row + (rank,) for rank, (_, row) in enumerate(ranked, start=1)]
    columns = ("assignment", "notebook", "question", "kind", "parts", "max_score", "submitted")
    return Table("questions", columns + OUTCOMES + ("mean_score", "rank"), rows)


def mistakes_table(index: _Index) -> Table:
    """How many students each named mistake was found in, per question, most common first, with its text."""
    students = defaultdict(set)  # (assignment, notebook, question, hint) -> students
    for (a, student, notebook), cells in index.data.cells.items():
        if a not in index.max_score:
            continue
        for question, cell in cells.items():
            for hint in cell.get("hints", []):
                students[(a, notebook, question, hint)].add(student)
    labels = {(q.assignment, q.notebook, q.name): index.label(q) for q in index.data.questions}
    position = {key: i for i, key in enumerate(labels)}
    rows = [
        (
            a,
            notebook,
            labels.get((a, notebook, question), question),
            hint,
            len(who),
            len(index.submissions[a]),
            index.data.hint_texts.get(hint),
        )
        for (a, notebook, question, hint), who in students.items()
    ]
    rows.sort(key=lambda r: (-r[4], index.order.index(r[0]), position.get((r[0], r[1], r[2]), 0), r[3]))
    return Table("mistakes", ("assignment", "notebook", "question", "hint", "students", "submitted", "text"), rows)


def students_table(index: _Index) -> Table:
    """Per student: the percentage of each assignment, what is missing, the trend, and why to look."""
    flagged = Counter()
    for (_, student), run in index.data.runs.items():
        flagged[student] += len(run.flags)
    submitted = {(s.assignment, s.student): s for s in index.data.submissions}
    rows = []
    for student in index.data.students:
        percents = {
            a: _percent(index.score[(a, student.id)], index.max_score[a])
            for a in index.order
            if (a, student.id) in submitted
        }
        missing = [a for a in index.due if a not in percents]
        history = [percents[a] for a in index.order if a in percents]
        trend = round(history[-1] - statistics.fmean(history[:-1]), 1) if len(history) >= 2 else None
        reasons = [
            reason
            for reason, applies in (
                ("falling", trend is not None and trend <= -FALLING),
                ("missing", bool(missing)),
                ("flagged", flagged[student.id] > 0),
            )
            if applies
        ]
        late = sum(1 for a in index.order if (a, student.id) in submitted and submitted[(a, student.id)].late_seconds)
        rows.append(
            (student.id, student.name, len(percents), len(missing), " ".join(missing), late, flagged[student.id], trend)
            + (" ".join(reasons),)
            + tuple(percents.get(a) for a in index.order)
        )
    columns = ("student", "name", "submitted", "missing", "missing_assignments", "late", "flags", "trend", "reasons")
    return Table("students", columns + tuple(index.order), rows)


def to_look_at(students: Table) -> list[tuple]:
    """The rows of ``students`` with a reason to look, most reasons first, then most missed, then steepest fall."""
    columns = {c: i for i, c in enumerate(students.columns)}
    rows = [r for r in students.rows if r[columns["reasons"]]]
    return sorted(
        rows,
        key=lambda r: (
            -len(r[columns["reasons"]].split()),
            -r[columns["missing"]],
            r[columns["trend"]] if r[columns["trend"]] is not None else 0.0,
            r[columns["student"]],
        ),
    )


def flags_table(index: _Index) -> Table:
    """Every integrity flag of the run reports, with the evidence that raised it (instructor only)."""
    rows = [
        (a, student, f.get("code"), f.get("notebook"), f.get("cell"), f.get("line"), f.get("source"), f.get("evidence"))
        for a in index.order
        for (run_a, student), run in sorted(index.data.runs.items())
        if run_a == a
        for f in run.flags
    ]
    return Table("flags", ("assignment", "student", "code", "notebook", "cell", "line", "source", "evidence"), rows)


def incidents_table(index: _Index) -> Table:
    """Submissions whose grading did not go normally (a kernel died, a time limit...), with the notes."""
    rows = [
        (a, student, " ".join(run.status), " | ".join(run.notes))
        for a in index.order
        for (run_a, student), run in sorted(index.data.runs.items())
        if run_a == a and tuple(run.status) != ("ok",)
    ]
    return Table("incidents", ("assignment", "student", "status", "notes"), rows)


def grading_table(index: _Index) -> Table:
    """Grading itself, per assignment: time per submission, kernels that died, limits hit, and who
    decided the test cells: the trusted judge (after the kernel passed them) or the kernel alone."""
    rows = []
    for a in index.order:
        runs = [r for (run_a, _), r in index.data.runs.items() if run_a == a]
        seconds = sorted(r.seconds for r in runs)
        statuses = Counter(code for r in runs for code in set(r.status))
        cells = Counter(decision for decision in _decisions(index, a))
        timing = (
            (
                _round(statistics.median(seconds)),
                _round(seconds[min(len(seconds) - 1, int(0.9 * len(seconds)))]),
                _round(seconds[-1]),
                _round(sum(seconds)),
            )
            if seconds
            else (None,) * 4
        )
        rows.append(
            (a, index.data.graded_by.get(a, "nbgrader"), len(runs))
            + timing
            + tuple(statuses[code] if runs else None for code in GRADING_STATUSES)
            + tuple(cells[d] for d in DECISIONS)
        )
    columns = ("assignment", "graded_by", "graded", "seconds_median", "seconds_p90", "seconds_max", "seconds_total")
    return Table("grading", columns + tuple(c.replace("-", "_") for c in GRADING_STATUSES) + DECISIONS, rows)


# Who decided a test cell: the judge (it passed or overruled what the kernel passed), the kernel alone
# (it failed the cell, or the judge does not decide its checks, or no judge: plain nbgrader), or nobody.
DECISIONS = ("judge_passed", "judge_overruled", "failed_in_kernel", "passed_in_kernel", "did_not_run")


def _decisions(index: _Index, assignment: str):
    """One decision (:data:`DECISIONS`) per test cell of each submission of ``assignment``."""
    tests = [q for q in index.questions[assignment] if q.kind == "test"]
    for submission in index.submissions[assignment]:
        run = index.data.runs.get((assignment, submission.student))
        overruled = (
            {(f.get("notebook"), f.get("cell")) for f in run.flags if f.get("code") == "verdict-overruled"}
            if run
            else set()
        )
        for q in tests:
            if index.outcomes[(assignment, submission.student)][(q.notebook, q.name)] == NOT_RUN_OUTCOME:
                yield "did_not_run"
            elif (q.notebook, q.name) in overruled:
                yield "judge_overruled"
            elif (index.cell(assignment, submission.student, q.notebook, q.name) or {}).get("error"):
                yield "failed_in_kernel"
            elif run is not None and any(index.data.judged.get(call) for call in q.checks):
                yield "judge_passed"
            else:
                yield "passed_in_kernel"


def lms_table(index: _Index) -> Table:
    """Per student one row, per question one column (and each assignment's total), as learning-management
    systems import grades: blank where there is no score (not submitted, or not graded yet)."""
    columns = ["student_id", "lms_user_id", "email", "first_name", "last_name"]
    keys = []
    for a in index.order:
        for q in index.questions[a]:
            columns.append(f"{a}/{index.label(q)}")
            keys.append((a, q))
        columns.append(f"{a}/total")
        keys.append((a, None))
    submitted = {(s.assignment, s.student) for s in index.data.submissions}
    rows = []
    for student in index.data.students:
        row = [student.id, student.lms_user_id, student.email, student.first_name, student.last_name]
        for a, q in keys:
            if (a, student.id) not in submitted:
                row.append(None)
            elif q is None:
                row.append(_round(index.score[(a, student.id)], 4))
            else:
                grade = index.grades.get((a, student.id, q.notebook, q.name))
                row.append(_round(grade.score, 4) if grade is not None and grade.decided else None)
        rows.append(tuple(row))
    return Table("lms", tuple(columns), rows)
