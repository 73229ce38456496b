"""``roadmaster jobs``: the JSON contract, filters, sorts and paging, on a log made by
a real capture (a simulator recording) and on demo data of both games."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from roadmaster import cli

FIELDS = {
    "id", "status", "game", "source_city", "source_company", "destination_city",
    "destination_company", "cargo", "cargo_mass_kg", "income", "revenue",
    "planned_distance_km", "driven_distance_km", "fuel_used_l", "started_game_time",
    "finished_game_time", "delivered_late", "cargo_damage", "xp", "penalty", "fines",
    "tolls", "profit", "safety_score",
}  # fmt: skip


@pytest.fixture(scope="module")
def captured(tmp_path_factory: pytest.TempPathFactory, ets2_recording: Path) -> Path:
    data = tmp_path_factory.mktemp("captured")
    rc = cli.main(["headless", "--source", f"replay:{ets2_recording}", "--data-dir", str(data),
                   "--no-sync"])  # fmt: skip
    assert rc == 0
    return data


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = tmp_path_factory.mktemp("demo")
    assert cli.main(["demo-data", "--jobs", "1200", "--seed", "4", "--data-dir", str(data)]) == 0
    return data


def jobs(capsys: pytest.CaptureFixture[str], data: Path, *args: str) -> list[dict[str, Any]]:
    capsys.readouterr()
    assert cli.main(["jobs", "--json", "--data-dir", str(data), *args]) == 0
    out: list[dict[str, Any]] = json.loads(capsys.readouterr().out)
    return out


def test_every_contract_field_with_game_units(
    captured: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = jobs(capsys, captured, "--sort", "id", "--asc")
    assert len(rows) == 3
    for row in rows:
        assert set(row) >= FIELDS
    cancelled, delivered, open_job = rows
    assert cancelled["status"] == "cancelled" and cancelled["penalty"] > 0
    assert cancelled["revenue"] == 0 and cancelled["profit"] < 0
    assert delivered["status"] == "delivered" and delivered["delivered_late"] in (True, False)
    assert delivered["xp"] > 0 and delivered["revenue"] > 0
    assert [set(f) for f in delivered["fines"]] == [{"offence", "amount"}]
    assert delivered["fines"][0]["offence"] in ("speeding", "speeding_camera")
    # The economics columns obey the documented formula (net profit).
    assert delivered["profit"] == pytest.approx(
        delivered["revenue"] - delivered["fuel_cost"] - delivered["damage_cost"]
        - sum(f["amount"] for f in delivered["fines"]) - delivered["tolls"]
        - delivered["transport_cost"]
    )  # fmt: skip
    assert open_job["status"] == "open" and open_job["finished_game_time"] is None
    assert open_job["profit"] is None
    # kg, km and litres: a loaded semi, a route of ~20 km in the simulator's world.
    assert 1_000 < delivered["cargo_mass_kg"] < 40_000
    assert delivered["driven_distance_km"] == pytest.approx(
        delivered["planned_distance_km"], rel=0.2
    )


def test_filters(demo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    everything = jobs(capsys, demo, "--limit", "0")
    assert len(everything) == 1200
    assert {r["game"] for r in everything} == {"ats", "ets2"}
    ats = jobs(capsys, demo, "--game", "ats", "--limit", "0")
    assert ats and {r["game"] for r in ats} == {"ats"}
    assert len(ats) == sum(r["game"] == "ats" for r in everything)
    cancelled = jobs(capsys, demo, "--status", "cancelled", "--limit", "0")
    assert cancelled and {r["status"] for r in cancelled} == {"cancelled"}
    some = everything[7]
    for flag, key in (
        ("--source-city", "source_city"),
        ("--destination-city", "destination_city"),
        ("--cargo", "cargo"),
    ):
        hits = jobs(capsys, demo, flag, some[key], "--limit", "0")
        assert hits and all(r[key] == some[key] for r in hits)
        assert len(hits) == sum(r[key] == some[key] for r in everything)
    company = jobs(capsys, demo, "--company", some["destination_company"], "--limit", "0")
    assert all(some["destination_company"] in (r["source_company"], r["destination_company"])
               for r in company)  # fmt: skip
    # Dates are the wall-clock start (demo jobs spread over two years).
    recent = jobs(capsys, demo, "--from", "2000-01-01", "--limit", "0")
    assert len(recent) == 1200
    assert jobs(capsys, demo, "--to", "2000-01-01") == []


def test_sorting_and_paging(demo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    by_income = jobs(capsys, demo, "--sort", "income", "--limit", "0")
    incomes = [r["income"] for r in by_income]
    assert incomes == sorted(incomes, reverse=True) and len(incomes) == 1200  # 3 pages
    assert len({r["id"] for r in by_income}) == 1200  # keyset pages: no repeats
    ascending = jobs(capsys, demo, "--sort", "profit", "--asc", "--limit", "30")
    profits = [r["profit"] for r in ascending]
    assert len(profits) == 30 and profits == sorted(profits)
    newest = jobs(capsys, demo, "--limit", "5")
    assert [r["id"] for r in newest] == sorted((r["id"] for r in by_income), reverse=True)[:5]


def test_bad_arguments_say_what_to_do(demo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert cli.main(["jobs", "--data-dir", str(demo), "--sort", "colour"]) == 2
    assert "choose one of" in capsys.readouterr().err
    assert cli.main(["jobs", "--data-dir", str(demo), "--from", "yesterday"]) == 2
    assert "YYYY-MM-DD" in capsys.readouterr().err


def test_the_table(captured: Path, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert cli.main(["jobs", "--data-dir", str(captured)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 4 and "route" in lines[0]
    assert any("cancelled" in line for line in lines) and any("€" in line for line in lines)
