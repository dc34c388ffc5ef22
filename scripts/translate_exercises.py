#!/usr/bin/env python3
"""The exercises in other languages: the text to translate in a source notebook, and the translation.

The English source notebooks, ``solutions/NN_name/NN_name.ipynb``, are the only ones written by hand.
Their text goes through the book's gettext workflow: ``scripts/update-translations`` extracts it
(:func:`templates`) and merges it into ``locale/LANG/LC_MESSAGES/exercises/NN_name.po``, next to the
book's catalogues, and ``tests/test_translation.py`` holds both to the same gate (nothing
untranslated or fuzzy, nothing stale, math, code and links unchanged). This script then writes the
translated source notebooks, ``solutions-LANG/NN_name/NN_name.ipynb``, from the English ones and the
catalogues; nbgrader releases them to ``exercises-LANG/`` as it releases the English ones.

A message is text a student reads:

- in Markdown cells: every heading, paragraph, list item and table cell, as its Markdown source on one
  line (display math and code blocks are copied as they are). Not the model answers of the written
  questions (solution cells: students never see them, and instructors grade against them);
- in code cells, outside the solutions (``### BEGIN/END SOLUTION``) and the hidden tests
  (``### BEGIN/END HIDDEN TESTS``): comments (a block of full-line comments is one message, its
  translation wrapped again; a one-line comment stays one line), docstrings (paragraph by paragraph,
  line breaks kept), and the strings that speak to the student: an ``assert``'s message, what
  ``print`` prints, a figure's title, labels and legend. An f-string keeps its ``{fields}``.

Everything else is copied: the code, the solutions, the hidden tests, cell ids and nbgrader's metadata
(grade ids, points), so that the same answer earns the same points in every language. The setup cell
comes from ``scripts/setup_cell.py``, which writes it in each language.
:func:`translate_notebook` checks that every code cell still parses to the same code.

Usage:
    .venv/bin/python scripts/translate_exercises.py            # write solutions-id/ from solutions/ + catalogues
    .venv/bin/python scripts/translate_exercises.py --check    # exit 1 if solutions-id/ is out of date
    VAE_COURSE_LANGUAGE=id .venv/bin/python -m nbgrader generate_assignment "*" --force   # exercises-id/
"""

from __future__ import annotations

import argparse
import ast
import copy
import functools
import importlib.util
import io
import re
import sys
import textwrap
import tokenize
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCE = "solutions"  # the English source notebooks: SOURCE/NN_name/NN_name.ipynb
LANGUAGES = ("id",)  # the languages the exercises are translated into (vae_course.course.CLASS_LANGUAGES)
PAGE_PREFIX = "exercises/"  # catalogue of an assignment: locale/LANG/LC_MESSAGES/exercises/NN_name.po
COMMENT_WIDTH = 120  # a translated comment block is wrapped at the project's line length (pyproject.toml)
# What students never see: nbgrader removes the solutions from the release and hides the hidden tests.
UNSEEN = re.compile(r"### BEGIN (SOLUTION|HIDDEN TESTS)\b.*?### END \1\b[^\n]*", re.S)
WORDS = re.compile(r"[^\W\d_]{3,}")  # a message has a word in it; "(B, D)" is not one
# Calls whose first argument, and keywords whose value, is text for the student.
TEXT_FUNCTIONS = ("print", "set_title", "set_xlabel", "set_ylabel", "suptitle", "title", "xlabel", "ylabel")
TEXT_KEYWORDS = ("title", "label", "xlabel", "ylabel")
MAGIC = re.compile(r"^[ \t]*[%!].*$", re.M)  # an IPython magic or shell command: not Python
TOOL_COMMENT = re.compile(r"#\s*(noqa|type:|fmt:|pragma)\b")
# One single-quoted literal ("..." or '...', with a prefix such as f): a message to the student.
STRING_LITERAL = re.compile(
    r"(?P<prefix>[rRuUfF]{0,2})(?P<quote>[\"'])(?P<body>(?:\\.|(?!(?P=quote))[^\\\n])*)(?P=quote)"
)
DOCSTRING_LITERAL = re.compile(r"(?P<prefix>[rRuU]?)(?P<quote>\"\"\"|'''|\"|')(?P<body>.*)(?P=quote)", re.S)


