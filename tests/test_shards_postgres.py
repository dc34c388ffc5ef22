"""One class graded by three shards at once (``--shard K/3``) into a shared PostgreSQL gradebook.

A real PostgreSQL server (Debian's ``postgresql`` package) runs in a temporary folder, on
127.0.0.1 only, as an unprivileged user, for this module. A class of eight ``kl`` submissions is
graded by three shard processes at once; one of them is killed (SIGKILL) while it grades, then
run again. The gradebook must hold every submission once, and the same grades as one machine's
SQLite grading of the same class; ``nbgrader export`` and ``generate_feedback`` must work on it.
"""

from __future__ import annotations

import fcntl
import glob
import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
import pytest
from autograde_support import course as support

pytestmark = [
    pytest.mark.slow,
    # nbgrader's Gradebook (read here to compare gradings) triggers SQLAlchemy's autoflush warning.
    pytest.mark.filterwarnings("ignore::sqlalchemy.exc.SAWarning"),
    pytest.mark.filterwarnings("ignore::nbformat.warnings.MissingIDFieldWarning"),
]

# The command under test, in one place (it will become ``python -m classgrade autograde``).
AUTOGRADE = [sys.executable, "-m", "classgrade", "autograde"]
FAST = [*support.FAST, "--jobs", "1"]  # one notebook at a time per shard
SHARDS = 3
# Eight students: sorted, shard k takes students k, k+3, k+6. Shard 1 (student1, student4,
# student7) is the one killed: student7's notebook sleeps until the notebook limit, so the shard is
# still grading it when it is killed, after student1 and student4.
CLASS = {
    "student1": "correct",
    "student2": "wrong",
    "student3": "empty",
    "student4": "edited_test",
    "student5": "written",
    "student6": "deleted_test",
    "student7": "slow",
    "student8": "os_exit",
}
KILLED, SLOW_STUDENT, GRADED_BEFORE_KILL = 1, "student7", "student4"
GRADED_CELLS = 3  # test_kl_zero, test_kl_values, explain


