"""The Indonesian edition's catalogues are complete and current, so English prose cannot change alone.

``locale/LANG/LC_MESSAGES/**/*.po`` hold the translations of the book's prose (``book/``, Sphinx's
gettext workflow) and of the exercises (``exercises/``: what students read in the source notebooks,
``scripts/translate_exercises.py``); ``scripts/update-translations`` re-extracts both and merges.
These tests fail when:

- a message is untranslated or fuzzy (a changed English sentence arrives fuzzy or empty after a merge);
- a catalogue lags behind the English text: the messages extracted from the chapters now differ from
  the ``msgid`` of the catalogues (an edited sentence that nobody merged and translated);
- a translation lost or broke what Sphinx resolves or renders: inline math, inline code, roles such as
  ``{glue:text}`` or ``{cite:t}``, and link targets must be the same as in the English message; in
  the exercises, so must every ``{field}`` (an f-string's, in a message the code prints).
"""

from __future__ import annotations

import ast
import re
from collections import Counter
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
LANGUAGES = ("id",)
# What a translation must carry over unchanged: roles with their content, inline code, math (display
# math written inside a paragraph, $$...$$, as a whole), link targets.
PROTECTED = re.compile(r"\{[\w:-]+\}`[^`]*`|`[^`]+`|\$\$[^$]+\$\$|\$[^$]+\$|\]\([^)]*\)")
FIELDS = re.compile(r"\{[^{}]*\}")  # an f-string's fields: an exercise's message runs as code


def _update_translations():
    from importlib.machinery import SourceFileLoader
    from importlib.util import module_from_spec, spec_from_loader

    loader = SourceFileLoader("update_translations", str(ROOT / "scripts" / "update-translations"))
    module = module_from_spec(spec_from_loader("update_translations", loader))
    loader.exec_module(module)
    return module


def catalogues(language: str) -> dict[str, list]:
    """``{page: [message, ...]}`` for one language, header excluded."""
    folder = ROOT / "locale" / language / "LC_MESSAGES"
    result = {}
    for path in sorted(folder.rglob("*.po")):
        with open(path, "rb") as stream:
            catalog = read_po(stream, locale=language)
        result[path.relative_to(folder).with_suffix("").as_posix()] = [message for message in catalog if message.id]
    return result


@pytest.fixture(scope="module")
def extracted(tmp_path_factory) -> dict[str, set[str]]:
    """The messages of the English book as it is now: ``{page: {msgid, ...}}``."""
    templates = _update_translations().extract(tmp_path_factory.mktemp("gettext"))
    return {page: {message.id for message in template if message.id} for page, template in templates.items()}


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_is_translated_and_none_is_fuzzy(language):
    pages = catalogues(language)
    assert pages, f"no catalogues in locale/{language}/LC_MESSAGES"
    problems = [
        f"{page}: {'fuzzy' if message.fuzzy else 'untranslated'}: {message.id[:80]!r}"
        for page, messages in pages.items()
        for message in messages
        if message.fuzzy or not message.string
    ]
    assert not problems, (
        f"{len(problems)} messages of locale/{language} need a translation (translate them and remove "
        "'#, fuzzy'; see locale/id/glossary.md):\n" + "\n".join(problems)
    )


@pytest.mark.parametrize("language", LANGUAGES)
def test_catalogues_are_up_to_date_with_the_english_text(language, extracted):
    pages = {page: {message.id for message in messages} for page, messages in catalogues(language).items()}
    assert set(pages) == set(extracted), f"pages with and without catalogues: {set(pages) ^ set(extracted)}"
    stale = {}
    for page, messages in extracted.items():
        new, gone = messages - pages[page], pages[page] - messages
        if new or gone:
            stale[page] = {
                "new or changed English": sorted(m[:80] for m in new),
                "no longer in the book": sorted(m[:80] for m in gone),
            }
    assert not stale, (
        "the English text changed but its catalogues did not: run scripts/update-translations, then "
        f"translate the new messages: {stale}"
    )


