"""The audit channel (``kernel_boot``'s hook, ``execution/audit.py``'s reader), against a kernel's own code.

Each test runs a fresh interpreter that installs the hook exactly as a kernel does, then runs
"cells": code compiled under ipykernel's cell file names, which is how the hook tells a cell from a
library. The interpreter gets only its ends of the channel, as a kernel does; the runner's end here
reads and verifies what came through.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from classgrade.execution import audit, kernel_boot

REPOSITORY = Path(__file__).resolve().parents[2]
PRELUDE = """
import json, os, sys, tempfile
sys.path.insert(0, {repository!r})
import IPython.core.interactiveshell as shell
from classgrade.execution import kernel_boot
sys.path[1:1] = {path!r}  # where a kernel imports the course's package from
fds = json.loads(sys.argv[1])
kernel_boot.install_audit_hook(fds["audit_fd"], fds["audit_key_fd"], {sandbox!r}, {roots!r}, {packages!r})
CELL = os.path.join(tempfile.gettempdir(), "ipykernel_7", "cell.py")
namespace = {{"open": shell._modified_open, "AUDIT_FD": fds["audit_fd"]}}  # IPython's open, as in a kernel
for number, source in enumerate(json.loads(sys.argv[2])):
    try:
        exec(compile(source, CELL, "exec"), namespace)
    except Exception as error:
        print("cell", number, type(error).__name__, error, file=sys.stderr)
if sys.argv[3]:
    sys.audit(kernel_boot.HEARTBEAT, sys.argv[3])
