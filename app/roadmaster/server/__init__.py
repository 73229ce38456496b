"""The reference cloud API: the contract of ``specs/cloud-api.md`` plus its
extensions, on SQLite (default) or PostgreSQL.

* :func:`roadmaster.server.app.create_app` — the FastAPI app;
* :func:`roadmaster.server.runner.serve_in_thread` / :func:`~roadmaster.server.runner.serve`;
* :func:`roadmaster.server.users.add_user` / :func:`~roadmaster.server.users.rotate_key`;
* ``roadmaster serve`` on the command line.

It shares only :mod:`roadmaster.sync.contract` with the sync client.
"""
