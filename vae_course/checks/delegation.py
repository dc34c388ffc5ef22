"""Catching answers that delegate to the reference they were asked to write.

What an exercise may not reach (:func:`forbidden`): the references its check names, the library's
other functions that compute the same thing (:data:`SIBLINGS`: the general Gaussian KL for the
standard-normal one, the library's KL inside the student's ELBO), and everything in the library
that calls any of them (its ELBO calls its KL). Reaching means running their code, whichever
object carries it: the function itself, an alias, a ``functools.partial`` or a bound method of it,
a function built from its code object (``types.FunctionType(ref.__code__, ...)``), a copy compiled
from its source, a class whose methods are the reference's.

Three guards, from the least to the most trusted:

* :func:`find_delegation` reads the student's objects before they run: names their code loads
  (globals, closures, attribute chains such as ``vae_course.gaussian.reparameterize``), default
  arguments, wrapped functions, a class's bases and methods, the student's own helpers and the
  library functions they call, and compares code objects, not only function objects;
* :func:`forbid` watches while the student's code runs: the references' own function objects
  raise (a tripwire ``__code__``), and a profile function records every frame that runs a
  forbidden code object or a copy of one, even if the student's code catches the exception;
* in the grader's judge, the notebook's source is read for the same (:mod:`.provenance`): both guards
  above run in the student's kernel, whose code may have disabled them.
"""

from __future__ import annotations

import contextlib
import dis
import functools
import importlib
import inspect
import sys
import types
from collections.abc import Iterator

from ..language import t

PACKAGE = __name__.split(".")[0]  # the reference package: vae_course

# Library functions that compute what an exercise asks for under another name (by behaviour: given
# the same inputs, they return the answer or a simple function of it). Added to the references the
# check names; whatever calls them is found by following the call graph.
_KL = ("gaussian.kl_divergence", "gaussian.kl_per_dimension", "gaussian.kl_diagonal_gaussians", "diffusion.gaussian_kl")
_AUTOENCODERS = ("models.MLPAutoencoder", "models.MLPVAE", "models.ConvVAE")
SIBLINGS: dict[str, tuple[str, ...]] = {
    "reconstruction_loss": ("losses._bce_on_probabilities",),
    "MLPAutoencoder": _AUTOENCODERS,
    "kl_divergence": _KL,
    "negative_elbo": _KL,  # the ELBO must use the student's own KL
    "MLPVAE": _AUTOENCODERS,
    "ConvVAE": _AUTOENCODERS,
    "train_step": ("train.train_step",),
    "kl_diagonal_gaussians": _KL,
    "kl_per_dimension": _KL,
    "diffusion_loss": ("diffusion.q_sample", "diffusion.q_mean_variance", "diffusion.noise_prediction_loss"),
}
_SAME_OPERATION = {"LOAD_METHOD": "LOAD_ATTR"}  # a method call on an imported module compiles to either
MIN_DOCSTRING = 20  # characters of a docstring that make an equal code object a copy, not a coincidence
_METHODS = ("__init__", "forward", "encode", "decode")  # a class reference's methods that get tripwires
_ACTIVE_GUARDS: list[list[str]] = []  # the call records of the guards now in force


class ReferenceCalled(Exception):
    """Raised by a tripwire: student code called a reference it was asked to write."""


def forbidden(name: str, references=()) -> tuple:
    """What the answer ``name`` may not reach: ``references`` and the library's siblings of them."""
    found = list(references)
    for dotted in SIBLINGS.get(name, ()):
        module, _, attribute = f"{PACKAGE}.{dotted}".rpartition(".")
        obj = getattr(importlib.import_module(module), attribute)
        if not any(obj is ref for ref in found):
            found.append(obj)
    return tuple(found)


# --------------------------------------------------------------------------- code identity


def code_key(code: types.CodeType) -> tuple:
    """What makes two code objects the same computation, whatever their name, file, line numbers, or
    the compiler's choice between ``LOAD_METHOD`` and ``LOAD_ATTR`` (which depends on the module's imports)."""
    instructions = list(dis.get_instructions(code))
    index = {ins.offset: i for i, ins in enumerate(instructions)}
    steps = []
    for ins in instructions:
        if ins.opcode in dis.hasjrel or ins.opcode in dis.hasjabs:
            arg = index.get(ins.argval)
        elif isinstance(ins.argval, types.CodeType):
            arg = code_key(ins.argval)
        else:
            arg = repr(ins.argval)
        steps.append((_SAME_OPERATION.get(ins.opname, ins.opname), arg))
    return _docstring(code), tuple(steps)


def _docstring(code: types.CodeType) -> str | None:
    return code.co_consts[0] if code.co_consts and isinstance(code.co_consts[0], str) else None


