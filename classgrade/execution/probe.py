"""Runtime evidence of tampering, collected inside the student's kernel after the last cell.

The grader sends this file's source to the kernel as a silent execution (nothing is added to the
notebook, its history or its execution counts) and evaluates ``collect()`` in a fresh namespace.
It must only use the standard library and modules already imported by the notebook.

A function or class written in a notebook cell has a code object whose file name lies in
ipykernel's cell folder; finding one inside ``torch``, ``numpy``, the course's reference package, the builtins or the
IPython shell is evidence of monkeypatching, found without knowing what the module looked like
before. The student can tamper with this probe too: its findings are evidence, not proof.
"""

import json
import sys
import types

WATCHED_MODULES = (
    "torch",
    "numpy",
    "nbgrader",
    "builtins",
    "math",
    "IPython",
    "ipykernel",
    "sys",
    "os",
    "warnings",
    "contextlib",
    "unittest",
    "traceback",
    "inspect",
    "random",
)
SHELL_HOOKS = ("input_transformers_cleanup", "input_transformers_post", "ast_transformers")
MAX_ITEMS = 50


def _cell_prefix():
    from ipykernel.compiler import get_tmp_directory

    return get_tmp_directory()


def _from_cell(value, prefix):
    try:
        return _defined_in(value, prefix)
    except Exception:  # lazy attributes (torch.cuda...) can raise on access
        return False


def _defined_in(value, prefix):
    code = getattr(value, "__code__", None) or getattr(getattr(value, "__func__", None), "__code__", None)
    if isinstance(code, types.CodeType):
        return code.co_filename.startswith(prefix)
    return isinstance(value, type) and value.__module__ == "__main__"  # a class written in a cell


def _patched_attributes(prefix, watched, own=()):
    """Notebook code inside the watched modules; for the course's own packages (``own``), inside
    the classes they define too (a check's machinery is a class: ``Student._run = ...``)."""
    found = []
    for name, module in list(sys.modules.items()):
        if name.split(".")[0] not in watched:
            continue
        if module is not None and not isinstance(module, types.ModuleType):
            found.append(f"sys.modules[{name!r}] replaced by {type(module).__name__}")
            continue
        for attribute, value in list(getattr(module, "__dict__", {}).items()):
            if _from_cell(value, prefix):
                found.append(f"{name}.{attribute}")
            elif name.split(".")[0] in own and isinstance(value, type) and value.__module__ == name:
                found += [f"{name}.{attribute}.{a}" for a, v in list(vars(value).items()) if _from_cell(v, prefix)]
        if len(found) >= MAX_ITEMS:
            break
    classes = []
    if "torch" in sys.modules:
        torch = sys.modules["torch"]
        classes += [("torch.Tensor", torch.Tensor), ("torch.nn.Module", torch.nn.Module)]
    for label, cls in classes:
        for attribute, value in list(vars(cls).items()):
            if _from_cell(value, prefix):
                found.append(f"{label}.{attribute}")
    return found[:MAX_ITEMS]


def _shell_hooks(shell, prefix):
    found = []
    if getattr(shell, "custom_exceptions", ()):
        found.append("set_custom_exc: exceptions are handled by notebook code")
    for name in SHELL_HOOKS:
        for item in getattr(shell, name, []):
            bound_call = getattr(item, "__call__", None)  # noqa: B004 (an object's bound __call__, to find its code)
            if _from_cell(item, prefix) or _from_cell(bound_call, prefix):
                found.append(f"get_ipython().{name} has a transformer from the notebook")
    for event, callbacks in getattr(getattr(shell, "events", None), "callbacks", {}).items():
        if any(_from_cell(callback, prefix) for callback in callbacks):
            found.append(f"get_ipython().events '{event}' has a callback from the notebook")
    for name, value in list(vars(shell).items()):
        if _from_cell(value, prefix):
            found.append(f"get_ipython().{name} replaced by notebook code")
    for name in ("excepthook", "displayhook"):
        if _from_cell(getattr(sys, name, None), prefix):
            found.append(f"sys.{name} replaced by notebook code")
    if sys.gettrace() is not None or sys.getprofile() is not None:
        found.append("a trace or profile function is set")
    return found


def _suppression():
    import warnings

    found = []
    for name in ("stdout", "stderr"):
        stream = getattr(sys, name)
        if type(stream).__module__ != "ipykernel.iostream":
            found.append(f"sys.{name} is a {type(stream).__module__}.{type(stream).__name__}")
    ignores = [
        f
        for f in warnings.filters  # (action, message, category, module, lineno)
        if f[0] == "ignore" and f[1] is None and f[3] is None and f[2] in (Warning, UserWarning, RuntimeWarning)
    ]
    if ignores:
        found.append(f"{len(ignores)} warnings filter(s) ignore {', '.join(sorted({f[2].__name__ for f in ignores}))}")
    if "logging" in sys.modules and sys.modules["logging"].root.manager.disable:
        found.append("logging.disable is on")
    return found


def collect(extra_modules=()):
    """A JSON string: {"monkeypatch": [...], "grading-hook": [...], "suppression": [...]}.

    ``extra_modules``: more top-level modules to watch (the course's reference package).
    """
    from IPython import get_ipython

    prefix = _cell_prefix()
    report = {"monkeypatch": [], "grading-hook": [], "suppression": []}
    for key, function in (
        ("monkeypatch", lambda: _patched_attributes(prefix, WATCHED_MODULES + tuple(extra_modules), extra_modules)),
        ("grading-hook", lambda: _shell_hooks(get_ipython(), prefix)),
        ("suppression", _suppression),
    ):
        try:
            report[key] = function()
        except Exception as error:  # a tampered interpreter can break anything; report it
            report[key] = [f"probe failed: {type(error).__name__}: {error}"]
    return json.dumps(report)
