"""The course hub under test: start ``scripts/classroom``, and what a person does on it in JupyterLab.

:class:`Hub` starts the README's command on a classroom folder of the test's own and reads the
address it prints. The page helpers click as a person would: the hub's login form, JupyterLab's
*Nbgrader* menu, the assignment list's buttons, a notebook's cells and its *Validate* button,
formgrader's pages in their JupyterLab panel. :func:`shot` keeps a screenshot of a step, which
the instructor's guide shows (``docs/images/hub-*.png``, rewritten when ``VAE_COURSE_GUIDE_SCREENSHOTS=1``).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from classroom.hub import server_url
from classroom.layout import Classroom
from classroom.process import free_port, processes_of

ROOT = Path(__file__).resolve().parents[2]

SHOTS = ROOT / "_build" / "test-artifacts" / "classroom"  # every run's screenshots of the guide's steps
GUIDE_IMAGES = ROOT / "docs" / "images"  # the guide's copies, rewritten when the variable below is 1
UPDATE_GUIDE = "VAE_COURSE_GUIDE_SCREENSHOTS"
GUIDE_COLOURS = 96  # the guide's screenshots are palette PNGs: a few tens of kilobytes each
HUB_START_TIMEOUT_S = 600  # generating the course and starting JupyterHub; minutes on a busy 2-core machine
STEP_TIMEOUT_MS = 240_000  # one click's effect: a server's first start, validating, grading
VIEWPORT = {"width": 1100, "height": 700}


@dataclass
class Hub:
    """A running ``scripts/classroom``: its process, address and folder, and what it printed so far
    (read by a thread, line by line, until it exits)."""

    process: subprocess.Popen
    port: int
    classroom: Classroom
    output: list[str] = field(default_factory=list)
    ready: threading.Event = field(default_factory=threading.Event)
    reader: threading.Thread | None = None

    def read_output(self) -> None:
        for line in self.process.stdout:
            self.output.append(line.rstrip("\n"))
            if line.startswith("The course hub is at"):
                self.ready.set()

    @property
    def url(self) -> str:
        return f"http://localhost:{self.port}/"

    def server(self, name: str) -> str:
        return server_url(self.port, name)

    @property
    def origins(self) -> list[str]:
        """Every address of the hub, for :func:`browser_support.offline_context`."""
        names = [path.name for path in (self.classroom.root / "home").iterdir()]
        return [self.url] + [f"http://{name}.localhost:{self.port}/" for name in names]

    def stop(self, timeout: float = 180) -> int:
        """Ctrl-C, as in a terminal; returns the exit status once it printed its last line."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
        status = self.process.wait(timeout)
        self.reader.join(timeout)
        self.process.stdout.close()
        return status

    def processes(self) -> list[int]:
        """The running processes of its classroom (the hub, the proxy, servers, kernels, terminals)."""
        return processes_of(self.classroom)


def start_hub(folder: Path, accounts: Path, assignments: list[str], course_id: str) -> Hub:
    """``scripts/classroom FOLDER --accounts ACCOUNTS --port P --assignments ...``, once it printed its address."""
    port = free_port()
    command = [sys.executable, str(ROOT / "scripts" / "classroom"), str(folder), "--accounts", str(accounts)]
    command += ["--port", str(port), "--assignments", *assignments]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    hub = Hub(process, port, Classroom(folder.resolve(), course_id))
    hub.reader = threading.Thread(target=hub.read_output, daemon=True)
    hub.reader.start()
    if not hub.ready.wait(HUB_START_TIMEOUT_S):
        hub.stop()
        raise AssertionError("scripts/classroom did not print its address:\n" + "\n".join(hub.output))
    return hub