def _codes(code: types.CodeType) -> Iterator[types.CodeType]:
    """A code object and those nested in it (inner functions, comprehensions, lambdas)."""
    yield code
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            yield from _codes(const)


def _reference_functions(references) -> Iterator[tuple[str, types.FunctionType]]:
    """(label, function) of every Python function that makes up the references (a class: its methods)."""
    for ref in references:
        if isinstance(ref, type):
            for attr, value in vars(ref).items():
                for fn in _plain_functions(value):
                    yield f"{ref.__name__}.{attr}", fn
        else:
            for fn in _plain_functions(ref):
                yield getattr(fn, "__name__", t("a reference", "sebuah acuan")), fn


def _plain_functions(value) -> Iterator[types.FunctionType]:
    if isinstance(value, (staticmethod, classmethod)):
        value = value.__func__
    if isinstance(value, property):
        yield from (f for f in (value.fget, value.fset, value.fdel) if isinstance(f, types.FunctionType))
        return
    value = inspect.unwrap(value) if callable(value) else value
    if isinstance(value, types.FunctionType):
        yield value


@functools.lru_cache(maxsize=64)
def forbidden_code(references: tuple) -> tuple[dict[int, str], dict[tuple, str], frozenset[str]]:
    """The references' code objects by identity and by :func:`code_key` (documented ones), each with
    its label, and their docstrings (a copy carries one: the cheap test before computing a key)."""
    by_id: dict[int, str] = {}
    by_key: dict[tuple, str] = {}
    for label, fn in _reference_functions(references):
        for code in _codes(fn.__code__):
            by_id[id(code)] = label  # the references are module globals: their code lives as long as they do
            if _distinctive(code):
                by_key.setdefault(code_key(code), label)
    return by_id, by_key, frozenset(key[0] for key in by_key)


def reference_code_label(code: types.CodeType, references: tuple) -> str | None:
    """The label of the reference whose code ``code`` is (the same object, or a documented copy), or None."""
    by_id, by_key, docstrings = forbidden_code(references)
    label = by_id.get(id(code))
    if label is None and _docstring(code) in docstrings:
        label = by_key.get(code_key(code))
    return label


def _distinctive(code: types.CodeType) -> bool:
    """Code that a student writing their own answer would not produce byte for byte: it carries the
    library's docstring (the exercises' stubs have docstrings of their own). Undocumented code, where
    an honest answer may match the library's instruction for instruction (``return self.decoder(z)``,
    a forward pass written as the book shows it), is compared by identity only."""
    return bool(code.co_consts) and isinstance(code.co_consts[0], str) and len(code.co_consts[0]) >= MIN_DOCSTRING


# --------------------------------------------------------------------------- the runtime guard


def _reference_called(name: str) -> ReferenceCalled:
    for calls in _ACTIVE_GUARDS:
        calls.append(name)
    return ReferenceCalled(name)


def _tripwire(*args, **kwargs):
    # Its code replaces a reference function's code while a guard is in force, so it runs with the
    # reference module's globals: reach this module through the import system, not a global name.
    module = __import__("vae_course.checks.delegation", fromlist=["_"])
    raise module._reference_called(__import__("sys")._getframe().f_code.co_name)


def _class_tripwire(cls: type, attr: str):
    def tripwire(*args, **kwargs):
        raise _reference_called(f"{cls.__name__}.{attr}")

    return tripwire


class _Watch:
    """A profile function: records every frame that starts running a forbidden code object or a copy."""

    def __init__(self, references: tuple, calls: list[str]):
        self.by_id, self.by_key, self.docstrings = forbidden_code(references)
        self.calls = calls

    def __call__(self, frame, event, arg):
        if event != "call":
            return
        code = frame.f_code
        label = self.by_id.get(id(code))
        if label is None and code.co_consts and code.co_consts[0] in self.docstrings:  # a copy carries it
            label = self.by_key.get(code_key(code))
        if label is not None:
            self.calls.append(label)


class WatchRemoved(Exception):
    """The student's code replaced the profile function that watches for delegation."""


