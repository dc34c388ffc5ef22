"""nbgrader configuration: the repository is the course directory.

Instructor sources (with solutions and hidden tests) live in ``solutions/``; the student versions,
generated with ``nbgrader generate_assignment <assignment>``, in ``exercises/``. Submissions,
autograded notebooks, feedback and ``gradebook.db`` are created next to them and are git-ignored.
No exchange is needed: see docs/instructor-guide.md for collecting submissions by hand or with
``zip_collect``.
"""

import os
from pathlib import Path

from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor
from nbgrader.preprocessors import GetGrades

from vae_course.grading.checks_feedback import HideHiddenTests

c = get_config()  # noqa: F821 (defined by traitlets when it runs this file)

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
