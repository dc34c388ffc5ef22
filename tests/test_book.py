"""The Jupyter Book: both editions build strictly, and every page renders in a real browser.

Slow (marked ``slow``, run in CI):

1. ``scripts/build-book`` (the README's command) builds the book in English and in Indonesian into
   one site, ``_build/html/en/`` and ``_build/html/id/``; any Sphinx warning or any error in a
   chapter's cells fails the build. In CI (a fresh clone) this is a clean build that executes every
   chapter once per edition; locally it reuses the execution caches unless ``vae_course``, the
   checkpoints or the book's configuration changed.
2. Debian's Chromium, headless under Playwright (``tests/browser_support``), opens every page of ``_toc.yml`` in both editions from a local server, exactly
   as built (nothing injected), at a desktop and at a phone width, and checks that the page is in its
   edition's language and links the same page of the other edition, and that it loads, that every figure is an
   image that decoded to a non-zero size, that MathJax typesets every formula without TeX errors and
   leaves no raw TeX behind, that no equation, code block, table or figure is cut off or sticks out
   of its column (it fits, or it scrolls inside a box of its own), and that no cell shows a
   traceback, an error or anything on stderr. The site carries its own MathJax (``_static/mathjax``)
   and its web fonts must load; any request that would leave the machine fails the test, and no
   page may raise a JavaScript exception.
3. The launch link test: every Colab, Binder and download link of every built page, in both
   editions, points at a file that the published trees hold: the notebooks branch
   (``_build/notebooks``) or the site itself.
4. The Indonesian edition's generated sentences (glue) and figure labels are Indonesian.
5. Accessibility: axe-core (the npm package pinned in ``tests/book_support/package.json``, injected
   into the page from disk, so nothing leaves the machine) checks every page of both editions, at
   both widths, against its WCAG 2 A/AA rules and best practices, after MathJax has typeset the
   page; a critical or serious violation fails the test.

Fast: the build script's input hash watches the library, the checkpoints and the configuration, the
site takes MathJax from itself, and every exercise link in the chapters points to a notebook in the
repository.
"""

from __future__ import annotations

import html.parser
import posixpath
import re
import subprocess
import sys
import urllib.parse
from contextlib import ExitStack
from pathlib import Path

import pytest
import yaml
from browser_support import keep_on_failure, offline_context

ROOT = Path(__file__).resolve().parent.parent
BUILD_SCRIPT = ROOT / "scripts" / "build-book"
HTML_DIR = ROOT / "_build" / "html"
NOTEBOOKS_TREE = ROOT / "_build" / "notebooks"  # what .github/workflows/book.yml pushes to the notebooks branch
EDITIONS = ("en", "id")  # scripts/build-book's EDITIONS: the site holds _build/html/en/ and _build/html/id/
CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text())
# Screens the pages are checked on: (width, height, mobile). The phone is an iPhone 12 to 15's width.
VIEWPORTS = {"desktop": (1280, 900, False), "phone": (390, 844, True)}
AXE_JS = ROOT / "tests" / "book_support" / "node_modules" / "axe-core" / "axe.min.js"  # npm ci (scripts/install)
FAILING_IMPACTS = ("critical", "serious")  # axe-core's two highest impacts; "moderate" and "minor" are reported
# JavaScript errors of the theme itself, not of our pages. sphinx-thebe 0.3.1 under jupyter-book 1
# writes its config <script> twice on every page, so the second `const` declaration throws.
KNOWN_THEME_EXCEPTIONS = ("Identifier 'THEBE_JS_URL' has already been declared",)