@contextlib.contextmanager
def forbid(references) -> Iterator[list[str]]:
    """While in force, running any of ``references`` (or a copy of their code) is recorded in the yielded list.

    Functions get a tripwire ``__code__`` (every alias of the function object trips it); classes get
    tripwire ``__init__``, ``forward``, ``encode`` and ``decode`` (subclasses and instances trip); a
    profile function records any other frame that runs their code. Everything is restored on exit,
    whatever happened.

    Raises:
        WatchRemoved: on exit, if the student's code replaced the profile function meanwhile.
    """
    references = tuple(references)
    calls: list[str] = []
    restore: list[tuple[object, str, object]] = []
    watch, previous = _Watch(references, calls), sys.getprofile()
    try:
        for ref in references:
            if isinstance(ref, type):
                for attr in _METHODS:
                    if attr in vars(ref):
                        restore.append((ref, attr, vars(ref)[attr]))
                        setattr(ref, attr, _class_tripwire(ref, attr))
            else:
                fn = inspect.unwrap(ref)  # torch.no_grad() and functools.wraps keep the original here
                if fn.__code__.co_freevars:  # code with free variables cannot be swapped; the watch remains
                    continue
                restore.append((fn, "__code__", fn.__code__))
                fn.__code__ = _tripwire.__code__.replace(co_name=fn.__code__.co_name)
        _ACTIVE_GUARDS.append(calls)
        sys.setprofile(watch)
        yield calls
        if sys.getprofile() is not watch:
            raise WatchRemoved
    finally:
        sys.setprofile(previous)
        if _ACTIVE_GUARDS and _ACTIVE_GUARDS[-1] is calls:
            _ACTIVE_GUARDS.pop()
        for owner, attr, original in reversed(restore):
            setattr(owner, attr, original)


# --------------------------------------------------------------------------- the static guard


def find_delegation(obj, references) -> str | None:
    """How ``obj`` (a student's function, class or other callable) reaches one of ``references``, or None.

    Follows what the student's code loads into the student's own helpers and into the library
    (its call graph), looks inside wrappers (partials, bound methods, callable instances,
    decorators) and compares code objects: a function built from a reference's code, or compiled
    from its source, is the reference.

    Returns:
        A phrase for the failure message, e.g. ``"its code uses vae_course.reparameterize"``.
    """
    search = _Search(tuple(references))
    if search.is_reference(obj):
        return t(
            "it is the reference itself, imported from vae_course instead of written",
            "jawabannya adalah acuan itu sendiri, diimpor dari vae_course alih-alih ditulis",
        )
    why = search.why(obj, depth=0)
    if why is None:
        return None
    return why if why.startswith(_it()) else t(f"its code {why}", f"kodenya {why}")


def _it() -> str:
    """How a phrase about the answer itself begins ("it subclasses ..."), in the class's language."""
    return t("it ", "jawabannya ")


class _Search:
    """A bounded walk over what an answer can reach, remembering what it has seen."""

    MAX_DEPTH = 12

    def __init__(self, references: tuple):
        self.references = references
        self.ids = {id(ref) for ref in references} | {_unwrapped_id(ref) for ref in references}
        self.seen: set[int] = set()

    def is_reference(self, obj) -> bool:
        return id(obj) in self.ids or _unwrapped_id(obj) in self.ids

    def why(self, obj, depth: int) -> str | None:
        """How ``obj`` reaches a reference (a phrase: "uses vae_course.x"...), or None."""
        if id(obj) in self.seen or depth > self.MAX_DEPTH or depth and not _walkable(obj):
            return None
        self.seen.add(id(obj))
        if isinstance(obj, type):
            for ref in self.references:
                if isinstance(ref, type) and issubclass(obj, ref):
                    return t(
                        f"it subclasses vae_course's {ref.__name__}",
                        f"jawabannya subkelas {ref.__name__} dari vae_course",
                    )
        for fn in _functions_of(obj):
            label = reference_code_label(fn.__code__, self.references)
            if label is not None:
                return t(f"carries the code of vae_course's {label}", f"membawa kode {label} dari vae_course")
            for name, value in _loaded_objects(fn):
                found = self._through(name, value, depth)
                if found:
                    return found
        for name, value in _parts_of(obj):
            found = self._through(name, value, depth)
            if found:
                return found
        return None

    def _through(self, name: str, value, depth: int) -> str | None:
        if self.is_reference(value):
            return t(f"uses {name}", f"memakai {name}")
        if isinstance(value, types.CodeType):
            label = reference_code_label(value, self.references)
            if label is None:
                return None
            return t(
                f"uses {name}, the code of vae_course's {label}", f"memakai {name}, yaitu kode {label} dari vae_course"
            )
        inner = self.why(value, depth + 1)
        if inner is None:
            return None
        inner = inner.removeprefix(_it())
        return t(f"uses {name}, which {inner}", f"memakai {name}, yang {inner}")


