"""``python -m classgrade report``: read the course, compute the tables, draw the figures, write the page."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from ..environment import working_directory
from . import figures, page, sources, tables
from .words import Words


@dataclass(frozen=True)
class ReportOptions:
    """Everything ``python -m classgrade report`` can be told. ``None``: the course's configuration."""

    assignments: tuple[str, ...] = ()  # names or glob patterns; none (or "*"): every assignment
    course_dir: str = "."
    output: str | None = None  # default: <course>/reports/class
    runs_dir: str | None = None  # classgrade's run reports; default: <course>/reports/autograde
    anonymous: bool = False  # no names, no flags, no per-student tables: for the class
    language: str | None = None  # "en" or "id"; None: ClassGrade.language
    nbgrader_args: tuple[str, ...] = ()  # nbgrader options, e.g. --CourseDirectory.db_url=postgresql://...


@dataclass
class Written:
    """What a report run wrote, and how long each step took (seconds)."""

    folder: Path
    page: Path
    tables: list[Path]
    figures: list[Path]
    students: int
    assignments: int
    seconds: dict[str, float] = field(default_factory=dict)


def write_report(options: ReportOptions) -> Written:
    """Write the class report of ``options.assignments`` (all if none) into its folder; return what was written."""
    clock = time.perf_counter()
    seconds = {}
    course = Path(options.course_dir).resolve()
    coursedir, settings = _course(course, options.nbgrader_args)
    seconds["config"] = time.perf_counter() - clock  # nbgrader's and the course's configuration (imports)

    clock = time.perf_counter()
    language = options.language or settings.language
    words = Words(language)
    data = _read(course, coursedir, settings, options, language)
    seconds["read"] = time.perf_counter() - clock

    clock = time.perf_counter()
    computed = tables.compute(data)
    look_count = sum(1 for row in computed["students"].records() if row["reasons"])
    if options.anonymous:
        computed = tables.anonymous(computed)
    seconds["tables"] = time.perf_counter() - clock

    clock = time.perf_counter()
    with figures.style(dict(settings.plot_style)):
        drawn = {d.name: d for d in draw(computed, words, anonymous=options.anonymous)}
    seconds["figures"] = time.perf_counter() - clock

    clock = time.perf_counter()
    folder = Path(options.output).resolve() if options.output else course / "reports" / "class"
    table_paths, figure_paths = _write_files(folder, computed, drawn)
    html = page.write(
        computed,
        drawn,
        words,
        course=data.course_id,
        date=time.strftime("%Y-%m-%d %H:%M"),
        anonymous=options.anonymous,
        plain=[
            a
            for a, by in data.graded_by.items()
            if by == "nbgrader" and any(s.assignment == a for s in data.submissions)
        ],
        judge_known=data.judge_known,
        look_count=look_count,
    )
    page_path = folder / "index.html"
    page_path.write_text(html, encoding="utf-8")
    seconds["page"] = time.perf_counter() - clock
    return Written(folder, page_path, table_paths, figure_paths, len(data.students), len(data.assignments), seconds)


def _course(course: Path, nbgrader_args: tuple[str, ...]):
    """nbgrader's course directory and the course's ClassGrade settings, from its ``nbgrader_config.py``."""
    from nbgrader.apps.exportapp import ExportApp

    from ..config import load

    with working_directory(course):
        app = ExportApp()
        app.initialize(list(nbgrader_args), root=str(course))
    return app.coursedir, load(app.config)


def _read(course: Path, coursedir, settings, options: ReportOptions, language: str) -> sources.ClassData:
    with working_directory(course):
        data = sources.read_gradebook(coursedir.db_url, coursedir.course_id, list(options.assignments))
        autograded, notebook_folders = sources.course_paths(coursedir)
    sources.order_questions(data, sources.notebook_positions(notebook_folders))
    runs = Path(options.runs_dir).resolve() if options.runs_dir else course / "reports" / "autograde"
    sources.read_runs(data, runs)
    sources.read_autograded(data, autograded, settings.hint_pattern)
    sources.read_checks(data, settings.checks_module)
    sources.read_judge(data, settings.checks_module)
    sources.read_hint_texts(data, settings.hint_text, language)
    return data


def draw(computed: dict[str, tables.Table], words: Words, anonymous: bool) -> list[figures.Drawn]:
    """Every figure, from the tables alone."""
    drawn = []
    scores = computed["scores"].records()
    for row in computed["assignments"].records():
        own = [float(s["score"]) for s in scores if s["assignment"] == row["assignment"]]
        if own:
            drawn.append(figures.scores_histogram(row, own, words))
    questions = computed["questions"].records()
    for row in computed["assignments"].records():
        own = [q for q in questions if q["assignment"] == row["assignment"]]
        if own and row["submitted"]:
            drawn.append(figures.questions_bars(row["assignment"], own, words))
    if computed["mistakes"].rows:
        drawn.append(figures.mistakes_bars(computed["mistakes"].records(), words))
    if not anonymous:
        students = computed["students"]
        look = [dict(zip(students.columns, row)) for row in tables.to_look_at(students)]
        if look:
            names = [a["assignment"] for a in computed["assignments"].records()]
            drawn.append(figures.students_heatmap(look, names, words))
        seconds = {}
        for s in scores:
            if s["seconds"] is not None:
                seconds.setdefault(s["assignment"], []).append(float(s["seconds"]))
        if seconds:
            drawn.append(figures.grading_boxes(seconds, words))
    return drawn


def _write_files(folder: Path, computed: dict[str, tables.Table], drawn: dict[str, figures.Drawn]):
    """``tables/*.csv`` and ``figures/*.png``; a previous report's files there are replaced, not kept."""
    table_dir, figure_dir = folder / "tables", folder / "figures"
    for directory, suffix in ((table_dir, ".csv"), (figure_dir, ".png")):
        directory.mkdir(parents=True, exist_ok=True)
        for old in directory.glob(f"*{suffix}"):
            old.unlink()
    table_paths = [table.write(table_dir) for table in computed.values()]
    figure_paths = []
    for d in drawn.values():
        path = figure_dir / f"{d.name}.png"
        path.write_bytes(d.png)
        figure_paths.append(path)
    return table_paths, figure_paths
