"""Two changes of one worker (or one team) run one after the other, never both from what they read before (R11).

Two real PostgreSQL transactions on two threads. The first stops as soon as it has the row in its session; the
second is then started and runs as far as the database lets it (to its end, or until it waits for the row); then
the first goes on. Whichever came first, the second must build on what the first saved: the identity consumer and
an HTTP edit each write a version of their own into every ``worker.updated`` (the assignment service keeps one
event per version), and an ``If-Match`` read before the other change no longer passes; a team leader's
resignation does not undo the new leader named meanwhile (R17).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date

import pytest
from sqlalchemy import event, text
from sqlalchemy.orm import Session

from realname_kit.bus.envelope import Envelope
from realname_kit.problems import Problem
from realname_kit.timeutil import today_in_china
from realname_registry.card_reads import identity_handlers
from realname_registry.context import keyring_for
from realname_registry.models import Team, Worker
from realname_registry.teams import name_leader
from realname_registry.workers.editing import edit_worker
from realname_registry.workers.resignation import resign
from tests.support.identity_events import read_of, verified
from tests.support.registry_app import WORKERS, Registry, employer_caller, typed_in
from tests.support.stack import Stack, eventually
from tests.support.workers import add_project, id_number, worker_body

Step = Callable[[Session], None]


class Transaction(threading.Thread):
    """One transaction on a thread of its own; with ``pause``, it stops once a row of that model is in its session."""

    def __init__(self, registry: Registry, step: Step, *, pause: type | None = None) -> None:
        super().__init__(daemon=True)
        self.registry, self.step, self.pause = registry, step, pause
        self.holding, self.go_on = threading.Event(), threading.Event()
        self.refusal: Problem | None = None
        self.failure: BaseException | None = None

    def run(self) -> None:
        try:
            with self.registry.db.transaction() as session:
                if self.pause is not None:
                    event.listen(session, "loaded_as_persistent", self._hold)
                self.step(session)
        except Problem as problem:
            self.refusal = problem
        except BaseException as exc:
            self.failure = exc

    def _hold(self, _session: Session, instance: object) -> None:
        assert self.pause is not None
        if isinstance(instance, self.pause) and not self.holding.is_set():
            self.holding.set()
            assert self.go_on.wait(60), "the test never let this transaction go on"


def waiting_for_a_lock(registry: Registry) -> bool:
    with registry.db.engine.connect() as conn:
        return bool(conn.execute(text("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                                      "AND wait_event_type = 'Lock'")).scalar_one())


def interleave(registry: Registry, first: Step, second: Step, *,
               pause: type = Worker) -> tuple[Transaction, Transaction]:
    """``first`` loads a row of ``pause`` and stops; ``second`` runs until it ends or waits for a lock; both end."""
    one, two = Transaction(registry, first, pause=pause), Transaction(registry, second)
    one.start()
    assert one.holding.wait(60), "the first transaction never loaded the row"
    two.start()
    eventually(lambda: not two.is_alive() or waiting_for_a_lock(registry), timeout=60)
    one.go_on.set()
    for t in (one, two):
        t.join(60)
        assert not t.is_alive() and t.failure is None, t.failure
    return one, two


@pytest.fixture(scope="module")
def registry(module_stack: Stack) -> Registry:
    return Registry.on(module_stack)


def verification(registry: Registry, employer_id: str, number: str) -> Step:
    """The identity consumer learning that the employer's own read of the card (a new address) is verified."""
    handle = identity_handlers(registry.settings)["identity.verified"]
    data = verified(read_of(employer_id, number, "马超", address="上海市闵行区莘庄镇1号"))

    def consume(session: Session) -> None:
        handle(session, Envelope(type="identity.verified", source="identity", data=data))
    return consume


def phone_edit(registry: Registry, employer_id: str, worker_id: str, if_match: str) -> Step:
    """What ``PATCH /workers/<id>`` does in its transaction: a new phone number, with the ETag read before."""
    keyring, caller = keyring_for(registry.settings), employer_caller(employer_id)

    def edit(session: Session) -> None:
        edit_worker(session, keyring, caller, worker_id, {"phone": "13912345678"}, if_match=if_match,
                    today=today_in_china())
    return edit


def versions_told(registry: Registry, worker_id: str) -> list[int]:
    return [int(d["version"]) for d in registry.events("worker.updated", worker_id)]


def saved_version(registry: Registry, worker_id: str) -> int:
    with registry.db.engine.connect() as conn:
        return int(conn.execute(text("SELECT version FROM workers WHERE id = :i"), {"i": worker_id}).scalar_one())


def test_an_edit_during_a_verification_waits_for_it_and_its_stale_etag_is_refused(registry: Registry) -> None:
    client, employer_id = registry.employer()
    number = id_number(date(1985, 3, 15))
    worker = typed_in(client, number)
    _, edit = interleave(registry, verification(registry, employer_id, number),
                         phone_edit(registry, employer_id, worker["id"], '"1"'))
    assert edit.refusal is not None and edit.refusal.reason == "edited_meanwhile"
    assert versions_told(registry, worker["id"]) == [2] and saved_version(registry, worker["id"]) == 2


def test_a_verification_during_an_edit_waits_for_it_and_builds_on_its_version(registry: Registry) -> None:
    client, employer_id = registry.employer()
    number = id_number(date(1985, 3, 15))
    worker = typed_in(client, number)
    edit, _ = interleave(registry, phone_edit(registry, employer_id, worker["id"], '"1"'),
                         verification(registry, employer_id, number))
    assert edit.refusal is None
    assert versions_told(registry, worker["id"]) == [2, 3] and saved_version(registry, worker["id"]) == 3



def test_a_leaders_resignation_does_not_undo_the_leader_named_meanwhile_r17(registry: Registry) -> None:
    client, employer_id = registry.employer()
    team = Team(employer_id=employer_id, project_id=add_project(registry.db), name="钢筋一班")
    with registry.db.transaction() as session:
        session.add(team)
    leader, successor = (client.post(WORKERS, json=worker_body(team.id)).get_json()["id"] for _ in range(2))
    assert client.post(f"/api/v1/registry/teams/{team.id}/leader", json={"worker_id": leader}).status_code == 200
    caller, today = employer_caller(employer_id), today_in_china()

    def resignation(session: Session) -> None:
        resign(session, caller, leader, {"date": today, "reason": None, "evidence_id": None}, today)

    def naming(session: Session) -> None:
        name_leader(session, caller, team.id, successor)
    interleave(registry, resignation, naming, pause=Team)
    with registry.db.engine.connect() as conn:
        now = conn.execute(text("SELECT leader_worker_id, version FROM teams WHERE id = :i"), {"i": team.id}).one()
    assert tuple(now) == (successor, 3)
