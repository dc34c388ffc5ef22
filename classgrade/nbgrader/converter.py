"""nbgrader's ``Autograde`` converter, cut in two around execution.

``prepare`` does what ``nbgrader autograde`` does before running a notebook (create the student and
the submission in the gradebook, copy the files, sanitize each notebook with nbgrader's own
preprocessors: restore read-only and test cells from the gradebook, drop duplicated ids...).
``finish`` does what it does after (nbgrader's remaining preprocessors: save the grades and
comments, late penalties...). Execution happens elsewhere in between. Only the process that owns
this converter touches the gradebook, one submission at a time, so it is never written
concurrently. Where a submission would make nbgrader give up (no notebook, invalid JSON, corrupt
metadata), the notebook's grades are set to zero and a status says why.
"""

from __future__ import annotations

import contextlib
import glob
import json
import logging
import os
import re
from dataclasses import dataclass, field

import nbformat
from nbgrader.api import Gradebook, MissingEntry
from nbgrader.converters import Autograde, NbGraderException
from nbgrader.converters.base import BaseConverter
from nbgrader.nbgraderformat import SchemaTooNewError, SchemaTooOldError
from nbgrader.nbgraderformat import ValidationError as MetadataError
from nbgrader.preprocessors import ClearHiddenTests, ClearMarkScheme, DeduplicateIds, Execute, NbGraderPreprocessor

from .. import integrity, status
from ..config import ClassGrade

# What nbgrader's preprocessors log about a submission, as status codes.
_LOG_STATUS = [
    # (checksums always change where hidden tests are put back; real edits are found by _inspect)
    (re.compile(r"Attribute '(locked|points|cell_type)' for cell (\S+) has changed"), status.RESTORED, "cell {1}: {0} restored"),
    (re.compile(r"Cell with id '(\S+)' exists multiple times"), status.DUPLICATED, "cell {0} is duplicated; the copy lost its id"),
    (re.compile(r"Missing grade cell (\S+) encountered"), status.DELETED, "cell {0} was deleted; added back"),
    (re.compile(r"Cell '(\S+)' does not exist in the database"), None, "cell {0} is not in the gradebook; its id was dropped"),
    (re.compile(r"is ([\d.]+) seconds late"), None, "submitted {0} s late"),
]


@dataclass
class Submission:
    """One student's submitted folder, as found on disk."""

    student: str
    folder: str
    notebooks: list[str]  # paths of the expected notebooks that are there
    missing: list[str]  # expected notebook names that are not
    unknown: list[str]  # other notebook files (renamed copies?)


@dataclass
class Prepared:
    """A submission after ``prepare``: what to execute, and what was already found."""

    submission: Submission
    notebooks: list[str] = field(default_factory=list)  # names of the sanitized notebooks to execute
    events: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    flags: list[integrity.Flag] = field(default_factory=list)
    skipped: bool = False  # already graded (only with --only-new)


class _Recorder(logging.Handler):
    """Turns nbgrader's warnings about the current submission into status codes and notes."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.events: list[str] = []
        self.notes: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        for pattern, code, note in _LOG_STATUS:
            match = pattern.search(message)
            if match:
                if code:
                    self.events.append(code)
                self.notes.append(note.format(*match.groups()))
                return


def _load(path: str):
    """A notebook, for reading only: without nbformat's (slow) validation when it is version 4."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    if json.loads(text).get("nbformat") == 4:
        return nbformat.v4.reads(text)
    return nbformat.reads(text, as_version=4)


@contextlib.contextmanager
def shared_engines():
    """Let every ``nbgrader.api.Gradebook`` of this process share one SQLAlchemy engine per URL.

    nbgrader opens a new Gradebook (a new engine) in each preprocessor of each notebook; a new
    engine also means compiling every SQL statement again. Sharing engines makes preparing and
    finishing a notebook about three times cheaper; sessions, queries and commits are unchanged.
    Only for a process whose gradebook work happens in one thread, as the coordinator's does.
    """
    import nbgrader.api

    original = nbgrader.api.create_engine
    engines = {}

    def create_engine(url, *args, **kwargs):
        key = (str(url), args, tuple(sorted(kwargs.items())))
        if key not in engines:
            engines[key] = original(url, *args, **kwargs)
        return engines[key]

    nbgrader.api.create_engine = create_engine
    try:
        yield
    finally:
        nbgrader.api.create_engine = original
        for engine in engines.values():
            engine.dispose()


class _DropEmptyMetadata(NbGraderPreprocessor):
    """Remove the empty nbgrader metadata DeduplicateIds leaves on copies (nbgrader then fails on them)."""

    def preprocess_cell(self, cell, resources, index):
        if cell.metadata.get("nbgrader", None) == {}:
            del cell.metadata["nbgrader"]
        return cell, resources


