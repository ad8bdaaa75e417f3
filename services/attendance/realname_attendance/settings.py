"""The attendance service's settings, documented here and listed on its spec (``./realname settings``)."""

from __future__ import annotations

from realname_kit.settings import Setting

SETTINGS: tuple[Setting, ...] = (
    Setting("REALNAME_ATTENDANCE_DEVICE_BROKER_URL", "",
            "The broker address given to native gates and site bridges with their accounts "
            "(`amqps://mq.example.org:5671/`, no credentials): where they reach RabbitMQ from the site. "
            "Empty: REALNAME_AMQP_URL's host and port."),
)
