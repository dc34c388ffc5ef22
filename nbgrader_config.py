"""nbgrader configuration: the repository is the course directory.

Instructor sources (with solutions and hidden tests) live in ``solutions/``; the student versions,
generated with ``nbgrader generate_assignment <assignment>``, in ``exercises/``. An Indonesian class
(``VAE_COURSE_LANGUAGE=id``, or ``configure_nbgrader(c, language="id")`` below) uses the translated
sources in ``solutions-id/`` and releases to ``exercises-id/``: same assignments, cells and hidden
tests, instructions and feedback in Indonesian. Submissions, autograded notebooks, feedback and
``gradebook.db`` are created next to them and are git-ignored. No exchange is needed: see
docs/instructor-guide.md for collecting submissions by hand or with ``zip_collect``. The course's own
settings (feedback without hidden tests, warnings that cost no points, the class's language, and the
``ClassGrade`` section for the class autograder ``python -m classgrade``) are in
``vae_course/course.py``, which an instructor's own course folder uses too.
"""

from pathlib import Path

from vae_course.course import configure_nbgrader, exercise_folders

c = get_config()  # noqa: F821 (defined by traitlets when it runs this file)
language = configure_nbgrader(c)  # the class's language: $VAE_COURSE_LANGUAGE, else English

c.CourseDirectory.root = str(Path(__file__).resolve().parent)
c.CourseDirectory.source_directory, c.CourseDirectory.release_directory = exercise_folders(language)
