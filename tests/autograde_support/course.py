"""A tiny, self-contained nbgrader course for testing and benchmarking the autograder.

Assignment ``kl`` (for tests: no PyTorch, so kernels start fast) has one notebook: a read-only setup
cell, one autograded answer (``kl_divergence`` on lists of floats, 2 + 3 points of tests, one of them
hidden) and one manually graded written answer (1 point). ``SUBMISSIONS`` builds student notebooks
from its release, one per way a submission can be right, wrong, broken or hostile.

Assignment ``reparam`` (for the benchmark) looks like the course's: PyTorch, ``reparameterize``,
hidden tests that compare with ``vae_course``.

``make_course`` writes a source notebook and runs nbgrader's own ``generate_assignment``.
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat

from . import kl_checks

ASSIGNMENT = "kl"
NOTEBOOK = "kl"
MAX_SCORE = 6.0  # 2 + 3 autograded, 1 written

SETUP = "import math"
SOLUTION = '''def kl_divergence(mu, logvar):
    """KL(q || N(0, I)) for a diagonal Gaussian given as lists of floats."""
    ### BEGIN SOLUTION
    return sum(0.5 * (m * m + math.exp(lv) - 1.0 - lv) for m, lv in zip(mu, logvar))
    ### END SOLUTION'''
# Each test cell: a visible assert, then hidden checks from the stand-in checks module (kl_checks.py).
TEST_ZERO = """assert abs(kl_divergence([0.0], [0.0])) < 1e-12
### BEGIN HIDDEN TESTS
import kl_checks
kl_checks.check_kl(kl_divergence, part="zero")
### END HIDDEN TESTS"""
TEST_VALUES = """assert abs(kl_divergence([1.0], [0.0]) - 0.5) < 1e-9
### BEGIN HIDDEN TESTS
import kl_checks
kl_checks.check_kl(kl_divergence, part="values")
### END HIDDEN TESTS"""
WRITTEN = "Why is the KL term zero for a standard normal posterior?\n\n=== BEGIN MARK SCHEME ===\nq = p.\n=== END MARK SCHEME ===\n\nYOUR ANSWER HERE"

CORRECT = """def kl_divergence(mu, logvar):
    total = 0.0
    for m, lv in zip(mu, logvar):
        total += -0.5 * (1.0 + lv - m ** 2 - math.exp(lv))
    return total"""
WRONG = "def kl_divergence(mu, logvar):\n    return 0.0"  # passes the first test only
# Wrong code that passes the visible asserts and fails every hidden check: what tampering would hide.
LOOKUP = "def kl_divergence(mu, logvar):\n    return {(0.0,): 0.0, (1.0,): 0.5}.get(tuple(mu), 1.0)"
# A known mistake that the visible asserts miss (they use logvar = 0): the hidden check names it (kl-means-only).
MEANS_ONLY = "def kl_divergence(mu, logvar):\n    return sum(0.5 * m * m for m in mu)"
SUPPORT_DIR = Path(__file__).resolve().parent  # kl_checks.py: kernels and the judge import it from here

# Each way of changing the interpreter so that the hidden checks pass wrong code (issue 11).
FAKE_CHECKS = "fake = types.ModuleType('kl_checks')\nfake.check_kl = lambda *args, **kwargs: None\n"
TAMPERING = {
    "tamper_sys_modules": "import sys, types\n" + FAKE_CHECKS + "sys.modules['kl_checks'] = fake",
    "tamper_import_hook": (
        "import builtins, types\n" + FAKE_CHECKS + "real_import = builtins.__import__\n\n"
        "def hooked_import(name, *args, **kwargs):\n    return fake if name == 'kl_checks' else real_import(name, *args, **kwargs)\n\n"
        "builtins.__import__ = hooked_import"
    ),
    "tamper_input_transformer": (
        "def drop_checks(lines):\n    return [line for line in lines if 'kl_checks' not in line]\n\n"
        "get_ipython().input_transformers_cleanup.append(drop_checks)"
    ),
    "tamper_checks_function": "import kl_checks\nkl_checks.check_kl = lambda *args, **kwargs: None",
    "tamper_library_function": "import math\nmath.isclose = lambda *args, **kwargs: True",
    # The kernel records right answers, computed by the reference: only the notebook's code shows it (issue 20).
    "tamper_runs_reference": (
        "import kl_checks\nreal = kl_checks.check_kl\n"
        "kl_checks.check_kl = lambda kl_divergence, part: real(kl_checks._reference, part)"
    ),
    "delegates_to_reference": "import kl_checks\nkl_divergence = kl_checks._reference",
}


