"""The job log as a ``QAbstractTableModel`` paged from SQL.

Rows arrive a page at a time (keyset paging, ``fetchMore``) from pool tasks; the
model never holds the whole log.  A filter or sort change starts a new
*generation*: answers of an older one are dropped when they arrive late.
Values are shown in the player's units and each game's currency; the economics
are the ones stored with the job.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)

from roadmaster.ui.tasks import Runner, owned_by
from roadmaster.units import (
    UnitPreference,
    UnitSystem,
    currency_for,
    format_distance,
    format_fuel_economy,
    format_mass,
    format_money,
    km_to_miles,
    unit_system,
)

if TYPE_CHECKING:  # the data layer (SQLAlchemy) loads after the first paint
    from roadmaster.runtime.joblog import Cursor, JobLogService, JobQuery, JobRow, Page

PAGE_SIZE = 200
_Index = QModelIndex | QPersistentModelIndex


@dataclass(frozen=True)
class Column:
    key: str
    title: str
    sort: str | None  # the SQL column it sorts by (None: not sortable)
    numeric: bool = False


COLUMNS: tuple[Column, ...] = (
    Column("date", "Date", "started_at"),
    Column("game", "Game", "game"),
    Column("route", "Route", "source_city"),
    Column("companies", "Companies", "source_company"),
    Column("cargo", "Cargo", "cargo"),
    Column("mass", "Mass", "cargo_mass_kg", True),
    Column("distance", "Planned / driven", "distance_km", True),
    Column("income", "Income", "income", True),
    Column("revenue", "Revenue", "revenue", True),
    Column("costs", "Costs", None, True),
    Column("profit", "Profit", "profit", True),
    Column("profit_per", "Profit / distance", None, True),
    Column("economy", "Fuel economy", "fuel_used_l", True),
    Column("damage", "Damage", "damage_taken", True),
    Column("safety", "Safety", "safety_score", True),
    Column("on_time", "On time", "late"),
    Column("status", "Status", "status"),
)
COLUMN_KEYS = tuple(c.key for c in COLUMNS)
_DISPLAY = int(Qt.ItemDataRole.DisplayRole.value)
_ALIGN = int(Qt.ItemDataRole.TextAlignmentRole.value)
_USER = int(Qt.ItemDataRole.UserRole.value)
_ALIGNMENTS = tuple(
    int(
        (Qt.AlignmentFlag.AlignRight if c.numeric else Qt.AlignmentFlag.AlignLeft)
        | Qt.AlignmentFlag.AlignVCenter
    )
    for c in COLUMNS
)


def costs_of(r: JobRow) -> float | None:
    """What the job cost: the stored economics' parts (fuel, repairs, fines, tolls,
    ferries/trains, penalty); None before the economics are computed."""
    if r.fuel_cost is None or r.damage_cost is None:
        return None
    return r.fuel_cost + r.damage_cost + r.fines + r.tolls + r.transport_cost + r.penalty


def cell_text(r: JobRow, key: str, preference: UnitPreference) -> str:
    """What column ``key`` shows for ``r`` (units per game and preference)."""
    units = unit_system(r.game, preference)
    money = currency_for(r.game)
    if key == "date":
        return r.started_at.astimezone().strftime("%Y-%m-%d %H:%M")
    if key == "game":
        return r.game.name
    if key == "route":
        return f"{r.source_city} → {r.destination_city}"
    if key == "companies":
        return f"{r.source_company} → {r.destination_company}"
    if key == "cargo":
        return r.cargo
    if key == "mass":
        return format_mass(r.cargo_mass_kg, units)
    if key == "distance":
        planned = format_distance(r.planned_distance_km, units)
        return f"{planned} / {format_distance(r.distance_km, units)}"
    if key == "income":
        return format_money(r.income, money)
    if key == "revenue":
        return format_money(r.revenue, money)
    if key == "costs":
        costs = costs_of(r)
        return "—" if costs is None else format_money(costs, money)
    if key == "profit":
        return "—" if r.profit is None else format_money(r.profit, money)
    if key == "profit_per":
        if r.profit is None or r.distance_km <= 0:
            return "—"
        per = km_to_miles(r.distance_km) if units is UnitSystem.IMPERIAL else r.distance_km
        unit = "mi" if units is UnitSystem.IMPERIAL else "km"
        return f"{format_money(r.profit / per, money, 2)}/{unit}"
    if key == "economy":
        return (
            format_fuel_economy(r.fuel_used_l, r.distance_km, units) if r.distance_km > 0 else "—"
        )
    if key == "damage":
        return f"{100 * r.damage_taken:.1f} %"
    if key == "safety":
        return "—" if r.safety_score is None else f"{r.safety_score:.0f}"
    if key == "on_time":
        return "" if r.late is None else ("late" if r.late else "on time")
    if key == "status":
        return r.status.value
    raise KeyError(key)


class JobLogModel(QAbstractTableModel):
    """Rows of the filtered, sorted log, fetched page by page."""

    page_loaded = Signal(int)  # rows now held
    count_changed = Signal(int)  # jobs matching the filter
    failed = Signal(str)

    def __init__(self, runner: Runner, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._run = owned_by(self, runner)
        self.service: JobLogService | None = None
        self.query: JobQuery | None = None  # None: every job
        self.sort_key = "started_at"
        self.descending = True
        self.preference: UnitPreference = "auto"
        self._rows: list[JobRow] = []
        # Each row's cell texts, formatted on the pool thread with its page: a paint
        # then only looks strings up (the GUI thread formats nothing while scrolling).
        self._texts: list[tuple[str, ...]] = []
        self._cursor: Cursor | None = None
        self._more = False
        self._loading = False
        self._generation = 0
        self.total: int | None = None

    # --- commands ----------------------------------------------------------------------

    def set_service(self, service: JobLogService | None) -> None:
        self.service = service
        self.reload()

    def set_query(self, query: JobQuery) -> None:
        if query != self.query:
            self.query = query
            self.reload()

    def set_units(self, preference: UnitPreference) -> None:
        if preference != self.preference:
            self.preference = preference
            self.reload()

    def reload(self) -> None:
        """Drop the rows and fetch the first page of the current filter and sort."""
        self._generation += 1
        self.beginResetModel()
        self._rows = []
        self._texts = []
        self._cursor = None
        self._more = self.service is not None
        self._loading = False
        self.total = None
        self.endResetModel()
        if self.service is not None:
            self._fetch()
            self._count()

    def row_at(self, row: int) -> JobRow | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def is_loading(self) -> bool:
        return self._loading

    # --- Qt model ----------------------------------------------------------------------

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(  # noqa: N802 - Qt override
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and 0 <= section < len(COLUMNS):
            column = COLUMNS[section]
            if role == Qt.ItemDataRole.DisplayRole:
                return column.title
            if role == Qt.ItemDataRole.ToolTipRole:
                return column.title + ("" if column.sort else " (not sortable)")
        return None

    def data(self, index: _Index, role: int = _DISPLAY) -> Any:
        # Called for every visible cell and role on each paint: the cheapest path
        # first, and no formatting here (texts were made with the page).
        if role == _DISPLAY:
            row = index.row()
            if 0 <= row < len(self._texts):
                return self._texts[row][index.column()]
            return None
        if role == _ALIGN:
            return _ALIGNMENTS[index.column()] if 0 <= index.column() < len(COLUMNS) else None
        if role == _USER and 0 <= index.row() < len(self._rows):
            return self._rows[index.row()].id
        return None

    def canFetchMore(self, parent: _Index = QModelIndex()) -> bool:  # noqa: B008, N802
        return not parent.isValid() and self._more and not self._loading

    def fetchMore(self, parent: _Index = QModelIndex()) -> None:  # noqa: B008, N802
        if self.canFetchMore(parent):
            self._fetch()

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if not 0 <= column < len(COLUMNS) or COLUMNS[column].sort is None:
            return
        key = COLUMNS[column].sort
        assert key is not None
        descending = order == Qt.SortOrder.DescendingOrder
        if (key, descending) != (self.sort_key, self.descending):
            self.sort_key, self.descending = key, descending
            self.reload()

    # --- pool tasks --------------------------------------------------------------------

    def _fetch(self) -> None:
        service = self.service
        if service is None or self._loading:
            return  # one page in flight at a time (a view may ask again meanwhile)
        self._loading = True
        generation = self._generation
        query, sort, desc, after = self.query, self.sort_key, self.descending, self._cursor
        preference = self.preference

        def load() -> tuple[Page, tuple[tuple[str, ...], ...]]:
            page = service.page(query, sort, desc, after, PAGE_SIZE)
            texts = tuple(
                tuple(cell_text(r, c.key, preference) for c in COLUMNS) for r in page.rows
            )
            return page, texts

        self._run(load, lambda answer: self._arrived(generation, *answer), self._failed)

    def _count(self) -> None:
        service = self.service
        if service is None:
            return
        generation = self._generation
        query = self.query
        self._run(
            lambda: service.count(query), lambda n: self._counted(generation, n), self._failed
        )

    def _arrived(self, generation: int, page: Page, texts: tuple[tuple[str, ...], ...]) -> None:
        if generation != self._generation:
            return  # an older filter's answer
        self._loading = False
        self._cursor = page.next_cursor
        self._more = page.next_cursor is not None
        if page.rows:
            first = len(self._rows)
            self.beginInsertRows(QModelIndex(), first, first + len(page.rows) - 1)
            self._rows.extend(page.rows)
            self._texts.extend(texts)
            self.endInsertRows()
        self.page_loaded.emit(len(self._rows))

    def _counted(self, generation: int, n: int) -> None:
        if generation == self._generation:
            self.total = n
            self.count_changed.emit(n)

    def _failed(self, message: str) -> None:
        self._loading = False
        self._more = False
        self.failed.emit(message)
