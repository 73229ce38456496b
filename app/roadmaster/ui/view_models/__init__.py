"""What each view shows, computed once from a reading, the job, and the settings.

Views lay out, controllers decide (DESIGN.md).  Everything a widget displays — the
number on a gauge, whether a warning is lit, the words in the status bar, a
balloon's text — is computed here by pure functions, without Qt, so that it is
tested without a widget and every view says the same thing: the dashboard and the
overlay take speeding, range and ETA wording from :mod:`.common`; money is labelled
with the player's currency everywhere; a finished job's profit is the one settled
by the capture, read, never recomputed.

Modules: :mod:`.common` (shared helpers), :mod:`.dashboard`, :mod:`.overlay`,
:mod:`.job_panel`, :mod:`.status`, :mod:`.notifications`.  The names below are
re-exported for callers that want one import.
"""

from roadmaster.ui.view_models.common import (
    ConsumptionMeter,
    distance_unit_scale,
    gear_text,
    is_speeding,
    map_axis_unit,
    money_for,
    navigation_text,
    range_text,
    speed_in,
    speed_unit,
    units_for,
)
from roadmaster.ui.view_models.dashboard import DashboardModel, dashboard_model
from roadmaster.ui.view_models.job_panel import (
    JobPanelModel,
    JobProgress,
    finished_job_text,
    hos_text,
    job_panel_model,
    job_row_text,
)
from roadmaster.ui.view_models.notifications import (
    Notification,
    event_line,
    log_line,
    notification_for,
    notifications_for,
)
from roadmaster.ui.view_models.overlay import OverlayView, overlay_view
from roadmaster.ui.view_models.status import (
    GAME_STATE_TEXT,
    StatusModel,
    SyncInfo,
    status_model,
    sync_info_from,
)

__all__ = [
    "GAME_STATE_TEXT",
    "ConsumptionMeter",
    "DashboardModel",
    "JobPanelModel",
    "JobProgress",
    "Notification",
    "OverlayView",
    "StatusModel",
    "SyncInfo",
    "dashboard_model",
    "distance_unit_scale",
    "event_line",
    "finished_job_text",
    "gear_text",
    "hos_text",
    "is_speeding",
    "job_panel_model",
    "job_row_text",
    "log_line",
    "map_axis_unit",
    "money_for",
    "navigation_text",
    "notification_for",
    "notifications_for",
    "overlay_view",
    "range_text",
    "speed_in",
    "speed_unit",
    "status_model",
    "sync_info_from",
    "units_for",
]
