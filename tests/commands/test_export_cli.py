"""``roadmaster export`` and the exports package: CSV and JSON parsed back equal to
the log, a PDF with its pages, cancellation and bad targets leave nothing under
the requested name."""

from __future__ import annotations

import csv
import json
import re
import resource
import signal
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from roadmaster import cli
from roadmaster.errors import UserError
from roadmaster.exports import CSV_COLUMNS, ExportCancelled, export_jobs
from roadmaster.storage.joblog import iter_rows
from roadmaster.storage.queries import JobQuery, JobRow
from roadmaster.storage.readonly import open_for_reading
from roadmaster.telemetry.frame import Game
from tests.commands.conftest import roadmaster


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = tmp_path_factory.mktemp("export-demo")
    assert cli.main(["demo-data", "--jobs", "1500", "--seed", "9", "--data-dir", str(data)]) == 0
    return data


@pytest.fixture
def engine(demo: Path) -> Iterator[Any]:
    e = open_for_reading(demo)
    yield e
    e.dispose()


def _all_rows(engine: Any, query: JobQuery | None = None) -> list[JobRow]:
    return [r for chunk in iter_rows(engine, query, "id", True) for r in chunk]


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".part"))


def test_csv_parses_back_equal_to_the_log(engine: Any, tmp_path: Path) -> None:
    out = tmp_path / "jobs.csv"
    assert export_jobs(engine, out, "csv") == 1500
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM
    with out.open(encoding="utf-8-sig", newline="") as fh:
        parsed = list(csv.DictReader(fh))
    assert tuple(parsed[0]) == CSV_COLUMNS
    source = _all_rows(engine)
    assert [int(p["id"]) for p in parsed] == [r.id for r in source]
    for p, r in zip(parsed, source, strict=True):
        assert p["status"] == r.status.value and p["game"] == r.game.value
        assert p["cargo"] == r.cargo and p["destination_company"] == r.destination_company
        assert int(p["income"]) == r.income and int(p["revenue"]) == r.revenue
        assert float(p["driven_distance_km"]) == r.distance_km
        assert float(p["fuel_used_l"]) == r.fuel_used_l
        assert (float(p["profit"]) if p["profit"] else None) == r.profit
        assert p["started_at"] == r.started_at.isoformat()
        # plain numbers: no thousands separators, no currency signs
        for name in ("income", "revenue", "profit", "fuel_cost", "cargo_mass_kg"):
            assert re.fullmatch(r"-?\d+(\.\d+)?(e-?\d+)?|", p[name]), (name, p[name])


def test_json_is_what_jobs_json_prints(
    demo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "jobs.json"
    capsys.readouterr()
    assert cli.main(["export", "--format", "json", "--out", str(out), "--data-dir", str(demo),
                     "--game", "ats", "--status", "delivered"]) == 0  # fmt: skip
    assert "Exported" in capsys.readouterr().out
    assert cli.main(["jobs", "--json", "--limit", "0", "--data-dir", str(demo),
                     "--game", "ats", "--status", "delivered"]) == 0  # fmt: skip
    printed = json.loads(capsys.readouterr().out)
    exported = json.loads(out.read_text(encoding="utf-8"))
    assert printed and exported == printed


def test_filters_are_the_same_as_jobs(engine: Any, tmp_path: Path) -> None:
    query = JobQuery(game=Game.ETS2, cargo="Milk")
    out = tmp_path / "milk.csv"
    n = export_jobs(engine, out, "csv", query)
    want = _all_rows(engine, query)
    assert n == len(want) > 0
    with out.open(encoding="utf-8-sig", newline="") as fh:
        assert [int(r["id"]) for r in csv.DictReader(fh)] == [r.id for r in want]


def test_progress_reaches_the_total(engine: Any, tmp_path: Path) -> None:
    seen: list[tuple[int, int]] = []
    export_jobs(engine, tmp_path / "p.csv", "csv", progress=lambda d, t: seen.append((d, t)))
    assert seen[0] == (0, 1500) and seen[-1] == (1500, 1500)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)


def test_cancel_leaves_the_old_file_and_no_part_file(engine: Any, tmp_path: Path) -> None:
    out = tmp_path / "jobs.csv"
    out.write_text("the previous export\n", encoding="utf-8")
    cancel = threading.Event()

    def progress(done: int, _total: int) -> None:
        if done >= 1000:
            cancel.set()  # the user pressed Cancel part-way

    with pytest.raises(ExportCancelled):
        export_jobs(engine, out, "csv", progress=progress, cancel=cancel)
    assert out.read_text(encoding="utf-8") == "the previous export\n"
    assert _leftovers(tmp_path) == []


def test_a_full_disk_is_one_clear_line_and_nothing_half_written(
    engine: Any, tmp_path: Path
) -> None:
    # The file-size limit makes write() fail as a full disk would (EFBIG, not ENOSPC).
    out = tmp_path / "jobs.json"
    old_handler = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 1024, hard))
    try:
        with pytest.raises(UserError) as caught:
            export_jobs(engine, out, "json")
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        signal.signal(signal.SIGXFSZ, old_handler)
    message = str(caught.value)
    assert "\n" not in message and "full" in message and str(out) in message
    assert not out.exists() and _leftovers(tmp_path) == []


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("missing-folder/jobs.csv", "does not exist"),
        (".", "is a folder"),
    ],
)
def test_bad_paths_from_the_command_line(
    demo: Path, tmp_path: Path, target: str, expected: str
) -> None:
    result = roadmaster("export", "--format", "csv", "--out", str(tmp_path / target),
                        "--data-dir", str(demo))  # fmt: skip
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and expected in result.stderr
    assert "Traceback" not in result.stderr
    assert _leftovers(tmp_path) == []


def test_pdf_report_has_its_pages(demo: Path, tmp_path: Path) -> None:
    out = tmp_path / "report.pdf"
    result = roadmaster("export", "--format", "pdf", "--out", str(out), "--data-dir", str(demo),
                        timeout=120)  # fmt: skip
    assert result.returncode == 0, result.stderr
    claimed = int(re.search(r"a (\d+)-page report", result.stdout).group(1))  # type: ignore[union-attr]
    info = subprocess.run(["pdfinfo", str(out)], capture_output=True, text=True, check=True)
    pages = int(re.search(r"Pages:\s+(\d+)", info.stdout).group(1))  # type: ignore[union-attr]
    # per game a summary and a monthly table, then the job table (500 rows: several pages)
    assert pages == claimed >= 2 + 2 + 1
    text = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True).stdout
    assert "career report" in text and "Monthly P&L" in text and "Jobs" in text
    assert "The newest 500 of 1,500 jobs" in text
