"""The course hub (``scripts/classroom``): a class's whole round trip, clicked through in Chromium.

The slow tests start the README's command on a classroom of their own (an instructor, ``teacher``,
and two students, ``alice`` and ``bob``, on assignment 02) and drive Debian's Chromium through it,
one browser context per person, as nbgrader's own UI tests drive JupyterLab (STYLE.md, point 17):
state is prepared by the command line where a step is not under test, and every step under test
is clicked. They assert on what the pages show, on the gradebook and on the exchange; a failure
keeps each person's Playwright trace and screenshots under ``_build/test-artifacts/``. The screenshots
of the instructor's guide are taken on the way (``hub_support.shot``).

The quick tests check the pieces the hub is made of: accounts and passwords, the roles'
configuration, the hub's configuration.
"""

from __future__ import annotations

import http.client
import json
import re
import subprocess
import sys
from contextlib import ExitStack
from pathlib import Path

import pytest
from browser_support import keep_on_failure, offline_context
from exercise_support.answers import CORRECT, MISTAKES
from exercise_support.course import grades, hidden_test_lines
from hub_support import (
    GUIDE_IMAGES,
    ROOT,
    VIEWPORT,
    assignment_list,
    close_dialog,
    formgrader,
    formgrader_action,
    login,
    nbgrader_menu,
    new_terminal,
    replace_cell,
    shot,
    start_hub,
    wait_until,
)

from classroom.accounts import (
    Account,
    AccountsError,
    check_accounts,
    class_of,
    hash_password,
    read_accounts,
    verify_password,
    with_passwords,
    write_accounts,
)
from classroom.layout import Classroom
from classroom.prepare import course_settings, run_as, write_role_configs

ASSIGNMENT = "02_reparameterization"  # quick to grade: one function, four test cells, one written answer
COURSE_ID = "vae-course"
PEOPLE = {"teacher": "instructor", "alice": "student", "bob": "student"}
PASSWORDS = {name: f"{name}-hub-password" for name in PEOPLE}
MISTAKE = next(m for m in MISTAKES if m.assignment == ASSIGNMENT and m.hint == "exp-logvar-as-std")
# alice's right answer makes PyTorch warn (CORRECT's): Validate, like grading, must not count the warning
# on stderr as a failure (vae_course.course.IGNORE_WARNINGS_WHEN_VALIDATING)
ALICE = CORRECT[ASSIGNMENT]["reparameterize"]
ANSWERS = {"alice": ALICE, "bob": MISTAKE.source}  # bob makes a mistake the checks name
WRITTEN = {
    "alice": "Sampling is not differentiable in mu and sigma. With z = mu + sigma * eps the noise eps is an "
    "input, so gradients reach mu and sigma; log sigma^2 is any real number, sigma must stay positive.",
    "bob": "The trick makes sampling differentiable by taking the noise out of it.",
}
MANUAL = {  # the instructor's grade and comment on each written answer (2 points)
    "alice": (2.0, "Complete: the noise as an input, and why the log-variance."),
    "bob": (1.0, "Right about the noise; say why the encoder predicts log sigma^2."),
}
OTHER = {"alice": "bob", "bob": "alice"}
MATHJAX_CDN = "https://cdnjs.cloudflare.com/ajax/libs/mathjax/"  # nbconvert's formgrade and feedback pages ask for it
GUIDE_SHOTS = (
    "login",
    "formgrader-release",
    "student-fetch",
    "student-validate",
    "student-submitted",
    "formgrader-collect",
    "autograde-terminal",
    "formgrader-submissions",
    "formgrader-manual-grade",
    "formgrader-feedback",
    "student-feedback",
)


# --- quick: the pieces -----------------------------------------------------------------------------


def test_an_accounts_file_round_trips_and_missing_passwords_are_generated(tmp_path):
    accounts = [Account("teacher", "instructor", "secret"), Account("alice", "student"), Account("bob", "student")]
    complete = with_passwords(accounts)
    assert complete[0].password == "secret"
    assert all(len(account.password) >= 12 for account in complete[1:])  # generated
    assert complete[1].password != complete[2].password
    write_accounts(complete, tmp_path / "accounts.csv")
    assert read_accounts(tmp_path / "accounts.csv") == complete
    assert (tmp_path / "accounts.csv").stat().st_mode & 0o777 == 0o600  # it holds passwords


