"""Attendance learns the workers the gates know from the registry's events, which may come late or twice: each
worker gets one gate key, keeps the newest name, employer and contract end, and a new name is told to the gates."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

import pytest
from kombu import Connection, Producer
from sqlalchemy import select

from realname_attendance.models import Worker
from realname_kit.bus.envelope import Envelope
from realname_kit.bus.processing import PoisonMessage
from realname_kit.timeutil import utcnow
from tests.support.attendance_site import LA, LB, Site, build_site
from tests.support.stack import Stack, eventually


@pytest.fixture
def site(stack: Stack) -> Site:
    return build_site(stack)


def registered(worker_id: str, employment_id: str, employer_id: str, name: str, *, days_ago: int = 0,
               contract_end: str = "2030-12-31") -> dict[str, Any]:
    return {"worker_id": worker_id, "employment_id": employment_id, "employer_id": employer_id, "name": name,
            "id_number_masked": "310104********123X", "contract_start": "2026-01-01", "contract_end": contract_end,
            "registered_at": (utcnow() - timedelta(days=days_ago)).isoformat()}


def updated(worker_id: str, version: int, name: str, **more: Any) -> dict[str, Any]:
    return {"worker_id": worker_id, "fields": ["name"], "version": version, "name": name, **more}


def ended(worker_id: str, employment_id: str, employer_id: str) -> dict[str, Any]:
    return {"worker_id": worker_id, "employment_id": employment_id, "employer_id": employer_id,
            "ended_on": "2026-12-01", "cause": "resignation", "late_entry": False, "team_id": None}


def worker_row(site: Site, worker_id: str) -> Worker:
    with site.stack.db("attendance").transaction() as session:
        worker = session.scalars(select(Worker).where(Worker.worker_id == worker_id)).one()
        session.expunge(worker)
        return worker


def test_a_registered_worker_gets_a_gate_key_once_however_often_the_event_arrives(site: Site) -> None:
    worker, employment = str(uuid.uuid4()), str(uuid.uuid4())
    event = registered(worker, employment, LA, "王五")
    site.handle("worker.registered", event)
    key = worker_row(site, worker).key
    site.handle("worker.registered", event)
    row = worker_row(site, worker)
    assert (row.key, row.name, row.employer_id, row.contract_end) == (key, "王五", LA, date(2030, 12, 31))
    assert site.count("SELECT count(*) FROM workers WHERE worker_id = :w", w=worker) == 1
    assert site.events("worker.renamed") == []


def test_no_personal_number_is_kept() -> None:
    assert not {c.name for c in Worker.__table__.columns} & {"id_number", "id_number_masked", "phone", "phone_masked"}


def test_a_new_name_is_told_to_the_gates_once_and_an_older_update_changes_nothing(site: Site) -> None:
    worker = site.worker(LA, "王五")
    site.handle("worker.updated", updated(worker, 3, "王五一"))
    site.handle("worker.updated", updated(worker, 3, "王五一"))  # the same event again
    site.handle("worker.updated", updated(worker, 2, "王五二"))  # an older one, late
    row = worker_row(site, worker)
    assert (row.name, row.version) == ("王五一", 3)
    assert site.events("worker.renamed") == [{"worker_id": worker}]


def test_an_update_that_changes_no_name_tells_nobody(site: Site) -> None:
    worker = site.worker(LA, "王五")
    site.handle("worker.updated", updated(worker, 2, "王五"))
    assert site.events("worker.renamed") == []


def test_an_update_before_the_registration_keeps_its_newer_name(site: Site) -> None:
    worker, employment = str(uuid.uuid4()), str(uuid.uuid4())
    site.handle("worker.updated", updated(worker, 2, "新名字"))
    site.handle("worker.registered", registered(worker, employment, LA, "旧名字"))
    row = worker_row(site, worker)
    assert (row.name, row.employer_id) == ("新名字", LA)


def test_an_end_that_overtook_its_registration_keeps_the_employment_ended(site: Site) -> None:
    worker, employment = str(uuid.uuid4()), str(uuid.uuid4())
    site.handle("employment.ended", ended(worker, employment, LA))
    site.handle("worker.registered", registered(worker, employment, LA, "赵六"))
    row = worker_row(site, worker)
    assert (row.employer_id, row.name) == (None, "赵六")


def test_the_end_of_an_older_employment_leaves_the_new_employer(site: Site) -> None:
    worker, first, second = str(uuid.uuid4()), str(uuid.uuid4()), str(uuid.uuid4())
    site.handle("worker.registered", registered(worker, first, LA, "钱七", days_ago=30))
    site.handle("worker.registered", registered(worker, second, LB, "钱七", contract_end="2031-06-30"))
    site.handle("employment.ended", ended(worker, first, LA))
    site.handle("worker.registered", registered(worker, first, LA, "钱七", days_ago=30))  # the old one, again
    row = worker_row(site, worker)
    assert (row.employer_id, row.employment_id, row.contract_end) == (LB, second, date(2031, 6, 30))


def test_a_death_is_kept_and_no_later_registration_gives_the_worker_an_employer(site: Site) -> None:
    worker, employment = str(uuid.uuid4()), str(uuid.uuid4())
    site.handle("worker.died", {"worker_id": worker, "employment_id": employment, "employer_id": LA,
                                "died_on": "2026-12-01"})
    site.handle("worker.registered", registered(worker, employment, LA, "孙八", days_ago=3))
    row = worker_row(site, worker)
    assert (row.deceased_on, row.employer_id) == (date(2026, 12, 1), None)


def test_the_registrys_events_reach_attendance_through_its_own_queue(site: Site) -> None:
    stack = site.stack
    stack.declare()
    stack.spawn("consumer", "attendance")
    worker, employment = str(uuid.uuid4()), str(uuid.uuid4())
    envelope = Envelope(type="worker.registered", source="registry", data=registered(worker, employment, LA, "周九"))
    with Connection(stack.amqp) as conn:
        producer = Producer(conn.default_channel, exchange=stack.topology.exchange("registry"))
        producer.publish(envelope.to_json(), routing_key=envelope.type, content_type="application/json",
                         content_encoding="utf-8", message_id=envelope.id)
    # A consumer process starts in seconds, longer on a loaded machine: the wait ends as soon as the row is there.
    eventually(lambda: site.count("SELECT count(*) FROM workers WHERE worker_id = :w", w=worker) == 1, timeout=90)


@pytest.mark.parametrize(("event_type", "data"), [
    ("worker.registered", {"worker_id": "w-1", "employment_id": "e-1", "name": "吴十"}),  # no employer, no time
    ("worker.updated", {"worker_id": "w-1", "name": "吴十"}),  # no version
    ("employment.ended", {"employment_id": "e-1"}),  # no worker
    ("worker.died", {"worker_id": "w-1", "died_on": "yesterday"}),
])
def test_an_event_that_can_never_be_applied_is_dead_lettered_with_the_reason(site: Site, event_type: str,
                                                                              data: dict[str, Any]) -> None:
    with pytest.raises(PoisonMessage):
        site.handle(event_type, data)
    assert site.count("SELECT count(*) FROM workers") == 0
