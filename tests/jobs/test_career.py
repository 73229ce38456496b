"""The incremental career against the definition: ``achievements.evaluate`` over the
whole history must unlock the same achievements at the same jobs."""

from __future__ import annotations

import json
import random

import pytest

from roadmaster.jobs.achievements import Unlocked, evaluate, progress
from roadmaster.jobs.career import CAREER_FORMAT, Career, rebuild
from roadmaster.jobs.events import JobStatus
from roadmaster.jobs.standings import FinishedJob
from roadmaster.telemetry.frame import Game

CITIES = {
    Game.ATS: ["sacramento", "reno", "phoenix", "denver", "dallas", "boise", "seattle"],
    Game.ETS2: ["berlin", "praha", "paris", "wien", "madrid", "oslo", "atlantis"],
}


def history(n: int, seed: int = 3) -> list[tuple[int, FinishedJob]]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        game = rng.choice((Game.ATS, Game.ETS2))
        status = rng.choices(
            (JobStatus.DELIVERED, JobStatus.CANCELLED, JobStatus.NEEDS_REVIEW), (85, 10, 5)
        )[0]
        income = rng.randrange(2_000, 40_000)
        distance = rng.uniform(50, 1500)
        out.append(
            (
                i + 1,
                FinishedJob(
                    job_key=f"k{i}",
                    game=game,
                    status=status,
                    source_city_id=rng.choice(CITIES[game]),
                    source_city="S",
                    destination_city_id=rng.choice(CITIES[game]),
                    destination_city="D",
                    destination_company_id="c",
                    destination_company="C",
                    delivered_late=rng.random() < 0.1,
                    cargo_damage=0.0 if rng.random() < 0.7 else rng.uniform(0, 0.1),
                    income=income,
                    revenue=income if status is JobStatus.DELIVERED else 0,
                    net_profit=rng.uniform(-3000, 30_000),
                    dashboard_profit=rng.uniform(-3000, 30_000),
                    distance_km=distance,
                    fuel_used_l=distance * rng.uniform(0.05, 0.5),
                    damage_taken=rng.uniform(0, 0.05),
                    finished_game_min=1000 + i * 600,
                ),
            )
        )
    return out


def summary(unlocked: list[Unlocked]) -> list[tuple[str, str, int]]:
    return [(u.achievement.id, u.job.job_key, u.index) for u in unlocked]


@pytest.mark.parametrize("chunk", [1, 7, 500])
def test_folding_in_chunks_unlocks_what_evaluate_unlocks(chunk: int) -> None:
    jobs = history(400)
    expected = summary(evaluate([job for _, job in jobs], set()))
    assert len(expected) >= 8  # the history is rich enough to test something
    career, got, already = Career(), [], set()
    for start in range(0, len(jobs), chunk):
        career, unlocked = career.advance(jobs[start : start + chunk], already)
        already |= {u.achievement.id for u in unlocked}
        got += unlocked
    assert summary(got) == expected
    assert (career.last_job_id, career.jobs_folded) == (400, 400)


def test_a_stored_career_continues_exactly_where_it_stopped() -> None:
    jobs = history(300, seed=11)
    whole, unlocked = rebuild(jobs, set())
    first, early = Career().advance(jobs[:120], set())
    stored = json.loads(json.dumps(first.to_json()))  # through the settings table's JSON
    restored = Career.from_json(stored)
    assert restored is not None
    done, late = restored.advance(jobs[120:], {u.achievement.id for u in early})
    assert summary(early + late) == summary(unlocked)
    assert done.to_json() == whole.to_json()


def test_already_unlocked_achievements_are_not_reported_again() -> None:
    jobs = history(50)
    _, first = rebuild(jobs, set())
    _, again = rebuild(jobs, {u.achievement.id for u in first})
    assert first and again == []


def test_progress_matches_the_full_replay() -> None:
    jobs = history(250, seed=5)
    career, _ = rebuild(jobs, set())
    for game in (None, Game.ATS, Game.ETS2):
        want = [(p.achievement.id, p.current) for p in progress([j for _, j in jobs], game)]
        got = [(p.achievement.id, p.current) for p in career.progress(game)]
        assert got == want


@pytest.mark.parametrize(
    "damage",
    [
        None,
        "not a career",
        {"format": CAREER_FORMAT + 1},
        {"format": CAREER_FORMAT, "fingerprint": ["first_job"]},
        "drop-tally",
        "bad-counter",
    ],
)
def test_an_unusable_stored_career_asks_for_a_rebuild(damage: object) -> None:
    value = Career().advance(history(20), set())[0].to_json()
    if damage == "drop-tally":
        del value["tally"]
    elif damage == "bad-counter":
        value["tally"]["delivered"] = "many"
    else:
        value = damage  # type: ignore[assignment]
    assert Career.from_json(value) is None


def test_open_jobs_below_the_newest_id_are_remembered() -> None:
    jobs = history(5)
    career, _ = Career().advance(jobs, set(), open_ids=[2, 9])
    assert career.open_ids == frozenset({2})  # 9 is above the newest folded id (5)
    assert Career.from_json(career.to_json()) == career
