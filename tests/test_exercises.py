"""The exercises: the checks behind the hidden tests (fast), and the assignments graded end to end by
nbgrader's command line (slow), for an English and an Indonesian class side by side.

Answers used here live in ``tests/exercise_support/answers.py``: correct ones written differently from
the solutions, and one per common mistake with the cells it loses and the hint it must get. The
Indonesian class (``VAE_COURSE_LANGUAGE=id``: sources ``solutions-id/``, releases ``exercises-id/``)
hands in the same answers in its own release and must get the same points, cell by cell.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from exercise_support import answers, course
from exercise_support.answers import (
    ASSIGNMENTS,
    CHECKS,
    CORRECT,
    DELEGATING,
    MISTAKES,
    SIBLING_DELEGATING,
    SUBCLASSING,
)

import vae_course
from vae_course import checks
from vae_course.checks.core import CheckFailure
from vae_course.checks.delegation import find_delegation
from vae_course.checks.hints import HINTS
from vae_course.course import CLASS_LANGUAGES, exercise_folders
from vae_course.language import LANGUAGE_VARIABLE

CORRECT_CELLS = [(assignment, cell) for assignment, cells in CORRECT.items() for cell in cells]


def solution_source(assignment: str, cell: str) -> str:
    """A solution cell of the source notebook, with nbgrader's markers removed."""
    return re.sub(r"\s*### (BEGIN|END) SOLUTION", "", answers.cell_source(assignment, cell))


# --------------------------------------------------------------------------- the source notebooks


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_source_notebooks_are_tidy(assignment, tmp_path):
    """No outputs, a readable id on every cell, and the canonical JSON that Jupyter writes."""
    import nbformat

    path = answers.notebook_path(assignment)
    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)
    for cell in notebook.cells:
        readable = re.fullmatch(r"[A-Za-z][A-Za-z0-9_-]*", cell.id) and not re.fullmatch(r"[0-9a-f]{8}", cell.id)
        assert readable, f"cell {cell.id!r}: give it a readable id (the grade_id, for nbgrader cells)"
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, f"cell {cell.id} has outputs"
    nbformat.write(notebook, tmp_path / "canonical.ipynb")
    assert (tmp_path / "canonical.ipynb").read_text() == path.read_text(), "save it with Jupyter or nbformat.write"


# --------------------------------------------------------------------------- the checks, directly


@pytest.mark.parametrize(("assignment", "cell"), CORRECT_CELLS, ids=[c for _, c in CORRECT_CELLS])
def test_solutions_pass_their_checks(assignment, cell):
    scope = answers.namespace(assignment, {c: solution_source(assignment, c) for c in CORRECT[assignment]})
    getattr(checks, CHECKS[cell])(scope[cell])


@pytest.mark.parametrize(("assignment", "cell"), CORRECT_CELLS, ids=[c for _, c in CORRECT_CELLS])
def test_correct_answers_written_differently_pass_quietly(assignment, cell, capfd):
    """Other formulas, layer names and orders of random calls pass; their warnings print nothing."""
    scope = answers.namespace(assignment)
    capfd.readouterr()
    getattr(checks, CHECKS[cell])(scope[cell])
    out, err = capfd.readouterr()
    assert (out, err) == ("", ""), "a check let the student's code write to stdout or stderr"


@pytest.mark.parametrize("mistake", MISTAKES, ids=[m.name for m in MISTAKES])
def test_each_common_mistake_gets_its_hint(mistake):
    scope = answers.namespace(mistake.assignment, {mistake.cell: mistake.source})
    check = getattr(checks, mistake.check)
    for part in mistake.parts:
        with pytest.raises(CheckFailure) as failure:
            check(scope[mistake.cell], part=part)
        assert failure.value.hint == mistake.hint, f"part {part!r}: {failure.value}"
        message = str(failure.value)
        assert f"Hint [{mistake.hint}]" in message
        assert "tensor(" not in message, "a message must not print hidden inputs"