@pytest.fixture(scope="module", autouse=True)
def _environment_bin_on_path():
    """nbgrader creates a new gradebook with its ``alembic`` command, found on PATH (CI's holds only
    the system's folders): put the environment's scripts first, as activating it would."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PATH", os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]))
        yield


def _postgres_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[4]))
    return Path(found[-1]).parent if found else None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def postgres():
    """A PostgreSQL server for this module; yields the URL of an empty database ``gradebook``."""
    bindir = _postgres_bin()
    if bindir is None:
        pytest.skip("PostgreSQL's binaries are not installed (Debian's postgresql package)")
    # PostgreSQL refuses to run as root: run it as Debian's postgres user (or nobody) then.
    user = None
    if os.geteuid() == 0:
        user = "postgres" if "postgres" in {p.pw_name for p in pwd.getpwall()} else "nobody"
    as_user = ["runuser", "-u", user, "--"] if user else []
    home = Path(tempfile.mkdtemp(prefix="vae-course-pg-"))  # not pytest's tmp_path: the user must reach it
    if user:
        account = pwd.getpwnam(user)
        os.chown(home, account.pw_uid, account.pw_gid)
    data, port = home / "data", _free_port()

    def run(*command) -> None:
        subprocess.run([*as_user, *map(str, command)], check=True, capture_output=True, text=True)

    try:
        run(bindir / "initdb", "-D", data, "-U", "grader", "--auth=trust", "-E", "UTF8", "--no-sync")
        run(
            bindir / "pg_ctl",
            "-D",
            data,
            "-l",
            home / "server.log",
            "-w",
            "-t",
            "60",
            "start",
            "-o",
            f"-p {port} -k {home} -c listen_addresses=127.0.0.1 -c fsync=off",
        )
        run(bindir / "createdb", "-h", "127.0.0.1", "-p", port, "-U", "grader", "gradebook")
        yield f"postgresql://grader@127.0.0.1:{port}/gradebook"
    finally:
        for mode in ("fast", "immediate"):
            if (data / "postmaster.pid").exists():
                subprocess.run(
                    [*as_user, str(bindir / "pg_ctl"), "-D", str(data), "-m", mode, "-w", "stop"],
                    capture_output=True,
                    check=False,
                )
        shutil.rmtree(home, ignore_errors=True)


@pytest.fixture(scope="module", autouse=True)
def _sandboxes():
    """A short folder for the sandboxes, removed at the end (a killed shard leaves its own behind).

    Short: a kernel's ZeroMQ sockets live in it, and a socket's path has at most 107 bytes.
    """
    folder = tempfile.mkdtemp(prefix="vae-shards-")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TMPDIR", folder)
        yield
    shutil.rmtree(folder, ignore_errors=True)


def grade(course: Path, *args: str) -> subprocess.Popen:
    """Start the command line in ``course``."""
    return subprocess.Popen(
        [*AUTOGRADE, support.ASSIGNMENT, *FAST, *args],
        cwd=course,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finished(process: subprocess.Popen) -> str:
    out, err = process.communicate(timeout=300)
    assert process.returncode == 0, out[-3000:] + err[-3000:]
    return out


def make_class(course: Path, db_url: str | None) -> Path:
    """The ``kl`` assignment generated into the gradebook at ``db_url`` (default: SQLite), and the class."""
    (course / "source" / support.ASSIGNMENT).mkdir(parents=True)
    config = "c = get_config()\nc.CourseDirectory.course_id = 'test'\n"
    if db_url:
        config += f"c.CourseDirectory.db_url = {db_url!r}\n"
    (course / "nbgrader_config.py").write_text(config)
    nbformat.write(support.source_notebook(), course / "source" / support.ASSIGNMENT / f"{support.NOTEBOOK}.ipynb")
    # The gradebook's schema is created here, once, before any shard starts (nbgrader creates it
    # on first use, and several processes creating it at once would race).
    generated = support.nbgrader(course, "generate_assignment", support.ASSIGNMENT, check=False)
    assert generated.returncode == 0, generated.stderr[-3000:]
    for student, kind in CLASS.items():
        support.submit(course, student, support.SUBMISSIONS[kind])
    return course


def row_counts(db_url: str) -> dict[str, int]:
    """Rows of nbgrader's submission tables, straight from PostgreSQL."""
    import sqlalchemy

    engine = sqlalchemy.create_engine(db_url)
    try:
        with engine.connect() as connection:
            return {
                table: connection.execute(sqlalchemy.text(f"SELECT count(*) FROM {table}")).scalar_one()
                for table in ("submitted_assignment", "submitted_notebook", "grade", "student")
            }
    finally:
        engine.dispose()


def auto_scored(db_url: str, student: str) -> bool:
    """Whether ``student``'s tests have been graded (their grades get an auto score at the end)."""
    from nbgrader.api import Gradebook, MissingEntry

    with Gradebook(db_url, "test") as gb:
        try:
            return gb.find_grade("test_kl_zero", support.NOTEBOOK, support.ASSIGNMENT, student).auto_score is not None
        except MissingEntry:
            return False


