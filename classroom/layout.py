"""Where a classroom keeps everything: one folder, made by ``scripts/classroom`` and kept between runs.

::

    CLASSROOM/
      accounts.csv               generated passwords (only when they were generated), owner-only
      hub/                       JupyterHub's own files: database, cookie secret, logs, its configuration
        jupyterhub_config.py     written at each start; names this folder and the settings below
        classroom.json           the settings of this run (ports, people, programs)
        accounts.json            name -> role and password hash, owner-only
      exchange/                  nbgrader's exchange (Exchange.root): COURSE/outbound, inbound, feedback
      config/instructor/         the instructor's Jupyter configuration (on JUPYTER_CONFIG_PATH)
      config/student/            every student's Jupyter configuration
      home/NAME/                 each person's home folder: their notebooks and nbgrader's cache
      home/INSTRUCTOR/COURSE/    the course folder: source/, release/, submitted/, gradebook.db, ...
      data/                      Fashion-MNIST, unpacked once for every kernel ($VAE_COURSE_DATA)
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

MARKER = "CLASSROOM_ROOT"  # in the environment of every process of a classroom: the classroom folder

# The modes nbgrader's own release gives the exchange (nbgrader/exchange/default/release_assignment.py),
# made up front so that the first to use it need not own it.
EXCHANGE_MODES = {
    "": 0o777,  # the root: anyone may create a course in it
    "outbound": 0o755,  # released assignments: everyone reads, the instructor writes
    "inbound": 0o2733,  # submissions: everyone may add one, nobody but the instructor may list them
    "feedback": 0o2711,  # feedback pages: readable by whoever knows a page's name (a hash of the submission)
}


@dataclass(frozen=True)
class Classroom:
    """The folders of one classroom under ``root`` (see the module's docstring).

    Attributes:
        root: the classroom folder, absolute.
        course_id: nbgrader's course id (``CourseDirectory.course_id``), also the course folder's name.
    """

    root: Path
    course_id: str

    @property
    def hub(self) -> Path:
        return self.root / "hub"

    @property
    def settings_file(self) -> Path:
        return self.hub / "classroom.json"

    @property
    def hub_accounts(self) -> Path:
        return self.hub / "accounts.json"

    @property
    def generated_accounts(self) -> Path:
        return self.root / "accounts.csv"

    @property
    def exchange(self) -> Path:
        return self.root / "exchange"

    @property
    def data(self) -> Path:
        return self.root / "data"

    def home(self, name: str) -> Path:
        return self.root / "home" / name

    def config(self, role: str) -> Path:
        return self.root / "config" / role

    def course(self, instructor: str) -> Path:
        return self.home(instructor) / self.course_id

    def environment(self, role: str) -> dict[str, str]:
        """What the servers of a person of ``role`` have in their environment, besides what JupyterHub sets
        (``HOME``, ``JUPYTERHUB_USER``, ...)."""
        return {
            "JUPYTER_CONFIG_PATH": str(self.config(role)),  # the role's configuration (classroom.prepare)
            "VAE_COURSE_DATA": str(self.data),
            MARKER: str(self.root),
        }
