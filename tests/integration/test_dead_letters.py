"""Dead letters on real RabbitMQ and PostgreSQL: an import step that fails is dead-lettered and its job fails
with the reason; ``realname dead-letters`` lists it, shows it, and replays it after the fix, once. A step the
consumer stopped on at every delivery fails its job on the last delivery the broker allows."""

from __future__ import annotations

import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest
from kombu import Connection, Queue

from realname_kit.auth import Caller
from realname_kit.privacy import Keyring
from realname_registry.app import create_app
from realname_registry.imports.jobs import start_import
from realname_registry.models import ImportJob
from tests.support.sheets import workbook
from tests.support.stack import Stack, eventually
from tests.support.tokens import bearer
from tests.support.workers import Client, add_project, worker_body


def cli(stack: Stack, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "realname_launcher.cli", "dead-letters", *args],
                          env=stack.env(), capture_output=True, text=True, timeout=60, check=False)


def new_import(stack: Stack) -> str:
    """A job of one worker's row, asked for through the outbox, as a large upload is."""
    stack.migrate("registry")
    employer = str(uuid.uuid4())
    app = create_app(stack.settings, stack.db("registry"))
    client = Client(app.test_client(), bearer(stack.settings, "labour", enterprise_id=employer))
    project = add_project(stack.db("registry"), contractors=[employer])
    team = client.post("/api/v1/registry/teams", json={"project_id": project, "name": "泥工一班"}).get_json()
    caller = Caller(subject="clerk", enterprise_id=employer, roles=frozenset({"labour"}), kind="enterprise")
    job, created = start_import(stack.db("registry"), Keyring.from_settings(stack.settings), caller, kind="workers",
                                target=project, filename="工人导入.xlsx",
                                content=workbook([worker_body(None)], team_name=team["name"]))
    assert created
    return job.id


def job(stack: Stack, job_id: str) -> dict[str, Any]:
    with stack.db("registry").transaction() as session:
        found = session.query(ImportJob).filter_by(id=job_id).one()
        return {"status": found.status, "failure": found.failure, "registered": found.registered}


def dead_queue(stack: Stack) -> str:
    return f"{stack.queue_name('registry', 'imports')}.dead"


def test_a_failed_import_step_is_dead_lettered_listed_and_replayed_once_after_the_fix(
        stack: Stack, tmp_path: Path) -> None:
    job_id = new_import(stack)
    stack.declare()
    stack.spawn("relay", "registry")
    # The fault: a consumer deployed without the platform's personal-data keyring cannot open the file.
    wrong = stack.spawn("consumer", "registry", REALNAME_DATA_DIR=str(tmp_path / "elsewhere"))
    failed = eventually(lambda: (seen := job(stack, job_id))["status"] == "failed" and seen, timeout=90)
    assert failed["failure"]["reason"] == "import_interrupted"
    assert failed["failure"]["message_zh"] and failed["failure"]["error"]
    assert eventually(lambda: stack.queue_depth(dead_queue(stack)) == 1, timeout=30)

    listing = cli(stack, "list", "registry")
    assert listing.returncode == 0, listing.stderr
    assert "import.requested" in listing.stdout and dead_queue(stack)[:-5] in listing.stdout
    message_id = next(line.split()[1] for line in listing.stdout.splitlines() if "import.requested" in line)
    assert job_id not in listing.stdout  # bodies are shown only when asked for
    shown = cli(stack, "show", "registry", "imports", message_id)
    assert shown.returncode == 0 and job_id in shown.stdout and "x-realname-reason" in shown.stdout
    assert stack.queue_depth(dead_queue(stack)) == 1  # looking changed nothing

    wrong.kill()
    wrong.wait()
    stack.spawn("consumer", "registry")  # the fix: the consumer with the right keyring
    replayed = cli(stack, "replay", "registry", "imports", "--all")
    assert replayed.returncode == 0, replayed.stderr
    assert f"replayed {message_id}" in replayed.stdout
    done = eventually(lambda: (seen := job(stack, job_id))["status"] == "done" and seen, timeout=90)
    assert done["registered"] == 1 and done["failure"] is None
    assert stack.queue_depth(dead_queue(stack)) == 0
    assert stack.count("registry", "SELECT count(*) FROM inbox WHERE message_id = :m", m=message_id) == 1
    again = cli(stack, "replay", "registry", "imports", "--all")
    assert "nothing to replay" in again.stdout
    assert stack.count("registry", "SELECT count(*) FROM employments") == 1


def test_a_step_the_consumer_stopped_on_every_time_fails_its_job_on_its_last_delivery(stack: Stack) -> None:
    job_id = new_import(stack)
    stack.declare()
    relay = stack.spawn("relay", "registry")
    queue = stack.queue_name("registry", "imports")
    assert eventually(lambda: stack.queue_depth(queue) == 1, timeout=90)
    relay.kill()
    with Connection(stack.amqp) as conn:  # a consumer that dies on it: delivered, never acknowledged
        channel = conn.channel()
        for _ in range(stack.settings.delivery_limit):
            message = Queue(queue, no_declare=True)(channel).get(no_ack=False)
            assert message is not None
            message.reject(requeue=True)
    stack.spawn("consumer", "registry")
    failed = eventually(lambda: (seen := job(stack, job_id))["status"] == "failed" and seen, timeout=90)
    assert failed["failure"] == {**failed["failure"], "reason": "import_interrupted", "error": "delivery_limit"}
    assert eventually(lambda: stack.queue_depth(dead_queue(stack)) == 1, timeout=30)
    listing = cli(stack, "list", "registry", "--queue", "imports")
    assert "delivery_limit" in listing.stdout


@pytest.mark.parametrize(("command", "code", "said"), [
    (("list", "attendance"), 0, "no dead letters"),  # it consumes queues since the gates (issue 14)
    (("replay", "registry", "nosuch", "--all"), 2, "registry has no queue 'nosuch'; its queues: "),
    (("list", "registry"), 0, "no dead letters"),
])
def test_the_command_says_what_a_service_has(stack: Stack, command: tuple[str, ...], code: int, said: str) -> None:
    stack.declare()
    answer = cli(stack, *command)
    assert (answer.returncode, said in answer.stdout) == (code, True), answer.stdout + answer.stderr
