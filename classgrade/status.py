"""The status codes a graded submission can carry, most severe first, each with what it means.

A submission's status is the list of codes that apply (``ok`` when none does). Codes describe what
happened; they never change a score by themselves: the score comes from nbgrader's own grading of
whatever the notebook produced (a test cell that did not run, or that errored, earns nothing).
"""

from __future__ import annotations

GRADER_ERROR = "grader-error"
MISSING = "missing-notebook"
RENAMED = "renamed-notebook"
INVALID = "invalid-notebook"
METADATA = "corrupt-metadata"
KERNEL_FAILED = "kernel-failed"
KERNEL_DIED = "kernel-died"
MEMORY = "memory-limit"
NOTEBOOK_TIMEOUT = "notebook-timeout"
CELL_TIMEOUT = "cell-timeout"
OUTPUT = "output-truncated"
RESTORED = "restored-cells"
DELETED = "deleted-cells"
DUPLICATED = "duplicated-cells"
OK = "ok"

MEANING = {
    GRADER_ERROR: "the grader itself failed on this submission (see the log); the notebook scores 0, regrade it",
    MISSING: "an expected notebook is not in the submission; its cells score 0",
    RENAMED: "the submission has a notebook under another name (a renamed copy?); it was not graded",
    INVALID: "a notebook is not valid JSON / nbformat; its cells score 0",
    METADATA: "nbgrader metadata in a notebook is corrupt beyond repair; its cells score 0",
    KERNEL_FAILED: "the kernel did not start; no cell ran",
    KERNEL_DIED: "the kernel died (os._exit, crash, killed); later cells did not run and score 0",
    MEMORY: "a cell hit the memory limit (MemoryError or failed allocation)",
    NOTEBOOK_TIMEOUT: "the notebook time limit was reached; later cells did not run and score 0",
    CELL_TIMEOUT: "a cell hit the per-cell time limit and was interrupted",
    OUTPUT: "the notebook printed more than the output limit; the excess was dropped",
    RESTORED: "edited read-only or test cells were restored from the gradebook",
    DELETED: "cells were deleted from the notebook (grade and task cells are added back)",
    DUPLICATED: "cells were duplicated; the copies lost their nbgrader identity",
    OK: "graded normally",
}
ORDER = list(MEANING)


def ordered(codes) -> list[str]:
    """Distinct codes, most severe first; ``["ok"]`` when there is none."""
    unique = {code for code in codes if code != OK}
    return sorted(unique, key=ORDER.index) or [OK]
