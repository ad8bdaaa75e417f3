"""The identity service's settings, and those of the authority's simulator it ships.

Documented here and listed on the service's spec, so ``./realname settings`` shows them; read with
``settings.value(name)``.
"""

from __future__ import annotations

from realname_kit.settings import Setting

SETTINGS: tuple[Setting, ...] = (
    Setting("REALNAME_IDENTITY_READER_BROKER_URL", "",
            "The broker address given to employers' reader PCs with their accounts (`amqps://mq.example.org:5671/`, "
            "no credentials): where they reach RabbitMQ from outside. Empty: REALNAME_AMQP_URL's host and port."),
    Setting("REALNAME_IDENTITY_PLAIN_CARD_READS_UNTIL", "",
            "Upgrade window (ISO 8601 instant, e.g. `2027-01-31T00:00:00+08:00`): until then a card read in clear "
            "from a reader account opened before reads were sealed is still taken. Empty: every card read must be "
            "sealed; a plain one is dead-lettered (reason `card_read_not_sealed`)."),
    Setting("REALNAME_IDENTITY_AUTHORITY_URL", "http://127.0.0.1:8110",
            "The identity authority that verifies ID cards (R1-R3). `./realname up` starts its simulator there."),
    Setting("REALNAME_IDENTITY_AUTHORITY_TIMEOUT", "3", "Seconds the identity service waits for the authority."),
    Setting("REALNAME_IDENTITY_AUTHORITY_CONCURRENCY", "16",
            "Verifications one identity consumer has in flight with the authority at once."),
    Setting("REALNAME_IDENTITY_AUTHORITY_PROBE_SECONDS", "300",
            "While the authority is closed, how often one probe looks for its return before the announced reopening."),
    Setting("REALNAME_AUTHORITY_SIM", "on",
            "`on`: `./realname up` starts the identity-authority simulator (for development and demos); "
            "`off` where the real authority is configured."),
    Setting("REALNAME_AUTHORITY_SIM_PORT", "8110", "Port of the identity-authority simulator."),
    Setting("REALNAME_AUTHORITY_SIM_DATA_FILE", "",
            "The simulator's register of people (JSON list of {id_number, name, status}). Empty: the bundled one."),
    Setting("REALNAME_AUTHORITY_SIM_CALENDAR_FILE", "",
            "The simulator's opening calendar (TOML or JSON: mode, opens, closes, closures, workdays). Empty: "
            "working days 08:00-20:00 China time."),
    Setting("REALNAME_AUTHORITY_SIM_CLOSURES", "",
            "Extra closure dates of the simulator (`2026-10-01..2026-10-08,...`)."),
    Setting("REALNAME_AUTHORITY_SIM_MODE", "",
            "Overrides the calendar's mode: `always_open`, `closed_now` or `normal`. Empty: the calendar's."),
    Setting("REALNAME_AUTHORITY_SIM_LATENCY_MS", "50", "The simulator's answer time."),
    Setting("REALNAME_AUTHORITY_SIM_ERROR_RATE", "0", "Share of simulator answers that are a 5xx (0-1)."),
    Setting("REALNAME_AUTHORITY_SIM_SLOW_RATE", "0", "Share of simulator answers slower than any client waits (0-1)."),
    Setting("REALNAME_AUTHORITY_SIM_REFUSE_RATE", "0",
            "Share of simulator answers that are a 400 refusal, final for the read (0-1)."),
    Setting("REALNAME_AUTHORITY_SIM_SEED", "", "Seed of the simulator's failures (reproducible runs)."),
)