def wait_for(condition, timeout: float = 180.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


@pytest.fixture(scope="module")
def sharded(postgres, tmp_path_factory):
    """The class graded by three shards at once, shard 1 killed while grading and run again."""
    course = make_class(tmp_path_factory.mktemp("postgres") / "course", postgres)
    shards = {k: grade(course, "--shard", f"{k}/{SHARDS}") for k in range(1, SHARDS + 1)}
    started = list(shards.values())
    killed = shards.pop(KILLED)
    try:
        wait_for(lambda: auto_scored(postgres, GRADED_BEFORE_KILL) or killed.poll() is not None, what="shard 1")
        assert killed.poll() is None, "shard 1 finished before it could be killed"
        killed.send_signal(signal.SIGKILL)  # in the middle of student7's notebook
        killed.communicate()
        partial = support.grades_table(postgres)
        started.append(rerun := grade(course, "--shard", f"{KILLED}/{SHARDS}"))  # while the others still grade
        outputs = {k: finished(process) for k, process in {**shards, KILLED: rerun}.items()}
    finally:
        for process in started:
            if process.poll() is None:
                process.kill()
                process.communicate()
    return course, postgres, partial, outputs


def test_each_shard_grades_its_own_students_once(sharded):
    course, _db_url, _partial, _outputs = sharded
    folders = course / "reports" / "autograde" / support.ASSIGNMENT
    graded = {
        k: [
            e["student"]
            for e in json.loads((folders / f"shard-{k}-of-{SHARDS}" / "report.json").read_text())["submissions"]
        ]
        for k in range(1, SHARDS + 1)
    }
    students = sorted(CLASS)
    assert graded == {k: students[k - 1 :: SHARDS] for k in graded}


def test_the_killed_shard_was_interrupted_while_grading(sharded):
    _course, _db_url, partial, _outputs = sharded
    scored = {row[0] for row in partial if row[2] == "test_kl_zero" and row[3] is not None}
    assert {"student1", "student4"} <= scored and SLOW_STUDENT not in scored


def test_every_submission_is_in_the_gradebook_once(sharded):
    _course, db_url, _partial, _outputs = sharded
    n = len(CLASS)
    assert row_counts(db_url) == {
        "submitted_assignment": n,
        "submitted_notebook": n,
        "grade": n * GRADED_CELLS,
        "student": n,
    }


def test_the_gradebook_equals_a_single_machine_sqlite_grading(sharded, tmp_path):
    _course, db_url, _partial, _outputs = sharded
    single = make_class(tmp_path / "course", None)
    finished(grade(single))
    assert support.grades_table(db_url) == support.grades_table(f"sqlite:///{single / 'gradebook.db'}")


def test_export_and_feedback_work_on_the_postgres_gradebook(sharded):
    course, _db_url, _partial, _outputs = sharded
    support.nbgrader(course, "export", "--to=grades.csv")
    lines = (course / "grades.csv").read_text().splitlines()
    assert len(lines) == len(CLASS) + 1
    support.nbgrader(course, "generate_feedback", support.ASSIGNMENT, "--student=student1")
    assert (course / "feedback" / "student1" / support.ASSIGNMENT / f"{support.NOTEBOOK}.html").exists()


def test_the_same_shard_twice_and_an_unsharded_run_are_refused_while_a_shard_runs(sharded):
    course, _db_url, _partial, _outputs = sharded
    with (
        open(course / ".autograde.lock", "w") as course_lock,
        open(course / ".autograde.shard-2-of-3.lock", "w") as own,
    ):
        fcntl.flock(course_lock, fcntl.LOCK_SH)  # what a running shard 2/3 holds
        fcntl.flock(own, fcntl.LOCK_EX)
        refusals = {}
        for args in (("--shard", "2/3"), ("--shard", "3/3"), ()):
            process = grade(course, *args, "--student", "student3")
            _out, err = process.communicate(timeout=300)
            refusals[args] = (process.returncode, err.strip().splitlines()[-1] if process.returncode else "")
    assert refusals[("--shard", "2/3")] == (1, f"shard 2/3 is already running in {course}")
    assert refusals[("--shard", "3/3")] == (0, "")  # another shard runs alongside
    assert refusals[()] == (1, f"another autograde is running in {course}")


def test_the_class_report_reads_the_postgres_gradebook_and_every_shard_s_run_report(sharded, tmp_path):
    import csv

    course, db_url, _partial, _outputs = sharded
    command = [sys.executable, "-m", "classgrade", "report", "--output", str(tmp_path / "report")]
    result = subprocess.run(command, cwd=course, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]

    def table(name: str) -> list[dict]:
        with (tmp_path / "report" / "tables" / f"{name}.csv").open(newline="") as f:
            return list(csv.DictReader(f))

    (row,) = table("assignments")
    assert (row["submitted"], row["missing"], row["graded_by"]) == (str(len(CLASS)), "0", "classgrade")
    scores = {r[0]: r[2] for r in support.grades_table(db_url) if r[1] == "score"}
    assert {r["student"]: float(r["score"]) for r in table("scores")} == scores
    assert all(r["seconds"] for r in table("scores"))  # each student's run, from its shard's report
    assert len(table("questions")) == GRADED_CELLS
    (grading,) = table("grading")
    assert (grading["graded"], grading["kernel_died"]) == (str(len(CLASS)), "1")  # student8: os._exit
