"""What the student's code reaches, read from the notebook's source: the grader's judge, not the kernel.

The judge replays a check on the answers a kernel recorded (:mod:`.judging`). Whether those answers
came from the student's own code, only the kernel saw, and the kernel ran the student's code: it
may have disabled the guards that run there (:mod:`.delegation`). So the judge also reads the
source of the student's cells (answers, and cells the student added, above the test cell), runs
none of it, and fails the check when

* the answer reaches what its exercise may not reach (:func:`delegation`): a name bound to a
  reference or a sibling of it, through imports, aliases, attribute chains, containers, wrappers
  (``functools.partial``, ``types.FunctionType(ref.__code__, ...)``), the student's own functions
  and classes, and the library's call graph (followed in the judge's own copy of the library); or
  a name it computes (an import of a computed module, ``getattr`` with a computed name on the
  course's package, ``eval`` of a string), so that the grader cannot tell what it reaches;
* a cell changes the grading machinery in the kernel (:func:`tampering`): it writes into the
  course's package (its checks included), replaces a function's code, sets a profile or trace
  function, replaces a module of ``sys.modules``, writes into an object it reached through ``gc``,
  ``__subclasses__``, frames or a computed import, or runs a string it computed as code.

Reading is not running: code that a cell builds at run time in a way none of the above shows can
still hide from the judge (docs/autograding.md lists what is protected and what is only flagged).
"""

from __future__ import annotations

import ast
import builtins
import functools
import importlib
import types
from collections.abc import Iterable, Iterator

from ..language import language, t
from .delegation import PACKAGE, find_delegation, reference_code_label

# A value is a tuple: ("ref", "a.b.c") a module or an object by its import path; ("def", id) a
# function, lambda or class the student wrote; ("wrap", frozenset) something built from values (a
# container, a partial, a call's result); ("dynamic", why) something the reader cannot name.
Value = tuple
DYNAMIC_CALLS = {
    "gc.get_objects": "gc.get_objects",
    "gc.get_referrers": "gc.get_referrers",
    "gc.get_referents": "gc.get_referents",
    "sys._getframe": "sys._getframe",  # the call stack
    "inspect.currentframe": "inspect.currentframe",
    "inspect.stack": "inspect.stack",
}
IMPORTS = {"importlib.import_module", "builtins.__import__", "importlib.__import__"}
CODE_FROM_STRINGS = {"builtins.exec", "builtins.eval", "builtins.compile"}
WATCH_SETTERS = {"sys.setprofile", "sys.settrace", "threading.setprofile", "threading.settrace"}
SETTERS = {"builtins.setattr", "builtins.delattr", "builtins.object.__setattr__", "builtins.type.__setattr__",
           "builtins.object.__delattr__"}  # fmt: skip
MUTATORS = {"update", "__setitem__", "__delitem__", "setdefault", "pop", "popitem", "clear"}
CODE_MAGICS = {"time", "timeit", "prun", "capture"}  # IPython magics whose argument is Python code


def delegation(sources: list[str], name: str, references: tuple) -> str | None:
    """How the answer ``name`` reaches ``references``, read from ``sources``; None if it does not."""
    reader = _read(tuple(sources), language())
    reach = _Reach(reader, tuple(references))
    for value in reader.env.get(name, ()):
        found = reach.why(value)
        if found:
            return t(f"its code {found} (read from the notebook)", f"kodenya {found} (dibaca dari notebook)")
    for target, values in reader.stores:
        for value in values:
            found = reach.why(value)
            if found:
                return t(
                    f"a cell stores into {target} something that {found} (read from the notebook)",
                    f"sebuah sel menyimpan ke {target} sesuatu yang {found} (dibaca dari notebook)",
                )
    return None


def tampering(sources: list[str]) -> str | None:
    """The first line of ``sources`` that changes the grading machinery in the kernel, described; or None."""
    reader = _read(tuple(sources), language())
    return reader.tampering[0] if reader.tampering else None


@functools.lru_cache(maxsize=4)
def _read(sources: tuple[str, ...], language: str) -> _Reader:
    """The cells read once for all the checks of a test cell (and the test cells after it, which see more).

    ``language`` is part of the cache's key: what the reader found is described in the class's language.
    """
    return _Reader(list(sources))


# --------------------------------------------------------------------------- reading the cells