# Everything the browser checks on one page, as one JSON object.
PAGE_REPORT_JS = r"""
(async () => {
  // Text that still holds TeX delimiters after typesetting (outside code, scripts and typeset math).
  const rawTex = root => {
    const skip = "pre, code, script, style, mjx-container, mjx-assistive-mml, .highlight";
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    const found = [];
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      if (node.parentElement.closest(skip)) continue;
      const match = node.textContent.match(/\\\(|\\\[|\$\$|\\begin\{/);
      if (match) found.push(node.textContent.trim().slice(0, 120));
    }
    return found;
  };
  // Equations, code (blocks and inline), tables and figures that stick out of their column or are
  // cut off. An element is fine if it fits in the article's column (and the screen), or if it or an
  // ancestor scrolls sideways (overflow-x auto/scroll) and that box fits; an ancestor that clips
  // (hidden/clip) must hold it whole.
  const overflows = article => {
    const screenRight = document.documentElement.clientWidth;
    const inner = el => {
      const box = el.getBoundingClientRect();
      return {left: box.left + el.clientLeft, right: box.left + el.clientLeft + el.clientWidth};
    };
    const scrolls = el => !inline(el) && ["auto", "scroll"].includes(getComputedStyle(el).overflowX);
    const inline = el => getComputedStyle(el).display === "inline";
    // The right edge of what an element draws: a formula's mjx-math may stick out of its
    // mjx-container (whose scrollWidth also counts MathJax's hidden assistive MathML).
    const contentRight = el => {
      const box = el.getBoundingClientRect();
      if (scrolls(el) || inline(el)) return box.right;
      if (el.tagName === "MJX-CONTAINER") {
        const math = el.querySelector(":scope > mjx-math");
        return Math.max(box.right, math ? math.getBoundingClientRect().right : box.right);
      }
      return box.left + Math.max(box.width, el.scrollWidth);
    };
    const column = inner(article);
    const bad = [];
    const describe = el => {
      const cls = typeof el.className === "string" && el.className ? "." + el.className.trim().split(/\s+/).join(".") : "";
      return el.tagName.toLowerCase() + cls;
    };
    for (const el of article.querySelectorAll("mjx-container, pre, code, img, figure, table")) {
      const box = el.getBoundingClientRect();
      if (box.width === 0 || box.height === 0) continue;  // not displayed (removed or collapsed)
      let target = el, limit = {left: Math.max(column.left, 0), right: Math.min(column.right, screenRight)};
      for (let up = scrolls(el) ? article : el.parentElement; up && up !== article; up = up.parentElement) {
        if (inline(up)) continue;  // overflow does not apply to inline boxes
        if (scrolls(up)) { target = up; break; }
        if (["hidden", "clip"].includes(getComputedStyle(up).overflowX)) { limit = inner(up); break; }
      }
      const edge = target.getBoundingClientRect();
      const right = target !== el ? edge.right : contentRight(el);
      if (right > limit.right + 1 || edge.left < limit.left - 1) {
        bad.push(`${describe(el)} [${Math.round(edge.left)}, ${Math.round(right)}] outside [${Math.round(limit.left)}, ${Math.round(limit.right)}]` +
                 (target === el ? "" : ` (its scrolling box ${describe(target)})`) + `: ${el.textContent.trim().slice(0, 60)}`);
      }
    }
    return bad;
  };

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
    untypeset: [...article.querySelectorAll("span.math, div.math")].filter(node => !node.querySelector("mjx-container")).map(text),
    rawTex: rawTex(article),
    overflows: overflows(article),
    pageScrollsSideways: document.documentElement.scrollWidth > document.documentElement.clientWidth + 1,
    mathjaxLoaded: Boolean(window.MathJax && MathJax.version),
    errorOutputs: [...article.querySelectorAll(".cell_output .output.traceback, .cell_output .output.error, .cell_output .output.stderr")].map(text),
    tracebackText: article.innerText.includes("Traceback (most recent call last)"),
    brokenFonts: [...document.fonts].filter(font => font.status === "error").map(font => font.family),
    lang: document.documentElement.lang,
    languageSwitch: [...document.querySelectorAll("a.language-switch")].map(a => a.href),
  };
})()
"""

