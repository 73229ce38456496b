"""The dashboard: the central instruments, laid out; it shows DashboardModels."""

from __future__ import annotations

from PySide6.QtWidgets import QFrame, QGridLayout, QHBoxLayout, QVBoxLayout, QWidget

from roadmaster.ui.gauges import (
    BarGauge,
    DamagePanel,
    DialGauge,
    GearBox,
    Instrument,
    Lamp,
    WarningStrip,
)
from roadmaster.ui.view_models import DashboardModel
from roadmaster.units import UnitSystem

# Major tick spacing per unit system (the dial shows every second tick's number).
SPEED_STEP = {UnitSystem.METRIC: 20.0, UnitSystem.IMPERIAL: 10.0}


def _card(*widgets: QWidget, vertical: bool = True) -> QFrame:
    frame = QFrame()
    frame.setObjectName("card")
    layout = QVBoxLayout(frame) if vertical else QHBoxLayout(frame)
    layout.setContentsMargins(8, 8, 8, 8)
    layout.setSpacing(6)
    for w in widgets:
        layout.addWidget(w)
    return frame


class DashboardView(QWidget):
    """Speed and rpm dials, gear, indicator lamps, fuel and air bars, damage and the
    warning strip.  Knows nothing about telemetry: it shows what it is given."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("dashboard")
        self.warnings = WarningStrip()
        self.speed = DialGauge("Speed")
        self.rpm = DialGauge("Engine rpm ×1000")
        self.gear = GearBox()
        self.park_brake = Lamp("PARK BRAKE", "error")
        self.engine_brake = Lamp("ENGINE BRAKE", "warn")
        self.retarder = Lamp("RETARDER", "warn")
        self.cruise = Lamp("CRUISE", "cruise")
        self.fuel = BarGauge("Fuel")
        self.air = BarGauge("Air pressure")
        self.damage = DamagePanel()

        middle = QVBoxLayout()
        middle.setSpacing(6)
        middle.addWidget(self.gear, 3)
        for lamp in (self.park_brake, self.engine_brake, self.retarder, self.cruise):
            # A share of the column's spare height (up to the lamp's maximum), so
            # the lamps grow with the dials on a large screen.
            middle.addWidget(lamp, 1)
        middle_box = QWidget()
        middle_box.setLayout(middle)
        middle_box.setMinimumWidth(130)
        middle_box.setMaximumWidth(340)

        dials = QHBoxLayout()
        dials.setSpacing(8)
        dials.addWidget(_card(self.speed), 5)
        dials.addWidget(middle_box, 2)
        dials.addWidget(_card(self.rpm), 5)

        bottom = QGridLayout()
        bottom.setSpacing(8)
        bottom.addWidget(_card(self.fuel, self.air), 0, 0)
        bottom.addWidget(_card(self.damage), 0, 1)
        bottom.setColumnStretch(0, 1)
        bottom.setColumnStretch(1, 1)

        root = QVBoxLayout(self)
        root.setContentsMargins(0, 8, 0, 8)  # the window's column adds the sides
        root.setSpacing(8)
        root.addWidget(self.warnings)
        root.addLayout(dials, 5)
        root.addLayout(bottom, 3)
        self.model: DashboardModel | None = None

    def show_model(self, m: DashboardModel) -> None:
        """Show one model; each instrument repaints only if what it shows changed."""
        self.model = m
        self.warnings.set_warnings(m.warnings, m.live)
        self.speed.set_scale(m.speed_max, SPEED_STEP[m.system])
        self.speed.set_reading(
            m.speed,
            m.speed_text,
            m.speed_unit,
            caption=m.speed_limit_text,
            limit=m.speed_limit,
            cruise=m.cruise_speed,
            alarm=m.speeding,
        )
        rpm_max = max(1000.0, round(m.rpm_max / 500.0) * 500.0)
        self.rpm.set_scale(rpm_max, 500.0, red_from=m.rpm_max * 0.9)
        # Whole tens, as a truck's own display: the last digit only flickers.
        rpm_text = f"{round(m.rpm, -1):.0f}" if m.live else "–"
        self.rpm.set_reading(m.rpm, rpm_text, "rpm")
        self.gear.set_gear(m.gear)
        self.park_brake.set_state(m.park_brake)
        self.engine_brake.set_state(m.motor_brake)
        retarder = (
            f"RETARDER {m.retarder_level}/{m.retarder_steps}" if m.retarder_steps else "RETARDER"
        )
        self.retarder.set_state(m.retarder_level > 0, retarder)
        cruise = f"CRUISE {m.cruise_speed:.0f}" if m.cruise_speed is not None else "CRUISE"
        self.cruise.set_state(m.cruise_on, cruise)
        self.fuel.set_state(m.fuel_fraction, m.fuel_text, m.range_text, alarm=m.fuel_low)
        self.air.set_state(
            m.air_fraction,
            m.air_text,
            "LOW – don't drive off" if m.air_low else "",
            mark=m.air_warning_fraction or None,
            alarm=m.air_low,
        )
        self.damage.set_parts(m.damage)

    def fit_to_font(self) -> None:
        """The font scale changed: lamps and the warning strip re-size."""
        for w in self._instruments():
            w.fit_to_font()

    def _instruments(self) -> tuple[Instrument, ...]:
        return (
            self.warnings,
            self.speed,
            self.rpm,
            self.gear,
            self.park_brake,
            self.engine_brake,
            self.retarder,
            self.cruise,
            self.fuel,
            self.air,
            self.damage,
        )

    def paint_count(self) -> int:
        """Paint events of all instruments (tests: nothing paints while hidden)."""
        return sum(w.paint_count for w in self._instruments())
