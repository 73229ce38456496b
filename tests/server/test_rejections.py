"""Refused requests: the right status and body, and nothing written."""

from __future__ import annotations

import uuid

import pytest

from tests.server.conftest import Running, job_start, sample

NOTHING = {"telemetry": 0, "jobs": 0, "idempotency_keys": 0}


def _refused(srv: Running, r_status: int, body: dict[str, object], status: int) -> None:
    assert r_status == status, body
    assert srv.written() == NOTHING


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"speed": "55"}, "speed"),  # string for a number
        ({"rpm": 3.5}, "rpm"),  # fraction for an integer
        ({"rpm": True}, "rpm"),  # boolean for a number
        ({"parking_brake": "true"}, "parking_brake"),  # string for a boolean
        ({"parking_brake": 1}, "parking_brake"),  # number for a boolean
        ({"job_id": None}, "job_id"),  # null for an optional field
        ({"air_pressure": None}, "air_pressure"),
        ({"speed": 150.5}, "speed"),  # out of range
        ({"gear": -7}, "gear"),
        ({"engine_damage": 1.2}, "engine_damage"),  # damage × 100, the old plugin's bug
        ({"fuel_capacity": 0}, "fuel_capacity"),
        ({"game_time": "2026-01-18T15:04:05+00:00"}, "game_time"),  # offset, not Z
        ({"recorded_at": "2026-01-18 15:04:05Z"}, "recorded_at"),
        ({"job_id": "not-a-uuid"}, "job_id"),
    ],
)
def test_invalid_sample(srv: Running, changes: dict[str, object], field: str) -> None:
    r = srv.post("/api/telemetry", sample(srv.key, **changes))
    assert r.json()["error"] == "Validation failed"
    assert field in r.json()["details"]
    _refused(srv, r.status_code, r.json(), 400)


def test_missing_required_field(srv: Running) -> None:
    body = sample(srv.key)
    del body["cargo_damage"]
    r = srv.post("/api/telemetry", body)
    assert r.json() == {"error": "Validation failed", "details": {"cargo_damage": "Field required"}}
    _refused(srv, r.status_code, r.json(), 400)


@pytest.mark.parametrize("raw", [b"{not json", b"[1, 2]", b'{"speed": NaN}', b"\xff\xfe"])
def test_malformed_json(srv: Running, raw: bytes) -> None:
    r = srv.post("/api/telemetry", content=raw, headers={"Content-Type": "application/json"})
    assert r.json()["error"] == "Validation failed"
    _refused(srv, r.status_code, r.json(), 400)


@pytest.mark.parametrize(
    "changes",
    [
        {"source_city": ""},
        {"cargo_type": "x" * 101},
        {"distance": 0},
        {"income": 1_000_001},
        {"destination_company": None},
        {"cargo_weight": 1.5},
        {"deadline": "2026-01-18"},
    ],
)
def test_invalid_job_start(srv: Running, changes: dict[str, object]) -> None:
    r = srv.post("/api/jobs/start", job_start(srv.key, **changes))
    assert r.json()["error"] == "Validation failed"
    _refused(srv, r.status_code, r.json(), 400)


def test_complete_needs_cargo_damage_and_a_real_boolean(srv: Running) -> None:
    job_id = srv.post("/api/jobs/start", job_start(srv.key)).json()["job"]["id"]
    for body in (
        {"api_key": srv.key, "job_id": job_id, "delivered_late": False},
        {"api_key": srv.key, "job_id": job_id, "cargo_damage": 0, "delivered_late": "false"},
        {"api_key": srv.key, "job_id": job_id, "cargo_damage": 0, "delivered_late": 0},
    ):
        r = srv.post("/api/jobs/complete", body)
        assert r.status_code == 400 and r.json()["error"] == "Validation failed"
    assert srv.count("jobs") == 1 and srv.count("company_stats") == 0


def test_oversize_body_is_413_before_parsing(srv: Running) -> None:
    body = b'{"api_key": "' + b"x" * 100_000 + b'"}'  # not even a valid key: never parsed
    r = srv.post("/api/telemetry", content=body, headers={"Content-Type": "application/json"})
    assert r.json() == {"error": "Payload too large"}
    _refused(srv, r.status_code, r.json(), 413)


def test_unknown_and_forged_and_missing_keys(srv: Running) -> None:
    forged = "rm_" + "0" * 64
    for body, error in (
        (sample(forged), "Invalid API key"),
        (sample("rm_" + "A" * 64), "Invalid API key"),  # upper case: not a key
        (sample(12345), "Invalid API key"),
        ({k: v for k, v in sample(srv.key).items() if k != "api_key"}, "Authentication required"),
        (sample(None), "Authentication required"),
    ):
        r = srv.post("/api/telemetry", body)
        assert r.json() == {"error": error}
        _refused(srv, r.status_code, r.json(), 401)
    r = srv.post("/api/jobs/start", job_start(forged))
    assert (r.status_code, r.json()) == (401, {"error": "Invalid API key"})
    assert srv.written() == NOTHING


def test_another_users_job_is_403_and_an_unknown_one_404(srv: Running) -> None:
    theirs = srv.post("/api/jobs/start", job_start(srv.other_key)).json()["job"]["id"]
    unknown = str(uuid.uuid4())
    end = {"api_key": srv.key, "cargo_damage": 0.0, "delivered_late": False}
    for job_id, status, error in ((theirs, 403, "Unauthorized"), (unknown, 404, "Job not found")):
        r = srv.post("/api/telemetry", sample(srv.key, job_id=job_id))
        assert (r.status_code, r.json()) == (status, {"error": error})
        r = srv.post("/api/jobs/complete", {**end, "job_id": job_id})
        assert (r.status_code, r.json()) == (status, {"error": error})
        r = srv.post("/api/jobs/cancel", {**end, "job_id": job_id})
        assert (r.status_code, r.json()) == (status, {"error": error})
        batch = {"api_key": srv.key, "samples": [sample(srv.key), sample(srv.key, job_id=job_id)]}
        r = srv.post("/api/telemetry/batch", batch)
        assert (r.status_code, r.json()) == (status, {"error": error})
    assert srv.written() == {"telemetry": 0, "jobs": 1, "idempotency_keys": 0}
    assert srv.count("company_stats") == 0


def test_a_batch_is_all_or_nothing(srv: Running) -> None:
    samples = [sample(srv.key) for _ in range(5)]
    samples[2]["speed"] = -1
    samples[4]["rpm"] = 2.5
    r = srv.post("/api/telemetry/batch", {"api_key": srv.key, "samples": samples})
    assert r.status_code == 400
    assert set(r.json()["details"]) == {"samples.2.speed", "samples.4.rpm"}
    too_many = {"api_key": srv.key, "samples": [sample(srv.key)] * 1001}
    r = srv.post("/api/telemetry/batch", too_many)
    assert r.status_code == 400 and "samples" in r.json()["details"]
    r = srv.post("/api/telemetry/batch", {"api_key": srv.key, "samples": []})
    assert r.status_code == 400
    assert srv.written() == NOTHING
