"""Excel import of workers and of a whole team (R10), through the registry's HTTP API on PostgreSQL."""

from __future__ import annotations

import io
import subprocess
import time
import uuid
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from kombu import Connection
from openpyxl import load_workbook

from realname_registry.app import create_app
from tests.support.sheets import padded, workbook
from tests.support.stack import Stack, eventually
from tests.support.tokens import bearer
from tests.support.workers import Client, add_project, award_contract, worker_body

IMPORTS = "/api/v1/registry/imports"


@dataclass
class World:
    stack: Stack
    app: Flask
    project: str
    team: str
    team_name: str
    employer: Client


@pytest.fixture
def world(stack: Stack) -> World:
    stack.migrate("registry")
    app = create_app(stack.settings, stack.db("registry"))
    employer_id = str(uuid.uuid4())
    employer = Client(app.test_client(), bearer(stack.settings, "labour", enterprise_id=employer_id))
    project = add_project(stack.db("registry"), contractors=[employer_id])
    team = employer.post("/api/v1/registry/teams", json={"project_id": project, "name": "泥工一班"}).get_json()
    return World(stack, app, project, team["id"], team["name"], employer)


def upload(world: World, content: bytes, **form: str) -> tuple[int, dict[str, Any]]:
    data = {"file": (io.BytesIO(content), "工人导入.xlsx"), "kind": "workers", "project_id": world.project, **form}
    response = world.employer.post(IMPORTS, data=data, content_type="multipart/form-data")
    return response.status_code, response.get_json()


