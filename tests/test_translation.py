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