# axe-core's violations on the page as it is once MathJax has typeset it (axe must be injected first).
AXE_REPORT_JS = r"""
(async () => {
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
    await MathJax.startup.promise;
  }
  await document.fonts.ready;
  const results = await axe.run(document, {resultTypes: ["violations"]});
  return results.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help, count: v.nodes.length,
    nodes: v.nodes.slice(0, 3).map(node => node.target.join(" ") + ": " + node.html.slice(0, 120)),
  }));
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
def screens(chromium, server):
    """One tab per screen of ``VIEWPORTS`` (a phone is emulated as one: it honours the page's
    ``<meta name="viewport">``), each able to reach only the book server; ``{screen: (tab, guard)}``."""
    with ExitStack() as stack:
        tabs = {}
        for screen, (width, height, mobile) in VIEWPORTS.items():
            context, guard = stack.enter_context(
                offline_context(chromium, [server], viewport={"width": width, "height": height}, is_mobile=mobile)
            )
            tabs[screen] = (context.new_page(), guard)
        yield tabs


@pytest.fixture
def tab(screens, viewport, request):
    """The tab of the test's screen, its guard cleared; a screenshot kept if the test fails."""
    page, guard = screens[viewport]
    guard.clear()
    with keep_on_failure(page.context, request, trace=False):
        yield page, guard


@pytest.mark.slow
def test_build_writes_every_page_of_both_editions(built_book):
    for language in EDITIONS:
        for name in toc_pages():
            assert (built_book / language / f"{name}.html").is_file(), (
                f"{language}/{name}.html is missing from the build"
            )
    assert 'url=en/index.html"' in (built_book / "index.html").read_text(), "the site's index does not lead to en/"


@pytest.mark.slow
def test_build_does_not_execute_exercises(built_book):
    for language in EDITIONS:
        folder = built_book.parent / "editions" / language / "_build" / "jupyter_execute"
        executed = [p.relative_to(folder).as_posix() for p in folder.rglob("*.ipynb")]
        assert executed, f"no executed notebooks in {folder}"
        assert not [p for p in executed if "exercises" in p or "solutions" in p], executed


@pytest.mark.slow
@pytest.mark.parametrize(
    ("page", "indonesian", "english"),
    [
        ("book/09_evaluating", "Kedua ukuran mengurutkan model", "The two measures rank the models"),
        ("book/07_conv_vae", "nat lebih", "nats better"),
        ("book/08_latent_space", "kira-kira sama seringnya", "about as often as"),
    ],
)
def test_indonesian_edition_generates_indonesian_sentences(built_book, page, indonesian, english):
    """A glued sentence is prose too: the Indonesian edition runs its chapters in Indonesian."""

    def prose(language: str) -> str:  # the page without its code cells, which hold both wordings
        text = (built_book / language / f"{page}.html").read_text(encoding="utf-8")
        return re.sub(r"<pre>.*?</pre>", "", text, flags=re.DOTALL)

    english_page, indonesian_page = prose("en"), prose("id")
    # Either wording of a result-dependent sentence may be chosen; each edition uses its own language.
    if english in english_page:
        assert indonesian in indonesian_page, f"id/{page}: the generated sentence is not Indonesian"
    assert english not in indonesian_page, f"id/{page} shows the English generated text {english!r}"


@pytest.mark.slow
def test_indonesian_edition_writes_glued_numbers_the_indonesian_way(built_book):
    """``{glue:text}`n_train:,``` reads 60,000 in English and 60.000 in Indonesian (locale/id/glossary.md)."""
    from vae_course.language import as_written

    def glued_numbers(language: str) -> list[str]:
        text = (built_book / language / "book" / "01_fashion_mnist.html").read_text(encoding="utf-8")
        return sorted(
            v for v in re.findall(r'<span class="pasted-text">([^<]*)</span>', text) if re.fullmatch(r"[\d.,]+", v)
        )

    english, indonesian = glued_numbers("en"), glued_numbers("id")
    assert any("," in v for v in english) and any("." in v for v in english), english
    assert indonesian == sorted(as_written(v, "id") for v in english)


@pytest.mark.parametrize(
    ("language", "expected"), [("en", ["60,000", "0.286", "abc", "True"]), ("id", ["60.000", "0,286", "abc", "True"])]
)
def test_glued_numbers_are_formatted_as_the_edition_writes(language, expected):
    """book/_ext/translated_glue.py wraps myst-nb's formatting of ``{glue:text}``: numbers only."""
    from importlib.util import module_from_spec, spec_from_file_location
    from types import SimpleNamespace

    from myst_nb.core.variables import format_plain_text

    spec = spec_from_file_location("translated_glue", ROOT / "book" / "_ext" / "translated_glue.py")
    extension = module_from_spec(spec)
    spec.loader.exec_module(extension)
    app = SimpleNamespace(config=SimpleNamespace(language=language))
    formatted = extension._as_the_edition_writes(format_plain_text, app)
    assert [
        formatted(text, spec) for text, spec in (("60000", ","), ("0.28645", ".3f"), ("'abc'", ""), ("True", ""))
    ] == expected


