"""Roadie's dock: a streaming chat with the dispatcher, beside the dashboard.

The view lays out; the conversation runs in :mod:`roadmaster.dispatcher` on the
dock's own one-thread pool (the SDK import, the key look-up in the keyring, HTTP and
SQL never touch the GUI thread).  The worker reports through :class:`_Relay`'s
signals only: text pieces, status lines, the final answer or a failure.  Text that
streams in is re-rendered (light markdown) at most every :data:`RENDER_MS`.

States: *no key* (a message and a button to the settings), *idle* (input and quick
prompts enabled), *streaming* (input disabled, Stop enabled).  An answer that was
stopped or cut is shown with a note saying so, never as a whole answer.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, QTimer, Signal
from PySide6.QtGui import QGuiApplication, QTextCursor
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

log = logging.getLogger(__name__)

RENDER_MS = 50
QUICK_PROMPTS = (
    "What should I haul next?",
    "Will I make the deadline?",
    "How's my fuel economy?",
    "Where does my money go?",
)
# What the buttons say: a dock is narrow; the tooltip and the question are in full.
QUICK_LABELS = ("Haul next?", "Deadline?", "Fuel economy?", "My money?")
NOTES = {
    "stopped": "stopped — this answer is incomplete",
    "incomplete": "incomplete — the answer was cut off",
    "error": "no answer",
}


@dataclass
class _Turn:
    question: str
    answer: str = ""
    state: str = "streaming"  # streaming | complete | stopped | incomplete | error


class _Relay(QObject):
    """Created on the GUI thread: signals emitted by the worker arrive there."""

    text_arrived = Signal(str)
    status_changed = Signal(str)
    answered = Signal(object)  # dispatcher.session.Answer
    failed = Signal(str, str, str)  # kind, message, partial text
    key_checked = Signal(bool)


class _Run(QRunnable):
    def __init__(self, fn: Callable[[], None]) -> None:
        super().__init__()
        self._fn = fn

    def run(self) -> None:
        try:
            self._fn()
        except Exception:  # never raise on a pool thread: the worker reports its own
            log.exception("Roadie's worker failed")


class DispatcherDock(QWidget):
    """The chat.  ``host`` gives: ``settings()`` (the current Settings),
    ``engine()`` (the log's engine or None), ``live()`` (a LiveSnapshot or None),
    ``api_key()`` (called on the worker thread: the keyring may block)."""

    settings_requested = Signal()
    busy_changed = Signal(bool)

    def __init__(self, host: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("dispatcherDock")
        self.host = host
        self._host = host
        self._relay = _Relay(self)
        self._relay.text_arrived.connect(self._on_text)
        self._relay.status_changed.connect(self._on_status)
        self._relay.answered.connect(self._on_answer)
        self._relay.failed.connect(self._on_failed)
        self._relay.key_checked.connect(self._on_key_checked)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)  # one conversation, one question at a time
        self._dispatcher: Any = None  # created on the worker thread
        self._cancel: Any = None
        self._turns: list[_Turn] = []
        self._busy = False
        self._has_key: bool | None = None
        self._status_kind = ""  # what the status line shows: "", "status", "streaming"
        self._warmed = False
        self._render_timer = QTimer(self)
        self._render_timer.setSingleShot(True)
        self._render_timer.setInterval(RENDER_MS)
        self._render_timer.timeout.connect(self._render)

        self.no_key = QWidget()
        nk = QVBoxLayout(self.no_key)
        nk.setContentsMargins(0, 0, 0, 0)
        self.no_key_label = QLabel(
            "Roadie needs an Anthropic API key. Add it in Settings → Dispatcher; "
            "everything else in RoadMaster works without it."
        )
        self.no_key_label.setWordWrap(True)
        self.settings_button = QPushButton("Open Settings → Dispatcher")
        self.settings_button.clicked.connect(self.settings_requested.emit)
        nk.addWidget(self.no_key_label)
        nk.addWidget(self.settings_button)
        self.no_key.hide()

        self.transcript = QTextBrowser()
        self.transcript.setMinimumHeight(90)
        self.transcript.setOpenExternalLinks(False)
        self.transcript.setPlaceholderText(
            "Roadie on channel 19: ask about your loads, money, fuel, deadline or hours."
        )
        self.status = QLabel()
        self.status.setObjectName("dim")
        self.status.setWordWrap(True)
        self.usage = QLabel()
        self.usage.setObjectName("dim")

        self.quick_buttons: list[QPushButton] = []
        quick = QWidget()
        grid = QHBoxLayout(quick)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setSpacing(4)
        for label, prompt in zip(QUICK_LABELS, QUICK_PROMPTS, strict=True):
            b = QPushButton(label)
            b.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
            b.setToolTip(f"Ask Roadie: {prompt}")
            b.clicked.connect(lambda _=False, p=prompt: self.ask(p))
            self.quick_buttons.append(b)
            grid.addWidget(b)

        self.input = QLineEdit()
        self.input.setPlaceholderText("Ask Roadie…")
        self.input.returnPressed.connect(self._send_typed)
        self.input.textEdited.connect(self._warm_once)
        self.send_button = QPushButton("Send")
        self.send_button.clicked.connect(self._send_typed)
        self.stop_button = QPushButton("Stop")
        self.stop_button.setEnabled(False)
        self.stop_button.clicked.connect(self.stop)
        row = QHBoxLayout()
        row.addWidget(self.input, 1)
        row.addWidget(self.send_button)
        row.addWidget(self.stop_button)

        self.copy_button = QPushButton("Copy answer")
        self.copy_button.setEnabled(False)
        self.copy_button.clicked.connect(self.copy_answer)
        self.new_button = QPushButton("New conversation")
        self.new_button.clicked.connect(self.new_conversation)
        tools = QHBoxLayout()
        tools.addWidget(self.usage, 1)
        tools.addWidget(self.copy_button)
        tools.addWidget(self.new_button)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        layout.addWidget(self.no_key)
        layout.addWidget(self.transcript, 1)
        layout.addWidget(self.status)
        layout.addWidget(quick)
        layout.addLayout(row)
        layout.addLayout(tools)
        self._update_enabled()

    # --- state -------------------------------------------------------------------------

    @property
    def busy(self) -> bool:
        return self._busy

    def _set_busy(self, busy: bool) -> None:
        self._busy = busy
        self._update_enabled()
        self.busy_changed.emit(busy)

    def _update_enabled(self) -> None:
        can_ask = not self._busy and self._has_key is not False
        self.input.setEnabled(can_ask)
        self.send_button.setEnabled(can_ask)
        for b in self.quick_buttons:
            b.setEnabled(can_ask)
        self.stop_button.setEnabled(self._busy)
        self.new_button.setEnabled(not self._busy)
        self.copy_button.setEnabled(
            not self._busy and bool(self._turns) and bool(self._turns[-1].answer)
        )

    def check_key(self) -> None:
        """Find out (on the worker thread: the keyring may block) whether a key
        exists, and show the no-key state if not.  Call after the settings change."""
        relay, host = self._relay, self._host

        def work() -> None:
            relay.key_checked.emit(bool(host.api_key()))

        self._pool.start(_Run(work))

    def _on_key_checked(self, has_key: bool) -> None:
        self._has_key = has_key
        self.no_key.setVisible(not has_key)
        self._update_enabled()

    def _warm_once(self) -> None:
        """The player started typing to Roadie: load the SDK (~1.3 s of imports, ~70 MB)
        on the worker now, so the question does not wait for it.  Not earlier: a player
        who never asks Roadie anything should not pay that memory all evening."""
        if not self._warmed:
            self._warmed = True
            self._pool.start(_Run(_warm_up))

    # --- asking ------------------------------------------------------------------------

    def _send_typed(self) -> None:
        text = self.input.text().strip()
        if text and self.ask(text):
            self.input.clear()

    def ask(self, question: str) -> bool:
        """Start answering ``question`` on the worker; False if busy or empty."""
        question = question.strip()
        if self._busy or not question:
            return False
        from roadmaster.dispatcher.client import Cancel

        self._turns.append(_Turn(question))
        self._cancel = Cancel()
        self.status.setStyleSheet("")
        self.status.setText("Roadie is on it…")
        self._status_kind = "waiting"
        self._set_busy(True)
        self._render()
        self._pool.start(_Run(self._worker(question, self._cancel)))
        return True

    def _worker(self, question: str, cancel: Any) -> Callable[[], None]:
        relay, host = self._relay, self._host
        settings = host.settings()

        def work() -> None:
            from roadmaster.runtime import imports

            with imports.LOCK:  # first imports, perhaps beside another thread's
                from roadmaster.dispatcher import errors as e
                from roadmaster.dispatcher.conversations import ConversationStore
                from roadmaster.dispatcher.live import Prefs
                from roadmaster.dispatcher.session import (
                    NO_KEY_MESSAGE,
                    Dispatcher,
                    DispatcherConfig,
                    resolve_base_url,
                )
                from roadmaster.dispatcher.tools import Toolbox

            try:
                key = host.api_key()
                if not key:
                    relay.key_checked.emit(False)
                    relay.failed.emit("no_key", NO_KEY_MESSAGE, "")
                    return
                d = settings.dispatcher
                config = DispatcherConfig(
                    api_key=key,
                    model=d.model,
                    base_url=resolve_base_url(d.base_url),
                    max_tokens=d.max_tokens,
                    requests_per_hour=d.requests_per_hour,
                    timeout_s=getattr(host, "timeout_s", 60.0),
                )
                prefs = Prefs(units=settings.display.units, currency=settings.display.currency)
                engine = host.engine()
                toolbox = Toolbox(engine, host.live, prefs)
                store = ConversationStore(engine) if engine is not None else None
                if self._dispatcher is None:
                    self._dispatcher = Dispatcher(
                        config, toolbox=toolbox, live=host.live, prefs=prefs, store=store
                    )
                else:
                    disp = self._dispatcher
                    disp.config, disp.toolbox, disp.prefs = config, toolbox, prefs
                    if disp.store is None and store is not None:
                        disp.conversation_id = None
                    disp.store = store
                answer = self._dispatcher.ask(
                    question,
                    on_text=relay.text_arrived.emit,
                    on_status=relay.status_changed.emit,
                    cancel=cancel,
                )
            except e.DispatcherError as exc:
                relay.failed.emit(exc.kind, str(exc), exc.partial)
                return
            except Exception as exc:  # a bug: said, logged, and the dock stays usable
                log.exception("Roadie failed")
                relay.failed.emit(
                    "bug", f"Roadie hit an internal error ({type(exc).__name__}).", ""
                )
                return
            relay.answered.emit(answer)

        return work

    def stop(self) -> None:
        if self._busy and self._cancel is not None:
            self.status.setText("Stopping…")
            self._cancel.cancel()

    def new_conversation(self) -> None:
        if self._busy:
            return
        self._turns.clear()
        dispatcher = self._dispatcher
        if dispatcher is not None:
            dispatcher.new_conversation()  # plain attribute reset: no I/O
        self.status.setText("")
        self.usage.setText("")
        self._render()
        self._update_enabled()

    def copy_answer(self) -> None:
        if self._turns and self._turns[-1].answer:
            QGuiApplication.clipboard().setText(self._turns[-1].answer)
            self.status.setText("Answer copied.")

    # --- reports from the worker ---------------------------------------------------------

    def _on_text(self, piece: str) -> None:
        if self._status_kind != "streaming":
            self._status_kind = "streaming"
            self.status.setStyleSheet("")
            self.status.setText("Roadie is answering… (Stop cuts it short)")
        if self._turns:
            self._turns[-1].answer += piece
            if not self._render_timer.isActive():
                self._render_timer.start()

    def _on_status(self, line: str) -> None:
        self._status_kind = "status"
        self.status.setStyleSheet("")
        self.status.setText(line)

    def _on_answer(self, answer: Any) -> None:
        if self._turns:
            turn = self._turns[-1]
            turn.answer = answer.text
            turn.state = answer.state
        self.status.setText("Stopped." if answer.state == "stopped" else "")
        self.usage.setText(
            f"Tokens: {answer.input_tokens:,} in · {answer.output_tokens:,} out"
            f" · {answer.api_requests} request{'s' if answer.api_requests != 1 else ''}"
        )
        self._finish()

    def _on_failed(self, kind: str, message: str, partial: str) -> None:
        if self._turns:
            turn = self._turns[-1]
            turn.answer = partial or turn.answer
            turn.state = "incomplete" if kind in ("incomplete", "timeout") else "error"
            if turn.answer and turn.state == "error":
                turn.state = "incomplete"
        self.status.setStyleSheet("color: #c0392b;")
        self.status.setText(message)
        self._finish()

    def _finish(self) -> None:
        self._cancel = None
        self._render_timer.stop()
        self._render()
        self._set_busy(False)

    # --- rendering -------------------------------------------------------------------------

    def transcript_markdown(self) -> str:
        """The conversation as light markdown (what the view shows)."""
        parts: list[str] = []
        for turn in self._turns:
            parts.append(f"**You:** {_escape(turn.question)}")
            answer = turn.answer.strip()
            if turn.state == "streaming":
                parts.append(f"**Roadie:** {answer} ▍" if answer else "**Roadie:** …")
            elif answer:
                parts.append(f"**Roadie:** {answer}")
            note = NOTES.get(turn.state)
            if note:
                parts.append(f"*({note})*")
        return "\n\n".join(parts)

    def _render(self) -> None:
        bar = self.transcript.verticalScrollBar()
        at_end = bar.value() >= bar.maximum() - 4
        self.transcript.setMarkdown(self.transcript_markdown())
        if at_end:
            self.transcript.moveCursor(QTextCursor.MoveOperation.End)
            bar.setValue(bar.maximum())

    def answer_text(self) -> str:
        return self._turns[-1].answer if self._turns else ""

    def answer_state(self) -> str:
        return self._turns[-1].state if self._turns else ""

    def shutdown(self, timeout_ms: int = 3000) -> bool:
        """Stop a stream and wait for the worker (the app is closing)."""
        if self._cancel is not None:
            self._cancel.cancel()
        done = self._pool.waitForDone(timeout_ms)
        dispatcher = self._dispatcher
        if dispatcher is not None:
            dispatcher.close()
        return done


def _warm_up() -> None:
    # A missing SDK is reported when a question is asked.
    from roadmaster.runtime import imports

    with imports.LOCK, contextlib.suppress(ImportError):
        import anthropic  # noqa: F401 - imported for its side effect: loaded once


def _escape(text: str) -> str:
    """The player's words shown literally (no markdown of theirs)."""
    out = text
    for ch in "\\`*_[]#<>|&":
        out = out.replace(ch, "\\" + ch)
    return out


class ControllerHost:
    """What the dock needs, from the app controller: the settings, the log's engine
    (from the bridge's ``store_opened``), the live snapshot (the capture's mailbox)
    and the key.  The later runtime facade (issue 10) replaces this adapter."""

    timeout_s = 60.0

    def __init__(self, controller: Any) -> None:
        self._controller = controller
        # the app sets this: keys typed this session where no secure keyring exists
        self.session_secrets: Callable[[], dict[str, str]] = dict
        self._engine: Any = None
        bridge = getattr(controller, "bridge", None)
        if bridge is not None:
            bridge.store_opened.connect(self._store_opened)

    def _store_opened(self, _opened: object) -> None:
        self._engine = self._controller.runtime.engine()

    def settings(self) -> Any:
        settings = getattr(self._controller, "settings", None)
        if settings is None:
            from roadmaster.settings import Settings

            settings = Settings()
        return settings

    def engine(self) -> Any:
        return self._engine

    def live(self) -> Any:
        """Called on the worker thread (mailbox reads: immutable values)."""
        return self._controller.runtime.live()

    def api_key(self) -> str | None:
        """Called on the worker thread: the keyring may block."""
        from roadmaster import secrets
        from roadmaster.runtime import imports

        with imports.LOCK:  # first imports, perhaps beside the capture thread's
            from roadmaster.dispatcher.session import resolve_key

        return resolve_key(self.session_secrets().get(secrets.ANTHROPIC_API_KEY))
