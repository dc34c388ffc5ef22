"""The class report (``python -m classgrade report``): its tables against the gradebook, its page against its tables.

Two classes:

- a synthetic class of the course's ten assignments (``autograde_support.synthetic``), written from a
  seeded plan that covers every case (missing, late, waiting for a hand, flagged, kernels that died,
  a verdict overruled, every named hint of ``vae_course.checks``, one assignment graded by plain
  nbgrader): its tables are checked against the gradebook (read with nbgrader's own API) and the plan;
- the tiny course's class that ``test_autograde.py`` grades (``graded_class``, shared): the report
  of a real grading, end to end, opened in the browser; and a few of its submissions graded by plain
  ``nbgrader autograde``.
"""

from __future__ import annotations

import csv
import functools
import http.server
import re
import shutil
import statistics
import subprocess
import sys
import threading
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

import pytest
from autograde_support import course as support
from autograde_support import synthetic

from classgrade.classreport.tables import ANONYMOUS_TABLES, OUTCOMES
from classgrade.classreport.words import Words

pytestmark = [
    # nbgrader's Gradebook (read here as the oracle) triggers SQLAlchemy's autoflush warning.
    pytest.mark.filterwarnings("ignore::sqlalchemy.exc.SAWarning"),
]

STUDENTS = 24
PLAIN = ("10_diffusion",)  # graded by plain nbgrader: autograded notebooks, no run report


