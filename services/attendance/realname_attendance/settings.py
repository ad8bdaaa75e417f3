"""The attendance service's own settings, documented (``./realname settings``); read with ``settings.value``."""

from __future__ import annotations

from realname_kit.settings import Setting, Settings

FACE_RETENTION_DAYS = "REALNAME_ATTENDANCE_FACE_RETENTION_DAYS"
GATE_WINDOW = "REALNAME_ATTENDANCE_GATE_WINDOW"
DISPATCH_IDLE = "REALNAME_ATTENDANCE_DISPATCH_IDLE_SECONDS"
DISPATCH_BATCH = "REALNAME_ATTENDANCE_DISPATCH_BATCH"
RECONCILE_MINUTES = "REALNAME_ATTENDANCE_RECONCILE_MINUTES"
UNANSWERED_MINUTES = "REALNAME_ATTENDANCE_UNANSWERED_MINUTES"
GATE_AMQP_URL = "REALNAME_GATE_AMQP_URL"
DAY_CLOSE_GRACE = "REALNAME_ATTENDANCE_DAY_CLOSE_GRACE_MINUTES"
LEDGER_BATCH = "REALNAME_ATTENDANCE_LEDGER_BATCH"
LEDGER_IDLE = "REALNAME_ATTENDANCE_LEDGER_IDLE_SECONDS"
PUNCH_RETENTION_MONTHS = "REALNAME_ATTENDANCE_PUNCH_RETENTION_MONTHS"
PUNCH_PHOTO_RETENTION_DAYS = "REALNAME_ATTENDANCE_PUNCH_PHOTO_RETENTION_DAYS"

SETTINGS: tuple[Setting, ...] = (
    Setting("REALNAME_ATTENDANCE_CONSUMER_PREFETCH", "1000",
            "Unacknowledged messages the attendance consumer holds (its batches are half of it): punches come in "
            "bursts at the morning peak, and batches of 500 store them about twice as fast as the platform's "
            "default of 200 (bench/attendance.py). Overrides REALNAME_CONSUMER_PREFETCH for this service."),
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
    Setting(GATE_AMQP_URL, "",
            "The broker gates and site bridges talk to: their accounts, their command queues, their events. Empty: "
            "REALNAME_AMQP_URL (distributed mode: leave it so, the attendance consumer reads gate events there). "
            "`./realname up` (all-in-one) sets it to the local RabbitMQ when it is not set: the services stay one "
            "process on the in-process bus, the gate side alone uses the broker. Set to empty there: no gates."),
    Setting(DAY_CLOSE_GRACE, "60",
            "Minutes after a day's local midnight (at its gates' UTC offset) before its ledger is closed and told to "
            "the wage ledger (`attendance.day_closed`): the evening's last punches arrive first. A punch or a "
            "correction after that changes the closed day, which is told again, marked `corrected_late`."),
    Setting(LEDGER_BATCH, "500", "Days the ledger chore computes again, or closes, per transaction."),
    Setting(LEDGER_IDLE, "1", "Seconds the ledger chore waits when no day is to be computed or closed."),
    Setting(PUNCH_RETENTION_MONTHS, "36",
            "Whole calendar months a punch is kept (valid or rejected): older months are dropped (PostgreSQL: their "
            "partitions; SQLite: their rows), about hourly. At least 36: the attendance ledger's basis is kept three "
            "years (art. 28 of the wage regulation); a smaller value is refused at start."),
    Setting(PUNCH_PHOTO_RETENTION_DAYS, "90",
            "Days the photo a gate took with a punch is kept (then deleted; the punch stays). Biometric (PIPL art. 28, "
            "47): long enough to settle a disputed punch within a wage period and its appeal, no longer."),
    Setting("REALNAME_ATTENDANCE_DEVICE_BROKER_URL", "",
            "The broker address given to native gates and site bridges with their accounts "
            "(`amqps://mq.example.org:5671/`, no credentials): where they reach RabbitMQ from the site. "
            "Empty: the gate broker's host and port (REALNAME_GATE_AMQP_URL)."),
)


def gate_broker_url(settings: Settings) -> str:
    """The broker of the gate side; empty when there is none (all-in-one mode without one: pairs stay pending)."""
    return settings.value(GATE_AMQP_URL) or settings.amqp_url
