"""Chapter 8's latent explorer on the page: the ``latent-explorer`` directive, and its script and style.

In a chapter::

    ```{latent-explorer} map
    ```

``map`` leaves the box of the 2-D map explorer (``conv_vae_2d``), ``sliders`` that of the sliders
around a test image's 12-D code (``conv_vae_12d``). A box is an empty ``<div class="latent-explorer">``,
``hidden`` until ``book/_static/latent-explorer.js`` fills it, so that with scripts off (and in the
other builders) the page reads as before, with its static figures. The box carries the words of its
controls in the edition's language (``data-words``, JSON), chosen with ``vae_course.language.t`` like
every text the book's code generates; the script and its stylesheet are added to the pages that hold
a box, and to no other page. The script loads the decoders and the data that ``scripts/build-book``
exports into ``_static/latent-explorer/`` (``book/_ext/browser_decoders.py``).
"""

from __future__ import annotations

import html
import importlib.util
import json
from pathlib import Path

from docutils import nodes
from sphinx.errors import ExtensionError
from sphinx.util.docutils import SphinxDirective

ROOT = Path(__file__).resolve().parents[2]
SCRIPT, STYLESHEET = "latent-explorer.js", "latent-explorer.css"  # in book/_static (html_static_path)
MODELS = {"map": "conv_vae_2d", "sliders": "conv_vae_12d"}  # the kinds of box, and the model each decodes with

# The controls' words: (English, Indonesian), terms from locale/id/glossary.md. {name} fields are
# filled in by the script.
WORDS = {
    "map": {
        "map": ("Map of the test images' 2-D codes, one colour per class. Move over it to decode a point; click two points to interpolate between them.",
                "Peta kode 2-D gambar uji, satu warna per kelas. Gerakkan penunjuk di atasnya untuk men-decode sebuah titik; klik dua titik untuk interpolasi di antaranya."),
        "keys": ("Keys: arrows move the point (with Shift, faster), Home brings it back to the centre, Enter or Space picks it, Escape clears the picks.",
                 "Tombol: panah menggerakkan titik (dengan Shift, lebih cepat), Home mengembalikannya ke pusat, Enter atau Spasi memilihnya, Escape menghapus pilihan."),
        "image": ("The image decoded from the code z", "Gambar hasil decode dari kode z"),
        "position": ("z = ({z1}, {z2}), nearest test image: {name}", "z = ({z1}, {z2}), gambar uji terdekat: {name}"),
        "legend": ("Classes", "Kelas"),
        "interpolation": ("Interpolation", "Interpolasi"),
        "linear": ("linear", "linear"),
        "spherical": ("spherical", "sferis"),
        "play": ("Play again", "Putar lagi"),
        "clear": ("Clear the points", "Hapus titik"),
        "start": ("Start at z = ({z1}, {z2}); pick the end point.", "Awal di z = ({z1}, {z2}); pilih titik akhir."),
        "playing": ("{method} interpolation from ({a1}, {a2}) to ({b1}, {b2})", "Interpolasi {method} dari ({a1}, {a2}) ke ({b1}, {b2})"),
        "path": ("Images along the path", "Gambar sepanjang lintasan"),
    },
    "sliders": {
        "choose": ("Test image", "Gambar uji"),
        "option": ("{name} (test image {index})", "{name} (gambar uji {index})"),
        "original": ("original", "asli"),
        "decoded": ("decoded", "hasil decode"),
        "reset": ("Back to the image's own code", "Kembali ke kode gambar itu"),
        "offset": ("offset added to the image's μ", "pergeseran dari μ gambar itu"),
        "kl": ("KL of this image (nats)", "KL gambar ini (nat)"),
        "slider": ("Offset of z{d} from the image's own value {mu}", "Pergeseran z{d} dari nilai gambar itu sendiri {mu}"),
        "kl_title": ("KL in dimension {d}: {kl} nats for this image, {mean} nats on average over the test set",
                     "KL pada dimensi {d}: {kl} nat untuk gambar ini, rata-rata {mean} nat pada set uji"),
    },
    "common": {
        "loading": ("Loading the decoder…", "Memuat decoder…"),
        "error": ("The explorer could not start: {error}", "Penjelajah tidak dapat dimulai: {error}"),
    },
}  # fmt: skip


def book_language():
    """``vae_course/language.py``, loaded alone: importing the package would load PyTorch into Sphinx."""
    spec = importlib.util.spec_from_file_location("vae_course_book_language", ROOT / "vae_course" / "language.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def box_words(kind: str, language) -> dict:
    """The words of a box of ``kind`` in the edition's language, and the class names by their English name."""
    words = {key: language.t(en, id) for key, (en, id) in {**WORDS["common"], **WORDS[kind]}.items()}
    words["classes"] = {name: language.class_label(name) for name in language.CLASS_NAMES_ID}
    return words


class LatentExplorer(SphinxDirective):
    """``{latent-explorer} map`` or ``{latent-explorer} sliders``: the box that the script fills."""

    required_arguments = 1

    def run(self) -> list[nodes.Node]:
        kind = self.arguments[0]
        if kind not in MODELS:
            raise self.error(f"latent-explorer: the kind is one of {sorted(MODELS)}, not {kind!r}")
        language = book_language()
        if language.language() != (self.config.language or "en"):
            raise ExtensionError(
                f"latent-explorer: the edition is {self.config.language!r} but {language.LANGUAGE_VARIABLE} says "
                f"{language.language()!r}; build with scripts/build-book"
            )
        words = html.escape(json.dumps(box_words(kind, language), ensure_ascii=False))
        box = (
            f'<div class="latent-explorer" data-kind="{kind}" data-model="{MODELS[kind]}" '
            f'data-words="{words}" hidden></div>'
        )
        node = nodes.raw("", box, format="html")
        node["latent_explorer"] = kind  # marks the page for add_assets
        return [node]


def add_assets(app, pagename, templatename, context, doctree) -> None:
    """The script and the stylesheet, on the pages that hold an explorer only."""
    if doctree is not None and any(node.get("latent_explorer") for node in doctree.findall(nodes.raw)):
        app.add_css_file(STYLESHEET)
        app.add_js_file(SCRIPT, loading_method="defer")


def setup(app):
    app.add_directive("latent-explorer", LatentExplorer)
    app.connect("html-page-context", add_assets)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