@pytest.mark.parametrize(
    "accounts, problem",
    [
        ([Account("alice", "student")], "exactly one instructor"),
        ([Account("t", "instructor"), Account("Alice", "student")], "invalid name"),
        ([Account("t", "instructor"), Account("al+ice", "student")], "invalid name"),  # nbgrader's separator
        ([Account("t", "instructor"), Account("t", "student")], "appears twice"),
        ([Account("t", "instructor"), Account("alice", "grader")], "unknown role"),
    ],
)
def test_accounts_that_cannot_work_are_refused(accounts, problem):
    with pytest.raises(AccountsError, match=problem):
        check_accounts(accounts)


def test_a_second_run_keeps_the_generated_passwords(tmp_path):
    from classroom.cli import build_parser, resolve_accounts

    classroom = Classroom(tmp_path / "room", COURSE_ID)
    generated, shown = resolve_accounts(build_parser().parse_args([str(classroom.root), "--students", "2"]), classroom)
    assert [a.name for a in generated] == ["instructor", "student1", "student2"] and shown == {
        a.name for a in generated
    }
    again, _ = resolve_accounts(build_parser().parse_args([str(classroom.root)]), classroom)
    assert again == generated
    file = tmp_path / "class.csv"
    write_accounts([Account("teacher", "instructor", "given"), Account("student1", "student")], file)
    mine, shown = resolve_accounts(build_parser().parse_args([str(classroom.root), "--accounts", str(file)]), classroom)
    assert mine == [Account("teacher", "instructor", "given"), generated[1]]  # student1 keeps the password
    assert shown == {"student1"}


def test_a_generated_class_has_an_instructor_and_numbered_students():
    assert [(a.name, a.role) for a in class_of(2, "prof")] == [
        ("prof", "instructor"),
        ("student1", "student"),
        ("student2", "student"),
    ]


def test_only_the_right_password_verifies():
    stored = hash_password("correct horse")
    assert "correct horse" not in stored
    assert verify_password("correct horse", stored)
    assert not verify_password("correct hors", stored)
    assert hash_password("correct horse") != stored  # salted


@pytest.fixture(scope="module")
def settings() -> str:
    return course_settings(Path("/srv/classroom/data"))


def test_the_roles_settings_are_the_course_settings_as_values(settings):
    """The servers read the course's nbgrader settings without importing the course's library (PyTorch)."""
    assert "c.CourseDirectory.course_id = 'vae-course'" in settings.splitlines()
    assert "import_item('classgrade.nbgrader.feedback.HideHiddenTests')" in settings
    from vae_course.course import class_language

    kernel_env = {"VAE_COURSE_DATA": "/srv/classroom/data", "VAE_COURSE_LANGUAGE": class_language()}
    assert f"c.ClassGrade.kernel_env = {kernel_env!r}" in settings.splitlines()


def _run_config(path: Path, environment: dict[str, str]):
    """The traitlets config that ``path`` (an nbgrader_config.py) sets, read in a fresh interpreter."""
    script = (
        "import json, sys\n"
        "from traitlets.config import PyFileConfigLoader\n"
        "config = PyFileConfigLoader(sys.argv[1]).load_config()\n"
        "print(json.dumps({s: {k: repr(v) for k, v in config[s].items()} for s in config}))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script, str(path)], env=environment, capture_output=True, text=True, check=True
    )
    return json.loads(result.stdout)


def test_students_submit_under_their_hub_name_and_have_no_formgrader(tmp_path):
    classroom = Classroom(tmp_path, COURSE_ID)
    write_role_configs(classroom, "teacher")
    student = _run_config(classroom.config("student") / "nbgrader_config.py", {"JUPYTERHUB_USER": "alice"})
    assert student["CourseDirectory"]["student_id"] == "'alice'"  # not the Unix login they all share
    assert student["Exchange"]["root"] == repr(str(classroom.exchange))
    server = (classroom.config("student") / "jupyter_server_config.py").read_text()
    assert "'nbgrader.server_extensions.formgrader': False" in server
    page_config = json.loads((classroom.config("student") / "labconfig" / "page_config.json").read_text())
    assert page_config["disabledExtensions"] == {
        "@jupyter/nbgrader:formgrader": True,
        "@jupyter/nbgrader:course-list": True,
        "@jupyter/nbgrader:create-assignment": True,
    }
    instructor = _run_config(classroom.config("instructor") / "nbgrader_config.py", {})
    assert instructor["CourseDirectory"]["root"] == repr(str(classroom.course("teacher")))
    assert "student_id" not in instructor["CourseDirectory"]


