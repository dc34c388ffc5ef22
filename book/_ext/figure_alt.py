"""Alt text for the figures that the chapters' code draws: from the output's metadata to the ``<img>``.

myst-nb takes an image's alt text only from the cell's metadata (``mystnb: image: alt:``), one fixed
English string that the Indonesian edition cannot translate and that cannot state a computed number.
The chapters instead end a figure cell with ``vae_course.plotting.with_alt(fig, t(english, indonesian))``,
which writes the alt text, in the edition's language, into the output's metadata
(``{"image/png": {"alt": ...}}``); this extension copies it onto the image node. An alt text given in the
cell's metadata still wins.
"""

from __future__ import annotations

from docutils import nodes
from myst_nb.core.render import NbElementRenderer


def _with_output_alt(render_image):
    def render_image_with_alt(self, data):
        rendered = render_image(self, data)
        alt = data.output_metadata.get(data.mime_type, {}).get("alt")
        for node in rendered:
            if alt and isinstance(node, nodes.image) and not node.get("alt"):
                node["alt"] = str(alt)
        return rendered

    return render_image_with_alt


def setup(app):
    NbElementRenderer.render_image = _with_output_alt(NbElementRenderer.render_image)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
