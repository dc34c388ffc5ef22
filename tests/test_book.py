"""The Jupyter Book: it builds strictly, and every page renders in a real browser.

Slow (marked ``slow``, run in CI):

1. ``scripts/build-book`` (the README's command) builds the book into ``_build``; any Sphinx warning
   or any error in a chapter's cells fails the build. In CI (a fresh clone) this is a clean build
   that executes every chapter; locally it reuses the execution cache unless ``vae_course``, the
   checkpoints or the book's configuration changed.
2. Headless Chromium opens every page of ``_toc.yml`` from a local server and checks that it loads,
   that every figure is an image that decoded to a non-zero size, that the math is typeset by
   MathJax without TeX errors, and that no cell shows a traceback, an error or anything on stderr.
   The test is offline: MathJax is served from a local copy (``npm ci --prefix tests/book_support``)
   in place of its CDN, and any other request that would leave the machine is refused. The web
   fonts MathJax draws with must load too, and no page may raise a JavaScript exception.

Fast: the build script's input hash watches the library, the checkpoints and the configuration, and
every exercise link in the chapters points to a notebook in the repository.
"""

from __future__ import annotations

import fcntl
import functools
import http.server
import re
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import yaml

from book_support.devtools import Browser, find_chromium

ROOT = Path(__file__).resolve().parent.parent
BUILD_SCRIPT = ROOT / "scripts" / "build-book"
HTML_DIR = ROOT / "_build" / "html"
MATHJAX_CDN = "https://cdn.jsdelivr.net/npm/mathjax@3/es5/"  # must match mathjax_path in _config.yml
MATHJAX_LOCAL = Path(__file__).parent / "book_support" / "node_modules" / "mathjax" / "es5"
BUILD_TIMEOUT_S = 1200  # a clean build takes a few minutes on 2 CPU cores
# JavaScript errors of the theme itself, not of our pages. sphinx-thebe 0.3.1 under jupyter-book 1
# writes its config <script> twice on every page, so the second `const` declaration throws.
KNOWN_THEME_EXCEPTIONS = ("Identifier 'THEBE_JS_URL' has already been declared",)

# Everything the browser checks on one page, as one JSON object.
PAGE_REPORT_JS = r"""
(async () => {
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
    await MathJax.startup.promise;  // resolves after the first typesetting pass
  }
  await document.fonts.ready;  // MathJax's web fonts, among others
  const article = document.querySelector("article") || document.body;
  const images = [...article.querySelectorAll("img")].map(img => ({
    src: img.getAttribute("src"), complete: img.complete, width: img.naturalWidth, height: img.naturalHeight,
  }));
  const text = el => el.textContent.trim().slice(0, 300);
  return {
    title: document.title,
    heading: (article.querySelector("h1") || {textContent: ""}).textContent.trim(),
    images,
    figures: article.querySelectorAll(".cell_output img").length,
    mathNodes: article.querySelectorAll("span.math, div.math").length,
    typeset: article.querySelectorAll("mjx-container").length,
    texErrors: [...article.querySelectorAll("mjx-merror")].map(text),
    mathjaxLoaded: Boolean(window.MathJax && MathJax.version),
    errorOutputs: [...article.querySelectorAll(".cell_output .output.traceback, .cell_output .output.error, .cell_output .output.stderr")].map(text),
    tracebackText: article.innerText.includes("Traceback (most recent call last)"),
    brokenFonts: [...document.fonts].filter(font => font.status === "error").map(font => font.family),
  };
})()
"""


def toc_pages(toc_file: Path = ROOT / "_toc.yml") -> list[str]:
    """Every document of the table of contents, root first, as paths without suffix."""
    toc = yaml.safe_load(toc_file.read_text())
    pages = [toc["root"]]
    for part in toc.get("parts", []):
        pages += [chapter["file"] for chapter in part.get("chapters", [])]
    return pages


CHAPTERS = [page for page in toc_pages() if Path(page).name[:2].isdigit()]  # book/01_... to book/09_...


@pytest.fixture(scope="module")
def built_book() -> Path:
    """Build the book with the README's command and return the HTML folder.

    A file lock keeps pytest-xdist workers from building into ``_build`` at the same time; a worker
    that waited finds the build done and cached.
    """
    (ROOT / "_build").mkdir(exist_ok=True)
    with open(ROOT / "_build" / ".test-build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        result = subprocess.run(
            [sys.executable, str(BUILD_SCRIPT)], cwd=ROOT, capture_output=True, text=True, timeout=BUILD_TIMEOUT_S
        )
    assert result.returncode == 0, (
        f"scripts/build-book failed (exit {result.returncode}).\n"
        f"--- last lines of its output ---\n{(result.stdout + result.stderr)[-6000:]}"
    )
    return HTML_DIR


