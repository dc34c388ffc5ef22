"""The class report: what a class got right and wrong, for the instructor, from the gradebook.

``python -m classgrade report [ASSIGNMENT...]`` runs in the instructor's process, like ``autograde``,
and only reads: nbgrader's gradebook (SQLite or a database server), the run reports that
``autograde`` wrote (``reports/autograde/``) and, for an assignment graded by plain ``nbgrader
autograde``, its autograded notebooks. It writes one folder, ``reports/class/`` by default:

- ``tables/*.csv``: every number of the report, computed first (:mod:`.tables`, from :mod:`.sources`);
- ``figures/*.png``: drawn from those tables alone (:mod:`.figures`), each with its alt text;
- ``index.html``: one page, figures embedded, readable offline (:mod:`.page`), in English or
  Indonesian (:mod:`.words`).

:mod:`.outcomes` is shared with grading: the coordinator stores each test cell's outcome (its error,
the named mistakes its message gives) in the run report, and the report reads the same from a
notebook graded without classgrade.
"""
