"""Roadie's dock, as the player meets it: real widgets offscreen, the real SDK on a
worker thread, the local Messages server, a real SQLite log."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from PySide6.QtGui import QGuiApplication

from roadmaster.settings import Settings
from roadmaster.ui.dispatcher_dock import QUICK_PROMPTS, DispatcherDock
from tests.dispatcher.conftest import KEY, data_dir, engine  # noqa: F401 - fixtures
from tests.dispatcher.fake_anthropic import FakeAnthropic, Reply, error, text, tool

WAIT_MS = 30_000


class Host:
    """The dock's inputs, as the window (later the runtime facade) provides them."""

    timeout_s = 20.0

    def __init__(self, api: FakeAnthropic, log_engine: Any, key: str | None = KEY) -> None:
        self.key = key
        self._settings = Settings()
        self._settings.dispatcher.base_url = api.base_url
        self._engine = log_engine

    def settings(self) -> Settings:
        return self._settings

    def engine(self) -> Any:
        return self._engine

    def live(self) -> None:
        return None

    def api_key(self) -> str | None:
        return self.key


@pytest.fixture
def api() -> Iterator[FakeAnthropic]:
    with FakeAnthropic() as server:
        yield server


@pytest.fixture
def dock(qtbot, api: FakeAnthropic, engine) -> Iterator[DispatcherDock]:  # noqa: F811
    host = Host(api, engine)
    d = DispatcherDock(host)
    d.host_for_test = host
    qtbot.addWidget(d)
    d.resize(480, 640)
    d.show()
    yield d
    d.shutdown()


def _wait_idle(qtbot, dock: DispatcherDock) -> None:
    qtbot.waitUntil(lambda: not dock.busy, timeout=WAIT_MS)


def test_an_answer_streams_in_and_input_waits(qtbot, api, dock: DispatcherDock) -> None:
    reply = Reply(kind="hang", chunks=("**Sacramento → Reno** ", "pays best"))
    api.queue(reply)
    dock.input.setText("Which route pays best?")
    dock.send_button.click()
    assert dock.input.text() == ""
    qtbot.waitUntil(lambda: "Reno pays best" in dock.transcript.toPlainText(), timeout=WAIT_MS)
    # mid-stream: text on screen, input and quick prompts disabled, Stop enabled
    assert dock.busy
    assert not dock.input.isEnabled() and not dock.send_button.isEnabled()
    assert not any(b.isEnabled() for b in dock.quick_buttons)
    assert dock.stop_button.isEnabled() and not dock.new_button.isEnabled()
    shown = dock.transcript.toPlainText()
    assert "Sacramento → Reno pays best" in shown and "**" not in shown  # light markdown
    reply.release.set()  # the server ends the stream without message_stop
    _wait_idle(qtbot, dock)
    assert dock.answer_state() == "incomplete"
    assert "incomplete" in dock.transcript.toPlainText()
    assert "cut off" in dock.status.text()
    assert dock.input.isEnabled() and not dock.stop_button.isEnabled()


def test_a_complete_answer_shows_usage_and_can_be_copied(qtbot, api, dock) -> None:
    api.queue(
        tool("profitability", {"by": "route"}),
        text("Sacramento → Reno: $29,350 over 3 jobs.\n\nRoadie out."),
    )
    dock.ask("Which route pays best?")
    _wait_idle(qtbot, dock)
    assert dock.answer_state() == "complete"
    assert "$29,350" in dock.transcript.toPlainText()
    assert "incomplete" not in dock.transcript.toPlainText()
    assert dock.usage.text() == "Tokens: 240 in · 80 out · 2 requests"
    assert dock.copy_button.isEnabled()
    dock.copy_button.click()
    assert (
        QGuiApplication.clipboard().text()
        == "Sacramento → Reno: $29,350 over 3 jobs.\n\nRoadie out."
    )


