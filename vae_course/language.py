"""The language of the book's edition: generated sentences and figure labels in English or Indonesian.

The book is built once per language (``scripts/build-book``). Its prose is translated by Sphinx's
gettext catalogues (``locale/``), but what the chapters' code writes (glued sentences, plot titles,
axis labels, legends) is made while the notebook runs, so the code picks its words itself: the build
sets ``VAE_COURSE_BOOK_LANGUAGE`` for each edition, and :func:`t` returns the text of that language.
Outside a build (Colab, Binder, a local Jupyter) the variable is unset and everything is English.

The helper lives in the package, not next to the chapters, because Colab opens a chapter alone and
installs only the package.

Example:
    >>> ax.set_xlabel(t("epoch", "epoch"))                      # doctest: +SKIP
    >>> glue("verdict", Markdown(t("better", "lebih baik")))     # doctest: +SKIP
"""

from __future__ import annotations

import os

LANGUAGE_VARIABLE = (
    "VAE_COURSE_BOOK_LANGUAGE"  # set by scripts/build-book for each edition
)
LANGUAGES = ("en", "id")  # English (the source) and Indonesian

# Words that vae_course.plotting draws itself (axis labels, legends, class names), in Indonesian.
# localize() replaces them in a finished figure; the chapters translate their own labels with t().
PLOT_LABELS_ID = {
    "epoch": "epoch",
    "train": "pelatihan",
    "validation": "validasi",
    "value of the traversed dimension": "nilai dimensi yang ditelusuri",
    "negative ELBO": "ELBO negatif",
    "KL": "KL",
    "nats per image": "nat per gambar",
    "original": "asli",
    "reconstruction": "rekonstruksi",
}

# vae_course.data.CLASS_NAMES in Indonesian (the glossary, locale/id/glossary.md, lists them).
CLASS_NAMES_ID = {
    "T-shirt/top": "Kaus/atasan",
    "Trouser": "Celana panjang",
    "Pullover": "Sweter",
    "Dress": "Gaun",
    "Coat": "Mantel",
    "Sandal": "Sandal",
    "Shirt": "Kemeja",
    "Sneaker": "Sepatu kets",
    "Bag": "Tas",
    "Ankle boot": "Sepatu bot",
}


def language() -> str:
    """The edition's language code: ``VAE_COURSE_BOOK_LANGUAGE``, ``"en"`` when unset.

    Raises:
        ValueError: the variable names a language the book has no edition in.
    """
    code = os.environ.get(LANGUAGE_VARIABLE, "en") or "en"
    if code not in LANGUAGES:
        raise ValueError(
            f"{LANGUAGE_VARIABLE}={code!r}: the book has editions in {LANGUAGES} only"
        )
    return code


def t(en: str, id: str) -> str:
    """The text in the edition's language: ``en`` in English, ``id`` in Indonesian."""
    return id if language() == "id" else en


def class_label(name: str) -> str:
    """A Fashion-MNIST class name (one of ``CLASS_NAMES``) in the edition's language."""
    return t(name, CLASS_NAMES_ID[name])


def localize(fig):
    """Translate, in place, the labels that ``vae_course.plotting`` drew on ``fig``; returns ``fig``.

    Every text of the figure (titles, axis labels, tick labels, legend entries) that is a known plot
    label or class name gets its Indonesian form; any other text is left alone. In English, nothing
    changes.
    """
    if language() == "en":
        return fig
    from matplotlib.text import Text

    words = {**PLOT_LABELS_ID, **CLASS_NAMES_ID}
    for text in fig.findobj(Text):
        if text.get_text() in words:
            text.set_text(words[text.get_text()])
    return fig