def _translated_glue_extension():
    from importlib.util import module_from_spec, spec_from_file_location

    spec = spec_from_file_location("translated_glue", ROOT / "book" / "_ext" / "translated_glue.py")
    extension = module_from_spec(spec)
    spec.loader.exec_module(extension)
    return extension


def test_glued_sentences_of_translated_paragraphs_keep_their_inline_math():
    """A ``{glue:md}`` sentence inside a translated paragraph is text and inline math; other markup is refused."""
    from types import SimpleNamespace

    from docutils import nodes
    from myst_nb.ext.glue.utils import RetrievalError

    render = _translated_glue_extension()._PlainInlineMarkdown().render_markdown_inline
    rendered = render(SimpleNamespace(content="naik lagi, menjadi 254,4 pada $D$ = 50"))
    assert [type(n) for n in rendered] == [nodes.Text, nodes.math, nodes.Text]
    assert [n.astext() for n in rendered] == ["naik lagi, menjadi 254,4 pada ", "D", " = 50"]
    assert [n.astext() for n in render(SimpleNamespace(content="$x$"))] == ["x"]
    for marked in ("**tebal**", "[tautan](x)", "`kode`", "a $ b"):
        with pytest.raises(RetrievalError):
            render(SimpleNamespace(content=marked))


def test_site_takes_mathjax_from_itself():
    mathjax_path = CONFIG["sphinx"]["config"]["mathjax_path"]
    assert "://" not in mathjax_path and not mathjax_path.startswith("/"), (
        f"MathJax from outside the site: {mathjax_path}"
    )
    assert ("_static/" + mathjax_path).startswith(_build_script_module().SITE_MATHJAX + "/")


@pytest.mark.slow
@pytest.mark.parametrize("language", EDITIONS)
def test_build_copies_mathjax_into_the_site(built_book, language):
    assert (built_book / language / "_static" / CONFIG["sphinx"]["config"]["mathjax_path"]).is_file()
    fonts = built_book / language / _build_script_module().SITE_MATHJAX / "output" / "chtml" / "fonts" / "woff-v2"
    assert list(fonts.glob("*.woff")), f"no MathJax fonts in {fonts}"


@pytest.mark.slow
@pytest.mark.parametrize("viewport", VIEWPORTS)
@pytest.mark.parametrize("name", toc_pages())
@pytest.mark.parametrize("language", EDITIONS)
def test_page_renders(tab, server, language, name, viewport):
    page, guard = tab
    page.goto(server + f"{language}/{name}.html", wait_until="load")
    report = page.evaluate(PAGE_REPORT_JS)
    name = f"{language}/{name}"  # in the messages below

    assert report["lang"] == language, f"{name}: <html lang={report['lang']!r}>"
    other = next(edition for edition in EDITIONS if edition != language)
    assert report["languageSwitch"] == [server + f"{other}/{name.split('/', 1)[1]}.html"], (
        f"{name}: language switch {report['languageSwitch']}"
    )

    assert report["heading"], f"{name}: no <h1> heading, the page did not render"
    broken = [
        image for image in report["images"] if not (image["complete"] and image["width"] > 0 and image["height"] > 0)
    ]
    assert not broken, f"{name}: images that did not load or decode: {broken}"
    if name.split("/", 1)[1] in CHAPTERS:
        assert report["figures"] > 0, f"{name}: a chapter without a single figure"
    if report["mathNodes"]:
        assert report["mathjaxLoaded"], f"{name}: has math but MathJax did not load (blocked: {guard.blocked})"
        assert report["typeset"] >= report["mathNodes"], (
            f"{name}: {report['mathNodes']} math nodes, {report['typeset']} typeset"
        )
    assert not report["texErrors"], f"{name}: MathJax could not typeset {report['texErrors']}"
    assert not report["untypeset"], f"{name}: formulas MathJax left as TeX: {report['untypeset']}"
    assert not report["rawTex"], f"{name}: raw TeX in the text: {report['rawTex']}"
    assert not report["overflows"], f"{name} ({viewport}): cut off or wider than the column: {report['overflows']}"
    assert not report["pageScrollsSideways"], f"{name} ({viewport}): the page is wider than the screen"
    assert not report["brokenFonts"], f"{name}: fonts that failed to load: {report['brokenFonts']}"
    assert not report["errorOutputs"], f"{name}: cells show errors or stderr: {report['errorOutputs']}"
    assert not report["tracebackText"], f"{name}: the page shows a Python traceback"
    exceptions = [e for e in guard.exceptions if not any(known in e for known in KNOWN_THEME_EXCEPTIONS)]
    assert not exceptions, f"{name}: JavaScript exceptions: {exceptions}"
    assert not guard.blocked, f"{name}: the page tried to load from outside the machine: {guard.blocked}"


