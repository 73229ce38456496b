"""``roadmaster demo-data`` and the bulk load under it."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from roadmaster import cli
from roadmaster.jobs.economics import EconomySettings
from roadmaster.storage import Store
from roadmaster.storage.bulk import LoadItem, bulk_load
from tests.commands.conftest import db_rows, roadmaster

INDEXES = "SELECT name, sql FROM sqlite_master WHERE type = 'index' ORDER BY name"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = tmp_path_factory.mktemp("demo")
    assert cli.main(["demo-data", "--jobs", "2000", "--seed", "9", "--data-dir", str(data)]) == 0
    return data


def test_a_realistic_history(demo: Path) -> None:
    statuses = dict(db_rows(demo, "SELECT status, count(*) FROM jobs GROUP BY status"))
    assert sum(statuses.values()) == 2000
    assert statuses["delivered"] > 1600 and statuses["cancelled"] > 50
    assert statuses["needs-review"] > 0
    games = dict(db_rows(demo, "SELECT game || ':' || currency, count(*) FROM jobs GROUP BY 1"))
    assert set(games) == {"ats:USD", "ets2:EUR"}
    (late,) = db_rows(demo, "SELECT count(*) FROM jobs WHERE late")[0]
    assert 40 < late < 300
    (lateness_ok,) = db_rows(
        demo,
        "SELECT count(*) FROM jobs WHERE status = 'delivered' "
        "AND late != (ended_game_min > deadline_game_min)",
    )[0]
    assert lateness_ok == 0
    # Income per km and fuel per km in plausible ranges, per game.
    for game, low, high in (("ats", 20, 80), ("ets2", 15, 70)):
        (per_km, l_per_km) = db_rows(
            demo,
            "SELECT avg(income * 1.0 / planned_distance_km), avg(fuel_used_l / distance_km) "
            "FROM jobs WHERE game = ? AND status = 'delivered'",
            (game,),
        )[0]
        assert low < per_km < high and 0.25 < l_per_km < 0.5
    # Wall times over the past two years, game minutes increasing per game.
    first, last = db_rows(demo, "SELECT min(started_at), max(ended_at) FROM jobs")[0]
    now = datetime.now(UTC).replace(tzinfo=None)
    assert datetime.fromisoformat(first) > now - timedelta(days=740)
    assert datetime.fromisoformat(last) < now
    for game in ("ats", "ets2"):
        starts = [r[0] for r in db_rows(
            demo, "SELECT started_game_min FROM jobs WHERE game = ? ORDER BY id", (game,)
        )]  # fmt: skip
        assert starts == sorted(starts)


def test_expenses_are_job_events_and_economics_follow_the_formulas(demo: Path) -> None:
    mismatched = db_rows(
        demo,
        "SELECT j.id FROM jobs j LEFT JOIN (SELECT job_id, "
        "sum(CASE WHEN kind = 'fine' THEN amount ELSE 0 END) f, "
        "sum(CASE WHEN kind = 'toll' THEN amount ELSE 0 END) t, "
        "sum(CASE WHEN kind = 'ferry' THEN amount ELSE 0 END) x "
        "FROM job_events GROUP BY job_id) e ON e.job_id = j.id "
        "WHERE j.fines != coalesce(e.f, 0) OR j.tolls != coalesce(e.t, 0) "
        "OR j.transport_cost != coalesce(e.x, 0)",
    )
    assert mismatched == []
    counts = dict(db_rows(demo, "SELECT kind, count(*) FROM job_events GROUP BY kind"))
    assert counts["fine"] > 100 and counts["toll"] > 100 and counts["ferry"] > 0
    price = EconomySettings().fuel_price_per_l
    rows = db_rows(
        demo,
        "SELECT revenue, penalty, fines, tolls, transport_cost, fuel_used_l, fuel_cost, "
        "damage_cost, profit, safety_score FROM jobs",
    )
    for rev, pen, fines, tolls, ferry, fuel_l, fuel_cost, damage_cost, profit, safety in rows:
        assert fuel_cost == pytest.approx(fuel_l * price)
        assert profit == pytest.approx(rev - fuel_cost - damage_cost - fines - tolls - ferry - pen)
        assert 0 <= safety <= 100 and 0 <= damage_cost <= 10_000
    assert db_rows(demo, "SELECT count(*) FROM outbox") == [(0,)]


def test_achievements_and_career_are_stored(demo: Path) -> None:
    unlocked = {r[0] for r in db_rows(demo, "SELECT id FROM achievements")}
    assert {"first_job", "hundred_jobs", "thousand_miles"} <= unlocked
    (career,) = db_rows(demo, "SELECT value FROM settings WHERE key = 'career'")[0]
    assert '"jobs_folded":2000' in career


def test_indexes_come_back_with_statistics(tmp_path: Path) -> None:
    data = tmp_path / "data"
    Store.open(data).close()
    before = db_rows(data, INDEXES)
    started = time.perf_counter()
    assert cli.main(["demo-data", "--jobs", "5000", "--data-dir", str(data)]) == 0
    elapsed = time.perf_counter() - started
    assert elapsed < 60  # sanity only: ~1 s per 10,000 jobs on a desktop
    assert db_rows(data, INDEXES) == before
    (stats,) = db_rows(data, "SELECT count(*) FROM sqlite_stat1 WHERE tbl = 'jobs'")[0]
    assert stats >= 20
    # Running again adds to the log (fresh keys).
    assert cli.main(["demo-data", "--jobs", "10", "--data-dir", str(data)]) == 0
    assert db_rows(data, "SELECT count(*), count(DISTINCT job_key) FROM jobs") == [(5010, 5010)]


def test_a_failed_load_leaves_the_file_as_it_was(tmp_path: Path) -> None:
    data = tmp_path / "data"
    good = {"job_key": "a", "status": "delivered", "game": "ats", "cargo_id": "c", "cargo": "C",
            "source_city_id": "reno", "source_city": "Reno", "source_company_id": "s",
            "source_company": "S", "destination_city_id": "elko", "destination_city": "Elko",
            "destination_company_id": "d", "destination_company": "D",
            "started_at": datetime(2025, 1, 1, tzinfo=UTC)}  # fmt: skip
    with Store.open(data) as store:
        before = db_rows(data, INDEXES)
        items = [LoadItem({**good, "job_key": f"k{i}"}) for i in range(20)]
        items.append(LoadItem({k: v for k, v in good.items() if k != "cargo"}))
        with pytest.raises(ValueError, match="cargo"):
            bulk_load(store, items)
        assert db_rows(data, "SELECT count(*) FROM jobs") == [(0,)]
        assert db_rows(data, INDEXES) == before
        result = bulk_load(store, items[:3])
        assert (result.jobs, result.first_id) == (3, 1)


@pytest.mark.parametrize("n", ["0", "100001", "-5"])
def test_out_of_range_counts_are_refused(
    tmp_path: Path, n: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["demo-data", "--jobs", n, "--data-dir", str(tmp_path)]) == 2
    assert "between 1 and 100,000" in capsys.readouterr().err
    assert not (tmp_path / "roadmaster.db").exists()


def test_the_command_line_prints_one_summary_line(tmp_path: Path) -> None:
    done = roadmaster("demo-data", "--jobs", "25", "--data-dir", str(tmp_path))
    assert done.returncode == 0, done.stderr
    (line,) = done.stdout.splitlines()
    assert line.startswith("Added 25 demo jobs")