@pytest.mark.parametrize("variant", sorted(DELEGATING))
def test_an_answer_that_calls_the_reference_scores_zero(variant):
    scope = answers.namespace("02_reparameterization", {"reparameterize": DELEGATING[variant]})
    original = vae_course.reparameterize.__code__
    for part in ("shapes", "values", "noise", "gradients"):
        with pytest.raises(CheckFailure) as failure:
            checks.check_reparameterize(scope["reparameterize"], part=part)
        assert failure.value.hint == "delegation"
        assert "reference" in str(failure.value)
    assert vae_course.reparameterize.__code__ is original, "the tripwire was not removed"
    mu = torch.zeros(2, 3)
    assert torch.equal(vae_course.reparameterize(mu, mu, eps=torch.ones(2, 3)), torch.ones(2, 3))


SIBLINGS = [(a, c, v, source) for (a, c), variants in SIBLING_DELEGATING.items() for v, source in variants.items()]


@pytest.mark.parametrize("assignment, cell, variant, source", SIBLINGS, ids=[f"{c}: {v}" for _, c, v, _ in SIBLINGS])
def test_an_answer_that_calls_another_library_function_computing_the_same_scores_zero(
    assignment, cell, variant, source
):
    """The general Gaussian KL for the standard-normal KL, the library's KL inside the student's ELBO..."""
    scope = answers.namespace(assignment, {cell: source})
    check = getattr(checks, CHECKS[cell])
    with pytest.raises(ValueError) as error:
        check(lambda *args: None, part="?")
    for part in eval(str(error.value).split("choose one of ")[1]):  # the check's own list of parts
        with pytest.raises(CheckFailure) as failure:
            check(scope[cell], part=part)
        assert failure.value.hint == "delegation", str(failure.value)


def test_an_answer_that_removes_the_delegation_watch_scores_zero():
    """The watch that sees a reference's code run under any name is a profile function: removing it fails."""
    scope = answers.namespace("03_kl_and_elbo")
    mine = scope["kl_divergence"]

    def kl_divergence(mu, logvar):
        import sys

        sys.setprofile(None)
        return mine(mu, logvar)

    with pytest.raises(CheckFailure, match="watch") as failure:
        checks.check_kl_divergence(kl_divergence, part="values")
    assert failure.value.hint == "delegation"
    import sys

    assert sys.getprofile() is None  # the check put back what was there


def test_the_reference_itself_or_a_subclass_of_it_is_rejected():
    with pytest.raises(CheckFailure, match="is the reference") as failure:
        checks.check_kl_divergence(vae_course.kl_divergence)
    assert failure.value.hint == "delegation"
    scope = answers.namespace("04_mlp_vae", {"MLPVAE": SUBCLASSING})
    with pytest.raises(CheckFailure, match="subclasses") as failure:
        checks.check_mlp_vae(scope["MLPVAE"], part="shapes")
    assert failure.value.hint == "delegation"
    assert vae_course.MLPVAE.__init__ is vae_course.models.mlp_vae.MLPVAE.__dict__["__init__"]


def test_using_other_library_functions_is_not_delegation():
    """The MLP VAE may call the given reparameterize; only the reference it must write is forbidden."""
    scope = answers.namespace("04_mlp_vae", {"MLPVAE": solution_source("04_mlp_vae", "MLPVAE")})
    assert find_delegation(scope["MLPVAE"], (vae_course.MLPVAE,)) is None
    checks.check_mlp_vae(scope["MLPVAE"], part="sampling")


def test_an_untouched_stub_fails_with_a_hint():
    def reparameterize(mu, logvar, eps=None):
        raise NotImplementedError()

    with pytest.raises(CheckFailure, match="NotImplementedError") as failure:
        checks.check_reparameterize(reparameterize, part="shapes")
    assert failure.value.hint == "not-implemented"