def _meta(grade_id: str, *, grade=False, solution=False, locked=False, points=0):
    meta = {"grade": grade, "grade_id": grade_id, "locked": locked, "schema_version": 3, "solution": solution}
    if grade:
        meta["points"] = points
    return {"nbgrader": meta}


def source_notebook(
    setup: str = SETUP,
    solution: str = SOLUTION,
    tests: tuple[str, str] = (TEST_ZERO, TEST_VALUES),
    title: str = "# KL divergence",
) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.metadata.kernelspec = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [
        nbformat.v4.new_markdown_cell(title),
        nbformat.v4.new_code_cell(setup, metadata=_meta("setup", locked=True)),
        nbformat.v4.new_code_cell(solution, metadata=_meta("kl_answer", solution=True)),
        nbformat.v4.new_code_cell(tests[0], metadata=_meta("test_kl_zero", grade=True, locked=True, points=2)),
        nbformat.v4.new_code_cell(tests[1], metadata=_meta("test_kl_values", grade=True, locked=True, points=3)),
        nbformat.v4.new_markdown_cell(WRITTEN, metadata=_meta("explain", grade=True, solution=True, points=1)),
    ]
    return nb


# The benchmark's assignment: the same cell structure, in PyTorch, checked against vae_course.
TORCH_ASSIGNMENT = "reparam"
TORCH_SETUP = "import torch"
TORCH_SOLUTION = """def reparameterize(mu, logvar, eps=None):
    ### BEGIN SOLUTION
    if eps is None:
        eps = torch.randn_like(mu)
    return mu + torch.exp(0.5 * logvar) * eps
    ### END SOLUTION"""
TORCH_TESTS = (
    "mu = torch.zeros(4, 3)\nassert reparameterize(mu, mu).shape == (4, 3)",
    """g = torch.Generator().manual_seed(0)
mu, logvar, eps = (torch.randn(8, 5, generator=g) for _ in range(3))
torch.testing.assert_close(reparameterize(mu, logvar, eps), mu + torch.exp(0.5 * logvar) * eps)
### BEGIN HIDDEN TESTS
from vae_course import reparameterize as reference
mu, logvar, eps = (torch.randn(64, 20, generator=g, dtype=torch.float64) for _ in range(3))
torch.testing.assert_close(reparameterize(mu, logvar, eps), reference(mu, logvar, eps=eps))
### END HIDDEN TESTS""",
)
TORCH_ANSWERS = [  # correct in three ways, wrong, and the untouched release
    "def reparameterize(mu, logvar, eps=None):\n    std = torch.exp(0.5 * logvar)\n    eps = torch.randn_like(std) if eps is None else eps\n    return mu + std * eps",
    "def reparameterize(mu, logvar, eps=None):\n    eps = torch.randn_like(mu) if eps is None else eps\n    return mu + torch.sqrt(torch.exp(logvar)) * eps",
    "def reparameterize(mu, logvar, eps=None):\n    if eps is None:\n        eps = torch.randn(mu.shape)\n    return eps * (0.5 * logvar).exp() + mu",
    "def reparameterize(mu, logvar, eps=None):\n    eps = torch.randn_like(mu) if eps is None else eps\n    return mu + torch.exp(logvar) * eps",
    None,
]


def torch_source_notebook() -> nbformat.NotebookNode:
    return source_notebook(TORCH_SETUP, TORCH_SOLUTION, TORCH_TESTS, "# Reparameterization")


