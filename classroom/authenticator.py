"""The local hub's login: each person's own password, checked against the hashes of the accounts file.

Why a class of the course's own: on this hub every person may be one Unix user, so the system's
login (JupyterHub's default, PAM) cannot tell them apart; JupyterHub's ``DummyAuthenticator`` has one
password for everybody, so any student could log in as any other; ``jupyterhub-nativeauthenticator``
lets people sign up and an administrator approve them, a flow a class created from a list does not
need. This checks a name and a password against the salted scrypt hashes that ``scripts/classroom``
wrote (:mod:`classroom.accounts`), and nothing else.

It imports JupyterHub, so only the hub imports it (named in the hub's configuration).
"""

from __future__ import annotations

import asyncio

from jupyterhub.auth import Authenticator
from traitlets import Unicode

from .accounts import read_hub_accounts, verify_password


class ClassroomAuthenticator(Authenticator):
    """Log in the accounts of ``accounts_file`` (name -> role and password hash)."""

    accounts_file = Unicode(help="the hub's accounts table, written by classroom.accounts.write_hub_accounts").tag(
        config=True
    )

    async def authenticate(self, handler, data):
        accounts = read_hub_accounts(self.accounts_file)  # read at each login: editing the file needs no restart
        name = (data.get("username") or "").strip().lower()
        account = accounts.get(name)
        if account is None:
            return None
        # scrypt takes tens of milliseconds of CPU: off the hub's event loop
        if not await asyncio.to_thread(verify_password, data.get("password") or "", account["password"]):
            return None
        return name
