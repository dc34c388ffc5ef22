"""classgrade: grade a whole class of nbgrader submissions in parallel, isolated kernels.

A general autograder for nbgrader courses. Nothing in it knows the course it grades: the course's
reference package, the helper module its hidden tests call, the paths kernels may read and the
modules workers preload come from the ``ClassGrade`` section of ``nbgrader_config.py``
(:mod:`classgrade.config`). Run it as ``python -m classgrade autograde ASSIGNMENT``.

Sub-packages, by the process they run in:

- :mod:`classgrade.coordinator`: the instructor's ``python -m classgrade`` process (command line,
  the grading loop, reports); it alone writes the gradebook;
- :mod:`classgrade.nbgrader`: nbgrader's side, in the coordinator (the converter that prepares and
  records submissions) and in ``nbgrader generate_feedback`` (the feedback preprocessor);
- :mod:`classgrade.execution`: the worker processes, the runner forked per notebook, and the
  kernel itself;
- :mod:`classgrade.sandbox`: the forked process that becomes a kernel, before it starts;
- :mod:`classgrade.integrity`: the coordinator's analysis of answers and runtime evidence.

Importing this package imports nothing else.
"""