"""


def run_cells(
    cells: list[str], tmp_path: Path, *, roots=("/usr", "/lib", "/proc", "/dev"), packages=(), path=(), heartbeat=True
) -> tuple[list[dict], list[dict]]:
    """Run ``cells`` behind the hook; (the hook's records, what the runner found wrong with the channel)."""
    import json

    channel = audit.AuditChannel()
    sandbox = tmp_path / "sandbox"
    sandbox.mkdir(exist_ok=True)
    prelude = PRELUDE.format(
        repository=str(REPOSITORY), sandbox=str(sandbox), roots=list(roots), packages=packages, path=list(path)
    )
    command = [
        sys.executable,
        "-c",
        prelude,
        json.dumps(channel.kernel_fds),
        json.dumps([textwrap.dedent(c) for c in cells]),
        channel.nonce if heartbeat else "",
    ]
    child = subprocess.Popen(command, pass_fds=tuple(channel.kernel_fds.values()), cwd=sandbox, stderr=subprocess.PIPE)
    channel.started()
    _out, err = child.communicate(timeout=120)
    assert child.returncode == 0, err.decode()
    found = channel.finish(expect_heartbeat=heartbeat)
    return [r for r in found if r["event"] != "audit.channel"], [r for r in found if r["event"] == "audit.channel"]


@pytest.mark.parametrize(
    "opener",
    [
        "open(PATH).read()",  # IPython's wrapper around open: a library frame between the cell and io.open
        "import builtins\nbuiltins.open(PATH).read()",
        "import io\nio.open(PATH).read()",
        "import os\nos.close(os.open(PATH, os.O_RDONLY))",
        "import pathlib\npathlib.Path(PATH).read_text()",
        "import codecs\ncodecs.open(PATH).read()",
    ],
    ids=["ipython-open", "builtins.open", "io.open", "os.open", "pathlib", "codecs"],
)
def test_every_file_a_cell_opens_is_recorded_whatever_opens_it(tmp_path, opener):
    cell = f"PATH = '/etc/hostname'\n{opener}"
    records, problems = run_cells([cell], tmp_path, roots=("/etc", "/usr"))
    assert {"event": "open", "arg": "/etc/hostname", "line": cell.count("\n") + 1} in records, records
    assert problems == []


def test_libraries_reading_readable_paths_for_a_cell_are_not_evidence(tmp_path):
    library = "/usr/lib/python3/dist-packages/somelib/reader.py"  # a library's frame, not the standard library's
    cell = f"""
    code = compile("def read(path):\\n    return open(path, 'rb').read(1)", {library!r}, "exec")
    scope = {{}}
    exec(code, scope)
    scope["read"]("/etc/hostname")  # readable: the library's business
    try:
        scope["read"]("/home/nobody/course/gradebook.db")  # outside every readable root: evidence
    except OSError:
        pass
    """
    records, problems = run_cells([cell], tmp_path, roots=("/etc", "/usr"))
    assert [r["arg"] for r in records if r["event"] == "open"] == ["/home/nobody/course/gradebook.db"]
    assert problems == []


def test_the_reference_package_is_readable_wherever_it_is_installed(tmp_path):
    """An editable install outside the course folder, reached through a link (a home folder on another
    disk): the checks reading their own source, as a traceback does, are not an outside-file."""
    clone = tmp_path / "disk" / "clone"
    (clone / "refpkg").mkdir(parents=True)
    (clone / "refpkg" / "__init__.py").write_text(
        "import linecache\n\ndef own_source():\n    return linecache.getline(__file__, 1)\n"
    )
    link = tmp_path / "home"
    link.symlink_to(tmp_path / "disk")
    cell = "import refpkg\nassert refpkg.own_source()"
    # what the coordinator passes: the package's folder as it found it, resolved or not, or nothing
    for roots in ([str(clone / "refpkg")], [str(link / "clone" / "refpkg")], []):
        records, problems = run_cells(
            [cell], tmp_path, roots=("/usr", *roots), packages=("refpkg",), path=[str(link / "clone")]
        )
        assert [r for r in records if r["event"] == "open"] == [], records
        assert problems == []


def test_a_flood_of_harmless_records_is_flagged_not_hidden(tmp_path):
    flood = f"""
    import os
    for i in range({kernel_boot.MAX_RECORDS + 50}):
        try:
            os.listdir(f"/nonexistent/{{i}}")
        except OSError:
            pass
    open("/etc/hostname").read()  # past the hook's cap: lost, but the flood says so
    """
    records, _problems = run_cells([flood], tmp_path)
    assert len(records) == kernel_boot.MAX_RECORDS + 1 and "/etc/hostname" not in [r["arg"] for r in records]
    assert records[-1]["event"] == "audit.flood"


def test_bytes_a_cell_writes_into_the_channel_are_forgeries_and_hide_nothing(tmp_path):
    forge = f"""
    import json, os, struct
    fake = b'{{"event": "open", "arg": "/harmless", "line": 1}}\\n'
    os.write(AUDIT_FD, fake)
    # a header whose length swallows the next record, and a record with a made-up tag
    os.write(AUDIT_FD, {kernel_boot.MAGIC!r} + struct.pack(">II", 0, 500))
    payload = b"open\\x1f/harmless\\x1f1"
    os.write(AUDIT_FD, {kernel_boot.MAGIC!r} + struct.pack(">II", 1, len(payload)) + payload + b"0" * {kernel_boot.TAG_BYTES})
    for attempt in (lambda: os.ftruncate(AUDIT_FD, 0), lambda: os.lseek(AUDIT_FD, 0, 0)):
        try:
            attempt()  # a pipe: nothing to truncate, nowhere to seek
        except OSError:
            pass
    """
    records, problems = run_cells([forge, "open('/etc/hostname').read()"], tmp_path)
    assert [r["arg"] for r in records] == ["/etc/hostname"]  # the real record, right after the junk
    assert len(problems) == 1 and "not written by the grader's hook (forged)" in problems[0]["arg"]


def test_a_flood_of_junk_hides_no_record(tmp_path):
    junk = "import os\nfor _ in range(512):\n    os.write(AUDIT_FD, b'CGAU' * 16384)  # 32 MiB of almost-records"
    records, problems = run_cells([junk, "open('/etc/hostname').read()"], tmp_path)
    assert [r["arg"] for r in records] == ["/etc/hostname"]
    assert len(problems) == 1 and f"{512 * 65536} bytes" in problems[0]["arg"], problems


@pytest.mark.parametrize(
    "cut",
    ["import os\nos.close(AUDIT_FD)", "import os\nos.dup2(os.open(os.devnull, os.O_WRONLY), AUDIT_FD)"],
    ids=["closed", "replaced"],
)
def test_a_cut_channel_is_flagged(tmp_path, cut):
    records, problems = run_cells(["open('/etc/hostname').read()", cut, "open('/etc/passwd').read()"], tmp_path)
    assert "/etc/hostname" in [r["arg"] for r in records] and "/etc/passwd" not in [r["arg"] for r in records]
    assert any("the audit channel was cut" in p["arg"] for p in problems), problems


def test_the_hook_runs_none_of_the_cells_code(tmp_path):
    """Patched helpers and a path whose methods run code: the hook calls none of them, records the truth."""
    cell = """
    import json, os, posixpath, tempfile
    ran = []
    os.path.abspath = posixpath.abspath = lambda path: "/harmless"
    json.dumps = lambda *args, **kwargs: "{}"
    tempfile.gettempdir = lambda: "/nowhere"

    class Sneaky(str):
        def startswith(self, *args):
            ran.append("startswith")
            return True

        def split(self, *args):
            ran.append("split")
            return []

    open(Sneaky("/etc/hostname")).read()
    assert not ran, ran
    """
    records, problems = run_cells([cell], tmp_path)
    assert [r["arg"] for r in records if r["event"] == "open"] == ["/etc/hostname"]
    assert problems == []


def test_reaching_the_hooks_key_leaves_a_record(tmp_path):
    cell = "import gc\nhooks = [o for o in gc.get_objects() if callable(o) and getattr(o, '__name__', '') == 'hook']"
    records, _problems = run_cells([cell], tmp_path)
    assert {"event": "gc.get_objects", "arg": "", "line": 2} in records


def test_records_verify_only_under_their_key():
    records, junk, gaps = audit.verify(b"CGAU" + b"\x00" * 40, os.urandom(kernel_boot.KEY_BYTES))
    assert (records, junk, gaps) == ([], 44, 0)
    assert audit.verify(b"anything", None) == ([], 8, 0)
