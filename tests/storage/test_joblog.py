"""The job log browser's read side: search / city / late filters against SQL truth,
counts, streamed rows, the analytics aggregates and one job's trace."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from roadmaster.runtime.joblog import JobLogService, moving_average
from roadmaster.storage import Store
from roadmaster.storage.bulk import bulk_insert_jobs
from roadmaster.storage.joblog import _trace, count_jobs, iter_rows
from roadmaster.storage.queries import JobQuery, job_page
from roadmaster.telemetry.frame import Game

NOW = datetime(2026, 6, 30, 12, 0, tzinfo=UTC)
CITIES = ["Austin", "Boise", "Carson City", "El_Paso"]
CARGOS = ["Milk", "Steel 50%", "Lumber", "Diesel"]


def _job(i: int) -> dict[str, Any]:
    status = ("delivered", "delivered", "delivered", "cancelled", "needs-review")[i % 5]
    delivered = status == "delivered"
    distance = float(200 + (i % 9) * 50)
    profit = None
    if status != "needs-review":
        profit = float((i % 11) * 300 - 600) if delivered else float(-400 - i)
    return {
        "job_key": f"k{i}",
        "status": status,
        "game": "ats" if i % 2 else "ets2",
        "currency": "USD" if i % 2 else "EUR",
        "cargo_id": f"c{i % 4}",
        "cargo": CARGOS[i % 4],
        "source_city_id": "s",
        "source_city": CITIES[i % 4],
        "source_company_id": "x",
        "source_company": f"Co {i % 3}",
        "destination_city_id": "d",
        "destination_city": CITIES[(i + 1) % 4],
        "destination_company_id": f"dc{i % 5}",
        "destination_company": f"Dest {i % 5}",
        "income": 1000 + i,
        "revenue": 1000 + i if delivered else 0,
        "penalty": 0 if delivered else 300,
        "distance_km": distance,
        "fuel_used_l": distance * 0.3 + i % 7,
        "damage_taken": (i % 6) / 100,
        "cargo_damage": (i % 3) / 100,
        "late": (i % 7 == 0) if delivered else None,
        "fuel_cost": distance * 0.3,
        "damage_cost": 10.0 * (i % 6),
        "fines": 100 * (i % 2),
        "tolls": 20,
        "transport_cost": 50 * (i % 3 == 0),
        "profit": profit,
        "started_game_min": 1000 * i,
        "started_at": NOW - timedelta(days=200 - i, hours=6),
        "ended_at": NOW - timedelta(days=200 - i),
    }


N = 200


@pytest.fixture
def loaded(store: Store) -> Store:
    assert bulk_insert_jobs(store, (_job(i) for i in range(N))) == N
    return store


def _sql_ids(store: Store, where: str, params: tuple[Any, ...] = ()) -> list[int]:
    """SQL truth, written by hand with plain sqlite3."""
    conn = sqlite3.connect(store.data_file)
    try:
        sql = f"SELECT id FROM jobs WHERE {where} ORDER BY id"
        return [r[0] for r in conn.execute(sql, params)]
    finally:
        conn.close()


def _ids(store: Store, query: JobQuery) -> list[int]:
    out: list[int] = []
    for chunk in iter_rows(store, query, "id", False, chunk=17):
        out.extend(r.id for r in chunk)
    return out


LIKE = "(cargo LIKE ? OR source_city LIKE ? OR destination_city LIKE ? OR source_company LIKE ? OR destination_company LIKE ?)"  # noqa: E501


@pytest.mark.parametrize(
    ("query", "where", "params"),
    [
        (JobQuery(text="boise"), LIKE, ("%boise%",) * 5),
        (JobQuery(text="CO 2"), f"{LIKE} AND {LIKE}", ("%co%",) * 5 + ("%2%",) * 5),
        # A typed % or _ is a character, not a wildcard.
        (JobQuery(text="50%"), "cargo = 'Steel 50%'", ()),
        (JobQuery(text="l_p"), "source_city = 'El_Paso' OR destination_city = 'El_Paso'", ()),
        (JobQuery(city="Boise"), "source_city = 'Boise' OR destination_city = 'Boise'", ()),
        (JobQuery(late_only=True), "late = 1", ()),
        (
            JobQuery(late_only=True, game=Game.ETS2, text="milk"),
            "late = 1 AND game = 'ets2' AND cargo = 'Milk'",
            (),
        ),
        (JobQuery(status=None, text="nothing like this"), "0", ()),
    ],
)
def test_filters_match_sql_truth(
    loaded: Store, query: JobQuery, where: str, params: tuple[Any, ...]
) -> None:
    want = _sql_ids(loaded, where, params)
    assert _ids(loaded, query) == want
    assert count_jobs(loaded, query) == len(want)
    # paging with the same filter under another sort visits the same jobs once each
    seen: list[int] = []
    cursor = None
    while True:
        page = job_page(loaded, query, "profit", True, cursor, limit=9)
        seen.extend(r.id for r in page.rows)
        cursor = page.next_cursor
        if cursor is None:
            break
    assert sorted(seen) == want


def test_monthly_pnl_adds_up_to_the_stored_profits(loaded: Store) -> None:
    service = JobLogService(loaded.engine, clock=lambda: NOW)
    a = service.analytics("all", Game.ETS2)
    finished = [j for j in map(_job, range(N)) if j["game"] == "ets2"]
    assert a.jobs == len(finished)
    assert sum(m.jobs for m in a.months) == len(finished)
    assert a.profit == pytest.approx(sum(j["profit"] or 0.0 for j in finished))
    assert a.revenue == sum(j["revenue"] for j in finished)
    for m in a.months:
        month = [j for j in finished if j["ended_at"].strftime("%Y-%m") == m.month]
        assert m.fines == sum(j["fines"] for j in month)
        assert m.penalties == sum(j["penalty"] for j in month)
        assert m.fuel == pytest.approx(sum(j["fuel_cost"] for j in month))
        assert m.net == pytest.approx(sum(j["profit"] or 0.0 for j in month))
    assert [m.month for m in a.months] == sorted(m.month for m in a.months)


def test_periods_and_rankings(loaded: Store) -> None:
    service = JobLogService(loaded.engine, clock=lambda: NOW)
    last10 = service.analytics("last10", Game.ATS)
    assert last10.per_job and len(last10.series) == 10 and last10.jobs == 10
    d30 = service.analytics("30d", None)
    assert d30.jobs == sum(1 for i in range(N) if _job(i)["ended_at"] >= NOW - timedelta(days=30))
    a = service.analytics("all", None)
    # profit per km by cargo, with the job counts behind each figure
    by_cargo: dict[str, list[dict[str, Any]]] = {}
    for j in map(_job, range(N)):
        if j["status"] == "delivered":
            by_cargo.setdefault(j["cargo"], []).append(j)
    best = a.cargo_top[0]
    rows = by_cargo[best.key]
    assert best.jobs == len(rows)
    assert best.profit_per_km == pytest.approx(
        sum(j["profit"] for j in rows) / sum(j["distance_km"] for j in rows)
    )
    assert [r.profit_per_km for r in a.cargo_top] == sorted(
        (r.profit_per_km for r in a.cargo_top), reverse=True
    )
    assert a.cargo_bottom[0].profit_per_km == min(r.profit_per_km for r in a.cargo_top)
    # the standings' rating follows jobs.standings (3 stars with no evidence, more for
    # on-time, undamaged deliveries)
    assert all(0.0 <= s.rating <= 5.0 for s in a.standings)
    assert [s.rating for s in a.standings] == sorted((s.rating for s in a.standings), reverse=True)
    assert a.fuel_moving_average == moving_average(a.fuel_l_per_100km, 7)


def test_one_lucky_job_does_not_top_the_ranking(store: Store) -> None:
    jobs = [_job(i) | {"status": "delivered", "cargo": "Common"} for i in range(0, 40, 5)]
    jobs += [_job(1) | {"job_key": "lucky", "cargo": "Gold", "profit": 1e6}]
    jobs += [_job(2) | {"job_key": f"o{i}", "cargo": "Other"} for i in range(3)]
    bulk_insert_jobs(store, jobs)
    a = JobLogService(store.engine, clock=lambda: NOW).analytics("all", None)
    assert "Gold" not in [r.key for r in a.cargo_top]
    assert all(r.jobs >= 3 for r in a.cargo_top)


def test_trace_counts_only_time_driven() -> None:
    # a job resumed after a restart: the source clock starts again from 0
    rows = [(t, 20.0, 25.0, 1200.0, 300.0, 0.01, float(t), 0.0) for t in (100, 101, 102)]
    rows += [(t, 20.0, 25.0, 1200.0, 290.0, 0.02, 500.0 + t, 0.0) for t in (0, 1, 2)]
    trace = _trace(rows)
    finite = [t for t, x in zip(trace.t_s, trace.x_m, strict=True) if x == x]
    assert finite == [0.0, 1.0, 2.0, 2.0, 3.0, 4.0]
    # the trail is broken (NaN) where the recording was interrupted
    assert sum(1 for x in trace.x_m if x != x) == 1
