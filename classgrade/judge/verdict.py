"""The judge's verdict on each test cell, decided in the runner after the kernel is dead.

Which checks a test cell runs comes from its source, which nbgrader restored from the gradebook
(the student cannot change it): every call of a public function of the course's checks module,
``checks.check_x(answer, part="values")`` or ``check_x(answer, part="values")``. The module's
``judge(check, part, answers) -> (passed, message) | None`` recomputes the reference on the same
hidden inputs and compares them with the answers the kernel wrote while that cell ran (``None``:
the module does not judge that check, and the kernel's result stands). A ``judge`` that also takes
``code`` receives the sources of the code cells above the test cell, test cells left out (the setup,
the answers and the cells the student added), to decide what only the code shows: delegation,
tampering with the checks in the kernel.

The judge owns the score of every test cell that calls a check. nbgrader reads a test cell's
outputs in order: an error (or stderr) gives 0, but a result (``execute_result``) met first gives
its value as partial credit, or full credit if it is not a number. So, whatever the kernel
displayed and in whatever order:

* a test cell that calls a check keeps no result: nothing it displayed can be read as a grade;
* a test cell that failed in the kernel keeps no result either (failing cannot earn anything);
* a test cell the kernel passed and the judge failed shows the judge's error instead of its outputs.

The judge's own verdicts (answers it could not read, a check it could not judge) are
:data:`TEXTS`; a course whose students read another language gives its checks module a
function ``verdict_texts() -> {key: template}``, called at each judging, whose templates replace
those of the same key (with the same ``{fields}``). A failing or malformed one leaves the English.
"""

from __future__ import annotations

import ast
import importlib
import inspect

import nbformat

from .channel import ChannelError, read_records

ENAME = "CheckFailure"
RESULTS = ("execute_result",)  # the outputs nbgrader reads as a grade (display_data it ignores)

# What the judge writes in a failed cell, and so what the student reads in the feedback: every
# sentence of the judge is here, to be translated in one place (the course's verdict_texts()).
TEXTS = {  # key -> template (str.format)
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
    """Decide every test cell of ``nb`` that calls a check, and keep failed cells from scoring.

    Args:
        nb: the executed notebook (changed in place).
        spans: cell index -> the bytes of the answers file written while that cell ran.
        data: the answers file's content, or why it could not be read.
        checks_module: the course's checks module (``ClassGrade.checks_module``).

    Returns:
        One ``{"cell": grade_id, "message": ...}`` per cell the kernel passed and the judge failed.
    """
    judge, names, texts = _course_judge(checks_module)
    overruled = []
    for index, cell in enumerate(nb.cells):
        if not _carries_tests(cell):
            continue
        calls = checks_calls(cell.source, names) if names else []
        failed = _failed(cell)
        if failed or calls != []:  # the kernel's failure, or the judge, decides: no result may
            cell.outputs = [o for o in cell.outputs if o.output_type not in RESULTS]
        if failed or not calls or judge is None:
            continue  # not a judged cell, or the kernel already failed it: a student cannot gain by failing
        message = _verdict(judge, calls, spans.get(index), data, _code_above(nb, index), texts)
        if message is not None:
            grade_id = cell.metadata["nbgrader"].get("grade_id", str(index))
            error = nbformat.v4.new_output("error", ename=ENAME, evalue=message, traceback=[f"{ENAME}: {message}"])
            cell.outputs = [error]  # what the kernel showed of a pass it did not earn goes
            overruled.append({"cell": grade_id, "message": message})
    return overruled


def _course_judge(checks_module: str):
    """The checks module's ``judge`` (None if it has none), its public functions' names, the verdicts' texts."""
    if not checks_module:
        return None, set(), dict(TEXTS)
    module = importlib.import_module(checks_module)
    judge = getattr(module, "judge", None)
    hooks = ("judge", "verdict_texts")
    names = {n for n in dir(module) if not n.startswith("_") and n not in hooks and callable(getattr(module, n))}
    return judge, names, verdict_texts(module)


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


def _verdict(judge, calls, span, data, code: list[str], texts: dict[str, str]) -> str | None:
    """None if every call passes; else the first failure's message."""
    try:
        if isinstance(data, ChannelError):
            raise data
        if span is None:
            raise ChannelError(texts["not-run"])
        answers = read_records(data[span[0] : span[1]])
    except ChannelError as error:
        return texts["unreadable"].format(error=error)
    takes_code = _takes_code(judge)
    for check, part in calls:
        try:
            outcome = judge(check, part, answers, code=code) if takes_code else judge(check, part, answers)
        except Exception as error:  # the judge tripped over strange answers: they do not pass
            return texts["judge-failed"].format(check=check, part=part, error=f"{type(error).__name__}: {error}")
        if outcome is not None and not outcome[0]:
            return str(outcome[1])
    return None


def _takes_code(judge) -> bool:
    try:
        parameters = inspect.signature(judge).parameters.values()
    except (TypeError, ValueError):
        return False
    return any(p.name == "code" or p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters)


def _failed(cell) -> bool:
    """nbgrader gives this cell 0 once it reads its outputs: an error, or anything on stderr."""
    return any(
        o.output_type == "error" or o.output_type == "stream" and o.get("name") == "stderr" for o in cell.outputs
    )


def _code_above(nb, before: int) -> list[str]:
    """The sources of the code cells above cell ``before`` that a notebook's names come from: not the tests."""
    return [cell.source for cell in nb.cells[:before] if cell.get("cell_type") == "code" and not _carries_tests(cell)]


def _carries_tests(cell) -> bool:
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return cell.get("cell_type") == "code" and bool(meta.get("grade")) and not meta.get("solution")
