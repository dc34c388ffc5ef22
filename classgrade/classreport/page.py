"""The class report's page: one HTML file, its figures inside (PNG data URLs), nothing fetched from anywhere.

Written from the tables and the drawn figures alone; every number on it is a cell of a table,
written as the report's language writes numbers.
"""

from __future__ import annotations

import base64
from html import escape

from .figures import Drawn
from .tables import OUTCOMES, Table, to_look_at
from .words import Words

CSS = """
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", sans-serif; color: #222;
       margin: 0; background: #fafafa; }
main { max-width: 68rem; margin: 0 auto; padding: 1rem 1.5rem 3rem; background: #fff; }
h1 { font-size: 1.6rem; margin-bottom: .2rem; } h2 { margin-top: 2.5rem; border-bottom: 1px solid #ddd; }
h3 { margin-top: 1.8rem; }
.notice { background: #fff6e0; border-left: 4px solid #e0a000; padding: .6rem .9rem; }
table { border-collapse: collapse; margin: .8rem 0; font-size: .9rem; display: block; overflow-x: auto; }
th, td { border: 1px solid #ddd; padding: .25rem .5rem; vertical-align: top; }
th { background: #f2f2f2; text-align: left; } td.n { text-align: right; font-variant-numeric: tabular-nums; }
figure { margin: 1rem 0; } img { max-width: 100%; height: auto; }
ol.mistakes li { margin: .4rem 0; } code { background: #f2f2f2; padding: 0 .2rem; }
.small { color: #555; font-size: .9rem; }
"""


def _cell(value, words: Words) -> str:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return f'<td class="n">{escape(words.number(value))}</td>'
    if isinstance(value, bool):
        return f"<td>{escape(words.number(value))}</td>"
    return f"<td>{escape('' if value is None else str(value))}</td>"


def table(table: Table, words: Words, columns: tuple[str, ...] | None = None, rows=None, label=None) -> str:
    """An HTML table of ``columns`` of ``table`` (headers in the report's language), ``data-table`` naming it."""
    columns = columns or table.columns
    index = [table.columns.index(c) for c in columns]
    head = "".join(f"<th>{escape(label(c) if label else _header(c, words))}</th>" for c in columns)
    body = "".join(
        "<tr>" + "".join(_cell(row[i], words) for i in index) + "</tr>"
        for row in (table.rows if rows is None else rows)
    )
    return f'<table data-table="{table.name}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _header(column: str, words: Words) -> str:
    try:
        return words(column)
    except KeyError:
        return column  # an assignment's name (a column of the students' table)


def figure(drawn: Drawn) -> str:
    data = base64.b64encode(drawn.png).decode("ascii")
    return f'<figure><img src="data:image/png;base64,{data}" alt="{escape(drawn.alt)}"></figure>'


def write(
    tables: dict[str, Table],
    drawn: dict[str, Drawn],
    words: Words,
    *,
    course: str,
    date: str,
    anonymous: bool,
    plain: list[str],
    judge_known: bool,
    look_count: int,
) -> str:
    """The whole page.

    Args:
        tables: from :func:`.tables.compute`; drawn: the figures by name.
        plain: assignments graded by plain nbgrader (what they cannot tell is said).
        judge_known: whether the course's judge could be asked which checks it decides.
        look_count: how many students are to look at (said in the anonymous edition, without names).
    """
    assignments = tables["assignments"].records()
    parts = [
        f"<h1>{escape(words('title', course=course))}</h1>",
        f'<p class="small">{escape(words("summary", students=assignments[0]["students"] if assignments else 0, assignments=len(assignments), date=date))}</p>',
    ]
    if anonymous:
        parts.append(f'<p class="notice">{escape(words("anonymous"))}</p>')
    if plain:
        parts.append(
            f'<p class="notice" id="plain-nbgrader">{escape(words("plain-nbgrader", assignments=", ".join(plain)))}</p>'
        )
    sections = [
        ("glance", _glance),
        ("questions", _questions),
        ("mistakes", _mistakes),
        ("look", _look),
        ("grading", _grading),
    ]
    parts.append(
        f"<nav><strong>{escape(words('contents'))}</strong><ol>"
        + "".join(f'<li><a href="#{key}">{escape(words(key))}</a></li>' for key, _ in sections)
        + "</ol></nav>"
    )
    context = dict(anonymous=anonymous, judge_known=judge_known, look_count=look_count)
    for number, (key, section) in enumerate(sections, start=1):
        parts.append(f'<section id="{key}"><h2>{number}. {escape(words(key))}</h2>')
        parts.append(section(tables, drawn, words, **context))
        parts.append("</section>")
    files = ", ".join(f'<a href="tables/{name}.csv">{name}.csv</a>' for name in tables)
    parts.append(
        f'<footer><p class="small">{words("files", tables=files, figures="<code>figures/</code>")}</p></footer>'
    )
    return (
        f'<!doctype html>\n<html lang="{words.language}"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(words('title', course=course))}</title><style>{CSS}</style></head>"
        f"<body><main>{''.join(parts)}</main></body></html>\n"
    )


