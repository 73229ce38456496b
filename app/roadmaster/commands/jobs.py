"""``roadmaster jobs``: the job log, as a table or as JSON."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from typing import Any

from roadmaster import paths
from roadmaster.exports.jobs import job_json
from roadmaster.jobs.events import JobStatus
from roadmaster.storage.joblog import fines_of
from roadmaster.storage.queries import SORT_COLUMNS, JobQuery, JobRow, job_page
from roadmaster.storage.readonly import reading
from roadmaster.telemetry.frame import Game
from roadmaster.units import format_game_time


def register(sub: Any) -> None:
    p = sub.add_parser(
        "jobs",
        help="list the job log",
        description="List recorded jobs, newest first, with filters.",
    )
    p.add_argument("--data-dir", help="data folder (default: the user data folder)")
    p.add_argument("--json", action="store_true", help="print a JSON list")
    add_filters(p)
    p.add_argument("--sort", default="id", help="column to sort by (default id)")
    p.add_argument("--asc", action="store_true", help="ascending (default: descending)")
    p.add_argument("--limit", type=int, default=50, help="at most this many jobs (0 = all)")
    p.set_defaults(func=run)


def add_filters(p: argparse.ArgumentParser) -> None:
    """The job log's filters (shared with ``export``)."""
    p.add_argument("--game", choices=[g.value for g in Game if g != Game.UNKNOWN])
    p.add_argument("--status", choices=[s.value for s in JobStatus])
    p.add_argument("--from", dest="date_from", help="started on or after (YYYY-MM-DD, UTC)")
    p.add_argument("--to", dest="date_to", help="started before (YYYY-MM-DD, UTC)")
    p.add_argument("--source-city")
    p.add_argument("--destination-city")
    p.add_argument("--company", help="source or destination company")
    p.add_argument("--cargo")


def query_of(args: argparse.Namespace) -> JobQuery:
    """The filter the options of :func:`add_filters` describe."""
    return JobQuery(
        started_from=_date(args.date_from, "--from"),
        started_to=_date(args.date_to, "--to"),
        game=Game(args.game) if args.game else None,
        status=JobStatus(args.status) if args.status else None,
        source_city=args.source_city,
        destination_city=args.destination_city,
        company=args.company,
        cargo=args.cargo,
    )


def _date(text: str | None, flag: str) -> datetime | None:
    if text is None:
        return None
    try:
        return datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        raise _usage(f"{flag} takes a date as YYYY-MM-DD, not {text!r}") from None


def _usage(message: str) -> Exception:
    from roadmaster.errors import UserError

    return UserError(message)


def run(args: argparse.Namespace) -> int:
    if args.sort not in SORT_COLUMNS:
        raise _usage(
            f"can't sort by {args.sort!r}; choose one of {', '.join(sorted(SORT_COLUMNS))}"
        )
    query = query_of(args)
    with reading(paths.data_dir(args.data_dir)) as engine:
        rows: list[JobRow] = []
        cursor = None
        while True:
            want = 500 if args.limit <= 0 else min(500, args.limit - len(rows))
            page = job_page(engine, query, args.sort, not args.asc, cursor, limit=want)
            rows.extend(page.rows)
            cursor = page.next_cursor
            if cursor is None or (args.limit > 0 and len(rows) >= args.limit):
                break
        fines = fines_of(engine, [r.id for r in rows])
    if args.json:
        json.dump([job_json(r, fines.get(r.id, [])) for r in rows], sys.stdout, indent=2)
        print()
    else:
        _print_table(rows)
    return 0


def _print_table(rows: list[JobRow]) -> None:
    if not rows:
        print("No jobs match.")
        return
    print(f"{'id':>6}  {'status':<12} {'game':<4}  {'finished':<16} {'route':<44} "
          f"{'cargo':<20} {'revenue':>9} {'profit':>9}")  # fmt: skip
    for r in rows:
        symbol = "$" if r.game == Game.ATS else "€"
        when = format_game_time(r.ended_game_min) if r.ended_game_min else "open"
        route = f"{r.source_city} → {r.destination_city}"
        profit = f"{symbol}{r.profit:,.0f}" if r.profit is not None else "—"
        revenue = f"{symbol}{r.revenue:,}"
        print(f"{r.id:>6}  {r.status.value:<12} {r.game.value:<4}  {when:<16} {route[:44]:<44} "
              f"{r.cargo[:20]:<20} {revenue:>9} {profit:>9}")  # fmt: skip
