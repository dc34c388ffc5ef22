"""The course's language: generated sentences, figure labels and feedback in English or Indonesian.

One variable, ``VAE_COURSE_LANGUAGE`` (``en`` or ``id``; unset means English), picks the words of
everything the course's code writes while it runs:

- the book: its prose is translated by Sphinx's gettext catalogues (``locale/``), but what the
  chapters' code writes (glued sentences and numbers, plot titles, axis labels, legends, alt texts)
  is made while the notebook runs; ``scripts/build-book`` sets the variable for each edition;
- the hidden tests' feedback: the failure messages of :mod:`vae_course.checks` and their named
  hints; the grader's environment sets it (``vae_course.course`` passes it on to the kernels).

Outside a build or a graded run (Colab, Binder, a local Jupyter) the variable is unset and
everything is English. :func:`t` returns the text of the language; :func:`number` writes a number
as that language does (English 17,900.5 and 0.1; Indonesian 17.900,5 and 0,1), and
:func:`localize_numbers` does the same for a figure's tick labels.

The helper lives in the package, not next to the chapters, because Colab opens a chapter alone and
installs only the package.

Example:
    >>> ax.set_xlabel(t("epoch", "epoch"))                                       # doctest: +SKIP
    >>> glue("verdict", Markdown(t("better", "lebih baik")))                      # doctest: +SKIP
    >>> t(f"{n:,} images", f"{number(n, ',')} gambar")                           # doctest: +SKIP
"""

from __future__ import annotations

import functools
import os

LANGUAGE_VARIABLE = "VAE_COURSE_LANGUAGE"  # set by scripts/build-book per edition, by a grader per class
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
    """The language code: ``VAE_COURSE_LANGUAGE``, ``"en"`` when unset.

    Raises:
        ValueError: the variable names a language the course is not written in.
    """
    code = os.environ.get(LANGUAGE_VARIABLE, "en") or "en"
    if code not in LANGUAGES:
        raise ValueError(f"{LANGUAGE_VARIABLE}={code!r}: the course is written in {LANGUAGES} only")
    return code


def t(en: str, id: str) -> str:
    """The text in the course's language: ``en`` in English, ``id`` in Indonesian."""
    return id if language() == "id" else en


_SEPARATORS_ID = str.maketrans({",": ".", ".": ","})  # 17,900.5 -> 17.900,5


def number(value, spec: str = "") -> str:
    """``value`` formatted with ``spec`` (Python's format mini-language), as the language writes numbers.

    English keeps Python's notation (``17,900`` with spec ``","``, ``0.1``); Indonesian swaps the
    separators: a point between thousands and a decimal comma (``17.900``, ``0,1``, ``2,5e-05``).
    Values quoted as code (shapes, printed output, the checks' messages) keep Python's notation.
    """
    return as_written(format(value, spec), language())


def as_written(formatted: str, code: str) -> str:
    """A number as Python formatted it (``"17,900.5"``), written as language ``code`` writes numbers."""
    return formatted.translate(_SEPARATORS_ID) if code == "id" else formatted


def localize_numbers(fig):
    """Write the numbers of ``fig``'s tick labels as the language does (Indonesian 0,5 and 10.000); returns ``fig``.

    Axes that matplotlib labels with its plain number formatter get the same formatter, writing
    in the language; log axes, text labels and fixed labels are left alone. In English, nothing
    changes. ``vae_course.plotting.with_alt`` applies it to every figure it displays.
    """
    code = language()
    if code == "en":
        return fig
    from matplotlib.ticker import ScalarFormatter

    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            formatter = axis.get_major_formatter()
            if type(formatter) is ScalarFormatter:  # keeps its settings (offset, math text, limits)
                formatter.__class__ = _scalar_formatter_in(code)
    return fig


@functools.cache
def _scalar_formatter_in(code: str) -> type:
    """matplotlib's ``ScalarFormatter``, writing its labels as language ``code`` writes numbers."""
    from matplotlib.ticker import ScalarFormatter

    class WrittenScalarFormatter(ScalarFormatter):
        def __call__(self, x, pos=None) -> str:
            return as_written(super().__call__(x, pos), code)

    return WrittenScalarFormatter


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