def test_stop_ends_the_stream_and_says_so(qtbot, api, dock) -> None:
    reply = Reply(kind="hang", chunks=("Let me look at ", "your log"))
    api.queue(reply)
    dock.ask("Where does my money go?")
    qtbot.waitUntil(lambda: "your log" in dock.transcript.toPlainText(), timeout=WAIT_MS)
    dock.stop_button.click()
    _wait_idle(qtbot, dock)
    assert not reply.release.is_set()  # stopped by us, not by the server
    assert dock.answer_state() == "stopped"
    assert "stopped — this answer is incomplete" in dock.transcript.toPlainText()


def test_quick_prompts_ask_their_question(qtbot, api, dock) -> None:
    api.queue(text("Haul lumber to Reno. Roadie out."))
    dock.quick_buttons[0].click()
    _wait_idle(qtbot, dock)
    assert api.posts()[-1]["messages"][-1]["content"] == QUICK_PROMPTS[0]
    assert [b.toolTip() for b in dock.quick_buttons] == [f"Ask Roadie: {p}" for p in QUICK_PROMPTS]


def test_new_conversation_forgets_the_history(qtbot, api, dock) -> None:
    api.queue(text("Lumber."), text("Still lumber."), text("Hello again."))
    dock.ask("What pays?")
    _wait_idle(qtbot, dock)
    dock.ask("Sure?")
    _wait_idle(qtbot, dock)
    assert len(api.posts()[-1]["messages"]) == 3  # the first exchange went back
    dock.new_button.click()
    assert dock.transcript.toPlainText() == ""
    dock.ask("Hi")
    _wait_idle(qtbot, dock)
    assert api.posts()[-1]["messages"] == [{"role": "user", "content": "Hi"}]


@pytest.mark.parametrize(
    ("reply", "words"),
    [
        (error(401, "authentication_error", "bad key"), "invalid key"),
        (error(429, "rate_limit_error", "slow", headers={"retry-after": "37"}), "wait 37 s"),
        (error(529, "overloaded_error", "Overloaded", headers={"retry-after": "60"}), "overloaded"),
    ],
)
def test_errors_are_shown_in_words_and_the_dock_recovers(
    qtbot, api, dock, reply: Reply, words: str
) -> None:
    api.queue(reply)
    dock.ask("?")
    _wait_idle(qtbot, dock)
    assert words in dock.status.text()
    assert dock.answer_state() == "error"
    assert dock.input.isEnabled()


def test_a_retry_is_visible(qtbot, api, dock) -> None:
    api.queue(error(529, "overloaded_error", "busy", headers={"retry-after": "1"}), text("Ok."))
    seen: list[str] = []
    dock.status.setText("")
    dock._relay.status_changed.connect(seen.append)
    dock.ask("?")
    _wait_idle(qtbot, dock)
    assert any("retrying" in s for s in seen)
    assert dock.answer_state() == "complete"


def test_without_a_key_the_dock_says_where_to_add_one(qtbot, api, dock) -> None:
    dock.host_for_test.key = None
    with qtbot.waitSignal(dock._relay.key_checked, timeout=WAIT_MS):
        dock.check_key()
    assert dock.no_key.isVisible()
    assert "Anthropic API key" in dock.no_key_label.text()
    assert not dock.input.isEnabled()
    with qtbot.waitSignal(dock.settings_requested, timeout=1000):
        dock.settings_button.click()
    assert api.posts() == []
    # the key arrives (the settings were saved): the dock is usable again
    dock.host_for_test.key = KEY
    with qtbot.waitSignal(dock._relay.key_checked, timeout=WAIT_MS):
        dock.check_key()
    assert not dock.no_key.isVisible() and dock.input.isEnabled()


def test_the_sdk_loads_when_the_player_starts_typing_not_when_the_dock_shows(
    qtbot, dock: DispatcherDock
) -> None:
    # The SDK costs ~70 MB: a player who never asks Roadie anything does not pay it.
    qtbot.waitExposed(dock)
    assert not dock._warmed
    qtbot.keyClicks(dock.input, "W")
    assert dock._warmed
    dock._pool.waitForDone(WAIT_MS)
