"""Finished jobs read back for the statistics, and the stored career kept up to date
incrementally (real SQLite file)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from roadmaster.jobs.achievements import evaluate
from roadmaster.jobs.economics import delivered_economics
from roadmaster.jobs.events import JobDelivered, JobStarted, JobStatus, Wear
from roadmaster.jobs.standings import finished_from_delivered
from roadmaster.storage import Store
from roadmaster.storage.bulk import LoadItem, bulk_load
from roadmaster.storage.history import CAREER_KEY, CareerKeeper, finished_jobs
from tests.factories import make_info, make_stats


def delivered(key: str, n: int = 1) -> JobDelivered:
    info = make_info(n)
    stats = make_stats(distance_km=420.0, damage=0.02)
    return JobDelivered(
        t_s=100.0, game_time_min=2000, job_key=key, info=info, stats=stats, revenue=info.income,
        xp=300, cargo_damage=0.0, distance_km=421.0, delivery_time_min=500,
        finished_game_min=2000, autopark_used=False, autoload_used=True, late=False,
    )  # fmt: skip


def old_job(i: int) -> LoadItem:
    when = datetime(2024, 1, 1, tzinfo=UTC) + timedelta(days=i)
    return LoadItem({
        "job_key": f"old:{i}", "status": "delivered", "game": "ats", "cargo_id": "c",
        "cargo": "C", "source_city_id": "reno", "source_city": "Reno", "source_company_id": "s",
        "source_company": "S", "destination_city_id": "elko", "destination_city": "Elko",
        "destination_company_id": "d", "destination_company": "D", "income": 3000,
        "revenue": 3000, "distance_km": 250.0, "fuel_used_l": 90.0, "late": False,
        "started_at": when, "ended_at": when + timedelta(hours=2), "ended_game_min": 10 * i,
    })  # fmt: skip


def test_a_stored_job_reads_back_as_its_event_describes_it(store: Store) -> None:
    event = delivered("k1")
    econ = delivered_economics(event)
    store.apply(
        [JobStarted(t_s=0.0, game_time_min=1000, job_key="k1", info=event.info, resumed=False),
         event],
        economics={"k1": {"fuel_cost": econ.fuel_cost, "damage_cost": econ.damage_cost,
                          "profit": econ.net_profit, "safety_score": econ.safety_score}},
    )  # fmt: skip
    ((_job_id, job),) = finished_jobs(store.engine)
    assert job == finished_from_delivered(event, econ)


def test_a_job_left_open_below_newer_rows_is_folded_when_it_ends(store: Store) -> None:
    event = delivered("live")
    store.apply(
        [JobStarted(t_s=0.0, game_time_min=1000, job_key="live", info=event.info, resumed=False)]
    )
    bulk_load(store, [old_job(i) for i in range(120)])  # ids above the open job's
    keeper = CareerKeeper(store)
    unlocked = keeper.catch_up()
    assert {u.achievement.id for u in unlocked} >= {"first_job", "hundred_jobs"}
    assert keeper.career is not None and keeper.career.open_ids == frozenset({1})
    store.apply([event])
    assert keeper.catch_up() == []  # nothing new to unlock, but the job is folded
    career = store.get_setting(CAREER_KEY)
    assert (career["jobs_folded"], career["open_ids"]) == (121, [])
    # A fresh keeper (a restart) continues from the stored state: nothing to fold.
    assert CareerKeeper(store).catch_up() == []
    # And the stored unlocks are what the full replay says.
    history = [job for _, job in finished_jobs(store.engine)]
    assert set(store.unlocked_achievements()) == {
        u.achievement.id for u in evaluate(history, set())
    }


def test_rows_without_economics_get_them_computed(store: Store) -> None:
    item = old_job(0)
    wear = {f"wear_end_{p}": 0.1 for p in ("engine", "transmission", "cabin", "chassis", "wheels")}
    bulk_load(store, [LoadItem({**item.job, **wear, "fines": 200})])
    ((_, job),) = finished_jobs(store.engine)
    assert job.status is JobStatus.DELIVERED and job.damage_taken == 0.1
    # 3,000 paid − fuel − 10 % of a 10,000 repair − the fine
    assert job.net_profit < 3000 - 1000 - 200
    assert job.dashboard_profit > job.net_profit
    assert Wear().total == 0.0
