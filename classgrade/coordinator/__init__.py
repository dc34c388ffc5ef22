"""The coordinator: the instructor's ``python -m classgrade`` process.

It parses the command line (``cli``), owns the gradebook and runs the grading loop (``autograde``),
hands notebooks to the worker pool (:mod:`classgrade.execution.pool`) and writes the class report
(``report``). It is the only process that sees the gradebook and the hidden tests' sources.
"""
