"""Just enough of the Chrome DevTools Protocol to test the built book in a real headless Chromium.

No Selenium and no driver binary: Chromium speaks the protocol over a WebSocket
(``websocket-client``). :class:`Browser` starts Debian's ``chromium`` with a throw-away profile;
:class:`Page` navigates, evaluates JavaScript and answers every network request itself, so the test
works offline: requests to the local book server go through, and everything else is refused (and
recorded), so a page that needs anything from outside the machine (a CDN, a web font) is caught.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

import websocket

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--window-size=1280,900",
    "--remote-debugging-address=127.0.0.1",
    "--remote-debugging-port=0",  # Chromium picks a free port and writes it to DevToolsActivePort
]


def find_chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


class DevToolsError(RuntimeError):
    """Chromium answered a command with an error, or did not answer in time."""


class Browser:
    """A headless Chromium process with its own temporary profile; use as a context manager."""

    def __init__(self, executable: str, startup_timeout: float = 60.0):
        self.profile = tempfile.mkdtemp(prefix="book-test-chromium-")
        self.process = subprocess.Popen(
            [executable, *CHROMIUM_FLAGS, f"--user-data-dir={self.profile}", "about:blank"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        port_file = Path(self.profile) / "DevToolsActivePort"
        deadline = time.monotonic() + startup_timeout
        while not (port_file.exists() and port_file.read_text().strip()):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.close()
                raise DevToolsError(f"Chromium did not start (exit code {self.process.returncode})")
            time.sleep(0.1)
        self.port = int(port_file.read_text().split()[0])

    def new_page(self) -> Page:
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}/json/new?about:blank", method="PUT")
        with urllib.request.urlopen(request, timeout=30) as response:
            target = json.load(response)
        return Page(target["webSocketDebuggerUrl"])

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.profile, ignore_errors=True)

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class Page:
    """One browser tab. Every request pauses in the Fetch domain and is routed by :meth:`_route`.

    Args:
        ws_url: the tab's ``webSocketDebuggerUrl``.

    Attributes:
        local_prefix: requests starting with this URL (the book server) are let through.
        blocked: URLs refused because they would leave the machine.
        exceptions: uncaught JavaScript exceptions of the current page.
    """

    def __init__(self, ws_url: str, timeout: float = 60.0):
        self.ws = websocket.create_connection(ws_url, timeout=timeout, suppress_origin=True)
        self.next_id = 0
        self.local_prefix = ""
        self.blocked: list[str] = []
        self.exceptions: list[str] = []
        self.events: list[dict] = []  # events not handled here (Page.loadEventFired, ...)
        self._responses: dict[int, dict] = {}
        self._unhandled: list[dict] = []  # received, not yet handled
        self._handling = False
        self.send("Page.enable")
        self.send("Runtime.enable")
        self.send("Fetch.enable", patterns=[{"urlPattern": "*", "requestStage": "Request"}])

    def _receive(self) -> None:
        message = json.loads(self.ws.recv())
        if "id" in message:
            self._responses[message["id"]] = message
        else:
            self._unhandled.append(message)

    def send(self, method: str, **params) -> dict:
        """Send a command and return its result, handling the events that arrive meanwhile."""
        self.next_id += 1
        command_id = self.next_id
        self.ws.send(json.dumps({"id": command_id, "method": method, "params": params}))
        while command_id not in self._responses:
            self._receive()
            self._handle_events()  # a paused request may be what this command waits for
        message = self._responses.pop(command_id)
        if "error" in message:
            raise DevToolsError(f"{method}: {message['error']}")
        return message.get("result", {})

    def _handle_events(self) -> None:
        """Answer paused requests and record exceptions; one loop, never re-entered."""
        if self._handling:
            return
        self._handling = True
        try:
            while self._unhandled:
                message = self._unhandled.pop(0)
                params = message.get("params", {})
                if message["method"] == "Fetch.requestPaused":
                    self._route(params)
                elif message["method"] == "Runtime.exceptionThrown":
                    details = params["exceptionDetails"]
                    self.exceptions.append(details.get("exception", {}).get("description") or details.get("text", ""))
                else:
                    self.events.append(message)
        finally:
            self._handling = False

    def _route(self, params: dict) -> None:
        url, request_id = params["request"]["url"], params["requestId"]
        if self.local_prefix and url.startswith(self.local_prefix):
            self.send("Fetch.continueRequest", requestId=request_id)
            return
        self.blocked.append(url)
        self.send("Fetch.failRequest", requestId=request_id, errorReason="BlockedByClient")

    def wait_for_event(self, method: str, timeout: float) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            self._handle_events()
            for i, event in enumerate(self.events):
                if event["method"] == method:
                    return self.events.pop(i)
            if time.monotonic() > deadline:
                raise DevToolsError(f"no {method} within {timeout} s")
            self._receive()

    def set_viewport(self, width: int, height: int, mobile: bool) -> None:
        """Lay pages out as on a screen of ``width`` x ``height`` CSS pixels (a phone if ``mobile``).

        ``mobile`` also makes Chromium honour the page's ``<meta name="viewport">``, as a phone does.
        """
        self.send("Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=1, mobile=mobile)

    def navigate(self, url: str, timeout: float = 60.0) -> None:
        """Open ``url`` and wait for its load event (all images and scripts fetched)."""
        self.events.clear()
        self.exceptions.clear()
        self.blocked.clear()
        result = self.send("Page.navigate", url=url)
        if result.get("errorText"):
            raise DevToolsError(f"navigating to {url}: {result['errorText']}")
        self.wait_for_event("Page.loadEventFired", timeout)

    def evaluate(self, expression: str, await_promise: bool = False):
        """The JSON value of a JavaScript expression (a promise is awaited if asked)."""
        result = self.send("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=await_promise)
        if "exceptionDetails" in result:
            raise DevToolsError(f"{expression[:60]}...: {result['exceptionDetails']}")
        return result["result"].get("value")

    def close(self) -> None:
        self.ws.close()