def test_a_student_error_shows_the_student_line_and_no_check_code():
    def kl_divergence(mu, logvar):
        return mu.sum(dim=7)  # a bug

    with pytest.raises(CheckFailure) as failure:
        checks.check_kl_divergence(kl_divergence, part="shapes")
    message = str(failure.value)
    assert "IndexError" in message and "return mu.sum(dim=7)" in message
    assert "checks_" not in message and "gaussian_inputs" not in message


def test_failures_render_as_their_message_only():
    failure = CheckFailure("kl_divergence differs", hint="kl-sign")
    (rendered,) = failure._render_traceback_()
    assert "kl_divergence differs" in rendered and HINTS["kl-sign"] in rendered
    assert isinstance(failure, AssertionError)


def test_checks_leave_the_students_random_state_alone():
    scope = answers.namespace("02_reparameterization")
    torch.manual_seed(123)
    state = torch.get_rng_state()
    checks.check_reparameterize(scope["reparameterize"], part="noise")
    assert torch.equal(torch.get_rng_state(), state)


def test_an_unknown_part_is_an_error():
    with pytest.raises(ValueError, match="no part 'value'"):
        checks.check_kl_divergence(answers.namespace("03_kl_and_elbo")["kl_divergence"], part="value")


def test_every_hint_a_check_names_exists():
    named = set()
    for path in (answers.ROOT / "vae_course" / "checks").glob("*.py"):
        text = path.read_text()
        named |= set(re.findall(r'hint="([a-z-]+)"', text))
        named |= set(re.findall(r'^\s*"([a-z]+(?:-[a-z]+)+)": ', text, flags=re.M))
    assert named - set(HINTS) == set()
    assert {m.hint for m in MISTAKES} <= set(HINTS)


# --------------------------------------------------------------------------- end to end, with nbgrader

WRITTEN = "A written answer, for the instructor to grade."
DELEGATION = answers.Mistake(
    "delegation",
    "02_reparameterization",
    "reparameterize",
    DELEGATING["runtime"],
    frozenset(f"test_reparameterize_{part}" for part in ("shapes", "values", "noise", "gradients")),
    "check_reparameterize",
)
GRADED_MISTAKES = (*MISTAKES, DELEGATION)


def mistake_student(index: int) -> str:
    return f"mistake{index:02d}"


TRANSLATED = [language for language in CLASS_LANGUAGES if language != "en"]
# What the translated classes hand in besides the correct answers: each assignment's first named mistake
# and the delegation. Every mistake's hint is checked in both languages in-process (test_checks.py);
# grading all of them again in every language would add minutes of CI for no more coverage of the
# translation, whose code is the same in both languages (test_exercise_translation.py).
TRANSLATED_MISTAKES = [
    index
    for index, mistake in enumerate(GRADED_MISTAKES)
    if mistake is DELEGATION or mistake is next(m for m in MISTAKES if m.assignment == mistake.assignment)
]
# The English class hands in to two course folders of about as many notebooks each: nbgrader grades one
# notebook at a time, and the English class (77 notebooks) graded in one folder kept one core busy for
# minutes after the Indonesian class (22) had finished. Three folders keep both cores busy.
ENGLISH_MISTAKES = "en-mistakes"  # the second folder: the named mistakes after the first few
FIRST_FOLDER_MISTAKES = (3 * len(ASSIGNMENTS) + len(GRADED_MISTAKES)) // 2 - 3 * len(ASSIGNMENTS)
PROBE = "probe"  # an Indonesian student whose answer prints the language its kernel was given
PROBE_ASSIGNMENT = "02_reparameterization"


def english_root(classes: dict[str, Path], student: str) -> Path:
    """The course folder where the English class's ``student`` handed in."""
    second = student.startswith("mistake") and int(student.removeprefix("mistake")) >= FIRST_FOLDER_MISTAKES
    return classes[ENGLISH_MISTAKES] if second else classes["en"]


