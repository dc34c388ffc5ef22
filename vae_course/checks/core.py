"""The machinery behind every check: failures that teach, quiet guarded calls, comparisons, parts.

A check runs a student's function or class on hidden inputs next to the reference and raises a
:class:`CheckFailure` (an ``AssertionError``) whose message says what was expected, what came back
and, when the answer matches a known mistake, a named hint from :mod:`.hints`. Messages describe a
hidden input by its dtype, device and shape, never by its values.

Student code runs through :class:`Student`, which silences warnings, stdout and stderr (nbgrader
gives zero to a test cell that writes to stderr), turns the student's exceptions into failures that
quote the student's own lines and nothing of ours, and rejects delegation to the reference
(:mod:`.delegation`).
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
import sysconfig
import traceback
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path

import torch

from ..language import t
from . import judging
from .delegation import ReferenceCalled, WatchRemoved, find_delegation, forbid, forbidden
from .hints import hint as hint_text

# Frames in these folders are not the student's: failure messages leave them out.
LIBRARY_DIRS = tuple(
    str(Path(folder).resolve())
    for folder in {sysconfig.get_paths()["stdlib"], sysconfig.get_paths()["purelib"], Path(__file__).parents[1]}
)

DTYPES = (torch.float32, torch.float64)  # every check runs in both (on the CPU)

# (atol, rtol): |got - expected| <= atol * (1 + max|expected|) + rtol * |expected|, elementwise
TOLERANCES = {torch.float32: (1e-5, 1e-4), torch.float64: (1e-7, 1e-6)}


class CheckFailure(AssertionError):
    """A check failed. ``hint`` names the recognised mistake (a key of ``HINTS``), if any.

    In a notebook IPython shows only the message, no traceback (so no test code), thanks to
    ``_render_traceback_``.
    """

    def __init__(self, message: str, hint: str | None = None):
        self.hint = hint
        self.message = message
        if hint is not None:
            message = f"{message}\n{t('Hint', 'Petunjuk')} [{hint}]: {hint_text(hint)}"
        super().__init__(message)

    def _render_traceback_(self) -> list[str]:
        return [f"\x1b[0;31m{type(self).__name__}\x1b[0m: {self}"]


class StudentError(CheckFailure):
    """The student's code raised ``error``; checks may map it to a hint with :meth:`with_hint`."""

    def __init__(self, message: str, error: BaseException, hint: str | None = None):
        self.error = error
        super().__init__(message, hint)

    def with_hint(self, hint: str) -> StudentError:
        return StudentError(self.message, self.error, hint)


def devices() -> list[torch.device]:
    """Where checks run: the CPU, and the first GPU when there is one."""
    return [torch.device("cpu")] + ([torch.device("cuda")] if torch.cuda.is_available() else [])


def device_dtypes(every_dtype_on_gpu: bool = False) -> Iterator[tuple[torch.device, torch.dtype]]:
    """(device, dtype) of every case: each of ``DTYPES`` on the CPU; on a GPU only the first, since
    the point there is the device, not the math (unless ``every_dtype_on_gpu``)."""
    for device in devices():
        for dtype in DTYPES if device.type == "cpu" or every_dtype_on_gpu else DTYPES[:1]:
            yield device, dtype


def generator(seed: int) -> torch.Generator:
    """A CPU generator for hidden inputs: they neither touch nor depend on the global RNG."""
    return torch.Generator().manual_seed(seed)


def dtype_name(dtype: torch.dtype) -> str:
    return str(dtype).replace("torch.", "")


def describe(dtype: torch.dtype, device: torch.device, **shapes: tuple) -> str:
    """How a message names a hidden input: dtype, device and shapes, never values."""
    parts = [t(f"{dtype_name(dtype)} on {device.type}", f"{dtype_name(dtype)} di {device.type}")]
    parts += [t(f"{name} of shape {tuple(v)}", f"{name} berbentuk {tuple(v)}") for name, v in shapes.items()]
    return ", ".join(parts)


# --------------------------------------------------------------------------- running student code


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    """Silence warnings and output: Python's, and native code's writes to file descriptor 2."""
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        with contextlib.redirect_stderr(io.StringIO()), _silence_fd(2):
            yield