def shot(page, name: str, element=None) -> None:
    """Keep a screenshot of ``page`` (or of one of its elements) as ``hub-NAME.png``, for the guide."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"hub-{name}.png"
    (element or page).screenshot(path=path)
    if os.environ.get(UPDATE_GUIDE) == "1":
        from PIL import Image

        GUIDE_IMAGES.mkdir(parents=True, exist_ok=True)
        with Image.open(path) as image:
            palette = image.convert("RGB").quantize(colors=GUIDE_COLOURS, method=Image.Quantize.MEDIANCUT)
            palette.save(GUIDE_IMAGES / path.name, optimize=True)


# --- JupyterLab, as a person uses it ---------------------------------------------------------------


def login(context, hub: Hub, name: str, password: str, screenshot: str = ""):
    """Log ``name`` in on the hub's login page; return the page once their JupyterLab is ready."""
    page = context.new_page()
    page.set_default_timeout(STEP_TIMEOUT_MS)
    page.goto(hub.url + "hub/login")
    page.fill("#username_input", name)
    page.fill("#password_input", password)
    if screenshot:
        shot(page, screenshot)
    page.click("#login_submit")
    page.wait_for_url(hub.server(name) + "lab**")
    menu_item(page, "Nbgrader").wait_for()  # JupyterLab has loaded its plugins
    return page


def menu_item(page, label: str):
    return page.locator(f'#jp-menu-panel div.lm-MenuBar-itemLabel:text-is("{label}")')


def nbgrader_menu(page) -> list[str]:
    """Open JupyterLab's *Nbgrader* menu (it stays open); return its items' labels."""
    menu_item(page, "Nbgrader").click()
    items = page.locator("#jp-mainmenu-nbgrader .lm-Menu-item:visible .lm-Menu-itemLabel")
    items.first.wait_for()
    return items.all_inner_texts()


def run_command(page, menu: str, command: str) -> None:
    """Click ``command`` (a JupyterLab command id) in the main menu ``menu``, opening it unless it is open."""
    item = page.locator(f'.lm-Menu-item[data-command="{command}"]')
    if not item.is_visible():
        menu_item(page, menu).click()
    item.click()


def assignment_list(page):
    """Open (or refresh) the assignment list from the *Nbgrader* menu; returns its panel."""
    run_command(page, "Nbgrader", "nbgrader:open-assignment-list")
    panel = page.locator("#nbgrader-assignment-list")
    for name in ("released", "fetched", "submitted"):
        panel.locator(f"#{name}_assignments_list_loading").wait_for(state="hidden")
    return panel


def replace_cell(page, cell, text: str) -> None:
    """Replace the source of ``cell`` (a ``.jp-Cell`` locator) with ``text``, as if pasted."""
    cell.scroll_into_view_if_needed()
    if "jp-MarkdownCell" in (cell.get_attribute("class") or ""):
        cell.dblclick()  # a rendered Markdown cell opens its editor on a double click
    cell.locator(".cm-content").click()
    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.insert_text(text)  # one input event: no auto-indentation or closing brackets


def formgrader(page):
    """Open formgrader from the *Nbgrader* menu; returns its frame (JupyterLab shows it in an iframe)."""
    run_command(page, "Nbgrader", "nbgrader:open-formgrader")
    frame = page.locator("#formgrader-iframe iframe").element_handle().content_frame()
    frame.wait_for_load_state()
    return frame


def formgrader_action(frame, assignment: str, column: str) -> str:
    """Click formgrader's button ``column`` (``release``, ``collect``, ...) on ``assignment``'s row of
    *Manage Assignments*; return the text of the dialog that reports success, closed."""
    frame.locator("#main-table tr", has_text=assignment).locator(f"td.{column} a").click()
    dialog = frame.locator("#success-modal, #error-modal")
    dialog.wait_for()
    text = dialog.inner_text()
    assert frame.locator("#success-modal").count() == 1, text
    return text


def close_dialog(frame) -> None:
    frame.locator("#success-modal .modal-footer button.close").click()
    frame.locator("#success-modal").wait_for(state="detached")


def new_terminal(page):
    """*File > New > Terminal*; returns the terminal, focused."""
    menu_item(page, "File").click()
    page.locator("#jp-mainmenu-file .lm-Menu-item", has_text="New").first.hover()
    page.locator('.lm-Menu-item[data-command="terminal:create-new"]').click()
    terminal = page.locator(".jp-Terminal:visible")
    terminal.wait_for()
    terminal.click()
    return terminal


def wait_until(page, condition, what: str, timeout_s: float = STEP_TIMEOUT_MS / 1000):
    """Poll ``condition()`` (the server's side of a click: a file, a gradebook row) while the page
    goes on; return its first true value."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        page.wait_for_timeout(500)
    raise AssertionError(f"timed out after {timeout_s:.0f} s waiting for {what}")
