"""The course's nbgrader settings, for any course folder: this repository's, or an instructor's own.

An instructor who installed ``pip install "vae-course[grading]"`` needs three lines in the course
folder's ``nbgrader_config.py`` (docs/instructor-guide.md)::

    from vae_course.course import configure_nbgrader
    c = get_config()
    configure_nbgrader(c)

This repository's own ``nbgrader_config.py`` calls it too, then points nbgrader at the class
language's folders (:func:`exercise_folders`). Nothing here runs at import time, and nothing imports
nbgrader until it is called.

The class's language (English or Indonesian) is one setting, ``VAE_COURSE_LANGUAGE``: the argument
``language=`` of :func:`configure_nbgrader`, or else the environment variable of that name. It chooses
which notebooks are released (``solutions-id/`` → ``exercises-id/`` in this repository, translated from
``solutions/`` by ``scripts/translate_exercises.py``), and every kernel and check that grading starts
inherits it, so the feedback is in that language too.
"""

from __future__ import annotations

import os

from .data import DATA_ENV_VAR, data_root
from .language import LANGUAGE_VARIABLE

CLASS_LANGUAGES = ("en", "id")  # English (the source) and Indonesian
WARNING_PATTERN = r"\w*Warning: "  # stderr lines that are warnings, not errors (nbgrader's IgnorePattern)
# nbgrader's Validate (the notebook's button, ``nbgrader validate``) fails a test cell that writes to
# stderr, and drops no warnings: IgnorePattern runs only when grading. A kernel started to validate
# (nbgrader sets NBGRADER_VALIDATING) therefore ignores warnings, so that Validate passes what grading
# gives full marks. Any other kernel runs this line to no effect.
IGNORE_WARNINGS_WHEN_VALIDATING = (
    "--IPKernelApp.exec_lines=__import__('warnings').simplefilter('ignore')"
    " if __import__('os').environ.get('NBGRADER_VALIDATING') else None"
)
CELL_TIMEOUT_S = 30  # nbgrader's default; every test cell of the course takes well under a second
# How a failed check names the mistake it recognised: the last line of its message (vae_course.checks.core's
# CheckFailure), "Hint [kl-sign]: ..." in English and "Petunjuk [kl-sign]: ..." in Indonesian.
HINT_PATTERN = r"^(?:Hint|Petunjuk) \[([a-z0-9-]+)\]: "
# The look of vae_course.plotting's figures as matplotlib rcParams (read at the width of a page, about 7
# inches; titles 12 pt, labels 11 pt, ticks and legends 10 pt; a light grid; saved as save_figure saves,
# 120 dpi cut to the drawing), for figures drawn outside the library: classgrade's class report.
PLOT_STYLE = {
    "figure.figsize": (7.0, 3.2),
    "axes.titlesize": 12,
    "axes.labelsize": 11,
    "xtick.labelsize": 10,
    "ytick.labelsize": 10,
    "legend.fontsize": 10,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "savefig.dpi": 120,
    "savefig.bbox": "tight",
}


def class_language(language: str | None = None) -> str:
    """The class's language: ``language`` if given, else ``$VAE_COURSE_LANGUAGE``, else English.

    Raises:
        ValueError: a language the exercises are not translated into.
    """
    code = language or os.environ.get(LANGUAGE_VARIABLE) or "en"
    if code not in CLASS_LANGUAGES:
        raise ValueError(f"{LANGUAGE_VARIABLE}={code!r}: the exercises exist in {CLASS_LANGUAGES} only")
    return code


def exercise_folders(language: str) -> tuple[str, str]:
    """This repository's nbgrader source and release folders for a class in ``language``.

    English: ``solutions/`` and ``exercises/``; Indonesian: ``solutions-id/`` and ``exercises-id/``,
    each ``<assignment>/<assignment>.ipynb`` with the same assignments, cells and hidden tests.
    """
    if class_language(language) == "en":
        return "solutions", "exercises"
    return f"solutions-{language}", f"exercises-{language}"


