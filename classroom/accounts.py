"""The hub's accounts: an instructor and students, with their passwords, read from a file or generated.

An accounts file is a CSV table with a header, one account a row (an export from a learning
management system becomes one in a spreadsheet)::

    name,role,password
    teacher,instructor,correct-horse-battery
    alice,student,
    bob,student,

An empty password is generated. The hub keeps only salted scrypt hashes of the passwords
(:func:`hash_password`), in a file that only its owner can read; the passwords themselves are
printed once, and kept with the file they came from.

A name is what the hub, nbgrader and the browser all use for the person: the student id in the
gradebook, the hub's user name, and the label of the user's own host name (``alice.localhost``).
So it must be valid for all three: lowercase letters, digits and ``-``, starting with a letter.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import json
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

ROLES = ("instructor", "student")
NAME = re.compile(r"[a-z][a-z0-9-]{0,30}")  # a DNS label, an nbgrader id (no '+' or '*'), a hub name
SCRYPT = {"n": 2**14, "r": 8, "p": 1}  # the cost parameters of hashlib.scrypt (16 MiB, ~50 ms a try)
PASSWORD_BYTES = 9  # generated passwords: 12 URL-safe characters, 72 random bits


class AccountsError(ValueError):
    """An accounts file that cannot be used, with the reason a person can act on."""


@dataclass(frozen=True)
class Account:
    """One person on the hub.

    Attributes:
        name: the hub's user name, also the nbgrader student id.
        role: ``"instructor"`` or ``"student"``.
        password: in clear; empty until :func:`with_passwords` fills it.
    """

    name: str
    role: str
    password: str = ""


def check_accounts(accounts: list[Account]) -> list[Account]:
    """Return ``accounts`` if the names are valid and unique, the roles known, and there is exactly
    one instructor; raise :class:`AccountsError` otherwise."""
    seen = set()
    for account in accounts:
        if not NAME.fullmatch(account.name):
            raise AccountsError(
                f"invalid name {account.name!r}: use lowercase letters, digits and '-', starting with a letter"
            )
        if account.name in seen:
            raise AccountsError(f"the name {account.name!r} appears twice")
        if account.role not in ROLES:
            raise AccountsError(f"{account.name}: unknown role {account.role!r} (expected one of {', '.join(ROLES)})")
        seen.add(account.name)
    instructors = [account.name for account in accounts if account.role == "instructor"]
    if len(instructors) != 1:
        raise AccountsError(f"expected exactly one instructor, found {len(instructors)}: {instructors}")
    return accounts


def read_accounts(path: Path) -> list[Account]:
    """The accounts of a CSV file with the columns ``name``, ``role`` and ``password``."""
    with open(path, newline="") as file:
        rows = list(csv.DictReader(file))
    if rows and not {"name", "role"} <= set(rows[0]):
        raise AccountsError(f"{path}: the header must name the columns name, role and password")
    accounts = [Account(row["name"].strip(), row["role"].strip(), (row.get("password") or "").strip()) for row in rows]
    return check_accounts(accounts)


def write_accounts(accounts: list[Account], path: Path) -> None:
    """Write ``accounts`` as a CSV file that :func:`read_accounts` reads, readable by its owner only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with open(descriptor, "w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["name", "role", "password"])
        writer.writerows([account.name, account.role, account.password] for account in accounts)


def class_of(students: int, instructor: str = "instructor") -> list[Account]:
    """An instructor and ``students`` students named ``student1``, ``student2``, ..., without passwords."""
    if students < 1:
        raise AccountsError(f"a class needs at least one student, got {students}")
    return check_accounts(
        [Account(instructor, "instructor")] + [Account(f"student{i}", "student") for i in range(1, students + 1)]
    )


def with_passwords(accounts: list[Account]) -> list[Account]:
    """``accounts`` with every empty password replaced by a new random one."""
    return [
        account if account.password else Account(account.name, account.role, secrets.token_urlsafe(PASSWORD_BYTES))
        for account in accounts
    ]


def hash_password(password: str, salt: bytes | None = None) -> str:
    """``scrypt$SALT$HASH`` (hex) of ``password``, with a new random salt unless one is given."""
    salt = secrets.token_bytes(16) if salt is None else salt
    digest = hashlib.scrypt(password.encode(), salt=salt, **SCRYPT)
    return f"scrypt${salt.hex()}${digest.hex()}"


def verify_password(password: str, stored: str) -> bool:
    """Whether ``password`` is the one hashed into ``stored`` (a :func:`hash_password` string)."""
    scheme, salt, _ = stored.split("$")
    if scheme != "scrypt":
        return False
    return hmac.compare_digest(hash_password(password, bytes.fromhex(salt)), stored)


def write_hub_accounts(accounts: list[Account], path: Path) -> None:
    """The hub's copy of ``accounts``: name -> role and password hash, as JSON readable by its owner only."""
    table = {account.name: {"role": account.role, "password": hash_password(account.password)} for account in accounts}
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with open(descriptor, "w") as file:
        json.dump(table, file, indent=1)


def read_hub_accounts(path: Path) -> dict[str, dict[str, str]]:
    """The table that :func:`write_hub_accounts` wrote."""
    return json.loads(Path(path).read_text())
