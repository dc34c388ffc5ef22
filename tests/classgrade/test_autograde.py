"""The class autograder (``python -m classgrade autograde``), on a tiny generated course.

A class of generated submissions (right, wrong, empty, broken in every way the issue lists, and
tampering in every way it lists) is graded once with ``--jobs 2``; each submission's score, status
and flags are checked, the gradebook is compared with a ``--jobs 1`` grading, with nbgrader's own
serial ``autograde``, and with itself after a regrade. Kernels run without PyTorch here (the
``kl`` assignment is plain Python), so the whole file takes a couple of minutes on 2 cores.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat
import pytest
from autograde_support import course as support

from classgrade import sandbox
from classgrade.execution.kernel import SOCKET_PATH_TAIL, UNIX_SOCKET_PATH_MAX

pytestmark = [
    # nbgrader's Gradebook (read here to compare gradings) triggers SQLAlchemy's autoflush warning.
    pytest.mark.filterwarnings("ignore::sqlalchemy.exc.SAWarning"),
    # nbformat warns about cells without ids in notebooks nbgrader writes.
    pytest.mark.filterwarnings("ignore::nbformat.warnings.MissingIDFieldWarning"),
]

FAST = support.FAST
BENIGN = ["correct", "wrong", "empty", "written"]
NBGRADER_COMPATIBLE = [
    "correct",
    "wrong",
    "empty",
    "written",
    "edited_test",
    "edited_readonly",
    "deleted_test",
    "monkeypatch",
    "suppresses",
    "hardcoded",
]


def grade(course: Path, *args: str) -> dict:
    """Run the command line in ``course``; return the report it wrote."""
    command = [sys.executable, "-m", "classgrade", "autograde", support.ASSIGNMENT, *FAST, *args]
    result = subprocess.run(command, cwd=course, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "student" in result.stdout and "score" in result.stdout  # the final table
    return json.loads((course / "reports" / "autograde" / support.ASSIGNMENT / "report.json").read_text())


def by_student(report: dict) -> dict[str, dict]:
    return {entry["student"]: entry for entry in report["submissions"]}


@pytest.fixture(scope="module")
def graded_class(tmp_path_factory) -> tuple[Path, dict]:
    course = support.make_course(tmp_path_factory.mktemp("class") / "course")
    support.submit_all(course)
    return course, grade(course, "--jobs", "2")


@pytest.mark.parametrize("student", sorted(support.EXPECTED))
def test_each_submission_gets_its_score_status_and_flags(graded_class, student):
    _course, report = graded_class
    entry = by_student(report)[student]
    score, statuses, flags = support.EXPECTED[student]
    codes = {flag["code"] for flag in entry["flags"]}
    assert (entry["score"], entry["max_score"]) == (score, support.MAX_SCORE), entry["notes"]
    assert set(statuses) <= set(entry["status"]), entry["notes"]
    assert set(flags) <= codes, entry["flags"]
    if statuses == ["ok"]:
        assert entry["status"] == ["ok"], entry["notes"]
    if student in BENIGN:
        assert not codes, entry["flags"]


@pytest.mark.parametrize("student", sorted(support.TAMPERING))
def test_the_graded_notebook_shows_the_judges_reason(graded_class, student):
    course, _report = graded_class
    graded = nbformat.read(
        course / "autograded" / student / support.ASSIGNMENT / f"{support.NOTEBOOK}.ipynb", as_version=4
    )
    tests = [c for c in graded.cells if c.metadata.get("nbgrader", {}).get("grade") and c.cell_type == "code"]
    errors = [o for cell in tests for o in cell.outputs if o.output_type == "error"]
    assert len(errors) == len(tests) == 2
    assert all(o.ename == "CheckFailure" and "kl_divergence" in o.evalue for o in errors), errors


def test_the_gradebook_holds_the_reported_scores(graded_class):
    course, report = graded_class
    table = support.grades_table(course)
    scores = {row[0]: row[2] for row in table if row[1] == "score"}
    assert scores == {entry["student"]: entry["score"] for entry in report["submissions"]}
    assert (course / "reports" / "autograde" / support.ASSIGNMENT / "report.csv").read_text().count("\n") == len(
        scores
    ) + 1


def test_the_report_records_the_isolation_and_keeps_hidden_tests_out_of_feedback_folders(graded_class):
    course, report = graded_class
    assert report["isolation"]["applied"]
    assert not list((course / "autograded").rglob("*.json")), "reports must stay out of nbgrader's folders"


def test_jobs_1_and_jobs_2_give_identical_gradebooks(graded_class, tmp_path):
    course, _report = graded_class
    serial = support.make_course(tmp_path / "course")
    support.submit_all(serial)
    grade(serial, "--jobs", "1")
    assert support.grades_table(serial) == support.grades_table(course)


def test_the_longest_temporary_folder_that_fits_works_and_a_longer_one_is_one_error(tmp_path):
    """Kernels talk over unix sockets below --tmp-dir, whose paths Linux caps at 107 bytes."""
    course = support.make_course(tmp_path / "course")
    support.submit_all(course, ["correct"])
    room = UNIX_SOCKET_PATH_MAX - SOCKET_PATH_TAIL
    short = Path(tempfile.mkdtemp(prefix="cg", dir="/tmp"))  # pytest's own tmp_path is already too long
    longest = short / ("t" * (room - len(str(short)) - 1))
    longest.mkdir()
    assert len(str(longest)) == room
    try:
        report = grade(course, "--jobs", "1", "--tmp-dir", str(longest))
    finally:
        shutil.rmtree(short)
    assert by_student(report)["correct"]["status"] == ["ok"]
    written = (course / "reports" / "autograde" / support.ASSIGNMENT / "report.json").stat().st_mtime_ns
    too_long = longest / "x"
    command = [sys.executable, "-m", "classgrade", "autograde", support.ASSIGNMENT, "--tmp-dir", str(too_long)]
    result = subprocess.run(command, cwd=course, capture_output=True, text=True)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert f"too long for the kernels' sockets: {room + 2 + SOCKET_PATH_TAIL} bytes" in result.stderr
    assert (course / "reports" / "autograde" / support.ASSIGNMENT / "report.json").stat().st_mtime_ns == written


def test_regrading_is_idempotent_and_student_regrades_only_that_student(graded_class, tmp_path):
    course = tmp_path / "course"
    shutil.copytree(graded_class[0], course)
    before = support.grades_table(course)
    grade(course, "--student", "[ce]*", "--jobs", "2")  # correct, edited_readonly, edited_test, empty
    assert support.grades_table(course) == before
    support.submit(course, "wrong", support._answer(support.CORRECT))  # "wrong" resubmits a correct answer
    report = grade(course, "--student", "wrong")
    after = support.grades_table(course)
    assert by_student(report)["wrong"]["score"] == 5
    assert len(report["submissions"]) == len(support.EXPECTED)  # the class report keeps everyone
    assert [r for r in after if r[0] != "wrong"] == [r for r in before if r[0] != "wrong"]


def test_matches_serial_nbgrader_and_survives_what_stops_it(tmp_path):
    course = support.make_course(tmp_path / "course")
    support.submit_all(course, NBGRADER_COMPATIBLE + ["os_exit", *support.TAMPERING])
    support.nbgrader(course, "autograde", support.ASSIGNMENT, "--OverwriteCells.add_missing_cells=True", check=False)
    theirs = support.grades_table(course)
    grade(course, "--jobs", "2")
    ours = support.grades_table(course)
    differ = {"os_exit", *support.TAMPERING}
    assert [r for r in ours if r[0] not in differ] == [r for r in theirs if r[0] not in differ]
    # plain nbgrader judges in the student's kernel, which tampering fools; the judge does not
    for student in support.TAMPERING:
        assert (student, "score", 5.0, support.MAX_SCORE) in theirs
        assert (student, "score", 0.0, support.MAX_SCORE) in ours
    # nbgrader gives up on a dead kernel and leaves no grade; we record zeros
    assert ("os_exit", "score", 0.0, support.MAX_SCORE) in ours
    assert any(r[0] == "os_exit" and r[2] == "test_kl_zero" and r[3] is None for r in theirs)


def test_feedback_and_export_work_on_the_graded_gradebook(graded_class, tmp_path):
    course = tmp_path / "course"
    shutil.copytree(graded_class[0], course)
    support.nbgrader(course, "generate_feedback", support.ASSIGNMENT, "--student=correct")
    assert (course / "feedback" / "correct" / support.ASSIGNMENT / f"{support.NOTEBOOK}.html").exists()
    support.nbgrader(course, "generate_feedback", support.ASSIGNMENT, "--student=tamper_library_function")
    feedback = (
        course / "feedback" / "tamper_library_function" / support.ASSIGNMENT / f"{support.NOTEBOOK}.html"
    ).read_text()
    assert "kl_divergence differs from the reference" in feedback  # the judge's reason reaches the student
    support.nbgrader(course, "export", "--to=grades.csv")
    lines = (course / "grades.csv").read_text().splitlines()
    assert len(lines) == len(support.EXPECTED) + 1 - 0  # one row per submission with a gradebook entry


def test_spawn_mode_grades_like_fork_mode(tmp_path):
    course = support.make_course(tmp_path / "course")
    support.submit_all(course, ["correct", "wrong", "os_exit", "memory_hog"])
    report = by_student(grade(course, "--kernel-start", "spawn", "--jobs", "2"))
    assert {s: (e["score"], e["status"][0]) for s, e in report.items()} == {
        "correct": (5, "ok"),
        "wrong": (2, "ok"),
        "os_exit": (0, "kernel-died"),
        "memory_hog": (0, "memory-limit"),
    }


def _isolated() -> bool:
    applied = " ".join(sandbox.check().get("applied", []))
    return "namespaces" in applied and "landlock" in applied


ESCAPES = """import os, socket, pathlib
course, grader, port = {course!r}, {grader}, {port}
attempts = {{
    "read gradebook": lambda: open(os.path.join(course, "gradebook.db"), "rb").read(1),
    "read source": lambda: open(os.path.join(course, "source", "kl", "kl.ipynb")).read(1),
    "write course": lambda: open(os.path.join(course, "pwned.txt"), "w").write("x"),
    "list submissions": lambda: os.listdir(os.path.join(course, "submitted")),
    "read home": lambda: os.listdir(os.path.expanduser("~root")),
    "network": lambda: socket.create_connection(("127.0.0.1", port), timeout=2),
    "signal grader": lambda: os.kill(grader, 0),
}}
for name, attempt in attempts.items():
    try:
        attempt()
        print("ESCAPED", name)
    except Exception as error:
        print("blocked", name, type(error).__name__)"""


@pytest.mark.skipif(not _isolated(), reason="user namespaces or Landlock unavailable on this machine")
def test_kernels_cannot_reach_the_course_the_network_or_the_grader(tmp_path):
    import os
    import socket

    course = support.make_course(tmp_path / "course")
    with socket.create_server(("127.0.0.1", 0)) as listener:  # a service on the grader's machine
        code = ESCAPES.format(course=str(course), grader=os.getpid(), port=listener.getsockname()[1])
        support.submit(course, "hostile", support._answer(support.CORRECT, code))
        report = by_student(grade(course))
    graded = nbformat.read(
        course / "autograded" / "hostile" / support.ASSIGNMENT / f"{support.NOTEBOOK}.ipynb", as_version=4
    )
    printed = "".join(o.get("text", "") for cell in graded.cells for o in cell.get("outputs", []))
    assert printed.count("blocked") == 7 and "ESCAPED" not in printed, printed
    assert not (course / "pwned.txt").exists()
    assert report["hostile"]["score"] == 5
    assert "outside-file" in {flag["code"] for flag in report["hostile"]["flags"]}


# --- a real assignment of the course --------------------------------------------------------------

REPOSITORY = Path(__file__).resolve().parents[2]
REAL_ASSIGNMENTS = sorted(p.name for p in (REPOSITORY / "solutions").glob("[0-9]*") if p.is_dir())


def _real_course(
    assignment: str, tmp_path: Path
) -> tuple[Path, str, nbformat.NotebookNode, nbformat.NotebookNode, float]:
    """The course's ``assignment`` generated in a fresh folder: (course, notebook file name, release,
    the release solved with the instructor's answers, points of its autograded test cells)."""
    course = tmp_path / "course"
    (course / "solutions").mkdir(parents=True)
    shutil.copy(REPOSITORY / "nbgrader_config.py", course)
    shutil.copytree(REPOSITORY / "solutions" / assignment, course / "solutions" / assignment)
    support.nbgrader(course, "generate_assignment", assignment)
    source = next((course / "solutions" / assignment).glob("*.ipynb"))
    autograded_points = sum(
        c.metadata["nbgrader"].get("points", 0)
        for c in nbformat.read(source, as_version=4).cells
        if c.metadata.get("nbgrader", {}).get("grade") and not c.metadata["nbgrader"].get("solution")
    )
    release = nbformat.read(course / "exercises" / assignment / source.name, as_version=4)
    solutions = {
        c.metadata["nbgrader"]["grade_id"]: c.source
        for c in nbformat.read(source, as_version=4).cells
        if c.metadata.get("nbgrader", {}).get("solution")
    }
    solved = nbformat.from_dict(json.loads(json.dumps(release)))
    for cell in solved.cells:  # the release, with each answer cell holding the instructor's solution
        cell.source = solutions.get(cell.metadata.get("nbgrader", {}).get("grade_id"), cell.source)
    return course, source.name, release, solved, autograded_points


