"""Flag attempts to tamper with grading, for the instructor to review. Flags never change a score.

Static evidence comes from the answer cells (solution cells, and cells the student added), parsed
with ``ast`` after IPython's own transformation of magics. Runtime evidence comes from the kernel:
the probe (``probe.py``) and the audit hook (``kernel_boot.py``). Flag codes:

- ``reference-import``: the answer imports or calls the reference implementation of a name it is
  asked to write (``from course import reparameterize``, ``course.gaussian.reparameterize``, where
  ``course`` is the reference package of the course's configuration);
- ``helper-redefinition``: the answer rebinds a function, class, module or builtin that the tests use
  (or a helper of the course's checks module);
- ``monkeypatch``: the answer assigns into ``torch``, ``numpy``, the reference package, ``builtins``...;
- ``grading-hook``: the answer reaches into the machinery that runs the tests (IPython exception
  handlers, input transformers, events, ``sys.excepthook``, trace functions, SIGINT handlers);
- ``outside-file``: the answer reads or lists a path outside the submission;
- ``suppression``: the answer hides errors or output (``except: pass``, ``sys.stderr = ...``,
  ``warnings.filterwarnings('ignore')``, ``redirect_stderr``, ``%%capture``);
- ``network`` and ``subprocess`` (runtime only): connections off the machine, programs started;
- ``verdict-overruled``: the kernel passed a test cell that the trusted judge (``classgrade.judge``)
  failed; the cell scores what the judge decided (the one flag that comes with a score change,
  which the judge made, not the flag).
"""

from __future__ import annotations

import ast
import builtins
import dataclasses
import importlib.util
from dataclasses import dataclass

WATCHED_ROOTS = {"torch", "numpy", "nbgrader", "builtins", "math", "IPython", "ipykernel", "unittest", "__builtins__"}
GRADING_HOOKS = {
    "set_custom_exc",
    "input_transformers_cleanup",
    "input_transformers_post",
    "ast_transformers",
    "showtraceback",
    "_showtraceback",
    "showsyntaxerror",
    "custom_exceptions",
    "excepthook",
    "settrace",
    "setprofile",
    "addaudithook",
    "register_magic_function",
}
SUPPRESSING_CALLS = {
    "contextlib.redirect_stdout",
    "contextlib.redirect_stderr",
    "contextlib.suppress",
    "logging.disable",
    "IPython.utils.io.capture_output",
    "IPython.utils.capture.capture_output",
}
PATH_CALLS = {
    "open",
    "read_text",
    "read_bytes",
    "listdir",
    "scandir",
    "walk",
    "glob",
    "iglob",
    "load",
    "loadtxt",
    "genfromtxt",
    "read_csv",
    "copy",
    "copyfile",
    "copytree",
    "chdir",
    "Path",
    "PurePath",
    "fromfile",
    "imread",
    "stat",
    "exists",
    "isfile",
    "isdir",
    "rglob",
    "iterdir",
}
SENSITIVE_WORDS = ("gradebook", "solutions/", "submitted/", "autograded/", "nbgrader_config", "/etc/passwd", "/.ssh")


@dataclass(frozen=True)
class Flag:
    """One piece of evidence: what (``code``), where (notebook, cell, line), and the evidence itself."""

    code: str
    notebook: str
    cell: str | None
    line: int | None
    evidence: str
    source: str  # "static" or "runtime"

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class Reference:
    """What the tests rely on, from the gradebook: the answer stubs and the read-only cells."""

    stubs: dict[str, str]  # grade_id of each answer cell -> its released source
    locked: list[str]  # sources of read-only cells, hidden tests included
    helpers: frozenset[str] = frozenset()  # public names of the course's checks module
    package: str = ""  # the reference package ("": none); its names are the references


def checks_helpers(module: str) -> frozenset[str]:
    """Public names bound in ``module`` (a checks module), read from its source (not imported)."""
    if not module:
        return frozenset()
    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError):
        return frozenset()
    if spec is None or not spec.origin:
        return frozenset()
    with open(spec.origin) as f:
        tree = ast.parse(f.read())
    return frozenset(name for name, _kind in _bindings(tree) if not name.startswith("_"))


