"""classroom: the course on a JupyterHub of its own, on this machine, started by ``scripts/classroom``.

An instructor and students log in to their own JupyterLab; the instructor releases, collects and
grades assignments in nbgrader's formgrader, students fetch, validate and submit them in the
assignment list, through nbgrader's exchange (docs/instructor-guide.md, "The course hub").

- :mod:`classroom.accounts`: the people and their passwords (a CSV file, or generated);
- :mod:`classroom.authenticator`: the hub's login, against the passwords' hashes;
- :mod:`classroom.layout`: the classroom folder;
- :mod:`classroom.prepare`: the exchange, each role's Jupyter configuration, the course folder;
- :mod:`classroom.hub`: the JupyterHub configuration;
- :mod:`classroom.process`: start the hub, stop it and everything it started;
- :mod:`classroom.cli`: the command line.

Importing this package imports nothing else.
"""
