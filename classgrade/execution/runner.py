"""Execute one sanitized notebook in a sandboxed kernel, and return the executed notebook.

Runs in a process forked for this one notebook (see ``worker.py``); the kernel comes from
``kernel.py``. Execution is nbgrader's own ``Execute`` preprocessor (same traits, same error
outputs), with: a time limit for the whole notebook on top of the per-cell one; an error output in
every cell after a kernel death or the notebook limit (nbgrader gives full marks to a test cell
without output); an output budget (never dropping errors or stderr, which nbgrader grades on).
After the last cell, the probe (``probe.py``) looks for tampering inside the kernel. Once the
kernel is dead, the judge (``classgrade.judge``) decides the test cells from the answers the kernel
wrote while each one ran: this process never ran student code.
"""

from __future__ import annotations

import ast
import json
import math
import os
import shutil
import signal
import time
import traceback
import uuid
from pathlib import Path

import nbformat
from jupyter_client.manager import AsyncKernelManager
from jupyter_core.utils import ensure_async, run_sync
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbgrader.preprocessors import Execute
from traitlets import Float, Integer

from .. import status
from . import audit, probe
from .kernel import AdoptedProvisioner, ForkedProcess, SandboxPaths, start_kernel

_KEEP_STDERR = 2000  # characters of stderr kept when the output budget is spent
_MAX_TEXT = 20000  # characters kept of an error's value or traceback line


