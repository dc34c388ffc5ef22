"""Execution: where notebooks run, in three kinds of process below the coordinator.

- ``pool`` (in the coordinator) starts the workers and moves messages to and from them;
- ``worker`` (one process per job, ``python -m classgrade.execution.worker``) imports the kernel and
  the preloaded libraries once, then forks a runner per notebook;
- ``runner`` (the forked child) executes one notebook with nbgrader's Execute preprocessor against
  a kernel started by ``kernel``, then sends the ``probe`` into it;
- ``kernel_boot`` runs inside the kernel process: the audit hook, then IPython's kernel.

This ``__init__`` imports nothing: ``kernel_boot`` runs in a fresh interpreter in spawn mode.
"""
