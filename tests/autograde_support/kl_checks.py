"""The tiny course's checks module: what ``vae_course.checks`` is to the course, for assignment ``kl``.

Hidden tests call ``kl_checks.check_kl(kl_divergence, part="zero")`` (or ``part="values"``). The
check runs the student's function on hidden inputs and compares in the kernel, as plain nbgrader
grades it; under classgrade (``CLASSGRADE_ANSWERS`` set) it also appends each answer to the answers
file, written here with the standard library alone (the format is ``classgrade.judge.channel``'s).
``judge`` recomputes the reference on the same inputs in the grader's own process and decides.
The comparison looks ``math.isclose`` up at call time, as real checks look up library functions:
a notebook that patches it fools the kernel, not the judge. Given the notebook's code, ``judge``
also fails an answer that is the reference (``_reference``) and a notebook that rebinds this
module's functions: the answers such a kernel recorded may be the reference's.

Like the course's checks, a failure that matches a known mistake names it on its last line
(``Hint [kl-means-only]: ...``, found by the course's ``ClassGrade.hint_pattern``); :func:`hint_text` gives
the texts in English and Indonesian (``ClassGrade.hint_text``), for the class report.
"""

from __future__ import annotations

import json
import math
import os
import random
import re
import struct

EXERCISE = "kl"
TOLERANCE = 1e-9
HINT_PATTERN = r"^Hint \[([a-z-]+)\]: "
HINTS = {  # name -> (English, Indonesian)
    "kl-means-only": (
        "The KL has a variance term too: 0.5 * (exp(logvar) - 1 - logvar) for each dimension.",
        "KL juga memiliki suku varians: 0.5 * (exp(logvar) - 1 - logvar) untuk setiap dimensi.",
    ),
}


def _cases(part: str) -> list[tuple[list[float], list[float]]]:
    """The hidden (mu, logvar) of a part, the same in the kernel and in the judge."""
    if part == "zero":  # q = p: the KL is zero
        return [([0.0] * n, [0.0] * n) for n in (2, 3, 5)]
    rng = random.Random(1)
    return [([rng.uniform(-2, 2) for _ in range(n)], [rng.uniform(-1.5, 1.5) for _ in range(n)]) for n in (1, 2, 4, 8)]


def _reference(mu: list[float], logvar: list[float]) -> float:
    return sum(0.5 * (m * m + math.exp(lv) - 1.0 - lv) for m, lv in zip(mu, logvar))


def _problem(got, mu: list[float], logvar: list[float], case: int) -> str | None:
    """What is wrong with ``got`` on hidden input ``case`` (None: nothing), naming a known mistake."""
    if isinstance(got, bool) or not isinstance(got, (int, float)):
        return f"kl_divergence should return a float (hidden input {case}), got {type(got).__name__}."
    if not _close(got, _reference(mu, logvar)):
        message = f"kl_divergence differs from the reference on hidden input {case}."
        if _close(got, sum(0.5 * m * m for m in mu)):
            message += f"\nHint [kl-means-only]: {HINTS['kl-means-only'][0]}"
        return message
    return None


def _close(got: float, expected: float) -> bool:
    return math.isclose(got, expected, rel_tol=TOLERANCE, abs_tol=TOLERANCE)


def hint_text(name: str, language: str) -> str:
    """The text of hint ``name`` in ``language`` ("en" or "id")."""
    return HINTS[name][language == "id"]


def _record(part: str, case: int, got) -> None:
    path = os.environ.get("CLASSGRADE_ANSWERS")
    if not path:
        return
    number = isinstance(got, (int, float)) and not isinstance(got, bool)
    value = {"number": float(got)} if number else {"type": type(got).__name__}
    header = json.dumps({"key": [EXERCISE, part, case], "value": value, "arrays": []}).encode()
    with open(path, "ab") as f:
        f.write(b"CGA1" + struct.pack(">I", len(header)) + header)


def check_kl(kl_divergence, part: str) -> None:
    """Check ``kl_divergence(mu, logvar) -> float`` on the hidden inputs of ``part``."""
    for case, (mu, logvar) in enumerate(_cases(part)):
        got = kl_divergence(list(mu), list(logvar))
        _record(part, case, got)
        problem = _problem(got, mu, logvar, case)
        if problem:
            raise AssertionError(problem)


def judge(check: str, part: str | None, answers: dict, code: list[str] | None = None) -> tuple[bool, str] | None:
    """The grader's verdict on ``check(..., part=part)`` from the kernel's ``answers`` (None: not ours),
    and from ``code``, the notebook's cells above the test cell, when the grader gives it."""
    if check != "check_kl" or part not in ("zero", "values"):
        return None
    source = "\n".join(code or [])
    if "_reference" in source:
        return False, "kl_divergence uses the checks' own reference (read from the notebook)."
    if re.search(r"kl_checks\.\w+\s*=", source):
        return (
            False,
            "kl_divergence cannot be judged: a cell changes the checks in the kernel (read from the notebook).",
        )
    for case, (mu, logvar) in enumerate(_cases(part)):
        answer = answers.get((EXERCISE, part, case))
        if answer is None:
            return False, f"kl_divergence gave no answer on hidden input {case}."
        value, _arrays = answer
        got = value.get("number") if isinstance(value, dict) else None
        if not isinstance(got, (int, float)) or isinstance(got, bool):  # only the type of a non-number crossed
            returned = str(value.get("type", "nothing")) if isinstance(value, dict) else "nothing"
            return False, f"kl_divergence should return a float (hidden input {case}), got {returned}."
        problem = _problem(got, mu, logvar, case)
        if problem:
            return False, problem
    return True, ""