def test_the_hub_binds_to_loopback_with_a_host_per_person(tmp_path):
    from traitlets.config import Config

    from classroom.hub import configure_hub

    classroom = Classroom(tmp_path, COURSE_ID)
    classroom.hub.mkdir()
    settings = {"course_id": COURSE_ID, "port": 8123, "hub_port": 8124, "proxy_api_port": 8125, "proxy": "chp"}
    classroom.settings_file.write_text(json.dumps({**settings, "instructor": "teacher", "students": ["alice"]}))
    config = Config()
    configure_hub(config, str(tmp_path))
    assert config.JupyterHub.bind_url == "http://127.0.0.1:8123/"
    assert config.JupyterHub.hub_bind_url == "http://127.0.0.1:8124"
    assert config.ConfigurableHTTPProxy.api_url == "http://127.0.0.1:8125"
    assert config.JupyterHub.subdomain_host == "http://localhost:8123"
    assert config.Authenticator.allowed_users == {"teacher", "alice"}
    assert "admin_users" not in config.Authenticator  # nobody may reach another's server


def test_the_guide_shows_the_screenshots_the_test_takes():
    guide = (ROOT / "docs" / "instructor-guide.md").read_text()
    shown = set(re.findall(r"images/hub-([\w-]+)\.png", guide))
    assert shown == set(GUIDE_SHOTS), shown ^ set(GUIDE_SHOTS)
    for name in GUIDE_SHOTS:
        image = GUIDE_IMAGES / f"hub-{name}.png"
        assert image.exists(), f"{image} is missing: VAE_COURSE_GUIDE_SCREENSHOTS=1 pytest tests/test_classroom.py"
        assert image.stat().st_size < 120_000, f"{image} is large: the test writes palette PNGs"


# --- slow: the hub, in a browser -------------------------------------------------------------------


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    folder = tmp_path_factory.mktemp("classroom")
    accounts = folder / "accounts.csv"
    write_accounts([Account(name, role, PASSWORDS[name]) for name, role in PEOPLE.items()], accounts)
    hub = start_hub(folder / "room", accounts, [ASSIGNMENT], COURSE_ID)
    yield hub
    hub.stop()


@pytest.fixture
def people(chromium, hub, request):
    """One browser context per person (their own cookies), each allowed to reach only the hub.

    Yields ``(contexts, guards)``: name -> context, name -> what its pages tried beyond the hub.
    """
    with ExitStack() as stack:
        contexts, guards = {}, {}
        for name in PEOPLE:
            context, guard = stack.enter_context(offline_context(chromium, hub.origins, viewport=VIEWPORT))
            context.set_default_timeout(240_000)
            stack.enter_context(keep_on_failure(context, request, trace=True, label=name))
            contexts[name], guards[name] = context, guard
        yield contexts, guards


def shot_table(page, frame, name: str) -> None:
    """A screenshot of formgrader's *Manage Assignments* with its table in view."""
    frame.locator("#main-table").scroll_into_view_if_needed()
    shot(page, name)


def _course(hub) -> Path:
    return hub.classroom.course("teacher")


def _inbound(hub) -> list[str]:
    return sorted(path.name for path in (hub.classroom.exchange / COURSE_ID / "inbound").iterdir())


def _answer(page, hub, name: str) -> None:
    """Write ``name``'s code and written answer in the open notebook, and save it."""
    notebook = page.locator(".jp-NotebookPanel:visible")
    replace_cell(page, notebook.locator(".jp-CodeCell", has_text="def reparameterize(mu, logvar").first, ANSWERS[name])
    replace_cell(page, notebook.locator(".jp-MarkdownCell", has_text="YOUR ANSWER HERE").first, WRITTEN[name])
    page.keyboard.press("Shift+Enter")  # render the answer
    page.keyboard.press("ControlOrMeta+s")
    path = hub.classroom.home(name) / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    wait_until(page, lambda: WRITTEN[name] in path.read_text(), f"{name}'s notebook to be saved")
    sources = ["".join(cell["source"]).strip() for cell in json.loads(path.read_text())["cells"]]
    assert ANSWERS[name].strip() in sources