@dataclass(frozen=True)
class Span:
    """One occurrence of a message: ``source[start:end]`` of a cell becomes ``render(translation)``."""

    start: int
    end: int
    message: str  # the msgid
    kind: str  # "markdown", "comment", "docstring" or "string" (a note for translators)
    render: Callable[[str], str]


@functools.cache
def _setup_cell():
    """``scripts/setup_cell.py``, the setup cell's one source, in every language."""
    spec = importlib.util.spec_from_file_location("setup_cell", Path(__file__).with_name("setup_cell.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _line_starts(text: str) -> list[int]:
    starts = [0]
    for line in text.splitlines(keepends=True):
        starts.append(starts[-1] + len(line))
    return starts


def _one_line(text: str) -> str:
    """Markdown source of a paragraph on one line (soft line breaks are spaces)."""
    return " ".join(line.strip() for line in text.splitlines() if line.strip())


# --------------------------------------------------------------------------- Markdown cells


def _markdown_parser():
    from markdown_it import MarkdownIt
    from mdit_py_plugins.dollarmath import dollarmath_plugin

    return MarkdownIt("commonmark").enable("table").use(dollarmath_plugin)


def _table_cells(line: str) -> list[tuple[int, int]]:
    """(start, end) of each cell's text in a Markdown table row, without the pipes and spaces."""
    pipes, in_code = [], False
    for index, char in enumerate(line):
        if char == "`":
            in_code = not in_code
        elif char == "|" and not in_code and line[index - 1 : index] != "\\":
            pipes.append(index)
    if not line.lstrip().startswith("|"):
        pipes.insert(0, -1)
    if not line.rstrip().endswith("|"):
        pipes.append(len(line.rstrip()))
    cells = []
    for left, right in zip(pipes, pipes[1:]):
        text = line[left + 1 : right]
        start = left + 1 + len(text) - len(text.lstrip())
        cells.append((start, start + len(text.strip())))
    return cells


def markdown_spans(source: str) -> list[Span]:
    """Every heading, paragraph (list items' included) and table cell of a Markdown cell."""
    lines = source.splitlines(keepends=True)
    starts = _line_starts(source)
    spans: list[Span] = []
    row_cells: list[tuple[int, int]] = []
    opener = None
    for token in _markdown_parser().parse(source):
        if token.type == "tr_open":
            row = token.map[0]
            row_cells = [(starts[row] + a, starts[row] + b) for a, b in _table_cells(lines[row].rstrip("\n"))]
        if token.type != "inline":
            opener = token
            continue
        if opener.type in ("th_open", "td_open"):
            start, end = row_cells.pop(0)
            spans.append(Span(start, end, token.content, "markdown", lambda text: text))
            continue
        first, last = opener.map[0], opener.map[1] - 1
        if opener.type == "heading_open":
            last = first
        content_first_line = token.content.split("\n")[0]
        start = starts[first] + lines[first].index(content_first_line)
        end = starts[last] + len(lines[last].rstrip())
        indent = "\n" + " " * (start - starts[first])  # a translator's line break continues the list item
        spans.append(
            Span(start, end, _one_line(token.content), "markdown", lambda text, i=indent: text.replace("\n", i))
        )
    for span in spans:
        if _one_line(source[span.start : span.end]) != span.message:
            raise ValueError(f"cannot place the Markdown message {span.message[:60]!r} in its cell")
    return spans


# --------------------------------------------------------------------------- code cells


def _char_offset(starts: list[int], lines: list[str], lineno: int, col_bytes: int) -> int:
    """A character offset in the cell from ast's (1-based line, UTF-8 byte column)."""
    return starts[lineno - 1] + len(lines[lineno - 1].encode()[:col_bytes].decode())


def _docstring_nodes(tree: ast.AST) -> Iterator[ast.Constant]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                if isinstance(first.value.value, str):
                    yield first.value


def _is_string(node: ast.AST | None) -> bool:
    return isinstance(node, ast.JoinedStr) or (isinstance(node, ast.Constant) and isinstance(node.value, str))


def _message_nodes(tree: ast.AST) -> Iterator[ast.expr]:
    """The strings that speak to the student: assert messages, what ``print`` prints, and the
    titles, axis labels and legend entries of figures."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Assert) and _is_string(node.msg):
            yield node.msg
        elif isinstance(node, ast.Call):
            name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
            if name in TEXT_FUNCTIONS:
                yield from (arg for arg in node.args[:1] if _is_string(arg))
            yield from (kw.value for kw in node.keywords if kw.arg in TEXT_KEYWORDS and _is_string(kw.value))


def _comment_spans(source: str, starts: list[int]) -> list[Span]:
    """Full-line comment blocks (consecutive lines, same column) and end-of-line comments."""
    blocks: list[list[tokenize.TokenInfo]] = []
    previous = None
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type != tokenize.COMMENT or TOOL_COMMENT.match(token.string) or token.string.startswith("###"):
            if token.type not in (tokenize.NL, tokenize.COMMENT):
                previous = None
            continue
        full_line = not token.line[: token.start[1]].strip()
        joined = (
            full_line
            and previous is not None
            and previous.start[0] == token.start[0] - 1
            and previous.start[1] == token.start[1]
        )
        if joined:
            blocks[-1].append(token)
        else:
            blocks.append([token])
        previous = token if full_line else None
    spans = []
    for block in blocks:
        start = starts[block[0].start[0] - 1] + block[0].start[1]
        end = starts[block[-1].end[0] - 1] + block[-1].end[1]
        message = " ".join(token.string[1:].strip() for token in block)
        column = block[0].start[1]
        if len(block) == 1:  # a one-line comment (after code, or on its own line) stays one line

            def render(text: str) -> str:
                return "# " + text

        else:

            def render(text: str, column=column) -> str:
                lines = textwrap.wrap(text, COMMENT_WIDTH - column - 2, break_long_words=False, break_on_hyphens=False)
                return ("\n" + " " * column).join("# " + line for line in lines)

        spans.append(Span(start, end, message, "comment", render))
    return spans


def _docstring_spans(source: str, node: ast.Constant, starts: list[int], lines: list[str]) -> list[Span]:
    """One span per paragraph of a docstring; line breaks and relative indentation kept."""
    start = _char_offset(starts, lines, node.lineno, node.col_offset)
    end = _char_offset(starts, lines, node.end_lineno, node.end_col_offset)
    literal = DOCSTRING_LITERAL.fullmatch(source[start:end])
    if not literal:
        raise ValueError(f"a docstring must be one string literal: {source[start:end][:60]!r}")
    body = literal["body"].splitlines(keepends=True)
    indent = " " * min((len(line) - len(line.lstrip()) for line in body[1:] if line.strip()), default=0)

    def render(text: str) -> str:
        return "\n".join(line if i == 0 or not line else indent + line for i, line in enumerate(text.split("\n")))

    spans, paragraph, offset = [], [], start + literal.start("body")
    for index, line in enumerate([*body, "\n"]):  # a blank line at the end closes the last paragraph
        if line.strip():
            if not paragraph:
                first = offset + len(line) - len(line.lstrip())
            paragraph.append((line if index == 0 else line[len(indent) :]).rstrip())
            stop = offset + len(line.rstrip())
        elif paragraph:
            spans.append(Span(first, stop, "\n".join(paragraph).lstrip(), "docstring", render))
            paragraph = []
        offset += len(line)
    for span in spans:
        if render(span.message) != source[span.start : span.end]:
            raise ValueError(f"cannot place the docstring paragraph {span.message[:60]!r} in its cell")
    return spans


def _string_span(source: str, node: ast.expr, starts: list[int], lines: list[str]) -> Span:
    """A message string; pieces of an implicit concatenation are one message, rendered as one literal."""
    start = _char_offset(starts, lines, node.lineno, node.col_offset)
    end = _char_offset(starts, lines, node.end_lineno, node.end_col_offset)
    pieces = list(STRING_LITERAL.finditer(source, start, end))
    gaps = [source[a.end() : b.start()] for a, b in zip(pieces, pieces[1:])]
    kinds = {(piece["prefix"].lower(), piece["quote"]) for piece in pieces}
    whole = pieces and pieces[0].start() == start and pieces[-1].end() == end
    if not whole or len(kinds) != 1 or any(gap.strip() for gap in gaps):
        raise ValueError(f"write a message to the student as string literals of one kind: {source[start:end][:60]!r}")
    prefix, quote = pieces[0]["prefix"], pieces[0]["quote"]
    message = "".join(piece["body"] for piece in pieces)
    return Span(start, end, message, "string", lambda text: f"{prefix}{quote}{text}{quote}")


def _without_magics(source: str) -> tuple[str, list[str]]:
    """The cell with IPython's magics and shell commands (``%matplotlib``, ``!pip``) blanked, so
    that Python can parse it (offsets unchanged), and those lines."""
    magics = MAGIC.findall(source)
    return MAGIC.sub(lambda match: " " * len(match[0]), source), magics


def code_spans(source: str) -> list[Span]:
    """Comments, docstrings and messages of a code cell that students see."""
    source, _ = _without_magics(source)
    tree = ast.parse(source)
    starts, lines = _line_starts(source), source.splitlines(keepends=True)
    spans = _comment_spans(source, starts)
    for node in _docstring_nodes(tree):
        spans += _docstring_spans(source, node, starts, lines)
    spans += [_string_span(source, node, starts, lines) for node in _message_nodes(tree)]
    unseen = [match.span() for match in UNSEEN.finditer(source)]
    return [
        span
        for span in spans
        if WORDS.search(span.message) and not any(a < span.end and span.start < b for a, b in unseen)
    ]


def code_skeleton(source: str) -> str:
    """The code of a cell without what may be translated: comments, docstrings and messages blanked
    (an f-string keeps its fields). Two cells with the same skeleton run the same code."""
    source, magics = _without_magics(source)
    tree = ast.parse(source)
    for node in _docstring_nodes(tree):
        node.value = ""
    for node in _message_nodes(tree):
        if isinstance(node, ast.JoinedStr):
            node.values = [value for value in node.values if isinstance(value, ast.FormattedValue)]
        else:
            node.value = ""
    return "\n".join([*magics, ast.dump(tree)])


# --------------------------------------------------------------------------- notebooks


def cell_spans(cell: dict) -> list[Span]:
    """The messages of one cell, in order."""
    source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
    grading = cell.get("metadata", {}).get("nbgrader", {})
    if cell.get("id") == _setup_cell().CELL_ID:
        spans = []  # scripts/setup_cell.py writes it in every language
    elif cell["cell_type"] == "markdown" and not grading.get("solution"):
        spans = markdown_spans(source)
    elif cell["cell_type"] == "code":
        spans = code_spans(source)
    else:
        spans = []
    return sorted(spans, key=lambda span: span.start)


def notebook_messages(notebook: dict) -> list[tuple[str, str, str]]:
    """``(message, kind, cell id)`` for every message of a notebook, in order (repeats included)."""
    return [(span.message, span.kind, cell["id"]) for cell in notebook["cells"] for span in cell_spans(cell)]


def translate_notebook(notebook: dict, translation: Callable[[str], str | None]) -> dict:
    """A copy of ``notebook`` with every message replaced by ``translation(message)`` (kept if None).

    Raises:
        ValueError: a translation changed what a code cell does (or broke its syntax).
    """
    translated = copy.deepcopy(notebook)
    for cell in translated["cells"]:
        source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        text = source
        for span in reversed(cell_spans(cell)):
            target = translation(span.message)
            if target is not None and target != span.message:
                text = text[: span.start] + span.render(target) + text[span.end :]
        if cell["cell_type"] == "code" and text != source:
            try:
                same = code_skeleton(text) == code_skeleton(source)
            except SyntaxError as error:
                raise ValueError(f"cell {cell['id']}: a translation broke the code: {error}") from error
            if not same:
                raise ValueError(f"cell {cell['id']}: a translation changed the code, not only its text")
        cell["source"] = text
    return translated


def source_notebooks(root: Path = ROOT) -> dict[str, Path]:
    """``{assignment: path}`` of the English source notebooks."""
    return {
        path.parent.name: path for path in sorted((root / SOURCE).glob("*/*.ipynb")) if path.stem == path.parent.name
    }


def read_notebook(path: Path):
    import nbformat

    return nbformat.read(path, as_version=4)


def template(notebook: dict):
    """The gettext template (a Babel catalogue without translations) of one notebook's messages."""
    from babel.messages.catalog import Catalog

    catalog = Catalog(project="vae-course", fuzzy=False)
    for message, kind, cell in notebook_messages(notebook):
        if message in catalog:
            entry = catalog[message]
            if (cell, None) not in entry.locations:
                entry.locations.append((cell, None))
        else:
            catalog.add(message, locations=[(cell, None)], auto_comments=[kind])
    return catalog


def templates(root: Path = ROOT) -> dict:
    """``{"exercises/NN_name": template}`` for every source notebook, as update-translations names pages."""
    return {PAGE_PREFIX + name: template(read_notebook(path)) for name, path in source_notebooks(root).items()}


def catalogue_translation(path: Path, language: str) -> Callable[[str], str | None]:
    """Look messages up in a ``.po`` catalogue: the translation, or None if missing, empty or fuzzy
    (as gettext does: a fuzzy translation is a suggestion, not a translation)."""
    from babel.messages.pofile import read_po

    if not path.exists():
        return lambda message: None
    with open(path, "rb") as stream:
        catalog = read_po(stream, locale=language)

    def translation(message: str) -> str | None:
        entry = catalog.get(message)
        return entry.string if entry is not None and entry.string and not entry.fuzzy else None

    return translation


def catalogue_path(language: str, assignment: str, root: Path = ROOT) -> Path:
    return root / "locale" / language / "LC_MESSAGES" / f"{PAGE_PREFIX}{assignment}.po"


def translated_path(language: str, assignment: str, root: Path = ROOT) -> Path:
    """Where the translated source notebook lives: nbgrader's source folder of a class in ``language``."""
    return root / f"{SOURCE}-{language}" / assignment / f"{assignment}.ipynb"


def translated_text(language: str, assignment: str, root: Path = ROOT) -> str:
    """The translated source notebook as the file's text (what Jupyter and nbformat write)."""
    import nbformat

    notebook = read_notebook(source_notebooks(root)[assignment])
    translation = catalogue_translation(catalogue_path(language, assignment, root), language)
    translated = nbformat.from_dict(translate_notebook(notebook, translation))
    return nbformat.writes(_setup_cell().with_setup_cell(translated, root, language)) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if a translated notebook is stale")
    args = parser.parse_args(argv)
    stale = []
    for language in LANGUAGES:
        folder = ROOT / f"{SOURCE}-{language}"
        expected = {translated_path(language, name): translated_text(language, name) for name in source_notebooks()}
        present = set(folder.glob("*/*.ipynb")) if folder.exists() else set()
        for path in sorted(present - set(expected)):  # the English source was removed or renamed
            stale.append(path)
            if not args.check:
                path.unlink()
        for path, text in expected.items():
            if not path.exists() or path.read_text() != text:
                stale.append(path)
                if not args.check:
                    path.parent.mkdir(parents=True, exist_ok=True)
                    path.write_text(text)
    for path in stale:
        print(f"{'out of date' if args.check else 'updated'}: {path.relative_to(ROOT)}")
    if stale and not args.check:
        print('now release them: VAE_COURSE_LANGUAGE=id python -m nbgrader generate_assignment "*" --force')
    return 1 if stale and args.check else 0


if __name__ == "__main__":
    sys.exit(main())
