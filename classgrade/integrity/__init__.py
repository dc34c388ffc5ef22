"""Integrity: flags for the instructor, computed in the coordinator process. Flags never change a score.

``analysis`` reads answer cells statically and turns the kernel's runtime evidence (the probe and
the audit hook of :mod:`classgrade.execution`) into flags.
"""

from .analysis import Flag, Reference, analyse, checks_helpers, parse_cell, runtime_flags

__all__ = ["Flag", "Reference", "analyse", "checks_helpers", "parse_cell", "runtime_flags"]
