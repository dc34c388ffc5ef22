"""The sandbox: limits and isolation, applied in the forked process that becomes a kernel.

``isolate`` holds the policy (what to apply, what to do when it fails) and runs in that process,
before the kernel starts; ``linux`` wraps the system calls it needs (namespaces, Landlock, seccomp).
The coordinator only builds the configuration and asks :func:`check` what this machine offers.
"""

from .isolate import SYSTEM_READ_PATHS, Applied, SandboxConfig, check, enter, landlock_rules, package_dirs, python_read_paths

__all__ = ["SYSTEM_READ_PATHS", "Applied", "SandboxConfig", "check", "enter", "landlock_rules", "package_dirs",
           "python_read_paths"]
