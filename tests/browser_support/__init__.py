"""Debian's Chromium, driven by Playwright for Python, offline, for every browser test of the course.

No browser can be downloaded here, so Playwright drives the system's ``chromium`` (``executable_path``)
instead of its own build. The two must agree on the major version, since Playwright speaks the
DevTools protocol of the Chromium it was released with: ``requirements.txt`` pins the Playwright
release whose bundled Chromium has Debian's major version, and ``tests/test_browser.py`` says so
clearly when an upgrade of either makes them drift.

:func:`offline_context` opens a browser context that reaches only the servers a test names: every
other request is refused and recorded (a page that needs a CDN or a web font from outside is
caught), and so is every uncaught JavaScript exception. :func:`keep_on_failure` records a Playwright
trace of a test and keeps it, with a screenshot of every open page, under
``_build/test-artifacts/`` when the test fails (``playwright show-trace FILE`` replays it).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "_build" / "test-artifacts"  # traces and screenshots of failed browser tests
CHROMIUM_ARGS = [
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    # Without these, Chromium calls Google's servers at start; on a machine without the network
    # each call is refused, many at a time.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
]
LOCAL_SCHEMES = ("data:", "blob:", "about:")  # never leave the machine


def find_chromium() -> str | None:
    """The system's Chromium (Debian's package ``chromium``), or None."""
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name) or (f"/usr/bin/{name}" if Path(f"/usr/bin/{name}").is_file() else None)
        if path:
            return path
    return None


def system_chromium_version(executable: str) -> str:
    """``chromium --version``'s version number, e.g. ``156.0.8078.114``."""
    output = subprocess.run([executable, "--version"], capture_output=True, text=True, timeout=60).stdout
    match = re.search(r"(\d+)\.\d+\.\d+\.\d+", output)
    if not match:
        raise RuntimeError(f"{executable} --version printed no version: {output!r}")
    return match[0]


def playwright_chromium_version() -> str:
    """The Chromium version that the installed Playwright release was built and tested with."""
    import playwright

    browsers = json.loads((Path(playwright.__file__).parent / "driver" / "package" / "browsers.json").read_text())
    return next(browser["browserVersion"] for browser in browsers["browsers"] if browser["name"] == "chromium")


def major(version: str) -> int:
    return int(version.split(".")[0])


def launch(playwright, executable: str | None = None):
    """Debian's Chromium, headless, under ``playwright`` (a started ``sync_playwright()``)."""
    executable = executable or find_chromium()
    if executable is None:
        raise RuntimeError("Chromium is not installed: scripts/install installs Debian's package chromium")
    return playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=True)


@dataclass
class Guard:
    """What the pages of one context did that a test forbids.

    Attributes:
        allowed: URL prefixes that requests may go to (the test's own servers).
        blocked: URLs refused because they would leave the machine (or reach another server).
        exceptions: uncaught JavaScript exceptions, as ``page URL: message``.
    """

    allowed: tuple[str, ...]
    blocked: list[str] = field(default_factory=list)
    exceptions: list[str] = field(default_factory=list)

    def route(self, route) -> None:
        url = route.request.url
        if url.startswith(self.allowed + LOCAL_SCHEMES):
            route.continue_()
        else:
            self.blocked.append(url)
            route.abort("blockedbyclient")

    def watch(self, page) -> None:
        page.on("pageerror", lambda error: self.exceptions.append(f"{page.url}: {error}"))

    def clear(self) -> None:
        self.blocked.clear()
        self.exceptions.clear()


@contextmanager
def offline_context(browser, allowed: Iterable[str], **options) -> Iterator[tuple[object, Guard]]:
    """A new browser context whose requests may reach only ``allowed`` URL prefixes.

    Args:
        browser: from :func:`launch`.
        allowed: URL prefixes (``http://127.0.0.1:PORT/``) of the servers the test started.
        **options: Playwright's ``new_context`` options (viewport, is_mobile, locale, ...).

    Yields:
        ``(context, guard)``; every page the context opens is watched by ``guard``.
    """
    guard = Guard(tuple(allowed))
    context = browser.new_context(**options)
    context.route("**/*", guard.route)
    context.on("page", guard.watch)
    try:
        yield context, guard
    finally:
        context.close()


def artifact_dir(nodeid: str) -> Path:
    """The folder that keeps what a failed test ``nodeid`` saw."""
    return ARTIFACTS / re.sub(r"[^\w.-]+", "_", nodeid).strip("_")[:150]


@contextmanager
def keep_on_failure(context, request, trace: bool = True) -> Iterator[None]:
    """If the test fails, keep a screenshot of each page of ``context`` and (``trace``) its trace.

    Use it in a fixture around the test (``with keep_on_failure(...): yield``): whether the test
    failed is known only after it ran, from the report that the ``pytest_runtest_makereport`` hook
    of ``tests/conftest.py`` stores on the test item. A trace records every step with a snapshot of
    the page, which a multi-step test needs and a one-page check can do without (it doubles the time
    of a page's check).
    """
    if trace:
        context.tracing.start(screenshots=True, snapshots=True, title=request.node.nodeid)
    try:
        yield
    finally:
        report = getattr(request.node, "report_call", None)
        failed = report is not None and report.failed
        if failed:
            folder = artifact_dir(request.node.nodeid)
            folder.mkdir(parents=True, exist_ok=True)
            for number, page in enumerate(context.pages):
                page.screenshot(path=folder / f"page-{number}.png", full_page=True)
        if trace:
            context.tracing.stop(path=artifact_dir(request.node.nodeid) / "trace.zip" if failed else None)
