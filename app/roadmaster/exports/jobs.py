"""The job log as CSV or JSON, streamed.

JSON: a list of the objects ``roadmaster jobs --json`` prints (:func:`job_json`).
CSV: UTF-8 with a BOM (so spreadsheet programs read the accents right), ISO
dates, plain numbers (no thousands separators, no currency signs; units in the
column names), one row per job.
"""

from __future__ import annotations

import csv
import json
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final, Literal

from roadmaster.exports.files import ExportCancelled, atomic_output
from roadmaster.storage.joblog import count_jobs, fines_of, iter_rows
from roadmaster.storage.queries import JobQuery, JobRow, Source

Format = Literal["csv", "json"]
Progress = Callable[[int, int], None]  # (rows written, rows in all)

CHUNK: Final = 1000


def job_json(r: JobRow, fines: list[dict[str, Any]]) -> dict[str, Any]:
    """One job as the `jobs --json` contract names it (game units: kg, km, litres)."""
    return {
        "id": r.id,
        "status": r.status.value,
        "game": r.game.value,
        "currency": r.currency,
        "source_city": r.source_city,
        "source_company": r.source_company,
        "destination_city": r.destination_city,
        "destination_company": r.destination_company,
        "cargo": r.cargo,
        "cargo_mass_kg": r.cargo_mass_kg,
        "income": r.income,
        "revenue": r.revenue,
        "planned_distance_km": r.planned_distance_km,
        "driven_distance_km": r.distance_km,
        "fuel_used_l": r.fuel_used_l,
        "started_game_time": r.started_game_min,
        "finished_game_time": r.ended_game_min,
        "started_at": r.started_at.isoformat(),
        "finished_at": r.ended_at.isoformat() if r.ended_at else None,
        "delivered_late": r.late,
        "cargo_damage": r.cargo_damage,
        "damage_taken": r.damage_taken,
        "xp": r.xp,
        "penalty": r.penalty,
        "fines": fines,
        "tolls": r.tolls,
        "transport_cost": r.transport_cost,
        "fuel_cost": r.fuel_cost,
        "damage_cost": r.damage_cost,
        "profit": r.profit,
        "safety_score": r.safety_score,
    }


#: CSV header: the job log's columns, units in the names.
CSV_COLUMNS: Final = (
    "id",
    "status",
    "game",
    "currency",
    "started_at",
    "finished_at",
    "source_city",
    "source_company",
    "destination_city",
    "destination_company",
    "cargo",
    "cargo_mass_kg",
    "planned_distance_km",
    "driven_distance_km",
    "income",
    "revenue",
    "penalty",
    "xp",
    "fuel_used_l",
    "fuel_cost",
    "damage_cost",
    "fines",
    "tolls",
    "transport_cost",
    "profit",
    "profit_per_km",
    "fuel_l_per_100km",
    "damage_taken",
    "cargo_damage",
    "safety_score",
    "delivered_late",
)


def _num(value: float | int | None) -> str:
    if value is None:
        return ""
    return str(value)  # Python's shortest round-trip form: no separators, no exponent drift


def csv_row(r: JobRow) -> list[str]:
    """One job as CSV fields, in :data:`CSV_COLUMNS` order."""
    per_km = r.profit / r.distance_km if r.profit is not None and r.distance_km > 0 else None
    economy = 100.0 * r.fuel_used_l / r.distance_km if r.distance_km > 0 else None
    return [
        str(r.id),
        r.status.value,
        r.game.value,
        r.currency,
        r.started_at.isoformat(),
        r.ended_at.isoformat() if r.ended_at else "",
        r.source_city,
        r.source_company,
        r.destination_city,
        r.destination_company,
        r.cargo,
        _num(r.cargo_mass_kg),
        _num(r.planned_distance_km),
        _num(r.distance_km),
        _num(r.income),
        _num(r.revenue),
        _num(r.penalty),
        _num(r.xp),
        _num(r.fuel_used_l),
        _num(r.fuel_cost),
        _num(r.damage_cost),
        _num(r.fines),
        _num(r.tolls),
        _num(r.transport_cost),
        _num(r.profit),
        _num(None if per_km is None else round(per_km, 4)),
        _num(None if economy is None else round(economy, 3)),
        _num(r.damage_taken),
        _num(r.cargo_damage),
        _num(r.safety_score),
        "" if r.late is None else ("late" if r.late else "on time"),
    ]


def export_jobs(
    source: Source,
    out: Path,
    fmt: Format,
    query: JobQuery | None = None,
    *,
    sort: str = "id",
    descending: bool = True,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
) -> int:
    """Write the jobs matching ``query`` to ``out`` as CSV or JSON; the number of
    jobs written.  Raises ExportCancelled when ``cancel`` is set (nothing is left
    under ``out``) and UserError for a path that cannot be written."""
    if fmt not in ("csv", "json"):
        raise ValueError(f"unknown export format {fmt!r}")
    total = count_jobs(source, query)
    written = 0
    if progress is not None:
        progress(0, total)
    with atomic_output(Path(out), newline="" if fmt == "csv" else None) as fh:
        writer = None
        if fmt == "csv":
            fh.write("\ufeff")
            writer = csv.writer(fh, lineterminator="\r\n")
            writer.writerow(CSV_COLUMNS)
        else:
            fh.write("[")
        for chunk in iter_rows(source, query, sort, descending, CHUNK):
            if cancel is not None and cancel.is_set():
                raise ExportCancelled
            if writer is not None:
                writer.writerows(csv_row(r) for r in chunk)
            else:
                fines = fines_of(source, [r.id for r in chunk])
                parts = (
                    json.dumps(job_json(r, fines.get(r.id, [])), ensure_ascii=False) for r in chunk
                )
                fh.write(("\n" if written == 0 else ",\n") + ",\n".join(parts))
            written += len(chunk)
            if progress is not None:
                progress(written, max(total, written))
        if writer is None:
            fh.write("\n]\n")
    return written