@contextlib.contextmanager
def _silence_fd(fd: int) -> Iterator[None]:
    """Point file descriptor ``fd`` at /dev/null for the duration."""
    try:
        saved = os.dup(fd)
    except OSError:  # no such descriptor (some embedded interpreters): nothing to silence
        yield
        return
    try:
        with open(os.devnull, "wb") as devnull:
            os.dup2(devnull.fileno(), fd)
            yield
    finally:
        os.dup2(saved, fd)
        os.close(saved)


def _student_frames(err: BaseException) -> str:
    """The last traceback lines in the student's code (not the library's, not ours)."""
    lines = []
    for frame in traceback.extract_tb(err.__traceback__):
        filename = frame.filename if frame.filename.startswith("<") else str(Path(frame.filename).resolve())
        if not filename.startswith(LIBRARY_DIRS + ("<frozen",)):
            where = t(f"in {frame.name}, line {frame.lineno}", f"di {frame.name}, baris {frame.lineno}")
            lines.append(f"  {where}" + (f": {frame.line.strip()}" if frame.line else ""))
    return "\n".join(lines[-3:])


class Student:
    """A student's function or class, run quietly with the references it must not use forbidden.

    Args:
        obj: what the student wrote (a function, or a class).
        name: how messages call it, e.g. ``"reparameterize"``.
        references: the library objects the exercise asks the student to write; the library's
            other functions that compute the same thing are added (:func:`.delegation.forbidden`).

    Raises:
        CheckFailure: ``obj`` is missing or delegates to a reference (found before it runs; in the
            grader's judge, found in the notebook's source).
    """

    def __init__(self, obj, name: str, references: tuple = ()):
        self.obj, self.name, self.references = obj, name, forbidden(name, references)
        self.case = ""  # the hidden input now running, as describe() wrote it; set by the checks
        if not callable(obj):
            kind = t("class", "kelas") if name[0].isupper() else t("function", "fungsi")
            got = type(obj).__name__
            raise CheckFailure(t(f"{name} should be a {kind}, got {got}.", f"{name} seharusnya {kind}, didapat {got}."))
        used = judging.judge_source(name, self.references) if judging.replaying() else None
        used = used or find_delegation(obj, self.references)
        if used:
            message = t(
                f"{name} delegates to the reference implementation: {used}.",
                f"{name} menyerahkan pekerjaannya kepada implementasi acuan: {used}.",
            )
            raise CheckFailure(message, hint="delegation")

    def __call__(self, *args, **kwargs):
        """Call the student's function (or class, to build a model)."""
        return self.run(self.obj, *args, **kwargs)

    def run(self, fn: Callable, *args, **kwargs):
        """Call ``fn`` (the student's function, or a method of their model) quietly, references forbidden.

        The outcome is recorded for the grader's judge; inside the judge it is replayed instead
        (:mod:`.judging`).
        """
        if judging.replaying():
            return judging.replay()
        try:
            out = self._run(fn, *args, **kwargs)
        except CheckFailure as failure:
            judging.record_failure(failure)
            raise
        judging.record(out)
        return out

    def _run(self, fn: Callable, *args, **kwargs):
        label = self.name if fn is self.obj else f"{self.name}.{getattr(fn, '__name__', 'call')}"
        where = t(f" on a hidden input ({self.case})", f" pada input tersembunyi ({self.case})") if self.case else ""
        try:
            with quiet(), forbid(self.references) as calls:
                try:
                    out = fn(*args, **kwargs)
                except NotImplementedError:
                    message = t(
                        f"{label} is not written yet: it raises NotImplementedError.",
                        f"{label} belum ditulis: fungsi itu memunculkan NotImplementedError.",
                    )
                    raise CheckFailure(message, hint="not-implemented") from None
                except ReferenceCalled:
                    out = None  # recorded in calls
                except Exception as err:  # the student's bug: report it with their own lines
                    lines = _student_frames(err)
                    raised = t(f"{label} raised", f"{label} memunculkan")
                    message = f"{raised} {type(err).__name__}{where}: {err}" + (f"\n{lines}" if lines else "")
                    raise StudentError(message, err) from None
        except WatchRemoved:
            message = t(
                f"{label} removed the grader's watch for delegation (sys.setprofile), so it cannot be checked.",
                f"{label} menghapus pengawasan penilai atas delegasi (sys.setprofile), sehingga tidak dapat diperiksa.",
            )
            raise CheckFailure(message, hint="delegation") from None
        if calls:  # even when the student's code caught the tripwire's exception
            message = t(
                f"{label} calls vae_course's {calls[0]}, the reference you are asked to write.",
                f"{label} memanggil {calls[0]} dari vae_course, acuan yang justru diminta untuk Anda tulis.",
            )
            raise CheckFailure(message, hint="delegation")
        return out