def _student_hands_in(page, hub, name: str) -> str:
    """Fetch, answer, validate and submit as a student; returns what validation said."""
    panel = assignment_list(page)
    released = panel.locator("#released_assignments_list > .list_item", has_text=ASSIGNMENT)
    if name == "alice":
        shot(page, "student-fetch")
    released.locator("button", has_text="Fetch").click()
    fetched = panel.locator("#fetched_assignments_list > .list_item", has_text=ASSIGNMENT)
    fetched.locator("a.assignment-notebooks-link").click()
    fetched.locator("a", has_text=ASSIGNMENT).last.click()  # the notebook, under the assignment's own link
    _answer(page, hub, name)
    page.locator(".jp-NotebookPanel:visible .validate-button").click()
    message = page.locator("#validation-message")
    message.wait_for()
    validation = message.inner_text()
    if name == "bob":
        shot(page, "student-validate")
    page.locator(".jp-Dialog-button.jp-mod-accept").click()
    panel = assignment_list(page)
    panel.locator("#fetched_assignments_list > .list_item", has_text=ASSIGNMENT).locator(
        "button", has_text="Submit"
    ).click()
    panel.locator("#submitted_assignments_list .nested_list_item").first.wait_for()
    if name == "alice":
        shot(page, "student-submitted")
    return validation


def _autograde_in_terminal(page, hub) -> dict:
    """The instructor grades from a terminal of their JupyterLab; returns classgrade's report."""
    report = _course(hub) / "reports" / "autograde" / ASSIGNMENT / "report.json"
    new_terminal(page)
    page.keyboard.type(f"cd {COURSE_ID} && python -m classgrade autograde {ASSIGNMENT} --jobs 2 --quiet\n")
    wait_until(page, report.exists, "classgrade's report", timeout_s=900)
    page.wait_for_timeout(1000)  # the terminal prints the table of scores
    shot(page, "autograde-terminal")
    return json.loads(report.read_text())


def _grade_by_hand(page, frame, hub, name: str) -> None:
    """Open ``name``'s submission in formgrader and grade the written answer, with a comment."""
    frame.goto(hub.server("teacher") + f"formgrader/manage_submissions/{ASSIGNMENT}")
    frame.locator("tr", has=frame.locator(f"td.student-id:text-is('{name}')")).locator("td.student-name a").click()
    frame.locator(f"td.name a:text-is('{ASSIGNMENT}')").click()
    score, comment = frame.locator("#answer_trick"), frame.locator("#answer_trick-comment")
    points, text = MANUAL[name]
    score.fill(str(points))
    score.press("Tab")
    comment.fill(text)
    comment.press("Tab")
    wait_until(page, lambda: _manual(hub, name) == (points, text), f"formgrader to save {name}'s grade")
    if name == "bob":
        shot(page, "formgrader-manual-grade")


def _manual(hub, name: str) -> tuple[float | None, str | None]:
    """The manual score and comment of ``name``'s written answer, from the gradebook."""
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{_course(hub) / 'gradebook.db'}") as gradebook:
        grade = gradebook.find_grade("answer_trick", ASSIGNMENT, ASSIGNMENT, name)
        comment = gradebook.find_comment("answer_trick", ASSIGNMENT, ASSIGNMENT, name)
        return grade.manual_score, comment.manual_comment


def _read_feedback(page, name: str) -> str:
    """As a student: fetch feedback in the assignment list, open the page, return its text."""
    panel = assignment_list(page)
    panel.locator("#submitted_assignments_list > .list_item", has_text=ASSIGNMENT).locator(
        "button", has_text="Fetch Feedback"
    ).click()
    panel.locator("#submitted_assignments_list a", has_text="view feedback").click()
    page.locator(".jp-DirListing-item", has_text=f"{ASSIGNMENT}.html").dblclick()
    body = page.frame_locator(".jp-HTMLViewer:visible iframe").locator("body")
    body.get_by_text("Score:").first.wait_for()
    if name == "bob":
        body.get_by_text(f"Hint [{MISTAKE.hint}]").first.scroll_into_view_if_needed()
        shot(page, "student-feedback")
    return body.inner_text()


