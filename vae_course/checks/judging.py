"""The checks' side of the grader's trusted judge: record answers in the kernel, replay them outside.

In the student's kernel, every call of the student's code (:meth:`.core.Student.run`) and every
gradient of its output (:func:`.core.gradients`) is appended to the answers file, keyed by
(exercise, part, call number), when the grader named one (:mod:`.channel`). The check still
compares in the kernel and raises its hint, which is what plain nbgrader grades and what students
see while they work.

In the grader's judge, a process the student's code never ran in, :func:`judge` runs the very same
check with the student's code replaced by those answers: the hidden inputs come from the same seeds,
the references, tolerances and hints are the check's own, and only what the student's code
returned is taken from the kernel. A model crosses as its parameters' names and shapes, its
outputs on the hidden inputs (computed with the reference's weights, which the check loads into
it) and the gradients of a loss with respect to its weights.

Who computed those answers, only the kernel saw, and its delegation guards run in the student's
process. Given the notebook's source, the judge reads it too (:mod:`.provenance`): delegation it
shows fails the check, and code that changes the grading machinery in the kernel fails every check.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

from ..language import t
from . import channel

_state: dict = {"key": None, "call": 0, "answers": None, "outputs": [], "code": None, "kernel_judged": False}

# What the judge tells a student whose answers it cannot use: every sentence of the judge's own, here,
# as (English, Indonesian); :func:`text` gives the class's language.
TEXTS = {
    "no_answer": (
        "The grader found no answer from your code for a hidden input: the check did not "
        "run to this point in your notebook's kernel.",
        "Penilai tidak menemukan jawaban kode Anda untuk salah satu input tersembunyi: pemeriksaan "
        "tidak berjalan sampai titik ini di kernel notebook Anda.",
    ),
    "unreadable": (
        "The grader could not read an answer of your code: {error}.",
        "Penilai tidak dapat membaca salah satu jawaban kode Anda: {error}.",
    ),
    "tampering": (
        "The grader cannot trust what your notebook's kernel computed, because {evidence}. "
        "Checks run in your kernel; code that changes them scores zero.",
        "Penilai tidak dapat memercayai apa yang dihitung kernel notebook Anda, karena {evidence}. "
        "Pemeriksaan berjalan di kernel Anda; kode yang mengubahnya mendapat skor nol.",
    ),
}


def text(key: str) -> str:
    """The judge's sentence ``key`` of :data:`TEXTS` in the class's language (a ``str.format`` template)."""
    return t(*TEXTS[key])


# Checks that watch the student's code while it runs (assignment 7's training loop: spy models and
# optimizers record modes, gradients and calls) rather than compare what it returns: there is no
# answer to replay, so the judge leaves them to the kernel (docs/autograding.md says so).
KERNEL_JUDGED = frozenset({"check_train_step", "check_train", "check_evaluate"})


@contextlib.contextmanager
def part_scope(exercise: str, part: str) -> Iterator[None]:
    """Number the student calls of one part of a check from 0 (``run_parts`` enters it)."""
    saved = _state["key"], _state["call"], _state["outputs"]
    _state.update(key=(exercise, part), call=0, outputs=[])
    try:
        yield
    finally:
        _state["key"], _state["call"], _state["outputs"] = saved


def replaying() -> bool:
    """True inside :func:`judge`: the student's code does not run, its answers are replayed."""
    return _state["answers"] is not None


def is_student_output(value) -> bool:
    """``value`` is a tensor the student's code returned (or its replay) in this part."""
    return any(value is output for output in _state["outputs"])


def _next_key() -> tuple[str, str, int] | None:
    if _state["key"] is None:
        return None
    key = (*_state["key"], _state["call"])
    _state["call"] += 1
    return key


def record(value) -> None:
    """In the kernel: append what the student's code returned."""
    _state["outputs"] += _tensors(value)
    arrays: list = []
    _write(lambda: channel.encode(value, arrays), arrays)


def record_failure(failure) -> None:
    """In the kernel: the student's code failed the check (an exception, delegation...)."""
    error = getattr(failure, "error", None)
    _write(
        lambda: {"failure": failure.message, "hint": failure.hint, "error": type(error).__name__ if error else None}, []
    )


def _write(describe: Callable[[], object], arrays: list) -> None:
    key, path = _next_key(), channel.answers_path()
    if key is None or path is None:  # outside a part, or not graded by classgrade
        return
    try:
        channel.write(path, key, describe(), arrays)
    except Exception:  # noqa: BLE001, S110 (the file went away, a strange value: the judge will miss this answer)
        pass