def nbgrader(course: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    """Run nbgrader's command line in ``course`` (its kernels import ``kl_checks``)."""
    return subprocess.run(
        [sys.executable, "-m", "nbgrader", *args],
        cwd=course,
        capture_output=True,
        text=True,
        check=check,
        env=dict(kernel_environ(), JUPYTER_PLATFORM_DIRS="1"),
    )


def kernel_environ() -> dict[str, str]:
    """``os.environ`` with this folder on ``PYTHONPATH``: kernels and the judge import ``kl_checks``."""
    paths = [str(SUPPORT_DIR)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    return dict(os.environ, PYTHONPATH=os.pathsep.join(dict.fromkeys(paths)))


# Like the course's: nbgrader finds this environment's alembic without PATH, and classgrade flags
# answers that import vae_course's reference implementations.
COURSE_CONFIG = f"""from classgrade.environment import put_scripts_on_path
put_scripts_on_path()
c = get_config()
c.CourseDirectory.course_id = 'test'
c.ClassGrade.reference_package = 'vae_course'
c.ClassGrade.checks_module = 'kl_checks'
c.ClassGrade.hint_text = 'kl_checks:hint_text'
c.ClassGrade.hint_pattern = {kl_checks.HINT_PATTERN!r}
"""


def make_course(course: Path, assignment: str = ASSIGNMENT, source: nbformat.NotebookNode | None = None) -> Path:
    """A course folder with ``assignment`` generated (gradebook and release) from ``source``."""
    (course / "source" / assignment).mkdir(parents=True)
    (course / "nbgrader_config.py").write_text(COURSE_CONFIG)
    nbformat.write(source or source_notebook(), course / "source" / assignment / f"{NOTEBOOK}.ipynb")
    nbgrader(course, "generate_assignment", assignment)
    return course


def make_course_with_config(course: Path, config: Path) -> Path:
    """Like ``make_course``, with another ``nbgrader_config.py`` (the course's: sources in solutions/)."""
    (course / "solutions" / ASSIGNMENT).mkdir(parents=True)
    (course / "nbgrader_config.py").write_text(config.read_text())
    nbformat.write(source_notebook(), course / "solutions" / ASSIGNMENT / f"{NOTEBOOK}.ipynb")
    return course


def released(course: Path, assignment: str = ASSIGNMENT) -> nbformat.NotebookNode:
    return nbformat.read(course / "release" / assignment / f"{NOTEBOOK}.ipynb", as_version=4)


def _cell(nb, grade_id: str):
    return next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)


def _answer(code: str, *extra_cells: str):
    """A notebook whose answer cell is ``code``, followed by the student's ``extra_cells``."""

    def build(nb):
        _cell(nb, "kl_answer").source = code
        position = nb.cells.index(_cell(nb, "kl_answer")) + 1
        for offset, source in enumerate(extra_cells):
            nb.cells.insert(position + offset, nbformat.v4.new_code_cell(source))
        return nb

    return build


def _edit(grade_id: str, source: str, answer: str):
    def build(nb):
        _cell(nb, "kl_answer").source = answer
        _cell(nb, grade_id).source = source
        return nb

    return build


def _delete(grade_id: str, answer: str):
    def build(nb):
        _cell(nb, "kl_answer").source = answer
        nb.cells.remove(_cell(nb, grade_id))
        return nb

    return build


def _duplicate(nb):
    _cell(nb, "kl_answer").source = CORRECT
    original = _cell(nb, "kl_answer")
    duplicate = copy.deepcopy(original)
    duplicate["id"] = "copy-of-" + original["id"]  # Jupyter gives a copied cell a new id, not new metadata
    nb.cells.insert(nb.cells.index(original), duplicate)
    return nb


def _written(nb):
    _cell(nb, "kl_answer").source = CORRECT
    _cell(nb, "explain").source = "Because q equals the prior."
    return nb


# Answers that show something in the test cell while the check runs, each ending in a failed check
# (issue 20): nbgrader grades the first result (``execute_result``) it meets before an error, as
# partial credit, or full credit if it is not a number. None of them may earn a point.
SHOWS = "import sys\nfrom IPython.display import display\n\ndef kl_divergence(mu, logvar):\n"
DISPLAYING = {
    "shows_result_then_raises": SHOWS + "    sys.displayhook('full marks')\n    raise NotImplementedError()",
    "shows_number_then_raises": SHOWS + "    get_ipython().displayhook(2)\n    raise NotImplementedError()",
    "prints_then_raises": SHOWS + "    print(2)\n    raise NotImplementedError()",
    "displays_then_raises": SHOWS + "    display(2)\n    raise NotImplementedError()",
    "shows_everything_then_raises": SHOWS
    + "    print('ok')\n    display(2)\n    sys.displayhook(1)\n    sys.displayhook('x')\n    raise NotImplementedError()",
    "shows_result_and_is_wrong": SHOWS + "    sys.displayhook('full marks')\n    return 1.0",
}
# The check fails, the cell goes on (its error swallowed by a handler that shows a result instead).
SWALLOW_AND_SHOW = (
    "def show_instead(shell, etype, value, tb, tb_offset=None):\n    sys.displayhook('full marks')\n\n"
    "get_ipython().set_custom_exc((AssertionError, NotImplementedError), show_instead)"
)

# name -> (how to build the notebook from the release, or a file writer for broken files)
SUBMISSIONS = {
    "correct": _answer(CORRECT),
    "wrong": _answer(WRONG),
    "means_only": _answer(MEANS_ONLY),
    "empty": lambda nb: nb,
    "written": _written,
    "infinite_loop": _answer("while True:\n    pass"),
    "ignores_interrupt": _answer("import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    pass"),
    "slow": _answer(CORRECT, *["import time\ntime.sleep(1.8)"] * 5),
    "os_exit": _answer("import os\nos._exit(1)"),
    "segfault": _answer("import ctypes\nctypes.string_at(0)"),
    # One allocation far beyond any --memory-mb: RLIMIT_AS refuses it at once (MemoryError), whatever the load.
    "memory_hog": _answer("block = bytearray(1024 ** 4)\n" + CORRECT),
    "output_flood": _answer(CORRECT, "while True:\n    print('x' * 1000)"),
    "deleted_test": _delete("test_kl_values", CORRECT),
    "duplicated_cells": _duplicate,
    "edited_test": _edit("test_kl_values", "assert True", WRONG),
    "edited_readonly": _edit("setup", "import math\nmath.exp = lambda x: 1.0", CORRECT),
    "reference_import": _answer("from vae_course import kl_divergence"),
    "helper_redefinition": _answer(CORRECT + "\n\ndef abs(x):\n    return 0.0"),
    "monkeypatch": _answer(
        CORRECT, "import math as m\nm.isclose = lambda *a, **k: True\nimport builtins\nbuiltins.abs = lambda x: 0.0"
    ),
    "grading_hook": _answer(WRONG, "get_ipython().set_custom_exc((Exception,), lambda *a, **k: None)"),
    "reads_outside": _answer(
        CORRECT, "try:\n    secret = open('../../../gradebook.db', 'rb').read()\nexcept OSError:\n    secret = None"
    ),
    "suppresses": _answer(
        CORRECT,
        "import io, sys, warnings\nsys.stderr = io.StringIO()\nwarnings.filterwarnings('ignore')\ntry:\n    1 / 0\nexcept Exception:\n    pass",
    ),
    # Runtime evidence only (no static flag for starting a program): the audit hook must record it.
    "starts_process": _answer(CORRECT, "import subprocess\nsubprocess.run(['true'])"),
    # A readable system file, opened by the cell through IPython's open: the hook must attribute it.
    "reads_system_file": _answer(CORRECT, "name = '/' + 'etc/hostname'\nsecret = open(name).read()"),
    # Harmless events until the hook's cap, then a read outside: the flood itself is the evidence.
    "floods_the_audit": _answer(
        CORRECT,
        "import os\nfor i in range(1100):\n    try:\n        os.listdir(f'/nonexistent/{i}')\n"
        "    except OSError:\n        pass\nname = '/' + 'etc/passwd'\nsecret = open(name).read()",
    ),
    "hardcoded": _answer(LOOKUP),
    **{name: _answer(LOOKUP, code) for name, code in TAMPERING.items()},
    **{name: _answer(code) for name, code in DISPLAYING.items()},
    "swallows_and_shows": _answer(DISPLAYING["shows_result_then_raises"], SWALLOW_AND_SHOW),
    # A correct answer that shows 0 while it runs: the judge passes it, so the 0 is not its grade.
    "correct_and_shows_zero": _answer(
        "import sys\n" + CORRECT.replace("    total = 0.0", "    sys.displayhook(0)\n    total = 0.0")
    ),
}
BROKEN_FILES = {
    "invalid_json": lambda folder: (folder / f"{NOTEBOOK}.ipynb").write_text('{"cells": [ not json'),
    "missing_notebook": lambda folder: (folder / "notes.txt").write_text("I forgot the notebook"),
    "renamed_notebook": None,  # the correct notebook, saved as "kl (1).ipynb"
}

# What each submission must get: (score out of MAX_SCORE, status codes it must have, flag codes it must have)
EXPECTED = {
    "correct": (5, ["ok"], []),
    "wrong": (2, ["ok"], []),
    "means_only": (2, ["ok"], []),
    "empty": (0, ["ok"], []),
    "written": (5, ["ok"], []),  # the written answer waits for a human
    "infinite_loop": (0, ["cell-timeout"], []),
    "ignores_interrupt": (0, ["cell-timeout"], ["grading-hook"]),
    "slow": (0, ["notebook-timeout"], []),
    "os_exit": (0, ["kernel-died"], []),
    "segfault": (0, ["kernel-died"], []),
    "memory_hog": (0, ["memory-limit"], []),
    "output_flood": (5, ["output-truncated", "cell-timeout"], []),
    "deleted_test": (5, ["deleted-cells"], []),
    "duplicated_cells": (5, ["duplicated-cells"], []),
    "edited_test": (2, ["restored-cells"], []),
    "edited_readonly": (5, ["restored-cells"], []),
    "reference_import": (0, ["ok"], ["reference-import"]),
    "helper_redefinition": (5, ["ok"], ["helper-redefinition"]),
    "monkeypatch": (5, ["ok"], ["monkeypatch"]),
    "grading_hook": (2, ["ok"], ["grading-hook"]),
    "reads_outside": (5, ["ok"], ["outside-file"]),
    "suppresses": (5, ["ok"], ["suppression"]),
    "starts_process": (5, ["ok"], ["subprocess"]),
    "reads_system_file": (5, ["ok"], ["outside-file"]),
    "floods_the_audit": (5, ["ok"], ["outside-file", "grading-hook"]),
    "hardcoded": (0, ["ok"], []),
    # The kernel passes every test cell; the judge fails them all (plain nbgrader would give 5).
    **{name: (0, ["ok"], ["verdict-overruled"]) for name in TAMPERING},
    # A failed check scores 0 whatever the cell showed before its error (plain nbgrader: up to 5).
    **{name: (0, ["ok"], []) for name in DISPLAYING},
    "swallows_and_shows": (0, ["ok"], ["grading-hook"]),
    "correct_and_shows_zero": (5, ["ok"], []),
    "invalid_json": (0, ["invalid-notebook"], []),
    "missing_notebook": (0, ["missing-notebook"], []),
    "renamed_notebook": (0, ["missing-notebook", "renamed-notebook"], []),
}


def submit(course: Path, student: str, build=None, assignment: str = ASSIGNMENT) -> Path:
    """Write ``submitted/<student>/<assignment>/``: the release changed by ``build``, or a broken file."""
    folder = course / "submitted" / student / assignment
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "timestamp.txt").write_text("2030-01-01 12:00:00.000000 UTC")
    if student in BROKEN_FILES:
        if BROKEN_FILES[student] is None:
            nbformat.write(_answer(CORRECT)(released(course)), folder / f"{NOTEBOOK} (1).ipynb")
        else:
            BROKEN_FILES[student](folder)
        return folder
    build = build or SUBMISSIONS[student]
    nbformat.write(build(released(course, assignment)), folder / f"{NOTEBOOK}.ipynb")
    return folder


