"""The browser tests' own footing: Playwright drives Debian's Chromium, of the version it was made for.

Playwright speaks the DevTools protocol of the Chromium release it bundles; here it drives the
system's ``chromium`` instead (no browser can be downloaded). When an upgrade of Debian's package or
of the pinned Playwright makes the two major versions differ, this test says which Playwright to pin,
rather than letting the browser tests fail in obscure ways.
"""

from __future__ import annotations

import http.server
import threading

import pytest
from browser_support import (
    find_chromium,
    keep_on_failure,
    major,
    offline_context,
    playwright_chromium_version,
    system_chromium_version,
)


def test_playwright_was_made_for_the_system_chromium():
    executable = find_chromium()
    assert executable, "Chromium is not installed: scripts/install installs Debian's package chromium"
    system, bundled = system_chromium_version(executable), playwright_chromium_version()
    assert major(system) == major(bundled), (
        f"{executable} is Chromium {system}, but the pinned Playwright was made for Chromium {bundled}. "
        f"Pin in requirements.txt the Playwright release whose bundled Chromium has major version {major(system)} "
        "(its driver/package/browsers.json names it: pip download --no-deps playwright==X, then read that file)."
    )


@pytest.fixture(scope="module")
def local_site():
    """A one-page site on 127.0.0.1 whose page asks for a file from outside the machine."""
    page = (
        b"<!doctype html><html lang='en'><title>t</title><h1>Local</h1>"
        b"<img src='https://cdn.example.org/logo.png'><script>setTimeout(() => { throw new Error('boom') })</script>"
    )

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(page)

        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()
    httpd.server_close()
    thread.join()


def test_offline_context_refuses_other_hosts_and_records_exceptions(chromium, local_site):
    with offline_context(chromium, [local_site]) as (context, guard):
        page = context.new_page()
        page.goto(local_site, wait_until="load")
        page.wait_for_timeout(100)  # the page's timer throws
        assert page.locator("h1").text_content() == "Local"
        assert guard.blocked == ["https://cdn.example.org/logo.png"]
        assert any("boom" in exception for exception in guard.exceptions), guard.exceptions


class _Report:
    def __init__(self, failed: bool):
        self.failed = failed


class _Request:
    """What keep_on_failure reads of pytest's ``request``: the test's id and its call report."""

    def __init__(self, nodeid: str, failed: bool):
        self.node = type("Node", (), {"nodeid": nodeid, "report_call": _Report(failed)})()


@pytest.mark.parametrize("trace", [True, False])
@pytest.mark.parametrize("failed", [True, False])
def test_a_failed_browser_test_keeps_its_trace_and_screenshots(
    chromium, local_site, failed, trace, monkeypatch, tmp_path
):
    import browser_support

    monkeypatch.setattr(browser_support, "ARTIFACTS", tmp_path)
    nodeid = "tests/test_x.py::test_y[phone]"
    with offline_context(chromium, [local_site]) as (context, _):
        with keep_on_failure(context, _Request(nodeid, failed), trace=trace):
            context.new_page().goto(local_site, wait_until="load")
    kept = sorted(path.name for path in tmp_path.rglob("*") if path.is_file())
    assert kept == (["page-0.png"] + ["trace.zip"] * trace if failed else [])
