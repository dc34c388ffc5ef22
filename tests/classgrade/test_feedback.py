"""The feedback preprocessor (``classgrade/nbgrader/feedback.py``): no hidden test in feedback."""

from __future__ import annotations

import nbformat

from classgrade.nbgrader.feedback import HideHiddenTests


def test_feedback_preprocessor_removes_hidden_code_and_its_traceback():
    cell = nbformat.v4.new_code_cell("assert ok\n### BEGIN HIDDEN TESTS\nsecret_check(answer)\n### END HIDDEN TESTS")
    cell.metadata["nbgrader"] = {"grade": True, "grade_id": "t", "points": 1, "solution": False, "locked": True}
    cell.execution_count = 4
    cell.outputs = [nbformat.v4.new_output(
        "error", ename="CheckFailure", evalue="wrong values",
        traceback=[
            "----",
            "Cell In[4], line 3\n----> 3 secret_check(answer)",  # the test cell: its context may be hidden code
            "Cell In[2], line 1, in answer\n----> 1 return 1 / 0",  # the student's cell
            "CheckFailure: wrong values",
        ],
    )]
    notebook = nbformat.v4.new_notebook(cells=[cell])
    notebook, _ = HideHiddenTests().preprocess(notebook, {})
    shown = notebook.cells[0].source + "".join(notebook.cells[0].outputs[0].traceback)
    assert "secret_check" not in shown and "In[4]" not in shown
    assert "return 1 / 0" in shown and "wrong values" in shown