def parse_cell(source: str) -> ast.Module | None:
    """Python code of a cell, with IPython magics turned into the calls they run; None if invalid."""
    from IPython.core.inputtransformer2 import TransformerManager

    try:
        return ast.parse(TransformerManager().transform_cell(source))
    except (SyntaxError, ValueError):
        return None


def _dotted(node: ast.AST) -> str | None:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        return ".".join([node.id, *reversed(parts)])
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in ("globals", "vars", "get_ipython")
    ):
        return ".".join([node.func.id + "()", *reversed(parts)])
    return None


def _root(node: ast.AST) -> ast.AST:
    while isinstance(node, (ast.Attribute, ast.Subscript)):
        node = node.value
    return node


def _imports(tree: ast.AST) -> dict[str, str]:
    """alias -> what it names: ``import torch.nn.functional as F`` gives F -> torch.nn.functional."""
    aliases = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    aliases[alias.asname] = alias.name
                else:
                    aliases[alias.name.split(".")[0]] = alias.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for alias in node.names:
                aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return aliases


def _bindings(tree: ast.AST) -> list[tuple[str, str]]:
    """(name, kind) for the names a cell binds at top level (not inside functions or classes).

    Kind is def, class, import or assign.
    """
    found = []
    pending = list(ast.iter_child_nodes(tree))
    while pending:
        node = pending.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            found.append((node.name, "def"))
            continue
        if isinstance(node, ast.ClassDef):
            found.append((node.name, "class"))
            continue
        if isinstance(node, (ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
            continue
        if isinstance(node, (ast.Import, ast.ImportFrom)) and getattr(node, "module", None) != "__future__":
            found += [((a.asname or a.name).split(".")[0], "import") for a in node.names if a.name != "*"]
        elif isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            found.append((node.id, "assign"))
        pending.extend(ast.iter_child_nodes(node))
    return found


def _resolve(name: str | None, aliases: dict[str, str]) -> str | None:
    if name is None:
        return None
    head, _, rest = name.partition(".")
    target = aliases.get(head, head)
    return f"{target}.{rest}" if rest else target


def _string(node: ast.AST | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr) and node.values:
        return _string(node.values[0])
    return None


def _in_package(name: str, package: str) -> bool:
    return bool(package) and (name == package or name.startswith(package + "."))


def _outside(path: str) -> bool:
    if path in ("/dev/null", "/dev/stdout", "/dev/stderr"):
        return False
    return path.startswith(("/", "~")) or ".." in path.replace("\\", "/").split("/")


class _CellAnalysis:
    """The flags of one answer cell; ``aliases`` span the whole notebook, as the kernel's names do."""

    def __init__(self, tree, lines, aliases, expected, helpers, locked_imports, package, flag):
        self.tree, self.lines, self.aliases, self.package = tree, lines, aliases, package
        self.watched = WATCHED_ROOTS | ({package} if package else set())
        self.expected, self.helpers, self.locked_imports = expected, helpers, locked_imports
        self.flag = flag

    def run(self) -> None:
        for node in ast.walk(self.tree):
            if isinstance(node, ast.ImportFrom):
                self._import_from(node)
            elif isinstance(node, ast.Attribute):
                self._attribute(node)
            elif isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Delete)):
                self._assignment(node)
            elif isinstance(node, ast.Call):
                self._call(node)
            elif isinstance(node, ast.Try):
                self._try(node)
            elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                if any(word in node.value for word in SENSITIVE_WORDS):
                    self.flag("outside-file", node, f"mentions {node.value[:80]!r}")
        self._redefinitions()

    def _import_from(self, node: ast.ImportFrom) -> None:
        if node.level or not _in_package(node.module or "", self.package):
            return
        for alias in node.names:
            if alias.name == "*" or alias.name in self.expected:
                self.flag(
                    "reference-import", node, f"imports {alias.name} from {node.module}, the reference it must write"
                )

    def _attribute(self, node: ast.Attribute) -> None:
        target = _resolve(_dotted(node), self.aliases)
        if target and _in_package(target, self.package) and target != self.package and node.attr in self.expected:
            self.flag("reference-import", node, f"uses {target}, the reference it must write")
        if node.attr in GRADING_HOOKS or target == "signal.signal" or (target or "").endswith("events.register"):
            self.flag("grading-hook", node, f"uses {_dotted(node) or node.attr}")

    def _assignment(self, node) -> None:
        targets = node.targets if isinstance(node, (ast.Assign, ast.Delete)) else [node.target]
        for target in targets:
            for element in target.elts if isinstance(target, (ast.Tuple, ast.List)) else [target]:
                if not isinstance(element, (ast.Attribute, ast.Subscript)):
                    continue
                where = _dotted(element.value if isinstance(element, ast.Subscript) else element)
                resolved = _resolve(where, self.aliases) or ""
                if resolved.split(".")[0] in self.watched or resolved.startswith(
                    ("sys.modules", "globals()", "vars()")
                ):
                    self.flag("monkeypatch", node, f"assigns {where}")
                elif resolved in ("sys.stderr", "sys.stdout", "sys.__stderr__", "sys.__stdout__"):
                    self.flag("suppression", node, f"replaces {where}")
                elif isinstance(element, ast.Attribute) and element.attr in GRADING_HOOKS:
                    self.flag("grading-hook", node, f"assigns {where}")

    def _call(self, node: ast.Call) -> None:
        name = _resolve(_dotted(node.func), self.aliases) or ""
        first = node.args[0] if node.args else None
        if name in ("setattr", "delattr") and first is not None:
            root = _resolve(_dotted(_root(first)), self.aliases) or ""
            if root.split(".")[0] in self.watched:
                self.flag("monkeypatch", node, f"{name}({_dotted(first)}, ...)")
        elif name.endswith(("mock.patch", "mock.patch.object", "mock.patch.dict")) or name in ("patch", "patch.object"):
            self.flag("monkeypatch", node, f"calls {name}")
        elif name in SUPPRESSING_CALLS or name.endswith("capture_output"):
            self.flag("suppression", node, f"calls {name}")
        elif name in ("warnings.filterwarnings", "warnings.simplefilter"):
            action = _string(first) or next((_string(k.value) for k in node.keywords if k.arg == "action"), None)
            if action == "ignore":
                self.flag("suppression", node, f"{name}('ignore')")
        elif name in ("os.dup2", "os.close") and any(
            isinstance(a, ast.Constant) and a.value in (1, 2) for a in node.args[-1:]
        ):
            self.flag("suppression", node, f"calls {name} on a standard stream")
        elif name.endswith("run_cell_magic") and _string(first) == "capture":
            self.flag("suppression", node, "%%capture hides the cell's output")
        elif name in ("importlib.import_module", "__import__") and _in_package(_string(first) or "", self.package):
            if any(isinstance(c, ast.Constant) and c.value in self.expected for c in ast.walk(self.tree)):
                self.flag("reference-import", node, f"imports {_string(first)} dynamically")
        if name.split(".")[-1] in PATH_CALLS:
            path = _string(first)
            if path is not None and _outside(path):
                self.flag("outside-file", node, f"{name.split('.')[-1]}({path!r})")

    def _try(self, node: ast.Try) -> None:
        for handler in node.handlers:
            names = [] if handler.type is None else [_dotted(t) for t in getattr(handler.type, "elts", [handler.type])]
            broad = handler.type is None or {"Exception", "BaseException", "AssertionError"} & set(names)
            silent = all(
                isinstance(s, (ast.Pass, ast.Continue)) or isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant)
                for s in handler.body
            )
            if broad and silent:
                self.flag(
                    "suppression", handler, f"except {', '.join(n for n in names if n) or ''}: pass swallows errors"
                )

    def _redefinitions(self) -> None:
        own_imports = _imports(self.tree)
        for name, kind in _bindings(self.tree):
            if name not in self.helpers or name in self.expected:
                continue
            if kind == "import" and own_imports.get(name) == self.locked_imports.get(name):
                continue
            node = next(
                (
                    n
                    for n in ast.walk(self.tree)
                    if getattr(n, "name", None) == name
                    or getattr(n, "id", None) == name
                    or any((a.asname or a.name) == name for a in getattr(n, "names", []) if isinstance(a, ast.alias))
                ),
                None,
            )
            self.flag("helper-redefinition", node, f"rebinds {name} ({kind}), which the tests use")


