"""What each test cell of an executed notebook says: passed, or failed with which error and named mistakes.

A course's checks name the mistakes they recognise in their failure messages (``Hint [kl-sign]:
...``); ``ClassGrade.hint_pattern`` finds the names. The coordinator records :func:`test_cells` of
every notebook it grades in the run report (per notebook, under ``cells``); the class report
computes the same from the autograded notebook where no run report has it (plain nbgrader).
"""

from __future__ import annotations

import re

# The errors classgrade writes into a test cell that it could not run (classgrade.execution.runner,
# classgrade.coordinator.autograde): the cell was never decided by the student's code.
NOT_RUN = frozenset({"NotExecuted", "DeadKernelError", "GraderError"})


def is_test_cell(cell: dict) -> bool:
    """An autograded test cell: a graded code cell that is not an answer."""
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return cell.get("cell_type") == "code" and bool(meta.get("grade")) and not meta.get("solution")


def hint_names(message: str, pattern: re.Pattern | None) -> list[str]:
    """The distinct mistake names ``pattern`` finds in ``message`` (its first group), in order."""
    if pattern is None:
        return []
    names = [match.group(1) if match.groups() else match.group(0) for match in pattern.finditer(message)]
    return list(dict.fromkeys(name for name in names if name))


def compile_pattern(hint_pattern: str) -> re.Pattern | None:
    """``ClassGrade.hint_pattern`` compiled (multiline: it may anchor at the start of a line); None if empty."""
    return re.compile(hint_pattern, re.MULTILINE) if hint_pattern else None


def test_cells(nb: dict, pattern: re.Pattern | None) -> dict[str, dict]:
    """``grade_id -> {"error": name of its first error or None, "hints": [names]}`` for each test cell.

    Args:
        nb: an executed notebook (a dict, or nbformat's node).
        pattern: from :func:`compile_pattern`.
    """
    cells = {}
    for cell in nb.get("cells", []):
        if not is_test_cell(cell):
            continue
        error = next((o for o in cell.get("outputs", []) if o.get("output_type") == "error"), None)
        grade_id = cell["metadata"]["nbgrader"].get("grade_id")
        cells[str(grade_id)] = {
            "error": str(error.get("ename", "")) if error else None,
            "hints": hint_names(str(error.get("evalue", "")), pattern) if error else [],
        }
    return cells
