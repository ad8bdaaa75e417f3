"""The bus is assembled from what each service declares: the kit names and declares, and knows no service."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import MetaData

from realname_kit.bus.topology import (
    EVERY_PUBLISHER,
    Binding,
    QueueSpec,
    assemble,
    declared_queues,
    publishers,
    queues_of,
)
from realname_kit.service import PLATFORM, ServiceSpec, platform_specs


def spec(name: str, *queues: QueueSpec, publishers: list[str] | None = None) -> ServiceSpec:
    return ServiceSpec(name=name, title=name, metadata=MetaData(), blueprints=[], migrations=Path("."),
                       queues=list(queues), publishers=publishers)


def test_every_queue_is_declared_by_exactly_one_spec_its_consumers() -> None:
    for queue in declared_queues():
        declaring = [s.name for s in platform_specs()
                     if any((q.consumer, q.purpose) == (queue.consumer, queue.purpose) for q in s.queues)]
        assert declaring == [queue.consumer]


def test_the_queues_of_a_service_are_those_its_spec_declares() -> None:
    for service in platform_specs():
        assert [q.purpose for q in queues_of(service.name)] == [q.purpose for q in service.queues]


def test_every_spec_of_the_platform_is_assembled() -> None:
    assert [s.name for s in platform_specs()] == list(PLATFORM)


def test_a_service_publishes_on_its_own_exchange_unless_it_says_otherwise() -> None:
    assert spec("a").declared_publishers == ("a",)
    assert spec("a", publishers=[]).declared_publishers == ()
    assert spec("a", publishers=["a", "device"]).declared_publishers == ("a", "device")


def test_a_binding_from_every_publisher_binds_the_event_of_each_declared_publisher() -> None:
    audit = QueueSpec("b", "audit", (Binding(EVERY_PUBLISHER, "audit.recorded"),))
    bus = assemble([spec("a", publishers=["a", "device"]), spec("b", audit, publishers=[]), spec("c")])
    assert bus.publishers == ("a", "device", "c")
    assert bus.queues[0].bindings == tuple(Binding(p, "audit.recorded") for p in ("a", "device", "c"))


def test_the_platform_audit_log_hears_every_publisher() -> None:
    audit = next(q for q in declared_queues() if "audit.recorded" in q.event_types)
    assert {b.publisher for b in audit.bindings} == set(publishers())


def test_a_spec_declaring_a_queue_of_another_service_is_refused() -> None:
    with pytest.raises(ValueError, match="of another service"):
        assemble([spec("a", QueueSpec("b", "things", (Binding("a", "thing.done"),)))])


def test_a_queue_declared_twice_is_refused() -> None:
    queue = QueueSpec("a", "things", (Binding("a", "thing.done"),))
    with pytest.raises(ValueError, match="twice"):
        assemble([spec("a", queue, queue)])


def test_a_publisher_declared_by_two_services_is_refused() -> None:
    with pytest.raises(ValueError, match="two services"):
        assemble([spec("a", publishers=["a", "device"]), spec("b", publishers=["b", "device"])])


def test_a_binding_from_a_publisher_no_service_declares_is_refused() -> None:
    with pytest.raises(ValueError, match="no service declares"):
        assemble([spec("a", QueueSpec("a", "things", (Binding("nobody", "thing.done"),)))])
