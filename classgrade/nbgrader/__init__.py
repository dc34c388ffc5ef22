"""The nbgrader adapter: nbgrader's own preprocessors, driven by classgrade.

``converter`` runs in the coordinator: it prepares each submission (restores read-only cells,
checks metadata) and records executed notebooks in the gradebook, one at a time. ``feedback`` runs
in ``nbgrader generate_feedback`` (set in ``nbgrader_config.py``): it keeps hidden tests out of the
feedback. Only these modules and the coordinator import nbgrader.
"""
