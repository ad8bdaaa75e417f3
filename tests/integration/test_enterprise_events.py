"""An enterprise registered in the registry reaches assignment and reporting through the real bus."""

from __future__ import annotations

from realname_registry.enterprises import register_enterprise
from tests.support.stack import Stack, eventually

USCC = "91350100M000100Y43"


def test_a_registered_enterprise_arrives_in_assignment_and_reporting_once(stack: Stack) -> None:
    stack.migrate()
    stack.declare()
    for command, service in [("relay", "registry"), ("consumer", "assignment"), ("consumer", "reporting")]:
        stack.spawn(command, service)
    enterprise = register_enterprise(stack.db("registry"), "上海建工劳务有限公司", USCC, "labour")

    eventually(lambda: stack.count("assignment", "SELECT count(*) FROM parties WHERE enterprise_id = :i",
                                   i=enterprise.id) == 1)
    eventually(lambda: stack.count("reporting", "SELECT count(*) FROM enterprise_directory") == 1)
    assert stack.count("registry", "SELECT count(*) FROM outbox WHERE published_at IS NULL") == 0
    assert stack.count("assignment", "SELECT count(*) FROM inbox") == 1
    assert stack.count("assignment", "SELECT unit_type = '006' FROM parties") == 1
