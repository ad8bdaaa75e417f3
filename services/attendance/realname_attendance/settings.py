"""The attendance service's own settings, documented (``./realname settings``); read with ``settings.value``."""

from __future__ import annotations

from realname_kit.settings import Setting

FACE_RETENTION_DAYS = "REALNAME_ATTENDANCE_FACE_RETENTION_DAYS"

SETTINGS: tuple[Setting, ...] = (
    Setting(FACE_RETENTION_DAYS, "30",
            "Days a worker's face photo is kept after their last exit from a project, while no project admits them "
            "(PIPL art. 19, 47: no longer than needed). 30 days spare a worker who moves to the next site within a "
            "month a new photo and consent round; longer would keep biometric data of people who have left."),
)
