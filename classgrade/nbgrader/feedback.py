"""Feedback without hidden tests: an nbgrader preprocessor for ``generate_feedback``.

nbgrader puts the hidden tests back into every notebook it autogrades, and its feedback shows the
autograded notebook. :class:`HideHiddenTests` (set in ``nbgrader_config.py``) removes the hidden
regions from the feedback, as ``generate_assignment`` does for the release, and drops from the error
output of those cells every traceback entry that could quote hidden code: the frame of the test
cell itself, whose context lines may be hidden tests, and any entry that contains a hidden line.
Frames in the student's own cells stay, so the feedback still shows where their code failed.
Checks need no traceback: their messages say everything (see ``CheckFailure``).

What it promises: no output shows a hidden line (of at least :data:`MIN_SCRUBBED` characters)
literally, in base64 (standard or URL-safe, at any alignment in a longer encoded text) or in hex.
A student's cell can still print a hidden line transformed some other way (compressed, encrypted,
reversed, split across outputs): no scrubber recognises every transformation of a text. Little is
lost that way in a course whose hidden test cells are one-line calls of public checks.

This module imports nbgrader, so only the nbgrader configuration imports it.
"""

from __future__ import annotations

import base64
import re

from nbgrader.preprocessors import ClearHiddenTests

ANSI = re.compile(r"\x1b\[[0-9;]*m")
HIDDEN = "[hidden test]"
MIN_SCRUBBED = 8  # hidden lines shorter than this (")", "pass") reveal nothing and would blank ordinary output


class HideHiddenTests(ClearHiddenTests):
    """Remove hidden test regions, and every output that could show them.

    Markers count only in the cells that carry hidden tests: autograder test cells (graded, not
    answers), which autograding restored from the gradebook. An answer that merely contains the
    marker text keeps it. Output written while a test cell ran (stdout, displays: a student's
    ``pre_run_cell`` callback can print the cell's source) is dropped from that cell, and hidden
    lines are blanked out of every output of every cell (errors included), so that no output
    channel quotes them verbatim.
    """

    def preprocess(self, nb, resources):
        hidden = sorted(
            {
                line
                for cell in nb.cells
                if _carries_tests(cell)
                for line in self._hidden_lines(cell.source)
                if len(line) >= MIN_SCRUBBED
            },
            key=len,
            reverse=True,
        )
        nb, resources = super().preprocess(nb, resources)
        if hidden:
            for cell in nb.cells:
                for output in cell.get("outputs", []):
                    _scrub(output, hidden)
        return nb, resources

    def preprocess_cell(self, cell, resources, cell_index):
        if not _carries_tests(cell):
            return cell, resources
        hidden = self._hidden_lines(cell.source)
        cell, resources = super().preprocess_cell(cell, resources, cell_index)
        if hidden and cell.cell_type == "code":
            own_frame = f"In[{cell.get('execution_count')}]"
            cell.outputs = [output for output in cell.get("outputs", []) if output.output_type == "error"]
            for output in cell.outputs:
                kept = [entry for entry in output.traceback[:-1] if not self._reveals(entry, own_frame, hidden)]
                last = f"\x1b[0;31m{output.ename}\x1b[0m: {output.evalue}"
                output.traceback = kept + [last]
        return cell, resources

    def _hidden_lines(self, source: str) -> list[str]:
        lines, inside = [], False
        for line in source.split("\n"):
            if self.begin_test_delimeter in line:
                inside = True
            elif self.end_test_delimeter in line:
                inside = False
            elif inside and line.strip():
                lines.append(line.strip())
        return lines

    @staticmethod
    def _reveals(entry: str, own_frame: str, hidden: list[str]) -> bool:
        text = ANSI.sub("", entry)
        return own_frame in text or any(line in text for line in hidden)


def _carries_tests(cell) -> bool:
    """An autograder test cell: graded and not an answer (its source comes from the gradebook)."""
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return cell.get("cell_type") == "code" and bool(meta.get("grade")) and not meta.get("solution")


def encodings(line: str) -> list[str]:
    """``line`` as an output could show it: itself, in hex, and the base64 a longer text holding it
    encodes it to, at each of the three alignments (only the characters its own bytes decide)."""
    data = line.encode()
    found = [line, data.hex(), data.hex().upper()]
    for skip in range(3):
        whole = data[skip : skip + 3 * ((len(data) - skip) // 3)]
        for encode in (base64.b64encode, base64.urlsafe_b64encode):
            core = encode(whole).decode()
            if len(core) >= MIN_SCRUBBED:
                found.append(core)
    return list(dict.fromkeys(found))


def _scrub(output, hidden: list[str]) -> None:
    """Blank every hidden line out of the text of ``output`` (streams, displays, errors), and its encodings."""
    forms = sorted({form for line in hidden for form in encodings(line)}, key=len, reverse=True)

    def clean(text: str) -> str:
        plain = ANSI.sub("", text)
        if not any(form in plain for form in forms):
            return text
        for form in forms:
            plain = plain.replace(form, HIDDEN)
        return plain

    if "text" in output:
        output["text"] = clean("".join(output["text"]) if isinstance(output["text"], list) else output["text"])
    for mime, value in output.get("data", {}).items():
        if isinstance(value, str):
            output["data"][mime] = clean(value)
        elif isinstance(value, list) and all(isinstance(v, str) for v in value):
            output["data"][mime] = clean("".join(value))
    if output.get("output_type") == "error":
        output["evalue"] = clean(output.get("evalue", ""))
        output["traceback"] = [clean(entry) for entry in output.get("traceback", [])]
