"""The judge's channel and verdicts, in this process (no kernel): strict parsing, cells, verdicts."""

from __future__ import annotations

import os
import sys
import types

import nbformat
import numpy as np
import pytest
from autograde_support import kl_checks

from classgrade.judge import ChannelError, read_records, write_record
from classgrade.judge.channel import read_bytes
from classgrade.judge.verdict import TEXTS, checks_calls, judge_notebook


def test_records_round_trip_arrays_and_json(tmp_path):
    path = str(tmp_path / "answers")
    arrays = [np.arange(6, dtype=np.float32).reshape(2, 3), np.array(True), np.zeros((0, 4), np.int64)]
    write_record(path, ("kl", "values", 0), {"tensor": 0, "requires_grad": True}, arrays)
    write_record(path, ("kl", "values", 1), {"number": float("nan")})
    answers = read_records(read_bytes(path))
    value, got = answers[("kl", "values", 0)]
    assert value == {"tensor": 0, "requires_grad": True}
    assert all(np.array_equal(g, a) and g.dtype == a.dtype for g, a in zip(got, arrays))
    assert np.isnan(answers[("kl", "values", 1)][0]["number"])


@pytest.mark.parametrize(
    "data",
    [
        b"\x80\x04\x95pickle",
        b"CGA1\x00\x00\x00\x05{bad}",
        b"CGA1\x00\x00\x00\x02{}",
        b'CGA1\x00\x00\x00\x2d{"key": ["kl", "v", 0], "arrays": [["object", []]]}',
        b'CGA1\x00\x00\x00\x30{"key": ["kl", "v", 0], "arrays": [["float64", [4]]]}' + b"\x00" * 8,
    ],
)
def test_anything_but_well_formed_records_is_rejected(data):
    with pytest.raises(ChannelError):
        read_records(data)


def test_a_key_written_twice_is_rejected(tmp_path):
    path = str(tmp_path / "answers")
    write_record(path, ("kl", "zero", 0), {"number": 0.0})
    write_record(path, ("kl", "zero", 0), {"number": 0.0})
    with pytest.raises(ChannelError, match="twice"):
        read_records(read_bytes(path))


def test_links_and_fifos_are_not_followed(tmp_path):
    (tmp_path / "secret").write_bytes(b"x")
    os.symlink(tmp_path / "secret", tmp_path / "link")
    os.mkfifo(tmp_path / "fifo")
    for name in ("link", "fifo"):
        with pytest.raises(ChannelError):
            read_bytes(str(tmp_path / name))
    assert read_bytes(str(tmp_path / "missing")) == b""


def test_checks_calls_come_from_the_cell_source_in_order():
    source = 'from m import checks\nchecks.check_a(f, part="values")\ncheck_b(g, "shapes")\nprint(1)\ncheck_a(f)'
    assert checks_calls(source, {"check_a", "check_b"}) == [
        ("check_a", "values"),
        ("check_b", "shapes"),
        ("check_a", None),
    ]
    assert checks_calls("check_a(f, part=p)", {"check_a"}) is None


def _notebook(kernel_error: bool) -> nbformat.NotebookNode:
    cell = nbformat.v4.new_code_cell('import kl_checks\nkl_checks.check_kl(kl_divergence, part="zero")')
    cell.metadata["nbgrader"] = {"grade": True, "solution": False, "grade_id": "test_zero", "points": 2}
    if kernel_error:
        cell.outputs = [nbformat.v4.new_output("error", ename="AssertionError", evalue="mine", traceback=[])]
    return nbformat.v4.new_notebook(cells=[cell])


@pytest.mark.parametrize("answer, passes", [(0.0, True), (1.0, False), (None, False)])
def test_the_judge_decides_a_cell_the_kernel_passed(tmp_path, monkeypatch, answer, passes):
    path = tmp_path / "answers"
    monkeypatch.setenv("CLASSGRADE_ANSWERS", str(path))
    for case in range(3 if answer is not None else 0):  # what the kernel's check_kl writes
        kl_checks._record("zero", case, answer)
    nb = _notebook(kernel_error=False)
    data = read_bytes(str(path))
    overruled = judge_notebook(nb, {0: (0, len(data))}, data, "autograde_support.kl_checks")
    assert (overruled == []) == passes
    assert any(o.output_type == "error" for o in nb.cells[0].outputs) != passes


def test_the_judge_never_turns_a_failure_into_a_pass():
    nb = _notebook(kernel_error=True)
    assert judge_notebook(nb, {0: (0, 0)}, b"", "autograde_support.kl_checks") == []
    assert nb.cells[0].outputs[0].evalue == "mine"


def test_answers_outside_the_cell_do_not_count(tmp_path):
    path = str(tmp_path / "answers")
    for case in range(3):  # written by another cell (the student's own)
        write_record(path, ("kl", "zero", case), {"number": 0.0})
    data = read_bytes(path)
    nb = _notebook(kernel_error=False)
    assert judge_notebook(nb, {0: (len(data), len(data))}, data, "autograde_support.kl_checks")


