"""The results of a run: the final table, and the class report as JSON and CSV.

The report holds what the instructor needs and the students must not see (integrity flags), so it
is written outside nbgrader's folders (``generate_feedback`` copies every file of ``autograded/``
into the feedback).
"""

from __future__ import annotations

import csv
import dataclasses
import json
import time
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class SubmissionReport:
    """One student's result."""

    student: str
    score: float = 0.0
    max_score: float = 0.0
    seconds: float = 0.0  # time spent executing the student's notebooks
    status: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    flags: list[dict] = field(default_factory=list)
    notebooks: dict[str, dict] = field(default_factory=dict)  # per notebook: events, details, sandbox, seconds

    @property
    def flag_codes(self) -> list[str]:
        return sorted({flag["code"] for flag in self.flags})


@dataclass
class ClassReport:
    """A whole run."""

    assignment: str
    started: str
    wall_seconds: float
    jobs: int
    isolation: dict
    submissions: list[SubmissionReport]
    warnings: list[str] = field(default_factory=list)  # e.g. a --preload module that failed to import


def format_table(reports: list[SubmissionReport]) -> str:
    """student | score | max | time | status | flags, one line per student."""
    rows = [("student", "score", "max", "time", "status", "flags")]
    for r in sorted(reports, key=lambda r: r.student):
        rows.append((r.student, f"{r.score:g}", f"{r.max_score:g}", f"{r.seconds:.1f}s", ",".join(r.status),
                     ",".join(r.flag_codes) or "-"))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def write(report: ClassReport, folder: Path) -> tuple[Path, Path]:
    """Write ``report.json`` (everything) and ``report.csv`` (one row per student) into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    json_path, csv_path = folder / "report.json", folder / "report.csv"
    json_path.write_text(json.dumps(dataclasses.asdict(report), indent=1))
    with csv_path.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["student", "score", "max_score", "seconds", "status", "flags", "notes"])
        for r in sorted(report.submissions, key=lambda r: r.student):
            writer.writerow([r.student, r.score, r.max_score, round(r.seconds, 2), " ".join(r.status),
                             " ".join(r.flag_codes), " | ".join(r.notes)])
    return json_path, csv_path


def now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S%z")