@pytest.fixture(scope="module")
def server(built_book):
    """Serve the built HTML on 127.0.0.1 from a thread; yields the base URL."""

    class QuietHandler(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    handler = functools.partial(QuietHandler, directory=str(built_book))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()
    httpd.server_close()
    thread.join()


@pytest.fixture(scope="module")
def page(server):
    """A headless Chromium tab that can reach only the book server and the local MathJax."""
    executable = find_chromium()
    if executable is None:
        pytest.fail("Chromium is not installed: apt-get install chromium")
    if not (MATHJAX_LOCAL / "tex-mml-chtml.js").is_file():
        pytest.fail(f"no local MathJax in {MATHJAX_LOCAL}: run npm ci --prefix tests/book_support")
    with Browser(executable) as browser:
        tab = browser.new_page()
        tab.local_prefix = server
        tab.mirrors = {MATHJAX_CDN: MATHJAX_LOCAL}
        yield tab
        tab.close()


@pytest.mark.slow
def test_build_writes_every_page(built_book):
    for name in toc_pages():
        assert (built_book / f"{name}.html").is_file(), f"{name}.html is missing from the build"
    assert (built_book / "index.html").is_file()


@pytest.mark.slow
def test_build_does_not_execute_exercises(built_book):
    executed = [p.relative_to(built_book.parent).as_posix() for p in (built_book.parent / "jupyter_execute").rglob("*.ipynb")]
    assert executed, "no executed notebooks in _build/jupyter_execute"
    assert not [p for p in executed if "exercises" in p or "solutions" in p], executed


def test_mathjax_url_matches_config():
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    assert config["sphinx"]["config"]["mathjax_path"].startswith(MATHJAX_CDN)


@pytest.mark.slow
@pytest.mark.parametrize("name", toc_pages())
def test_page_renders(page, server, name):
    page.navigate(server + f"{name}.html")
    report = page.evaluate(PAGE_REPORT_JS, await_promise=True)

    assert report["heading"], f"{name}: no <h1> heading, the page did not render"
    broken = [image for image in report["images"] if not (image["complete"] and image["width"] > 0 and image["height"] > 0)]
    assert not broken, f"{name}: images that did not load or decode: {broken}"
    if name in CHAPTERS:
        assert report["figures"] > 0, f"{name}: a chapter without a single figure"
    if report["mathNodes"]:
        assert report["mathjaxLoaded"], f"{name}: has math but MathJax did not load (blocked: {page.blocked})"
        assert report["typeset"] >= report["mathNodes"], f"{name}: {report['mathNodes']} math nodes, {report['typeset']} typeset"
    assert not report["texErrors"], f"{name}: MathJax could not typeset {report['texErrors']}"
    assert not report["brokenFonts"], f"{name}: fonts that failed to load: {report['brokenFonts']}"
    assert not report["errorOutputs"], f"{name}: cells show errors or stderr: {report['errorOutputs']}"
    assert not report["tracebackText"], f"{name}: the page shows a Python traceback"
    exceptions = [e for e in page.exceptions if not any(known in e for known in KNOWN_THEME_EXCEPTIONS)]
    assert not exceptions, f"{name}: JavaScript exceptions: {exceptions}"
    assert not page.blocked, f"{name}: the page tried to load from outside the machine: {page.blocked}"


def _build_script_module():
    from importlib.machinery import SourceFileLoader
    from importlib.util import module_from_spec, spec_from_loader

    loader = SourceFileLoader("build_book", str(BUILD_SCRIPT))
    module = module_from_spec(spec_from_loader("build_book", loader))
    loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    ("edited", "changes_hash"),
    [
        ("vae_course/losses.py", True),
        ("vae_course/models/conv_vae.py", True),
        ("vae_course/pretrained/conv_vae_2d.pt", True),
        ("_config.yml", True),
        ("book/02_autoencoders.md", False),  # jupyter-cache itself notices edited chapters
    ],
)
def test_inputs_hash_watches_library_checkpoints_and_config(tmp_path, edited, changes_hash):
    build_book = _build_script_module()
    for name in ("vae_course/losses.py", "vae_course/models/conv_vae.py", "vae_course/pretrained/conv_vae_2d.pt",
                 "_config.yml", "_toc.yml", "book/02_autoencoders.md"):  # fmt: skip
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("original\n")
    before = build_book.inputs_hash(tmp_path)
    (tmp_path / edited).write_text("edited\n")
    assert (build_book.inputs_hash(tmp_path) != before) == changes_hash


def test_exercise_links_point_to_notebooks_in_the_repository():
    links = set()
    for chapter in (ROOT / "book").glob("*.md"):
        links |= set(re.findall(r"github\.com/vae-course/vae-course/blob/main/([\w/.-]+\.ipynb)", chapter.read_text()))
    assert links, "the chapters link to no exercise notebook"
    missing = sorted(link for link in links if not (ROOT / link).is_file())
    assert not missing, f"chapters link to notebooks that do not exist: {missing}"