def serious_violations(violations: list[dict]) -> list[dict]:
    """The violations of an axe-core report that fail a page: critical or serious impact."""
    return [violation for violation in violations if violation["impact"] in FAILING_IMPACTS]


def test_serious_violations_keeps_critical_and_serious_ones():
    report = [{"id": rule, "impact": impact} for rule, impact in
              [("aria-required-children", "critical"), ("color-contrast", "serious"), ("region", "moderate"),
               ("aria-deprecated-role", "minor")]]  # fmt: skip
    assert [v["id"] for v in serious_violations(report)] == ["aria-required-children", "color-contrast"]


@pytest.mark.slow
@pytest.mark.parametrize("viewport", VIEWPORTS)
@pytest.mark.parametrize("name", toc_pages())
@pytest.mark.parametrize("language", EDITIONS)
def test_page_is_accessible(tab, server, language, name, viewport):
    """axe-core finds no critical or serious violation on the page, at a desktop and at a phone width
    (where wide tables and equations scroll, and the header shows other controls)."""
    assert AXE_JS.is_file(), f"{AXE_JS} is missing: run scripts/install (npm ci)"
    page, _ = tab
    page.goto(server + f"{language}/{name}.html", wait_until="load")
    page.add_script_tag(path=AXE_JS)  # its text, inline: defines window.axe without a request
    violations = page.evaluate(AXE_REPORT_JS)
    failing = serious_violations(violations)
    assert not failing, f"{language}/{name} ({viewport}): accessibility violations (axe-core): {failing}"


class _Links(html.parser.HTMLParser):
    """Every ``<a href>`` of a page, with its class attribute."""

    def __init__(self):
        super().__init__()
        self.links: list[tuple[str, str]] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "a" and attributes.get("href"):
            self.links.append((attributes["href"], attributes.get("class") or ""))


def published_file(link: str, page: Path, html_dir: Path, trees: dict[str, Path]) -> Path:
    """The file that a Colab, Binder or download link of ``page`` opens once the site is published.

    Colab and Binder open a path on a branch of the configured repository; ``trees`` maps each
    branch that may be opened to the tree it publishes. A download link is a file of the site itself.

    Raises:
        AssertionError: the link names another repository, an unknown branch, or leaves the site.
    """
    repository = CONFIG["repository"]["url"].removeprefix("https://github.com/").strip("/")
    colab = CONFIG["launch_buttons"]["colab_url"].rstrip("/") + "/github/"
    binder = CONFIG["launch_buttons"]["binderhub_url"].rstrip("/") + "/v2/gh/"
    if link.startswith(colab):
        match = re.fullmatch(rf"{re.escape(repository)}/blob/([^/]+)/(.+)", link.removeprefix(colab))
        assert match and match[1] in trees, f"{page.name}: Colab opens {link}, not a published branch of {repository}"
        return trees[match[1]] / match[2]
    if link.startswith(binder):
        url = urllib.parse.urlsplit(link)
        repo_and_branch = link.removeprefix(binder).split("?")[0]
        branch = repo_and_branch.removeprefix(repository + "/")
        assert branch in trees, f"{page.name}: Binder builds {link}, not a published branch of {repository}"
        (urlpath,) = urllib.parse.parse_qs(url.query)["urlpath"]
        return trees[branch] / re.sub(r"^(lab/)?tree/", "", urlpath)
    assert "://" not in link, f"{page.name}: a download link off the site: {link}"
    return html_dir / posixpath.normpath(posixpath.join(page.parent.relative_to(html_dir).as_posix(), link))


