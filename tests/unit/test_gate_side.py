"""All-in-one mode's gate side: which queues live on the gate broker, and what happens when it does not answer."""

from __future__ import annotations

from realname_attendance.settings import gate_broker_url
from realname_kit.bus.topology import queues_of
from realname_kit.settings import Settings
from realname_launcher.gate_side import from_gates, with_gate_broker
from tests.support.infra import free_port


def test_only_the_queues_gates_publish_to_live_on_the_gate_broker() -> None:
    on_the_broker = {q.purpose for q in queues_of("attendance") if from_gates(q)}
    assert on_the_broker == {"gate-reports", "gate-acks", "punches"}
    assert not any(from_gates(q) for service in ("identity", "registry", "assignment", "reporting")
                   for q in queues_of(service))


def test_the_gate_broker_is_the_platform_broker_unless_set() -> None:
    amqp = "amqp://guest:guest@mq.example.org:5672/%2F"
    assert gate_broker_url(Settings.from_env({"REALNAME_AMQP_URL": amqp})) == amqp
    assert gate_broker_url(Settings.from_env({"REALNAME_GATE_AMQP_URL": amqp})) == amqp
    assert gate_broker_url(Settings.from_env({})) == ""


def test_a_gate_broker_that_does_not_answer_leaves_all_in_one_without_gates() -> None:
    nobody = f"amqp://guest:guest@127.0.0.1:{free_port()}/%2F"
    settings = with_gate_broker(Settings.from_env({"REALNAME_GATE_AMQP_URL": nobody}))
    assert gate_broker_url(settings) == ""


def test_without_a_gate_broker_nothing_is_asked() -> None:
    settings = Settings.from_env({})
    assert with_gate_broker(settings) is settings
