"""Shared fixtures: data, the test course's checks, the built book and its server, and the browser."""

from __future__ import annotations

import functools
import http.server
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import torch
from fake_fashion_mnist import make_fake_fashion_mnist


@pytest.fixture
def fake_root(tmp_path) -> Path:
    """A data root with ``FashionMNIST/raw/`` holding a tiny synthetic dataset."""
    make_fake_fashion_mnist(tmp_path / "FashionMNIST" / "raw")
    return tmp_path


@pytest.fixture
def images() -> torch.Tensor:
    """A small batch of images in [0, 1], (16, 1, 28, 28)."""
    return torch.rand(16, 1, 28, 28, generator=torch.Generator().manual_seed(0))


@pytest.fixture(autouse=True, scope="session")
def kernels_import_the_test_course_checks():
    """The tiny test course's hidden tests import ``kl_checks`` (tests/autograde_support): put it on
    ``PYTHONPATH`` for every nbgrader and classgrade process the tests start, and their kernels."""
    from autograde_support import course

    os.environ["PYTHONPATH"] = course.kernel_environ()["PYTHONPATH"]


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the test (``item.report_call``, ...), for fixtures that act on failure
    (``browser_support.keep_on_failure`` keeps a failed browser test's trace and screenshots)."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


ROOT = Path(__file__).resolve().parent.parent
BOOK_BUILD_TIMEOUT_S = 1200  # a clean build of both editions takes a few minutes on 2 CPU cores


@pytest.fixture(scope="session")
def built_book() -> Path:
    """Build the book with the README's command (``scripts/build-book``) and return ``_build/html``.

    One build for the whole run, shared by every test that reads or browses the site. Concurrent test
    runs take turns (the script's own lock); one that waited finds the build done and cached.
    """
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "build-book")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=BOOK_BUILD_TIMEOUT_S,
    )
    assert result.returncode == 0, (
        f"scripts/build-book failed (exit {result.returncode}).\n"
        f"--- last lines of its output ---\n{(result.stdout + result.stderr)[-6000:]}"
    )
    return ROOT / "_build" / "html"


@pytest.fixture(scope="session")
def server(built_book):
    """Serve the built site on 127.0.0.1 from a thread; yields the base URL (ending in ``/``)."""

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
def chromium():
    """Debian's Chromium under Playwright (``tests/browser_support``), one per test module."""
    from browser_support import launch
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch(playwright)
        yield browser
        browser.close()
