"""The attendance service's own settings, documented (``./realname settings``); read with ``settings.value``."""

from __future__ import annotations

from realname_kit.settings import Setting

FACE_RETENTION_DAYS = "REALNAME_ATTENDANCE_FACE_RETENTION_DAYS"
GATE_WINDOW = "REALNAME_ATTENDANCE_GATE_WINDOW"
DISPATCH_IDLE = "REALNAME_ATTENDANCE_DISPATCH_IDLE_SECONDS"
DISPATCH_BATCH = "REALNAME_ATTENDANCE_DISPATCH_BATCH"
RECONCILE_MINUTES = "REALNAME_ATTENDANCE_RECONCILE_MINUTES"
UNANSWERED_MINUTES = "REALNAME_ATTENDANCE_UNANSWERED_MINUTES"
PUNCH_PHOTO_RETENTION_DAYS = "REALNAME_ATTENDANCE_PUNCH_PHOTO_RETENTION_DAYS"

SETTINGS: tuple[Setting, ...] = (
    Setting(FACE_RETENTION_DAYS, "30",
            "Days a worker's face photo is kept after their last exit from a project, while no project admits them "
            "(PIPL art. 19, 47: no longer than needed). 30 days spare a worker who moves to the next site within a "
            "month a new photo and consent round; longer would keep biometric data of people who have left."),
    Setting(GATE_WINDOW, "20",
            "Enrol commands one gate may have unacknowledged at once (revokes are never held back: R26). A gate "
            "that answers slowly is not flooded; one that does not answer blocks only itself."),
    Setting(DISPATCH_IDLE, "0.5", "Seconds the gate dispatcher waits when nothing is pending."),
    Setting(DISPATCH_BATCH, "200", "Pairs the gate dispatcher takes per round (one transaction, one confirmed batch)."),
    Setting(RECONCILE_MINUTES, "60",
            "Minutes between two reconciliations of an online gate (its own list compared with what the platform "
            "wants on it, drift repaired); a gate that comes back online is reconciled at once."),
    Setting(UNANSWERED_MINUTES, "15",
            "Minutes an online gate may leave a command unanswered before it is sent again (a lost command never "
            "leaves a worker waiting; a late answer to the old one is ignored)."),
    Setting(PUNCH_PHOTO_RETENTION_DAYS, "90",
            "Days the photo a gate took with a punch is kept (then deleted; the punch stays). Biometric (PIPL art. 28, "
            "47): long enough to settle a disputed punch within a wage period and its appeal, no longer."),
    Setting("REALNAME_ATTENDANCE_DEVICE_BROKER_URL", "",
            "The broker address given to native gates and site bridges with their accounts "
            "(`amqps://mq.example.org:5671/`, no credentials): where they reach RabbitMQ from the site. "
            "Empty: REALNAME_AMQP_URL's host and port."),
)