def analyse(nb, notebook: str, reference: Reference) -> list[Flag]:
    """Static flags for the answer cells of a (sanitized) notebook."""
    flags: list[Flag] = []
    trees = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        meta = cell.metadata.get("nbgrader", {})
        answer = meta.get("solution", False) or not meta.get("grade_id")
        tree = parse_cell(cell.source)
        if tree is not None:
            trees.append((cell, meta, answer, tree))
    aliases: dict[str, str] = {}
    for _cell, _meta, _answer, tree in trees:
        aliases.update(_imports(tree))
    locked_trees = [t for t in (parse_cell(s) for s in reference.locked) if t is not None]
    locked_imports: dict[str, str] = {}
    helpers = set(reference.helpers)
    for tree in locked_trees:
        locked_imports.update(_imports(tree))
        helpers.update(name for name, kind in _bindings(tree) if kind != "assign")
        helpers.update(
            n.id
            for n in ast.walk(tree)
            if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load) and hasattr(builtins, n.id)
        )
    expected = set()
    for stub in reference.stubs.values():
        tree = parse_cell(stub)
        if tree is not None:
            expected.update(name for name, kind in _bindings(tree) if kind in ("def", "class", "assign"))
    for cell, meta, answer, tree in trees:
        if not answer:
            continue
        cell_id = meta.get("grade_id") or cell.get("id")
        lines = cell.source.splitlines()

        def flag(code, node, evidence, _cell=cell_id, _lines=lines):
            line = getattr(node, "lineno", None)
            text = _lines[line - 1].strip()[:160] if line and line <= len(_lines) else evidence
            flags.append(
                Flag(code, notebook, _cell, line, f"{evidence}: {text}" if text != evidence else evidence, "static")
            )

        before = len(flags)
        _CellAnalysis(tree, lines, aliases, expected, helpers, locked_imports, reference.package, flag).run()
        flags[before:] = sorted(flags[before:], key=lambda f: f.line or 0)
    return _unique(flags)


