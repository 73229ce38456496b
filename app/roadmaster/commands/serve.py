"""``roadmaster serve``: run the reference cloud API, and manage its users.

    roadmaster serve [--db URL] [--host 127.0.0.1] [--port 8787] [--workers N]
                     [--keep-idempotency-hours 48] [--keep-telemetry-days D]
    roadmaster serve user add NAME [--db URL]
    roadmaster serve user rotate-key NAME [--db URL]

The database defaults to ``server.db`` in the data folder (SQLite); PostgreSQL
works with ``--db postgresql+psycopg://user@host/dbname``, and only PostgreSQL
can be served by several worker processes (``--workers N``).
"""

from __future__ import annotations

import argparse
from typing import Any

from roadmaster import paths
from roadmaster.sync.contract import JOBS_PER_HOUR, TELEMETRY_PER_HOUR


def default_db_url() -> str:
    return f"sqlite:///{paths.data_dir() / 'server.db'}"


def register(sub: Any) -> None:
    p = sub.add_parser(
        "serve",
        help="run the reference cloud API server (self-hosted sync)",
        description="Serve the RoadMaster cloud API (the contract plus extensions) "
        "on SQLite or PostgreSQL.",
    )
    p.add_argument("--db", help="database URL (default: server.db in the data folder)")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on")
    p.add_argument("--port", type=int, default=8787, help="port to listen on")
    p.add_argument(
        "--telemetry-per-hour",
        type=int,
        default=TELEMETRY_PER_HOUR,
        help="per-user telemetry samples an hour",
    )
    p.add_argument(
        "--jobs-per-hour",
        type=int,
        default=JOBS_PER_HOUR,
        help="per-user job start/complete/cancel requests an hour",
    )
    p.add_argument(
        "--workers",
        type=int,
        default=1,
        metavar="N",
        help="server processes sharing the port (more than 1 needs PostgreSQL)",
    )
    p.add_argument(
        "--keep-idempotency-hours",
        type=_positive,
        default=48.0,  # roadmaster.server.retention.IDEMPOTENCY_HOURS (not imported here)
        metavar="H",
        help="hours to remember answers to idempotent requests (default: %(default)g)",
    )
    p.add_argument(
        "--keep-telemetry-days",
        type=_positive,
        default=None,
        metavar="D",
        help="delete telemetry older than D days (default: keep it all)",
    )
    p.set_defaults(func=run_server)
    users = p.add_subparsers(dest="serve_command", metavar="user")
    user = users.add_parser("user", help="add users and rotate their API keys")
    actions = user.add_subparsers(dest="user_command", metavar="ACTION", required=True)
    for name, helptext, func in (
        ("add", "add a user and print their new API key", run_add),
        ("rotate-key", "print a new API key for a user; the old one stops working", run_rotate),
    ):
        action = actions.add_parser(name, help=helptext, description=helptext)
        action.add_argument("name", metavar="NAME")
        # SUPPRESS: a --db given before "user" is kept when this one is absent.
        action.add_argument("--db", default=argparse.SUPPRESS, help="database URL")
        action.set_defaults(func=func)


def _db(args: argparse.Namespace) -> str:
    return args.db or default_db_url()


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 0 < value < 1e6:
        raise argparse.ArgumentTypeError(f"must be more than 0 (and sensible): {text!r}")
    return value


def run_server(args: argparse.Namespace) -> int:
    from roadmaster.server.app import create_app
    from roadmaster.server.limits import Limits
    from roadmaster.server.retention import Retention
    from roadmaster.server.runner import serve
    from roadmaster.server.workers import ServeConfig, check_workers, serve_workers

    db = _db(args)
    check_workers(db, args.workers)
    limits = Limits(telemetry_per_hour=args.telemetry_per_hour, jobs_per_hour=args.jobs_per_hour)
    retention = Retention(
        idempotency_hours=args.keep_idempotency_hours, telemetry_days=args.keep_telemetry_days
    )
    where = f"http://{args.host}:{args.port}"
    if args.workers > 1:
        line = f"RoadMaster reference server on {where}, {args.workers} workers (Ctrl+C stops)"
        config = ServeConfig(db, limits, retention)
        serve_workers(config, args.host, args.port, args.workers, lambda: print(line, flush=True))
        return 0
    app = create_app(db, limits=limits, retention=retention)
    print(f"RoadMaster reference server on {where} (Ctrl+C stops)")
    serve(app, args.host, args.port)
    return 0


def run_add(args: argparse.Namespace) -> int:
    from roadmaster.server.users import add_user

    print(add_user(_db(args), args.name))
    return 0


def run_rotate(args: argparse.Namespace) -> int:
    from roadmaster.server.users import rotate_key

    print(rotate_key(_db(args), args.name))
    return 0
