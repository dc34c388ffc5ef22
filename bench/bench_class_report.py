"""Class report benchmark (issue 24): how long ``python -m classgrade report`` takes for a big class.

Writes a synthetic graded class of the course's ten assignments (``tests/autograde_support/synthetic.py``:
``--students`` students, each missing an assignment now and then, some late, written answers
waiting for a hand, kernels that died, flags, every named hint), with a gradebook and classgrade's
run reports as a real grading leaves them; ``--plain K`` makes the last K assignments look graded by
plain ``nbgrader autograde`` (autograded notebooks instead of run reports: the report reads them).
Then runs the command an instructor types, ``python -m classgrade report`` (all assignments), and
prints its wall time, its CPU time (less disturbed by other processes), the time of each step it
reports (reading, tables, figures, page) and what it wrote. Writing the class is not timed.

    python bench/bench_class_report.py                     # 500 students, every assignment by classgrade
    python bench/bench_class_report.py --plain 1           # the last assignment graded by plain nbgrader
    python bench/bench_class_report.py --students 50       # smoke run
    python bench/bench_class_report.py --json bench/results/class-report.json

The aim (issue 24): seconds, for 500 students across all assignments.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from autograde_support import synthetic  # noqa: E402


def run_report(course: Path, output: Path) -> dict:
    """One ``python -m classgrade report`` in ``course``: wall and CPU seconds, and its own step times."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    command = [sys.executable, "-m", "classgrade", "report", "--output", str(output)]
    result = subprocess.run(command, cwd=course, capture_output=True, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode != 0:
        sys.exit(f"{' '.join(command)} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    steps = {step: float(seconds) for step, seconds in re.findall(r"(\w+) ([\d.]+) s", result.stdout)}
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"wall_s": round(wall, 2), "cpu_s": round(cpu, 2), "steps_s": steps, "output": result.stdout.strip()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--students", type=int, default=500)
    parser.add_argument("--plain", type=int, default=0, help="the last K assignments graded by plain nbgrader")
    parser.add_argument("--repeat", type=int, default=2, help="runs of the report (the first warms the disk cache)")
    parser.add_argument("--json", help="write the figures to this file")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-class-report-") as folder:
        course = Path(folder) / "course"
        names = list(synthetic.course_cells())
        plain = tuple(names[len(names) - args.plain :]) if args.plain else ()
        start = time.perf_counter()
        plan, _db_url = synthetic.make_class(course, args.students, plain=plain)
        setup = time.perf_counter() - start
        grades = sum(len(entry.cells) for entry in plan.entries.values())
        print(
            f"class: {args.students} students, {len(plan.assignments)} assignments, {len(plan.entries)} submissions, "
            f"{grades} grades; {len(plain)} assignments graded by plain nbgrader (written in {setup:.0f} s, not timed)"
        )
        runs = []
        for number in range(args.repeat):
            run = run_report(course, Path(folder) / f"report-{number}")
            runs.append(run)
            steps = ", ".join(f"{k} {v:.2f} s" for k, v in run["steps_s"].items())
            print(f"run {number + 1}: {run['wall_s']:.1f} s wall, {run['cpu_s']:.1f} s CPU ({steps})")
        report = Path(folder) / f"report-{args.repeat - 1}"
        sizes = {
            "page_mb": round((report / "index.html").stat().st_size / 1e6, 2),
            "tables_mb": round(sum(p.stat().st_size for p in (report / "tables").iterdir()) / 1e6, 2),
            "figures": len(list((report / "figures").iterdir())),
        }
        print(f"wrote: index.html {sizes['page_mb']} MB, tables {sizes['tables_mb']} MB, {sizes['figures']} figures")
        best = min(runs, key=lambda r: r["wall_s"])
        print(f"class report of {args.students} students: {best['wall_s']:.1f} s wall (best of {args.repeat})")
        print("load average during the runs: " + ", ".join(f"{v:.1f}" for v in os.getloadavg()))
    if args.json:
        figures = {
            "students": args.students,
            "assignments": len(plan.assignments),
            "submissions": len(plan.entries),
            "grades": grades,
            "plain_assignments": len(plain),
            "runs": runs,
            "sizes": sizes,
            "machine": {"python": platform.python_version(), "cpus": os.cpu_count(), "load_average": os.getloadavg()},
        }
        Path(args.json).write_text(json.dumps(figures, indent=1))


if __name__ == "__main__":
    main()
