"""``roadmaster status``: what the local log holds and what is waiting for the cloud."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
from typing import Any

import sqlalchemy as sa

from roadmaster import paths
from roadmaster.storage import outbox
from roadmaster.storage.engine import DB_FILE_NAME
from roadmaster.storage.migrate import check_integrity
from roadmaster.storage.queries import status_counts
from roadmaster.storage.readonly import reading
from roadmaster.storage.tables import samples, session_log, settings


def register(sub: Any) -> None:
    p = sub.add_parser(
        "status",
        help="show what the local log holds and the sync queue",
        description="Counts of jobs and samples, the data file, the sync queue and "
        "the last game state recorded.",
    )
    p.add_argument("--data-dir", help="data folder (default: the user data folder)")
    p.add_argument("--json", action="store_true", help="print a JSON object")
    p.set_defaults(func=run)


def collect(engine: sa.Engine, data_file: str) -> dict[str, Any]:
    with engine.connect() as conn:
        n_samples = conn.execute(sa.select(sa.func.count()).select_from(samples)).scalar_one()
        last = conn.execute(
            sa.select(session_log.c.kind, session_log.c.recorded_at)
            .order_by(session_log.c.id.desc())
            .limit(1)
        ).first()
        jobs = status_counts(conn)
        pending, dead = outbox.counts(conn)
        dead_rows = outbox.dead_rows(conn, limit=10)
        sync = conn.execute(
            sa.select(settings.c.value).where(settings.c.key == "sync_status")
        ).scalar_one_or_none()
    size = 0
    for suffix in ("", "-wal"):  # the WAL holds recent commits until a checkpoint
        with contextlib.suppress(OSError):
            size += os.path.getsize(data_file + suffix)
    return {
        "data_file": data_file,
        "data_file_bytes": size,
        "jobs": jobs,
        "samples": int(n_samples),
        "outbox_pending": pending,
        "outbox_dead": dead,
        "last_sync_error": sync.get("last_error") if isinstance(sync, dict) else None,
        "sync": sync if isinstance(sync, dict) else None,
        "dead_rows": [
            {
                "id": r.id,
                "kind": r.kind,
                "job_id": r.job_id,
                "created_at": r.created_at.isoformat(),
                "reason": r.reason,
            }
            for r in dead_rows
        ],
        "last_event": (
            {"kind": last.kind, "at": last.recorded_at.isoformat()} if last is not None else None
        ),
    }


def run(args: argparse.Namespace) -> int:
    data_dir = paths.data_dir(args.data_dir)
    with reading(data_dir) as engine:
        # The one report that checks the whole file: it is where a user looks to see
        # whether everything is all right (~0.25 s of CPU for 100,000 jobs).
        with engine.connect() as conn:
            check_integrity(conn, data_dir / DB_FILE_NAME)
        info = collect(engine, str(data_dir / DB_FILE_NAME))
    if args.json:
        print(json.dumps(info, indent=2))
        return 0
    jobs = info["jobs"]
    print(f"Data file   {info['data_file']} ({info['data_file_bytes'] / 1e6:.1f} MB)")
    print("Jobs        " + (", ".join(f"{n} {s}" for s, n in sorted(jobs.items())) or "none"))
    print(f"Samples     {info['samples']:,}")
    print(f"Sync queue  {info['outbox_pending']:,} waiting, {info['outbox_dead']:,} refused")
    sync = info["sync"] or {}
    if sync.get("error"):
        print(f"Sync        {sync.get('state')}: {sync['error']}")
    elif info["last_sync_error"]:
        print(f"Last sync error  {info['last_sync_error']} (at {sync.get('last_error_at')})")
    for row in info["dead_rows"]:
        print(f"  refused #{row['id']} {row['kind']} ({row['created_at']}): {row['reason']}")
    if info["outbox_dead"]:
        extra = info["outbox_dead"] - len(info["dead_rows"])
        more = f" ({extra:,} more not shown)" if extra > 0 else ""
        print(f"  retry after a fix: roadmaster sync --retry-dead{more}")
    if info["last_event"]:
        print(f"Last event  {info['last_event']['kind']} at {info['last_event']['at']}")
    return 0