def _grade_real(course: Path, assignment: str, submissions: dict) -> dict[str, dict]:
    """Submit ``submissions`` (student -> writer of the notebook into a folder); grade; the report by student.

    Graded as on a grading machine that never ran the course: the data root is empty, so kernels that
    load Fashion-MNIST (read-only to them) find it only if the grader prepared it before they started.
    """
    for student, write in submissions.items():
        folder = course / "submitted" / student / assignment
        folder.mkdir(parents=True)
        write(folder)
    command = [sys.executable, "-m", "classgrade", "autograde", assignment, "--jobs", "2", "--quiet"]
    env = dict(os.environ, VAE_COURSE_DATA=str(course.parent / "empty-data-root"))
    result = subprocess.run(command, cwd=course, capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    return by_student(json.loads((course / "reports" / "autograde" / assignment / "report.json").read_text()))


@pytest.mark.slow
@pytest.mark.parametrize("assignment", REAL_ASSIGNMENTS)
def test_a_real_assignment_grades_a_correct_and_a_broken_submission(assignment, tmp_path):
    course, name, release, solved, autograded_points = _real_course(assignment, tmp_path)
    report = _grade_real(
        course,
        assignment,
        {
            "solved": lambda f: nbformat.write(solved, f / name),
            "untouched": lambda f: nbformat.write(release, f / name),
            "broken": lambda f: (f / name).write_text("{ not json"),
        },
    )
    assert report["solved"]["score"] == autograded_points and report["solved"]["status"] == ["ok"], report["solved"]
    assert report["untouched"]["score"] == 0
    assert (report["broken"]["score"], report["broken"]["status"]) == (0, ["invalid-notebook"])
    assert not report["solved"]["flags"], report["solved"]["flags"]


def test_a_pattern_grades_every_assignment_from_one_pool_like_nbgrader(tmp_path):
    """``autograde "*"`` (nbgrader's idiom for every assignment) grades each assignment that has
    submissions, writes one report per assignment, and fills the gradebook as nbgrader's own
    ``autograde "*"`` does."""
    students = ["correct", "wrong", "empty"]
    course = support.make_course(tmp_path / "course")
    support.make_course(course, "kl_again")
    for assignment in (support.ASSIGNMENT, "kl_again"):
        for student in students:
            support.submit(course, student, support.SUBMISSIONS[student], assignment)
    theirs = shutil.copytree(course, tmp_path / "theirs")
    support.nbgrader(theirs, "autograde", "*", "--OverwriteCells.add_missing_cells=True")

    command = [sys.executable, "-m", "classgrade", "autograde", "*", *FAST, "--jobs", "2"]
    result = subprocess.run(command, cwd=course, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert result.stdout.count("student") >= 2  # a table per assignment
    for assignment in (support.ASSIGNMENT, "kl_again"):
        report = json.loads((course / "reports" / "autograde" / assignment / "report.json").read_text())
        assert sorted(by_student(report)) == sorted(students)
        assert support.grades_table(course, assignment) == support.grades_table(theirs, assignment)
    assert "workers.log" in {p.name for p in (course / "reports" / "autograde").iterdir()}  # one pool for both


def test_a_pattern_that_matches_no_submission_says_so(tmp_path):
    course = support.make_course(tmp_path / "course")
    command = [sys.executable, "-m", "classgrade", "autograde", "*", *FAST]
    result = subprocess.run(command, cwd=course, capture_output=True, text=True)
    assert result.returncode != 0
    assert "no submissions for any assignment matching '*'" in result.stderr


# A wrong KL (the sign flipped), and a kernel changed so that every KL check passes it: the visible
# asserts' torch.allclose, and the reference the hidden check looks up when it runs.
WRONG_KL = "def kl_divergence(mu, logvar):\n    return 0.5 * (1.0 + logvar - mu.pow(2) - logvar.exp()).sum(dim=-1)"
TAMPER_KL = """import torch
import vae_course.gaussian
torch.allclose = lambda *args, **kwargs: True
vae_course.gaussian.kl_divergence = lambda mu, logvar: 0.5 * (1.0 + logvar - mu.pow(2) - logvar.exp()).sum(dim=-1)"""


@pytest.mark.slow
def test_a_real_assignment_tampered_kernel_earns_nothing_for_a_wrong_kl(tmp_path):
    assignment = "03_kl_and_elbo"
    course, name, _release, solved, _points = _real_course(assignment, tmp_path)

    def wrong_kl(tamper: bool):
        nb = nbformat.from_dict(json.loads(json.dumps(solved)))
        answer = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "kl_divergence")
        answer.source = WRONG_KL
        if tamper:
            nb.cells.insert(nb.cells.index(answer) + 1, nbformat.v4.new_code_cell(TAMPER_KL))
        return lambda folder: nbformat.write(nb, folder / name)

    report = _grade_real(course, assignment, {"honest": wrong_kl(False), "tampered": wrong_kl(True)})
    overruled = {flag["cell"] for flag in report["tampered"]["flags"] if flag["code"] == "verdict-overruled"}
    assert overruled == {"test_kl_values", "test_kl_gradients"}, report["tampered"]  # the shapes are right
    assert report["tampered"]["score"] == report["honest"]["score"], (report["tampered"], report["honest"])
    assert "monkeypatch" in {flag["code"] for flag in report["tampered"]["flags"]}
    graded = nbformat.read(course / "autograded" / "tampered" / assignment / name, as_version=4)
    values = next(c for c in graded.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "test_kl_values")
    assert "[kl-sign]" in values.outputs[0].evalue  # the judge's reason, with the check's own hint


def test_prepare_calls_the_courses_functions_once_and_reports_a_failure(monkeypatch, capsys):
    from classgrade.config import ClassGrade
    from classgrade.coordinator.autograde import prepare

    calls = []
    monkeypatch.setattr(json, "calls", lambda: calls.append("called"), raising=False)  # a function in a module
    settings = ClassGrade(prepare=["json:calls", "json:no_such_function", "no_such_module:f"])
    errors = prepare(settings)
    assert calls == ["called"]
    assert [error.split(":")[0:2] for error in errors] == [
        ["prepare json", "no_such_function"],
        ["prepare no_such_module", "f"],
    ]
    assert "warning: prepare json:no_such_function: AttributeError" in capsys.readouterr().err
