"""``roadmaster prune``: old samples thinned to one a minute, delivered sync rows
dropped after a week, the file compacted; jobs and anything unsent kept whole."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from roadmaster import cli
from tests.commands.conftest import db_rows


def _stored(moment: datetime) -> str:
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


def _age_the_log(data: Path, now: datetime) -> tuple[int, int]:
    """Spread the samples over time as a real drive would (one a second on the
    source's clock), the first two thirds 100 days ago and the rest within the hour;
    mark sync rows: most delivered 8 days ago, some delivered yesterday, the last 5
    still waiting.  Returns (old samples, recent samples)."""
    conn = sqlite3.connect(data / "roadmaster.db")
    try:
        rows = conn.execute("SELECT id, t_s FROM samples ORDER BY id").fetchall()
        split = len(rows) * 2 // 3
        t0 = rows[0][1]
        old, recent = now - timedelta(days=100), now - timedelta(minutes=50)
        for i, (sample_id, t_s) in enumerate(rows):
            at = (old if i < split else recent) + timedelta(seconds=t_s - t0)
            update = "UPDATE samples SET recorded_at = ? WHERE id = ?"
            conn.execute(update, (_stored(at), sample_id))
        ids = [r[0] for r in conn.execute("SELECT id FROM outbox ORDER BY id")]
        for i, outbox_id in enumerate(ids[:-5]):
            days = 8 if i % 10 else 1
            conn.execute(
                "UPDATE outbox SET state = 'done', created_at = ? WHERE id = ?",
                (_stored(now - timedelta(days=days)), outbox_id),
            )
        conn.commit()
    finally:
        conn.close()
    return split, len(rows) - split


def test_prune_thins_old_samples_and_keeps_jobs_whole(
    tmp_path: Path, ets2_recording: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    assert cli.main(["headless", "--source", f"replay:{ets2_recording}", "--data-dir",
                     str(data), "--no-sync"]) == 0  # fmt: skip
    now = datetime.now(UTC)
    n_old, n_recent = _age_the_log(data, now)
    assert n_old > 600
    jobs_before = db_rows(data, "SELECT * FROM jobs ORDER BY id")
    events_before = db_rows(data, "SELECT * FROM job_events ORDER BY id")
    outbox_before = db_rows(data, "SELECT id, state, created_at FROM outbox ORDER BY id")
    samples_before = db_rows(data, "SELECT * FROM samples ORDER BY id")
    capsys.readouterr()
    assert cli.main(["jobs", "--json", "--data-dir", str(data)]) == 0
    listed_before = capsys.readouterr().out
    size_before = (data / "roadmaster.db").stat().st_size

    assert cli.main(["prune", "--samples-older-than", "90d", "--data-dir", str(data)]) == 0
    out = capsys.readouterr().out
    assert f"Samples older than 90d: {n_old:,}" in out
    assert "compacted." in out

    # Jobs, their events and what `roadmaster jobs` shows are untouched.
    assert db_rows(data, "SELECT * FROM jobs ORDER BY id") == jobs_before
    assert db_rows(data, "SELECT * FROM job_events ORDER BY id") == events_before
    assert cli.main(["jobs", "--json", "--data-dir", str(data)]) == 0
    assert capsys.readouterr().out == listed_before

    # Old samples: exactly the first of each minute of each job is left, whole.
    cutoff = _stored(now - timedelta(days=90))
    first_of_minute: dict[tuple[object, str], tuple[object, ...]] = {}
    for row in samples_before:
        if row[4] < cutoff:  # recorded_at
            first_of_minute.setdefault((row[1], row[4][:16]), row)
    after = db_rows(data, "SELECT * FROM samples ORDER BY id")
    old_after = [r for r in after if r[4] < cutoff]
    assert old_after == sorted(first_of_minute.values(), key=lambda r: r[0])
    assert len(old_after) <= n_old // 50
    # Recent samples are all kept.
    assert [r for r in after if r[4] >= cutoff] == [r for r in samples_before if r[4] >= cutoff]
    assert len(after) - len(old_after) == n_recent

    # Sync rows: delivered over a week ago gone; yesterday's and waiting ones kept.
    week_ago = _stored(now - timedelta(days=7))
    kept = [r for r in outbox_before if not (r[1] == "done" and r[2] < week_ago)]
    assert db_rows(data, "SELECT id, state, created_at FROM outbox ORDER BY id") == kept
    assert sum(1 for r in kept if r[1] == "ready") == 5
    # Much was freed, so the file was compacted.
    assert (data / "roadmaster.db").stat().st_size < size_before / 2

    # Again: nothing more to thin, and the same samples stay.
    assert cli.main(["prune", "--samples-older-than", "90d", "--data-dir", str(data)]) == 0
    assert "0 deleted)" in capsys.readouterr().out
    assert db_rows(data, "SELECT * FROM samples ORDER BY id") == after


def test_prune_without_an_age_keeps_samples(
    tmp_path: Path, scripted_recording: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    assert cli.main(["headless", "--source", f"replay:{scripted_recording}", "--data-dir",
                     str(data), "--no-sync"]) == 0  # fmt: skip
    before = db_rows(data, "SELECT count(*) FROM samples")
    assert cli.main(["prune", "--data-dir", str(data)]) == 0
    out = capsys.readouterr().out
    assert "Samples older" not in out and "Delivered sync rows" in out
    assert db_rows(data, "SELECT count(*) FROM samples") == before


@pytest.mark.parametrize("age", ["90", "90x", "-3d", "0d", "1e9w"])
def test_prune_refuses_a_bad_age_with_one_line(
    tmp_path: Path, age: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code = cli.main(["prune", f"--samples-older-than={age}", "--data-dir", str(tmp_path / "d")])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and "--samples-older-than" in err
    assert not (tmp_path / "d").exists()  # nothing was created
