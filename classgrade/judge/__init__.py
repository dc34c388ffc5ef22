"""The trusted judge: decide each graded test cell outside the student's process.

Runs in the runner process (``classgrade.execution.runner``), after the kernel it forked is dead.

The kernel computes the student's answers on the grader's hidden inputs and appends them, as plain
data, to the answers file named by ``CLASSGRADE_ANSWERS`` (:mod:`.channel`). After the kernel is
dead, the runner (a grader process that student code never ran in) parses that file strictly and
asks the course's checks module for its verdict on each checks call of each test cell
(:mod:`.verdict`); a cell the kernel passed and the judge failed gets an error output with the
judge's message, so nbgrader's own grading gives it nothing. Nothing goes back into the kernel.
"""

from .channel import ANSWERS_ENV, ChannelError, read_records, write_record
from .verdict import judge_notebook

__all__ = ["ANSWERS_ENV", "ChannelError", "judge_notebook", "read_records", "write_record"]