@pytest.mark.parametrize("language", LANGUAGES)
def test_translations_keep_math_code_roles_and_links(language):
    broken = []
    for page, messages in catalogues(language).items():
        for message in messages:
            if not message.string:
                continue
            patterns = (PROTECTED, FIELDS) if page.startswith("exercises/") else (PROTECTED,)
            english, translated = (
                Counter(found for pattern in patterns for found in pattern.findall(message.id)),
                Counter(found for pattern in patterns for found in pattern.findall(message.string)),
            )
            if english != translated:
                broken.append(
                    f"{page}: {message.id[:60]!r}: lost {list((english - translated).elements())}, "
                    f"added {list((translated - english).elements())}"
                )
    assert not broken, "translations that changed math, code, roles or links:\n" + "\n".join(broken)


def test_the_glossary_exists():
    glossary = (ROOT / "locale" / "id" / "glossary.md").read_text()
    for term in (
        "latent space",
        "ruang laten",
        "encoder",
        "reparameterization trick",
        "KL divergence",
        "ELBO",
    ):
        assert term in glossary, f"locale/id/glossary.md does not define {term!r}"


# --------------------------------------------------------------------------- terms, glosses and numbers (the glossary)

GLOSSARY = ROOT / "locale" / "id" / "glossary.md"
# What is not prose: roles with their content, inline code, math, link targets, HTML, emphasis markers.
NOT_PROSE = re.compile(r"\{[\w:-]+\}`[^`]*`|`[^`]+`|\$\$.*?\$\$|\$[^$]+\$|\]\([^)]*\)|<[^>]+>", re.S)
TRANSLATORS = {"t", "in_language"}  # how code calls vae_course.language.t (diffusion checks: in_language)


def _prose(text: str) -> str:
    return NOT_PROSE.sub(" ", text).replace("*", "")


def _glossary_tables() -> list[tuple[list[str], list[list[str]]]]:
    """The glossary's Markdown tables: (header cells, rows of cells), the rule line left out."""
    tables, rows = [], []
    for line in [*GLOSSARY.read_text().splitlines(), ""]:
        if line.startswith("|"):
            rows.append([cell.strip() for cell in line.strip().strip("|").split("|")])
        elif rows:
            tables.append((rows[0], rows[2:]))
            rows = []
    return tables


def glossary() -> tuple[list[tuple[str, str]], set[str], list[tuple[str, str]]]:
    """(term, gloss) of every *First use* form; the phrases the glossary writes; (variant, use instead).

    The tables are told apart by their headers: the terms (with a *First use* column), the variants to
    avoid, and the exercises' terms (English, Indonesian, note: no first use)."""
    tables = _glossary_tables()
    (terms,) = [rows for header, rows in tables if "First use" in header]
    (avoid,) = [rows for header, rows in tables if header[0] == "Avoid"]
    exercises = [row for header, rows in tables if header == ["English", "Bahasa Indonesia", "Note"] for row in rows]
    glosses = [
        (term.strip(), gloss)
        for row in terms
        for term, gloss in re.findall(r"([^,()]+?) \(([^()]*)\)", row[2])
        if not row[1].startswith(term.strip() + " (")  # "batas bawah evidence (ELBO)": the gloss is the term's
    ]
    phrases = {form for row in terms for cell in row[1:3] for form in cell.split(" / ") if form}
    phrases |= {form for row in exercises for form in row[1].split(" / ") if form}
    phrases |= {f"{term} ({gloss})" for term, gloss in glosses}
    return glosses, phrases, [(row[0], row[1]) for row in avoid]


def code_texts() -> dict[str, list[str]]:
    """The Indonesian texts the code writes: ``t(english, indonesian)`` in the chapters' code cells and
    in ``vae_course`` (a formatted value shows as ``{}``), the hints, class names and plot labels."""
    from vae_course import language
    from vae_course.checks.hints import HINTS_ID

    texts = {
        "vae_course/checks/hints.py (HINTS_ID)": list(HINTS_ID.values()),
        "vae_course/language.py (labels)": [*language.PLOT_LABELS_ID.values(), *language.CLASS_NAMES_ID.values()],
    }
    for name, cells in _code_sources().items():
        for source in cells:
            for node in ast.walk(ast.parse(source)):
                func = getattr(node, "func", None)
                if isinstance(node, ast.Call) and getattr(func, "id", getattr(func, "attr", None)) in TRANSLATORS:
                    texts.setdefault(name, []).append(_literal(node.args[1]))
    return texts