def _submit_answers(root: Path, language: str, untouched_and_solution: bool, mistakes_root: Path) -> None:
    """Hand in a class's answers to ``root``, the named mistakes after the first FIRST_FOLDER_MISTAKES to
    ``mistakes_root``."""
    for assignment in ASSIGNMENTS:
        released = course.release(root, assignment, language)
        if untouched_and_solution:
            course.submit(root, "untouched", assignment, released)
            course.submit(root, "solution", assignment, course.read_notebook(answers.notebook_path(assignment)))
        course.submit(root, "correct", assignment, course.answered(released, CORRECT[assignment], WRITTEN))
    for index, mistake in enumerate(GRADED_MISTAKES):
        if language != "en" and index not in TRANSLATED_MISTAKES:
            continue
        submission = {**CORRECT[mistake.assignment], mistake.cell: mistake.source}
        released = course.release(root, mistake.assignment, language)
        answered = course.answered(released, submission, WRITTEN)
        folder = mistakes_root if index >= FIRST_FOLDER_MISTAKES else root
        course.submit(folder, mistake_student(index), mistake.assignment, answered)


@pytest.fixture(scope="module")
def classes(tmp_path_factory) -> dict[str, Path]:
    """One course per language, each with its own gradebook (the English class's in two, the second
    ``ENGLISH_MISTAKES``): the English class hands in every kind of submission, the others the
    correct answers and some mistakes; all are autograded and given feedback by nbgrader, the course
    folders side by side."""
    languages = {**{language: language for language in CLASS_LANGUAGES}, ENGLISH_MISTAKES: "en"}
    roots = {name: course.copy_course(tmp_path_factory.mktemp(f"course-{name}"), language)
             for name, language in languages.items()}  # fmt: skip
    course.nbgrader_side_by_side(
        [(root, ("generate_assignment", "*", "--force"), languages[name]) for name, root in roots.items()]
    )
    for language in CLASS_LANGUAGES:
        mistakes_root = roots[ENGLISH_MISTAKES] if language == "en" else roots[language]
        _submit_answers(roots[language], language, untouched_and_solution=language == "en", mistakes_root=mistakes_root)
    for language in TRANSLATED:
        probing = f"{CORRECT[PROBE_ASSIGNMENT]['reparameterize']}\nimport os\nprint('language:', os.environ.get('{LANGUAGE_VARIABLE}'))"
        released = course.release(roots[language], PROBE_ASSIGNMENT, language)
        answered = course.answered(released, {**CORRECT[PROBE_ASSIGNMENT], "reparameterize": probing}, WRITTEN)
        course.submit(roots[language], PROBE, PROBE_ASSIGNMENT, answered)
    for step in ("autograde", "generate_feedback"):
        course.nbgrader_side_by_side([(root, (step, "*"), languages[name]) for name, root in roots.items()])
    return roots


@pytest.fixture(scope="module")
def graded(classes):
    """The English class, with every kind of submission autograded and given feedback: a student's name
    gives the course folder where the student handed in."""
    return lambda student: english_root(classes, student)


@pytest.mark.slow
@pytest.mark.parametrize("language", CLASS_LANGUAGES)
def test_committed_releases_match_the_sources(classes, language):
    """exercises/ is what ``nbgrader generate_assignment`` makes of solutions/, and exercises-id/ of
    solutions-id/ with ``VAE_COURSE_LANGUAGE=id`` (regenerate if not)."""
    release = exercise_folders(language)[1]
    generated = course.release_files(classes[language] / release)
    committed = course.release_files(answers.ROOT / release)
    assert sorted(generated) == sorted(committed)
    command = "nbgrader generate_assignment" if language == "en" else f"VAE_COURSE_LANGUAGE={language} nbgrader ..."
    for name in generated:
        assert generated[name] == committed[name], f"{release}/{name} is stale: run {command}"


