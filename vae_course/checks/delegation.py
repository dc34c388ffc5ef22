"""Catching answers that delegate to the reference they were asked to write.

Two complementary guards:

* :func:`find_delegation` reads the student's code before it runs: the names its bytecode loads
  (globals, closures, attribute chains such as ``vae_course.gaussian.reparameterize``), its default
  arguments, and for a class its bases and methods;
* :func:`forbid` swaps the references for tripwires while the student's code runs, so that any call
  (through an alias, ``getattr``, ``importlib``, a subclass or an instance) raises and is recorded,
  even if the student's code catches the exception.
"""

from __future__ import annotations

import contextlib
import dis
import inspect
import types
from collections.abc import Iterator

from ..language import t

_ACTIVE_GUARDS: list[list[str]] = []  # the call records of the guards now in force


class ReferenceCalled(Exception):
    """Raised by a tripwire: student code called a reference it was asked to write."""


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


@contextlib.contextmanager
def forbid(references) -> Iterator[list[str]]:
    """While in force, calling any of ``references`` raises and is recorded in the yielded list.

    Functions get a tripwire ``__code__`` (every alias of the function object trips it); classes get
    tripwire ``__init__``, ``forward``, ``encode`` and ``decode`` (subclasses and instances trip).
    Everything is restored on exit, whatever happened.
    """
    calls: list[str] = []
    restore: list[tuple[object, str, object]] = []
    try:
        for ref in references:
            if isinstance(ref, type):
                for attr in ("__init__", "forward", "encode", "decode"):
                    if attr in vars(ref):
                        restore.append((ref, attr, vars(ref)[attr]))
                        setattr(ref, attr, _class_tripwire(ref, attr))
            else:
                fn = inspect.unwrap(ref)  # torch.no_grad() and functools.wraps keep the original here
                if fn.__code__.co_freevars:  # code with free variables cannot be swapped; the static check remains
                    continue
                restore.append((fn, "__code__", fn.__code__))
                fn.__code__ = _tripwire.__code__.replace(co_name=fn.__code__.co_name)
        _ACTIVE_GUARDS.append(calls)
        yield calls
    finally:
        if _ACTIVE_GUARDS and _ACTIVE_GUARDS[-1] is calls:
            _ACTIVE_GUARDS.pop()
        for owner, attr, original in reversed(restore):
            setattr(owner, attr, original)


def find_delegation(obj, references) -> str | None:
    """How ``obj`` (a student's function or class) uses one of ``references``, or None.

    Returns:
        A phrase for the failure message, e.g. ``"its code uses vae_course.reparameterize"``.
    """
    ids = {id(ref) for ref in references} | {id(inspect.unwrap(ref)) for ref in references}
    if id(obj) in ids or id(inspect.unwrap(obj)) in ids:
        return t(
            "it is the reference itself, imported from vae_course instead of written",
            "jawabannya adalah acuan itu sendiri, diimpor dari vae_course alih-alih ditulis",
        )
    if isinstance(obj, type):
        for ref in references:
            if isinstance(ref, type) and issubclass(obj, ref):
                return t(
                    f"it subclasses vae_course's {ref.__name__}", f"jawabannya subkelas {ref.__name__} dari vae_course"
                )
    for fn in _functions_of(obj):
        for name, value in _loaded_objects(fn):
            if id(value) in ids:
                return t(f"its code uses {name}", f"kodenya memakai {name}")
    return None


def _functions_of(obj) -> Iterator[types.FunctionType]:
    """The Python functions that make up an answer: the function itself, or a class's methods."""
    if not isinstance(obj, type):
        if isinstance(inspect.unwrap(obj), types.FunctionType):
            yield inspect.unwrap(obj)
        return
    for value in vars(obj).values():
        if isinstance(value, (staticmethod, classmethod)):
            value = value.__func__
        if isinstance(value, property):
            yield from (f for f in (value.fget, value.fset) if isinstance(f, types.FunctionType))
        elif isinstance(value, types.FunctionType):
            yield value


def _loaded_objects(fn: types.FunctionType) -> Iterator[tuple[str, object]]:
    """Every object ``fn`` reaches by a global or closure name and attribute lookups, with its name."""
    closure = {
        name: cell.cell_contents for name, cell in zip(fn.__code__.co_freevars, fn.__closure__ or ()) if _filled(cell)
    }
    builtins = fn.__globals__.get("__builtins__", {})
    builtins = vars(builtins) if isinstance(builtins, types.ModuleType) else builtins
    missing = object()
    for code in _code_objects(fn.__code__):
        chain: tuple[str, object] | None = None
        for ins in dis.get_instructions(code):
            name = ins.argval if isinstance(ins.argval, str) else None
            if ins.opname in ("LOAD_GLOBAL", "LOAD_NAME") and name is not None:
                value = fn.__globals__.get(name, builtins.get(name, missing))
                chain = None if value is missing else (name, value)
            elif ins.opname in ("LOAD_DEREF", "LOAD_CLASSDEREF") and code is fn.__code__ and name in closure:
                chain = (name, closure[name])
            elif ins.opname in ("LOAD_ATTR", "LOAD_METHOD") and chain is not None and name is not None:
                chain = (f"{chain[0]}.{name}", getattr(chain[1], name, None))
            else:
                chain = None
            if chain is not None:
                yield chain
    for value in (fn.__defaults__ or ()) + tuple((fn.__kwdefaults__ or {}).values()):
        yield (t("a default argument", "argumen bawaan"), value)


def _code_objects(code: types.CodeType) -> Iterator[types.CodeType]:
    """A code object and those nested in it (inner functions, comprehensions, lambdas)."""
    yield code
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            yield from _code_objects(const)


def _filled(cell) -> bool:
    try:
        _ = cell.cell_contents
    except ValueError:  # a closure variable not assigned yet
        return False
    return True