class SandboxedExecute(Execute):
    """nbgrader's ``Execute`` plus a notebook time limit, an output budget, and a kernel that may die."""

    keeper: ForkedProcess | None = None  # the kernel's keeper process, killed when execution stops
    answers_path: Path | None = None  # the kernel's answers file (see ``classgrade.judge``)
    notebook_timeout = Float(600.0, help="seconds for the whole notebook (None or <= 0: no limit)").tag(config=True)
    output_limit = Integer(16 * 1024 * 1024, help="bytes of stdout and display output kept per notebook").tag(
        config=True
    )

    def reset_execution_trackers(self) -> None:
        super().reset_execution_trackers()
        self.deadline = time.monotonic() + self.notebook_timeout if self.notebook_timeout > 0 else math.inf
        self.output_bytes = 0
        self.stopped: str | None = None  # why later cells do not run
        self.current_index: int | None = None  # the cell being executed
        self.events: list[str] = []
        self.details: list[str] = []
        self.spans: dict[int, tuple[int, int]] = {}  # cell index -> bytes of the answers file it wrote

    async def async_start_new_kernel_client(self):
        """nbclient's, with a quicker readiness check: jupyter_client polls in steps of 1 s and 0.2 s."""
        from queue import Empty

        from nbclient.util import run_hook

        self.kc = self.km.client()
        await ensure_async(self.kc.start_channels())
        deadline = time.monotonic() + self.startup_timeout
        while True:  # a kernel_info reply, and then any IOPub message: both channels are connected
            self.kc.kernel_info()
            try:
                reply = await ensure_async(self.kc.shell_channel.get_msg(timeout=0.2))
                if reply["msg_type"] == "kernel_info_reply":
                    await ensure_async(self.kc.iopub_channel.get_msg(timeout=0.2))
                    self.kc._handle_kernel_info_reply(reply)
                    break
            except Empty:
                pass
            if not await ensure_async(self.km.is_alive()):
                raise RuntimeError("Kernel died before replying to kernel_info")
            if time.monotonic() > deadline:
                raise RuntimeError(f"Kernel didn't respond in {self.startup_timeout} seconds")
        while True:  # what the kernel published before: status messages of the kernel_info requests
            try:
                await ensure_async(self.kc.iopub_channel.get_msg(timeout=0.05))
            except Empty:
                break
        self.kc.allow_stdin = False
        await run_hook(self.on_notebook_start, notebook=self.nb)
        return self.kc

    start_new_kernel_client = run_sync(async_start_new_kernel_client)

    def _get_timeout(self, cell):
        timeout = super()._get_timeout(cell)
        remaining = self.deadline - time.monotonic()
        if remaining == math.inf:
            return timeout
        return max(1, math.ceil(min(timeout or remaining, remaining)))

    def preprocess_cell(self, cell, resources, index):
        self.current_index = index
        if cell.cell_type != "code" or not cell.source.strip():
            return cell, resources
        if self.stopped is None and time.monotonic() >= self.deadline:
            self._stop(status.NOTEBOOK_TIMEOUT, f"notebook time limit of {self.notebook_timeout:g} s reached")
        if self.stopped is not None:
            cell.outputs = [_error("NotExecuted", f"this cell did not run: {self.stopped}")]
            return cell, resources
        start = _size(self.answers_path)
        try:
            cell, resources = super().preprocess_cell(cell, resources, index)
        except DeadKernelError:
            reason = _death_reason(self.keeper)
            cell.outputs.append(_error("DeadKernelError", f"the kernel died while running this cell ({reason})"))
            self._stop(status.KERNEL_DIED, f"the kernel died in cell {index} ({reason})")
        except CellTimeoutError as error:
            if not any(o.output_type == "error" for o in cell.outputs):
                cell.outputs.append(_error("CellTimeoutError", str(error).splitlines()[0]))
            self._stop(status.CELL_TIMEOUT, f"cell {index} ignored the interrupt after its time limit; kernel killed")
        else:
            self._note_errors(cell, index)
        self.spans[index] = (start, _size(self.answers_path))
        return cell, resources

    def _note_errors(self, cell, index) -> None:
        for output in cell.outputs:
            if output.output_type != "error":
                continue
            if output.ename == "CellTimeoutError" and time.monotonic() >= self.deadline - 1.0:
                self._stop(
                    status.NOTEBOOK_TIMEOUT,
                    f"notebook time limit of {self.notebook_timeout:g} s reached in cell {index}",
                )
            elif output.ename == "CellTimeoutError":
                self.events.append(status.CELL_TIMEOUT)
                self.details.append(f"cell {index} hit the {super()._get_timeout(cell)} s cell limit")
            elif output.ename == "MemoryError" or any(
                m in output.evalue for m in ("can't allocate memory", "bad_alloc")
            ):
                self.events.append(status.MEMORY)
                self.details.append(f"cell {index}: {output.ename}: {output.evalue[:200]}")

    def _stop(self, event: str, detail: str) -> None:
        self.stopped = detail
        self.events.append(event)
        self.details.append(detail)
        if self.keeper is not None:
            self.keeper.kill()

    def output(self, outs, msg, display_id, cell_index):
        content = msg["content"]
        kind = msg["msg_type"]
        if kind == "error":
            content["evalue"] = content.get("evalue", "")[:_MAX_TEXT]
            content["traceback"] = [line[:_MAX_TEXT] for line in content.get("traceback", [])[:200]]
            return super().output(outs, msg, display_id, cell_index)
        size = len(content.get("text", "")) + sum(len(str(v)) for v in content.get("data", {}).values())
        self.output_bytes += size
        if self.output_bytes <= self.output_limit:
            return super().output(outs, msg, display_id, cell_index)
        if kind == "execute_result":  # a test cell's result is its partial credit: keep it, shortened
            content["data"] = {k: str(v)[:_MAX_TEXT] for k, v in content.get("data", {}).items()}
            return super().output(outs, msg, display_id, cell_index)
        if status.OUTPUT not in self.events:
            self.events.append(status.OUTPUT)
            self.details.append(f"output beyond {self.output_limit / 1e6:g} MB dropped from cell {cell_index} on")
        if kind == "stream" and content.get("name") == "stderr":
            if not any(o.output_type == "stream" and o.name == "stderr" for o in outs):
                content["text"] = content["text"][:_KEEP_STDERR] + "\n[stderr truncated by the grader]\n"
                return super().output(outs, msg, display_id, cell_index)
        elif not any(getattr(o, "text", "").startswith("[output truncated") for o in outs):
            outs.append(nbformat.v4.new_output("stream", name="stdout", text="[output truncated by the grader]\n"))
        return None

    def evaluate_silently(self, expression: str, timeout: float = 10.0) -> str | None:
        """Evaluate ``expression`` in the kernel without touching history, counts or the notebook."""
        msg_id = self.kc.execute("", silent=True, store_history=False, user_expressions={"result": expression})
        self.deadline = time.monotonic() + timeout
        reply = self.wait_for_reply(msg_id)
        if not reply or reply["content"].get("status") != "ok":
            return None
        result = reply["content"]["user_expressions"].get("result", {})
        if result.get("status") != "ok":
            return None
        return ast.literal_eval(result["data"]["text/plain"])


def _size(path: Path | None) -> int:
    try:
        return os.lstat(path).st_size if path is not None else 0
    except OSError:
        return 0


def _error(ename: str, evalue: str):
    return nbformat.v4.new_output("error", ename=ename, evalue=evalue, traceback=[f"{ename}: {evalue}"])


def _death_reason(keeper: ForkedProcess | None) -> str:
    code = keeper.wait(timeout=2.0) if keeper is not None else None
    if code is None:
        return "exit status unknown"
    if code > 128:
        try:
            return f"killed by {signal.Signals(code - 128).name}"
        except ValueError:
            return f"killed by signal {code - 128}"
    return f"exit status {code}"


def _probe_expression(extra_modules: list[str], channel: audit.AuditChannel) -> str:
    """The probe's report, once the audit hook has written its heartbeat."""
    source = Path(probe.__file__).read_text()
    report = f"(lambda g: (exec({source!r}, g), g['collect']({tuple(extra_modules)!r}))[1])({{}})"
    return f"({channel.heartbeat()}, {report})[1]"


