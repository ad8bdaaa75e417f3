"""Punches at the morning peak survive what breaks (R27): the attendance consumer SIGKILLed, RabbitMQ and
PostgreSQL restarted, all mid-burst; a gate offline for a weekend flushing its cache into live traffic; a ZKTeco
terminal sending each batch ten times. Afterwards every recognition the terminals recorded is one row of
``punches``, and every rejected one carries its reason.

One site for the module (``./realname up --distributed``): a native gate on AMQP and two ZKTeco terminals behind
a site bridge process, with 60 admitted workers. The machine's own RabbitMQ and PostgreSQL are restarted.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from realname_codes.gate_protocol import ZKTECO_PUSH
from tests.support.gate_crews import accept, hire
from tests.support.gate_install import Layout
from tests.support.site_punches import (
    Crowd,
    consumer_pids,
    expected,
    kept,
    kill,
    restart_postgresql,
    restart_rabbitmq,
    weekend_backlog,
)
from tests.support.site_with_gates import Site, open_site
from tests.support.stack import Stack, eventually

pytestmark = pytest.mark.e2e
SETTLE_S = 180  # two cores run the platform, the bridge, three terminals and the test; a restart costs ~20 s
PEOPLE = 60


@pytest.fixture(scope="module")
def site(module_stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    with open_site(module_stack, tmp_path_factory.mktemp("site"),
                   Layout(native=1, isapi=0, zkteco=2, bridges=1, zk_delay_s=0.3)) as opened:
        crew = hire(opened, PEOPLE)
        accept(opened, crew, crew.workers)
        eventually(lambda: opened.stack.count("attendance", "SELECT count(*) FROM admissions WHERE project_id = :p",
                                              p=opened.project_id) == PEOPLE, timeout=120)
        yield opened


@pytest.fixture
def crowd(site: Site) -> Crowd:
    keys = sorted(site.keys(w for crew in site.crews for w in crew.workers).values())
    return Crowd(site.gates, keys, per_s=150)


def every_punch_kept_once(site: Site) -> None:
    """Each recognition of every terminal is one row; each judged; then the counts are checked exactly."""
    eventually(lambda: kept(site, site.gates).distinct >= expected(site.gates), timeout=SETTLE_S, interval=0.5)
    now = kept(site, site.gates)
    assert now.rows == now.distinct == expected(site.gates), now
    assert now.unjudged == 0, now


def test_the_attendance_consumer_killed_mid_burst_loses_and_doubles_nothing(site: Site, crowd: Crowd) -> None:
    with crowd.walking(3_000):
        eventually(lambda: kept(site, site.gates).rows > 300, timeout=60, interval=0.1)
        for pid in consumer_pids(site):
            kill(pid)  # the supervisor starts it again; its unacknowledged batch is delivered again
    every_punch_kept_once(site)
    assert kept(site, site.gates).valid > 0


def test_rabbitmq_restarted_mid_burst_loses_and_doubles_nothing(site: Site, crowd: Crowd) -> None:
    with crowd.walking(3_000):
        before = kept(site, site.gates).rows
        eventually(lambda: kept(site, site.gates).rows > before + 300, timeout=60, interval=0.1)
        restart_rabbitmq()  # the terminals and the bridge keep recording; the bridge's spool holds what it took
    every_punch_kept_once(site)


def test_postgresql_restarted_mid_burst_loses_and_doubles_nothing(site: Site, crowd: Crowd) -> None:
    with crowd.walking(3_000):
        before = kept(site, site.gates).rows
        eventually(lambda: kept(site, site.gates).rows > before + 300, timeout=60, interval=0.1)
        restart_postgresql()  # batches in flight roll back and come again
    every_punch_kept_once(site)


def test_a_gate_offline_for_a_weekend_flushes_twenty_thousand_punches_into_live_traffic(site: Site,
                                                                                     crowd: Crowd) -> None:
    zk = site.gate(ZKTECO_PUSH)
    zk.device.go_offline()
    before = kept(site, [zk]).reasons["not_admitted"]
    saturday = datetime.now(UTC) - timedelta(days=2)  # before anyone here was admitted: kept, not valid
    weekend_backlog(zk, crowd.keys, 20_000, saturday)
    with crowd.walking(2_000):
        zk.device.come_back()
    every_punch_kept_once(site)
    assert kept(site, [zk]).reasons["not_admitted"] - before == 20_000


def test_a_zkteco_terminal_sending_each_batch_ten_times_is_kept_once(site: Site, crowd: Crowd) -> None:
    zk = [g for g in site.gates if g.kind == ZKTECO_PUSH][-1]
    zk.terminal.resend_times = 10
    try:
        Crowd([zk], crowd.keys, per_s=100).walk(1_000)
        every_punch_kept_once(site)
        assert sum(answer.startswith("OK:") for answer in zk.terminal.answers) > 10
    finally:
        zk.terminal.resend_times = 1


def test_a_punch_of_someone_unknown_is_kept_as_rejected_with_its_reason(site: Site, crowd: Crowd) -> None:
    before = kept(site, site.gates).reasons["unknown_worker"]
    Crowd(site.gates, ["999999999"], per_s=5).walk(3)
    every_punch_kept_once(site)
    assert kept(site, site.gates).reasons["unknown_worker"] - before == 3
