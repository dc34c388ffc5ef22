"""``scripts/classroom``: start a course hub on this machine, print its address, stop it on Ctrl-C.

The one place where arguments are parsed. What it makes is kept in the classroom folder
(:mod:`classroom.layout`), so a second run continues the same class.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
from pathlib import Path

from .accounts import (
    Account,
    AccountsError,
    class_of,
    read_accounts,
    with_passwords,
    write_accounts,
    write_hub_accounts,
)
from .layout import Classroom

REPOSITORY = Path(__file__).resolve().parents[1]
PROXY = REPOSITORY / "classroom" / "proxy" / "node_modules" / ".bin" / "configurable-http-proxy"


class Stop(Exception):
    """SIGTERM, handled like Ctrl-C."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="scripts/classroom",
        description="Start a JupyterHub for the course on this machine (127.0.0.1): an instructor with "
        "formgrader, students with the assignment list, nbgrader's exchange between them. Ctrl-C stops it.",
    )
    parser.add_argument(
        "folder",
        nargs="?",
        default=str(REPOSITORY / "_build" / "classroom"),
        help="the classroom folder, kept between runs (default: _build/classroom)",
    )
    parser.add_argument(
        "--accounts",
        type=Path,
        help="a CSV file with the columns name,role,password (role: instructor or student; "
        "an empty password is generated)",
    )
    parser.add_argument(
        "--students", type=int, default=3, help="without --accounts: how many students (student1, ...; default 3)"
    )
    parser.add_argument("--instructor", default="instructor", help="without --accounts: the instructor's name")
    parser.add_argument("--port", type=int, default=8000, help="the hub's port on 127.0.0.1 (default 8000)")
    parser.add_argument(
        "--assignments",
        nargs="+",
        metavar="NAME",
        help="the assignments of solutions/ (solutions-id/ when VAE_COURSE_LANGUAGE=id) to put in the course (default: all of them)",
    )
    return parser


def course_id() -> str:
    """The course's nbgrader course id, from its settings (``vae_course.course``)."""
    from traitlets.config import Config

    from vae_course.course import configure_nbgrader

    config = Config()
    configure_nbgrader(config)
    return config.CourseDirectory.course_id


def resolve_accounts(args: argparse.Namespace, classroom: Classroom) -> tuple[list[Account], set[str]]:
    """The class's accounts with passwords, and the names whose password is not in ``--accounts`` (to print).

    Generated passwords are kept in the classroom's ``accounts.csv``, so a later run finds the same
    people with the same passwords (with ``--accounts``: those left empty in the file keep theirs).
    """
    kept = read_accounts(classroom.generated_accounts) if classroom.generated_accounts.exists() else []
    if args.accounts:
        passwords = {account.name: account.password for account in kept}
        accounts = [
            account if account.password else Account(account.name, account.role, passwords.get(account.name, ""))
            for account in read_accounts(args.accounts)
        ]
    else:
        accounts = kept or class_of(args.students, args.instructor)
    complete = with_passwords(accounts)
    if complete != accounts or not args.accounts or kept:
        write_accounts(complete, classroom.generated_accounts)
    given = {account.name for account in read_accounts(args.accounts) if account.password} if args.accounts else set()
    return complete, {account.name for account in complete} - given


def print_welcome(port: int, accounts: list[Account], shown: set[str], classroom: Classroom) -> None:
    from .hub import hub_url

    if os.geteuid() == 0:
        print("warning: started as root, so every person's server, kernel and terminal runs as root", file=sys.stderr)
    print(f"The course hub is at {hub_url(port)}  (Ctrl-C stops it)")
    for account in accounts:
        password = account.password if account.name in shown else "(from your accounts file)"
        print(f"  {account.role:<10}  {account.name:<16}  {password}")
    if shown:
        print(
            f"Passwords are kept in {classroom.generated_accounts}; the hub's log is {classroom.hub / 'jupyterhub.log'}"
        )
    sys.stdout.flush()


def main(argv: list[str] | None = None) -> int:
    from .hub import write_config_file
    from .prepare import prepare
    from .process import free_port, start_hub, stop_hub, wait_for_hub

    parser = build_parser()
    args = parser.parse_args(argv)
    classroom = Classroom(Path(args.folder).resolve(), course_id())
    classroom.hub.mkdir(parents=True, exist_ok=True)
    try:
        accounts, shown = resolve_accounts(args, classroom)
    except (AccountsError, OSError) as error:
        parser.error(str(error))
    if not PROXY.exists():
        parser.error(f"{PROXY} is missing: scripts/install installs JupyterHub's proxy")
    from vae_course.course import class_language, exercise_folders

    try:  # the class's language (VAE_COURSE_LANGUAGE): its sources, solutions/ or solutions-id/
        sources = REPOSITORY / exercise_folders(class_language())[0]
    except ValueError as error:
        parser.error(str(error))
    assignments = args.assignments or sorted(path.name for path in sources.iterdir() if path.is_dir())
    unknown = [name for name in assignments if not (sources / name).is_dir()]
    if unknown:
        parser.error(f"no such assignment in {sources.name}/: {', '.join(unknown)}")

    instructor = next(account.name for account in accounts if account.role == "instructor")
    students = [account.name for account in accounts if account.role == "student"]
    write_hub_accounts(accounts, classroom.hub_accounts)
    prepare(classroom, instructor, students, sources, assignments)
    settings = {
        "course_id": classroom.course_id,
        "port": args.port,
        "hub_port": free_port(),
        "proxy_api_port": free_port(),
        "proxy": str(PROXY),
        "instructor": instructor,
        "students": students,
    }
    classroom.settings_file.write_text(json.dumps(settings, indent=1))

    def on_sigterm(*_):
        raise Stop

    signal.signal(signal.SIGTERM, on_sigterm)
    process = start_hub(classroom, write_config_file(classroom, REPOSITORY))
    status = 0
    try:
        wait_for_hub(process, classroom, args.port)
        print_welcome(args.port, accounts, shown, classroom)
        status = process.wait()  # until Ctrl-C (or SIGTERM), unless the hub stops by itself
        print(f"JupyterHub exited with {status}:\n" + _log_tail(classroom), file=sys.stderr)
    except (KeyboardInterrupt, Stop):
        print("Stopping the hub, its servers and its proxy...", flush=True)
    except RuntimeError as error:
        print(f"error: {error}", file=sys.stderr)
        status = 1
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not interrupt the cleanup
        leftovers = stop_hub(process, classroom)
    if leftovers:
        print(f"Ended {len(leftovers)} processes that the hub left running: {leftovers}", file=sys.stderr)
    print("Stopped.", flush=True)
    return status


def _log_tail(classroom: Classroom) -> str:
    from .process import log_tail

    return log_tail(classroom)