def _code_sources() -> dict[str, list[str]]:
    """Python sources: the code cells of each chapter (magics blanked) and each module of ``vae_course``."""
    import jupytext

    sources = {
        path.relative_to(ROOT).as_posix(): [
            "\n".join(
                line[: len(line) - len(line.lstrip())] + "pass" if line.lstrip().startswith(("%", "!")) else line
                for line in cell.source.splitlines()
            )
            for cell in jupytext.read(path).cells
            if cell.cell_type == "code"
        ]
        for path in sorted((ROOT / "book").glob("*.md"))
        if "kernelspec" in path.read_text()
    }
    sources |= {path.relative_to(ROOT).as_posix(): [path.read_text()] for path in (ROOT / "vae_course").rglob("*.py")}
    return sources


def code_pairs() -> dict[str, list[tuple[ast.AST, ast.AST]]]:
    """``(english, indonesian)`` argument nodes of every ``t()`` in the book's code cells and in
    ``vae_course`` outside the checks (whose feedback quotes numbers as Python prints them)."""
    pairs = {}
    for name, cells in _code_sources().items():
        if name.startswith("vae_course/checks/"):
            continue
        for source in cells:
            for node in ast.walk(ast.parse(source)):
                func = getattr(node, "func", None)
                if isinstance(node, ast.Call) and getattr(func, "id", getattr(func, "attr", None)) in TRANSLATORS:
                    pairs.setdefault(name, []).append((node.args[0], node.args[1]))
    return pairs


def _literal(node: ast.AST) -> str:
    """A string expression as text, each formatted value as ``{}`` (its format spec kept: ``{:,}``)."""
    if isinstance(node, ast.Constant):
        return str(node.value)
    if isinstance(node, ast.JoinedStr):
        return "".join(
            value.value
            if isinstance(value, ast.Constant)
            else "{" + (":" + _literal(value.format_spec) if value.format_spec else "") + "}"
            for value in node.values
        )
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):  # "..." + ("..." if ... else "...")
        return _literal(node.left) + _literal(node.right)
    if isinstance(node, ast.IfExp):
        return _literal(node.body) + " | " + _literal(node.orelse)
    if isinstance(node, (ast.List, ast.Tuple)):  # a table's header
        return " | ".join(_literal(element) for element in node.elts)
    return "{}"  # a name or a call: its own t() is found on its own


def indonesian_texts() -> dict[str, list[str]]:
    """Every Indonesian text the course shows: the catalogues' translations and the code's texts."""
    texts = {page: [m.string for m in messages] for page, messages in catalogues("id").items()}
    return texts | code_texts()


def test_the_glossary_lists_the_terms_of_the_issue():
    glossed, phrases, avoided = glossary()
    assert {"dataset", "split", "pengklasifikasi", "tingkat keabuan", "kuliah", "input", "output"} <= phrases
    assert {"loop pelatihan", "pengambilan sampel", "derau"} <= {term for term, _ in glossed}
    assert {"rerata", "celah", "classifier", "keluaran", "masukan", "tingkat abu-abu", "kursus", "data set"} <= {
        variant for variant, _ in avoided
    }


def test_the_indonesian_texts_use_the_glossarys_terms():
    _, phrases, avoided = glossary()
    allowed = re.compile("|".join(re.escape(p) for p in sorted(phrases, key=len, reverse=True)), re.I)
    found = []
    for where, texts in indonesian_texts().items():
        for text in texts:
            prose = allowed.sub(" ", _prose(text))
            for variant, instead in avoided:
                word = re.escape(variant)  # with its reduplication and clitics: celah-celahnya
                if re.search(rf"(?<![\w-]){word}(?:-{word})?(?:nya|lah|kah)?(?![\w-])", prose, re.I):
                    found.append(f"{where}: {variant!r} (write {instead}): {text[:90]!r}")
    assert not found, "terms the glossary (locale/id/glossary.md) avoids:\n" + "\n".join(found)