def _parse(source: str) -> ast.Module | None:
    """A cell's Python, with IPython's magics turned into the calls they run; None if it is not valid."""
    try:
        from IPython.core.inputtransformer2 import TransformerManager

        source = TransformerManager().transform_cell(source)
    except ImportError:  # no IPython (a plain Python judge): magics are dropped
        source = "\n".join(line for line in source.splitlines() if not line.lstrip().startswith(("%", "!")))
    except (SyntaxError, ValueError):
        return None
    try:
        return ast.parse(source)
    except (SyntaxError, ValueError):
        return None


class _Reader:
    """The names the cells bind (in order, a later unconditional binding replacing an earlier one),
    the values they store into attributes and items, and the lines that tamper with grading."""

    def __init__(self, sources: list[str]):
        self.env: dict[str, set[Value]] = {}
        self.defs: dict[int, ast.AST] = {}
        self.stores: list[tuple[str, set[Value]]] = []
        self.tampering: list[str] = []
        self.bodies: list[ast.AST] = []  # functions and classes, scanned after the top level
        for source in sources:
            tree = _parse(source)
            if tree is not None:
                self._block(tree.body, conditional=False)
        for node in self.bodies:
            self._scan(node, self._local_env(node))

    # --- binding

    def _bind(self, name: str, values: set[Value], conditional: bool) -> None:
        if conditional:
            self.env.setdefault(name, set()).update(values)
        else:
            self.env[name] = set(values)

    def _block(self, statements: list[ast.stmt], conditional: bool) -> None:
        for statement in statements:
            self._statement(statement, conditional)

    def _statement(self, node: ast.stmt, conditional: bool) -> None:
        env = self.env
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            for name, value in _imported(node):
                if name == "*":
                    for public, star in _star(value):
                        self._bind(public, {star}, conditional)
                else:
                    self._bind(name, {value}, conditional)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            self.defs[id(node)] = node
            self.bodies.append(node)
            self._bind(node.name, {("def", id(node))}, conditional)
            self._scan_expressions(_header(node), env)
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            value = node.value
            if value is None:
                return
            values = self._value(value, env)
            self._scan_expressions([value], env)
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                self._assign(target, value, values, conditional or isinstance(node, ast.AugAssign), env)
        elif isinstance(node, (ast.For, ast.AsyncFor)):
            self._scan_expressions([node.iter], env)
            self._assign(node.target, node.iter, {("wrap", frozenset(self._value(node.iter, env)))}, True, env)
            self._block(node.body + node.orelse, conditional=True)
        elif isinstance(node, (ast.With, ast.AsyncWith)):
            for item in node.items:
                self._scan_expressions([item.context_expr], env)
                if item.optional_vars is not None:
                    self._assign(item.optional_vars, item.context_expr, self._value(item.context_expr, env), True, env)
            self._block(node.body, conditional=True)
        elif isinstance(node, (ast.If, ast.While, ast.Try, getattr(ast, "TryStar", ast.Try))):
            self._scan_expressions([n for n in ast.iter_child_nodes(node) if isinstance(n, ast.expr)], env)
            for field in ("body", "orelse", "finalbody"):
                self._block(getattr(node, field, []), conditional=True)
            for handler in getattr(node, "handlers", []):
                self._block(handler.body, conditional=True)
        elif isinstance(node, ast.Match):
            self._scan_expressions([node.subject], env)
            for case in node.cases:
                self._block(case.body, conditional=True)
        elif isinstance(node, ast.Delete):
            for target in node.targets:
                self._store(target, set(), env)
        else:
            self._scan_expressions([node], env)

    def _assign(self, target: ast.expr, node: ast.expr, values: set[Value], conditional: bool, env: dict) -> None:
        if isinstance(target, ast.Name):
            if env is self.env:
                self._bind(target.id, values, conditional)
            else:
                env.setdefault(target.id, set()).update(values)
        elif isinstance(target, (ast.Tuple, ast.List)):
            pairs = isinstance(node, (ast.Tuple, ast.List)) and len(node.elts) == len(target.elts)
            for i, element in enumerate(target.elts):
                inner = self._value(node.elts[i], env) if pairs else {("wrap", frozenset(values))}
                self._assign(element.value if isinstance(element, ast.Starred) else element, node, inner, True, env)
        else:
            self._store(target, values, env)

    # --- values

    def _value(self, node: ast.expr, env: dict) -> set[Value]:
        if isinstance(node, ast.Name):
            if node.id in env:
                return set(env[node.id])
            return {("ref", f"builtins.{node.id}")} if hasattr(builtins, node.id) else set()
        if isinstance(node, ast.Attribute):
            return {v for base in self._value(node.value, env) for v in self._attribute(base, node.attr)}
        if isinstance(node, ast.Lambda):
            self.defs[id(node)] = node
            return {("def", id(node))}
        if isinstance(node, ast.Call):
            return self._call(node, env)
        if isinstance(node, ast.Subscript):
            return self._subscript(node, env)
        if isinstance(node, ast.Constant):
            return set()
        children = set().union(*(self._value(c, env) for c in _operands(node)))
        return {("wrap", frozenset(children))} if children else set()

    def _attribute(self, base: Value, attr: str) -> Iterator[Value]:
        kind = base[0]
        if kind == "ref":
            yield ("ref", f"{base[1]}.{attr}")
        elif kind == "def":
            node = self.defs[base[1]]
            for statement in getattr(node, "body", []) if isinstance(node, ast.ClassDef) else []:
                if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                    if statement.name == attr:
                        self.defs[id(statement)] = statement
                        yield ("def", id(statement))
                elif isinstance(statement, ast.Assign) and any(
                    isinstance(t, ast.Name) and t.id == attr for t in statement.targets
                ):
                    yield from self._value(statement.value, self.env)
            yield ("wrap", frozenset({base}))  # an attribute of the student's object: it may hold anything it reaches
        elif kind in ("dynamic", "wrap"):
            yield base

    def _call(self, node: ast.Call, env: dict) -> set[Value]:
        callee = self._value(node.func, env)
        names = {v[1] for v in callee if v[0] == "ref"}
        first = node.args[0] if node.args else None
        literal = first.value if isinstance(first, ast.Constant) and isinstance(first.value, str) else None
        if names & IMPORTS and literal:
            return {("ref", literal)}
        if names & IMPORTS:
            why = t("an import of a module whose name it computes", "impor modul yang namanya dihitung kode itu")
            return {("dynamic", why)}
        if names & set(DYNAMIC_CALLS) or any(n.endswith(".__subclasses__") for n in names):
            why = next((DYNAMIC_CALLS[n] for n in names if n in DYNAMIC_CALLS), "__subclasses__")
            return {("dynamic", why)}
        if names & CODE_FROM_STRINGS:
            code = _parse(literal) if literal else None
            if code is None:
                return {("dynamic", _code_from_a_string())}
            if len(code.body) == 1 and isinstance(code.body[0], ast.Expr):
                return self._value(code.body[0].value, env)
            self._block(code.body, conditional=True)
            return set()
        if "builtins.getattr" in names and len(node.args) >= 2:
            objects = self._value(node.args[0], env)
            name = node.args[1]
            if isinstance(name, ast.Constant) and isinstance(name.value, str):
                return {v for base in objects for v in self._attribute(base, name.value)}
            return {_computed(v) for v in objects}
        if names & {"builtins.vars"} and first is not None:  # a namespace: what X.__dict__ names
            return {("ref", v[1] + ".__dict__") if v[0] == "ref" else v for v in self._value(first, env)}
        if names & {"builtins.globals", "builtins.locals"}:
            return {("globals",)}
        values = set().union(*(self._value(a, env) for a in (*node.args, *(k.value for k in node.keywords))))
        values |= {v for v in callee if v[0] in ("def", "dynamic", "wrap")}  # a factory may return what it reaches
        return {("wrap", frozenset(values))} if values else set()

    def _subscript(self, node: ast.Subscript, env: dict) -> set[Value]:
        objects = self._value(node.value, env)
        key = node.slice.value if isinstance(node.slice, ast.Constant) else None
        found: set[Value] = set()
        for base in objects:
            if base == ("globals",):
                found |= set(env.get(key, ())) if isinstance(key, str) else {v for vs in env.values() for v in vs}
            elif base[0] == "ref" and base[1] == "sys.modules":
                found.add(
                    ("ref", key)
                    if isinstance(key, str)
                    else ("dynamic", t("a module of sys.modules it computes", "modul sys.modules yang dihitungnya"))
                )
            elif base[0] == "ref" and base[1].endswith(".__dict__"):
                namespace = base[1].removesuffix(".__dict__")
                found.add(("ref", f"{namespace}.{key}") if isinstance(key, str) else _computed(("ref", namespace)))
            else:
                found.add(("wrap", frozenset({base})))
        return found

    # --- tampering

    def _store(self, target: ast.expr, values: set[Value], env: dict) -> None:
        """An attribute or item assignment (or deletion): record it, and whether it tampers."""
        if isinstance(target, ast.Attribute):
            owners, label = self._value(target.value, env), _source(target)
            if target.attr == "__code__":
                self._tamper(target, _replaces_code())
        elif isinstance(target, ast.Subscript):
            owners, label = self._value(target.value, env), _source(target)
            owners = {("ref", v[1] + ".__dict__") if v == ("ref", "sys.modules") else v for v in owners}
        else:
            return
        self.stores.append((label, values))
        for owner in owners:
            why = _tampered(owner)
            if why:
                self._tamper(target, _writes_into(why))

    def _tamper(self, node: ast.AST, what: str) -> None:
        self.tampering.append(t(f"a cell {what}: {_source(node)[:120]}", f"sebuah sel {what}: {_source(node)[:120]}"))

    def _scan_expressions(self, nodes: Iterable[ast.AST], env: dict) -> None:
        """Calls that tamper: setattr on the package, profile functions, code from strings, magics."""
        for node in (n for top in nodes for n in ast.walk(top)):
            if not isinstance(node, ast.Call):
                continue
            callee = self._value(node.func, env)
            names = {v[1] for v in callee if v[0] == "ref"}
            first = node.args[0] if node.args else None
            literal = first.value if isinstance(first, ast.Constant) and isinstance(first.value, str) else None
            if names & SETTERS and first is not None:
                if len(node.args) > 1 and isinstance(node.args[1], ast.Constant) and node.args[1].value == "__code__":
                    self._tamper(node, _replaces_code())
                for owner in self._value(first, env):
                    why = _tampered(owner)
                    if why:
                        self._tamper(node, _writes_into(why))
                if len(node.args) > 2:
                    self.stores.append((_source(node), self._value(node.args[2], env)))
            elif names & WATCH_SETTERS or any(n.startswith("sys.monitoring.") for n in names):
                self._tamper(node, t("sets a profile or trace function", "memasang fungsi profile atau trace"))
            elif names & CODE_FROM_STRINGS and literal is None:
                self._tamper(
                    node, t("runs code from a string it computes", "menjalankan kode dari string yang dihitungnya")
                )
                for namespace in node.args[1:3]:  # what it defines there, the reader cannot name
                    if isinstance(namespace, ast.Name):
                        env.setdefault(namespace.id, set()).add(("dynamic", _code_from_a_string()))
            elif names & {"importlib.reload"} and first is not None:
                for owner in self._value(first, env):
                    why = _tampered(owner)
                    if why:
                        self._tamper(node, f"reloads {why}")
            elif any(n.split(".")[-1] in ("patch", "object") and "mock" in n for n in names):
                targets = {("ref", literal)} if literal else self._value(first, env) if first is not None else set()
                if any(_tampered(t) for t in targets):
                    self._tamper(node, t("patches the course's package", "menambal paket kuliah ini"))
            elif isinstance(node.func, ast.Attribute) and node.func.attr in MUTATORS:
                for owner in self._value(node.func.value, env):
                    if owner == ("ref", "sys.modules"):
                        self._tamper(node, t("changes sys.modules", "mengubah sys.modules"))
                    why = _tampered(owner) if owner[0] != "ref" or owner[1].endswith(".__dict__") else None
                    if why:
                        self._tamper(node, _writes_into(why))
            elif isinstance(node.func, ast.Attribute) and node.func.attr in ("run_line_magic", "run_cell_magic"):
                self._magic(node, env)

    def _magic(self, node: ast.Call, env: dict) -> None:
        strings = [a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
        if not strings:
            return
        if strings[0] == "run":
            self._tamper(node, t("runs a file with %run", "menjalankan sebuah berkas dengan %run"))
        elif strings[0] in CODE_MAGICS:
            for text in strings[1:]:
                code = _parse(text)
                if code is not None:
                    self._block(code.body, conditional=True)

    def _scan(self, node: ast.AST, env: dict) -> None:
        """A function or class body: its stores and calls, with its own local names."""
        for inner in ast.walk(node):
            if inner is node:
                continue
            if isinstance(inner, (ast.Assign, ast.AnnAssign, ast.AugAssign)) and inner.value is not None:
                targets = inner.targets if isinstance(inner, ast.Assign) else [inner.target]
                values = self._value(inner.value, env)
                for target in targets:
                    if isinstance(target, (ast.Attribute, ast.Subscript)):
                        self._store(target, values, env)
            elif isinstance(inner, ast.Delete):
                for target in inner.targets:
                    self._store(target, set(), env)
            elif isinstance(inner, ast.Lambda):
                self.defs[id(inner)] = inner
        self._scan_expressions(list(ast.iter_child_nodes(node)), env)

    def _local_env(self, node: ast.AST) -> dict[str, set[Value]]:
        """The names a function or class body sees: the cells' globals, its locals (what it imports and
        assigns: anything else it binds hides a global of the same name)."""
        env = dict(self.env)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            arguments = node.args
            for arg in (
                *arguments.posonlyargs,
                *arguments.args,
                *arguments.kwonlyargs,
                arguments.vararg,
                arguments.kwarg,
            ):
                if arg is not None:
                    env[arg.arg] = set()
        declared_global = {n for g in ast.walk(node) if isinstance(g, ast.Global) for n in g.names}
        for inner in ast.walk(node):
            if inner is node:
                continue
            if isinstance(inner, ast.Name) and isinstance(inner.ctx, ast.Store) and inner.id not in declared_global:
                env[inner.id] = set()
            elif isinstance(inner, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                self.defs[id(inner)] = inner
                env[inner.name] = {("def", id(inner))}
        for inner in ast.walk(node):
            if isinstance(inner, (ast.Import, ast.ImportFrom)):
                for name, value in _imported(inner):
                    env.setdefault(name, set()).add(value)
            elif isinstance(inner, ast.Assign) and inner is not node:
                values = self._value(inner.value, env)
                for target in inner.targets:
                    if isinstance(target, ast.Name) and target.id not in declared_global:
                        env[target.id] = env.get(target.id, set()) | values
        return env


def _operands(node: ast.expr) -> Iterator[ast.expr]:
    """The expressions an expression is built from (a comprehension's: what it iterates over, too)."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.comprehension):
            yield child.iter
            yield from child.ifs
        elif isinstance(child, ast.expr):
            yield child


def _header(node: ast.AST) -> list[ast.expr]:
    """What a def or class evaluates where it is defined: decorators, defaults, bases."""
    found = list(getattr(node, "decorator_list", []))
    if isinstance(node, ast.ClassDef):
        found += node.bases + [k.value for k in node.keywords]
    elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        found += [d for d in (*node.args.defaults, *node.args.kw_defaults) if d is not None]
    return found


def _imported(node: ast.Import | ast.ImportFrom) -> Iterator[tuple[str, Value]]:
    if isinstance(node, ast.Import):
        for alias in node.names:
            yield (
                (alias.asname, ("ref", alias.name))
                if alias.asname
                else (alias.name.split(".")[0], ("ref", alias.name.split(".")[0]))
            )
    elif node.module and not node.level:
        for alias in node.names:
            yield (
                (alias.asname or alias.name),
                ("ref", node.module if alias.name == "*" else f"{node.module}.{alias.name}"),
            )


def _star(value: Value) -> Iterator[tuple[str, Value]]:
    """``from m import *``: the public names of ``m`` when it belongs to the course's package."""
    module = _resolve(value[1]) if _in_package(value[1]) else None
    if isinstance(module, types.ModuleType):
        for name in getattr(module, "__all__", [n for n in vars(module) if not n.startswith("_")]):
            yield name, ("ref", f"{value[1]}.{name}")


def _computed(value: Value) -> Value:
    """An attribute of ``value`` whose name the code computes."""
    if value[0] == "ref" and _in_package(value[1]):
        return (
            "dynamic",
            t(
                f"getattr with a name it computes on {value[1]}",
                f"getattr dengan nama yang dihitungnya pada {value[1]}",
            ),
        )
    return ("wrap", frozenset({value})) if value[0] != "ref" else ("wrap", frozenset())


# Phrases of the evidence that several places give, in the class's language.
def _writes_into(why: str) -> str:
    return t(f"writes into {why}", f"menulis ke {why}")


def _replaces_code() -> str:
    return t("replaces a function's code", "mengganti kode sebuah fungsi")


def _code_from_a_string() -> str:
    return t("code it runs from a string", "kode yang dijalankannya dari sebuah string")


def _tampered(owner: Value) -> str | None:
    """What writing into ``owner`` changes, if it belongs to the grading machinery."""
    if owner[0] == "ref" and _in_package(owner[1]):
        return owner[1].removesuffix(".__dict__")
    if owner[0] == "ref" and owner[1] == "sys.modules.__dict__":
        return "sys.modules"
    if owner[0] == "dynamic":
        return t(f"an object reached through {owner[1]}", f"objek yang dicapai melalui {owner[1]}")
    if owner[0] == "wrap":
        return next((why for why in map(_tampered, owner[1]) if why), None)
    return None


def _in_package(dotted: str) -> bool:
    return dotted == PACKAGE or dotted.startswith(PACKAGE + ".")


def _source(node: ast.AST) -> str:
    try:
        return ast.unparse(node)
    except Exception:  # noqa: BLE001 (a node ast cannot print: name its kind)
        return type(node).__name__


def _resolve(dotted: str):
    """The object an import path names, in the judge's own copy of the library; None if there is none."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        except Exception:  # noqa: BLE001 (a module failing at import: nothing it names is reached)
            return None
        for attr in parts[cut:]:
            try:
                obj = getattr(obj, attr)
            except AttributeError:
                return None
        return obj
    return None


# --------------------------------------------------------------------------- reaching


class _Reach:
    """Which values reach the references: a walk over the student's definitions and the library."""

    def __init__(self, reader: _Reader, references: tuple):
        self.reader, self.references = reader, references
        self.seen: set[Value] = set()

    def why(self, value: Value) -> str | None:
        """How ``value`` reaches a reference ("uses vae_course.x", ...), or None."""
        if value in self.seen:
            return None
        self.seen.add(value)
        kind = value[0]
        if kind == "dynamic":
            return t(
                f"uses {value[1]}, so the grader cannot tell what it reaches",
                f"memakai {value[1]}, sehingga penilai tidak dapat mengetahui apa yang dicapainya",
            )
        if kind == "wrap":
            return next((found for found in map(self.why, value[1]) if found), None)
        if kind == "ref":
            return self._library(value[1])
        if kind == "def":
            return self._definition(self.reader.defs[value[1]])
        if kind == "globals":
            return next(
                (found for found in (self.why(v) for vs in self.reader.env.values() for v in vs) if found), None
            )
        return None

    def _library(self, dotted: str) -> str | None:
        if not _in_package(dotted):
            return None
        obj = _resolve(dotted)
        if obj is None:
            return None
        if isinstance(obj, types.CodeType):
            if reference_code_label(obj, self.references):
                return t(f"uses {dotted}, the reference's code", f"memakai {dotted}, yaitu kode acuan")
            return None
        if any(obj is ref for ref in self.references):
            return t(f"uses {dotted}", f"memakai {dotted}")
        inner = find_delegation(obj, self.references)
        if inner is None:
            return None
        inner = inner.removeprefix(t("its code ", "kodenya ")).removeprefix(t("it ", "jawabannya "))
        return t(f"uses {dotted}, which {inner}", f"memakai {dotted}, yang {inner}")

    def _definition(self, node: ast.AST) -> str | None:
        """What a student's function, lambda or class reaches: every name, attribute chain and call in it."""
        env = self.reader._local_env(node)
        for inner in ast.walk(node):
            if isinstance(inner, (ast.Import, ast.ImportFrom)):
                values = {value for _name, value in _imported(inner)}
            elif inner is not node and isinstance(inner, (ast.Name, ast.Attribute, ast.Call, ast.Subscript)):
                if not isinstance(getattr(inner, "ctx", ast.Load()), ast.Load):
                    continue
                values = self.reader._value(inner, env)
            else:
                continue
            found = next((found for found in map(self.why, values) if found), None)
            if found:
                return found
        for expression in _header(node):
            found = next(
                (found for found in map(self.why, self.reader._value(expression, self.reader.env)) if found), None
            )
            if found:
                return found
        return None
