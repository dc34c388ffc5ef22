"""The judge's verdict on each test cell, decided in the runner after the kernel is dead.

Which checks a test cell runs comes from its source, which nbgrader restored from the gradebook
(the student cannot change it): every call of a public function of the course's checks module,
``checks.check_x(answer, part="values")`` or ``check_x(answer, part="values")``. The module's
``judge(check, part, answers) -> (passed, message) | None`` recomputes the reference on the same
hidden inputs and compares them with the answers the kernel wrote while that cell ran (``None``:
the module does not judge that check, and the kernel's result stands).

The judge's own verdicts (answers it could not read, a check it could not judge) are
:data:`TEXTS`; a course whose students read another language gives its checks module a
function ``verdict_texts() -> {key: template}``, called at each judging, whose templates replace
those of the same key (with the same ``{fields}``). A failing or malformed one leaves the English.
"""

from __future__ import annotations

import ast
import importlib

import nbformat

from .channel import ChannelError, read_records

ENAME = "CheckFailure"
TEXTS = {  # key -> template (str.format); the course's verdict_texts() may translate them
    "unreadable": "The grader could not read the answers this cell computed: {error}.",
    "not-run": "the cell did not run",
    "judge-failed": "The grader could not judge {check} ({part}): {error}",
}


def checks_calls(source: str, names: set[str]) -> list[tuple[str, str | None]] | None:
    """(check, part) of each call of ``names`` in ``source``, in order; None if a part is not a literal."""
    from ..integrity import parse_cell

    tree = parse_cell(source)
    calls = []
    for node in ast.walk(tree) if tree else ():
        if not isinstance(node, ast.Call):
            continue
        name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", None)
        if name not in names:
            continue
        part = next((k.value for k in node.keywords if k.arg == "part"), node.args[1] if len(node.args) > 1 else None)
        if part is not None and not (isinstance(part, ast.Constant) and isinstance(part.value, (str, type(None)))):
            return None
        calls.append((name, part.value if part is not None else None, node.lineno, node.col_offset))
    return [(name, part) for name, part, *_ in sorted(calls, key=lambda c: c[2:])]


def judge_notebook(nb, spans: dict[int, tuple[int, int]], data: bytes | ChannelError, checks_module: str) -> list[dict]:
    """Judge every test cell of ``nb`` that the kernel passed; fail those the judge fails.

    Args:
        nb: the executed notebook (changed in place).
        spans: cell index -> the bytes of the answers file written while that cell ran.
        data: the answers file's content, or why it could not be read.
        checks_module: the course's checks module (``ClassGrade.checks_module``).

    Returns:
        One ``{"cell": grade_id, "message": ...}`` per cell the judge overruled.
    """
    if not checks_module:
        return []
    module = importlib.import_module(checks_module)
    judge = getattr(module, "judge", None)
    if judge is None:  # the course does not judge outside the kernel
        return []
    hooks = ("judge", "verdict_texts")
    names = {n for n in dir(module) if not n.startswith("_") and n not in hooks and callable(getattr(module, n))}
    texts = verdict_texts(module)
    overruled = []
    for index, cell in enumerate(nb.cells):
        if not _carries_tests(cell) or any(o.output_type == "error" for o in cell.outputs):
            continue  # not a test cell, or the kernel already failed it: a student cannot gain by failing
        calls = checks_calls(cell.source, names)
        if not calls:
            continue
        message = _verdict(judge, calls, spans.get(index), data, texts)
        if message is not None:
            grade_id = cell.metadata["nbgrader"].get("grade_id", str(index))
            cell.outputs = [
                nbformat.v4.new_output("error", ename=ENAME, evalue=message, traceback=[f"{ENAME}: {message}"])
            ]
            overruled.append({"cell": grade_id, "message": message})
    return overruled


def verdict_texts(module) -> dict[str, str]:
    """:data:`TEXTS`, with the templates the course's ``module.verdict_texts()`` gives instead."""
    texts = dict(TEXTS)
    hook = getattr(module, "verdict_texts", None)
    try:
        course = hook() if callable(hook) else {}
        for key, template in dict(course).items():
            if key in texts and isinstance(template, str):
                template.format(error="", check="", part="")  # a template with other fields is refused
                texts[key] = template
    except Exception:  # noqa: BLE001 (a translation must never change a verdict: the English stands)
        return dict(TEXTS)
    return texts


def _verdict(judge, calls, span, data, texts: dict[str, str]) -> str | None:
    """None if every call passes; else the first failure's message."""
    try:
        if isinstance(data, ChannelError):
            raise data
        if span is None:
            raise ChannelError(texts["not-run"])
        answers = read_records(data[span[0] : span[1]])
    except ChannelError as error:
        return texts["unreadable"].format(error=error)
    for check, part in calls:
        try:
            outcome = judge(check, part, answers)
        except Exception as error:  # the judge tripped over strange answers: they do not pass
            return texts["judge-failed"].format(check=check, part=part, error=f"{type(error).__name__}: {error}")
        if outcome is not None and not outcome[0]:
            return str(outcome[1])
    return None


def _carries_tests(cell) -> bool:
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return cell.get("cell_type") == "code" and bool(meta.get("grade")) and not meta.get("solution")