def first_unglossed_uses(messages: list[str], glossed: list[tuple[str, str]], phrases: set[str]) -> list[str]:
    """For each (term, gloss): the first paragraph of ``messages`` that uses the term before any message
    glosses it. A paragraph is a message of more than six words: headings and labels need no gloss."""
    longer = sorted((p for p in phrases if " " in p), key=len, reverse=True)
    found = []
    for term, gloss in glossed:
        word = re.compile(rf"(?<![\w-]){re.escape(term)}(?![\w-])", re.I)
        for message in messages:
            prose = _prose(message)
            if f"{term} ({gloss}".lower() in prose.lower():
                break
            for phrase in longer:  # a longer term of the glossary that contains this one ("jadwal derau")
                if term.lower() in phrase.lower() and phrase.lower() != term.lower():
                    prose = re.sub(re.escape(phrase), " ", prose, flags=re.I)
            if word.search(prose) and len(prose.split()) > 6:
                found.append(f"{term!r} without ({gloss}): {message[:100]!r}")
                break
    return found


def test_each_chapter_glosses_a_term_where_it_first_uses_it():
    glossed, phrases, _ = glossary()
    found = [
        f"{page}: {problem}"
        for page, messages in catalogues("id").items()
        if page.startswith("book/") and page != "book/references"
        for problem in first_unglossed_uses([m.string for m in messages], glossed, phrases)
    ]
    assert not found, "write the first use of each term in a chapter as the glossary does:\n" + "\n".join(found)


# A number written with a separator, English style (17,900 or 0.1), in prose.
ENGLISH_NUMBER = re.compile(r"(?<![\w.,])(?:\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+\.\d+)(?![\w]|[.,]\d)")
# A formatted value whose format can write a separator: thousands, decimals, exponent, percent.
SEPARATED_SPEC = re.compile(r",|\.[1-9]|[eEgG%]$")


def _indonesian_number(english: str) -> str:
    return english.translate(str.maketrans({",": ".", ".": ","}))


def test_the_indonesian_edition_writes_numbers_the_indonesian_way():
    """17.900 and 0,1 in prose; the same numbers as the English, converted (locale/id/glossary.md)."""
    found = []
    for page, messages in catalogues("id").items():
        for message in messages:
            if message.auto_comments and "markdown" not in message.auto_comments:
                continue  # an exercise's comment, docstring or printed message: code keeps Python's notation
            prose = _prose(message.string)
            for number in ENGLISH_NUMBER.findall(_prose(message.id)):
                if re.search(rf"(?<![\w.,]){re.escape(number)}(?![\w]|[.,]\d)", prose):
                    found.append(f"{page}: {number} (write {_indonesian_number(number)}): {message.string[:80]!r}")
    for where, pairs in code_pairs().items():
        for english, indonesian in pairs:
            text = _literal(indonesian)
            for number in ENGLISH_NUMBER.findall(_literal(english)):
                if re.search(rf"(?<![\w.,]){re.escape(number)}(?![\w]|[.,]\d)", text):
                    found.append(f"{where}: {number} (write {_indonesian_number(number)}): {text[:80]!r}")
            for value in ast.walk(indonesian):
                spec = (
                    _literal(value.format_spec) if isinstance(value, ast.FormattedValue) and value.format_spec else ""
                )
                if SEPARATED_SPEC.search(spec):
                    found.append(f"{where}: {{:{spec}}} (write number(value, {spec!r})): {text[:80]!r}")
            if isinstance(indonesian, ast.Constant) and re.search(r"\{[^{}]*:[^{}]*\}", str(indonesian.value)):
                found.append(f"{where}: a str.format template (write an f-string with number()): {text[:80]!r}")
    assert not found, "numbers in the Indonesian edition are written 17.900 and 0,1:\n" + "\n".join(found)
