"""Roadie end to end through the real SDK against the local Messages server."""

from __future__ import annotations

import json
import threading

import pytest
from sqlalchemy.engine import Engine

from roadmaster.dispatcher import errors as e
from roadmaster.dispatcher.client import Cancel
from roadmaster.dispatcher.conversations import ConversationStore
from roadmaster.dispatcher.live import NOT_DRIVING
from tests.dispatcher.conftest import KEY
from tests.dispatcher.fake_anthropic import FakeAnthropic, Reply, error, text, tool


def _collect():
    got: list[str] = []
    return got, got.append


@pytest.mark.slow
def test_a_streamed_answer_arrives_in_pieces_and_is_kept(
    api: FakeAnthropic, make_dispatcher, engine: Engine, live_snapshot
) -> None:
    api.queue(text("Ten-four, ", "you're 9 miles out ", "with time to spare.\nRoadie out."))
    d = make_dispatcher(live_snapshot)
    pieces, on_text = _collect()
    answer = d.ask("Will I make the deadline?", on_text=on_text)
    assert pieces[:3] == ["Ten-four, ", "you're 9 miles out ", "with time to spare.\nRoadie out."]
    assert answer.state == "complete"
    assert answer.text == "".join(pieces)
    assert (answer.input_tokens, answer.output_tokens) == (120, 40)
    # the key went as the SDK sends it, and the question only as a user message
    assert api.api_keys[-1] == KEY
    body = api.posts()[-1]
    assert body["messages"][-1] == {"role": "user", "content": "Will I make the deadline?"}
    assert "Will I make the deadline?" not in body["system"]
    assert body["stream"] is True
    # the live context is in the system prompt: game, job, deadline, fuel, HOS
    for fact in ("American Truck Simulator", "Stockton", "Fresno", "Deadline", "Fuel:", "break"):
        assert fact in body["system"]
    stored = ConversationStore(engine).messages(d.conversation_id)
    assert [(m.role, m.state) for m in stored] == [("user", "complete"), ("assistant", "complete")]


def test_not_driving_is_said_in_the_context(api: FakeAnthropic, make_dispatcher) -> None:
    api.queue(text("Park it. Roadie out."))
    make_dispatcher(None).ask("Anything?", on_text=lambda _t: None)
    assert NOT_DRIVING in api.posts()[-1]["system"]


def test_history_goes_back_with_the_next_question(api: FakeAnthropic, make_dispatcher) -> None:
    api.queue(text("Reno pays best."), text("Yes, same route."))
    d = make_dispatcher(None)
    d.ask("Best route?", on_text=lambda _t: None)
    d.ask("Again?", on_text=lambda _t: None)
    assert api.posts()[-1]["messages"] == [
        {"role": "user", "content": "Best route?"},
        {"role": "assistant", "content": "Reno pays best."},
        {"role": "user", "content": "Again?"},
    ]
    d.new_conversation()
    api.queue(text("Fresh start."))
    d.ask("Hello", on_text=lambda _t: None)
    assert api.posts()[-1]["messages"] == [{"role": "user", "content": "Hello"}]


def test_a_tool_round_trip_uses_the_players_real_routes(
    api: FakeAnthropic, make_dispatcher
) -> None:
    api.queue(
        tool("profitability", {"by": "route"}, "Checking your log… "),
        text("Sacramento → Reno made you $29,350 over 3 jobs. Roadie out."),
    )
    d = make_dispatcher(None)
    _pieces, on_text = _collect()
    statuses, on_status = _collect()
    answer = d.ask("Which route pays best?", on_text=on_text, on_status=on_status)
    assert answer.tools_used == ("profitability",)
    assert answer.api_requests == 2
    assert "Checking your log" in answer.text and "Roadie out." in answer.text
    assert any("profitability" in s for s in statuses)
    second = api.posts()[1]["messages"]
    assert second[0] == {"role": "user", "content": "Which route pays best?"}
    assert second[1]["role"] == "assistant"
    assert second[1]["content"][-1] == {
        "type": "tool_use",
        "id": "toolu_01",
        "name": "profitability",
        "input": {"by": "route"},
    }
    result = second[2]["content"][0]
    assert result["type"] == "tool_result" and result["tool_use_id"] == "toolu_01"
    assert not result.get("is_error")
    data = json.loads(result["content"])
    best = data["rows"][0]
    # the seeded log: three Sacramento → Reno deliveries, $9,850 + $9,400 + $10,100
    assert best["route"] == "Sacramento → Reno"
    assert (best["jobs"], best["delivered"], best["on_time"]) == (3, 3, 2)
    assert best["profit"] == "$29,350"
    assert data["units"] == "imperial"
    assert [r["route"] for r in data["rows"]] == [
        "Sacramento → Reno",
        "Las Vegas → Barstow",
        "Fresno → Bakersfield",
    ]


