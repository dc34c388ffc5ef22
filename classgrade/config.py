"""What classgrade knows about the course it grades, read from the course's ``nbgrader_config.py``.

Every course-specific value is a trait of :class:`ClassGrade`, set in the ``ClassGrade`` section of
the course's nbgrader configuration, for example::

    c.ClassGrade.reference_package = "mycourse"          # answers must not import its solutions
    c.ClassGrade.checks_module = "mycourse.checks"       # helpers the hidden tests call
    c.ClassGrade.read_paths = ["/srv/data"]              # kernels may read these (besides Python)
    c.ClassGrade.kernel_env = {"MYCOURSE_DATA": "/srv/data"}
    c.ClassGrade.preload = ["numpy", "torch"]            # imported once per worker (fork mode)
    c.ClassGrade.prepare = ["mycourse.data:download"]    # called once before kernels start

Command-line flags add to or override these (see ``python -m classgrade autograde --help``).
"""

from __future__ import annotations

from traitlets import Dict, List, Unicode
from traitlets.config import Configurable

# torch.testing.assert_close imports torch.distributed and sympy on its first call (a second each time).
TORCH_WARMUP = """
import torch
torch.testing.assert_close(torch.zeros(1), torch.zeros(1))
"""


class ClassGrade(Configurable):
    """The course's side of grading: its reference package, its helpers, what kernels may use."""

    reference_package = Unicode(
        "",
        help="Package holding the reference implementations: an answer that imports from it what it "
        "must write is flagged reference-import, and kernels may read it. Empty: none.",
    ).tag(config=True)
    checks_module = Unicode(
        "",
        help="Module whose public names the hidden tests call: rebinding one is flagged "
        "helper-redefinition. Empty: none.",
    ).tag(config=True)
    read_paths = List(Unicode(), help="More paths kernels may read (a data set...).").tag(config=True)
    kernel_env = Dict(
        value_trait=Unicode(), help="Variables kernels get unless the grader's environment passes them."
    ).tag(config=True)
    preload = List(
        Unicode(),
        default_value=["numpy", "torch", "matplotlib.pyplot"],
        help="Modules each worker imports once, for all its kernels (fork mode).",
    ).tag(config=True)
    prepare = List(
        Unicode(),
        help="Functions ('module:function', called without arguments) the grader calls once before any "
        "kernel starts: kernels may only read the course's files, so a data set that must be unpacked on a "
        "fresh machine is unpacked here. A failure is reported, not fatal.",
    ).tag(config=True)
    warmup = Unicode(TORCH_WARMUP, help="Python code each worker runs once, after the preload.").tag(config=True)

    @property
    def watched_modules(self) -> tuple[str, ...]:
        """Modules beyond the standard ones whose monkeypatching is flagged: the reference package."""
        return (self.reference_package,) if self.reference_package else ()


def load(config) -> ClassGrade:
    """The ``ClassGrade`` section of a traitlets config (an nbgrader app's ``config``)."""
    return ClassGrade(config=config)
