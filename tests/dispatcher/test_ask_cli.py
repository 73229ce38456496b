"""`roadmaster ask` end to end: a real subprocess, the real SDK, the local server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.dispatcher.conftest import KEY
from tests.dispatcher.fake_anthropic import FakeAnthropic, Reply, error, text, tool

pytestmark = pytest.mark.slow  # a real subprocess loading the SDK each time, ~10 s


def _env(api: FakeAnthropic, home: Path, key: str | None = KEY) -> dict[str, str]:
    env = dict(os.environ)
    env["ROADMASTER_HOME"] = str(home)  # settings, logs: nothing of the user's
    env["ANTHROPIC_BASE_URL"] = api.base_url
    env.pop("ANTHROPIC_API_KEY", None)
    if key is not None:
        env["ANTHROPIC_API_KEY"] = key
    # no OS keyring here; a key in the environment is what headless use has
    env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
    return env


def _args(data_dir: Path, tmp_path: Path, *extra: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "roadmaster",
        "ask",
        *extra,
        "--data-dir",
        str(data_dir),
        "--shm-path",
        str(tmp_path / "no-game"),
    ]


def ask(api, data_dir, tmp_path, question, *extra, key=KEY):
    return subprocess.run(
        [*_args(data_dir, tmp_path, *extra), question],
        capture_output=True,
        text=True,
        timeout=60,
        env=_env(api, tmp_path / "home", key),
    )


def test_ask_answers_from_the_players_log(api: FakeAnthropic, data_dir: Path, tmp_path) -> None:
    api.queue(
        tool("profitability", {"by": "route", "limit": 3}),
        text("Sacramento → Reno: $29,350 over 3 loads.\n", "Roadie out."),
    )
    done = ask(api, data_dir, tmp_path, "Which route pays best?")
    assert done.returncode == 0, done.stderr
    assert done.stdout == "Sacramento → Reno: $29,350 over 3 loads.\nRoadie out.\n"
    assert done.stderr == ""
    first, second = api.posts()
    assert first["messages"] == [{"role": "user", "content": "Which route pays best?"}]
    assert "Not driving" in first["system"]
    rows = json.loads(second["messages"][2]["content"][0]["content"])["rows"]
    assert rows[0]["route"] == "Sacramento → Reno" and rows[0]["jobs"] == 3


def test_continue_sends_the_previous_exchange(api: FakeAnthropic, data_dir, tmp_path) -> None:
    api.queue(text("Lumber pays. Roadie out."), text("Still lumber."))
    assert ask(api, data_dir, tmp_path, "What pays?").returncode == 0
    assert ask(api, data_dir, tmp_path, "Sure?", "--continue").returncode == 0
    assert api.posts()[-1]["messages"] == [
        {"role": "user", "content": "What pays?"},
        {"role": "assistant", "content": "Lumber pays. Roadie out."},
        {"role": "user", "content": "Sure?"},
    ]


def test_the_answer_streams_before_it_ends_and_a_cut_stream_fails(
    api: FakeAnthropic, data_dir: Path, tmp_path: Path
) -> None:
    reply = Reply(kind="hang", chunks=("Head east ", "on I-80"))
    api.queue(reply)
    proc = subprocess.Popen(
        [*_args(data_dir, tmp_path), "Route?"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=_env(api, tmp_path / "home"),
    )
    assert proc.stdout is not None
    got = b""
    while b"on I-80" not in got:
        chunk = os.read(proc.stdout.fileno(), 1024)
        assert chunk, "the process ended before the text arrived"
        got += chunk
    assert proc.poll() is None  # still running: the text came as it arrived
    reply.release.set()  # the server closes the connection without message_stop
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 2
    lines = err.decode().strip().splitlines()
    assert len(lines) == 1 and "incomplete" in lines[0]
    assert (got + out).decode() == "Head east on I-80\n"


@pytest.mark.parametrize(
    ("reply", "words"),
    [
        (error(401, "authentication_error", "invalid x-api-key"), "invalid key"),
        (error(429, "rate_limit_error", "slow", headers={"retry-after": "45"}), "wait 45 s"),
        (Reply(kind="midstream_error", chunks=("So",), error_type="overloaded_error"), "529"),
    ],
)
def test_each_error_is_one_line(api, data_dir, tmp_path, reply: Reply, words: str) -> None:
    api.queue(reply)
    done = ask(api, data_dir, tmp_path, "?")
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("roadmaster: ") and words in lines[0]
    assert "Traceback" not in done.stderr


def test_no_key_says_where_to_put_one(api: FakeAnthropic, data_dir, tmp_path) -> None:
    done = ask(api, data_dir, tmp_path, "?", key=None)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "roadmaster: Roadie needs an Anthropic API key: add it in Settings → Dispatcher "
        "(or set ANTHROPIC_API_KEY)."
    ]
    assert api.posts() == []


def test_network_down_is_one_line(data_dir: Path, tmp_path: Path) -> None:
    with FakeAnthropic() as api:
        pass  # stopped: nothing listens on its port any more
    done = ask(api, data_dir, tmp_path, "?")
    assert done.returncode == 2
    (line,) = done.stderr.strip().splitlines()
    assert "network" in line


def test_without_a_log_roadie_still_answers(api: FakeAnthropic, tmp_path: Path) -> None:
    api.queue(tool("recent_jobs", {}), text("No loads logged yet. Roadie out."))
    done = ask(api, tmp_path / "empty", tmp_path, "Recent jobs?")
    assert done.returncode == 0, done.stderr
    result = api.posts()[1]["messages"][2]["content"][0]
    assert result["is_error"] is True and "no job log yet" in result["content"]
    assert not (tmp_path / "empty" / "roadmaster.db").exists()
