"""Job log keyset paging, filters and the analytics aggregates."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from roadmaster.jobs.events import JobStatus
from roadmaster.storage import Store
from roadmaster.storage.bulk import bulk_insert_jobs
from roadmaster.storage.queries import (
    Cursor,
    JobQuery,
    JobRow,
    aggregate,
    job_page,
    per_company,
    per_month,
    per_route,
)
from roadmaster.telemetry.frame import Game

T0 = datetime(2026, 1, 1, tzinfo=UTC)
CITIES = ["Austin", "Boise", "Carson"]


def _job(i: int) -> dict[str, Any]:
    status = ("delivered", "delivered", "cancelled", "open")[i % 4]
    delivered = status == "delivered"
    return {
        "job_key": f"k{i}",
        "status": status,
        "game": "ats" if i % 3 else "ets2",
        "cargo_id": f"c{i % 5}",
        "cargo": f"Cargo {i % 5}",
        "source_city_id": "s",
        "source_city": CITIES[i % 3],
        "source_company_id": "x",
        "source_company": f"Co {i % 4}",
        "destination_city_id": "d",
        "destination_city": CITIES[(i + 1) % 3],
        "destination_company_id": "y",
        "destination_company": f"Co {(i + 2) % 4}",
        "income": 1000 + (i % 7) * 100,  # many ties: paging must break them by id
        "revenue": 900 + i if delivered else 0,
        "distance_km": float(100 + i),
        "fuel_used_l": float(30 + i % 10),
        "damage_taken": (i % 5) / 100,
        "late": (i % 8 == 0) if delivered else None,
        "profit": float(i * 10) if delivered and i % 3 else None,  # NULLs to page across
        "started_game_min": 1000 * i,
        "started_at": T0 + timedelta(days=i * 3),
        "ended_at": None if status == "open" else T0 + timedelta(days=i * 3, hours=5),
    }


N = 137


@pytest.fixture
def loaded(store: Store) -> Store:
    assert bulk_insert_jobs(store, (_job(i) for i in range(N))) == N
    return store


def _walk(store: Store, query: JobQuery, sort: str, desc: bool, limit: int) -> list[JobRow]:
    rows: list[JobRow] = []
    cursor: Cursor | None = None
    for _ in range(1000):
        page = job_page(store, query, sort, desc, cursor, limit)
        assert len(page.rows) <= limit
        rows.extend(page.rows)
        cursor = page.next_cursor
        if cursor is None:
            return rows
        assert len(page.rows) == limit
    raise AssertionError("paging did not end")


def _expected(rows: list[dict[str, Any]], sort: str, desc: bool) -> list[str]:
    """Python's version of the order: NULLs first ascending, last descending."""
    ids = {r["job_key"]: i + 1 for i, r in enumerate(_job(i) for i in range(N))}

    def key(r: dict[str, Any]) -> tuple[Any, ...]:
        value = ids[r["job_key"]] if sort == "id" else r.get(sort)
        return (value is not None, value if value is not None else 0, ids[r["job_key"]])

    return [r["job_key"] for r in sorted(rows, key=key, reverse=desc)]


@pytest.mark.parametrize(
    ("sort", "desc"),
    [
        ("started_at", True),
        ("started_at", False),
        ("income", True),
        ("income", False),
        ("profit", False),
        ("profit", True),
        ("ended_at", True),
        ("ended_at", False),
        ("cargo", False),
        ("late", True),
        ("id", False),
    ],
)
@pytest.mark.parametrize("limit", [1, 7, 50])
def test_keyset_paging_visits_every_row_once_in_order(
    loaded: Store, sort: str, desc: bool, limit: int
) -> None:
    rows = _walk(loaded, JobQuery(), sort, desc, limit)
    keys = [r.job_key for r in rows]
    assert len(keys) == len(set(keys)) == N
    assert keys == _expected([_job(i) for i in range(N)], sort, desc)


def test_filters(loaded: Store) -> None:
    all_jobs = [_job(i) for i in range(N)]

    def keys(query: JobQuery) -> set[str]:
        return {r.job_key for r in _walk(loaded, query, "id", False, 50)}

    def want(pred: Any) -> set[str]:
        return {j["job_key"] for j in all_jobs if pred(j)}

    assert keys(JobQuery(game=Game.ETS2)) == want(lambda j: j["game"] == "ets2")
    assert keys(JobQuery(status=JobStatus.CANCELLED)) == want(lambda j: j["status"] == "cancelled")
    assert keys(JobQuery(source_city="Boise")) == want(lambda j: j["source_city"] == "Boise")
    assert keys(JobQuery(destination_city="Boise", cargo="Cargo 2")) == want(
        lambda j: j["destination_city"] == "Boise" and j["cargo"] == "Cargo 2"
    )
    assert keys(JobQuery(company="Co 1")) == want(
        lambda j: "Co 1" in (j["source_company"], j["destination_company"])
    )
    start, end = T0 + timedelta(days=30), T0 + timedelta(days=90)
    assert keys(JobQuery(started_from=start, started_to=end)) == want(
        lambda j: start <= j["started_at"] < end
    )
    assert keys(JobQuery(game_min_from=5000, game_min_to=9000)) == want(
        lambda j: 5000 <= j["started_game_min"] < 9000
    )
    assert keys(JobQuery(cargo="No such cargo")) == set()