def test_a_tool_error_goes_back_as_is_error_and_the_answer_continues(
    api: FakeAnthropic, make_dispatcher
) -> None:
    api.queue(tool("current_job", {}), text("Can't see your truck right now. Roadie out."))
    answer = make_dispatcher(None).ask("How's my job?", on_text=lambda _t: None)
    result = api.posts()[1]["messages"][2]["content"][0]
    assert result["is_error"] is True
    assert "not driving" in result["content"]
    assert answer.state == "complete"


def test_an_unknown_tool_input_is_an_error_result(api: FakeAnthropic, make_dispatcher) -> None:
    api.queue(tool("profitability", {"by": "weather"}), text("Sorry. Roadie out."))
    make_dispatcher(None).ask("?", on_text=lambda _t: None)
    result = api.posts()[1]["messages"][2]["content"][0]
    assert result["is_error"] is True and "route" in result["content"]


def test_every_tool_answers_compactly(api: FakeAnthropic, make_dispatcher, live_snapshot) -> None:
    d = make_dispatcher(live_snapshot)
    for name in (
        "recent_jobs",
        "profitability",
        "fuel_economy_trend",
        "expenses_by_month",
        "current_job",
        "refuel_advice",
        "hos_status",
    ):
        args = {"by": "cargo"} if name == "profitability" else {}
        out = d.toolbox.run(name, args)
        assert len(out) <= 4000
        assert isinstance(json.loads(out), dict), name
    fuel = json.loads(d.toolbox.run("refuel_advice", {}))
    assert fuel["range"].endswith(" mi") and "verdict" in fuel
    months = json.loads(d.toolbox.run("expenses_by_month", {"months": 24}))
    assert sum(r["jobs"] for r in months["rows"]) == 6
    assert all(r["fuel"].startswith("$") for r in months["rows"])


@pytest.mark.parametrize(
    ("reply", "kind", "words"),
    [
        (error(401, "authentication_error", "invalid x-api-key"), e.InvalidKeyError, "401"),
        (
            error(429, "rate_limit_error", "slow down", headers={"retry-after": "37"}),
            e.RateLimitedError,
            "wait 37 s",
        ),
        (error(529, "overloaded_error", "Overloaded"), e.OverloadedError, "overloaded"),
        (
            error(404, "not_found_error", "model: claude-2.0"),
            e.ModelError,
            "claude-2.0",
        ),
        (
            Reply(kind="midstream_error", chunks=("Half",), error_type="overloaded_error"),
            e.OverloadedError,
            "overloaded",
        ),
        (Reply(kind="cut", chunks=("Head east on", " I-80 and")), e.IncompleteAnswerError, "cut"),
    ],
)
def test_errors_are_said_in_plain_words(
    api: FakeAnthropic, make_dispatcher, engine: Engine, reply: Reply, kind: type, words: str
) -> None:
    api.queue(reply)
    d = make_dispatcher(None, max_retries=0, model="claude-2.0")
    pieces, on_text = _collect()
    with pytest.raises(kind) as info:
        d.ask("Where to?", on_text=on_text)
    assert words in str(info.value).lower() or words in str(info.value)
    assert info.value.partial == "".join(pieces)
    # the answer is kept, marked, and never sent back as history
    last = ConversationStore(engine).messages(d.conversation_id)[-1]
    expected = "incomplete" if kind is e.IncompleteAnswerError else "error"
    assert (last.role, last.state) == ("assistant", expected)
    assert d._history() == []


def test_a_cut_stream_is_never_a_whole_answer(api: FakeAnthropic, make_dispatcher) -> None:
    api.queue(Reply(kind="cut", chunks=("Head east on", " I-80 and")))
    pieces, on_text = _collect()
    with pytest.raises(e.IncompleteAnswerError) as info:
        make_dispatcher(None).ask("Route?", on_text=on_text)
    assert "".join(pieces) == "Head east on I-80 and"
    assert info.value.partial == "Head east on I-80 and"


def test_a_529_is_retried_once_with_a_visible_retrying(api: FakeAnthropic, make_dispatcher) -> None:
    api.queue(
        error(529, "overloaded_error", "Overloaded", headers={"retry-after": "0"}),
        text("Made it. Roadie out."),
    )
    statuses, on_status = _collect()
    answer = make_dispatcher(None, max_retries=1).ask(
        "?", on_text=lambda _t: None, on_status=on_status
    )
    assert answer.text == "Made it. Roadie out."
    assert any("retrying" in s for s in statuses)
    assert answer.api_requests == 2


def test_a_long_retry_after_is_reported_not_waited(api: FakeAnthropic, make_dispatcher) -> None:
    api.queue(error(429, "rate_limit_error", "slow", headers={"retry-after": "120"}))
    with pytest.raises(e.RateLimitedError, match="wait 2 min"):
        make_dispatcher(None, max_retries=1).ask("?", on_text=lambda _t: None)
    assert len(api.posts()) == 1


