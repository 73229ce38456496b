"""Company standings and the Bayesian star rating."""

import pytest

from roadmaster.jobs.economics import Expenses, delivered_economics
from roadmaster.jobs.events import JobDelivered, JobInfo, JobStats, JobStatus
from roadmaster.jobs.standings import (
    FinishedJob,
    bayesian_rating,
    company_standings,
    finished_from_delivered,
    job_quality,
)
from roadmaster.telemetry.frame import Game


def row(n, company="tradeaux", *, game=Game.ETS2, status=JobStatus.DELIVERED, late=False,
        damage=0.0, revenue=10_000, name=None, city="Berlin"):  # fmt: skip
    return FinishedJob(
        job_key=f"k{n}", game=game, status=status, source_city_id="praha", source_city="Praha",
        destination_city_id=city.lower(), destination_city=city,
        destination_company_id=company, destination_company=name or company.title(),
        delivered_late=late, cargo_damage=damage, income=revenue,
        revenue=revenue if status is JobStatus.DELIVERED else 0, net_profit=revenue * 0.8,
        dashboard_profit=revenue * 0.9, distance_km=500.0, fuel_used_l=150.0,
        damage_taken=0.01, finished_game_min=1000 * n,
    )  # fmt: skip


def test_job_quality():
    assert job_quality(True, 0.0) == pytest.approx(1.0)
    # late, 5 % damage: 0.6 × 0 + 0.4 × (1 − 0.05 / 0.10) = 0.2
    assert job_quality(False, 0.05) == pytest.approx(0.2)
    # on time, 10 % or more damage: 0.6 + 0 = 0.6
    assert job_quality(True, 0.25) == pytest.approx(0.6)
    assert job_quality(True, float("nan")) == pytest.approx(0.6)


def test_bayesian_rating_needs_a_record_for_five_stars():
    assert bayesian_rating([]) == 3.0  # the prior: 5 × 0.6
    # one perfect job: 5 × (1 + 3 × 0.6) / (1 + 3) = 5 × 2.8 / 4 = 3.5
    assert bayesian_rating([1.0]) == 3.5
    # ten perfect jobs: 5 × (10 + 1.8) / 13 = 4.538… → 4.5
    assert bayesian_rating([1.0] * 10) == 4.5
    # one bad job: 5 × (0.2 + 1.8) / 4 = 2.5
    assert bayesian_rating([0.2]) == 2.5


def test_company_standings_counts_and_sorting():
    jobs = [
        row(1, "tradeaux"),
        row(2, "tradeaux", late=True, damage=0.05),
        row(3, "tradeaux", name="Tradeaux Spedition", city="Dresden"),
        row(4, "posped"),
        row(5, "posped", status=JobStatus.CANCELLED),
        row(6, "stokes", status=JobStatus.NEEDS_REVIEW),
        row(7, "wallbert", game=Game.ATS),
    ]
    standings = company_standings(jobs, Game.ETS2)
    assert [s.company_id for s in standings] == ["posped", "tradeaux"]
    posped, tradeaux = standings
    # posped: one perfect delivery, one cancellation that does not move the rating
    assert (posped.jobs, posped.on_time, posped.late, posped.cancelled) == (1, 1, 0, 1)
    assert posped.rating == 3.5
    assert posped.total_revenue == 10_000
    # tradeaux: q = 1, 0.2, 1 → 5 × (2.2 + 1.8) / 6 = 3.333… → 3.3
    assert (tradeaux.jobs, tradeaux.on_time, tradeaux.late) == (3, 2, 1)
    assert tradeaux.rating == 3.3
    assert tradeaux.on_time_share == pytest.approx(2 / 3)
    assert tradeaux.avg_cargo_damage == pytest.approx(0.05 / 3)
    assert tradeaux.company == "Tradeaux Spedition"  # the latest name seen
    assert tradeaux.cities == ("Berlin", "Dresden")
    assert tradeaux.total_revenue == 30_000
    # both games together: the ATS company appears too
    assert {s.company_id for s in company_standings(jobs)} == {"posped", "tradeaux", "wallbert"}


def test_company_with_only_cancellations():
    (only,) = company_standings([row(1, "posped", status=JobStatus.CANCELLED)])
    assert only.jobs == 0 and only.cancelled == 1
    assert only.avg_cargo_damage is None and only.on_time_share is None
    assert only.rating == 3.0


def test_row_from_a_delivered_event():
    info = JobInfo(
        game=Game.ETS2, cargo_id="beer", cargo="Beer", cargo_mass_kg=18_000.0,
        source_city_id="praha", source_city="Praha", source_company_id="posped",
        source_company="Posped", destination_city_id="berlin", destination_city="Berlin",
        destination_company_id="tradeaux", destination_company="Tradeaux", income=9000,
        planned_distance_km=350, deadline_game_min=9000, job_market="freight",
        special_job=False, started_game_min=100,
    )  # fmt: skip
    event = JobDelivered(
        t_s=1.0, game_time_min=900, job_key="j1", info=info,
        stats=JobStats(distance_km=350.0, fuel_used_l=120.0), revenue=8800, xp=300,
        cargo_damage=0.01, distance_km=349.0, delivery_time_min=800, finished_game_min=900,
        autopark_used=False, autoload_used=False, late=False,
    )  # fmt: skip
    econ = delivered_economics(event, Expenses(tolls=20))
    job = finished_from_delivered(event, econ)
    assert job.on_time and job.delivered
    assert job.revenue == 8800 and job.income == 9000
    assert job.net_profit == pytest.approx(econ.net_profit)
    assert job.destination_company_id == "tradeaux"
    assert job.distance_km == 350.0