def _glance(tables, drawn, words, **_context) -> str:
    parts = [f"<p>{escape(words('glance-intro'))}</p>", table(tables["assignments"], words)]
    for row in tables["assignments"].records():
        name = f"scores-{row['assignment']}"
        parts.append(
            figure(drawn[name])
            if name in drawn
            else f"<p>{escape(row['assignment'])}: {escape(words('no-submissions'))}</p>"
        )
    return "".join(parts)


def _questions(tables, drawn, words, **_context) -> str:
    questions = tables["questions"]
    columns = ("rank", "question", "kind", "parts", "max_score") + OUTCOMES + ("mean_score",)
    parts = [f"<p>{escape(words('questions-intro'))}</p>"]
    for row in tables["assignments"].records():
        name = row["assignment"]
        rows = [r for r in questions.rows if r[0] == name]
        parts.append(f'<h3 id="questions-{escape(name)}">{escape(name)}</h3>')
        if f"questions-{name}" in drawn:
            parts.append(figure(drawn[f"questions-{name}"]))
        kinds = questions.columns.index("kind")
        rows = [r[:kinds] + (words(f"kind-{r[kinds]}"),) + r[kinds + 1 :] for r in rows]
        parts.append(table(questions, words, columns, rows))
    return "".join(parts)


def _mistakes(tables, drawn, words, **_context) -> str:
    records = tables["mistakes"].records()
    if not records:
        return f"<p>{escape(words('no-mistakes'))}</p>"
    items = "".join(
        f'<li data-hint="{escape(m["hint"])}"><strong>{escape(words("of", count=m["students"], total=m["submitted"]))}</strong>: '
        f"{escape(m['text'] or '')} <code>[{escape(m['hint'])}]</code> "
        f'<span class="small">{escape(m["assignment"])}: {escape(m["question"])}</span></li>'
        for m in records
    )
    return (
        f"<p>{escape(words('mistakes-intro'))}</p>"
        + (figure(drawn["mistakes"]) if "mistakes" in drawn else "")
        + f'<ol class="mistakes">{items}</ol>'
    )


def _look(tables, drawn, words, *, anonymous, look_count, **_context) -> str:
    if anonymous:
        return f"<p>{escape(words('look-anonymous', count=look_count))}</p>"
    from .tables import FALLING

    students = tables["students"]
    reasons = students.columns.index("reasons")
    rows = [
        r[:reasons] + (", ".join(words(f"reason-{reason}") for reason in r[reasons].split()),) + r[reasons + 1 :]
        for r in to_look_at(students)
    ]
    assignments = tuple(a["assignment"] for a in tables["assignments"].records())
    columns = ("student", "name", "reasons", "trend", "missing_assignments", "flags") + assignments
    parts = [f"<p>{escape(words('look-intro', points=FALLING))}</p>"]
    if rows:
        parts += [
            figure(drawn["students"]) if "students" in drawn else "",
            table(students, words, columns, rows, _look_label(words)),
        ]
    else:
        parts.append(f"<p>{escape(words('nobody'))}</p>")
    parts.append(f'<h3 id="flags">{escape(words("flags"))}</h3>')
    flags = tables["flags"]
    parts.append(
        f"<p>{escape(words('flags-intro'))}</p>" + table(flags, words)
        if flags.rows
        else f"<p>{escape(words('no-flags'))}</p>"
    )
    return "".join(parts)


def _look_label(words: Words):
    def label(column: str) -> str:
        return words("missing") if column == "missing_assignments" else _header(column, words)

    return label


def _grading(tables, drawn, words, *, anonymous, judge_known, **_context) -> str:
    grading = tables["grading"]
    labels = {"kernel_failed": words("kernel_failed")}
    parts = [f"<p>{escape(words('grading-intro'))}</p>"]
    if not judge_known and any(r["graded_by"] == "classgrade" for r in grading.records()):
        parts.append(f'<p class="notice">{escape(words("judge-unknown"))}</p>')
    parts.append(table(grading, words, label=lambda c: labels.get(c) or _header(c, words)))
    if "grading-time" in drawn:
        parts.append(figure(drawn["grading-time"]))
    if not anonymous:
        incidents = tables["incidents"]
        parts.append(f'<h3 id="incidents">{escape(words("incidents"))}</h3>')
        parts.append(table(incidents, words) if incidents.rows else f"<p>{escape(words('none'))}</p>")
    return "".join(parts)
