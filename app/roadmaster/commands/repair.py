"""``roadmaster repair``: recover a damaged data file (see :mod:`roadmaster.storage.repair`)."""

from __future__ import annotations

import argparse
from typing import Any

from roadmaster import paths
from roadmaster.storage.repair import RepairResult, TableSalvage, repair

# The tables a player cares about, by the words they know them by.
_WORDS = {
    "jobs": "jobs",
    "job_events": "job events (fines, tolls, ferries, fuel stops)",
    "samples": "telemetry samples",
    "outbox": "uploads waiting for the cloud",
    "achievements": "achievements",
    "session_log": "session log entries",
    "settings": "settings",
}


def register(sub: Any) -> None:
    p = sub.add_parser(
        "repair",
        help="recover a damaged data file",
        description="Copy a damaged data file aside (untouched), recover every row that "
        "can still be read into a new data file, and say what was kept and what was "
        "lost. Run it while RoadMaster is not running.",
    )
    p.add_argument("--data-dir", help="data folder (default: the user data folder)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    data_dir = paths.data_dir(args.data_dir)
    result = repair(data_dir)
    for line in report(result):
        print(line)
    return 0


def report(result: RepairResult) -> list[str]:
    """What the repair did, in the player's words."""
    if not result.was_damaged:
        return [f"{result.damaged_copy} passed SQLite's check: nothing to repair."]
    lines = [
        f"The damaged file is kept, unchanged, as {result.damaged_copy}.",
        "A new data file holds what could be read:",
    ]
    order = list(_WORDS)
    for table in sorted(result.tables, key=lambda t: [*order, t.name].index(t.name)):
        if table.name not in _WORDS and not _loss(table):
            continue
        lines.append(f"  {_WORDS.get(table.name, table.name)}: {_summary(table)}")
    for sql in result.not_rebuilt:
        lines.append(f"  could not rebuild: {sql}")
    lost = [t for t in result.tables if _loss(t)]
    lines.append(
        "Nothing was lost."
        if not lost
        else "Rows on damaged pages could not be read; the copy keeps them for a specialist tool."
    )
    return lines


def _loss(table: TableSalvage) -> bool:
    return bool(table.lost or table.refused or table.orphans or table.unreadable)


def _summary(table: TableSalvage) -> str:
    if table.unreadable and table.kept == 0:
        return "unreadable, none recovered"
    parts = [f"{table.kept:,} kept"]
    if table.lost:
        ids = ", ".join(_range(a, b) for a, b in table.lost[:3])
        more = f" and {len(table.lost) - 3} more stretches" if len(table.lost) > 3 else ""
        parts.append(f"unreadable ids {ids}{more}")
    if table.refused:
        parts.append(f"{table.refused:,} garbled rows left out")
    if table.orphans:
        parts.append(f"{table.orphans:,} left out because their job was lost")
    return "; ".join(parts)


def _range(first: int, last: int) -> str:
    if last >= (1 << 62):
        return f"{first} onwards"
    return str(first) if first == last else f"{first}–{last}"