def replay():
    """In the judge: what the student's code returned at this call, or the failure it raised."""
    from .core import CheckFailure, StudentError

    key = _next_key()
    answer = _state["answers"].get(key)
    if answer is None:
        raise CheckFailure(text("no_answer"))
    value, arrays = answer
    if isinstance(value, dict) and "failure" in value:
        message, hint = str(value.get("failure")), value.get("hint")
        hint = hint if isinstance(hint, str) and hint in _hints() else None
        if value.get("error"):
            raise StudentError(message, _builtin_error(str(value["error"]))(message), hint)
        raise CheckFailure(message, hint)
    tensors: list = []
    try:
        decoded = channel.decode(value, arrays, tensors)
    except (ValueError, KeyError, IndexError, TypeError) as error:
        raise CheckFailure(text("unreadable").format(error=error)) from None
    _state["outputs"] += tensors
    return decoded


def answer(compute: Callable[[], object]):
    """``compute()`` of the student's output, an answer: recorded in the kernel, replayed in the judge."""
    if replaying():
        return replay()
    value = compute()
    record(value)
    return value


class LeaveToKernel(Exception):
    """Raised in the judge by a check it cannot replay, once what it can judge (the source) passed."""


def judge(check: str, part: str | None, answers: dict, code: list[str] | None = None) -> tuple[bool, str] | None:
    """The grader's verdict on ``check(answer, part=part)`` from the kernel's ``answers``.

    Args:
        check: the name of a check of this module, as the hidden test cell calls it.
        part: its ``part`` argument.
        answers: (exercise, part, call) -> (JSON value, arrays), read by the grader from the kernel.
        code: the sources of the code cells above the test cell (the setup, the answers, the cells
            the student added; not the tests), if the grader gives them: a check then also fails on
            delegation read from them, and every check fails when they change the grading machinery
            in the kernel (:mod:`.provenance`).

    Returns:
        (passed, message), or None for a check this function leaves to the kernel.
    """
    from vae_course import checks

    from . import __all__ as public
    from . import core, provenance

    if check not in public or not check.startswith("check_"):
        return None
    evidence = _read(provenance.tampering, code) if code is not None else None
    if evidence:
        return False, text("tampering").format(evidence=evidence)

    def answer(*args, **kwargs):  # never called: Student.run replays instead
        raise AssertionError("replayed")

    _state.update(answers=dict(answers), outputs=[], code=code, kernel_judged=check in KERNEL_JUDGED)
    try:
        getattr(checks, check)(answer, part=part)
    except LeaveToKernel:
        return None
    except core.CheckFailure as failure:
        return False, str(failure)
    finally:
        _state.update(answers=None, outputs=[], code=None, kernel_judged=False)
    return (True, "") if check not in KERNEL_JUDGED else None


def judge_source(name: str, references: tuple) -> str | None:
    """In the judge, when a check takes the student's answer: its delegation read from the source.

    Raises:
        LeaveToKernel: for a check the judge cannot replay (:data:`KERNEL_JUDGED`), once the source passed.
    """
    from . import provenance

    code = _state["code"]
    used = _read(provenance.delegation, code, name, references) if code is not None else None
    if used is None and _state["kernel_judged"]:
        raise LeaveToKernel
    return used


def _read(reader: Callable, *args) -> str | None:
    """What ``reader`` finds in the notebook's code; nothing if it trips over code it cannot follow
    (a bug there must not cost an honest student points: the kernel's own guards still ran)."""
    try:
        return reader(*args)
    except Exception:  # noqa: BLE001
        return None


def verdict_texts() -> dict[str, str]:
    """The grader's own verdicts in the course's language (classgrade's judge asks at each judging).

    Keys and ``{fields}`` are those of ``classgrade.judge.verdict.TEXTS``, whose English
    texts these repeat (``tests/test_checks_judging.py`` keeps the two alike).
    """
    unreadable = t(
        "The grader could not read the answers this cell computed: {error}.",
        "Penilai tidak dapat membaca jawaban yang dihitung sel ini: {error}.",
    )
    not_run = t("the cell did not run", "sel ini tidak berjalan")
    judge_failed = t(
        "The grader could not judge {check} ({part}): {error}",
        "Penilai tidak dapat menilai {check} ({part}): {error}",
    )
    return {"unreadable": unreadable, "not-run": not_run, "judge-failed": judge_failed}


def _tensors(value) -> list:
    import torch

    if isinstance(value, torch.Tensor):
        return [value]
    if isinstance(value, (tuple, list)):
        return [t for v in value for t in _tensors(v)]
    return []


def _hints() -> dict:
    from .hints import HINTS

    return HINTS


def _builtin_error(name: str) -> type:
    import builtins

    error = getattr(builtins, name, None)
    return error if isinstance(error, type) and issubclass(error, Exception) else Exception