def test_a_slow_stream_times_out(api: FakeAnthropic, make_dispatcher) -> None:
    api.queue(Reply(kind="hang", chunks=("Thinking",)))
    with pytest.raises(e.TimedOutError) as info:
        make_dispatcher(None, timeout_s=0.5).ask("?", on_text=lambda _t: None)
    assert info.value.partial == "Thinking"


def test_nobody_listening_is_network_down(make_dispatcher) -> None:
    d = make_dispatcher(None)
    d.config = type(d.config)(api_key=KEY, model="m", base_url="http://127.0.0.1:9")
    with pytest.raises(e.NetworkError, match="network"):
        d.ask("?", on_text=lambda _t: None)


def test_stop_cancels_the_stream(api: FakeAnthropic, make_dispatcher, engine: Engine) -> None:
    reply = Reply(kind="hang", chunks=("Let me ", "think"))
    api.queue(reply)
    cancel = Cancel()
    d = make_dispatcher(None)
    result: list[object] = []
    arrived = threading.Event()

    def on_text(piece: str) -> None:
        if piece == "think":
            arrived.set()

    worker = threading.Thread(
        target=lambda: result.append(d.ask("?", on_text=on_text, cancel=cancel))
    )
    worker.start()
    assert arrived.wait(10)  # the stream is open and waiting for more
    cancel.cancel()
    worker.join(10)
    assert not worker.is_alive()
    (answer,) = result
    assert answer.state == "stopped"
    assert answer.text == "Let me think"
    assert not reply.release.is_set()  # it stopped although the server never ended the stream
    last = ConversationStore(engine).messages(d.conversation_id)[-1]
    assert last.state == "stopped"


def test_no_key_is_a_clear_message(make_dispatcher, api: FakeAnthropic) -> None:
    with pytest.raises(e.NoKeyError, match="Settings → Dispatcher"):
        make_dispatcher(None, key=None).ask("?", on_text=lambda _t: None)
    assert api.posts() == []


def test_the_hourly_cap_stops_requests(api: FakeAnthropic, make_dispatcher) -> None:
    api.queue(text("One."), text("Two."))
    d = make_dispatcher(None, requests_per_hour=2)
    d.ask("1", on_text=lambda _t: None)
    d.ask("2", on_text=lambda _t: None)
    with pytest.raises(e.RequestCapError, match="2 per hour"):
        d.ask("3", on_text=lambda _t: None)
    assert len(api.posts()) == 2


def test_max_tokens_guard_is_sent(api: FakeAnthropic, make_dispatcher) -> None:
    api.queue(text("Short."))
    make_dispatcher(None, max_tokens=300).ask("?", on_text=lambda _t: None)
    assert api.posts()[-1]["max_tokens"] == 300


def test_a_529_with_a_long_retry_after_is_not_retried(api: FakeAnthropic, make_dispatcher) -> None:
    api.queue(error(529, "overloaded_error", "Overloaded", headers={"retry-after": "60"}))
    with pytest.raises(e.OverloadedError):
        make_dispatcher(None, max_retries=1).ask("?", on_text=lambda _t: None)
    assert len(api.posts()) == 1


def test_the_sdk_is_imported_only_when_asking() -> None:
    """`import anthropic` costs ~1.3 s: the dispatcher (and so the window) must not
    pay it before the first question."""
    import subprocess
    import sys

    code = (
        "import sys, roadmaster.dispatcher.session, roadmaster.dispatcher.tools, "
        "roadmaster.commands.ask; print('anthropic' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_a_large_tool_result_is_cut_to_whole_rows() -> None:
    from roadmaster.dispatcher.tools import MAX_RESULT_CHARS, bounded

    rows = [{"route": f"City {i} → Town {i}", "profit": "$1,000"} for i in range(400)]
    out = json.loads(bounded({"units": "metric", "rows": rows}))
    assert 0 < len(out["rows"]) < 400
    assert out["rows_left_out"] == 400 - len(out["rows"])
    assert len(json.dumps(out, separators=(",", ":"), ensure_ascii=False)) <= MAX_RESULT_CHARS


def test_tool_results_follow_the_players_units_and_currency(engine: Engine) -> None:
    from roadmaster.dispatcher.live import Prefs
    from roadmaster.dispatcher.tools import Toolbox

    imperial = json.loads(Toolbox(engine, lambda: None, Prefs()).run("recent_jobs", {}))
    assert imperial["rows"][0]["distance"].endswith(" mi")
    assert imperial["rows"][0]["revenue"].startswith("$")
    chosen = Prefs(units="metric", currency="EUR")
    metric = json.loads(Toolbox(engine, lambda: None, chosen).run("recent_jobs", {}))
    assert metric["units"] == "metric"
    assert metric["rows"][0]["distance"] == "215 km"  # the newest seeded job: 210 + 5 km
    assert metric["rows"][0]["revenue"] == "€9,000"
    assert len(metric["rows"]) == 6
