"""Autograde a whole class: nbgrader's grading, executed in parallel, isolated kernels.

The coordinator (this module) owns the gradebook: it prepares each submission with nbgrader's own
preprocessors, hands the sanitized notebooks to a pool of warm workers, and records each executed
notebook with nbgrader's own preprocessors again, one at a time. Workers never see the gradebook;
kernels see only a private copy of one submission. The result is the gradebook ``nbgrader
autograde`` would have written, plus a status per student and an integrity report.
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import glob
import importlib
import logging
import os
import site
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from .. import config as classgrade_config
from .. import integrity, sandbox, status
from ..config import ClassGrade
from ..execution.pool import PoolConfig, WorkerPool
from . import report

# Environment variables a kernel inherits from the grader (the rest of the environment is dropped).
KERNEL_ENV = (
    "PATH",
    "LANG",
    "LANGUAGE",
    "LC_ALL",
    "LC_CTYPE",
    "TZ",
    "USER",
    "LOGNAME",
    "PYTHONPATH",
    "PYTHONHASHSEED",
    "CUDA_VISIBLE_DEVICES",
)
_STARTUP_ALLOWANCE = 120.0  # seconds a runner may spend outside the notebook (kernel start, probe)


@dataclass(frozen=True)
class AutogradeOptions:
    """Everything ``python -m classgrade autograde`` can be told. ``None``: the course's
    configuration (the ``ClassGrade`` section of ``nbgrader_config.py``, see :mod:`classgrade.config`)."""

    assignment: str
    course_dir: str = "."
    student: str = "*"  # a student id or a glob pattern
    jobs: int = field(default_factory=lambda: os.cpu_count() or 1)  # notebooks executed at once
    timeout_cell: int | None = None  # seconds per cell; None: nbgrader's Execute.timeout (30)
    timeout_notebook: float = 600.0  # seconds per notebook, kernel start included; <= 0: none
    memory_mb: int = 4096  # memory a kernel may use beyond its start-up footprint
    output_limit_mb: int = 16  # stdout and display output kept per notebook
    kernel_start: str = "fork"  # fork: from a warm worker; spawn: a fresh interpreter, like nbgrader
    preload: tuple[str, ...] | None = None  # imported once per worker (fork mode); None: ClassGrade.preload
    warmup: str | None = None  # code run once per worker; None: ClassGrade.warmup
    threads: int | None = None  # math threads per kernel; None: 1 (hidden tests use small tensors)
    only_new: bool = False  # skip submissions already graded and not resubmitted (nbgrader's default)
    restore_deleted: bool = True  # add deleted grade and task cells back (OverwriteCells.add_missing_cells)
    isolate: bool = True  # namespaces and Landlock (limits always apply)
    network: bool = False  # let kernels reach the network
    read_paths: tuple[str, ...] = ()  # more paths kernels may read, besides ClassGrade.read_paths
    pass_env: tuple[str, ...] = ()  # more variables for kernels: NAME or NAME=VALUE
    shard: tuple[int, int] | None = None  # (k, n): grade only students k, k+n, k+2n... (1-based)
    report_dir: str | None = None  # default: <course>/reports/autograde/<assignment>
    progress: bool = True  # progress bar on stderr
    tmp_dir: str | None = None  # where sandboxes are made
    nbgrader_args: tuple[str, ...] = ()  # passed to nbgrader's option parser, e.g. --Execute.timeout=60
    reference_package: str | None = None  # None: ClassGrade.reference_package
    checks_module: str | None = None  # None: ClassGrade.checks_module


def autograde(options: AutogradeOptions) -> report.ClassReport:
    """Grade every submission of ``options.assignment``; return the class report (also written)."""
    if is_pattern(options.assignment):
        raise ValueError(f"{options.assignment!r} names several assignments: use autograde_course")
    return autograde_course(options)[0]


def autograde_course(options: AutogradeOptions) -> list[report.ClassReport]:
    """Grade every assignment that ``options.assignment`` names (a name, or a pattern such as ``*``,
    nbgrader's idiom for all of them) from one warm pool; return one class report per assignment
    (each also written to its own folder)."""
    course = Path(options.course_dir).resolve()
    from ..nbgrader.converter import shared_engines

    with _cwd(course), shared_engines(), contextlib.ExitStack() as stack:
        assignments = submitted_assignments(options, course) if is_pattern(options.assignment) else [options.assignment]
        runs = []
        for assignment in assignments:
            one = dataclasses.replace(options, assignment=assignment)
            folder = report_folder(one)
            folder.mkdir(parents=True, exist_ok=True)
            log_handler = stack.enter_context(_logging_to(folder / "autograde.log"))
            converter, settings = _converter(one, course, log_handler)
            runs.append((one, folder, converter, settings))
        first_converter, settings = runs[0][2], runs[0][3]
        server = not first_converter.coursedir.db_url.startswith(
            "sqlite"
        )  # a database server serializes shards' writes
        stack.enter_context(_exclusive(course, options.shard if server else None))
        prepare_errors = prepare(settings)
        pool_folder = runs[0][1] if len(runs) == 1 else course / "reports" / "autograde"
        bar = _progress_bar(options)
        gradings, started = {}, {}
        with bar, WorkerPool(_pool_config(options, settings, pool_folder)) as pool:
            for one, _folder, converter, course_settings in runs:  # dispatch each assignment in turn...
                started[one.assignment] = (report.now(), time.monotonic())
                submissions = converter.find_submissions()
                if options.shard:
                    k, n = options.shard
                    submissions = submissions[k - 1 :: n]
                config = sandbox_config(one, course_settings, converter.coursedir, course)
                isolation = sandbox.check(config) if one.isolate else {"applied": [], "missing": ["isolation: off"]}
                grading = gradings[one.assignment] = _Grading(one, course_settings, converter, config, bar, isolation)
                bar.total += len(submissions)
                bar.refresh()
                for submission in submissions:
                    grading.prepare(pool, submission)
                    _dispatch(gradings, pool.events(block=False))
            _dispatch(gradings, pool.events())  # ...while the pool works through all of them
            warnings = prepare_errors + pool.preload_errors + pool.start_errors
    reports = []
    for one, folder, _unused_converter, _unused_settings in runs:
        grading = gradings[one.assignment]
        results = list(grading.reports.values())
        begun, clock = started[one.assignment]
        class_report = report.ClassReport(
            one.assignment,
            begun,
            grading.finished - clock,
            options.jobs,
            grading.isolation,
            _merge_previous(folder, results),
            warnings,
        )
        report.write(class_report, folder)
        reports.append(dataclasses.replace(class_report, submissions=results))
    return reports


def prepare(settings: ClassGrade) -> list[str]:
    """Call the course's ``prepare`` functions once, before any kernel starts; return their errors.

    Kernels may only read what the course shares with them (its data set, say), so whatever must be
    written there on a fresh machine is written here, by the instructor's process, once. A function
    that fails is reported, not fatal: assignments that do not need what it prepares still grade.

    matplotlib's font list comes first: each kernel's home gets a copy of it (``execution.kernel``); a
    kernel that found none would scan the fonts itself and say so on stderr, which zeroes a test cell.
    """
    errors = []
    with contextlib.suppress(ImportError):
        import matplotlib.font_manager  # noqa: F401 (loading it writes the font list on a fresh machine)
    for target in settings.prepare:
        module, _, function = target.partition(":")
        try:
            getattr(importlib.import_module(module), function)()
        except Exception as err:
            errors.append(f"prepare {target}: {type(err).__name__}: {' '.join(str(err).split())}")
            print(f"warning: {errors[-1]}", file=sys.stderr)
    return errors


def is_pattern(assignment: str) -> bool:
    """Whether an assignment argument is a glob pattern (``*``, ``0?_*``, ``[12]*``), as nbgrader allows."""
    return any(character in assignment for character in "*?[")


def submitted_assignments(options: AutogradeOptions, course: Path) -> list[str]:
    """The assignments matching ``options.assignment`` that have at least one submission, sorted."""
    from nbgrader.coursedir import CourseDirectory

    coursedir = CourseDirectory(root=str(course))
    pattern = coursedir.format_path(coursedir.submitted_directory, "*", options.assignment)
    names = sorted({Path(folder).name for folder in glob.glob(pattern) if os.path.isdir(folder)})
    if not names:
        raise SystemExit(
            f"no submissions for any assignment matching {options.assignment!r} in "
            f"{coursedir.format_path(coursedir.submitted_directory, '*', '.')}"
        )
    return names


def _dispatch(gradings: dict[str, _Grading], events) -> None:
    for kind, task, result in events:
        gradings[task["assignment"]].handle(kind, task, result)


def _progress_bar(options: AutogradeOptions):
    from tqdm import tqdm

    return tqdm(total=0, unit="student", disable=not options.progress, file=sys.stderr, dynamic_ncols=True)


def report_folder(options: AutogradeOptions) -> Path:
    """``--report-dir``, else ``reports/autograde/<assignment>``, in a ``shard-K-of-N`` folder for a shard."""
    if options.report_dir:
        return Path(options.report_dir)
    folder = Path(options.course_dir).resolve() / "reports" / "autograde" / options.assignment
    return folder / "shard-{}-of-{}".format(*options.shard) if options.shard else folder


def sandbox_config(options: AutogradeOptions, settings: ClassGrade, coursedir, course: Path) -> sandbox.SandboxConfig:
    """Limits, and what kernels may read: the system, Python, the reference package, classgrade
    (in spawn mode a kernel starts from its ``kernel_boot``) and the configured paths; never the course."""
    protected = {
        str(course),
        coursedir.format_path(coursedir.submitted_directory, ".", "."),
        coursedir.format_path(coursedir.autograded_directory, ".", "."),
        coursedir.format_path(coursedir.source_directory, ".", "."),
        coursedir.format_path(coursedir.release_directory, ".", "."),
        coursedir.format_path(coursedir.feedback_directory, ".", "."),
    }
    if coursedir.db_url.startswith("sqlite:///"):
        protected.add(coursedir.db_url[len("sqlite:///") :])
    packages = ([settings.reference_package] if settings.reference_package else []) + [__name__.split(".")[0]]
    exceptions = tuple(path for name in packages for path in sandbox.package_dirs(name))
    reads = tuple(options.read_paths) + tuple(p for p in settings.read_paths if os.path.exists(p))
    return sandbox.SandboxConfig(
        memory_mb=options.memory_mb,
        namespaces=options.isolate,
        landlock=options.isolate,
        network=options.network,
        read_paths=reads,
        protected_paths=tuple(sorted(os.path.normpath(p) for p in protected)),
        exception_paths=exceptions,
    )


def kernel_env(options: AutogradeOptions, settings: ClassGrade, threads: int) -> dict[str, str]:
    """A clean environment for kernels: locale and paths, nbgrader's flag, the course's variables, threads."""
    env = {name: os.environ[name] for name in KERNEL_ENV if name in os.environ}
    for item in options.pass_env:
        name, _, value = item.partition("=")
        if value or name in os.environ:
            env[name] = value or os.environ[name]
    env.update(
        NBGRADER_EXECUTION="autograde",
        PYTHONUSERBASE=site.getuserbase(),
        PYDEVD_DISABLE_FILE_VALIDATION="1",
        MPLBACKEND="module://matplotlib_inline.backend_inline",  # as ipykernel sets it
        OMP_NUM_THREADS=str(threads),
        MKL_NUM_THREADS=str(threads),
        OPENBLAS_NUM_THREADS=str(threads),
    )
    for name, value in settings.kernel_env.items():
        env.setdefault(name, value)
    return env


def _threads(options: AutogradeOptions) -> int:
    # One thread: grading works on small tensors, and a kernel's threads spin against the coordinator and
    # the other workers (bench_autograde --course 4 on 2 cores: '*' --jobs 1 with 2 threads took 321 s and
    # hit cell time-outs; --jobs 2 with 1 thread each, 29 s).
    return options.threads or 1


def _preload(options: AutogradeOptions, settings: ClassGrade) -> tuple[str, ...]:
    return tuple(settings.preload) if options.preload is None else tuple(options.preload)


def _pool_config(options: AutogradeOptions, settings: ClassGrade, folder: Path) -> PoolConfig:
    warmup = settings.warmup if options.warmup is None else options.warmup
    return PoolConfig(
        jobs=max(1, options.jobs),
        preload=_preload(options, settings),
        warmup=warmup,
        threads=_threads(options),
        tmp_dir=options.tmp_dir,
        log_path=str(folder / "workers.log"),
    )


def _converter(options: AutogradeOptions, course: Path, log_handler: logging.Handler) -> tuple[object, ClassGrade]:
    """nbgrader's converter for this run, and the course's ClassGrade settings (options override them)."""
    from nbgrader.apps.autogradeapp import AutogradeApp
    from traitlets.config import Config

    from ..nbgrader.converter import SplitAutograde

    app = AutogradeApp()
    app.initialize([f"--student={options.student}", *options.nbgrader_args], root=str(course))
    app.coursedir.assignment_id = options.assignment
    for handler in list(app.log.handlers):
        app.log.removeHandler(handler)
    app.log.addHandler(log_handler)
    app.log.propagate = False
    if options.restore_deleted and "add_missing_cells" not in app.config.get("OverwriteCells", {}):
        app.update_config(Config({"OverwriteCells": {"add_missing_cells": True}}))
    settings = classgrade_config.load(app.config)
    for name in ("reference_package", "checks_module"):
        if getattr(options, name) is not None:
            setattr(settings, name, getattr(options, name))
    converter = SplitAutograde(coursedir=app.coursedir, parent=app)
    converter.force = not options.only_new
    converter.start_split(settings)
    return converter, settings


class _Grading:
    """One run: prepare, dispatch and finish submissions, keeping a report per student."""

    def __init__(
        self,
        options: AutogradeOptions,
        settings: ClassGrade,
        converter,
        config: sandbox.SandboxConfig,
        bar,
        isolation: dict,
    ) -> None:
        self.options, self.converter, self.bar, self.isolation = options, converter, bar, isolation
        self.finished = time.monotonic()  # when the last submission closed
        self.reports: dict[str, report.SubmissionReport] = {}
        self.outstanding: dict[str, set[str]] = {}
        self.running: set[str] = set()
        execute = converter.execute_traits()
        self.execute_enabled = execute.pop("enabled", True)
        if options.timeout_cell:
            execute["timeout"] = options.timeout_cell
        execute.update(
            notebook_timeout=float(options.timeout_notebook), output_limit=options.output_limit_mb * 1024 * 1024
        )
        threads = _threads(options)
        hard = options.timeout_notebook + _STARTUP_ALLOWANCE if options.timeout_notebook > 0 else 86400.0
        self.base_task = {
            "execute": execute,
            "sandbox": dataclasses.asdict(config),
            "env": kernel_env(options, settings, threads),
            "threads": threads,
            "kernel_start": options.kernel_start,
            "hard_timeout": hard,
            "extra_arguments": execute.get("extra_arguments", []),
            "preload": list(_preload(options, settings)),
            "watched_modules": list(settings.watched_modules),
            "checks_module": settings.checks_module,
        }

    def prepare(self, pool: WorkerPool, submission) -> None:
        student = submission.student
        self.bar.set_description_str(f"preparing {self.options.assignment}: {student}")
        try:
            prepared = self.converter.prepare(submission)
        except Exception as error:  # one submission must not stop the class
            self.reports[student] = report.SubmissionReport(
                student, status=[status.GRADER_ERROR], notes=[f"preparing failed: {type(error).__name__}: {error}"]
            )
            self.outstanding[student] = set()
            self._close(student)
            return
        if prepared.skipped:
            self.bar.total -= 1
            self.bar.refresh()
            return
        self.reports[student] = report.SubmissionReport(
            student, status=prepared.events, notes=prepared.notes, flags=[f.to_dict() for f in prepared.flags]
        )
        self.outstanding[student] = set(prepared.notebooks)
        for notebook in prepared.notebooks:
            if not self.execute_enabled:
                self._finish(
                    student, notebook, nbformat.read(self.converter.autograded_path(student, notebook), as_version=4)
                )
                continue
            pool.submit(
                dict(
                    self.base_task,
                    id=uuid.uuid4().hex,
                    assignment=self.options.assignment,
                    student=student,
                    notebook=notebook,
                    notebook_path=self.converter.autograded_path(student, notebook),
                    files_dir=os.path.dirname(self.converter.autograded_path(student, notebook)),
                    skip_files=[os.path.basename(p) for p in submission.notebooks],
                )
            )
        if not self.outstanding[student]:
            self._close(student)

    def handle(self, kind: str, task: dict, result: dict | None) -> None:
        student, notebook = task["student"], task["notebook"]
        if kind == "start":
            self.running.add(student)
            self.bar.set_description_str(f"grading {', '.join(sorted(self.running)[:3])}")
            return
        entry = self.reports[student]
        entry.seconds += result.get("seconds", 0.0)
        entry.status += result["events"]
        entry.notes += [f"{notebook}: {detail}" for detail in result["details"]]
        entry.flags += [
            f.to_dict() for f in integrity.runtime_flags(notebook, result.get("probe"), result.get("audit", []))
        ]
        entry.flags += [f.to_dict() for f in integrity.verdict_flags(notebook, result.get("overruled", []))]
        entry.notebooks[notebook] = {
            k: result.get(k) for k in ("events", "details", "sandbox", "seconds", "kernel_log")
        }
        executed = result["notebook"]
        if executed is None:  # the grader failed: record the notebook with every cell failed
            executed = nbformat.read(task["notebook_path"], as_version=4)
            for cell in executed.cells:
                if cell.cell_type == "code":
                    cell.outputs = [
                        nbformat.v4.new_output(
                            "error",
                            ename="GraderError",
                            evalue="not executed",
                            traceback=["GraderError: the grader failed on this notebook"],
                        )
                    ]
        self._finish(student, notebook, nbformat.from_dict(executed))

    def _finish(self, student: str, notebook: str, executed) -> None:
        try:
            self.converter.finish(student, notebook, executed)
        except Exception as error:
            self.reports[student].status.append(status.GRADER_ERROR)
            self.reports[student].notes.append(f"{notebook}: saving grades failed: {type(error).__name__}: {error}")
            self.converter._zero(student, [notebook])
        self.outstanding[student].discard(notebook)
        if not self.outstanding[student]:
            self._close(student)

    def _close(self, student: str) -> None:
        entry = self.reports[student]
        try:
            entry.score, entry.max_score = self.converter.close_submission(student)
        except Exception as error:
            entry.status.append(status.GRADER_ERROR)
            entry.notes.append(f"closing failed: {type(error).__name__}: {error}")
        entry.status = status.ordered(entry.status)
        self.running.discard(student)
        self.bar.set_postfix_str(
            f"{student}: {entry.score:g}/{entry.max_score:g} {','.join(entry.status)}", refresh=False
        )
        self.bar.update(1)
        self.finished = time.monotonic()


def _merge_previous(folder: Path, results: list[report.SubmissionReport]) -> list[report.SubmissionReport]:
    """This run's students, plus the students of the previous report that were not regraded."""
    import json

    previous = folder / "report.json"
    merged = {r.student: r for r in results}
    if previous.exists():
        try:
            for entry in json.loads(previous.read_text()).get("submissions", []):
                if entry["student"] not in merged:
                    merged[entry["student"]] = report.SubmissionReport(**entry)
        except (ValueError, TypeError, KeyError):
            pass
    return sorted(merged.values(), key=lambda r: r.student)


@contextlib.contextmanager
def _logging_to(path: Path):
    """nbgrader's log and Python warnings (SQLAlchemy's, nbformat's...) go to a file, not the terminal."""
    handler = logging.FileHandler(path)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    warnings_logger = logging.getLogger("py.warnings")
    warnings_logger.addHandler(handler)
    warnings_logger.propagate = False
    logging.captureWarnings(True)
    try:
        yield handler
    finally:
        logging.captureWarnings(False)
        warnings_logger.removeHandler(handler)
        handler.close()


@contextlib.contextmanager
def _exclusive(course: Path, shard: tuple[int, int] | None = None):
    """One autograde per course at a time (two would both write the gradebook's submissions).

    With ``shard`` (a gradebook on a database server), shards run at once: each holds the course
    lock shared (an unsharded run, which needs it alone, is refused while a shard runs) and its
    shard's lock alone (the same shard twice is refused).
    """
    with open(course / ".autograde.lock", "w") as lock:
        _lock(lock, fcntl.LOCK_SH if shard else fcntl.LOCK_EX, f"another autograde is running in {course}")
        if not shard:
            yield
            return
        with open(course / ".autograde.shard-{}-of-{}.lock".format(*shard), "w") as own:
            _lock(own, fcntl.LOCK_EX, "shard {}/{} is already running in {}".format(*shard, course))
            yield


def _lock(file, operation: int, refusal: str) -> None:
    try:
        fcntl.flock(file, operation | fcntl.LOCK_NB)
    except BlockingIOError:
        raise SystemExit(refusal) from None


@contextlib.contextmanager
def _cwd(path: Path):
    previous = os.getcwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(previous)
