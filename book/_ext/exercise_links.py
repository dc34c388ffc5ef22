"""Each edition links the exercises in its own language: the Indonesian one, ``exercises-id/``.

The chapters link their exercise on GitHub and in Colab, e.g.
``[`exercises/02_reparameterization/02_reparameterization.ipynb`](https://github.com/.../blob/main/exercises/...)``.
A translated paragraph keeps the English link targets (``tests/test_translation.py`` insists), so this
extension rewrites them once the page is translated: in an edition whose language has its own release
(``vae_course.course.exercise_folders``; nbgrader generates ``exercises-id/`` from the translated
sources), every link to a notebook under ``exercises/`` of a repository, and the link's text when it
names that path, point at the same notebook in that release. The English edition is left alone.
"""

from __future__ import annotations

import re

from docutils import nodes

from vae_course.course import CLASS_LANGUAGES, exercise_folders

ENGLISH_RELEASE = exercise_folders("en")[1]  # exercises
# A notebook of the English release, in a link (.../blob/BRANCH/exercises/NN_name/NN_name.ipynb) or as
# the path that a link's text shows.
IN_LINK = re.compile(rf"(?P<before>/blob/[^/]+/){ENGLISH_RELEASE}/(?P<notebook>[\w-]+/[\w-]+\.ipynb)")
AS_TEXT = re.compile(rf"{ENGLISH_RELEASE}/(?P<notebook>[\w-]+/[\w-]+\.ipynb)")


def localized(text: str, language: str, pattern: re.Pattern = IN_LINK) -> str:
    """``text`` with every exercise notebook of the English release moved to ``language``'s release."""
    if language not in CLASS_LANGUAGES or language == "en":
        return text
    release = exercise_folders(language)[1]
    return pattern.sub(lambda match: f"{match.groupdict().get('before') or ''}{release}/{match['notebook']}", text)


def localize_exercise_links(app, doctree: nodes.document, docname: str) -> None:
    language = app.config.language
    for reference in doctree.findall(nodes.reference):
        uri = reference.get("refuri", "")
        if not IN_LINK.search(uri):
            continue
        reference["refuri"] = localized(uri, language)
        for text in list(reference.findall(nodes.Text)):
            if AS_TEXT.fullmatch(text.astext()):
                text.parent.replace(text, nodes.Text(localized(text.astext(), language, AS_TEXT)))


def setup(app):
    app.connect("doctree-resolved", localize_exercise_links)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
