"""``python -m classroom``: the same as ``scripts/classroom`` (:mod:`classroom.cli`)."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