def test_valid_rows_are_registered_and_invalid_rows_come_back_with_reasons_in_chinese(world: World) -> None:
    good = [worker_body(None) for _ in range(3)]
    bad = worker_body(None, number="310104198503151234")
    status, job = upload(world, workbook([good[0], bad, good[1], good[2]], team_name=world.team_name))
    assert status == 201, job
    assert (job["status"], job["registered"], job["failed"], job["total_rows"]) == ("done", 3, 1, 4)
    errors = world.employer.get(job["errors_url"])
    sheet = load_workbook(io.BytesIO(errors.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "原行号" and rows[0][-1] == "错误原因"
    assert len(rows) == 2 and rows[1][0] == 3  # the bad row was the sheet's third row
    assert "校验" in rows[1][-1] or "身份证" in rows[1][-1]
    assert world.stack.count("registry", "SELECT count(*) FROM employments") == 3


def test_uploading_the_same_file_again_registers_nobody_twice(world: World) -> None:
    content = workbook([worker_body(None) for _ in range(2)], team_name=world.team_name)
    first_status, first = upload(world, content)
    again_status, again = upload(world, content)
    assert (first_status, again_status) == (201, 200) and again["id"] == first["id"]
    assert world.stack.count("registry", "SELECT count(*) FROM employments") == 2


def test_a_corrected_file_counts_the_rows_already_registered_apart_from_failures(world: World) -> None:
    rows = [worker_body(None) for _ in range(2)]
    upload(world, workbook(rows[:1], team_name=world.team_name))
    status, job = upload(world, workbook(rows, team_name=world.team_name))
    assert status == 201
    assert (job["registered"], job["already_registered"], job["failed"]) == (1, 1, 0)
    assert world.stack.count("registry", "SELECT count(*) FROM employments") == 2


def test_a_team_unknown_on_the_project_fails_its_row_naming_the_teams_there(world: World) -> None:
    status, job = upload(world, workbook([worker_body(None)], team_name="不存在的班"))
    assert status == 201 and job["failed"] == 1
    sheet = load_workbook(io.BytesIO(world.employer.get(job["errors_url"]).data)).active
    reason = list(sheet.iter_rows(values_only=True))[1][-1]
    assert "不存在的班" in reason and world.team_name in reason


def test_a_team_import_puts_every_row_in_the_team_and_names_its_leader(world: World) -> None:
    bodies = [worker_body(None) for _ in range(3)]
    bodies[1]["team_leader"] = True
    content = workbook(bodies, kind="team")
    status, job = upload(world, content, kind="team", team_id=world.team)
    assert status == 201 and job["registered"] == 3, job
    team = world.employer.get(f"/api/v1/registry/teams/{world.team}").get_json()
    assert team["members"] == 3 and team["leader_name"] == bodies[1]["identity"]["name"]


def test_a_file_that_is_not_a_workbook_is_refused_and_changes_nothing(world: World) -> None:
    status, problem = upload(world, "姓名,身份证号码\n张三,1".encode())
    assert status == 415 and problem["reason"] == "not_an_xlsx"
    assert world.stack.count("registry", "SELECT count(*) FROM import_jobs") == 0


def test_a_sheet_without_the_required_columns_fails_as_a_whole_naming_them(world: World) -> None:
    from openpyxl import Workbook
    book = Workbook()
    book.active.append(["姓名", "身份证号码"])
    book.active.append(["张三", "110105194912310029"])
    out = io.BytesIO()
    book.save(out)
    status, job = upload(world, out.getvalue())
    assert status == 201 and job["status"] == "failed"
    assert job["failure"]["reason"] in ("columns_missing", "header_missing")


def test_the_template_comes_with_chinese_headers(world: World) -> None:
    response = world.employer.get(f"{IMPORTS}/template", query_string={"kind": "workers"})
    headers = next(load_workbook(io.BytesIO(response.data)).active.iter_rows(values_only=True))
    assert {"姓名", "身份证号码", "劳动合同编号", "工资卡号", "班组"} <= set(headers)


def test_a_large_file_runs_as_a_job_through_the_bus_with_progress(world: World) -> None:
    world.stack.declare()
    world.stack.spawn("relay", "registry")
    world.stack.spawn("consumer", "registry")
    content = workbook([worker_body(None) for _ in range(1200)], team_name=world.team_name)
    assert len(content) > 64 * 1024
    status, job = upload(world, content)
    assert status == 202 and job["status"] == "queued"

    def finished() -> dict[str, Any] | None:
        seen = world.employer.get(f"{IMPORTS}/{job['id']}").get_json()
        return seen if seen["status"] == "done" else None

    done = eventually(finished, timeout=120, interval=0.5)
    assert (done["registered"], done["failed"], done["progress"]) == (1200, 0, 1.0)
    assert world.stack.count("registry", "SELECT count(*) FROM employments") == 1200
    assert world.stack.count("registry", "SELECT count(*) FROM import_rows WHERE payload_enc IS NOT NULL") == 0


def test_a_workbook_that_unpacks_a_thousand_fold_is_refused_at_upload_saying_what_to_do(world: World) -> None:
    bomb = padded(workbook([worker_body(None)], team_name=world.team_name), 400_000, numbered=False)
    status, problem = upload(world, bomb)
    assert status == 413 and problem["reason"] == "workbook_too_large", problem
    assert "空白行" in problem["message_zh"]
    assert world.stack.count("registry", "SELECT count(*) FROM import_jobs") == 0


def employer_with_team(world: World) -> tuple[Client, str]:
    """Another labour company, awarded a contract on the project (R21), with a team there."""
    employer_id = str(uuid.uuid4())
    award_contract(world.stack.db("registry"), world.project, employer_id)
    employer = Client(world.app.test_client(), bearer(world.stack.settings, "labour", enterprise_id=employer_id))
    team = employer.post("/api/v1/registry/teams", json={"project_id": world.project, "name": "钢筋一班"}).get_json()
    return employer, team["name"]


def queued(world: World, employer: Client, content: bytes) -> str:
    answer = employer.post(IMPORTS, data={"file": (io.BytesIO(content), "工人导入.xlsx"), "kind": "workers",
                                          "project_id": world.project}, content_type="multipart/form-data")
    assert answer.status_code == 202, answer.get_json()
    return str(answer.get_json()["id"])


def finished(employer: Client, job_id: str) -> dict[str, Any]:
    def done() -> dict[str, Any] | None:
        job: dict[str, Any] = employer.get(f"{IMPORTS}/{job_id}").get_json()
        return job if job["status"] in ("done", "failed") else None
    found: dict[str, Any] = eventually(done, timeout=240, interval=0.2)
    return found


def import_consumer(world: World) -> subprocess.Popen[bytes]:
    """The registry's consumer, once it consumes, after the relay has published everything there is."""
    consumer = world.stack.spawn("consumer", "registry")
    queue = world.stack.queue_name("registry", "imports")
    eventually(lambda: world.stack.count("registry", "SELECT count(*) FROM outbox WHERE published_at IS NULL") == 0
               and _consumers(world, queue) > 0, timeout=90, interval=0.1)
    return consumer


def _consumers(world: World, queue: str) -> int:
    with Connection(world.stack.amqp) as conn:
        _, _, consumers = conn.default_channel.queue_declare(queue=queue, passive=True)
        return int(consumers)


def test_one_employers_padded_workbooks_do_not_hold_up_another_employers_import(world: World) -> None:
    world.stack.declare()
    world.stack.spawn("relay", "registry")
    other, other_team = employer_with_team(world)
    consumer = import_consumer(world)
    started = time.monotonic()
    first = finished(other, queued(world, other, workbook([worker_body(None) for _ in range(1200)],
                                                          team_name=other_team)))
    alone = time.monotonic() - started
    assert first["registered"] == 1200
    consumer.kill()
    consumer.wait()

    # Three workbooks of 20 rows formatted down to row 300,022 (~800 KB each, 14 MB unpacked) are queued first.
    padded_jobs = [queued(world, world.employer, padded(workbook([worker_body(None) for _ in range(20)],
                                                                 team_name=world.team_name), 300_000))
                   for _ in range(3)]
    second_job = queued(world, other, workbook([worker_body(None) for _ in range(1200)], team_name=other_team))
    import_consumer(world)
    started = time.monotonic()
    second = finished(other, second_job)
    behind = time.monotonic() - started
    padded_done = [finished(world.employer, job_id) for job_id in padded_jobs]

    assert second["registered"] == 1200 and [j["registered"] for j in padded_done] == [20, 20, 20]
    assert second["finished_at"] < max(j["finished_at"] for j in padded_done)  # the employers took turns
    assert behind < 2 * alone + 5, f"alone {alone:.1f} s, behind three padded workbooks {behind:.1f} s"