class SplitAutograde(Autograde):
    """``Autograde`` with separate ``prepare`` (gradebook, sanitize) and ``finish`` (grades) steps."""

    def start_split(self, course: ClassGrade) -> None:
        """What ``BaseConverter.start`` sets up, without converting anything; ``course`` says what
        the integrity analysis protects (the reference package, the checks module)."""
        from nbconvert.writers import FilesWriter

        self.writer = FilesWriter(parent=self, config=self.config)
        self.exporter = self.exporter_class(parent=self, config=self.config)
        self.recorder = _Recorder()
        self.log.addHandler(self.recorder)
        self._reference_cache: dict[str, integrity.Reference] = {}
        self._helpers = integrity.checks_helpers(course.checks_module)
        self._package = course.reference_package

    @property
    def assignment(self) -> str:
        return self.coursedir.assignment_id

    def expected_notebooks(self) -> list[str]:
        with Gradebook(self.coursedir.db_url, self.coursedir.course_id) as gb:
            try:
                return [nb.name for nb in gb.find_assignment(self.assignment).notebooks]
            except MissingEntry:
                raise NbGraderException(f"no assignment {self.assignment!r} in the gradebook; "
                                        "run `nbgrader generate_assignment` first") from None

    def find_submissions(self) -> list[Submission]:
        """Every submitted folder for the assignment (also those without the expected notebooks)."""
        self._sanitizing = True
        expected = self.expected_notebooks()
        regexp = re.compile(self._format_source("(?P<assignment_id>.*)", "(?P<student_id>.*)", escape=True) + "$")
        excluded = set(filter(None, self.coursedir.student_id_exclude.split(",")))
        found = []
        for folder in sorted(glob.glob(self._format_source(self.assignment, self.coursedir.student_id))):
            match = regexp.match(folder)
            if not match or not os.path.isdir(folder) or match["student_id"] in excluded:
                continue
            names = {os.path.splitext(os.path.basename(p))[0]: p for p in glob.glob(os.path.join(folder, "*.ipynb"))}
            found.append(Submission(
                student=match["student_id"], folder=folder,
                notebooks=[names[n] for n in expected if n in names],
                missing=[n for n in expected if n not in names],
                unknown=sorted(n for n in names if n not in expected)))
        return found

    def prepare(self, submission: Submission) -> Prepared:
        """Everything nbgrader does before execution; returns the notebooks ready to execute."""
        prepared = Prepared(submission)
        self._sanitizing = True
        self._init_preprocessors()
        self.recorder.events, self.recorder.notes = [], []
        if not self.init_destination(self.assignment, submission.student):
            prepared.skipped = True
            return prepared
        self.notebooks = list(submission.notebooks)
        self.run_pre_convert_hook()
        try:
            self.init_assignment(self.assignment, submission.student)
        except NbGraderException:
            if submission.notebooks:  # other causes than "no notebooks" stop the run, as in nbgrader
                raise
        zeroed = list(submission.missing)
        if submission.missing:
            prepared.events.append(status.MISSING)
            prepared.notes.append(f"missing {', '.join(n + '.ipynb' for n in submission.missing)}")
        if submission.unknown:  # a renamed copy if something is missing, else just extra files
            if submission.missing:
                prepared.events.append(status.RENAMED)
            prepared.notes.append(f"not graded: {', '.join(n + '.ipynb' for n in submission.unknown)}")
        for path in submission.notebooks:
            name = os.path.splitext(os.path.basename(path))[0]
            try:
                self._inspect(path, name, prepared)
                BaseConverter.convert_single_notebook(self, path)
                prepared.notebooks.append(name)
            except (SchemaTooOldError, SchemaTooNewError, MetadataError) as error:
                self._reject(prepared, name, status.METADATA, f"{name}.ipynb: {error}", zeroed)
            except Exception as error:  # unreadable: not JSON, not nbformat, broken cells
                self._reject(prepared, name, status.INVALID, f"{name}.ipynb: {type(error).__name__}: {str(error)[:200]}", zeroed)
        self._zero(submission.student, zeroed)
        prepared.events += self.recorder.events
        prepared.notes += self.recorder.notes
        for name in prepared.notebooks:
            prepared.flags += integrity.analyse(_load(self.autograded_path(submission.student, name)), name,
                                                self.reference(name))
        return prepared

    def autograded_path(self, student: str, notebook: str) -> str:
        return os.path.join(self._format_dest(self.assignment, student), notebook + ".ipynb")

    def finish(self, student: str, notebook: str, executed) -> None:
        """Everything nbgrader does after executing one notebook: save grades, comments, penalties."""
        path = self.autograded_path(student, notebook)
        with open(path, "w", encoding="utf-8") as f:
            f.write(nbformat.v4.writes(executed))  # nbgrader reads it back, and validates it, next
        self._sanitizing = False
        self._init_preprocessors()
        try:
            BaseConverter.convert_single_notebook(self, path)
        finally:
            self._sanitizing = True
        self._zero_deleted(student, notebook, executed)

    def close_submission(self, student: str) -> tuple[float, float]:
        """Set file permissions, run the post-convert hook; return (score, max score)."""
        self.set_permissions(self.assignment, student)
        self.run_post_convert_hook()
        with Gradebook(self.coursedir.db_url, self.coursedir.course_id) as gb:
            submission = gb.find_submission(self.assignment, student)
            return float(submission.score or 0.0), float(submission.max_score or 0.0)

    def _init_preprocessors(self) -> None:
        super()._init_preprocessors()
        preprocessors = self.exporter._preprocessors
        if not self._sanitizing:  # execution happened elsewhere
            self.exporter._preprocessors = [p for p in preprocessors if not isinstance(p, Execute)]
        else:  # let a duplicated cell's copy become a plain cell instead of failing the notebook
            for index, preprocessor in enumerate(preprocessors):
                if isinstance(preprocessor, DeduplicateIds):
                    preprocessors.insert(index + 1, _DropEmptyMetadata(parent=self.exporter))
                    break

    def execute_traits(self) -> dict:
        """The configured traits of nbgrader's Execute preprocessor, to rebuild it in a runner."""
        execute = Execute(parent=self)
        traits = {}
        for name in execute.trait_names(config=True):
            value = getattr(execute, name)
            if isinstance(value, (bool, int, float, str, list, dict, type(None))) and name not in ("kernel_name", "kernel_manager_class"):
                traits[name] = value
        return traits

    def reference(self, notebook: str) -> integrity.Reference:
        """Answer stubs and read-only sources of ``notebook``, from the gradebook (cached)."""
        if notebook not in self._reference_cache:
            with Gradebook(self.coursedir.db_url, self.coursedir.course_id) as gb:
                nb = gb.find_notebook(notebook, self.assignment)
                solutions = {cell.name for cell in nb.solution_cells}
                self._reference_cache[notebook] = integrity.Reference(
                    stubs={c.name: c.source for c in nb.source_cells if c.name in solutions},
                    locked=[c.source for c in nb.source_cells if c.locked and c.cell_type == "code"],
                    helpers=self._helpers, package=self._package)
        return self._reference_cache[notebook]

    def _inspect(self, path: str, name: str, prepared: Prepared) -> None:
        """Note edited read-only cells (restored by nbgrader) and deleted ones (not all restored)."""
        nb = _load(path)
        submitted = {cell.get("metadata", {}).get("nbgrader", {}).get("grade_id"): cell for cell in nb.cells}
        hidden, scheme = ClearHiddenTests(parent=self), ClearMarkScheme(parent=self)
        with Gradebook(self.coursedir.db_url, self.coursedir.course_id) as gb:
            notebook = gb.find_notebook(name, self.assignment)
            restored = {cell.name for cell in notebook.grade_cells + notebook.task_cells}
            lost = sorted(c.name for c in notebook.source_cells if c.name not in submitted and c.name not in restored)
            edited = []
            for source in notebook.source_cells:
                cell = submitted.get(source.name)
                if not source.locked or cell is None:
                    continue
                released = nbformat.from_dict({"cell_type": source.cell_type, "source": source.source, "metadata": {}})
                hidden._remove_hidden_test_region(released)
                scheme._remove_mark_scheme_region(released)
                if cell.get("source", "").strip() != released.source.strip():
                    edited.append(source.name)
        if edited:
            prepared.events.append(status.RESTORED)
            prepared.notes.append(f"{name}: edited read-only cells {', '.join(edited)} restored from the gradebook")
        if lost:
            prepared.events.append(status.DELETED)
            prepared.notes.append(f"{name}: deleted cells {', '.join(lost)} are not restored by nbgrader")

    def _reject(self, prepared: Prepared, name: str, code: str, note: str, zeroed: list[str]) -> None:
        prepared.events.append(code)
        prepared.notes.append(note)
        zeroed.append(name)
        partial = self.autograded_path(prepared.submission.student, name)
        if os.path.exists(partial):
            os.remove(partial)

    def _zero(self, student: str, notebooks: list[str]) -> None:
        """Zero every grade of ``notebooks``, as nbgrader does for a notebook that was not submitted."""
        if not notebooks:
            return
        with Gradebook(self.coursedir.db_url, self.coursedir.course_id) as gb:
            for name in notebooks:
                for grade in gb.find_submission_notebook(name, self.assignment, student).grades:
                    grade.auto_score = 0
                    grade.needs_manual_grade = False
            gb.db.commit()

    def _zero_deleted(self, student: str, notebook: str, graded) -> None:
        """Zero the grades of cells absent from the graded notebook (else a regrade keeps old scores)."""
        present = {cell.metadata.get("nbgrader", {}).get("grade_id") for cell in graded.cells}
        with Gradebook(self.coursedir.db_url, self.coursedir.course_id) as gb:
            for grade in gb.find_submission_notebook(notebook, self.assignment, student).grades:
                if grade.name not in present:
                    grade.auto_score = 0
                    grade.needs_manual_grade = False
            gb.db.commit()