@pytest.mark.slow
def test_launch_links_open_published_notebooks(built_book):
    """The launch link test: every Colab, Binder and download link opens a file that is published.

    The published trees: the site itself (download links), the branch ``notebooks`` (the launch
    buttons) and the source branch (links in the prose to the exercises).
    """
    trees = {_build_script_module().NOTEBOOKS_BRANCH: NOTEBOOKS_TREE, CONFIG["repository"]["branch"]: ROOT}
    launch_prefixes = (CONFIG["launch_buttons"]["colab_url"], CONFIG["launch_buttons"]["binderhub_url"])
    buttons = {}  # page -> {kind: file} for the page's own launch and download buttons
    for page in sorted(built_book.rglob("*.html")):
        if "_static" in page.relative_to(built_book).parts:
            continue
        parser = _Links()
        parser.feed(page.read_text(encoding="utf-8"))
        for link, classes in parser.links:
            if link.startswith(launch_prefixes):
                kind = "colab" if link.startswith(launch_prefixes[0]) else "binder"
            elif "btn-download" in classes:
                kind = "download " + Path(link).suffix
            else:
                continue
            target = published_file(link, page, built_book, trees)
            if kind in ("colab", "binder"):
                assert target.suffix == ".ipynb", f"{page.relative_to(built_book)}: {kind} opens {link}, not a notebook"
            assert target.is_file(), (
                f"{page.relative_to(built_book)}: the {kind} link {link} opens a file that is not published ({target})"
            )
            if "dropdown-item" in classes.split():  # a button of the page's header, not a link in the prose
                buttons.setdefault(page.relative_to(built_book).with_suffix("").as_posix(), {})[kind] = target
    for chapter in CHAPTERS:
        for language in EDITIONS:  # both editions open the same notebooks: the code is shared
            kinds = buttons.get(f"{language}/{chapter}", {})
            assert {"colab", "binder", "download .ipynb"} <= set(kinds), (
                f"{language}/{chapter}: launch and download buttons {sorted(kinds)}"
            )
            assert kinds["colab"] == kinds["binder"] == NOTEBOOKS_TREE / f"{chapter}.ipynb", kinds
            assert kinds["download .ipynb"].read_bytes() == kinds["colab"].read_bytes(), (
                f"{language}/{chapter}: the download is another notebook"
            )


class _Images(html.parser.HTMLParser):
    """Every ``<img>`` of a page: its ``src`` and its ``alt`` (None when the attribute is missing)."""

    def __init__(self):
        super().__init__()
        self.images: list[tuple[str, str | None]] = []

    def handle_starttag(self, tag, attrs):
        if tag == "img":
            attributes = dict(attrs)
            self.images.append((attributes.get("src") or "", attributes.get("alt")))


def missing_alt_texts(page_html: str) -> list[str]:
    """The ``src`` of every image of a page whose alt text is missing, empty, or only a file name.

    An image without alt text still gets one in Sphinx's HTML: its own path (docutils writes
    ``alt=uri``), which says nothing about the figure; so an alt that names an image file counts as missing.
    """
    parser = _Images()
    parser.feed(page_html)
    return [
        src
        for src, alt in parser.images
        if alt is None
        or not alt.strip()
        or alt.strip() == src
        or re.fullmatch(r"\S*\.(png|jpe?g|gif|svg|webp)", alt.strip(), re.IGNORECASE)
    ]


def test_missing_alt_texts_finds_images_without_a_description():
    page = (
        '<img alt="Binder logo" src="logo.svg"><img src="a.png"><img alt=" " src="b.png">'
        '<img alt="../_images/c.png" src="../_images/c.png"><img alt="d.png" src="x/d.png">'
        '<img alt="Ten rows of ten images." src="e.png">'
    )
    assert missing_alt_texts(page) == ["a.png", "b.png", "../_images/c.png", "x/d.png"]