def report(course: Path, output: Path, *args: str) -> Path:
    """Run ``python -m classgrade report`` in ``course`` into ``output``; return ``output``."""
    command = [sys.executable, "-m", "classgrade", "report", "--output", str(output), *args]
    result = subprocess.run(command, cwd=course, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert str(output / "index.html") in result.stdout
    return output


def table(folder: Path, name: str) -> list[dict]:
    with (folder / "tables" / f"{name}.csv").open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


class Page(HTMLParser):
    """What a reader of the page sees: its tables (by ``data-table``), images, mistakes, text."""

    def __init__(self, html: str):
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self.images: list[dict] = []
        self.mistakes: dict[str, str] = {}  # hint -> the list item's text
        self.lang = None
        self._table = self._row = self._cell = self._hint = None
        self.text: list[str] = []
        self.feed(html)
        self.plain = " ".join(" ".join(self.text).split())

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "html":
            self.lang = attrs.get("lang")
        elif tag == "table":
            self._table = self.tables.setdefault(attrs["data-table"], [])
        elif tag == "tr" and self._table is not None:
            self._row = []
            self._table.append(self._row)
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []
        elif tag == "img":
            self.images.append(attrs)
        elif tag == "li" and "data-hint" in attrs:
            self._hint = attrs["data-hint"]
            self.mistakes[self._hint] = ""

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        elif tag == "table":
            self._table = self._row = None
        elif tag == "li":
            self._hint = None

    def handle_data(self, data):
        self.text.append(data)
        if self._cell is not None:
            self._cell.append(data)
        if self._hint is not None:
            self.mistakes[self._hint] += data


def page(folder: Path) -> Page:
    return Page((folder / "index.html").read_text(encoding="utf-8"))


def shown(value: str, words: Words) -> str:
    """A CSV value as the page writes it."""
    if value in ("True", "False"):
        return words.number(value == "True")
    try:
        return words.number(float(value))
    except ValueError:
        return value


def assert_page_shows(folder: Path, name: str, words: Words) -> None:
    """The page's table ``name`` is the CSV's, cell for cell, headers in the report's language."""
    rows = table(folder, name)
    on_page = page(folder).tables[name]
    assert on_page[0] == [words(c) if c != "kernel_failed" else words("kernel_failed") for c in rows[0]]
    assert [[shown(v, words) for v in row.values()] for row in rows] == on_page[1:]


# ----------------------------------------------------------------------------- the pieces


def test_a_notebook_s_test_cells_give_their_error_and_named_mistakes():
    import nbformat

    from classgrade.classreport.outcomes import compile_pattern, test_cells

    def cell(grade_id, outputs, **meta):
        nbgrader = {"grade": True, "grade_id": grade_id, "solution": False, "points": 1} | meta
        return nbformat.v4.new_code_cell("", metadata={"nbgrader": nbgrader}, outputs=outputs)

    error = nbformat.v4.new_output
    nb = nbformat.v4.new_notebook(
        cells=[
            cell("passes", [error("stream", name="stdout", text="Hint [not-this]: printed\n")]),
            cell(
                "fails", [error("error", ename="CheckFailure", evalue="wrong\nHint [kl-sign]: the sign", traceback=[])]
            ),
            cell("stopped", [error("error", ename="NotExecuted", evalue="this cell did not run", traceback=[])]),
            cell("answer", [], solution=True),
            nbformat.v4.new_markdown_cell("Hint [md]: not a test"),
        ]
    )
    assert test_cells(nb, compile_pattern(r"^Hint \[([a-z-]+)\]: ")) == {
        "passes": {"error": None, "hints": []},
        "fails": {"error": "CheckFailure", "hints": ["kl-sign"]},
        "stopped": {"error": "NotExecuted", "hints": []},
    }
    assert test_cells(nb, compile_pattern(""))["fails"] == {"error": "CheckFailure", "hints": []}


def test_each_outcome_follows_the_grade_and_what_the_cell_did():
    from classgrade.classreport.sources import Grade, Question
    from classgrade.classreport.tables import outcome

    test, written = Question("a", "a", "t", 2.0, "test"), Question("a", "a", "w", 2.0, "written")

    def grade(auto=None, manual=None, needs=False):
        return Grade("a", "s", "a", "t", auto, manual, None, needs)

    ran, failed, stopped = {"error": None}, {"error": "CheckFailure"}, {"error": "DeadKernelError"}
    assert outcome(test, grade(2.0), ran, True) == "got"
    assert outcome(test, grade(1.0), ran, True) == "partly"
    assert outcome(test, grade(0.0), failed, True) == "lost"
    assert outcome(test, grade(0.0), stopped, True) == "not_run"  # the grader's zero: the cell never ran
    assert outcome(test, grade(0.0), None, False) == "not_run"  # no executed notebook (missing, invalid)
    assert outcome(test, grade(needs=True), None, True) == "not_run"  # plain nbgrader gave up: no score
    assert outcome(test, grade(0.0, manual=2.0), stopped, True) == "got"  # a hand's grade stands
    assert outcome(written, grade(needs=True), None, True) == "by_hand"
    assert outcome(written, grade(manual=0.0), None, True) == "lost"
    assert outcome(test, None, None, True) == "not_run"


def test_the_report_s_words_exist_in_both_languages_with_the_same_fields():
    import string

    from classgrade.classreport.words import WORDS

    for key, (english, indonesian) in WORDS.items():
        fields = [{f for _, f, _, _ in string.Formatter().parse(text) if f} for text in (english, indonesian)]
        assert english and indonesian and fields[0] == fields[1], key
    assert (Words("en").number(12345.678), Words("id").number(12345.678)) == ("12,345.68", "12.345,68")
    assert (Words("en").number(3.0), Words("id").number(0.5), Words("en").number(None)) == ("3", "0,5", "")
    assert Words("id")("of", count=31, total=120) == "31 dari 120"
    with pytest.raises(ValueError):
        Words("fr")


# ----------------------------------------------------------------------------- the synthetic class


@pytest.fixture(scope="module")
def synthetic_class(tmp_path_factory):
    """``(course, plan, report folder)``: the synthetic class and its report, in English."""
    course = tmp_path_factory.mktemp("synthetic") / "course"
    plan, _db_url = synthetic.make_class(course, STUDENTS, plain=PLAIN)
    return course, plan, report(course, course / "reports" / "class")


def gradebook_submissions(course: Path) -> dict[str, list]:
    """assignment -> (student, score, seconds late, needs a hand) of each submission, by nbgrader's own API."""
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", synthetic.COURSE_ID) as gb:
        return {
            a.name: [
                (s.student_id, s.score, s.total_seconds_late, bool(s.needs_manual_grade))
                for s in gb.assignment_submissions(a.name)
            ]
            for a in gb.assignments
        } | {"": [len(gb.students)]}


def test_the_class_at_a_glance_is_the_gradebook(synthetic_class):
    course, plan, folder = synthetic_class
    gradebook = gradebook_submissions(course)
    (students,) = gradebook.pop("")
    rows = {row["assignment"]: row for row in table(folder, "assignments")}
    assert list(rows) == list(plan.assignments)  # in the order of their due dates
    for name, submissions in gradebook.items():
        scores = [s[1] for s in submissions]
        row = rows[name]
        assert int(row["students"]) == students == STUDENTS
        assert int(row["submitted"]) == len(submissions) == sum(1 for a, _ in plan.entries if a == name)
        assert int(row["missing"]) == students - len(submissions)
        assert (
            int(row["late"])
            == sum(1 for s in submissions if s[2] > 0)
            == sum(e.late for (a, _), e in plan.entries.items() if a == name)
        )
        assert int(row["by_hand"]) == sum(1 for s in submissions if s[3])
        assert float(row["mean"]) == pytest.approx(statistics.fmean(scores), abs=0.01)
        assert float(row["median"]) == pytest.approx(statistics.median(scores))
        assert (float(row["lowest"]), float(row["highest"])) == (min(scores), max(scores))
        assert float(row["max_score"]) == sum(c.points for c in plan.assignments[name])
        assert row["graded_by"] == ("nbgrader" if name in PLAIN else "classgrade")
    assert sum(int(r["missing"]) for r in rows.values()) > 0 and sum(int(r["late"]) for r in rows.values()) > 0


def test_each_submission_s_score_is_the_gradebook_s(synthetic_class):
    course, _plan, folder = synthetic_class
    gradebook = gradebook_submissions(course)
    gradebook.pop("")
    expected = sorted((a, s[0], round(s[1], 4)) for a, subs in gradebook.items() for s in subs)
    assert sorted((r["assignment"], r["student"], float(r["score"])) for r in table(folder, "scores")) == expected


def test_every_question_counts_what_the_class_got_hardest_first(synthetic_class):
    _course, plan, folder = synthetic_class
    rows = table(folder, "questions")
    assert len(rows) == sum(len(cells) for cells in plan.assignments.values())
    for row in rows:
        outcomes = Counter(
            e.cells[row["question"]].outcome for (a, _), e in plan.entries.items() if a == row["assignment"]
        )
        assert {o: int(row[o]) for o in OUTCOMES} == {o: outcomes[o] for o in OUTCOMES}, row
    for name in plan.assignments:  # hardest first: the share of full marks among those decided grows
        own = [r for r in rows if r["assignment"] == name]
        shares = [int(r["got"]) / (int(r["got"]) + int(r["partly"]) + int(r["lost"])) for r in own]
        assert shares == sorted(shares) and [int(r["rank"]) for r in own] == list(range(1, len(own) + 1))
    tests = [r for r in rows if r["kind"] == "test"]
    assert all(re.fullmatch(r"check_\w+ \(\w+\)", r["parts"]) for r in tests), tests[:3]
    assert {int(r["not_run"]) > 0 for r in tests} == {True, False} and sum(int(r["by_hand"]) for r in rows) > 0


def test_every_named_hint_is_counted_with_its_text_and_question(synthetic_class):
    from vae_course.checks import HINTS
    from vae_course.checks.hints import hint

    _course, plan, folder = synthetic_class
    rows = table(folder, "mistakes")
    expected = Counter(
        (a, question, name)
        for (a, _), entry in plan.entries.items()
        for question, outcome in entry.cells.items()
        for name in outcome.hints
    )
    assert {(r["assignment"], r["question"], r["hint"]): int(r["students"]) for r in rows} == dict(expected)
    assert {r["hint"] for r in rows} == set(HINTS)  # every named mistake of the course, at least once
    assert [int(r["students"]) for r in rows] == sorted((int(r["students"]) for r in rows), reverse=True)
    submitted = Counter(a for a, _ in plan.entries)
    assert all(r["text"] == hint(r["hint"]) and int(r["submitted"]) == submitted[r["assignment"]] for r in rows)
    items = page(folder).mistakes
    for r in rows:  # "31 of 120: <the hint's text>"
        assert f"{r['students']} of {r['submitted']}: {r['text']}" in " ".join(items[r["hint"]].split()), r


def test_students_to_look_at_are_those_falling_missing_or_flagged(synthetic_class):
    _course, plan, folder = synthetic_class
    rows = {r["student"]: r for r in table(folder, "students")}
    assert sorted(rows) == plan.students
    order = list(plan.assignments)
    for student, row in rows.items():
        mine = [a for a in order if (a, student) in plan.entries]
        assert row["missing_assignments"].split() == [a for a in order if a not in mine]
        flags = sum(len(plan.entries[(a, student)].flags) for a in mine)
        assert int(row["flags"]) == flags
        percents = [100 * plan.entries[(a, student)].score / sum(c.points for c in plan.assignments[a]) for a in mine]
        falling = len(percents) > 1 and percents[-1] - statistics.fmean(percents[:-1]) <= -20
        reasons = [r for r, on in (("falling", falling), ("missing", len(mine) < len(order)), ("flagged", flags)) if on]
        assert row["reasons"].split() == reasons, row
    assert {"falling", "missing", "flagged"} <= {reason for r in rows.values() for reason in r["reasons"].split()}


def test_flags_incidents_and_grading_come_from_the_run_reports(synthetic_class):
    _course, plan, folder = synthetic_class
    flags = table(folder, "flags")
    assert sorted((f["assignment"], f["student"], f["code"]) for f in flags) == sorted(
        (a, s, flag["code"]) for (a, s), e in plan.entries.items() for flag in e.flags
    )
    died = {(a, s) for (a, s), e in plan.entries.items() if e.died_at and a not in PLAIN}
    assert {(i["assignment"], i["student"]) for i in table(folder, "incidents")} == died
    for row in table(folder, "grading"):
        a = row["assignment"]
        entries = [e for (name, _), e in plan.entries.items() if name == a]
        tests = [c.name for c in plan.assignments[a] if c.kind == "test"]
        if a in PLAIN:  # no run report: nothing known of time and kernels; the kernel decided every cell
            assert row["graded"] == "0" and row["seconds_median"] == row["kernel_died"] == ""
            assert int(row["judge_passed"]) == int(row["judge_overruled"]) == 0
        else:
            assert int(row["graded"]) == len(entries)
            assert float(row["seconds_median"]) == pytest.approx(
                statistics.median(e.seconds for e in entries), abs=0.01
            )
            assert int(row["kernel_died"]) == sum(1 for e in entries if e.died_at)
            overruled = sum(1 for e in entries for f in e.flags if f["code"] == "verdict-overruled")
            assert int(row["judge_overruled"]) == overruled
        decided = sum(int(row[c]) for c in ("judge_passed", "judge_overruled", "failed_in_kernel", "passed_in_kernel"))
        not_run = sum(1 for e in entries for t in tests if e.cells[t].outcome == "not_run")
        assert (decided, int(row["did_not_run"])) == (len(entries) * len(tests) - not_run, not_run)
    training = next(r for r in table(folder, "grading") if r["assignment"] == "07_training_loop")
    assert int(training["passed_in_kernel"]) > 0  # the judge leaves the training loop's checks to the kernel


def test_the_lms_csv_has_a_row_per_student_and_a_column_per_question(synthetic_class):
    course, plan, folder = synthetic_class
    from nbgrader.api import Gradebook

    rows = table(folder, "lms")
    questions = [f"{a}/{c.name}" for a, cells in plan.assignments.items() for c in cells]
    assert [c for c in rows[0] if "/" in c and not c.endswith("/total")] == questions
    assert [r["student_id"] for r in rows] == plan.students
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", synthetic.COURSE_ID) as gb:
        for (a, student), entry in list(plan.entries.items())[::7]:
            row = next(r for r in rows if r["student_id"] == student)
            assert float(row[f"{a}/total"]) == pytest.approx(gb.find_submission(a, student).score)
            for cell, outcome in entry.cells.items():
                assert row[f"{a}/{cell}"] == ("" if outcome.score is None else str(outcome.score))


def test_the_page_shows_the_tables_figures_and_what_plain_nbgrader_cannot_tell(synthetic_class):
    _course, plan, folder = synthetic_class
    words = Words("en")
    for name in ("assignments", "grading", "flags", "incidents"):
        assert_page_shows(folder, name, words)
    seen = page(folder)
    assert seen.lang == "en" and "Class report: vae-course" in seen.plain
    assert f"Graded by plain nbgrader autograde, without classgrade's run reports: {PLAIN[0]}." in seen.plain
    questions = {(r["assignment"], r["question"]): r for r in table(folder, "questions")}
    assert len(seen.tables["questions"]) == len(questions) + len(plan.assignments)  # a header per assignment
    figures = sorted(p.name for p in (folder / "figures").iterdir())
    assert len(seen.images) == len(figures) == 2 * len(plan.assignments) + 3  # scores, questions; 3 for the class
    assert all(image["src"].startswith("data:image/png;base64,") and len(image["alt"]) > 40 for image in seen.images)
    alt = next(i["alt"] for i in seen.images if "01_autoencoder, out of" in i["alt"])
    row = next(r for r in table(folder, "assignments") if r["assignment"] == "01_autoencoder")
    assert (
        f"the {row['submitted']} submissions of 01_autoencoder" in alt
        and f"median {shown(row['median'], words)}" in alt
    )


@pytest.fixture(scope="module")
def other_editions(synthetic_class):
    """The anonymous edition, and the Indonesian one, of the synthetic class's report."""
    course, _plan, _folder = synthetic_class
    return report(course, course / "reports" / "anonymous", "--anonymous"), report(
        course, course / "reports" / "id", "--language", "id"
    )


def test_the_anonymous_edition_names_nobody_and_shows_no_flag(synthetic_class, other_editions):
    _course, plan, folder = synthetic_class
    anonymous = other_editions[0]
    assert sorted(p.stem for p in (anonymous / "tables").iterdir()) == sorted(ANONYMOUS_TABLES)
    html = re.sub(r'src="data:[^"]*"', "", (anonymous / "index.html").read_text())
    texts = [html] + [p.read_text() for p in (anonymous / "tables").iterdir()]
    secrets = set(plan.students) | {"Lovelace", "Santoso", "example.org", "torch.allclose", "verdict-overruled"}
    assert not [s for s in secrets for text in texts if s in text]
    looked = sum(1 for r in table(folder, "students") if r["reasons"])
    assert f"Left out of the anonymous edition: {looked} students would be listed here." in page(anonymous).plain
    assert table(anonymous, "mistakes") == table(folder, "mistakes")  # the class still sees its mistakes


def test_the_indonesian_edition_writes_its_words_numbers_and_hints_in_indonesian(synthetic_class, other_editions):
    from vae_course.course import hint_text

    _course, _plan, folder = synthetic_class
    indonesian = other_editions[1]
    seen, words = page(indonesian), Words("id")
    assert seen.lang == "id" and "Laporan kelas: vae-course" in seen.plain and "Kesalahan kelas" in seen.plain
    assert_page_shows(indonesian, "assignments", words)
    mean = next(r["mean"] for r in table(folder, "assignments") if not float(r["mean"] or 0).is_integer())
    assert words.number(float(mean)) == mean.replace(".", ",")  # a decimal comma
    for row in table(indonesian, "mistakes"):  # the hints as the checks write them in Indonesian
        assert row["text"] == hint_text(row["hint"], "id")
        assert f"{row['students']} dari {row['submitted']}: {row['text']}" in " ".join(
            seen.mistakes[row["hint"]].split()
        )


def test_a_pattern_selects_assignments(synthetic_class, tmp_path):
    course, _plan, _folder = synthetic_class
    folder = report(course, tmp_path / "two", "0[12]_*")
    assert [r["assignment"] for r in table(folder, "assignments")] == ["01_autoencoder", "02_reparameterization"]
    command = [sys.executable, "-m", "classgrade", "report", "--output", str(tmp_path / "none"), "99_*"]
    result = subprocess.run(command, cwd=course, capture_output=True, text=True)
    assert result.returncode == 1 and "no assignment in the gradebook matches '99_*'" in result.stderr


# ----------------------------------------------------------------------------- a real grading


@pytest.fixture(scope="module")
def real_report(graded_class, tmp_path_factory):
    course, run = graded_class
    return course, run, report(course, tmp_path_factory.mktemp("real") / "report")


def test_a_graded_class_s_report_counts_what_grading_recorded(real_report):
    course, run, folder = real_report
    entries = support.by_student(run)
    (row,) = table(folder, "assignments")
    assert (int(row["submitted"]), int(row["missing"]), row["graded_by"]) == (len(support.EXPECTED), 0, "classgrade")
    assert int(row["by_hand"]) == 1  # the one written answer that changed the text waits for a hand
    questions = {r["question"]: r for r in table(folder, "questions")}
    # No test cell ran where the notebook is missing or broken, the kernel died or time ran out, or the
    # kernel was killed because a cell ignored the interrupt at its time limit.
    # (Which ones depends on the machine's load with the short limits of these tests: read their statuses.)
    stopped = {"kernel-died", "missing-notebook", "invalid-notebook", "notebook-timeout"}
    not_run = [s for s, e in entries.items() if stopped & set(e["status"]) or "kernel killed" in " ".join(e["notes"])]
    assert {"os_exit", "segfault", "missing_notebook", "invalid_json", "ignores_interrupt"} <= set(not_run)
    assert int(questions["test_kl_zero"]["not_run"]) == int(questions["test_kl_values"]["not_run"]) == len(not_run)
    assert int(questions["explain"]["by_hand"]) == 1 and questions["test_kl_values"]["parts"] == "check_kl (values)"
    scores = {r["student"]: float(r["score"]) for r in table(folder, "scores")}
    assert scores == {s: e["score"] for s, e in entries.items()}
    (mistake,) = table(folder, "mistakes")
    assert (mistake["question"], mistake["hint"], mistake["students"]) == ("test_kl_values", "kl-means-only", "1")
    assert mistake["text"] == support.kl_checks.hint_text("kl-means-only", "en")
    flags = table(folder, "flags")
    assert len(flags) == sum(len(e["flags"]) for e in entries.values())
    (grading,) = table(folder, "grading")
    overruled = sum(1 for e in entries.values() for f in e["flags"] if f["code"] == "verdict-overruled")
    assert int(grading["judge_overruled"]) == overruled == 2 * len(support.TAMPERING)
    assert int(grading["kernel_died"]) == sum(1 for e in entries.values() if "kernel-died" in e["status"])
    assert int(grading["judge_passed"]) > 0 and int(grading["passed_in_kernel"]) == 0  # kl_checks judges every part


@pytest.fixture
def report_page(chromium, real_report, request):
    """The real class's page, served from 127.0.0.1, in a browser that may reach nothing else."""
    from browser_support import keep_on_failure, offline_context

    _course, _run, folder = real_report

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(folder)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{httpd.server_address[1]}/"
    try:
        with offline_context(chromium, [url]) as (context, guard), keep_on_failure(context, request, trace=False):
            page = context.new_page()
            page.goto(url + "index.html", wait_until="load")
            yield page, guard, folder
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


def test_the_page_renders_offline_in_a_browser(report_page):
    page, guard, folder = report_page
    assert page.locator("h1").inner_text() == "Class report: test"
    decoded = page.evaluate("[...document.images].map(i => [i.complete, i.naturalWidth, i.alt])")
    assert len(decoded) == len(list((folder / "figures").iterdir())) >= 3
    assert all(complete and width > 100 and len(alt) > 40 for complete, width, alt in decoded), decoded
    assert page.locator("li[data-hint='kl-means-only']").inner_text().startswith("1 of ")
    assert page.locator("table[data-table='questions'] tbody tr").count() == 3
    assert guard.blocked == [] and guard.exceptions == []


def test_a_class_graded_by_plain_nbgrader_gets_what_can_be_known(tmp_path):
    course = support.make_course(tmp_path / "course")
    support.submit_all(course, ["correct", "means_only", "os_exit"])
    support.nbgrader(course, "autograde", support.ASSIGNMENT, check=False)
    folder = report(course, tmp_path / "report")
    assert "Graded by plain nbgrader autograde" in page(folder).plain
    (mistake,) = table(folder, "mistakes")  # read from the autograded notebook
    assert (mistake["hint"], mistake["students"], mistake["submitted"]) == ("kl-means-only", "1", "3")
    questions = {r["question"]: r for r in table(folder, "questions")}
    assert (questions["test_kl_zero"]["got"], questions["test_kl_zero"]["not_run"]) == ("2", "1")  # os_exit: no score
    (grading,) = table(folder, "grading")
    assert (grading["graded_by"], grading["seconds_median"], grading["judge_passed"]) == ("nbgrader", "", "0")


def test_the_report_says_which_files_it_wrote_and_replaces_an_old_one(real_report, tmp_path):
    course, _run, _folder = real_report
    folder = tmp_path / "again"
    (folder / "figures").mkdir(parents=True)
    (folder / "figures" / "scores-gone.png").write_bytes(b"old")
    report(course, folder)
    assert "scores-gone.png" not in {p.name for p in (folder / "figures").iterdir()}
    links = re.findall(r'href="(tables/[^"]+)"', (folder / "index.html").read_text())
    assert sorted(links) == sorted(f"tables/{p.name}" for p in (folder / "tables").iterdir())
    shutil.rmtree(folder)