def runtime_flags(notebook: str, probe: dict | None, audit: list[dict]) -> list[Flag]:
    """Flags from the kernel: the probe's findings and the audit hook's records."""
    flags = []
    for code, items in (probe or {}).items():
        flags += [Flag(code, notebook, None, None, item, "runtime") for item in items]
    for record in audit:
        event, arg, line = record.get("event", ""), str(record.get("arg", "")), record.get("line")
        if event.startswith("socket."):
            local = arg.startswith("family=1 ") or any(host in arg for host in ("'127.0.0.1'", "'::1'", "'localhost'"))
            if not local:
                flags.append(Flag("network", notebook, None, line, f"{event} {arg[-120:]}", "runtime"))
        elif event in ("subprocess.Popen", "os.system", "os.exec", "os.posix_spawn"):
            flags.append(Flag("subprocess", notebook, None, line, f"{event} {arg[:120]}", "runtime"))
        elif event == "sys.addaudithook":
            flags.append(Flag("grading-hook", notebook, None, line, "adds an audit hook", "runtime"))
        elif event.startswith(("gc.", "ctypes.")) and event != "ctypes.dlopen":
            flags.append(
                Flag("grading-hook", notebook, None, line, f"reaches the interpreter's objects: {event}", "runtime")
            )
        elif event.startswith("audit."):  # the channel itself: forged bytes, missing records, a flood, a cut
            flags.append(Flag("grading-hook", notebook, None, line, arg, "runtime"))
        elif event != "os.kill":
            flags.append(Flag("outside-file", notebook, None, line, f"{event} {arg}", "runtime"))
    return _unique(flags)


def verdict_flags(notebook: str, overruled: list[dict]) -> list[Flag]:
    """A ``verdict-overruled`` flag for each test cell the kernel passed and the judge failed."""
    flags = []
    for item in overruled:
        reason = (str(item.get("message", "")).splitlines() or [""])[0][:300]
        evidence = f"the kernel passed this test cell; the grader's judge failed it: {reason}"
        flags.append(Flag("verdict-overruled", notebook, str(item.get("cell")), None, evidence, "runtime"))
    return flags


def _unique(flags: list[Flag]) -> list[Flag]:
    seen, unique = set(), []
    for flag in flags:
        key = (flag.code, flag.cell, flag.line) if flag.line else (flag.code, flag.cell, flag.evidence)
        if key not in seen:
            seen.add(key)
            unique.append(flag)
    return unique
