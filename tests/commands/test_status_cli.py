"""``roadmaster status``: what the log holds and what waits for the cloud."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from roadmaster import cli
from tests.commands.conftest import db_rows


def test_status_json_after_a_capture(
    tmp_path: Path, scripted_recording: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    assert cli.main(["headless", "--source", f"replay:{scripted_recording}", "--data-dir",
                     str(data), "--no-sync"]) == 0  # fmt: skip
    capsys.readouterr()
    assert cli.main(["status", "--json", "--data-dir", str(data)]) == 0
    status = json.loads(capsys.readouterr().out)
    assert status["jobs"] == {"delivered": 1, "cancelled": 1}
    (samples,) = db_rows(data, "SELECT count(*) FROM samples")[0]
    assert status["samples"] == samples > 40
    # Two starts, a completion, a cancel and every sample wait for the cloud.
    assert status["outbox_pending"] == samples + 4
    assert status["outbox_dead"] == 0
    assert status["data_file"] == str(data / "roadmaster.db")

    assert cli.main(["status", "--data-dir", str(data)]) == 0
    text = capsys.readouterr().out
    assert "1 cancelled, 1 delivered" in text and f"{samples:,}" in text


def test_demo_data_never_waits_for_the_cloud(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "demo"
    assert cli.main(["demo-data", "--jobs", "150", "--seed", "2", "--data-dir", str(data)]) == 0
    capsys.readouterr()
    assert cli.main(["status", "--json", "--data-dir", str(data)]) == 0
    status = json.loads(capsys.readouterr().out)
    assert sum(status["jobs"].values()) == 150
    assert status["outbox_pending"] == 0 and status["samples"] == 0


def test_status_of_an_empty_folder_says_how_to_start(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["status", "--data-dir", str(tmp_path / "nothing")]) == 2
    assert "roadmaster headless" in capsys.readouterr().err


def test_status_and_jobs_on_an_empty_data_file_say_there_is_no_data_yet(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "roadmaster.db").touch()  # e.g. created by hand, or by a tool
    for command in ("status", "jobs"):
        assert cli.main([command, "--data-dir", str(data)]) == 2
        err = capsys.readouterr().err
        assert "holds no RoadMaster data yet" in err and "schema None" not in err
