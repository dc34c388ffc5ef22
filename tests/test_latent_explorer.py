"""Chapter 8's latent explorer: the shipped decoders, run in the reader's browser, and a reader using them.

Fast: the export (``book/_ext/browser_decoders.py``) writes safetensors files that read back to the
checkpoint's tensors, describes the decoder's layers, refuses a layer the browser cannot run, and
catches a file that does not decode as the checkpoint does.

Slow (the built book, ``scripts/build-book``; Debian's Chromium under Playwright, offline):

1. For random codes, ``window.vaeExplorer.decode`` gives the pixels PyTorch gives (within 1e-4), for
   both models; the test prints the time per decode in Chromium and the bytes the explorer adds to
   the page's download.
2. In both editions, on a desktop and on a phone's 390 px: the map is drawn, its legend names the
   classes in the edition's language, a pointer (or a finger) over the map decodes that point, the
   keyboard moves the point and picks two, the interpolation plays (linear, then spherical) and ends
   on the image the library decodes there; the sliders move one latent dimension each, by mouse or
   keyboard, and show the KL the library computes; nothing sticks out at 390 px, no request leaves
   the site and no script fails.
3. With scripts off, the explorer stays hidden and the chapter's static figures are there.
"""

from __future__ import annotations

import sys
import time
import urllib.parse
from contextlib import contextmanager
from pathlib import Path

import pytest
import torch
from browser_support import keep_on_failure, offline_context
from playwright.sync_api import expect
from test_book import KNOWN_THEME_EXCEPTIONS  # the theme's own, on every page
from torch import nn

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "book" / "_ext"))
import browser_decoders  # noqa: E402 (book/_ext is the book's extension folder, not a package)

