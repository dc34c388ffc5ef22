"""What the trusted judge costs (issue 11): one real assignment graded with and without it.

Builds a temporary course with one of the course's assignments and ``--students`` copies of the
solved notebook, then grades it with ``python -m classgrade autograde --jobs 2`` three times: with
the judge, without it (``--checks-module ""``: the kernel decides, as before issue 11), and with
it again (the first run also warms the disk cache). Prints the wall time of each run and the
runner's seconds per notebook (kernel start, cells, probe and, with the judge, its verdicts).

    python bench/bench_judge.py 04_mlp_vae --students 4
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "classgrade"))

import nbformat
from test_autograde import _real_course


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("assignment", help="one of solutions/, e.g. 04_mlp_vae")
    parser.add_argument("--students", type=int, default=4, help="solved submissions (default 4)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        course, name, _release, solved, points = _real_course(args.assignment, Path(tmp))
        for i in range(args.students):
            folder = course / "submitted" / f"student{i:03d}" / args.assignment
            folder.mkdir(parents=True)
            nbformat.write(solved, folder / name)
        for label, extra in (("judge", []), ("no judge", ["--checks-module", ""]), ("judge", [])):
            start = time.perf_counter()
            command = [
                sys.executable,
                "-m",
                "classgrade",
                "autograde",
                args.assignment,
                "--jobs",
                "2",
                "--quiet",
                *extra,
            ]
            result = subprocess.run(command, cwd=course, capture_output=True, text=True, check=False)
            wall = time.perf_counter() - start
            if result.returncode != 0:
                sys.exit(result.stderr[-3000:])
            report = json.loads((course / "reports" / "autograde" / args.assignment / "report.json").read_text())
            runner = sum(entry["seconds"] for entry in report["submissions"]) / args.students
            scores = sorted({entry["score"] for entry in report["submissions"]})
            print(
                f"{args.assignment} {label:>8}: {wall:5.1f} s wall, {runner:.2f} s per notebook in the runner, "
                f"scores {scores} of {points:g}"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
