"""``python -m classgrade``: autograde a class, write its class report, or check what isolation this machine offers.

The one place where arguments are parsed; everything else takes dataclass options. Flags left out
fall back to the ``ClassGrade`` section of the course's ``nbgrader_config.py``.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys

from ..config import REPORT_LANGUAGES
from ..environment import put_scripts_on_path
from .autograde import AutogradeOptions


def _shard(text: str) -> tuple[int, int]:
    k, _, n = text.partition("/")
    if not (k.isdigit() and n.isdigit() and 1 <= int(k) <= int(n)):
        raise argparse.ArgumentTypeError("expected K/N with 1 <= K <= N, e.g. 2/3")
    return int(k), int(n)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m classgrade", description="Grade nbgrader submissions in parallel, isolated kernels."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    grade = commands.add_parser(
        "autograde", help="autograde every submission of an assignment, or of all ('*'), in the course folder"
    )
    grade.add_argument(
        "assignment",
        help="assignment name, e.g. 02_reparameterization, or a pattern: '*' grades every "
        "assignment that has submissions, from one warm pool",
    )
    grade.add_argument("--course-dir", default=".", help="the nbgrader course folder (default: here)")
    grade.add_argument("--student", default="*", help="a student id or glob pattern: regrade only those")
    grade.add_argument(
        "--jobs", "-j", type=int, default=os.cpu_count() or 1, help="notebooks executed at once (default: CPU count)"
    )
    grade.add_argument("--timeout-cell", type=int, help="seconds per cell (default: nbgrader's Execute.timeout, 30)")
    grade.add_argument(
        "--timeout-notebook", type=float, default=600.0, help="seconds per notebook, 0 for none (default: 600)"
    )
    grade.add_argument(
        "--memory-mb", type=int, default=4096, help="memory per kernel beyond its start-up size (default: 4096)"
    )
    grade.add_argument("--output-limit-mb", type=int, default=16, help="output kept per notebook (default: 16)")
    grade.add_argument(
        "--kernel-start",
        choices=("fork", "spawn"),
        default="fork",
        help="fork kernels from warm workers (fast), or spawn a fresh interpreter per notebook as nbgrader does",
    )
    grade.add_argument(
        "--preload",
        help="modules each worker imports once, for all its kernels; comma-separated "
        "('' for none; default: ClassGrade.preload, e.g. numpy,torch,matplotlib.pyplot)",
    )
    grade.add_argument(
        "--warmup",
        help="Python code each worker runs once (default: ClassGrade.warmup, the first "
        "torch.testing.assert_close; '' for none)",
    )
    grade.add_argument("--threads", type=int, help="math threads per kernel (default: 1)")
    grade.add_argument(
        "--only-new", action="store_true", help="skip submissions already graded and unchanged (nbgrader's default)"
    )
    grade.add_argument("--no-restore-deleted", action="store_true", help="do not add deleted grade cells back")
    grade.add_argument("--no-isolation", action="store_true", help="no namespaces and no Landlock (limits still apply)")
    grade.add_argument("--allow-network", action="store_true", help="let kernels use the network")
    grade.add_argument(
        "--allow-read",
        action="append",
        default=[],
        metavar="PATH",
        help="another path kernels may read, besides ClassGrade.read_paths (repeatable)",
    )
    grade.add_argument(
        "--reference-package", help="the package of reference solutions (default: ClassGrade.reference_package)"
    )
    grade.add_argument(
        "--checks-module", help="the module of helpers the hidden tests call (default: ClassGrade.checks_module)"
    )
    grade.add_argument(
        "--env", action="append", default=[], metavar="NAME[=VALUE]", help="pass a variable to kernels (repeatable)"
    )
    grade.add_argument("--shard", type=_shard, metavar="K/N", help="grade only the K-th of N slices of the class")
    grade.add_argument("--report-dir", help="where report.json/csv go (default: reports/autograde/<assignment>)")
    grade.add_argument("--tmp-dir", help="where sandboxes are made (default: the system's temporary folder)")
    grade.add_argument("--quiet", action="store_true", help="no progress bar")
    grade.add_argument(
        "--nbgrader",
        action="append",
        default=[],
        metavar="OPTION",
        help="an nbgrader option, e.g. --nbgrader=--Execute.timeout=60 (repeatable)",
    )
    commands.add_parser("sandbox-check", help="print what isolation works on this machine, as JSON")
    report = commands.add_parser(
        "report",
        help="write the class report (HTML page, figures, CSV tables) of some assignments, or all, from the gradebook",
    )
    report.add_argument(
        "assignments", nargs="*", help="assignment names or patterns (default: every assignment in the gradebook)"
    )
    report.add_argument("--course-dir", default=".", help="the nbgrader course folder (default: here)")
    report.add_argument("--output", "-o", help="the report's folder (default: reports/class in the course folder)")
    report.add_argument("--runs", help="classgrade's run reports (default: reports/autograde in the course folder)")
    report.add_argument(
        "--anonymous", action="store_true", help="no names, no integrity flags, no per-student tables: for the class"
    )
    report.add_argument(
        "--language", choices=REPORT_LANGUAGES, help="the report's language (default: ClassGrade.language, e.g. en)"
    )
    report.add_argument(
        "--nbgrader",
        action="append",
        default=[],
        metavar="OPTION",
        help="an nbgrader option, e.g. --nbgrader=--CourseDirectory.db_url=postgresql://... (repeatable)",
    )
    return parser


def options_from(args: argparse.Namespace) -> AutogradeOptions:
    return AutogradeOptions(
        assignment=args.assignment,
        course_dir=args.course_dir,
        student=args.student,
        jobs=args.jobs,
        timeout_cell=args.timeout_cell,
        timeout_notebook=args.timeout_notebook,
        memory_mb=args.memory_mb,
        output_limit_mb=args.output_limit_mb,
        kernel_start=args.kernel_start,
        preload=None if args.preload is None else tuple(name for name in args.preload.split(",") if name),
        warmup=args.warmup,
        threads=args.threads,
        only_new=args.only_new,
        restore_deleted=not args.no_restore_deleted,
        isolate=not args.no_isolation,
        network=args.allow_network,
        read_paths=tuple(args.allow_read),
        pass_env=tuple(args.env),
        shard=args.shard,
        report_dir=args.report_dir,
        progress=not args.quiet,
        tmp_dir=args.tmp_dir,
        nbgrader_args=tuple(args.nbgrader),
        reference_package=args.reference_package,
        checks_module=args.checks_module,
    )


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    put_scripts_on_path()  # nbgrader runs this environment's alembic when it opens the gradebook
    if args.command == "sandbox-check":
        from ..sandbox import check

        print(json.dumps(check(), indent=2))
        return 0
    if args.command == "report":
        return _report(args)
    from ..execution.kernel import socket_path_problem

    problem = socket_path_problem(args.tmp_dir)
    if problem:
        parser.error(problem)
    from . import report
    from .autograde import autograde_course, report_folder

    options = options_from(args)
    results = autograde_course(options)
    for result in results:
        if len(results) > 1:
            print(f"\n{result.assignment}")
        print(report.format_table(result.submissions))
    for result in results:
        folder = report_folder(dataclasses.replace(options, assignment=result.assignment))
        print(
            f"{result.assignment}: {len(result.submissions)} submissions in {result.wall_seconds:.1f} s with "
            f"{result.jobs} jobs; report: {os.path.join(folder, 'report.json')} (and .csv)",
            file=sys.stderr,
        )
    result = results[0]
    missing = result.isolation.get("missing", [])
    if missing:
        print("isolation missing: " + "; ".join(missing), file=sys.stderr)
    for warning in result.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    return 0


def _report(args: argparse.Namespace) -> int:
    from ..classreport.build import ReportOptions, write_report

    options = ReportOptions(
        assignments=tuple(args.assignments),
        course_dir=args.course_dir,
        output=args.output,
        runs_dir=args.runs,
        anonymous=args.anonymous,
        language=args.language,
        nbgrader_args=tuple(args.nbgrader),
    )
    written = write_report(options)
    steps = ", ".join(f"{step} {seconds:.2f} s" for step, seconds in written.seconds.items())
    print(
        f"class report of {written.assignments} assignments, {written.students} students: {written.page} "
        f"({len(written.tables)} tables, {len(written.figures)} figures; {steps})"
    )
    return 0
