"""What would grow for ever is pruned past its retention, on real PostgreSQL: a million published outbox rows go
in short batches while the relay keeps publishing; what is recent, or not yet published, stays."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence

from sqlalchemy import text

from realname_kit.bus.confirming_publisher import OutgoingMessage
from realname_kit.bus.relay import Relay
from realname_kit.pruning import Pruner
from realname_kit.service import load_spec
from tests.support.stack import Stack, eventually

MILLION = 1_000_000


class Recorder:
    """A publisher that the broker confirms at once, noting when each message went."""

    def __init__(self) -> None:
        self.sent: dict[str, float] = {}

    def publish(self, messages: Sequence[OutgoingMessage], *, timeout: float = 30.0) -> None:
        now = time.monotonic()
        self.sent.update({m.message_id: now for m in messages})


def bulk(stack: Stack, service: str, sql: str) -> None:
    with stack.db(service).engine.begin() as conn:
        conn.execute(text(sql))


def test_a_million_published_outbox_rows_are_pruned_in_short_batches_while_the_relay_publishes(
        stack: Stack) -> None:
    stack.migrate("assignment")
    old, fresh = "now() - interval '30 days'", "now() - interval '1 hour'"
    bulk(stack, "assignment", f"""
        INSERT INTO outbox (id, type, version, occurred_at, source, payload, created_at, published_at)
        SELECT 'e' || i, 'thing.happened', 1, '2026-01-01', 'assignment', '{{}}', {old},
               CASE WHEN i <= {MILLION} THEN {old} WHEN i <= {MILLION} + 1000 THEN {fresh} END
        FROM generate_series(1, {MILLION} + 2000) AS i""")  # the last 1,000: not published yet
    # (ids in order, as a service's are in time: a million random ones take the index three times as long)
    bulk(stack, "assignment", f"""
        INSERT INTO inbox (queue, message_id, type, handled_at)
        SELECT 'q' || (i % 3), 'm' || i, 't', CASE WHEN i <= 100000 THEN now() - interval '60 days'
                                                       ELSE {fresh} END
        FROM generate_series(1, 101000) AS i;
        INSERT INTO idempotency_keys (subject, key, fingerprint, status, body, created_at)
        SELECT 's' || (i % 7), 'k' || i, 'f', 201, '{{}}', CASE WHEN i <= 50000 THEN {old} ELSE {fresh} END
        FROM generate_series(1, 51000) AS i""")
    db = stack.db("assignment")
    spec = load_spec("assignment")
    publisher = Recorder()
    relay = Relay(db, spec.outbox_table, publisher, "assignment.events", batch_size=500, idle_seconds=0.01)
    stop, stop_writing = threading.Event(), threading.Event()
    written: dict[str, float] = {}

    def work() -> None:  # the service keeps changing things while the pruner runs
        while not stop_writing.is_set():
            with db.transaction() as session:
                envelope = spec.outbox.record(session, "thing.happened", {"n": len(written)})
            written[envelope.id] = time.monotonic()
            stop_writing.wait(0.02)

    writer, relaying = threading.Thread(target=work), threading.Thread(target=relay.run, args=(stop,))
    relaying.start()
    writer.start()
    started = time.monotonic()
    try:
        pruned = Pruner(db, [(spec.outbox_table, "published_at", 24 * 7), (spec.inbox_table, "handled_at", 24 * 30),
                             (spec.metadata.tables["idempotency_keys"], "created_at", 72)], batch=5000).prune_once()
        took = time.monotonic() - started
    finally:
        stop_writing.set()
        writer.join()
        try:
            eventually(lambda: set(written) <= set(publisher.sent), timeout=10)
        finally:
            stop.set()
            relaying.join()

    assert (pruned["outbox"].rows, pruned["inbox"].rows, pruned["idempotency_keys"].rows) == (MILLION, 100000, 50000)
    assert pruned["outbox"].batches >= MILLION // 5000
    assert pruned["outbox"].longest_batch < 2.0, pruned  # each batch a short transaction
    assert len(written) > took / 0.1, (len(written), took)  # the service went on writing meanwhile
    waits = [publisher.sent[m] - at for m, at in written.items()]
    assert max(waits) < 2.0, max(waits)  # and the relay went on publishing: nothing waited for the pruner
    assert stack.count("assignment", "SELECT count(*) FROM outbox WHERE published_at IS NULL") == 0
    assert stack.count("assignment", "SELECT count(*) FROM outbox") == 2000 + len(written)
    assert stack.count("assignment", "SELECT count(*) FROM inbox") == 1000
    assert stack.count("assignment", "SELECT count(*) FROM idempotency_keys") == 1000


def test_the_gateway_prunes_expired_challenges_and_refresh_tokens_a_day_after_they_expire(stack: Stack) -> None:
    stack.migrate("gateway")
    bulk(stack, "gateway", """
        INSERT INTO challenges (nonce, expires_at) SELECT md5(i::text),
            CASE WHEN i <= 20000 THEN now() - interval '2 days' ELSE now() - interval '1 hour' END
        FROM generate_series(1, 20500) AS i;
        INSERT INTO refresh_tokens (token_hash, family, subject, principal, expires_at)
        SELECT md5(i::text), md5((i / 3)::text), 'acct', 'account',
            CASE WHEN i <= 9000 THEN now() - interval '3 days' ELSE now() + interval '10 days' END
        FROM generate_series(1, 10000) AS i""")
    spec = load_spec("gateway")
    pruned = Pruner.for_service(stack.db("gateway"), dict(spec.metadata.tables), spec.retentions,
                                stack.settings).prune_once()
    assert (pruned["challenges"].rows, pruned["refresh_tokens"].rows) == (20000, 9000)
    assert stack.count("gateway", "SELECT count(*) FROM challenges") == 500  # expired an hour ago: kept a day
    assert stack.count("gateway", "SELECT count(*) FROM refresh_tokens") == 1000
    assert stack.count("gateway", "SELECT count(*) FROM refresh_tokens WHERE expires_at < now()") == 0


def test_a_pruner_stops_between_batches_when_asked(stack: Stack) -> None:
    stack.migrate("assignment")
    bulk(stack, "assignment", """
        INSERT INTO inbox (queue, message_id, type, handled_at)
        SELECT 'q', md5(i::text), 't', now() - interval '60 days' FROM generate_series(1, 3000) AS i""")
    spec = load_spec("assignment")
    stop = threading.Event()
    stop.set()
    pruned = Pruner(stack.db("assignment"), [(spec.inbox_table, "handled_at", 1.0)], batch=1000).prune_once(stop)
    assert pruned["inbox"].rows == 0
    assert Pruner(stack.db("assignment"), [(spec.inbox_table, "handled_at", 1.0)], batch=1000
                  ).prune_once()["inbox"].rows == 3000
