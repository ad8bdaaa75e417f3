"""The processes of distributed mode, and what ``--scale`` may ask of them."""

from __future__ import annotations

import pytest

from realname_kit.bus.topology import declared_queues, queues_of
from realname_kit.settings import SERVICE_PORTS, SERVICES, Settings
from realname_launcher.processes import ProcessKind, copies, parse_scale, process_kinds

# The platform's own processes; the authority's simulator (on by default, for development) is looked at apart.
SETTINGS = Settings.from_env({"REALNAME_AUTHORITY_SIM": "off"})
KINDS = process_kinds(SETTINGS, {})
KNOWN = {k.name for k in KINDS}


def _kind(name: str, kinds: list[ProcessKind] = KINDS) -> ProcessKind:
    return next(k for k in kinds if k.name == name)


def _workers(kind: ProcessKind) -> int:
    return int(kind.argv[kind.argv.index("--workers") + 1])


def _bind(kind: ProcessKind) -> str:
    return kind.argv[kind.argv.index("--bind") + 1]


def test_every_service_has_a_web_process_and_a_relay() -> None:
    for service in SERVICES:
        assert _kind(f"{service}-web").role == "web"
        assert _kind(f"{service}-relay").role == "relay"


def test_a_consumer_runs_exactly_for_the_services_that_have_queues() -> None:
    consumers = {k.service for k in KINDS if k.role == "consumer"}
    assert consumers == {s for s in SERVICES if queues_of(s)}
    assert consumers == {spec.consumer for spec in declared_queues()}


def test_the_gateway_has_a_web_process_and_starts_last() -> None:
    assert KINDS[-1].name == "gateway-web"
    assert KINDS[-1].role == "web"
    assert _bind(KINDS[-1]) == f"{SETTINGS.gateway_host}:{SETTINGS.gateway_port}"


def test_the_process_kinds_are_exactly_web_relay_and_consumers_plus_the_gateways_web_and_relay() -> None:
    expected = {f"{s}-{role}" for s in SERVICES for role in ("web", "relay")}
    expected |= {f"{s.consumer}-consumer" for s in declared_queues()}
    expected |= {"gateway-web", "gateway-relay"}  # the gateway's outbox carries login audit records
    assert expected == KNOWN
    assert len(KINDS) == len(KNOWN)


def test_every_kind_is_named_after_its_service_and_role() -> None:
    for kind in KINDS:
        assert kind.name == f"{kind.service}-{kind.role}"


@pytest.mark.parametrize("service", SERVICES)
def test_a_service_web_process_listens_on_the_port_of_its_url(service: str) -> None:
    assert _bind(_kind(f"{service}-web")) == f"127.0.0.1:{SERVICE_PORTS[service]}"


def test_a_service_url_override_moves_its_web_process() -> None:
    settings = Settings.from_env({"REALNAME_REGISTRY_URL": "http://127.0.0.1:9102"})
    assert _bind(_kind("registry-web", process_kinds(settings, {}))) == "127.0.0.1:9102"


def test_scaling_a_web_kind_sets_its_gunicorn_workers() -> None:
    kinds = process_kinds(SETTINGS, {"registry-web": 4, "gateway-web": 3})
    assert _workers(_kind("registry-web", kinds)) == 4
    assert _workers(_kind("gateway-web", kinds)) == 3
    assert _workers(_kind("identity-web", kinds)) == SETTINGS.web_workers


def test_a_web_kind_runs_in_one_process_whatever_the_scale() -> None:
    for kind in KINDS:
        if kind.role == "web":
            assert copies(kind, {kind.name: 8}) == 1
            assert copies(kind, {}) == 1


def test_a_consumer_or_relay_runs_as_many_copies_as_scaled_and_one_by_default() -> None:
    consumer = _kind("assignment-consumer")
    relay = _kind("registry-relay")
    assert copies(consumer, {"assignment-consumer": 3}) == 3
    assert copies(relay, {"registry-relay": 2}) == 2
    assert copies(consumer, {"registry-relay": 2}) == 1


def test_a_scale_of_known_kinds_is_parsed() -> None:
    assert parse_scale(["assignment-consumer=3", "registry-web=4"], KNOWN) == {
        "assignment-consumer": 3, "registry-web": 4}


def test_no_scale_is_an_empty_scale() -> None:
    assert parse_scale([], KNOWN) == {}


@pytest.mark.parametrize("item", ["nobody-consumer=2", "gateway-consumer=2", "assignment=2", "=2"])
def test_a_scale_of_an_unknown_kind_is_refused_listing_the_known_ones(item: str) -> None:
    with pytest.raises(ValueError, match="no process kind") as refused:
        parse_scale([item], KNOWN)
    assert "assignment-consumer" in str(refused.value)


@pytest.mark.parametrize("item", [
    "assignment-consumer=0", "assignment-consumer=-1", "assignment-consumer=three", "assignment-consumer=1.5",
    "assignment-consumer=", "assignment-consumer", "assignment-consumer= 2",
])
def test_a_count_that_is_not_a_whole_number_of_at_least_one_is_refused(item: str) -> None:
    with pytest.raises(ValueError, match="at least 1") as refused:
        parse_scale([item], KNOWN)
    assert str(refused.value).startswith(f"--scale {item}:")


def test_a_count_in_superscript_digits_is_refused_with_the_scale_message() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        parse_scale(["assignment-consumer=³"], KNOWN)


def test_the_authority_simulator_starts_first_when_on_and_not_at_all_when_off() -> None:
    with_simulator = process_kinds(Settings.from_env({}), {})
    assert with_simulator[0].name == "authority-sim" and with_simulator[0].role == "simulator"
    assert with_simulator[0].argv[-2:] == ("-m", "realname_identity.authority_sim")
    assert with_simulator[1:] == KINDS
    assert copies(with_simulator[0], {"authority-sim": 3}) == 1
