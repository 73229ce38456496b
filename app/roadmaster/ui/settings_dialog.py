"""The settings dialog: cloud, dispatcher, game, units and costs, overlay, start-up.

``SettingsDialog(settings, parent)``; after ``exec()`` returns Accepted,
``result_settings()`` is the new :class:`~roadmaster.settings.Settings` (the caller
saves it).  Cancel changes nothing: the dialog edits a copy and touches the
keyring only in ``accept()``.  Keys are written to the OS keyring only; where no
secure keyring exists the dialog says so and hands the key back through
``session_secrets()`` for this session only.

Network and disk work ("Test connection", "Find the games") runs on the global
QThreadPool and reports through signals; the GUI thread never waits on it.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import httpx
from pydantic import ValidationError
from PySide6.QtCore import QObject, QRunnable, Qt, QThreadPool, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSlider,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from roadmaster import secrets, steam
from roadmaster.settings import (
    DEFAULT_DISPATCHER_MODEL,
    OVERLAY_ITEMS,
    Settings,
    server_url_problem,
)
from roadmaster.units import L_PER_US_GALLON

log = logging.getLogger(__name__)

CLOUD_KEY = secrets.CLOUD_API_KEY
ANTHROPIC_KEY = secrets.ANTHROPIC_API_KEY
KEY_RE = re.compile(r"^rm_[a-f0-9]{64}$")
MODELS = (DEFAULT_DISPATCHER_MODEL, "claude-haiku-5-5", "claude-opus-5-5")
ITEM_LABELS = {
    "speed": "Speed and limit",
    "gear": "Gear",
    "fuel": "Fuel and range",
    "route": "Distance and ETA",
    "deadline": "Deadline",
    "warning": "Warning line",
}
OK_STYLE = "color: #2e8b3d;"
BAD_STYLE = "color: #c0392b;"
NOTE_STYLE = "color: #9a6a00;"


# --- pure checks -------------------------------------------------------------------------


def cloud_key_problem(text: str) -> str | None:
    """Why a typed cloud key is malformed (None: well formed or empty).  Never
    repeats the key: a mistyped secret may be another secret."""
    key = text.strip()
    if not key or KEY_RE.fullmatch(key):
        return None
    if not key.startswith("rm_"):
        return "A RoadMaster API key starts with rm_."
    body = key[3:]
    if re.search(r"[^a-f0-9]", body):
        return "After rm_ only lowercase hex digits (0-9, a-f) are allowed."
    return f"After rm_ come exactly 64 hex digits ({len(body)} so far)."


def anthropic_key_problem(text: str) -> str | None:
    key = text.strip()
    if not key:
        return None
    if not key.startswith("sk-") or len(key) < 20 or re.search(r"\s", key):
        return "An Anthropic API key starts with sk-ant- (copy it from console.anthropic.com)."
    return None


@dataclass(frozen=True, slots=True)
class FormState:
    """What the form holds, as plain values (for :func:`form_problems`)."""

    server_url: str = ""
    cloud_key_typed: str = ""
    cloud_key_stored: bool = False
    anthropic_key_typed: str = ""
    model: str = DEFAULT_DISPATCHER_MODEL
    anthropic_base_url: str = ""
    telemetry_source: str = "auto"
    telemetry_path: str = ""
    overlay_items: tuple[str, ...] = OVERLAY_ITEMS


def form_problems(form: FormState) -> list[tuple[str, str]]:
    """(tab, message) for everything that stops OK; empty when the form is valid."""
    problems: list[tuple[str, str]] = []
    url = form.server_url.strip()
    if url:
        p = server_url_problem(url)
        if p:
            problems.append(("Cloud", p))
    key_problem = cloud_key_problem(form.cloud_key_typed)
    if key_problem:
        problems.append(("Cloud", f"API key: {key_problem}"))
    has_key = bool(form.cloud_key_typed.strip()) or form.cloud_key_stored
    if has_key and not url:
        problems.append(("Cloud", "Enter the server address to sync with, or remove the key."))
    p = anthropic_key_problem(form.anthropic_key_typed)
    if p:
        problems.append(("Dispatcher", p))
    if not form.model.strip():
        problems.append(("Dispatcher", "Choose the model Roadie uses."))
    base = form.anthropic_base_url.strip()
    if base:
        p = server_url_problem(base)
        if p:
            problems.append(("Dispatcher", f"Base URL: {p}"))
    if form.telemetry_source == "path" and not form.telemetry_path.strip():
        problems.append(("Game", "Choose the telemetry file, or switch to Automatic."))
    if not form.overlay_items:
        problems.append(("Overlay", "Choose at least one item for the overlay to show."))
    return problems


# --- "Test connection" (runs on a pool thread) -----------------------------------------------


@dataclass(frozen=True, slots=True)
class ConnectionReport:
    ok: bool
    lines: tuple[str, ...]
    key_known: bool | None = None  # None: not checked

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


def _error_of(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.reason_phrase or ""
    if isinstance(body, dict) and isinstance(body.get("error"), str):
        return str(body["error"])
    return response.reason_phrase or ""


def check_connection(
    url: str,
    key: str | None,
    *,
    timeout_s: float = 5.0,
    transport: httpx.BaseTransport | None = None,
) -> ConnectionReport:
    """Ask the server: ``GET /api/health``, then, with a key, ``POST /api/telemetry``
    with only the key (an invalid sample): 401 means the key is unknown, 400 that
    the key is known and the sample was refused, so nothing is stored either way."""
    problem = server_url_problem(url)
    if problem:
        return ConnectionReport(False, (problem,))
    base = url.strip().rstrip("/")
    lines: list[str] = []
    try:
        with httpx.Client(timeout=timeout_s, transport=transport) as client:
            health = client.get(f"{base}/api/health")
            if health.status_code == 200:
                try:
                    data = health.json()
                except ValueError:
                    data = {}
                version = data.get("version") if isinstance(data, dict) else None
                lines.append(
                    "Server reachable" + (f" (RoadMaster server {version})." if version else ".")
                )
            elif health.status_code == 404:
                lines.append("Server reachable (it has no /api/health; that is fine).")
            else:
                lines.append(
                    f"The server answered {health.status_code} to /api/health: {_error_of(health)}."
                )
            if not key:
                lines.append("No API key to check: enter the key from your dashboard.")
                return ConnectionReport(health.status_code < 500, tuple(lines))
            probe = client.post(f"{base}/api/telemetry", json={"api_key": key})
    except httpx.TimeoutException:
        return ConnectionReport(False, (*lines, f"No answer from {base} within {timeout_s:g} s."))
    except httpx.HTTPError as exc:
        # The message of a connect error names the host, never the key.
        return ConnectionReport(
            False, (*lines, f"Cannot reach {base}: {exc or type(exc).__name__}.")
        )
    status = probe.status_code
    if status == 401:
        lines.append(
            f"The server does not know this API key ({_error_of(probe)}). Copy it again from "
            "the dashboard (it changes when regenerated)."
        )
        return ConnectionReport(False, tuple(lines), key_known=False)
    if status == 400:
        lines.append(
            "API key accepted: the server knows it (the test sample was refused on "
            "purpose, so nothing was stored)."
        )
        return ConnectionReport(True, tuple(lines), key_known=True)
    if status == 429:
        lines.append("The key is known but rate-limited right now; sync will wait and resume.")
        return ConnectionReport(True, tuple(lines), key_known=True)
    lines.append(f"Unexpected answer {status} to the key check: {_error_of(probe)}.")
    return ConnectionReport(False, tuple(lines))


def _wrapped_label(text: str = "", *, selectable: bool = False) -> QLabel:
    """A label that wraps its text; ``selectable``: the mouse can select it (to copy
    a result or an error)."""
    label = QLabel(text)
    label.setWordWrap(True)
    if selectable:
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


class _Emitter(QObject):
    done = Signal(object)


class _Task(QRunnable):
    """Run ``fn`` on a pool thread and emit its result (or a one-line failure)."""

    def __init__(self, fn: Callable[[], object], emitter: _Emitter) -> None:
        super().__init__()
        self._fn = fn
        self._emitter = emitter

    def run(self) -> None:
        try:
            result = self._fn()
        except Exception as exc:  # a bug must not vanish on a pool thread
            log.exception("settings background task failed")
            result = exc
        self._emitter.done.emit(result)


# --- the dialog -------------------------------------------------------------------------


@dataclass
class _KeyField:
    name: str
    edit: QLineEdit
    status: QLabel
    remove: QPushButton
    stored: bool
    problem: Callable[[str], str | None]
    remove_requested: bool = False
    hint_ok: str = "Looks right."


class SettingsDialog(QDialog):
    """The settings dialog (see the module docstring)."""

    connection_checked = Signal(object)  # ConnectionReport, on the GUI thread
    games_checked = Signal(str)  # the plugin check's text
    models_listed = Signal(str)  # the model refresh's one-line result

    def __init__(
        self,
        settings: Settings,
        parent: QWidget | None = None,
        *,
        session_secrets: Mapping[str, str] | None = None,
        steam_roots: list[Path] | None = None,
        timeout_s: float = 5.0,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("RoadMaster settings")
        self._original = settings.model_copy(deep=True)
        self._result = settings.model_copy(deep=True)
        self._session = dict(session_secrets or {})
        self._steam_roots = steam_roots
        self._timeout_s = timeout_s
        self._emitters: set[_Emitter] = set()
        self._secure, self._keyring_message = secrets.keyring_status()

        self.tabs = QTabWidget()
        self.tabs.addTab(self._cloud_tab(settings), "Cloud")
        self.tabs.addTab(self._dispatcher_tab(settings), "Dispatcher")
        self.tabs.addTab(self._game_tab(settings), "Game")
        self.tabs.addTab(self._units_tab(settings), "Units and costs")
        self.tabs.addTab(self._overlay_tab(settings), "Overlay")
        self.tabs.addTab(self._startup_tab(settings), "Start-up")

        self.problems_label = _wrapped_label()
        self.problems_label.setStyleSheet(BAD_STYLE)
        self.problems_label.hide()
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs)
        layout.addWidget(self.problems_label)
        layout.addWidget(self.buttons)
        self.resize(620, 520)

    # --- tabs -----------------------------------------------------------------------

    def _key_field(self, name: str, placeholder: str, problem: Callable[[str], str | None]):
        stored = bool(self._session.get(name)) or bool(secrets.get_secret(name))
        edit = QLineEdit()
        edit.setEchoMode(QLineEdit.EchoMode.Password)
        edit.setPlaceholderText(
            "A key is stored; type a new one to replace it" if stored else placeholder
        )
        status = _wrapped_label()
        status.hide()  # an empty row would leave a gap in the form
        remove = QPushButton("Remove stored key")
        remove.setEnabled(stored)
        kf = _KeyField(name, edit, status, remove, stored, problem)
        edit.textChanged.connect(lambda _t, k=kf: self._check_key(k))
        remove.clicked.connect(lambda _=False, k=kf: self._remove_key(k))
        return kf

    def _key_row(self, kf: _KeyField) -> QWidget:
        row = QWidget()
        h = QHBoxLayout(row)
        h.setContentsMargins(0, 0, 0, 0)
        h.addWidget(kf.edit, 1)
        h.addWidget(kf.remove)
        return row

    def _keyring_note(self, name: str = CLOUD_KEY) -> QLabel:
        # The note names the environment variable of *this* key (issue 12: the
        # Dispatcher tab used to point at the cloud's ROADMASTER_API_KEY).
        secure, message = secrets.keyring_status(name)
        note = _wrapped_label(message)
        note.setStyleSheet(OK_STYLE if secure else NOTE_STYLE)
        return note

    def _cloud_tab(self, s: Settings) -> QWidget:
        page = QWidget()
        form = QFormLayout(page)
        self.server_url = QLineEdit(s.cloud.server_url)
        self.server_url.setPlaceholderText("https://your-roadmaster-server")
        self.sync_enabled = QCheckBox("Sync jobs and telemetry to the cloud")
        self.sync_enabled.setChecked(s.cloud.sync_enabled)
        self.cloud_key = self._key_field(
            CLOUD_KEY, "rm_ followed by 64 hex digits", cloud_key_problem
        )
        self.cloud_key.hint_ok = "Looks right (rm_ + 64 hex digits)."
        self.test_button = QPushButton("Test connection")
        self.test_button.clicked.connect(self.test_connection)
        self.test_result = _wrapped_label(selectable=True)
        form.addRow("Server address", self.server_url)
        form.addRow("API key", self._key_row(self.cloud_key))
        form.addRow("", self.cloud_key.status)
        form.addRow("", self.sync_enabled)
        form.addRow("", self.test_button)
        form.addRow("", self.test_result)
        form.addRow("", self._keyring_note())
        form.addRow(
            "",
            _wrapped_label(
                "Without a key RoadMaster works fully on this computer; the cloud is only a "
                "mirror. Your key is on the web dashboard under Settings → API key."
            ),
        )
        return page

    def _dispatcher_tab(self, s: Settings) -> QWidget:
        page = QWidget()
        form = QFormLayout(page)
        d = s.dispatcher
        self.anthropic_key = self._key_field(ANTHROPIC_KEY, "sk-ant-…", anthropic_key_problem)
        self.anthropic_key.hint_ok = "Looks like an Anthropic key."
        self.model = QComboBox()
        self.model.setEditable(True)
        self.model.addItems(list(dict.fromkeys((d.model, *MODELS))))
        self.model.setCurrentText(d.model)
        self.models_button = QPushButton("Refresh the list")
        self.models_button.setToolTip("Ask Anthropic which models this key may use")
        self.models_button.clicked.connect(self.refresh_models)
        model_row = QWidget()
        h = QHBoxLayout(model_row)
        h.setContentsMargins(0, 0, 0, 0)
        h.addWidget(self.model, 1)
        h.addWidget(self.models_button)
        self.models_result = _wrapped_label()
        self.models_result.hide()  # an empty row would leave a gap in the form
        self.anthropic_base_url = QLineEdit(d.base_url)
        self.anthropic_base_url.setPlaceholderText(
            "https://api.anthropic.com (default; ANTHROPIC_BASE_URL overrides)"
        )
        self.max_tokens = QSpinBox()
        self.max_tokens.setRange(64, 8192)
        self.max_tokens.setSingleStep(64)
        self.max_tokens.setValue(d.max_tokens)
        self.max_tokens.setSuffix(" tokens")
        self.requests_per_hour = QSpinBox()
        self.requests_per_hour.setRange(1, 1000)
        self.requests_per_hour.setValue(d.requests_per_hour)
        self.requests_per_hour.setToolTip(
            "A question that makes Roadie look things up takes several requests."
        )
        form.addRow("Anthropic API key", self._key_row(self.anthropic_key))
        form.addRow("", self.anthropic_key.status)
        form.addRow("Model", model_row)
        form.addRow("", self.models_result)
        form.addRow("Longest answer", self.max_tokens)
        form.addRow("Requests per hour at most", self.requests_per_hour)
        form.addRow("Base URL", self.anthropic_base_url)
        form.addRow("", self._keyring_note(ANTHROPIC_KEY))
        form.addRow(
            "",
            _wrapped_label(
                "Roadie sends your question, a short summary of the truck's state and the "
                "results of the look-ups it makes in your job log to Anthropic. Without a key "
                "the rest of RoadMaster works as usual."
            ),
        )
        return page

    def _game_tab(self, s: Settings) -> QWidget:
        page = QWidget()
        form = QFormLayout(page)
        self.source = QComboBox()
        self.source.addItem("Automatic (the plugin's shared memory)", "auto")
        self.source.addItem("A file I choose", "path")
        self.source.setCurrentIndex(0 if s.game.telemetry_source == "auto" else 1)
        self.telemetry_path = QLineEdit(s.game.telemetry_path)
        self.telemetry_path.setPlaceholderText("/dev/shm/SCSTelemetry")
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        row = QWidget()
        h = QHBoxLayout(row)
        h.setContentsMargins(0, 0, 0, 0)
        h.addWidget(self.telemetry_path, 1)
        h.addWidget(browse)
        self.source.currentIndexChanged.connect(
            lambda _i: row.setEnabled(self.source.currentData() == "path")
        )
        row.setEnabled(s.game.telemetry_source == "path")
        self.games_button = QPushButton("Find ATS and ETS2 and check the plugin")
        self.games_button.clicked.connect(self.check_games)
        self.games_result = _wrapped_label(selectable=True)
        form.addRow("Telemetry from", self.source)
        form.addRow("File", row)
        form.addRow("", self.games_button)
        form.addRow("", self.games_result)
        return page

    def _units_tab(self, s: Settings) -> QWidget:
        page = QWidget()
        form = QFormLayout(page)
        self.units = QComboBox()
        for label, value in (
            ("As the game (ATS imperial, ETS2 metric)", "auto"),
            ("Metric (km/h, km, litres)", "metric"),
            ("Imperial (mph, miles, US gallons)", "imperial"),
        ):
            self.units.addItem(label, value)
        self.units.setCurrentIndex(self.units.findData(s.display.units))
        self.currency = QComboBox()
        self.currency.addItem("As the game (ATS $, ETS2 €)", "game")
        for code in ("USD", "EUR", "GBP", "CAD", "AUD"):
            self.currency.addItem(code, code)
        self.currency.setCurrentIndex(self.currency.findData(s.display.currency))
        self.currency.setToolTip("Only the symbol changes: amounts are not converted.")

        self.fuel_price = QDoubleSpinBox()
        self.fuel_price.setDecimals(3)
        self.fuel_price.setRange(0.001, 400.0)
        self.fuel_unit = QComboBox()
        self.fuel_unit.addItem("per US gallon", "gal")
        self.fuel_unit.addItem("per litre", "l")
        self._fuel_unit = "l" if s.display.units == "metric" else "gal"
        self.fuel_unit.setCurrentIndex(self.fuel_unit.findData(self._fuel_unit))
        self.fuel_price.setValue(self._price_in(self._fuel_unit, s.economy.fuel_price_per_l))
        self.fuel_unit.currentIndexChanged.connect(self._fuel_unit_changed)
        fuel_row = QWidget()
        h = QHBoxLayout(fuel_row)
        h.setContentsMargins(0, 0, 0, 0)
        h.addWidget(self.fuel_price, 1)
        h.addWidget(self.fuel_unit)

        self.repair_scale = QDoubleSpinBox()
        self.repair_scale.setRange(0.1, 100.0)
        self.repair_scale.setSingleStep(0.1)
        self.repair_scale.setSuffix(" ×")
        self.repair_scale.setValue(s.economy.repair_cost_scale)
        self.repair_note = QLabel()
        self.repair_scale.valueChanged.connect(self._repair_note_update)
        self._repair_note_update(s.economy.repair_cost_scale)

        self.sample_interval = QDoubleSpinBox()
        self.sample_interval.setRange(0.2, 60.0)
        self.sample_interval.setSingleStep(0.5)
        self.sample_interval.setSuffix(" s")
        self.sample_interval.setValue(s.capture.sample_interval_s)

        form.addRow("Units", self.units)
        form.addRow("Currency symbol", self.currency)
        form.addRow("Fuel price", fuel_row)
        form.addRow("Repair cost scale", self.repair_scale)
        form.addRow("", self.repair_note)
        form.addRow("Store a telemetry sample every", self.sample_interval)
        form.addRow(
            "",
            _wrapped_label(
                "The defaults are the web dashboard's ($4.05 per gallon, 10,000 for a fully "
                "damaged truck). Economy mods change real prices: adjust them here."
            ),
        )
        return page

    def _overlay_tab(self, s: Settings) -> QWidget:
        page = QWidget()
        form = QFormLayout(page)
        o = s.overlay
        self.overlay_enabled = QCheckBox("Show the overlay when RoadMaster starts")
        self.overlay_enabled.setChecked(o.enabled)
        self.overlay_items: dict[str, QCheckBox] = {}
        items = QWidget()
        v = QVBoxLayout(items)
        v.setContentsMargins(0, 0, 0, 0)
        for item in OVERLAY_ITEMS:
            box = QCheckBox(ITEM_LABELS[item])
            box.setChecked(item in o.items)
            self.overlay_items[item] = box
            v.addWidget(box)
        self.opacity = QSlider(Qt.Orientation.Horizontal)
        self.opacity.setRange(20, 100)
        self.opacity.setValue(round(o.opacity * 100))
        self.opacity_label = QLabel(f"{self.opacity.value()} %")
        self.opacity.valueChanged.connect(lambda v: self.opacity_label.setText(f"{v} %"))
        opacity_row = QWidget()
        h = QHBoxLayout(opacity_row)
        h.setContentsMargins(0, 0, 0, 0)
        h.addWidget(self.opacity, 1)
        h.addWidget(self.opacity_label)
        self.refresh_hz = QSpinBox()
        self.refresh_hz.setRange(10, 30)
        self.refresh_hz.setSuffix(" Hz")
        self.refresh_hz.setValue(o.refresh_hz)
        self.refresh_hz.setToolTip(
            "How often the overlay looks for a new reading. Its figures change at most "
            "5 times a second whatever this is, so a higher rate mostly costs CPU."
        )
        self.hide_not_running = QCheckBox("Hide the overlay while the game is not running")
        self.hide_not_running.setChecked(o.hide_when_game_not_running)
        self.click_through = QCheckBox(
            "Click-through: clicks go to the game (toggle from the tray or Ctrl+Shift+O)"
        )
        self.click_through.setChecked(o.click_through)
        form.addRow("", self.overlay_enabled)
        form.addRow("Show", items)
        form.addRow("Opacity", opacity_row)
        form.addRow("Refresh rate", self.refresh_hz)
        form.addRow("", self.hide_not_running)
        form.addRow("", self.click_through)
        return page

    def _startup_tab(self, s: Settings) -> QWidget:
        page = QWidget()
        form = QFormLayout(page)
        self.start_minimised = QCheckBox("Start minimised (to the tray where there is one)")
        self.start_minimised.setChecked(s.startup.start_minimised)
        self.start_capture = QCheckBox("Start capturing telemetry automatically")
        self.start_capture.setChecked(s.capture.start_automatically)
        form.addRow("", self.start_minimised)
        form.addRow("", self.start_capture)
        return page

    # --- live feedback --------------------------------------------------------------

    def _check_key(self, kf: _KeyField) -> None:
        text = kf.edit.text()
        kf.status.setVisible(bool(text))
        if not text:
            kf.status.setText("")
            return
        problem = kf.problem(text)
        kf.status.setText(problem or kf.hint_ok)
        kf.status.setStyleSheet(BAD_STYLE if problem else OK_STYLE)

    def _remove_key(self, kf: _KeyField) -> None:
        kf.remove_requested = True
        kf.edit.clear()
        kf.remove.setEnabled(False)
        kf.stored = False
        kf.edit.setPlaceholderText("The stored key will be removed when you press OK")

    def _repair_note_update(self, scale: float) -> None:
        self.repair_note.setText(f"A fully damaged truck costs {10_000 * scale:,.0f} to repair.")

    @staticmethod
    def _price_in(unit: str, per_l: float) -> float:
        return per_l * L_PER_US_GALLON if unit == "gal" else per_l

    def _fuel_unit_changed(self, _index: int) -> None:
        new = self.fuel_unit.currentData()
        per_l = self._per_litre()
        self._fuel_unit = new
        self.fuel_price.setValue(self._price_in(new, per_l))

    def _per_litre(self) -> float:
        value = self.fuel_price.value()
        return value / L_PER_US_GALLON if self._fuel_unit == "gal" else value

    def _browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Telemetry file", self.telemetry_path.text())
        if path:
            self.telemetry_path.setText(path)

    # --- background checks ----------------------------------------------------------

    def _run(self, fn: Callable[[], object], done: Callable[[object], None]) -> None:
        emitter = _Emitter()
        self._emitters.add(emitter)

        def finish(result: object) -> None:
            self._emitters.discard(emitter)
            done(result)

        emitter.done.connect(finish)
        QThreadPool.globalInstance().start(_Task(fn, emitter))

    def test_connection(self) -> None:
        """Check the server and the key (typed, else stored) off the GUI thread."""
        url = self.server_url.text()
        typed = self.cloud_key.edit.text().strip()
        if typed and cloud_key_problem(typed):
            self._show_report(ConnectionReport(False, ("Fix the API key first.",)))
            return
        use_stored = not typed and self.cloud_key.stored
        session = self._session.get(CLOUD_KEY)
        timeout = self._timeout_s

        def work() -> ConnectionReport:
            key = typed or (session or secrets.get_secret(CLOUD_KEY) if use_stored else None)
            return check_connection(url, key, timeout_s=timeout)

        self.test_button.setEnabled(False)
        self.test_result.setStyleSheet("")
        self.test_result.setText("Asking the server…")
        self._run(work, self._show_report)

    def _show_report(self, report: object) -> None:
        if not isinstance(report, ConnectionReport):
            report = ConnectionReport(False, (f"The check failed: {type(report).__name__}.",))
        self.test_button.setEnabled(True)
        self.test_result.setText(report.text)
        self.test_result.setStyleSheet(OK_STYLE if report.ok else BAD_STYLE)
        self.connection_checked.emit(report)

    def refresh_models(self) -> None:
        """Ask the models endpoint (off the GUI thread) which models the key may use."""
        typed = self.anthropic_key.edit.text().strip()
        key = typed or self._session.get(ANTHROPIC_KEY)
        if not key and self.anthropic_key.stored:
            key = secrets.get_secret(ANTHROPIC_KEY)
        if not key:
            self.models_result.setText("Enter the Anthropic API key first.")
            self.models_result.setStyleSheet(BAD_STYLE)
            self.models_result.show()
            return
        base_setting = self.anthropic_base_url.text()

        def work() -> object:
            from roadmaster.dispatcher.client import list_models
            from roadmaster.dispatcher.errors import DispatcherError
            from roadmaster.dispatcher.session import resolve_base_url

            try:
                return list_models(key, resolve_base_url(base_setting))
            except DispatcherError as exc:
                return str(exc)

        self.models_button.setEnabled(False)
        self.models_result.setStyleSheet("")
        self.models_result.setText("Asking Anthropic for the models…")
        self.models_result.show()
        self._run(work, self._show_models)

    def _show_models(self, result: object) -> None:
        self.models_button.setEnabled(True)
        if isinstance(result, list) and result:
            chosen = self.model.currentText()
            self.model.clear()
            self.model.addItems([str(m) for m in result])
            self.model.setCurrentText(chosen)
            message = f"{len(result)} models available to this key."
            if chosen not in result:
                message += f" {chosen} is not among them: choose one from the list."
            self.models_result.setStyleSheet(OK_STYLE if chosen in result else BAD_STYLE)
        else:
            message = result if isinstance(result, str) else "No models were listed."
            self.models_result.setStyleSheet(BAD_STYLE)
        self.models_result.setText(message)
        self.models_listed.emit(message)

    def check_games(self) -> None:
        roots = self._steam_roots

        def work() -> str:
            found_roots = steam.steam_roots() if roots is None else roots
            return steam.describe_installs(
                steam.find_games(found_roots), roots_found=bool(found_roots)
            )

        self.games_button.setEnabled(False)
        self.games_result.setText("Looking for the games…")
        self._run(work, self._show_games)

    def _show_games(self, text: object) -> None:
        self.games_button.setEnabled(True)
        message = text if isinstance(text, str) else f"The check failed: {type(text).__name__}."
        self.games_result.setText(message)
        self.games_checked.emit(message)

    # --- OK / Cancel ------------------------------------------------------------------

    def form_state(self) -> FormState:
        return FormState(
            server_url=self.server_url.text(),
            cloud_key_typed=self.cloud_key.edit.text(),
            cloud_key_stored=self.cloud_key.stored,
            anthropic_key_typed=self.anthropic_key.edit.text(),
            model=self.model.currentText(),
            anthropic_base_url=self.anthropic_base_url.text(),
            telemetry_source=self.source.currentData(),
            telemetry_path=self.telemetry_path.text(),
            overlay_items=tuple(i for i, box in self.overlay_items.items() if box.isChecked()),
        )

    def _build(self) -> Settings:
        data = self._original.model_dump()
        data["cloud"].update(
            server_url=self.server_url.text().strip(), sync_enabled=self.sync_enabled.isChecked()
        )
        data["dispatcher"].update(
            model=self.model.currentText().strip(),
            base_url=self.anthropic_base_url.text().strip().rstrip("/"),
            max_tokens=self.max_tokens.value(),
            requests_per_hour=self.requests_per_hour.value(),
        )
        data["game"].update(
            telemetry_source=self.source.currentData(),
            telemetry_path=self.telemetry_path.text().strip(),
        )
        data["display"].update(units=self.units.currentData(), currency=self.currency.currentData())
        data["economy"].update(
            fuel_price_per_l=self._per_litre(), repair_cost_scale=self.repair_scale.value()
        )
        data["capture"].update(
            sample_interval_s=self.sample_interval.value(),
            start_automatically=self.start_capture.isChecked(),
        )
        data["overlay"].update(
            enabled=self.overlay_enabled.isChecked(),
            items=[i for i, box in self.overlay_items.items() if box.isChecked()],
            opacity=self.opacity.value() / 100.0,
            refresh_hz=self.refresh_hz.value(),
            hide_when_game_not_running=self.hide_not_running.isChecked(),
            click_through=self.click_through.isChecked(),
        )
        data["startup"]["start_minimised"] = self.start_minimised.isChecked()
        return Settings.model_validate(data)

    def _show_problems(self, problems: list[tuple[str, str]]) -> None:
        self.problems_label.setText("\n".join(f"{tab}: {msg}" for tab, msg in problems))
        self.problems_label.setVisible(bool(problems))
        if problems:
            names = [self.tabs.tabText(i) for i in range(self.tabs.count())]
            self.tabs.setCurrentIndex(names.index(problems[0][0]))

    def problems(self) -> list[str]:
        """The messages shown under the tabs (empty when the last OK went through)."""
        text = self.problems_label.text()
        return text.split("\n") if not self.problems_label.isHidden() and text else []

    def accept(self) -> None:
        problems = form_problems(self.form_state())
        if not problems:
            try:
                settings = self._build()
            except ValidationError as exc:
                first = exc.errors()[0]
                problems = [("Cloud", str(first["msg"]).removeprefix("Value error, "))]
        if problems:
            self._show_problems(problems)
            return
        for kf in (self.cloud_key, self.anthropic_key):
            self._store_key(kf)
        self._result = settings
        self._show_problems([])
        super().accept()

    def _store_key(self, kf: _KeyField) -> None:
        typed = kf.edit.text().strip()
        if kf.remove_requested and not typed:
            self._session.pop(kf.name, None)
            try:
                secrets.delete_secret(kf.name)
            except secrets.KeyringError as exc:
                log.warning("%s", exc)
            return
        if not typed:
            return
        try:
            secrets.set_secret(kf.name, typed)
        except secrets.KeyringError:
            # No secure keyring: keep it for this session only, never in a file.
            self._session[kf.name] = typed
            log.info("%s kept for this session only (%s)", kf.name, secrets.redact(typed))
        else:
            self._session.pop(kf.name, None)
            log.info("%s stored in the OS keyring (%s)", kf.name, secrets.redact(typed))

    def result_settings(self) -> Settings:
        """The accepted settings (after Cancel: the settings passed in, unchanged)."""
        if self.result() == QDialog.DialogCode.Accepted:
            return self._result
        return self._original.model_copy(deep=True)

    def session_secrets(self) -> dict[str, str]:
        """Keys that could not go to a secure keyring, for this session only
        (name → key; e.g. ``{secrets.CLOUD_API_KEY: "rm_…"}``)."""
        return dict(self._session)
