"""`roadmaster --self-test` (its core steps) and `roadmaster --version`, without Qt."""

import io
import subprocess
import sys
import tomllib
from pathlib import Path

from roadmaster.selftest import CORE_STEPS, Context, SelfTestError, run_steps
from roadmaster.storage.migrate import head_revision

ROOT = Path(__file__).resolve().parents[1]


def test_the_core_steps_pass_and_report_what_they_checked(tmp_path):
    out = io.StringIO()
    ctx = Context(tmp_path)
    assert run_steps(CORE_STEPS, ctx, out) == 0
    lines = out.getvalue().splitlines()
    assert [line.split(" (")[0] for line in lines[:-1]] == [
        f"ok   {name}" for name, _ in CORE_STEPS
    ]
    # the log was migrated to the newest schema, not just opened
    assert "1 job(s)" in lines[1] and f"schema {head_revision()}," in lines[1]
    assert lines[-1].startswith("self-test passed in ")
    # the dashboard step shows the last reading of the drive
    assert ctx.reading is not None and ctx.reading.frame is not None


def test_the_first_failing_step_is_named_and_the_rest_do_not_run(tmp_path):
    ran = []

    def broken(ctx):
        raise SelfTestError("the migration scripts are missing")

    def after(ctx):
        ran.append("after")
        return ""

    out = io.StringIO()
    steps = (CORE_STEPS[0], ("write and read the SQLite log", broken), ("later", after))
    assert run_steps(steps, Context(tmp_path), out) == 1
    text = out.getvalue()
    assert text.splitlines()[0].startswith("ok   decode a simulated frame")
    assert "FAIL write and read the SQLite log: the migration scripts are missing" in text
    assert text.rstrip().endswith("self-test FAILED at step 'write and read the SQLite log'")
    assert ran == [] and "Traceback" not in text


def test_a_crashing_step_is_reported_with_its_error_not_a_traceback(tmp_path):
    def crash(ctx):
        return {}["no such key"]

    out = io.StringIO()
    assert run_steps((("render the dashboard", crash),), Context(tmp_path), out) == 1
    assert "FAIL render the dashboard: KeyError: 'no such key'" in out.getvalue()


def test_version_prints_the_project_version():
    with (ROOT / "pyproject.toml").open("rb") as fh:
        expected = tomllib.load(fh)["project"]["version"]
    done = subprocess.run(
        [sys.executable, "-m", "roadmaster", "--version"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0
    assert done.stdout.strip() == f"roadmaster {expected}"