# --------------------------------------------------------------------------- comparisons


def tolerance(expected: torch.Tensor) -> torch.Tensor:
    """Elementwise tolerance around ``expected``: wide enough for every correct answer (another order
    of sums, ``sqrt(exp(v))`` for ``exp(v / 2)``, float32 arithmetic), far below any mistake."""
    atol, rtol = TOLERANCES.get(expected.dtype, TOLERANCES[torch.float32])
    scale = expected.detach().abs()
    return atol * (1 + (scale.max() if scale.numel() else 0)) + rtol * scale


def close(got, expected: torch.Tensor, slack: float = 1.0) -> bool:
    """``got`` is a tensor of the same shape, equal within ``slack`` times :func:`tolerance` (NaN never is)."""
    if not isinstance(got, torch.Tensor) or got.shape != expected.shape:
        return False
    got, expected = got.detach().to(expected.device, expected.dtype), expected.detach()
    return bool(((got - expected).abs() <= slack * tolerance(expected)).all())


def expect_tensor(got, what: str) -> torch.Tensor:
    if not isinstance(got, torch.Tensor):
        kind = type(got).__name__
        raise CheckFailure(
            t(f"{what} should be a torch.Tensor, got {kind}.", f"{what} seharusnya torch.Tensor, didapat {kind}.")
        )
    return got


def expect_shape(got, shape: tuple, what: str, case: str, shape_hint: Callable[[tuple], str | None] | None = None):
    """``got`` is a tensor of ``shape``; ``shape_hint`` maps a wrong shape to the name of a hint."""
    got = expect_tensor(got, what)
    if tuple(got.shape) != tuple(shape):
        hint = shape_hint(tuple(got.shape)) if shape_hint else None
        expected, wrong = tuple(shape), tuple(got.shape)
        message = t(
            f"{what} has the wrong shape ({case}): expected {expected}, got {wrong}.",
            f"Bentuk {what} salah ({case}): seharusnya {expected}, didapat {wrong}.",
        )
        raise CheckFailure(message, hint=hint)
    return got


def expect_like(got, like: torch.Tensor, what: str, case: str, shape_hint=None) -> torch.Tensor:
    """``got`` is a tensor with the shape, dtype and device of ``like`` (values not compared)."""
    got = expect_shape(got, like.shape, what, case, shape_hint)
    if got.device.type != like.device.type:
        message = t(
            f"{what} is on {got.device.type}, the inputs on {like.device.type} ({case}).",
            f"{what} berada di {got.device.type}, sedangkan input di {like.device.type} ({case}).",
        )
        raise CheckFailure(message, hint="wrong-device")
    if got.dtype != like.dtype:
        wrong, expected = dtype_name(got.dtype), dtype_name(like.dtype)
        message = t(
            f"{what} has dtype {wrong}, expected {expected} ({case}).",
            f"{what} ber-dtype {wrong}, seharusnya {expected} ({case}).",
        )
        raise CheckFailure(message, hint="wrong-dtype")
    return got


def expect_gradients(got, expected, names, of: str, case: str) -> None:
    """Each gradient in ``got`` exists and matches ``expected``: ``of`` names the differentiated
    quantity ("the KL"), ``names`` the inputs in order ("mu", "logvar")."""
    for name, g, e in zip(names, got, expected):
        if g is None:
            raise CheckFailure(
                t(f"No gradient reaches {name} ({case}).", f"Tidak ada gradien yang sampai ke {name} ({case})."),
                hint="no-gradient",
            )
        expect_close(g, e, t(f"the gradient of {of} with respect to {name}", f"gradien {of} terhadap {name}"), case)