@pytest.mark.slow
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_source_notebooks_get_full_marks(graded, assignment):
    scores = course.grades(graded("solution"), "solution", assignment)
    for cell in course.autograded_cells(assignment):
        assert scores[cell][0] == scores[cell][1], f"{cell}: {scores[cell]}"
    assert any(score is None for score, _ in scores.values()), "the written answers await manual grading"


@pytest.mark.slow
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_correct_answers_written_differently_get_full_marks(graded, assignment):
    scores = course.grades(graded("correct"), "correct", assignment)
    for cell in course.autograded_cells(assignment):
        feedback = course.feedback_text(graded("correct"), "correct", assignment)
        assert scores[cell][0] == scores[cell][1], f"{cell}: {scores[cell]}\n{feedback}"


@pytest.mark.slow
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_untouched_releases_score_zero_without_crashing(graded, assignment):
    scores = course.grades(graded("untouched"), "untouched", assignment)
    assert set(scores) >= course.autograded_cells(assignment)
    assert all(score == 0 for score, _ in scores.values()), scores
    assert (graded("untouched") / "feedback" / "untouched" / assignment / f"{assignment}.html").is_file()


@pytest.mark.slow
@pytest.mark.parametrize("index", range(len(GRADED_MISTAKES)), ids=[m.name for m in GRADED_MISTAKES])
def test_each_mistake_loses_its_cells_and_gets_its_hint(graded, index):
    mistake = GRADED_MISTAKES[index]
    student = mistake_student(index)
    scores = course.grades(graded(student), student, mistake.assignment)
    for cell in course.autograded_cells(mistake.assignment):
        expected = 0 if cell in mistake.failing else scores[cell][1]
        assert scores[cell][0] == expected, f"{cell}: {scores[cell]}"
    assert f"Hint [{mistake.hint}]" in course.feedback_text(graded(student), student, mistake.assignment)


@pytest.mark.slow
def test_feedback_shows_no_hidden_test_code(graded):
    roots = {graded("correct"), graded(mistake_student(len(GRADED_MISTAKES) - 1))}
    pages = sorted(page for root in roots for page in (root / "feedback").rglob("*.html"))
    assert len(pages) == 3 * len(ASSIGNMENTS) + len(GRADED_MISTAKES)
    for page in pages:
        assignment, student = page.parent.name, page.parent.parent.name
        text = course.feedback_text(graded(student), student, assignment)
        assert "HIDDEN TESTS" not in text
        for line in course.hidden_test_lines(assignment):
            assert line not in text, f"{page.relative_to(graded(student))} shows hidden test code: {line}"