def configure_nbgrader(c, language: str | None = None) -> str:
    """Set the course's nbgrader and classgrade options on the traitlets config ``c``.

    Args:
        c: the ``get_config()`` object of an ``nbgrader_config.py``.
        language: the class's language, ``"en"`` or ``"id"``; default ``$VAE_COURSE_LANGUAGE``, else
            ``"en"``. The kernels that nbgrader and classgrade start, and the checks that write the
            feedback, get it as ``VAE_COURSE_LANGUAGE``.

    Returns:
        The class's language.
    """
    language = class_language(language)
    from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor
    from nbgrader.preprocessors import GetGrades

    from classgrade.environment import put_scripts_on_path
    from classgrade.nbgrader.feedback import HideHiddenTests

    # nbgrader runs the program ``alembic`` from PATH when it opens the gradebook: find this
    # environment's own, even when the environment is not activated (``.venv/bin/python -m nbgrader``).
    put_scripts_on_path()

    c.CourseDirectory.course_id = "vae-course"
    # Feedback must not show hidden tests: nbgrader's feedback is the autograded notebook, into which
    # autograding copied the hidden tests back. Remove them, and the tracebacks that would quote them.
    c.GenerateFeedback.preprocessors = [GetGrades, CSSHTMLHeaderPreprocessor, HideHiddenTests]
    # nbgrader gives zero to a test cell that writes anything to stderr. A warning that PyTorch (or
    # anything else) prints while correct code runs must not cost points: drop stderr outputs that
    # are warnings. (The checks themselves run student code with warnings and output silenced.)
    c.IgnorePattern.enabled = True
    c.IgnorePattern.pattern = WARNING_PATTERN
    c.Execute.timeout = CELL_TIMEOUT_S
    c.Execute.extra_arguments = [IGNORE_WARNINGS_WHEN_VALIDATING]  # and Validate passes what grading does

    # Grading works on small tensors, where threads only add overhead, and several notebooks may be
    # graded at once: one thread per kernel (kernels inherit this process's environment).
    for variable in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ.setdefault(variable, "1")
    # The feedback's language: nbgrader's kernels and classgrade's workers (its trusted judge) inherit
    # this process's environment; classgrade's kernels get a clean one, hence kernel_env below.
    os.environ[LANGUAGE_VARIABLE] = language

    # The class autograder (python -m classgrade autograde ASSIGNMENT): what it must know of the course.
    c.ClassGrade.reference_package = "vae_course"  # answers must not import what they are asked to write
    c.ClassGrade.checks_module = "vae_course.checks"  # the helpers hidden tests call: rebinding one is flagged
    c.ClassGrade.read_paths = [str(data_root())]  # kernels may read Fashion-MNIST (tests never need it)
    # The checks' messages and hints come from the kernels, the judge's verdicts from the grader: both
    # read VAE_COURSE_LANGUAGE (vae_course.language), set above.
    c.ClassGrade.kernel_env = {DATA_ENV_VAR: str(data_root()), LANGUAGE_VARIABLE: language}
    # Kernels may only read the data root: on a machine that never loaded Fashion-MNIST, the grader
    # unpacks it there once, before the kernels start (Debian's copy, else torchvision's download).
    c.ClassGrade.prepare = ["vae_course.data:ensure_fashion_mnist"]
    # imported once per worker, for every kernel (the trusted judge replays the checks in the runner)
    c.ClassGrade.preload = ["numpy", "torch", "matplotlib.pyplot", "vae_course.checks"]
    # The class report (python -m classgrade report): the checks' named mistakes, their texts, its language, its look.
    c.ClassGrade.hint_pattern = HINT_PATTERN
    c.ClassGrade.hint_text = "vae_course.course:hint_text"
    c.ClassGrade.language = language
    c.ClassGrade.plot_style = dict(PLOT_STYLE)
    return language


def hint_text(name: str, language: str) -> str:
    """The text of the named hint ``name`` in ``language`` (``"en"`` or ``"id"``), as the checks write it.

    classgrade's class report quotes it next to the number of students who got it
    (``c.ClassGrade.hint_text``). The checks pick their language from the environment
    (:mod:`vae_course.language`): it is set for the call, and restored.

    Raises:
        KeyError: no hint has that name.
    """
    from .checks.hints import hint

    saved = os.environ.get(LANGUAGE_VARIABLE)
    os.environ[LANGUAGE_VARIABLE] = language
    try:
        return hint(name)
    finally:
        if saved is None:
            del os.environ[LANGUAGE_VARIABLE]
        else:
            os.environ[LANGUAGE_VARIABLE] = saved