def test_rows_are_typed(loaded: Store) -> None:
    row = job_page(loaded, JobQuery(), "id", False, limit=1).rows[0]
    assert row.status is JobStatus.DELIVERED and row.game is Game.ETS2
    assert row.started_at == T0 and row.late is True and row.currency == "EUR"


def test_unknown_sort_and_foreign_cursor_are_rejected(loaded: Store) -> None:
    with pytest.raises(ValueError, match="cannot sort"):
        job_page(loaded, JobQuery(), "income; DROP TABLE jobs")
    profits = [row.profit for row in job_page(loaded, JobQuery(), "profit", True, limit=5).rows]
    assert len(set(profits)) > 1 and profits == sorted(profits, reverse=True)
    cursor = job_page(loaded, JobQuery(), "income", True, limit=5).next_cursor
    with pytest.raises(ValueError, match="another sort"):
        job_page(loaded, JobQuery(), "revenue", True, cursor)


def test_route_aggregates_match_hand_computed_numbers(store: Store) -> None:
    base = {
        "game": "ats",
        "cargo_id": "c",
        "cargo": "Steel",
        "source_city_id": "a",
        "source_company_id": "x",
        "source_company": "X",
        "destination_city_id": "b",
        "destination_company_id": "y",
        "started_at": T0,
    }
    jobs = [
        # Austin -> Boise: two delivered (one late), one cancelled
        {
            "job_key": "1",
            "source_city": "Austin",
            "destination_city": "Boise",
            "destination_company": "Acme",
            "status": "delivered",
            "late": False,
            "income": 1000,
            "revenue": 1100,
            "distance_km": 100.0,
            "fuel_used_l": 30.0,
            "damage_taken": 0.02,
            "profit": 500.0,
            "ended_at": datetime(2026, 1, 5, tzinfo=UTC),
        },
        {
            "job_key": "2",
            "source_city": "Austin",
            "destination_city": "Boise",
            "destination_company": "Acme",
            "status": "delivered",
            "late": True,
            "income": 2000,
            "revenue": 1500,
            "distance_km": 200.0,
            "fuel_used_l": 70.0,
            "damage_taken": 0.04,
            "profit": None,
            "ended_at": datetime(2026, 2, 5, tzinfo=UTC),
        },
        {
            "job_key": "3",
            "source_city": "Austin",
            "destination_city": "Boise",
            "destination_company": "Bolt",
            "status": "cancelled",
            "income": 9000,
            "distance_km": 50.0,
            "fuel_used_l": 15.0,
            "damage_taken": 0.5,
            "ended_at": datetime(2026, 2, 6, tzinfo=UTC),
        },
        # Boise -> Austin: one delivered on time
        {
            "job_key": "4",
            "source_city": "Boise",
            "destination_city": "Austin",
            "destination_company": "Bolt",
            "status": "delivered",
            "late": False,
            "income": 700,
            "revenue": 700,
            "distance_km": 80.0,
            "fuel_used_l": 20.0,
            "damage_taken": 0.0,
            "profit": 300.0,
            "ended_at": datetime(2026, 2, 7, tzinfo=UTC),
        },
    ]
    store.bulk_insert_jobs({**base, **j} for j in jobs)

    routes = {a.key: a for a in per_route(store)}
    ab = routes[("Austin", "Boise")]
    assert (ab.jobs, ab.delivered, ab.on_time) == (3, 2, 1)
    assert (ab.income, ab.revenue) == (3000, 2600)  # the cancelled job's income is not earned
    assert ab.distance_km == 350.0 and ab.fuel_used_l == 115.0  # every job was driven
    assert ab.avg_damage == pytest.approx(0.03) and ab.profit == 500.0
    ba = routes[("Boise", "Austin")]
    assert (ba.jobs, ba.delivered, ba.on_time, ba.profit) == (1, 1, 1, 300.0)
    assert per_route(store)[0].key == ("Austin", "Boise")  # most jobs first

    companies = {a.key[0]: (a.jobs, a.delivered, a.on_time) for a in per_company(store)}
    assert companies == {"Acme": (2, 2, 1), "Bolt": (2, 1, 1)}
    months = [(a.key[0], a.jobs, a.revenue) for a in per_month(store)]
    assert months == [("2026-01", 1, 1100), ("2026-02", 3, 2200)]
    (steel,) = aggregate(store, "cargo", JobQuery(status=JobStatus.DELIVERED))
    assert (steel.key, steel.jobs, steel.income) == (("Steel",), 3, 3700)
    with pytest.raises(ValueError):
        aggregate(store, "planet")  # type: ignore[arg-type]
