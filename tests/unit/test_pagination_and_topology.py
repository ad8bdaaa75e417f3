"""Cursors of paged lists, and the names and arguments of every exchange and queue."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from realname_kit.bus.topology import Binding, QueueSpec, Topology, declared_queues, publishers, queues_of, subscribers
from realname_kit.pagination import cursor_position, decode_cursor, encode_cursor, seq_after
from realname_kit.problems import Problem
from realname_kit.service import load_spec
from realname_kit.settings import Settings

positions = st.dictionaries(
    st.text(max_size=10),
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    max_size=5,
)

ENTERPRISES = QueueSpec("assignment", "enterprises", (Binding("registry", "enterprise.registered"),))


# --- cursors ----------------------------------------------------------------------------------------------

@given(position=positions)
def test_a_cursor_gives_back_the_position_it_was_made_from(position: dict[str, Any]) -> None:
    assert decode_cursor(encode_cursor(position)) == position


def test_a_cursor_is_url_safe_and_unpadded() -> None:
    cursor = encode_cursor({"at": "2026-01-01T00:00:00+00:00", "id": "福州?&/"})
    assert set(cursor) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


@pytest.mark.parametrize("cursor", [None, ""])
def test_no_cursor_means_the_first_page(cursor: str | None) -> None:
    assert decode_cursor(cursor) is None


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


GOOD = encode_cursor({"at": "2026-01-01T00:00:00+00:00", "id": "e-1"})


@pytest.mark.parametrize("cursor", [
    GOOD[:-4],                     # truncated
    GOOD[:5] + "!!" + GOOD[7:],    # characters outside base64 replaced
    "a",                           # impossible base64 length
    "!!!!",                        # nothing but noise
    "福州",                        # not ASCII
    _b64(b"not json"),
    _b64(b"\xff\xfe\xfd"),         # not UTF-8
    _b64(b"[1, 2]"),               # JSON, not an object
    _b64(b'"text"'),
    _b64(b"null"),
    _b64(b"NaN"),
], ids=repr)
def test_a_tampered_or_garbage_cursor_is_a_400_cursor_invalid_problem(cursor: str) -> None:
    with pytest.raises(Problem) as refused:
        decode_cursor(cursor)
    assert refused.value.status == 400
    assert refused.value.reason == "cursor_invalid"


@pytest.mark.parametrize("after", [2**63, 10**30, -1, 1.0, "7", True, None, [7], {"after": 7}], ids=repr)
def test_a_seq_position_is_a_non_negative_bigint_and_nothing_else(after: Any) -> None:
    with pytest.raises(Problem) as refused:
        seq_after(encode_cursor({"after": after}))
    assert refused.value.reason == "cursor_invalid"
    assert refused.value.message_zh


def test_the_largest_bigint_is_a_position() -> None:
    assert seq_after(encode_cursor({"after": 2**63 - 1})) == 2**63 - 1


def test_a_timestamp_position_comes_back_parsed_with_its_offset() -> None:
    position = cursor_position(GOOD, {"at": datetime, "id": str})
    assert position == {"at": datetime(2026, 1, 1, tzinfo=UTC), "id": "e-1"}


@pytest.mark.parametrize("position", [
    {"at": "2026-01-01T00:00:00", "id": "e-1"},          # no offset
    {"at": "yesterday", "id": "e-1"},
    {"at": "2026-01-01T00:00:00+00:00", "id": "e\x00"},  # PostgreSQL holds no NUL
    {"at": "2026-01-01T00:00:00+00:00"},                  # a field missing
    {"at": "2026-01-01T00:00:00+00:00", "id": "e-1", "x": 1},  # a field too many
], ids=repr)
def test_a_position_of_another_shape_is_refused(position: dict[str, Any]) -> None:
    with pytest.raises(Problem) as refused:
        cursor_position(encode_cursor(position), {"at": datetime, "id": str})
    assert refused.value.reason == "cursor_invalid"


# --- topology names ---------------------------------------------------------------------------------------

def test_the_exchange_of_a_publisher_is_named_under_the_prefix() -> None:
    assert Topology(prefix="t1.").exchange_name("registry") == "t1.registry.events"


def test_a_queue_is_named_by_consumer_and_purpose_under_the_prefix() -> None:
    assert Topology(prefix="t1.").queue_name(ENTERPRISES) == "t1.assignment.enterprises"


def test_without_a_prefix_the_names_are_bare() -> None:
    topology = Topology()
    assert topology.exchange_name("registry") == "registry.events"
    assert topology.queue_name(ENTERPRISES) == "assignment.enterprises"
    assert topology.dead_letter_exchange_name == "dead-letters"


def test_the_exchange_is_a_durable_topic_exchange() -> None:
    exchange = Topology(prefix="t1.").exchange("registry")
    assert exchange.name == "t1.registry.events"
    assert exchange.type == "topic"
    assert exchange.durable


def test_the_dead_letter_exchange_is_a_durable_direct_exchange_under_the_prefix() -> None:
    exchange = Topology(prefix="t1.").dead_letter_exchange()
    assert exchange.name == "t1.dead-letters"
    assert exchange.type == "direct"
    assert exchange.durable


def test_the_dead_letter_queue_sits_behind_the_dead_letter_exchange_keyed_by_the_queue_name() -> None:
    dead = Topology(prefix="t1.").dead_letter_queue(ENTERPRISES)
    assert dead.name == "t1.assignment.enterprises.dead"
    assert dead.exchange.name == "t1.dead-letters"
    assert dead.routing_key == "t1.assignment.enterprises"
    assert dead.durable
    assert dead.queue_arguments == {"x-queue-type": "quorum"}


def test_a_queue_is_bound_to_the_publishers_exchange_by_event_type() -> None:
    queue = Topology(prefix="t1.").queue(ENTERPRISES)
    assert [(b.exchange.name, b.routing_key) for b in queue.bindings] == [
        ("t1.registry.events", "enterprise.registered")]
    assert queue.durable


def test_a_queue_is_a_quorum_queue_that_dead_letters_at_least_once_after_its_delivery_limit() -> None:
    queue = Topology(prefix="t1.", delivery_limit=7).queue(ENTERPRISES)
    assert queue.name == "t1.assignment.enterprises"
    assert queue.queue_arguments == {
        "x-queue-type": "quorum",
        "x-delivery-limit": 7,
        "x-dead-letter-exchange": "t1.dead-letters",
        "x-dead-letter-routing-key": "t1.assignment.enterprises",
        "x-dead-letter-strategy": "at-least-once",
        "x-overflow": "reject-publish",
    }


def test_every_exchange_is_declared_once_per_publisher_plus_the_dead_letter_exchange() -> None:
    names = [e.name for e in Topology(prefix="t1.").all_exchanges()]
    assert names == [f"t1.{p}.events" for p in publishers()] + ["t1.dead-letters"]


def test_every_queue_comes_with_its_dead_letter_queue_and_its_wait_queues() -> None:
    names = [q.name for q in Topology(prefix="t1.").all_queues()]
    expected = []
    for spec in declared_queues():
        name = f"t1.{spec.consumer}.{spec.purpose}"
        expected += [name, f"{name}.dead", *(f"{name}.wait-{w}s" for w in spec.waits)]
    assert names == expected


def test_the_queues_of_one_consumer_are_only_its_own() -> None:
    names = [q.name for q in Topology().all_queues("assignment")]
    assert names and all(n.startswith("assignment.") for n in names)


# --- the declared queues ----------------------------------------------------------------------------------

def test_queue_names_are_unique() -> None:
    names = [Topology().queue_name(spec) for spec in declared_queues()]
    assert len(names) == len(set(names))


@pytest.mark.parametrize("spec", declared_queues(), ids=lambda s: f"{s.consumer}.{s.purpose}")
def test_every_queue_binds_only_events_of_declared_publishers(spec: QueueSpec) -> None:
    assert spec.bindings
    assert all(b.publisher in publishers() for b in spec.bindings)


@pytest.mark.parametrize("spec", declared_queues(), ids=lambda s: f"{s.consumer}.{s.purpose}")
def test_every_event_type_a_queue_binds_has_a_handler_in_the_consuming_service(spec: QueueSpec,
                                                                               tmp_path: Path) -> None:
    settings = Settings.from_env({"REALNAME_DATA_DIR": str(tmp_path)})
    assert spec.event_types <= set(load_spec(spec.consumer).handlers_for(settings))


def test_subscribers_of_an_event_are_exactly_the_queues_that_bind_it() -> None:
    enterprise_registered = Binding("registry", "enterprise.registered")
    assert {(s.consumer, s.purpose) for s in subscribers("registry", "enterprise.registered")} == {
        (s.consumer, s.purpose) for s in declared_queues() if enterprise_registered in s.bindings}
    assert list(subscribers("identity", "enterprise.registered")) == []


def test_queues_of_a_service_are_those_it_consumes() -> None:
    assert queues_of("nobody") == ()
    for spec in declared_queues():
        assert spec in queues_of(spec.consumer)
