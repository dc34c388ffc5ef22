"""The class report's figures, drawn from its tables alone, each with an alt text computed from the same rows.

Figures are matplotlib ``Figure`` objects (no pyplot: no global state, nothing shown); the course's
look comes from ``ClassGrade.plot_style`` (rcParams), applied by :func:`render` while a figure is
made and saved.
"""

from __future__ import annotations

import io
import math
import statistics
from contextlib import contextmanager
from dataclasses import dataclass

from .tables import BY_HAND, GOT, LOST, NOT_RUN_OUTCOME, OUTCOMES, PARTLY
from .words import Words

WIDTH = 7.0  # inches: a page's width, as the course's figures
COLORS = {GOT: "tab:green", PARTLY: "tab:olive", LOST: "tab:red", NOT_RUN_OUTCOME: "tab:gray", BY_HAND: "tab:blue"}
MOST_BARS = 30  # bars of a score histogram, at most (one per point up to there)
MOST_MISTAKES = 15  # bars in the mistakes figure (the table lists them all)
MOST_STUDENTS = 50  # rows in the students' heat map (the table lists them all)


@dataclass
class Drawn:
    """A figure as a PNG file's bytes, with its alt text."""

    name: str  # file name: figures/<name>.png
    png: bytes
    alt: str


@contextmanager
def style(rc: dict):
    """The course's rcParams (``ClassGrade.plot_style``) while figures are made and saved."""
    import matplotlib

    with matplotlib.rc_context(rc or {}):
        yield


def _figure(height: float):
    from matplotlib.figure import Figure

    return Figure(figsize=(WIDTH, height))


def render(name: str, figure, alt: str) -> Drawn:
    """``figure`` as PNG bytes (the style's resolution and bounding box)."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return Drawn(name, buffer.getvalue(), alt)


def scores_histogram(assignment: dict, scores: list[float], words: Words) -> Drawn:
    """The distribution of total scores of one assignment (a row of ``assignments``, its ``scores``)."""
    maximum = float(assignment["max_score"]) or 1.0
    if maximum <= MOST_BARS:  # a bar per point, centred on it: 0, 1, ..., the maximum
        edges = [k - 0.5 for k in range(math.ceil(maximum) + 2)]
    else:
        edges = [maximum * k / MOST_BARS for k in range(MOST_BARS + 1)]
    fig = _figure(2.6)
    ax = fig.add_subplot()
    ax.hist(scores, bins=edges, color="C0", edgecolor="white")
    median = statistics.median(scores)
    ax.axvline(median, color="C3", linestyle="--", label=words("median-line", value=median))
    ax.set_xlim(edges[0], edges[-1])
    ax.set_xlabel(words("score-axis", max=maximum))
    ax.set_ylabel(words("count-axis"))
    ax.set_title(assignment["assignment"])
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.legend()
    alt = words(
        "alt-scores",
        n=len(scores),
        assignment=assignment["assignment"],
        max=maximum,
        median=median,
        lowest=min(scores),
        highest=max(scores),
        full=sum(1 for s in scores if s >= maximum),
        zero=sum(1 for s in scores if s <= 0),
    )
    return render(f"scores-{assignment['assignment']}", fig, alt)


def questions_bars(assignment: str, questions: list[dict], words: Words) -> Drawn:
    """One stacked bar per question of ``assignment`` (rows of ``questions``), hardest at the top."""
    rows = sorted(questions, key=lambda q: q["rank"], reverse=True)  # barh draws from the bottom up
    fig = _figure(1.4 + 0.32 * len(rows))
    ax = fig.add_subplot()
    positions = range(len(rows))
    left = [0] * len(rows)
    for outcome in OUTCOMES:
        counts = [q[outcome] for q in rows]
        if any(counts):
            ax.barh(positions, counts, left=left, color=COLORS[outcome], label=words(outcome))
            left = [a + b for a, b in zip(left, counts)]
    ax.set_yticks(list(positions), [q["question"] for q in rows])
    ax.set_xlabel(words("count-axis"))
    ax.set_title(assignment)
    ax.grid(axis="y", visible=False)
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.08), ncols=5, frameon=False, fontsize="small")
    hardest = "; ".join(
        words("alt-question", question=q["question"], got=q[GOT], n=q["submitted"]) for q in questions[:3]
    )
    return render(f"questions-{assignment}", fig, words("alt-questions", assignment=assignment, hardest=hardest))


def mistakes_bars(mistakes: list[dict], words: Words) -> Drawn:
    """The most common named mistakes (rows of ``mistakes``, most common first), students per mistake."""
    shown = mistakes[:MOST_MISTAKES]
    rows = list(reversed(shown))
    fig = _figure(1.0 + 0.3 * len(rows))
    ax = fig.add_subplot()
    ax.barh(range(len(rows)), [m["students"] for m in rows], color="C1")
    ax.set_yticks(range(len(rows)), [f"[{m['hint']}] {m['assignment']}: {m['question']}" for m in rows])
    ax.set_xlabel(words("mistake-axis"))
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.grid(axis="y", visible=False)
    top = "; ".join(
        words("alt-mistake", hint=m["hint"], question=m["question"], assignment=m["assignment"], count=m["students"])
        for m in shown[:3]
    )
    return render("mistakes", fig, words("alt-mistakes", shown=len(shown), top=top))


def students_heatmap(students: list[dict], assignments: list[str], words: Words) -> Drawn:
    """Scores in percent of the students to look at (rows of ``students``) across ``assignments``."""
    import numpy as np

    shown = students[:MOST_STUDENTS]
    values = np.array(
        [[np.nan if s[a] in (None, "") else float(s[a]) for a in assignments] for s in shown], dtype=float
    ).reshape(len(shown), len(assignments))
    fig = _figure(1.4 + 0.28 * len(shown))
    ax = fig.add_subplot()
    cmap = _colormap()
    image = ax.imshow(np.ma.masked_invalid(values), cmap=cmap, vmin=0, vmax=100, aspect="auto")
    for row, column in zip(*np.nonzero(np.isnan(values))):
        ax.text(column, row, "×", ha="center", va="center", color="black")  # missing, also without colour
    ax.set_xticks(range(len(assignments)), assignments, rotation=30, ha="right")
    ax.set_yticks(range(len(shown)), [s["student"] for s in shown])
    ax.grid(visible=False)
    fig.colorbar(image, ax=ax, label=words("percent-axis"), shrink=0.8)
    return render("students", fig, words("alt-students", n=len(shown)))


def _colormap():
    from matplotlib import colormaps

    cmap = colormaps["viridis"].copy()  # readable with any colour vision, and in grey
    cmap.set_bad("0.85")  # missing submissions: light grey
    return cmap


def grading_boxes(seconds: dict[str, list[float]], words: Words) -> Drawn:
    """Seconds to grade one submission, one box per assignment graded by classgrade (``seconds``, in order)."""
    names = list(seconds)
    fig = _figure(1.2 + 0.35 * len(names))
    ax = fig.add_subplot()
    ax.boxplot([seconds[n] for n in reversed(names)], orientation="horizontal", tick_labels=list(reversed(names)))
    ax.set_xlabel(words("seconds-axis"))
    ax.grid(axis="y", visible=False)
    details = "; ".join(
        words("alt-grading-one", assignment=n, median=statistics.median(seconds[n]), longest=max(seconds[n]))
        for n in names
    )
    return render("grading-time", fig, words("alt-grading", details=details))