PAGE = "book/08_latent_space.html"
EDITIONS = ("en", "id")
VIEWPORTS = {"desktop": {"viewport": {"width": 1280, "height": 900}}, "phone": {
    "viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}}  # fmt: skip
TOLERANCE = 1e-4  # the browser's pixels against PyTorch's
RANDOM_CODES = 16  # per model, scaled to reach beyond the prior's usual range
TIMED_DECODES = 100  # per model, for the printed time per decode
# What each edition's explorer says: a class name of the legend, and the button that replays the interpolation.
WORDS = {"en": ("Sneaker", "Play again"), "id": ("Sepatu kets", "Putar lagi")}


# ---- the export (fast) ----


def _small_decoder(latent_dim: int = 3) -> nn.Module:
    """A stand-in with a ConvVAE-shaped decoder: Linear, ReLU, Unflatten, ConvTranspose2d, Sigmoid."""
    torch.manual_seed(0)
    model = nn.Module()
    model.latent_dim = latent_dim
    model.decoder = nn.Sequential(
        nn.Linear(latent_dim, 2 * 7 * 7), nn.ReLU(), nn.Unflatten(1, (2, 7, 7)),
        nn.ConvTranspose2d(2, 3, kernel_size=4, stride=2, padding=1), nn.ReLU(),
        nn.ConvTranspose2d(3, 1, kernel_size=4, stride=2, padding=1), nn.Sigmoid(),
    )  # fmt: skip
    model.decode = model.decoder
    return model


def test_safetensors_files_read_back_exactly(tmp_path):
    tensors = {
        "weights": torch.randn(3, 4, generator=torch.Generator().manual_seed(0)),
        "labels": torch.tensor([0, 9, 255], dtype=torch.uint8),
        "indices": torch.tensor([7, -1], dtype=torch.int32),
    }
    size = browser_decoders.write_safetensors(tmp_path / "x.safetensors", tensors, {"note": "kept"})
    raw = (tmp_path / "x.safetensors").read_bytes()
    assert size == len(raw) and int.from_bytes(raw[:8], "little") % 8 == 0, "the data must start 8-byte aligned"
    read, metadata = browser_decoders.read_safetensors(tmp_path / "x.safetensors")
    assert metadata == {"note": "kept"}
    assert read.keys() == tensors.keys()
    for name, tensor in tensors.items():
        assert read[name].dtype == tensor.dtype and torch.equal(read[name], tensor), name
    with pytest.raises(TypeError, match="float64"):
        browser_decoders.write_safetensors(tmp_path / "y.safetensors", {"x": torch.zeros(2, dtype=torch.float64)}, {})


def test_decoder_layers_describe_the_decoder_in_order():
    layers, tensors = browser_decoders.decoder_layers(_small_decoder().decoder)
    assert [layer["op"] for layer in layers] == [
        "linear", "relu", "reshape", "conv_transpose2d", "relu", "conv_transpose2d", "sigmoid",
    ]  # fmt: skip
    assert layers[2]["shape"] == [2, 7, 7]
    assert (layers[3]["stride"], layers[3]["padding"]) == (2, 1)
    assert sorted(tensors) == ["0.bias", "0.weight", "3.bias", "3.weight", "5.bias", "5.weight"]


@pytest.mark.parametrize(
    "layer",
    [nn.Conv2d(1, 1, 3), nn.ConvTranspose2d(2, 2, 4, stride=2, padding=1, output_padding=1), nn.Tanh()],
    ids=["conv", "output_padding", "tanh"],
)
def test_decoder_layers_refuse_what_the_browser_cannot_run(layer):
    with pytest.raises(ValueError, match="browser"):
        browser_decoders.decoder_layers(nn.Sequential(nn.Linear(2, 4), layer))


def test_exported_decoder_is_checked_against_the_model(tmp_path):
    model, path = _small_decoder(), tmp_path / "decoder.safetensors"
    browser_decoders.export_decoder(model, "small", path)
    browser_decoders.check_decoder_file(model, path)  # the file decodes exactly as the model

    tensors, metadata = browser_decoders.read_safetensors(path)
    tensors["5.bias"] += 1e-3  # a file that decodes differently
    browser_decoders.write_safetensors(path, tensors, metadata)
    with pytest.raises(RuntimeError, match="differ"):
        browser_decoders.check_decoder_file(model, path)


# ---- the explorer in the built book (slow) ----


@contextmanager
def _chapter(chromium, server, request, language="en", screen="desktop", responses=None, **options):
    """Chapter 8 of an edition in a new offline tab; yields ``(page, guard)``; keeps a trace on failure.

    ``responses``: a dict that receives ``{url: bytes of its body}`` of every response, from the first.
    """
    with offline_context(chromium, [server], **{**VIEWPORTS[screen], **options}) as (context, guard):
        with keep_on_failure(context, request):
            page = context.new_page()
            if responses is not None:
                page.on("response", lambda response: responses.__setitem__(response.url, len(response.body())))
            page.goto(server + f"{language}/{PAGE}", wait_until="load")
            yield page, guard
            assert not guard.blocked, f"requests that would leave the site: {guard.blocked}"
            exceptions = [e for e in guard.exceptions if not any(known in e for known in KNOWN_THEME_EXCEPTIONS)]
            assert not exceptions, f"JavaScript exceptions: {exceptions}"


def _start(page, kind: str):
    """Scroll the explorer of ``kind`` into view (it starts there) and wait until it is ready."""
    box = page.locator(f".latent-explorer[data-kind={kind}]")
    box.scroll_into_view_if_needed()
    page.wait_for_selector(f".latent-explorer[data-kind={kind}][data-state=ready]", timeout=60_000)
    return box


def _pixels(canvas) -> list[int]:
    """The grey levels of a 28 x 28 canvas (its red channel)."""
    return canvas.evaluate(
        "c => Array.from(c.getContext('2d').getImageData(0, 0, 28, 28).data.filter((_, i) => i % 4 === 0))"
    )


def _grey_levels(pixels: torch.Tensor) -> torch.Tensor:
    """What the page draws for pixels in [0, 1]: dark ink on white, 0 to 255."""
    return (255 * (1 - pixels.flatten())).round()


def _count(box, what: str) -> int:
    """How many images the explorer decoded (``decodes``) or interpolations it started (``plays``)."""
    return int(box.get_attribute(f"data-{what}") or 0)


def _wait_for_count(page, box, what: str, more_than: int) -> None:
    page.wait_for_function(
        "([box, what, n]) => Number(box.dataset[what] || 0) > n", arg=[box.element_handle(), what, more_than]
    )


def _wait_for_image(canvas, expected: torch.Tensor, timeout_s: float = 10.0) -> None:
    """Wait until ``canvas`` shows ``expected`` grey levels (within one level); fail with the difference."""
    deadline, difference = time.monotonic() + timeout_s, None
    while time.monotonic() < deadline:
        difference = (torch.tensor(_pixels(canvas), dtype=torch.float32) - expected).abs().max().item()
        if difference <= 1:
            return
        time.sleep(0.1)
    raise AssertionError(f"the page's image differs from the library's decode by {difference:.0f} grey levels")


@pytest.fixture(scope="module")
def models():
    from vae_course import load_or_train

    return {name: load_or_train(name)[0].eval() for name in browser_decoders.MODELS}


@pytest.fixture(scope="module")
def test_set():
    from vae_course import load_fashion_mnist

    return load_fashion_mnist("test")


@pytest.mark.slow
def test_browser_decodes_as_pytorch(chromium, server, request, models, capsys):
    from vae_course import interpolate

    sizes: dict[str, int] = {}
    with _chapter(chromium, server, request, responses=sizes) as (page, guard):
        for name, model in models.items():
            codes = 2 * torch.randn(RANDOM_CODES, model.latent_dim, generator=torch.Generator().manual_seed(0))
            with torch.no_grad():
                expected = model.decode(codes).flatten(start_dim=1)  # (N, 784)
            actual = torch.tensor(page.evaluate(
                "async ([name, codes]) => { const images = []; for (const code of codes) images.push(Array.from(await vaeExplorer.decode(name, code))); return images; }",
                [name, codes.tolist()],
            ))  # fmt: skip
            assert actual.shape == expected.shape
            difference = (actual - expected).abs().max().item()
            assert difference <= TOLERANCE, f"{name}: the browser's pixels differ from PyTorch's by {difference:.2e}"
            with capsys.disabled():
                print(
                    f"\nlatent explorer: {name} in Chromium: largest difference from PyTorch {difference:.1e}", end=""
                )
        ends = torch.tensor([[0.5, -1.0, 0.2], [-1.5, 0.3, 2.0]])  # two codes, 3-D
        for method in ("linear", "spherical"):
            expected = interpolate(*ends, 7, method=method)  # (7, 3)
            actual = torch.tensor(page.evaluate(
                "([a, b, method]) => [0, 1, 2, 3, 4, 5, 6].map(i => vaeExplorer.interpolate(a, b, i / 6, method))",
                [*ends.tolist(), method],
            ), dtype=torch.float64)  # fmt: skip
            torch.testing.assert_close(actual, expected.double(), rtol=0, atol=1e-6)  # the library's is float32
        timings = _time_decodes(page)
        for kind in ("map", "sliders"):
            _start(page, kind)
    files = {urllib.parse.urlsplit(url).path.rsplit("/_static/", 1)[-1]: size for url, size in sizes.items()}
    explorer = {file: size for file, size in files.items() if file.startswith("latent-explorer")}
    assert {"latent-explorer.js", "latent-explorer.css"} <= explorer.keys(), explorer
    with capsys.disabled():
        for name, (wall, cpu) in timings.items():
            print(f"\nlatent explorer: {name}: {wall:.2f} ms per decode ({cpu:.2f} ms of main-thread CPU), "
                  f"mean of {TIMED_DECODES} in headless Chromium (times on a shared machine are loose)", end="")  # fmt: skip
        print(f"\nlatent explorer: the page downloads {sum(explorer.values()):,} bytes more: "
              + ", ".join(f"{file.rsplit('/', 1)[-1]} {size:,}" for file, size in sorted(explorer.items())))  # fmt: skip


def _time_decodes(page) -> dict[str, tuple[float, float]]:
    """``{model: (wall ms, main-thread CPU ms)}`` per decode of random codes, after a warm-up."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("Performance.enable")

    def thread_seconds() -> float:
        return next(m["value"] for m in cdp.send("Performance.getMetrics")["metrics"] if m["name"] == "ThreadTime")

    timings = {}
    for name, latent_dim in (("conv_vae_2d", 2), ("conv_vae_12d", 12)):
        script = f"""async () => {{
            const code = () => Array.from({{length: {latent_dim}}}, () => 4 * Math.random() - 2);
            for (let i = 0; i < 20; i++) await vaeExplorer.decode("{name}", code());
            const start = performance.now();
            for (let i = 0; i < {TIMED_DECODES}; i++) await vaeExplorer.decode("{name}", code());
            return (performance.now() - start) / {TIMED_DECODES};
        }}"""  # fmt: skip
        before = thread_seconds()
        wall = page.evaluate(script)
        timings[name] = (wall, (thread_seconds() - before) * 1000 / (TIMED_DECODES + 20))
    return timings


@pytest.mark.slow
@pytest.mark.parametrize("screen", VIEWPORTS)
@pytest.mark.parametrize("language", EDITIONS)
def test_map_explorer(chromium, server, request, language, screen, models):
    from vae_course import interpolate

    class_name, replay = WORDS[language]
    with _chapter(chromium, server, request, language, screen) as (page, guard):
        box = _start(page, "map")
        canvas, image = box.locator("canvas.lx-map"), box.locator("canvas.lx-image")

        coloured = canvas.evaluate("""c => { const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data; let n = 0;
            for (let i = 0; i < d.length; i += 4) if (Math.max(d[i], d[i+1], d[i+2]) - Math.min(d[i], d[i+1], d[i+2]) > 60) n++; return n; }""")  # fmt: skip
        assert coloured > 2000, f"the map shows {coloured} coloured pixels: the test codes are not drawn"
        legend = box.locator(".lx-legend li").all_text_contents()
        assert len(legend) == 10 and class_name in legend, f"{language}: legend {legend}"
        assert replay in box.inner_text(), f"{language}: the controls are not in the edition's language"

        # A pointer (a finger on the phone) over the map decodes where it is.
        before, count = _pixels(image), _count(box, "decodes")
        size = canvas.bounding_box()
        spot = {"x": 0.25 * size["width"], "y": 0.7 * size["height"]}
        canvas.tap(position=spot) if screen == "phone" else canvas.hover(position=spot)
        _wait_for_count(page, box, "decodes", count)
        assert _pixels(image) != before, "moving over the map did not change the decoded image"

        # The keyboard: Escape clears a picked point (the phone's tap picked one), Home returns to the
        # origin, arrows move the point, Enter picks the start and the end, and the path plays.
        position = box.locator(".lx-position")
        canvas.focus()
        page.keyboard.press("Escape")
        page.keyboard.press("Home")
        expect(position).to_contain_text("(0.00, 0.00)")
        for key in ["ArrowRight"] * 5:
            page.keyboard.press(key)
        expect(position).to_contain_text("(0.50, 0.00)")
        page.keyboard.press("Enter")
        for key in ["Shift+ArrowUp"] * 2 + ["ArrowLeft"] * 10:
            page.keyboard.press(key)
        expect(position).to_contain_text("(-0.50, 1.00)")
        with torch.no_grad():
            end = _grey_levels(models["conv_vae_2d"].decode(torch.tensor([[-0.5, 1.0]])))
        for method in ("linear", "spherical"):
            plays, decodes = _count(box, "plays"), _count(box, "decodes")
            if method == "linear":
                page.keyboard.press("Enter")  # the end point: the interpolation plays
            else:
                box.locator("input[value=spherical]").check()  # plays again, along the great circle
            _wait_for_count(page, box, "plays", plays)
            page.wait_for_selector(".latent-explorer[data-kind=map][data-state=ready]", timeout=30_000)
            assert _count(box, "decodes") >= decodes + 3, f"{method}: the interpolation did not play"
            expect(position).to_contain_text("(-0.50, 1.00)")  # it ends at the end point...
            _wait_for_image(image, end)  # ...on the image the library decodes there
            path = interpolate(torch.tensor([0.5, 0.0]), torch.tensor([-0.5, 1.0]), 10, method=method)  # (10, 2)
            with torch.no_grad():
                expected = _grey_levels(models["conv_vae_2d"].decode(path)).view(10, -1)  # (10, 784)
            strip = torch.tensor([_pixels(thumb) for thumb in box.locator(".lx-strip canvas").all()])  # (10, 784)
            assert strip.shape == expected.shape, "the strip of images along the path is missing"
            assert (strip - expected).abs().max() <= 1, f"the strip is not the library's {method} interpolation"
        assert box.locator("button", has_text=replay).is_enabled()

        _assert_fits(page, box, screen)


def _assert_fits(page, box, screen: str) -> None:
    """Nothing in the explorer sticks out of it, the explorer fits the article's column, the page no wider than the screen."""
    report = box.evaluate("""box => {
        const edge = box.getBoundingClientRect(), column = box.closest('article').getBoundingClientRect();
        const out = [...box.querySelectorAll('*')].filter(el => { const r = el.getBoundingClientRect();
            return r.width > 0 && (r.right > edge.right + 1 || r.left < edge.left - 1); }).map(el => el.tagName + '.' + el.className);
        return {out, box: [edge.left, edge.right], column: [column.left, column.right],
                sideways: document.documentElement.scrollWidth > document.documentElement.clientWidth + 1};
    }""")  # fmt: skip
    assert not report["out"], f"{screen}: sticking out of the explorer: {report['out']}"
    assert report["column"][0] - 1 <= report["box"][0] and report["box"][1] <= report["column"][1] + 1, report
    assert not report["sideways"], f"{screen}: the page is wider than the screen"


@pytest.mark.slow
@pytest.mark.parametrize("screen", VIEWPORTS)
@pytest.mark.parametrize("language", EDITIONS)
def test_sliders_explorer(chromium, server, request, language, screen, models, test_set):
    from vae_course import kl_per_dimension

    model = models["conv_vae_12d"]
    with _chapter(chromium, server, request, language, screen) as (page, guard):
        box = _start(page, "sliders")
        sliders, decoded = box.locator("input[type=range]"), box.locator("canvas.lx-image").nth(1)
        assert sliders.count() == model.latent_dim
        index = int(box.locator("select option:checked").inner_text().rstrip(")").split()[-1])
        assert index == 0, "the explorer opens on the chapter's ankle boot, test image 0"
        assert WORDS[language][0] in box.locator("select").inner_text()  # the options name the classes

        with torch.no_grad():
            mu, logvar = model.encode(test_set.images[[index]])  # (1, 12) each
        kl = kl_per_dimension(mu, logvar)[0]  # (12,)
        shown = [float(text) for text in box.locator(".lx-kl-value").all_text_contents()]
        assert shown == pytest.approx(kl.tolist(), abs=0.006), "the KL beside the sliders is not the library's"

        # The keyboard moves a slider, and the image follows; then a second slider, moved by the mouse.
        count = _count(box, "decodes")
        sliders.nth(0).focus()
        for _ in range(5):
            page.keyboard.press("ArrowRight")
        _wait_for_count(page, box, "decodes", count)
        strongest = 1 + int(kl[1:].argmax())  # the dimension with the largest KL after the first
        slider = sliders.nth(strongest)
        slider.scroll_into_view_if_needed()
        size = slider.bounding_box()
        slider.click(position={"x": size["width"] - 2, "y": size["height"] / 2})  # the far right: +3
        assert float(sliders.nth(0).input_value()) == pytest.approx(0.5)
        assert float(slider.input_value()) == pytest.approx(3.0)
        offsets = torch.zeros(model.latent_dim)
        offsets[0], offsets[strongest] = 0.5, 3.0
        with torch.no_grad():
            _wait_for_image(decoded, _grey_levels(model.decode(mu + offsets)))

        before = _pixels(box.locator("canvas.lx-image").nth(0))
        box.locator("select").select_option(index=1)
        assert _pixels(box.locator("canvas.lx-image").nth(0)) != before, "choosing another test image changed nothing"
        assert all(float(s.input_value()) == 0 for s in sliders.all()), "a new image starts at its own code"
        _assert_fits(page, box, screen)


@pytest.mark.slow
def test_page_reads_without_scripts(chromium, server, request):
    with _chapter(chromium, server, request, java_script_enabled=False) as (page, guard):
        boxes = page.locator(".latent-explorer")
        assert boxes.count() == 2
        assert not any(box.is_visible() for box in boxes.all()), "the explorer shows, empty, without scripts"
        figures = page.locator("article .cell_output img")
        assert figures.count() >= 10
        assert all(figure.evaluate("img => img.complete && img.naturalWidth > 0") for figure in figures.all())