def expect_close(got, expected: torch.Tensor, what: str, case: str, candidates=None, shape_hint=None) -> None:
    """``got`` equals ``expected`` within :func:`tolerance`, else a failure that names the mistake.

    Args:
        candidates: hint name -> what that mistake computes on the same input (None: not applicable).
        shape_hint: maps a wrong shape to a hint name.
    """
    candidates = {name: wrong for name, wrong in (candidates or {}).items() if wrong is not None}
    got = expect_tensor(got, what)
    if got.shape != expected.shape:  # a mistake that changes the shape (e.g. a forgotten reduction)?
        hint = next((name for name, wrong in candidates.items() if close(got, wrong)), None)
        expect_shape(got, expected.shape, what, case, (lambda _: hint) if hint else shape_hint)
    expect_like(got, expected, what, case, shape_hint)
    if close(got, expected):
        return
    hint = next((name for name, wrong in candidates.items() if close(got, wrong, slack=10.0)), None)
    if hint is None and not torch.isfinite(got.detach()).all() and torch.isfinite(expected).all():
        hint = "not-finite"
    error = (got.detach() - expected.detach()).abs().nan_to_num(nan=float("inf"))
    largest = error.max().item() if error.numel() else 0.0
    allowed = tolerance(expected).max().item() if expected.numel() else 0.0
    message = t(
        f"{what} differs from the reference on a hidden input ({case}): the shape is right, "
        f"the largest absolute error is {largest:.3g} (allowed: {allowed:.1g}).",
        f"{what} berbeda dari acuan pada input tersembunyi ({case}): bentuknya benar, "
        f"galat mutlak terbesarnya {largest:.3g} (yang diizinkan: {allowed:.1g}).",
    )
    raise CheckFailure(message, hint=hint)


def gradients(output: torch.Tensor, inputs: list[torch.Tensor], seed: int = 0) -> list[torch.Tensor | None]:
    """Gradients of a fixed random projection of ``output`` w.r.t. ``inputs`` (None where none flows).

    For the student's output they are an answer: recorded for the grader's judge, replayed there.
    """

    def compute() -> list[torch.Tensor | None]:
        weights = torch.randn(output.shape, generator=generator(seed), dtype=torch.float64).to(
            output.device, output.dtype
        )
        return list(torch.autograd.grad((output * weights).sum(), inputs, allow_unused=True))

    return list(judging.answer(compute)) if judging.is_student_output(output) else compute()


# --------------------------------------------------------------------------- parts


@contextlib.contextmanager
def single_threaded() -> Iterator[None]:
    """One CPU thread for PyTorch and for native libraries (scikit-learn's OpenMP, BLAS).

    Checks work on small tensors, where threads only add overhead; on a busy machine (a class graded
    in parallel) spinning OpenMP threads made a check 50 times slower.
    """
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        try:
            from threadpoolctl import threadpool_limits
        except ImportError:  # it comes with scikit-learn; without it, only PyTorch is limited
            limits = contextlib.nullcontext()
        else:
            limits = threadpool_limits(limits=1)
        with limits:
            yield
    finally:
        torch.set_num_threads(threads)


def run_parts(exercise: str, parts: dict[str, Callable[[], None]], part: str | None) -> None:
    """Run one part of a check (``part``), or all of them in order (None).

    Each part runs single-threaded, with the global RNG seeded and restored afterwards (the
    student's random state survives). Anything unexpected that escapes a part, e.g. our code
    tripping over a strange return value, becomes a :class:`CheckFailure`, so that a notebook never
    shows a traceback into the checks.
    """
    if part is not None and part not in parts:
        raise ValueError(f"{exercise} has no part {part!r}; choose one of {sorted(parts)}")
    for name, run in parts.items():
        if part is not None and name != part:
            continue
        try:
            cuda = [torch.cuda.current_device()] if torch.cuda.is_available() else []
            with single_threaded(), torch.random.fork_rng(devices=cuda), judging.part_scope(exercise, name):
                torch.manual_seed(0)
                run()
        except CheckFailure:
            _clear_cell_output()
            raise
        except Exception as err:
            _clear_cell_output()
            error = f"{type(err).__name__}: {err}"
            message = t(
                f"The {exercise} check ({name}) could not use what your code returned: {error}",
                f"Pemeriksaan {exercise} ({name}) tidak dapat memakai apa yang dikembalikan kode Anda: {error}",
            )
            raise CheckFailure(message) from err


def _clear_cell_output() -> None:
    """In a notebook kernel, before a check fails: clear what the test cell has shown so far.

    nbgrader reads a test cell's outputs in order and grades the first result it meets before an
    error: a stub that makes IPython display a value and then raises would earn credit. Whatever
    the student's code showed while the check ran goes, and the failure is the cell's first output.
    """
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    if shell is None or not hasattr(shell, "kernel") or judging.replaying():
        return
    from IPython.display import clear_output

    clear_output()
