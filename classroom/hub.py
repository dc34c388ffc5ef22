"""The course hub's JupyterHub configuration, for the ``jupyterhub_config.py`` that ``scripts/classroom`` writes.

- **One host per person.** The hub is ``http://localhost:PORT``; each person's server is on a host of
  their own, ``http://NAME.localhost:PORT`` (JupyterHub's ``subdomain_host``: browsers resolve every
  ``*.localhost`` name to this machine by themselves, no DNS needed). The browser's same-origin policy
  then keeps one person's pages from reading another's, which on a single host JupyterHub cannot
  promise; it is also what lets the instructor's formgrader be framed by the instructor's JupyterLab
  (:mod:`classroom.prepare`) without letting any student frame it.
- **Everything on 127.0.0.1**: the proxy's public and API ports and the hub's own port.
- **Logins** from the accounts file (:class:`classroom.authenticator.ClassroomAuthenticator`); only
  its people are allowed. Nobody is a hub administrator, so nobody can reach another's server.
- **Servers** are local processes of the hub's own Unix user (JupyterHub's
  ``SimpleLocalProcessSpawner``), each in the person's home under the classroom folder, running
  JupyterLab, with the role's Jupyter configuration first on ``JUPYTER_CONFIG_PATH``. The home's
  own Jupyter configuration is ignored (``disable_user_config``).
- **Stopping the hub stops everything** it started: servers (``cleanup_servers``) and the proxy.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from .layout import Classroom

SERVER_START_TIMEOUT_S = 180  # a server's first start imports JupyterLab and nbgrader; slow on a busy machine

CONFIG_FILE = '''\
"""The course hub's configuration, written by scripts/classroom at each start: edit classroom/hub.py."""

import sys

sys.path.insert(0, {repository!r})
from classroom.hub import configure_hub  # noqa: E402

configure_hub(get_config(), {root!r})  # noqa: F821
'''


def write_config_file(classroom: Classroom, repository: Path) -> Path:
    """``hub/jupyterhub_config.py``, which applies :func:`configure_hub` to this classroom."""
    path = classroom.hub / "jupyterhub_config.py"
    path.write_text(CONFIG_FILE.format(repository=str(repository), root=str(classroom.root)))
    return path


def hub_url(port: int) -> str:
    return f"http://localhost:{port}/"


def server_url(port: int, name: str) -> str:
    """The address of ``name``'s own server (JupyterHub's default ``idna`` host of a plain name)."""
    return f"http://{name}.localhost:{port}/user/{name}/"


def configure_hub(c, root: str) -> None:
    """Configure JupyterHub (``c``) for the classroom in ``root`` from its ``hub/classroom.json``."""
    from .authenticator import ClassroomAuthenticator

    settings = json.loads(Path(root, "hub", "classroom.json").read_text())
    classroom = Classroom(Path(root), settings["course_id"])
    port, hub = settings["port"], classroom.hub
    roles = {settings["instructor"]: "instructor", **{name: "student" for name in settings["students"]}}

    c.JupyterHub.bind_url = f"http://127.0.0.1:{port}/"
    c.JupyterHub.subdomain_host = f"http://localhost:{port}"
    c.JupyterHub.hub_bind_url = f"http://127.0.0.1:{settings['hub_port']}"
    c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{settings['proxy_api_port']}"
    c.ConfigurableHTTPProxy.command = [settings["proxy"]]
    c.ConfigurableHTTPProxy.pid_file = str(hub / "proxy.pid")
    c.JupyterHub.pid_file = str(hub / "jupyterhub.pid")
    c.JupyterHub.db_url = f"sqlite:///{hub / 'jupyterhub.sqlite'}"
    c.JupyterHub.cookie_secret_file = str(hub / "jupyterhub_cookie_secret")

    c.JupyterHub.authenticator_class = ClassroomAuthenticator
    c.ClassroomAuthenticator.accounts_file = str(classroom.hub_accounts)
    c.Authenticator.allowed_users = set(roles)
    c.JupyterHub.load_groups = {
        "instructors": {"users": [name for name, role in roles.items() if role == "instructor"]},
        "students": {"users": [name for name, role in roles.items() if role == "student"]},
    }

    c.JupyterHub.spawner_class = "simple"
    c.SimpleLocalProcessSpawner.home_dir_template = str(classroom.root / "home" / "{username}")
    c.Spawner.cmd = [str(Path(sys.executable).with_name("jupyterhub-singleuser"))]
    c.Spawner.default_url = "/lab"
    if os.geteuid() == 0:  # every server runs as the hub's user: see "The course hub" in the instructor's guide
        c.Spawner.args = ["--allow-root"]
    c.Spawner.disable_user_config = True
    c.Spawner.start_timeout = SERVER_START_TIMEOUT_S
    c.Spawner.http_timeout = SERVER_START_TIMEOUT_S

    def add_role_environment(spawner):
        spawner.environment = {**spawner.environment, **classroom.environment(roles[spawner.user.name])}

    c.Spawner.pre_spawn_hook = add_role_environment
