"""Glue roles inside translated text: the Indonesian edition's paragraphs keep their generated numbers.

Sphinx translates a paragraph by parsing its ``msgstr`` as a small document of its own (the i18n
``Locale`` transform). myst-nb's glue roles (``{glue:text}``, ``{glue:md}``) look their value up in
the notebook that the page's parser executed; that small document has no notebook, so every glued
number of a translated paragraph would fail ("No key ... found in glue data").

This extension lets those lookups fall back to the page's own glue data, which myst-nb writes next to
the executed notebook (``jupyter_execute/PAGE.glue.json``), the data it uses for ``path::key``.
``{glue:md}`` values are inserted as plain text and inline math (``$D$``): the chapters glue plain
sentences and words; a value with other Markdown markup is refused with a warning (a failure in the
strict build).

It also writes glued numbers as the edition's language does (``locale/id/glossary.md``): in the
Indonesian edition, ``{glue:text}`n_train:,``` has a point between thousands (60.000) and
``{glue:text}`mean_pixel:.3f``` a decimal comma, in every paragraph, translated or not
(``vae_course.language.as_written``). Glued text that is not a
number, and ``{glue:md}`` sentences (which the chapters' code writes in the language already), stay
as they are.
"""

from __future__ import annotations

import re
from ast import literal_eval
from types import SimpleNamespace

from docutils import nodes
from myst_nb.core.render import NbElementRenderer
from myst_nb.ext.glue import crossref, directives, roles
from myst_nb.ext.glue.crossref import read_glue_cache
from myst_nb.ext.glue.utils import RetrievalError, VariableOutput

MARKUP = re.compile(r"[*_`$\[\]<>\\]")  # what plain-text insertion would show literally
INLINE_MATH = re.compile(r"\$([^$\n]+)\$")  # $D$: the one markup the chapters' glued sentences use


class _PlainInlineMarkdown:
    """Stands in for myst-nb's element renderer: renders glued Markdown (plain text and inline math)."""

    renderer = SimpleNamespace(nb_config=SimpleNamespace(cell_metadata_key="mystnb"))

    def render_markdown_inline(self, mime) -> list[nodes.Node]:
        pieces = INLINE_MATH.split(mime.content)  # text, math, text, math, ..., text
        if any(MARKUP.search(text) for text in pieces[::2]):
            raise RetrievalError(f"glued Markdown with markup cannot be translated: {mime.content!r}")
        rendered: list[nodes.Node] = []
        for index, piece in enumerate(pieces):
            if index % 2:
                rendered.append(nodes.math(piece, piece))
            elif piece:
                rendered.append(nodes.Text(piece))
        return rendered


def _with_page_fallback(retrieve):
    def retrieve_glue_data(document: nodes.document, key: str) -> VariableOutput:
        try:
            return retrieve(document, key)
        except RetrievalError:
            env = getattr(document.settings, "env", None)
            if env is None or "<translated>" not in str(document.get("source", "")):
                raise  # not a translated message: myst-nb's own error stands
            data = read_glue_cache(env.mystnb_config.output_folder, env.docname)
            if key not in data:
                raise
            renderer = document.get("nb_renderer")
            if not isinstance(renderer, NbElementRenderer):
                renderer = _PlainInlineMarkdown()
            return VariableOutput(
                data=data[key]["data"],
                metadata=data[key].get("metadata", {}),
                nb_renderer=renderer,
                vtype="glue",
            )

    return retrieve_glue_data


def _as_the_edition_writes(format_plain_text, app):
    """myst-nb's ``format_plain_text``, with numbers written in the language of the edition being built."""
    from vae_course.language import as_written

    def format_number(text: str, fmt_spec: str) -> str:
        formatted = format_plain_text(text, fmt_spec)
        try:
            value = literal_eval(text)
        except (SyntaxError, ValueError):
            return formatted
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return formatted
        return as_written(formatted, app.config.language or "en")

    return format_number


def setup(app):
    roles.retrieve_glue_data = _with_page_fallback(roles.retrieve_glue_data)
    directives.retrieve_glue_data = _with_page_fallback(directives.retrieve_glue_data)
    roles.format_plain_text = _as_the_edition_writes(roles.format_plain_text, app)
    crossref.format_plain_text = _as_the_edition_writes(crossref.format_plain_text, app)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