@pytest.mark.slow
def test_a_class_round_trip_in_the_browser(hub, people):
    contexts, guards = people
    course = _course(hub)

    # 1. The instructor logs in and releases the assignment from formgrader.
    teacher = login(contexts["teacher"], hub, "teacher", PASSWORDS["teacher"], screenshot="login")
    teacher.keyboard.press("ControlOrMeta+b")  # hide the file browser: room for formgrader's table
    assert nbgrader_menu(teacher) == ["Assignment List", "Course List", "Formgrader", "Create assignment"]
    frame = formgrader(teacher)
    formgrader_action(frame, ASSIGNMENT, "release")
    close_dialog(frame)
    shot_table(teacher, frame, "formgrader-release")
    released = hub.classroom.exchange / COURSE_ID / "outbound" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    assert "### BEGIN HIDDEN TESTS" not in released.read_text()

    # 2. Each student fetches it, answers (bob with a named mistake), validates and submits.
    validation = {}
    for name in ("alice", "bob"):
        page = login(contexts[name], hub, name, PASSWORDS[name])
        assert nbgrader_menu(page) == ["Assignment List"]  # no formgrader, course list or create-assignment
        validation[name] = _student_hands_in(page, hub, name)
    assert "Success! Your notebook passes all the tests." in validation["alice"]
    assert "The following cell failed" in validation["bob"] and "expected [[1, 1 - 3]]" in validation["bob"]
    inbound = _inbound(hub)
    assert [entry.split("+")[:2] for entry in inbound] == [["alice", ASSIGNMENT], ["bob", ASSIGNMENT]]

    # 3. The instructor collects, autogrades from a terminal, and grades the written answers by hand.
    frame.goto(hub.server("teacher") + "formgrader/manage_assignments")
    formgrader_action(frame, ASSIGNMENT, "collect")
    close_dialog(frame)
    shot_table(teacher, frame, "formgrader-collect")
    assert sorted(path.name for path in (course / "submitted").iterdir()) == ["alice", "bob"]
    report = _autograde_in_terminal(teacher, hub)
    assert sorted(row["student"] for row in report["submissions"]) == ["alice", "bob"], report
    automatic = {name: grades(course, name, ASSIGNMENT) for name in ("alice", "bob")}
    assert all(score == top for cell, (score, top) in automatic["alice"].items() if cell != "answer_trick")
    lost = {cell for cell, (score, top) in automatic["bob"].items() if score is not None and score < top}
    assert lost == MISTAKE.failing
    frame = formgrader(teacher)
    frame.goto(hub.server("teacher") + f"formgrader/manage_submissions/{ASSIGNMENT}")
    frame.locator("td.student-id:text-is('bob')").wait_for()
    shot(teacher, "formgrader-submissions")
    for name in ("alice", "bob"):
        _grade_by_hand(teacher, frame, hub, name)
    final = {name: grades(course, name, ASSIGNMENT) for name in ("alice", "bob")}
    assert {name: final[name]["answer_trick"][0] for name in final} == {n: MANUAL[n][0] for n in MANUAL}

    # 4. ... generates and releases feedback.
    frame.goto(hub.server("teacher") + "formgrader/manage_assignments")
    formgrader_action(frame, ASSIGNMENT, "generate-feedback")
    close_dialog(frame)
    formgrader_action(frame, ASSIGNMENT, "release-feedback")
    close_dialog(frame)
    shot_table(teacher, frame, "formgrader-feedback")
    assert len(list((hub.classroom.exchange / COURSE_ID / "feedback").glob("*.html"))) == 2

    # 5. Each student fetches their feedback and reads their own score, hint and comment, and no hidden test.
    hidden = hidden_test_lines(ASSIGNMENT)
    for name in ("alice", "bob"):
        page = contexts[name].pages[0]
        text = _read_feedback(page, name)
        score = sum(points for points, _ in final[name].values())
        top = sum(top for _, top in final[name].values())
        assert f"{ASSIGNMENT} (Score: {float(score)} / {float(top)})" in text
        assert MANUAL[name][1] in text and MANUAL[OTHER[name]][1] not in text
        assert (f"Hint [{MISTAKE.hint}]" in text) == (name == "bob")
        assert not [line for line in hidden if line in text], "the feedback shows hidden tests"

    for name, guard in guards.items():  # nothing left the machine but nbconvert's request for MathJax
        assert all(url.startswith(MATHJAX_CDN) for url in guard.blocked), (name, guard.blocked)
        assert all("MathJax is not defined" in error for error in guard.exceptions), (name, guard.exceptions)


def _status(page, url: str) -> int:
    """The status of the page a person ends on after following ``url`` (the hub's redirects included)."""
    return page.goto(url).status


SUBMIT = """async ([url, body]) => {
    const xsrf = document.cookie.match(/(?:^|; )_xsrf=([^;]*)/)[1];
    const response = await fetch(url, {
        method: "POST", credentials: "same-origin", body: JSON.stringify(body),
        headers: {"X-XSRFToken": xsrf, "Content-Type": "application/json"},
    });
    return response.status;
}"""


