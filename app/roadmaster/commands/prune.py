"""``roadmaster prune``: make the local log smaller.

    roadmaster prune [--samples-older-than 90d] [--data-dir D]

Thins samples older than the given age to one a minute (per job), drops delivered
sync rows older than a week (the sync worker does that too, as it runs), and
compacts the file (VACUUM) when that freed much.  Jobs, their figures and events,
and anything still waiting to be synced are kept whole.  It takes the data folder's
lock, so it refuses to run beside the app or ``headless``.
"""

from __future__ import annotations

import argparse
import re
from datetime import UTC, datetime, timedelta
from typing import Any

from roadmaster import paths
from roadmaster.errors import UserError

_AGE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([hdw])\s*$")
_UNIT_S = {"h": 3600.0, "d": 86400.0, "w": 7 * 86400.0}


def parse_age(text: str) -> timedelta:
    """``90d``, ``12w``, ``36h`` → a timedelta (at least an hour)."""
    match = _AGE.match(text.lower())
    if match is None:
        raise UserError(
            f"--samples-older-than takes an age such as 90d, 12w or 36h (got {text!r})."
        )
    seconds = float(match.group(1)) * _UNIT_S[match.group(2)]
    if not 3600 <= seconds <= 100 * 365 * 86400:
        raise UserError(f"--samples-older-than must be between 1h and 100 years (got {text!r}).")
    return timedelta(seconds=seconds)


def register(sub: Any) -> None:
    p = sub.add_parser(
        "prune",
        help="thin old samples to one a minute and compact the local log",
        description="Thin samples older than an age to one a minute per job, drop "
        "delivered sync rows older than a week, and VACUUM when much was freed. "
        "Jobs and their figures stay whole.",
    )
    p.add_argument(
        "--samples-older-than",
        metavar="AGE",
        help="thin samples older than AGE (90d, 12w, 36h); without it samples are kept",
    )
    p.add_argument("--data-dir", help="data folder (default: the user data folder)")
    p.set_defaults(func=run)


def _mb(n: int) -> str:
    return f"{n / 1e6:,.1f} MB"


def run(args: argparse.Namespace) -> int:
    from roadmaster.storage.prune import prune
    from roadmaster.storage.store import Store

    age = parse_age(args.samples_older_than) if args.samples_older_than else None
    now = datetime.now(UTC)
    with Store.open(paths.data_dir(args.data_dir)) as store:
        report = prune(
            store.engine,
            store.data_file,
            samples_before=now - age if age is not None else None,
            now=now,
        )
    if age is not None:
        kept = report.samples_old - report.samples_deleted
        print(
            f"Samples older than {args.samples_older_than.strip()}: {report.samples_old:,}, "
            f"thinned to {kept:,} (one a minute per job; {report.samples_deleted:,} deleted)."
        )
    print(f"Delivered sync rows older than a week: {report.outbox_deleted:,} deleted.")
    compacted = "compacted" if report.vacuumed else "not compacted (little was freed)"
    print(
        f"Data file: {_mb(report.bytes_before)} before, {_mb(report.bytes_after)} after, "
        f"{compacted}."
    )
    return 0
