"""Feedback without hidden tests: an nbgrader preprocessor for ``generate_feedback``.

nbgrader puts the hidden tests back into every notebook it autogrades, and its feedback shows the
autograded notebook. :class:`HideHiddenTests` (set in ``nbgrader_config.py``) removes the hidden
regions from the feedback, as ``generate_assignment`` does for the release, and drops from the error
output of those cells every traceback entry that could quote hidden code: the frame of the test
cell itself, whose context lines may be hidden tests, and any entry that contains a hidden line.
Frames in the student's own cells stay, so the feedback still shows where their code failed.
Checks need no traceback: their messages say everything (see ``CheckFailure``).

This module imports nbgrader, so only the nbgrader configuration imports it.
"""

from __future__ import annotations

import re

from nbgrader.preprocessors import ClearHiddenTests

ANSI = re.compile(r"\x1b\[[0-9;]*m")


class HideHiddenTests(ClearHiddenTests):
    """Remove hidden test regions, and the traceback entries that could show them."""

    def preprocess_cell(self, cell, resources, cell_index):
        hidden = self._hidden_lines(cell.source)
        cell, resources = super().preprocess_cell(cell, resources, cell_index)
        if hidden and cell.cell_type == "code":
            own_frame = f"In[{cell.get('execution_count')}]"
            for output in cell.get("outputs", []):
                if output.output_type == "error":
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
