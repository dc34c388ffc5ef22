"""The feedback preprocessor (``classgrade/nbgrader/feedback.py``): no hidden test in feedback."""

from __future__ import annotations

import nbformat

from classgrade.nbgrader.feedback import HideHiddenTests


def test_feedback_preprocessor_removes_hidden_code_and_its_traceback():
    cell = nbformat.v4.new_code_cell("assert ok\n### BEGIN HIDDEN TESTS\nsecret_check(answer)\n### END HIDDEN TESTS")
    cell.metadata["nbgrader"] = {"grade": True, "grade_id": "t", "points": 1, "solution": False, "locked": True}
    cell.execution_count = 4
    cell.outputs = [
        nbformat.v4.new_output(
            "error",
            ename="CheckFailure",
            evalue="wrong values",
            traceback=[
                "----",
                "Cell In[4], line 3\n----> 3 secret_check(answer)",  # the test cell: its context may be hidden code
                "Cell In[2], line 1, in answer\n----> 1 return 1 / 0",  # the student's cell
                "CheckFailure: wrong values",
            ],
        )
    ]
    notebook = nbformat.v4.new_notebook(cells=[cell])
    notebook, _ = HideHiddenTests().preprocess(notebook, {})
    shown = notebook.cells[0].source + "".join(notebook.cells[0].outputs[0].traceback)
    assert "secret_check" not in shown and "In[4]" not in shown
    assert "return 1 / 0" in shown and "wrong values" in shown


def _test_cell(source: str, outputs: list) -> nbformat.NotebookNode:
    cell = nbformat.v4.new_code_cell(source, execution_count=3, outputs=outputs)
    cell.metadata["nbgrader"] = {"grade": True, "grade_id": "t", "points": 1, "solution": False, "locked": True}
    return cell


def test_markers_count_only_in_the_cells_that_carry_hidden_tests():
    answer = nbformat.v4.new_code_cell("x = 1  # ### BEGIN HIDDEN TESTS, said the student")
    answer.metadata["nbgrader"] = {"grade": False, "grade_id": "a", "solution": True, "locked": False}
    added = nbformat.v4.new_code_cell("# ### END HIDDEN TESTS")  # a cell the student added
    notebook = nbformat.v4.new_notebook(cells=[answer, added, _test_cell("assert x == 1", [])])
    notebook, _ = HideHiddenTests().preprocess(notebook, {})  # nbgrader's ClearHiddenTests raises here
    assert [c.source for c in notebook.cells] == [answer.source, added.source, "assert x == 1"]


def test_no_output_channel_shows_hidden_test_code():
    secret = "secret_check(answer, part='values')"
    printed = nbformat.v4.new_output("stream", name="stdout", text=f"assert ok\n### BEGIN HIDDEN TESTS\n{secret}\n")
    shown = nbformat.v4.new_output("display_data", data={"text/plain": secret, "text/html": f"<pre>{secret}</pre>"})
    raised = nbformat.v4.new_output(
        "error", ename="ValueError", evalue=f"saved: {secret}", traceback=[f"ValueError: saved: {secret}"]
    )
    test = _test_cell(f"assert ok\n### BEGIN HIDDEN TESTS\n{secret}\n### END HIDDEN TESTS", [printed, shown, raised])
    later = nbformat.v4.new_code_cell(
        "print(SAVED)", outputs=[nbformat.v4.new_output("stream", name="stdout", text=secret)]
    )
    notebook, _ = HideHiddenTests().preprocess(nbformat.v4.new_notebook(cells=[test, later]), {})
    text = nbformat.writes(notebook)
    assert "secret_check" not in text
    assert "ValueError" in text and "print(SAVED)" in text


def test_generate_feedback_hides_tests_from_a_hostile_answer(tmp_path):
    """The course's configuration, nbgrader's own commands, an answer that prints every cell it runs."""
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    from autograde_support import course as support

    course = support.make_course_with_config(
        tmp_path / "course", Path(__file__).resolve().parents[2] / "nbgrader_config.py"
    )

    def nbgrader(*args: str) -> None:
        result = subprocess.run(
            [sys.executable, "-m", "nbgrader", *args],
            cwd=course,
            capture_output=True,
            text=True,
            env=dict(os.environ, JUPYTER_PLATFORM_DIRS="1"),
        )
        assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]

    nbgrader("generate_assignment", support.ASSIGNMENT)
    release = nbformat.read(course / "exercises" / support.ASSIGNMENT / f"{support.NOTEBOOK}.ipynb", as_version=4)
    hostile = support._answer(
        support.CORRECT + "\n# ### BEGIN HIDDEN TESTS (only a comment)",
        "get_ipython().events.register('pre_run_cell', lambda info: print(info.raw_cell))",
    )
    folder = course / "submitted" / "hostile" / support.ASSIGNMENT
    folder.mkdir(parents=True)
    nbformat.write(hostile(release), folder / f"{support.NOTEBOOK}.ipynb")
    nbgrader("autograde", support.ASSIGNMENT)
    graded = (course / "autograded" / "hostile" / support.ASSIGNMENT / f"{support.NOTEBOOK}.ipynb").read_text()
    hidden = "import kl_checks"  # a hidden test line
    assert json.dumps(hidden)[1:-1] in graded  # the callback did print the hidden test while grading
    nbgrader("generate_feedback", support.ASSIGNMENT)
    feedback = (course / "feedback" / "hostile" / support.ASSIGNMENT / f"{support.NOTEBOOK}.html").read_text()
    assert hidden not in feedback and "HIDDEN TESTS (only a comment)" in feedback


def test_encoded_copies_of_hidden_lines_are_scrubbed_too():
    """A student's cell that prints the kernel's input history base64- or hex-encoded (issue 20)."""
    import base64

    secret = "secret_check(answer, part='values')"
    test = _test_cell(f"assert ok\n### BEGIN HIDDEN TESTS\n{secret}\n### END HIDDEN TESTS", [])
    printed, cores = [], []
    for pad in range(3):  # the secret at every alignment of base64's 3-byte groups
        history = ("x" * pad + f"\n{secret}\nprint(1)\n").encode()
        start, end = history.index(secret.encode()), history.index(secret.encode()) + len(secret)
        for encode in (base64.b64encode, base64.urlsafe_b64encode):
            text = encode(history).decode()
            printed.append(text)
            cores.append(text[-(-start // 3) * 4 : end // 3 * 4])  # the characters only the secret's bytes decide
        printed += [history.hex(), history.hex().upper()]
        cores += [secret.encode().hex(), secret.encode().hex().upper()]
    later = nbformat.v4.new_code_cell(
        "print(encoded(In))", outputs=[nbformat.v4.new_output("stream", name="stdout", text="\n".join(printed))]
    )
    notebook, _ = HideHiddenTests().preprocess(nbformat.v4.new_notebook(cells=[test, later]), {})
    shown = notebook.cells[1].outputs[0].text
    assert not [core for core in cores if core in shown]
    assert shown.count("[hidden test]") == len(printed)
