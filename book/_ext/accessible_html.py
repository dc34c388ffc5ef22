"""Accessibility fixes for the HTML that docutils and the theme write, checked by axe-core in tests/test_book.py.

The bibliography (``book/references.md``): docutils wraps consecutive citations in
``<div role="list">`` and gives each one ``role="doc-biblioentry"``. DPUB-ARIA 1.1 deprecates that
role, and assistive technologies (and axe-core's ``aria-required-children`` rule, a critical
violation) do not count it as a list item, so the list looks empty. Each citation is written as a
``listitem`` instead; the list and everything else stay as docutils writes them.
"""

from __future__ import annotations

from sphinx.writers.html5 import HTML5Translator

BIBLIOGRAPHY_ENTRY_ROLE = 'role="doc-biblioentry"'


class AccessibleHTML5Translator(HTML5Translator):
    """Sphinx's HTML5 translator, with citations as list items (the theme adds its own mixin on top)."""

    def visit_citation(self, node):
        super().visit_citation(node)
        self.body[-1] = self.body[-1].replace(BIBLIOGRAPHY_ENTRY_ROLE, 'role="listitem"')


def setup(app):
    # pydata-sphinx-theme mixes its Bootstrap translator into whatever translator is registered.
    app.set_translator("html", AccessibleHTML5Translator)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
