"""The outbox relay: several at once publish every row exactly once; correlation ids travel with events."""

from __future__ import annotations

import json
import signal

from kombu import Connection, Queue

from realname_kit.logs import correlated
from realname_registry.app import create_app
from realname_registry.models import OUTBOX
from tests.support.stack import Stack, eventually
from tests.support.tokens import bearer

PENDING = "SELECT count(*) FROM outbox WHERE published_at IS NULL"


def test_three_relays_at_once_publish_each_of_3000_events_exactly_once(stack: Stack) -> None:
    stack.migrate("registry", "assignment")
    stack.declare()
    queue = stack.queue_name("assignment", "enterprises")
    db = stack.db("registry")
    for batch in range(30):
        with db.transaction() as session:
            OUTBOX.record_many(session, "enterprise.registered", [{"n": batch * 100 + i} for i in range(100)])
    relays = [stack.spawn("relay", "registry", REALNAME_RELAY_BATCH="50") for _ in range(3)]
    eventually(lambda: stack.count("registry", PENDING) == 0, timeout=60)
    for relay in relays:
        relay.send_signal(signal.SIGTERM)
        assert relay.wait(timeout=30) == 0
    assert stack.queue_depth(queue) == 3000  # none twice, none lost
    assert stack.count("registry", "SELECT count(DISTINCT id) FROM outbox WHERE published_at IS NOT NULL") == 3000


def test_the_correlation_id_of_a_request_travels_with_the_event_it_causes(stack: Stack) -> None:
    stack.migrate("registry", "assignment")
    stack.declare()
    queue = stack.queue_name("assignment", "enterprises")
    client = create_app(stack.settings, stack.db("registry")).test_client()
    response = client.post("/api/v1/registry/enterprises",
                           headers={"X-Correlation-ID": "req-7f3a", **bearer(stack.settings, "service")},
                           json={"name": "上海建工劳务有限公司", "uscc": "91350100M000100Y43", "kind": "labour"})
    assert response.status_code == 201
    assert response.headers["X-Correlation-ID"] == "req-7f3a"
    stack.spawn("relay", "registry")
    eventually(lambda: stack.queue_depth(queue) == 1)
    with Connection(stack.amqp) as conn:
        message = Queue(queue, no_declare=True)(conn.default_channel).get(no_ack=False)
        assert message.properties["correlation_id"] == "req-7f3a"
        envelope = json.loads(message.body)
        assert envelope["correlation_id"] == "req-7f3a"
        assert envelope["type"] == "enterprise.registered" and envelope["source"] == "registry"
        assert set(envelope) == {"id", "type", "version", "occurred_at", "source", "correlation_id", "data"}
        message.requeue()


def test_events_recorded_outside_a_request_get_no_borrowed_correlation_id(stack: Stack) -> None:
    stack.migrate("registry")
    with correlated("job-1"), stack.db("registry").transaction() as session:
        first = OUTBOX.record(session, "enterprise.registered", {"n": 1})
    with stack.db("registry").transaction() as session:
        second = OUTBOX.record(session, "enterprise.registered", {"n": 2})
    assert first.correlation_id == "job-1"
    assert second.correlation_id is None