def _post(hub, context, name: str, path: str, body: dict) -> int:
    """POST ``body`` to ``name``'s server with every cookie of ``context``, as a browser would send them
    (Chromium finds ``*.localhost`` by itself; Python is told the host); returns the status, unfollowed."""
    cookies = "; ".join(f"{cookie['name']}={cookie['value']}" for cookie in context.cookies())
    headers = {"Host": f"{name}.localhost:{hub.port}", "Cookie": cookies, "Content-Type": "application/json"}
    connection = http.client.HTTPConnection("127.0.0.1", hub.port, timeout=120)
    try:
        connection.request("POST", f"/user/{name}/{path}", body=json.dumps(body), headers=headers)
        return connection.getresponse().status
    finally:
        connection.close()


def _runs(hub, name: str) -> bool:
    """Whether ``name``'s server runs (a process of the classroom with their ``JUPYTERHUB_USER``)."""
    entry = f"JUPYTERHUB_USER={name}".encode()
    for pid in hub.processes():
        try:
            if entry in Path(f"/proc/{pid}/environ").read_bytes().split(b"\0"):
                return True
        except OSError:  # it ended meanwhile
            pass
    return False


def _released_and_fetched(hub, name: str) -> None:
    """The state the test starts from, made by the command line if the round trip did not make it."""
    nbgrader = [sys.executable, "-m", "nbgrader"]
    if not (hub.classroom.exchange / COURSE_ID / "outbound" / ASSIGNMENT).exists():
        run_as(hub.classroom, "teacher", "instructor", [*nbgrader, "release_assignment", ASSIGNMENT], _course(hub))
    if not (hub.classroom.home(name) / ASSIGNMENT).exists():
        run_as(hub.classroom, name, "student", [*nbgrader, "fetch_assignment", ASSIGNMENT], hub.classroom.home(name))


@pytest.mark.slow
def test_what_a_student_must_never_reach(hub, people):
    """alice, logged in, tries another's server, the instructor's formgrader, and submitting as bob."""
    contexts, _ = people
    _released_and_fetched(hub, "alice")
    alice = login(contexts["alice"], hub, "alice", PASSWORDS["alice"])
    probe = contexts["alice"].new_page()
    # another person's server: the hub refuses, 403 while it runs (as after the round trip), 404 while
    # it does not, whatever the address: formgrader, files, feedback
    for owner, path in (
        ("teacher", "formgrader/manage_assignments"),
        ("teacher", f"files/{COURSE_ID}/gradebook.db"),
        ("teacher", f"files/{COURSE_ID}/feedback/bob/{ASSIGNMENT}/{ASSIGNMENT}.html"),
        ("bob", f"files/{ASSIGNMENT}/{ASSIGNMENT}.ipynb"),
        ("bob", f"tree/{ASSIGNMENT}/feedback"),
    ):
        url = hub.server(owner) + path
        assert _status(probe, url) == (403 if _runs(hub, owner) else 404), url
        assert "Manage Assignments" not in probe.content() and '"nbformat"' not in probe.content()
    # alice's own server has no formgrader and serves nothing outside her home
    assert _status(probe, hub.server("alice") + "formgrader") == 404
    assert _status(probe, hub.server("alice") + "api/contents/..%2Fbob") in (403, 404)

    # submitting as bob: to his server (refused), or to hers naming him (filed under alice all the same)
    before = _inbound(hub)
    body = {"course_id": COURSE_ID, "assignment_id": ASSIGNMENT, "student_id": "bob"}
    assert _post(hub, contexts["alice"], "bob", "assignments/submit", body) in (302, 403)
    assert alice.evaluate(SUBMIT, [hub.server("alice") + "assignments/submit", body]) == 200
    added = sorted(set(_inbound(hub)) - set(before))
    assert [entry.split("+")[0] for entry in added] == ["alice"], added


@pytest.mark.slow
def test_ctrl_c_stops_the_hub_and_everything_it_started(hub):
    """Runs last: the servers, kernels, terminals and proxy that the tests above started all stop."""
    assert hub.processes(), "the hub's processes should be running before Ctrl-C"
    assert hub.stop() == 0, "\n".join(hub.output)
    assert hub.output[-1] == "Stopped.", hub.output
    assert hub.processes() == []
    assert not (hub.classroom.hub / "proxy.pid").exists() and not (hub.classroom.hub / "jupyterhub.pid").exists()