def _walkable(obj) -> bool:
    """Objects worth opening past the answer itself: wrappers, and what the student (a notebook's
    ``__main__``) or the library wrote."""
    if isinstance(obj, (functools.partial, types.MethodType, staticmethod, classmethod, property)):
        return True
    if isinstance(obj, (type, types.FunctionType)):
        module = getattr(obj, "__module__", None)
    elif callable(obj) and not isinstance(obj, (types.BuiltinFunctionType, types.ModuleType)):
        module = getattr(type(obj), "__module__", None)  # a callable instance: its class decides
    else:
        return False
    return isinstance(module, str) and (module == "__main__" or module.split(".")[0] == PACKAGE)


def _unwrapped_id(obj) -> int:
    try:
        return id(inspect.unwrap(obj)) if callable(obj) else id(obj)
    except (ValueError, TypeError, AttributeError):  # a cycle of __wrapped__, or a strange object
        return id(obj)


def _parts_of(obj) -> Iterator[tuple[str, object]]:
    """What a wrapper holds: a partial's function and arguments, a bound method's function and owner,
    a class's bases and callable attributes, a callable instance's class, a decorator's function."""
    if isinstance(obj, functools.partial):
        yield t("a functools.partial of it", "functools.partial darinya"), obj.func
        argument = t("a partial's argument", "argumen partial")
        yield from ((argument, a) for a in (*obj.args, *(obj.keywords or {}).values()))
    elif isinstance(obj, types.MethodType):
        yield t("a bound method of it", "metode terikatnya"), obj.__func__
        yield t("the bound method's object", "objek metode terikat itu"), obj.__self__
    elif isinstance(obj, type):
        for base in obj.__bases__:
            yield t(f"the base class {base.__name__}", f"kelas dasar {base.__name__}"), base
        for attr, value in vars(obj).items():
            if callable(value) and not isinstance(value, types.FunctionType):
                yield t(f"its attribute {attr}", f"atributnya {attr}"), value
    elif callable(obj) and not isinstance(obj, types.FunctionType):
        yield t("its class", "kelasnya"), type(obj)
    wrapped = None if isinstance(obj, type) else inspect.getattr_static(obj, "__wrapped__", None)
    if wrapped is not None:
        yield t("the function it wraps", "fungsi yang dibungkusnya"), wrapped


def _functions_of(obj) -> Iterator[types.FunctionType]:
    """The Python functions that make up an answer: the function itself, or a class's methods."""
    if not isinstance(obj, type):
        if isinstance(obj, (staticmethod, classmethod, property)):
            yield from _plain_functions(obj)
        elif isinstance(obj, types.FunctionType):
            yield obj
        return
    for value in vars(obj).values():
        yield from _plain_functions(value)


def _loaded_objects(fn: types.FunctionType) -> Iterator[tuple[str, object]]:
    """Every object ``fn`` reaches by a global or closure name and attribute lookups, with its name."""
    closure = {
        name: cell.cell_contents for name, cell in zip(fn.__code__.co_freevars, fn.__closure__ or ()) if _filled(cell)
    }
    builtins = fn.__globals__.get("__builtins__", {})
    builtins = vars(builtins) if isinstance(builtins, types.ModuleType) else builtins
    missing = object()
    for code in _codes(fn.__code__):
        chain: tuple[str, object] | None = None
        for ins in dis.get_instructions(code):
            name = ins.argval if isinstance(ins.argval, str) else None
            if ins.opname in ("LOAD_GLOBAL", "LOAD_NAME") and name is not None:
                value = fn.__globals__.get(name, builtins.get(name, missing))
                chain = None if value is missing else (name, value)
            elif ins.opname in ("LOAD_DEREF", "LOAD_CLASSDEREF") and code is fn.__code__ and name in closure:
                chain = (name, closure[name])
            elif ins.opname in ("LOAD_ATTR", "LOAD_METHOD") and chain is not None and name is not None:
                chain = (f"{chain[0]}.{name}", _attribute(chain[1], name))
            else:
                chain = None
            if chain is not None:
                yield chain
    for value in (fn.__defaults__ or ()) + tuple((fn.__kwdefaults__ or {}).values()):
        yield (t("a default argument", "argumen bawaan"), value)
    for cell in fn.__closure__ or ():  # closures of nested functions and the wrapped function of a decorator
        if _filled(cell) and callable(cell.cell_contents):
            yield (t("a closure variable", "variabel closure"), cell.cell_contents)


def _attribute(obj, name: str):
    """An attribute for the walk (None if absent): a module's, or found without running the student's properties."""
    try:
        if isinstance(obj, types.ModuleType):
            return getattr(obj, name, None)
        return inspect.getattr_static(obj, name, None)
    except Exception:  # noqa: BLE001 (a strange object: nothing to follow)
        return None


def _filled(cell) -> bool:
    try:
        _ = cell.cell_contents
    except ValueError:  # a closure variable not assigned yet
        return False
    return True