# --- the judge owns the score of every test cell that calls a check, whatever the cell showed

RESULT = nbformat.v4.new_output("execute_result", data={"text/plain": "'full marks'"}, execution_count=1)
NUMBER = nbformat.v4.new_output("execute_result", data={"text/plain": "2"}, execution_count=1)
ZERO = nbformat.v4.new_output("execute_result", data={"text/plain": "0"}, execution_count=1)
DISPLAY = nbformat.v4.new_output("display_data", data={"text/plain": "2"})
PRINTED = nbformat.v4.new_output("stream", name="stdout", text="2\n")
STDERR = nbformat.v4.new_output("stream", name="stderr", text="a warning\n")
ERROR = nbformat.v4.new_output("error", ename="CheckFailure", evalue="not written yet", traceback=[])


def _graded(outputs: list, answer: float | None, source: str | None = None) -> float:
    """nbgrader's grade of a test cell with ``outputs`` after judging, the kernel having answered ``answer``."""
    from nbgrader.utils import determine_grade

    nb = _notebook(kernel_error=False)
    if source is not None:
        nb.cells[0].source = source
    nb.cells[0].outputs = [nbformat.from_dict(dict(o)) for o in outputs]
    data = b""
    for case in range(3 if answer is not None else 0):
        data += _record_bytes(case, answer)
    judge_notebook(nb, {0: (0, len(data))}, data, "autograde_support.kl_checks")
    return determine_grade(nb.cells[0])[0]


def _record_bytes(case: int, answer: float) -> bytes:
    import json
    import struct

    header = json.dumps({"key": ["kl", "zero", case], "value": {"number": answer}, "arrays": []}).encode()
    return b"CGA1" + struct.pack(">I", len(header)) + header


@pytest.mark.parametrize(
    "outputs",
    [
        [RESULT, ERROR],  # a stub that shows a result, then raises
        [NUMBER, ERROR],  # ... a number: partial credit for nbgrader
        [PRINTED, ERROR],
        [DISPLAY, ERROR],
        [PRINTED, DISPLAY, NUMBER, RESULT, ERROR],  # everything, in any order
        [ERROR, RESULT],
        [STDERR, RESULT],
        [RESULT, STDERR, NUMBER],
    ],
    ids=["result", "number", "printed", "displayed", "everything", "after", "stderr", "stderr-between"],
)
def test_a_failed_test_cell_scores_nothing_whatever_it_showed(outputs):
    assert _graded(outputs, answer=0.0) == 0  # even with answers the judge would pass


@pytest.mark.parametrize("outputs", [[RESULT], [NUMBER], [PRINTED, NUMBER], [DISPLAY, RESULT]])
def test_a_check_the_judge_fails_scores_nothing_whatever_the_kernel_showed(outputs):
    """The check raised and the cell went on (a handler swallowed it), or the kernel lied: the judge decides."""
    assert _graded(outputs, answer=1.0) == 0
    assert _graded(outputs, answer=None) == 0  # the check never answered


@pytest.mark.parametrize("outputs", [[ZERO], [PRINTED, NUMBER], [DISPLAY]])
def test_a_check_the_judge_passes_scores_full_marks_whatever_the_kernel_showed(outputs):
    assert _graded(outputs, answer=0.0) == 2


def test_a_test_cell_without_checks_keeps_nbgraders_partial_credit():
    source = "1.5  # plain nbgrader partial credit: the cell's value"
    assert _graded([nbformat.v4.new_output("execute_result", data={"text/plain": "1.5"})], None, source) == 1.5
    assert _graded([NUMBER, ERROR], None, source) == 0  # but not once it failed


def _course(monkeypatch, verdict_texts) -> str:
    """A checks module like ``kl_checks`` whose ``verdict_texts()`` translates the judge's verdicts."""
    module = types.ModuleType("translated_kl_checks")
    module.check_kl, module.judge, module.verdict_texts = kl_checks.check_kl, kl_checks.judge, verdict_texts
    monkeypatch.setitem(sys.modules, module.__name__, module)
    return module.__name__


def test_a_course_can_translate_the_judges_own_verdicts(monkeypatch):
    texts = {"unreadable": "Jawaban sel ini tidak terbaca: {error}.", "not-run": "sel ini tidak berjalan"}
    nb = _notebook(kernel_error=False)
    (overruled,) = judge_notebook(nb, {}, b"", _course(monkeypatch, lambda: texts))
    assert overruled["message"] == "Jawaban sel ini tidak terbaca: sel ini tidak berjalan."
    assert nb.cells[0].outputs[0].evalue == overruled["message"]


@pytest.mark.parametrize("texts", [lambda: {"unreadable": "{answers}"}, lambda: 1 / 0, lambda: ["unreadable"]])
def test_a_broken_translation_leaves_the_english_verdict(monkeypatch, texts):
    (overruled,) = judge_notebook(_notebook(kernel_error=False), {}, b"", _course(monkeypatch, texts))
    assert overruled["message"] == TEXTS["unreadable"].format(error=TEXTS["not-run"])
