"""Builders of domain values for tests: job infos, stats, samples, job events.

Each takes keyword overrides, so a test names only what it is about.  The general ones
are shared with the benchmarks and live in :mod:`roadmaster.examples`.
"""

from __future__ import annotations

from typing import Any

from roadmaster.examples import make_delivered, make_info, make_sample, make_started, make_stats
from roadmaster.jobs.events import JobInfo
from roadmaster.telemetry.frame import Game

__all__ = ["job_info", "make_delivered", "make_info", "make_sample", "make_started", "make_stats"]


def job_info(**overrides: Any) -> JobInfo:
    """An ATS job Reno → Fresno, 805 km for 20,000 $ (the economics and payload tests
    check figures derived from these)."""
    base: dict[str, Any] = dict(
        game=Game.ATS, cargo_id="apples", cargo="Apples", cargo_mass_kg=20_000.0,
        source_city_id="reno", source_city="Reno", source_company_id="chemso",
        source_company="Chemso", destination_city_id="fresno", destination_city="Fresno",
        destination_company_id="voltison", destination_company="Voltison Motors",
        income=20_000, planned_distance_km=805, deadline_game_min=5000, job_market="cargo",
        special_job=False, started_game_min=1000,
    )  # fmt: skip
    base.update(overrides)
    return JobInfo(**base)