@pytest.mark.slow
def test_validate_passes_a_correct_answer_that_warns_as_grading_does(tmp_path, monkeypatch):
    """nbgrader's Validate (the notebook's button) fails a test cell that writes to stderr and, unlike
    grading, drops no warnings; the course's kernels ignore warnings while validating."""
    import json

    from nbgrader.validator import Validator
    from traitlets.config import Config

    from vae_course.course import configure_nbgrader

    for variable in ("PATH", LANGUAGE_VARIABLE, "OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        monkeypatch.setenv(variable, os.environ.get(variable, "1"))  # what configure_nbgrader sets, restored after
    assignment = "02_reparameterization"
    with pytest.warns(UserWarning, match="copy construct"):  # CORRECT's answer makes PyTorch warn
        answers.namespace(assignment)["reparameterize"](torch.zeros(2), torch.zeros(2), eps=torch.ones(2))
    released = course.read_notebook(answers.ROOT / exercise_folders("en")[1] / assignment / f"{assignment}.ipynb")
    path = tmp_path / f"{assignment}.ipynb"
    path.write_text(json.dumps(course.answered(released, CORRECT[assignment], WRITTEN)))
    config = Config()
    configure_nbgrader(config, "en")
    assert Validator(config=config).validate(str(path)) == {}
    config.Execute.extra_arguments = []  # nbgrader's own Validate: the warning fails each cell it reaches
    failed = Validator(config=config).validate(str(path))["failed"]
    assert failed and all("UserWarning: To copy construct" in cell["error"] for cell in failed)


def test_every_sibling_of_a_reference_is_a_function_or_class_of_the_library():
    from vae_course.checks.delegation import SIBLINGS, forbidden

    for name, siblings in SIBLINGS.items():
        found = forbidden(name)
        assert len(found) == len(siblings) and all(callable(f) for f in found), name
        assert all(f.__module__.startswith("vae_course.") for f in found), name


# --------------------------------------------------------------------------- the Indonesian class

TRANSLATED_STUDENTS = ["correct", *(mistake_student(index) for index in TRANSLATED_MISTAKES)]


def _submissions(student: str) -> list[str]:
    if student == "correct":
        return list(ASSIGNMENTS)
    return [GRADED_MISTAKES[int(student.removeprefix("mistake"))].assignment]


@pytest.mark.slow
@pytest.mark.parametrize("language", TRANSLATED)
@pytest.mark.parametrize("student", TRANSLATED_STUDENTS)
def test_the_same_answers_earn_the_same_points_in_every_language(classes, language, student):
    """Cell by cell: the grade ids, the points and the scores of the Indonesian class are the English ones."""
    for assignment in _submissions(student):
        english = course.grades(english_root(classes, student), student, assignment)
        translated = course.grades(classes[language], student, assignment)
        assert translated == english, f"{assignment}: {language} {translated} != en {english}"


@pytest.mark.slow
@pytest.mark.parametrize("language", TRANSLATED)
def test_the_translated_class_gets_its_own_notebooks_back_with_the_hints_named(classes, language):
    """Autograding restored the Indonesian test cells (its gradebook holds the Indonesian release), the
    feedback names each mistake's hint as the English one does, and it never shows hidden tests."""
    root = classes[language]
    for index in TRANSLATED_MISTAKES:
        mistake = GRADED_MISTAKES[index]
        feedback = course.feedback_text(root, mistake_student(index), mistake.assignment)
        assert f"[{mistake.hint}]" in feedback, f"{mistake.name}: no hint [{mistake.hint}] in the {language} feedback"
        if language == "id":
            assert f"Petunjuk [{mistake.hint}]" in feedback, f"{mistake.name}: the hint is not in Indonesian"
    for assignment in ASSIGNMENTS:
        feedback = course.feedback_text(root, "correct", assignment)
        assert "When your notebook is graded" not in feedback and "Saat notebook Anda dinilai" in feedback
        for line in course.hidden_test_lines(assignment):
            assert line not in feedback, f"{assignment}: the {language} feedback shows hidden test code: {line}"


@pytest.mark.slow
@pytest.mark.parametrize("language", TRANSLATED)
def test_the_class_language_reaches_the_kernels(classes, language):
    """nbgrader's kernels run with VAE_COURSE_LANGUAGE, as do classgrade's (which start with a clean
    environment): regrading the probe with ``python -m classgrade autograde`` prints it too."""
    root = classes[language]
    notebook = root / "autograded" / PROBE / PROBE_ASSIGNMENT / f"{PROBE_ASSIGNMENT}.ipynb"

    def printed() -> str:
        import nbformat

        cells = {cell.id: cell for cell in nbformat.read(notebook, as_version=4).cells}
        return "".join(output.get("text", "") for output in cells["reparameterize"].outputs)

    assert f"language: {language}" in printed()
    command = [sys.executable, "-m", "classgrade", "autograde", PROBE_ASSIGNMENT, "--student", PROBE, "--jobs", "1",
               "--quiet"]  # fmt: skip
    result = subprocess.run(command, cwd=root, env=course.language_env(language), capture_output=True, text=True,
                            timeout=600)  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert f"language: {language}" in printed()
    assert course.grades(root, PROBE, PROBE_ASSIGNMENT) == course.grades(classes["en"], "correct", PROBE_ASSIGNMENT)