@pytest.mark.slow
def test_every_image_has_alt_text(built_book):
    """Every ``<img>`` of every page, in both editions, describes what it shows: the figures the
    chapters draw carry the alt text their cell gives ``vae_course.plotting.with_alt``
    (``book/_ext/figure_alt.py``), the diagrams their directive's ``:alt:``."""
    missing = {}
    for language in EDITIONS:
        for name in toc_pages():
            page = built_book / language / f"{name}.html"
            found = missing_alt_texts(page.read_text(encoding="utf-8"))
            if found:
                missing[f"{language}/{name}"] = found
    assert not missing, f"images without alt text (wrap the figure in with_alt(fig, t(...))): {missing}"


@pytest.mark.slow
def test_published_notebooks_are_the_chapters(built_book):
    import jupytext

    for chapter in CHAPTERS:
        notebook = jupytext.read(NOTEBOOKS_TREE / f"{chapter}.ipynb")
        source = jupytext.read(ROOT / f"{chapter}.md")
        assert [cell.source for cell in notebook.cells] == [cell.source for cell in source.cells], chapter
    # Binder installs the course from the same tree (binder/postBuild: pip install .).
    for name in ("binder/requirements.txt", "binder/postBuild", "pyproject.toml", "vae_course/__init__.py"):
        assert (NOTEBOOKS_TREE / name).is_file(), f"{name} is missing from the notebooks tree"


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
        ("book/helpers.py", True),  # a module next to the chapters: jupyter-cache does not see it
        ("book/02_autoencoders.md", False),  # jupyter-cache itself notices edited chapters
        ("book/_ext/figure_alt.py", "pages only"),  # a Sphinx extension: re-read every page, re-execute none
    ],
)
def test_inputs_hash_watches_library_checkpoints_and_config(tmp_path, edited, changes_hash):
    build_book = _build_script_module()
    for name in ("vae_course/losses.py", "vae_course/models/conv_vae.py", "vae_course/pretrained/conv_vae_2d.pt",
                 "_config.yml", "_toc.yml", "book/helpers.py", "book/02_autoencoders.md", "book/_ext/figure_alt.py"):  # fmt: skip
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("original\n")
    before = build_book.inputs_hash(tmp_path), build_book.inputs_hash(tmp_path, executed_only=True)
    (tmp_path / edited).write_text("edited\n")
    after = build_book.inputs_hash(tmp_path), build_book.inputs_hash(tmp_path, executed_only=True)
    changed = [new != old for new, old in zip(after, before)]
    assert changed == ([True, False] if changes_hash == "pages only" else [changes_hash, changes_hash])


def test_exercise_links_point_to_notebooks_in_the_repository():
    links = set()
    for chapter in (ROOT / "book").glob("*.md"):
        source_branch = re.escape(CONFIG["repository"]["url"] + "/blob/" + CONFIG["repository"]["branch"])
        links |= set(re.findall(source_branch + r"/([\w/.-]+\.ipynb)", chapter.read_text()))
    assert links, "the chapters link to no exercise notebook"
    missing = sorted(link for link in links if not (ROOT / link).is_file())
    assert not missing, f"chapters link to notebooks that do not exist: {missing}"


def test_exercise_n_in_the_book_is_assignment_n():
    """One numbering: the box "Exercise N" links exercises/NN_*, each assignment has one box, and the
    front page's table of exercises names every assignment under its number."""
    assignments = sorted(path.name for path in (ROOT / "exercises").glob("[0-9][0-9]_*") if path.is_dir())
    boxes = {}
    for chapter in sorted((ROOT / "book").glob("*.md")):
        for number, body in re.findall(
            r":::\{admonition\} Exercise (\d+)\b.*?\n(.*?)\n:::", chapter.read_text(), re.DOTALL
        ):
            assert number not in boxes, f"two boxes are Exercise {number}"
            boxes[number] = set(re.findall(r"exercises/(\d\d_\w+)/", body))
    assert {int(n): links for n, links in boxes.items()} == {int(name[:2]): {name} for name in assignments}, (
        "exercise N must link assignment N, and only it"
    )
    index = (ROOT / "book" / "index.md").read_text()
    for name in assignments:
        assert f"| {int(name[:2])}. `{name}` |" in index, f"book/index.md does not list {name}"


