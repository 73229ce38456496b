"""The capture pipeline on real recordings and a real SQLite file: achievements are
evaluated after the commit that finished a job and announced once; the hours of
service clock follows the readings."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path

import pytest

from roadmaster.capture import Capture, HosStatus
from roadmaster.jobs.events import AchievementUnlocked, Event, JobDelivered
from roadmaster.jobs.hos import EU_RULES
from roadmaster.storage import Store
from roadmaster.storage.bulk import LoadItem, bulk_load
from roadmaster.storage.history import CAREER_KEY, finished_jobs
from roadmaster.telemetry.frame import Game
from roadmaster.telemetry.recording import ReplaySource
from tests.commands.conftest import scripted_session, write_snapshots


@pytest.fixture
def recording(tmp_path: Path) -> Path:
    return write_snapshots(tmp_path / "session.rec", scripted_session())


def run_capture(recording: Path, store: Store | None, seen: list[tuple[Event, bool]]) -> Capture:
    """Replay ``recording`` at full speed; ``seen`` gets every event announced, with
    whether the database already held the achievement when it was announced."""

    def on_events(events: Sequence[Event]) -> None:
        held = set(store.unlocked_achievements()) if store is not None else set()
        seen.extend((e, isinstance(e, AchievementUnlocked) and e.achievement_id in held)
                    for e in events)  # fmt: skip

    capture = Capture(ReplaySource(recording), store, speed=None, on_events=on_events)
    capture.run()
    return capture


def test_an_achievement_is_announced_once_after_its_job_is_committed(
    tmp_path: Path, recording: Path
) -> None:
    seen: list[tuple[Event, bool]] = []
    with Store.open(tmp_path / "data") as store:
        capture = run_capture(recording, store, seen)
        unlocked = [(e, held) for e, held in seen if isinstance(e, AchievementUnlocked)]
        ids = [e.achievement_id for e, _ in unlocked]
        assert "first_job" in ids and "no_damage" not in ids  # 2 % cargo damage
        assert all(held for _, held in unlocked)  # announced only once stored
        delivered = next(e for e, _ in seen if isinstance(e, JobDelivered))
        first = next(e for e, _ in unlocked if e.achievement_id == "first_job")
        assert (first.job_key, first.t_s) == (delivered.job_key, delivered.t_s)
        assert first.title == "First Job"
        assert capture.summary.achievements == len(unlocked)
        assert set(store.unlocked_achievements()) == set(ids)
        career = store.get_setting(CAREER_KEY)
        assert career["jobs_folded"] == 2  # the delivered and the cancelled job

    # The same telemetry again (the jobs are closed already): nothing new to announce.
    again: list[tuple[Event, bool]] = []
    with Store.open(tmp_path / "data") as store:
        run_capture(recording, store, again)
    assert not [e for e, _ in again if isinstance(e, AchievementUnlocked)]


def test_the_career_catches_up_incrementally_on_a_large_log(
    tmp_path: Path, recording: Path
) -> None:
    rows = [
        LoadItem({
            "job_key": f"old:{i}", "status": "delivered", "game": "ats", "cargo_id": "c",
            "cargo": "C", "source_city_id": "reno", "source_city": "Reno",
            "source_company_id": "s", "source_company": "S", "destination_city_id": "fresno",
            "destination_city": "Fresno", "destination_company_id": "d",
            "destination_company": "D", "income": 5000, "revenue": 5000, "distance_km": 300.0,
            "fuel_used_l": 110.0, "late": False, "started_at": store_time(i),
            "ended_at": store_time(i), "ended_game_min": 100 + i,
        })
        for i in range(3000)
    ]  # fmt: skip
    with Store.open(tmp_path / "data") as store:
        bulk_load(store, rows)
        seen: list[tuple[Event, bool]] = []
        capture = run_capture(recording, store, seen)
        assert capture.career is not None and capture.career.career is not None
        career = capture.career.career
        assert career.jobs_folded == 3002
        newest = max(job_id for job_id, _ in finished_jobs(store.engine))
        assert career.last_job_id == newest
        # The loaded history unlocks what it earned at the first catch-up (start of
        # the run), announced like any other unlock.
        ids = {e.achievement_id for e, _ in seen if isinstance(e, AchievementUnlocked)}
        assert {"first_job", "hundred_jobs"} <= ids
        assert store.get_setting(CAREER_KEY)["last_job_id"] == newest


def store_time(i: int) -> object:
    from datetime import UTC, datetime, timedelta

    return datetime(2025, 1, 1, tzinfo=UTC) + timedelta(hours=i)


def test_hours_of_service_follow_the_game_clock(recording: Path) -> None:
    capture = run_capture(recording, None, [])
    hos = capture.hos
    assert isinstance(hos, HosStatus)
    assert hos.game is Game.ETS2 and hos.clock.rules is EU_RULES
    remaining = hos.remaining
    # The script's delivery moves the game clock on by days (a daily rest); after it,
    # 17 s of driving at a third of a game minute per second.
    assert 4 <= remaining.driving_today_min <= 7
    assert remaining.current_stop_min == 0  # still at the wheel at the end
    assert remaining.until_break_min == EU_RULES.break_after_driving_min - (
        remaining.driving_since_break_min
    )
    with pytest.raises(dataclasses.FrozenInstanceError):
        hos.game = Game.ATS  # type: ignore[misc]
    assert capture.career is None  # no store, no career


def test_no_reading_no_hours_of_service(tmp_path: Path) -> None:
    empty = write_snapshots(tmp_path / "empty.rec", [])
    capture = Capture(ReplaySource(empty), None, speed=None)
    capture.run()
    assert capture.hos is None