def run(task: dict) -> dict:
    """Execute ``task["notebook_path"]`` in a sandbox; return the notebook and what happened."""
    started = time.monotonic()
    paths = SandboxPaths(Path(task["base_dir"]) / f"run-{uuid.uuid4().hex[:8]}")
    result = {
        "notebook": None,
        "events": [],
        "details": [],
        "sandbox": {},
        "probe": None,
        "audit": [],
        "kernel_log": "",
    }
    try:
        paths.create(task["files_dir"], set(task.get("skip_files", [])))
        result["notebook"] = _execute(task, paths, result)
    except Exception:
        result["events"].append(status.GRADER_ERROR)
        result["details"].append(traceback.format_exc(limit=5))
    finally:
        result["seconds"] = time.monotonic() - started
        shutil.rmtree(paths.root, ignore_errors=True)
    return result


def _execute(task: dict, paths: SandboxPaths, result: dict):
    """Start the kernel, then read the notebook (so the forked kernel's memory never holds it)."""
    log_path = paths.root / "kernel.log"
    channel, log_fd = audit.AuditChannel(), _open_above_stdio(log_path)
    km = AsyncKernelManager(
        transport="ipc",
        ip=str(paths.socket_stem),
        transport_encryption="disabled",
        connection_file=str(paths.connection_file),
        kernel_name="python3",
    )
    km.write_connection_file()
    keeper, result["sandbox"] = start_kernel(task, paths, channel.kernel_fds, log_fd)
    channel.started()
    os.close(log_fd)
    nb = nbformat.read(task["notebook_path"], as_version=nbformat.NO_CONVERT)
    km.provisioner = AdoptedProvisioner(kernel_id=str(uuid.uuid4()), kernel_spec=km.kernel_spec, parent=km)
    km.provisioner.adopted = keeper
    executor = SandboxedExecute(**task["execute"])
    executor.reset_execution_trackers()
    heartbeat = False  # whether the kernel was asked for the audit hook's heartbeat
    try:
        executor.keeper, executor.answers_path = keeper, paths.answers
        executor.preprocess(nb, {"metadata": {"path": str(paths.work)}}, km=km)
        if executor.stopped is None and keeper.poll() is None:
            report = executor.evaluate_silently(_probe_expression(task.get("watched_modules", []), channel))
            result["probe"] = json.loads(report) if report else None
            heartbeat = report is not None  # the kernel evaluated the heartbeat before the probe
    except Exception as error:  # the kernel never answered, or the client failed: the rest did not run
        started = executor.current_index is not None
        result["events"].append(status.GRADER_ERROR if started else status.KERNEL_FAILED)
        result["details"].append(f"{type(error).__name__}: {error}")
        reason = "the grader failed" if started else "the kernel did not start"
        for cell in nb.cells[executor.current_index or 0 :]:
            if cell.cell_type == "code" and cell.source.strip():
                cell.outputs = [_error("NotExecuted", f"this cell did not run: {reason}")]
    finally:
        keeper.kill()
        keeper.wait(timeout=5.0)
    result["events"] += executor.events
    result["details"] += executor.details
    result["audit"] = channel.finish(expect_heartbeat=heartbeat)
    result["overruled"] = _judge(nb, executor.spans, paths.answers, task.get("checks_module", ""), result)
    if {status.KERNEL_DIED, status.KERNEL_FAILED} & set(result["events"]):
        with open(log_path, "rb") as log:
            log.seek(max(0, os.path.getsize(log_path) - 4000))
            result["kernel_log"] = log.read().decode(errors="replace")
    return nb


def _judge(nb, spans: dict[int, tuple[int, int]], answers: Path, checks_module: str, result: dict) -> list[dict]:
    """The trusted verdict on each test cell (the kernel is dead: it can neither see nor change it)."""
    from ..judge import ChannelError, judge_notebook
    from ..judge.channel import read_bytes

    try:
        data = read_bytes(str(answers))
    except ChannelError as error:
        data = error
    try:
        return judge_notebook(nb, spans, data, checks_module)
    except Exception:  # the checks module failed to load: no test cell the kernel passed can be trusted
        result["events"].append(status.GRADER_ERROR)
        result["details"].append("the judge failed: " + traceback.format_exc(limit=3))
        for cell in nb.cells:
            meta = cell.get("metadata", {}).get("nbgrader", {})
            if cell.cell_type == "code" and meta.get("grade") and not meta.get("solution"):
                cell.outputs = [_error("GraderError", "the grader could not judge this cell")]
        return []


def _open_above_stdio(path: Path) -> int:
    """Open ``path`` for appending at a descriptor above 2 (see ``audit.above_stdio``)."""
    return audit.above_stdio(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600))
