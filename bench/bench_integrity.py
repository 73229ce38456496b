"""What the integrity check at open and `roadmaster repair` cost on a large data file.

``.venv/bin/python bench/run.py integrity`` builds a 100,000-job demo data file (the
`roadmaster demo-data --jobs 100000` path, ~1 min) unless ``--data-dir D`` names an
existing one, then measures, in process CPU time (which other jobs on a busy machine
disturb less than wall time) and wall time:

- ``PRAGMA quick_check`` as every writer runs it at open (and `status`), warm cache;
- ``roadmaster repair`` of a copy with one 4 KiB page of random bytes in the middle.
"""

from __future__ import annotations

import argparse
import random
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _quick_check(db_file: Path) -> tuple[float, float]:
    conn = sqlite3.connect(db_file)
    try:
        wall0, cpu0 = time.perf_counter(), time.process_time()
        result = conn.execute("PRAGMA quick_check(1)").fetchall()
        wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    finally:
        conn.close()
    assert result == [("ok",)], result
    return cpu, wall


def _children_cpu() -> float:
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench_integrity")
    parser.add_argument("--data-dir", type=Path, help="an existing data folder to measure")
    args = parser.parse_args(argv)
    roadmaster = [sys.executable, "-m", "roadmaster"]
    with tempfile.TemporaryDirectory(prefix="rm-bench-integrity-") as tmp:
        data = args.data_dir
        if data is None:
            data = Path(tmp) / "demo"
            subprocess.run(
                [*roadmaster, "demo-data", "--jobs", "100000", "--seed", "1",
                 "--data-dir", str(data)],
                check=True, capture_output=True,
            )  # fmt: skip
        db_file = data / "roadmaster.db"
        jobs = sqlite3.connect(db_file).execute("SELECT count(*) FROM jobs").fetchone()[0]
        size_mb = db_file.stat().st_size / 1e6
        print(f"data file: {jobs:,} jobs, {size_mb:.0f} MB (the machine was shared and busy)")
        runs = [_quick_check(db_file) for _ in range(5)]
        cpu = sorted(r[0] for r in runs)[2]
        wall = sorted(r[1] for r in runs)[2]
        print(
            f"quick_check at open: {cpu * 1000:.0f} ms CPU, {wall * 1000:.0f} ms wall (median of 5)"
        )

        damaged = Path(tmp) / "damaged"
        damaged.mkdir()
        shutil.copyfile(db_file, damaged / "roadmaster.db")
        size = (damaged / "roadmaster.db").stat().st_size
        with (damaged / "roadmaster.db").open("r+b") as fh:
            fh.seek(size // 2 - size // 2 % 4096)
            fh.write(random.Random(3).randbytes(4096))
        cpu0, wall0 = _children_cpu(), time.perf_counter()
        done = subprocess.run(
            [*roadmaster, "repair", "--data-dir", str(damaged)], capture_output=True, text=True
        )
        cpu, wall = _children_cpu() - cpu0, time.perf_counter() - wall0
        if done.returncode != 0:
            print(done.stderr)
            return 1
        print(f"repair (one damaged page): {cpu:.1f} s CPU, {wall:.1f} s wall")
        for line in done.stdout.splitlines()[2:4]:
            print(f"  {line.strip()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
