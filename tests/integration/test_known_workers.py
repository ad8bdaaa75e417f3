"""What the assignment service knows of workers keeps the newest of the registry's events, whatever their order
or repetition (R12, R24): an old event never undoes a newer one."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from realname_assignment.models import KnownTeam, KnownWorker
from realname_kit.bus.processing import PoisonMessage
from realname_kit.timeutil import utcnow
from tests.support.chain import LA, LB, Chain, build_chain
from tests.support.stack import Stack


@pytest.fixture
def chain(stack: Stack) -> Chain:
    return build_chain(stack)


def known(chain: Chain, worker_id: str) -> KnownWorker:
    with chain.stack.db("assignment").transaction() as session:
        worker = session.get(KnownWorker, worker_id)
        assert worker is not None
        return worker


def registered(worker_id: str, employment_id: str, employer_id: str, minutes_ago: int = 0) -> dict[str, object]:
    return {"worker_id": worker_id, "employment_id": employment_id, "employer_id": employer_id, "name": "王五",
            "identity_status": "verified", "category": "construction", "trade_code": "020", "team_id": None,
            "registered_at": (utcnow() - timedelta(minutes=minutes_ago)).isoformat()}


def ended(worker_id: str, employment_id: str, employer_id: str) -> dict[str, object]:
    return {"worker_id": worker_id, "employment_id": employment_id, "employer_id": employer_id,
            "ended_on": "2026-12-01", "cause": "resignation"}


def test_an_employment_ended_before_its_registration_arrived_stays_ended(chain: Chain) -> None:
    worker, employment = str(uuid.uuid4()), str(uuid.uuid4())
    chain.handle("employment.ended", ended(worker, employment, LA))
    chain.handle("worker.registered", registered(worker, employment, LA))
    assert known(chain, worker).employment_status == "ended" and known(chain, worker).employer_id is None


def test_the_end_of_an_older_employment_does_not_end_the_newer_one_r12(chain: Chain) -> None:
    worker, old, new = str(uuid.uuid4()), str(uuid.uuid4()), str(uuid.uuid4())
    chain.handle("worker.registered", registered(worker, old, LA, minutes_ago=60))
    chain.handle("worker.registered", registered(worker, new, LB))
    chain.handle("employment.ended", ended(worker, old, LA))
    assert (known(chain, worker).employer_id, known(chain, worker).employment_status) == (LB, "active")


def test_an_older_registration_arriving_late_does_not_replace_the_newer_employer(chain: Chain) -> None:
    worker = str(uuid.uuid4())
    chain.handle("worker.registered", registered(worker, str(uuid.uuid4()), LB))
    chain.handle("worker.registered", registered(worker, str(uuid.uuid4()), LA, minutes_ago=60))
    assert known(chain, worker).employer_id == LB


def test_an_older_update_is_ignored_and_a_newer_one_applied(chain: Chain) -> None:
    worker = chain.worker(LA, "旧名")
    update = {"worker_id": worker, "fields": ["name"], "identity_status": "verified"}
    chain.handle("worker.updated", {**update, "version": 3, "name": "新名"})
    chain.handle("worker.updated", {**update, "version": 2, "name": "更旧的名"})
    assert known(chain, worker).name == "新名"
    chain.handle("worker.updated", {**update, "version": 4, "name": "新名", "identity_status": "rejected"})
    assert known(chain, worker).identity_status == "rejected"


def test_a_team_formed_twice_is_one_team(chain: Chain) -> None:
    team = str(uuid.uuid4())
    for _ in range(2):
        chain.handle("team.formed", {"team_id": team, "employer_id": LA, "project_id": chain.project_id,
                                     "name": "木工一班"})
    with chain.stack.db("assignment").transaction() as session:
        assert session.get(KnownTeam, team) is not None


def test_an_event_without_its_ids_is_refused_as_poison_and_changes_nothing(chain: Chain) -> None:
    with pytest.raises(PoisonMessage):
        chain.handle("worker.registered", {"worker_id": str(uuid.uuid4())})
    with pytest.raises(PoisonMessage):
        chain.handle("worker.registered", {**registered(str(uuid.uuid4()), "e", LA), "registered_at": "2026-12-01"})
    assert chain.count("SELECT count(*) FROM workers") == 0
