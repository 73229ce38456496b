"""Happy paths of every endpoint, over real HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

import sqlalchemy as sa

from roadmaster.sync.contract import Health, JobStarted
from tests.server.conftest import Running, job_start, sample


def _rows(srv: Running, sql: str) -> list[sa.Row[tuple[object, ...]]]:
    engine = sa.create_engine(srv.url)
    try:
        with engine.connect() as conn:
            return list(conn.execute(sa.text(sql)))
    finally:
        engine.dispose()


def test_health_names_the_extensions(srv: Running) -> None:
    r = srv.client.get("/api/health")
    assert r.status_code == 200
    health = Health.model_validate(r.json())
    assert health.status == "ok"
    assert set(health.features) >= {"batch_telemetry", "idempotency", "client_timestamps", "cancel"}
    assert health.max_batch_samples == 1000


def test_a_sample_is_stored(srv: Running) -> None:
    r = srv.post("/api/telemetry", sample(srv.key, recorded_at="2026-01-18T15:04:05Z"))
    assert (r.status_code, r.json()) == (200, {"success": True})
    assert r.headers["X-RateLimit-Limit"] == "7200"
    assert r.headers["X-RateLimit-Remaining"] == "7199"
    (row,) = _rows(srv, "SELECT speed, rpm, gear, parking_brake, recorded_at FROM telemetry")
    assert (row.speed, row.rpm, row.gear, bool(row.parking_brake)) == (55.5, 1400, 8, False)
    assert str(row.recorded_at).startswith("2026-01-18 15:04:05")


def test_a_whole_number_written_as_float_is_an_integer(srv: Running) -> None:
    r = srv.post("/api/telemetry", sample(srv.key, rpm=1500.0))
    assert r.status_code == 200
    assert _rows(srv, "SELECT rpm FROM telemetry")[0].rpm == 1500


def test_a_batch_is_stored(srv: Running) -> None:
    samples = [sample(srv.key, speed=float(i)) for i in range(50)]
    for s in samples:
        del s["api_key"]
    r = srv.post("/api/telemetry/batch", {"api_key": srv.key, "samples": samples})
    assert (r.status_code, r.json()) == (200, {"success": True, "accepted": 50})
    assert srv.count("telemetry") == 50
    assert r.headers["X-RateLimit-Remaining"] == str(7200 - 50)


def test_a_job_starts_and_completes_with_the_dashboard_figures(srv: Running) -> None:
    r = srv.post("/api/jobs/start", job_start(srv.key, started_at="2026-01-18T10:00:00Z"))
    assert r.status_code == 200
    job = JobStarted.model_validate(r.json()).job
    assert job.status == "in_progress" and job.started_at == "2026-01-18T10:00:00Z"
    assert job.income == 5000 and job.distance == 500

    r = srv.post("/api/telemetry", sample(srv.key, job_id=job.id))
    assert r.status_code == 200
    complete = {
        "api_key": srv.key,
        "job_id": job.id,
        "cargo_damage": 0.0,
        "delivered_late": False,
        "fuel_consumed": 100.0,
        "damage_taken": 0.1,
        "avg_speed": 70.0,
        "avg_rpm": 1300,
        "completed_at": "2026-01-18T18:30:00Z",
    }
    r = srv.post("/api/jobs/complete", complete)
    assert (r.status_code, r.json()) == (200, {"success": True})
    (row,) = _rows(srv, "SELECT * FROM jobs")
    # By hand: fuel 100 gal × 4.05 = 405; damage 0.1 × 10,000 = 1,000 (linear);
    # profit 5,000 − 405 − 1,000 = 3,595; per mile 3,595 / 500 = 7.19; 500 mi / 100 gal
    # = 5 mpg; safety 100 − 20 (70 > 65 mph) − 2 (0.1 × 20) − 15 ((6 − 5) × 15) = 63.
    assert row.status == "completed"
    assert row.fuel_cost == 405.0
    assert row.damage_cost == 1000.0
    assert row.profit == 3595.0
    assert abs(row.profit_per_mile - 7.19) < 1e-9
    assert row.fuel_economy == 5.0
    assert row.safety_score == 63.0
    stats = _rows(srv, "SELECT company_name, jobs_completed, jobs_on_time FROM company_stats")
    assert [tuple(s) for s in stats] == [("Wallbert", 1, 1)]
    unlocked = {r[0] for r in _rows(srv, "SELECT achievement_key FROM user_achievements")}
    assert unlocked == {"first_job"}


def test_a_job_is_cancelled(srv: Running) -> None:
    job_id = srv.post("/api/jobs/start", job_start(srv.key)).json()["job"]["id"]
    body = {"api_key": srv.key, "job_id": job_id, "cargo_damage": 0.05, "penalty": 1200}
    r = srv.post("/api/jobs/cancel", {**body, "abandoned": False, "fuel_consumed": 10.0})
    assert (r.status_code, r.json()) == (200, {"success": True})
    (row,) = _rows(srv, "SELECT status, penalty, profit FROM jobs")
    assert (row.status, row.penalty, row.profit) == ("cancelled", 1200, -(1200 + 40.5))
    # A cancelled job cannot then be completed: 400, and it stays cancelled.
    r = srv.post(
        "/api/jobs/complete",
        {"api_key": srv.key, "job_id": job_id, "cargo_damage": 0, "delivered_late": False},
    )
    assert r.status_code == 400
    assert _rows(srv, "SELECT status FROM jobs")[0].status == "cancelled"
