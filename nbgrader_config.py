"""nbgrader configuration: the repository is the course directory.

Instructor sources (with solutions and hidden tests) live in ``solutions/``; the student versions,
generated with ``nbgrader generate_assignment <assignment>``, in ``exercises/``. Submissions,
autograded notebooks, feedback and ``gradebook.db`` are created next to them and are git-ignored.
No exchange is needed: see docs/instructor-guide.md for collecting submissions by hand or with
``zip_collect``. The ``ClassGrade`` section configures the class autograder, ``python -m classgrade``
(docs/autograding.md), for this course.
"""

import os
from pathlib import Path

from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor
from nbgrader.preprocessors import GetGrades

from classgrade.environment import put_scripts_on_path
from classgrade.nbgrader.feedback import HideHiddenTests
from vae_course.data import DATA_ENV_VAR, data_root

c = get_config()  # noqa: F821 (defined by traitlets when it runs this file)

# nbgrader runs the program ``alembic`` from PATH when it opens the gradebook: find this
# environment's own, even when the environment is not activated (``.venv/bin/python -m nbgrader``).
put_scripts_on_path()

c.CourseDirectory.root = str(Path(__file__).resolve().parent)
c.CourseDirectory.course_id = "vae-course"
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "exercises"

# Feedback must not show hidden tests: nbgrader's feedback is the autograded notebook, into which
# autograding copied the hidden tests back. Remove them, and the tracebacks that would quote them.
c.GenerateFeedback.preprocessors = [GetGrades, CSSHTMLHeaderPreprocessor, HideHiddenTests]

# nbgrader gives zero to a test cell that writes anything to stderr. A warning that PyTorch (or
# anything else) prints while correct code runs must not cost points: drop stderr outputs that are
# warnings. (The checks themselves run student code with warnings and output silenced.)
c.IgnorePattern.enabled = True
c.IgnorePattern.pattern = r"\w*Warning: "

# Each cell has nbgrader's default 30 s; every test cell of the course takes well under a second.
c.Execute.timeout = 30

# Grading works on small tensors, where threads only add overhead, and several notebooks may be
# graded at once: one thread per kernel (kernels inherit this process's environment).
for variable in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ.setdefault(variable, "1")

# The class autograder (python -m classgrade autograde ASSIGNMENT): what it must know of this course.
c.ClassGrade.reference_package = "vae_course"  # answers must not import what they are asked to write
c.ClassGrade.checks_module = "vae_course.checks"  # the helpers hidden tests call: rebinding one is flagged
c.ClassGrade.read_paths = [str(data_root())]  # kernels may read Fashion-MNIST (tests never need it)
c.ClassGrade.kernel_env = {DATA_ENV_VAR: str(data_root())}
c.ClassGrade.preload = ["numpy", "torch", "matplotlib.pyplot", "vae_course.checks"]  # once per worker (the judge needs the checks)