def test_the_tests_browse_every_edition_the_build_script_builds():
    assert _build_script_module().EDITIONS == EDITIONS
    assert (ROOT / "book" / "_templates" / "language-switch.html").is_file()
    theme_options = CONFIG["sphinx"]["config"]["html_theme_options"]
    assert "language-switch.html" in theme_options["article_header_end"], "no language switch in the article header"


# --------------------------------------------------------------------------- the exercises of each edition

EXERCISE_PAGE = """\
# A chapter

Exercise: [`exercises/02_reparameterization/02_reparameterization.ipynb`](https://github.com/o/r/blob/main/exercises/02_reparameterization/02_reparameterization.ipynb)
([open in Colab](https://colab.research.google.com/github/o/r/blob/main/exercises/02_reparameterization/02_reparameterization.ipynb)),
and [the guide](https://github.com/o/r/blob/main/docs/student-guide.md).
"""
EXERCISE_PAGE_ID = """\
msgid "A chapter"
msgstr "Sebuah bab"

msgid "Exercise: [`exercises/02_reparameterization/02_reparameterization.ipynb`](https://github.com/o/r/blob/main/exercises/02_reparameterization/02_reparameterization.ipynb) ([open in Colab](https://colab.research.google.com/github/o/r/blob/main/exercises/02_reparameterization/02_reparameterization.ipynb)), and [the guide](https://github.com/o/r/blob/main/docs/student-guide.md)."
msgstr "Latihan: [`exercises/02_reparameterization/02_reparameterization.ipynb`](https://github.com/o/r/blob/main/exercises/02_reparameterization/02_reparameterization.ipynb) ([buka di Colab](https://colab.research.google.com/github/o/r/blob/main/exercises/02_reparameterization/02_reparameterization.ipynb)), dan [panduannya](https://github.com/o/r/blob/main/docs/student-guide.md)."
"""


@pytest.mark.parametrize("language", EDITIONS)
def test_each_edition_links_the_exercises_in_its_language(tmp_path, language):
    """The book's extension ``exercise_links``, in a small Sphinx project translated as the book is."""
    from vae_course.course import exercise_folders

    (tmp_path / "index.md").write_text(EXERCISE_PAGE)
    (tmp_path / "locale" / "id" / "LC_MESSAGES").mkdir(parents=True)
    (tmp_path / "locale" / "id" / "LC_MESSAGES" / "index.po").write_text(EXERCISE_PAGE_ID)
    (tmp_path / "conf.py").write_text(
        f"import sys\nsys.path.insert(0, {str(ROOT / 'book' / '_ext')!r})\n"
        "extensions = ['myst_parser', 'exercise_links']\nlocale_dirs = ['locale']\ngettext_compact = False\n"
    )
    command = [sys.executable, "-m", "sphinx", "-b", "html", "-W", "-q", "-D", f"language={language}"]
    result = subprocess.run([*command, str(tmp_path), str(tmp_path / "html")], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    parser = _Links()
    page = (tmp_path / "html" / "index.html").read_text()
    parser.feed(page)
    release = exercise_folders(language)[1]
    notebook = "02_reparameterization/02_reparameterization.ipynb"
    assert [link for link, _ in parser.links if "/o/r/" in link] == [
        f"https://github.com/o/r/blob/main/{release}/{notebook}",
        f"https://colab.research.google.com/github/o/r/blob/main/{release}/{notebook}",
        "https://github.com/o/r/blob/main/docs/student-guide.md",
    ]
    assert f"{release}/{notebook}</span></code>" in page, "the link's text names the notebook it opens"
    assert ("Latihan" in page) == (language == "id")


def test_the_book_links_exercises_that_exist_in_every_language():
    from vae_course.course import CLASS_LANGUAGES, exercise_folders

    links = set()
    for chapter in (ROOT / "book").glob("*.md"):
        links |= set(re.findall(r"/blob/[^/]+/exercises/([\w-]+/[\w-]+\.ipynb)", chapter.read_text()))
    assert links
    for language in CLASS_LANGUAGES:
        missing = [link for link in links if not (ROOT / exercise_folders(language)[1] / link).is_file()]
        assert not missing, f"the {language} edition would link exercises that do not exist: {missing}"