def submit_torch_class(course: Path, size: int) -> list[str]:
    """``size`` submissions of the ``reparam`` assignment, cycling through ``TORCH_ANSWERS``."""
    students = [f"student{i:03d}" for i in range(size)]
    for i, student in enumerate(students):
        answer = TORCH_ANSWERS[i % len(TORCH_ANSWERS)]
        submit(course, student, (lambda nb: nb) if answer is None else _answer(answer), TORCH_ASSIGNMENT)
    return students


def submit_all(course: Path, students=None) -> list[str]:
    students = list(students or EXPECTED)
    for student in students:
        submit(course, student)
    return students


def grades_table(course: Path | str, assignment: str = ASSIGNMENT) -> list[tuple]:
    """Every grade and comment of a gradebook, sorted: what must match between two gradings.

    ``course`` is a course folder (its ``gradebook.db``) or a database URL (a PostgreSQL gradebook).
    """
    from nbgrader.api import Gradebook

    url = course if isinstance(course, str) and "://" in course else f"sqlite:///{Path(course) / 'gradebook.db'}"
    rows = []
    with Gradebook(url, "test") as gb:
        for submission in gb.assignment_submissions(assignment):
            for notebook in submission.notebooks:
                for grade in notebook.grades:
                    rows.append(
                        (
                            submission.student_id,
                            notebook.name,
                            grade.name,
                            grade.auto_score,
                            grade.manual_score,
                            grade.needs_manual_grade,
                        )
                    )
                for comment in notebook.comments:
                    rows.append((submission.student_id, notebook.name, comment.name, comment.auto_comment))
            rows.append((submission.student_id, "score", round(submission.score, 6), submission.max_score))
    return sorted(rows, key=json.dumps)


# Short limits for the tiny course's command line, and no PyTorch preloaded: it does not need it.
FAST = ["--timeout-cell", "3", "--timeout-notebook", "6", "--memory-mb", "2048", "--output-limit-mb", "1",
        "--preload", "", "--warmup", "", "--quiet"]  # fmt: skip


def grade(course: Path, *args: str) -> dict:
    """Run ``python -m classgrade autograde`` on the ``kl`` assignment in ``course``; return the report it wrote."""
    command = [sys.executable, "-m", "classgrade", "autograde", ASSIGNMENT, *FAST, *args]
    result = subprocess.run(command, cwd=course, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "student" in result.stdout and "score" in result.stdout  # the final table
    return json.loads((course / "reports" / "autograde" / ASSIGNMENT / "report.json").read_text())


def by_student(report: dict) -> dict[str, dict]:
    return {entry["student"]: entry for entry in report["submissions"]}
