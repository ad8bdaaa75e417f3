"""Every endpoint × every role, against ``authorization_matrix.yaml``; an endpoint missing from it fails.

The roles log in once per module, on one platform (the gateway with every service in this process, on real
PostgreSQL). See the matrix file for the roles, what "own" and "foreign" objects are, and the placeholders.
"""

from __future__ import annotations

import base64
import io
import itertools
import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from flask import Flask
from sqlalchemy import select

from realname_assignment.models import Contract, Party, Project
from realname_assignment.workers import worker_handlers
from realname_attendance.models import Admission, Bridge, Gate
from realname_attendance.projects import project_handlers
from realname_attendance.punch_photos import keep_punch_photo
from realname_attendance.workers import worker_handlers as attendance_workers
from realname_codes.roles import ADMIN, REGULATOR
from realname_codes.uscc import organisation_code_check_character, uscc_check_character
from realname_gateway.app import create_app as create_gateway
from realname_gateway.auth.accounts import create_account
from realname_gateway.auth.context import AuthContext
from realname_gateway.certs.devca import sign_nonce
from realname_gateway.upstream import WsgiUpstream
from realname_kit.bus.envelope import Envelope
from realname_kit.privacy.keyring import shared_keyring
from realname_kit.service import load_spec
from realname_kit.settings import SERVICES, Settings
from realname_kit.timeutil import utcnow
from realname_kit.web import create_service_app
from realname_launcher.platform import ensure_development_secrets
from realname_registry.models import Enterprise
from realname_registry.projects import learn_project
from tests.support import face_photos
from tests.support.cards import card_of, person
from tests.support.documents import pdf
from tests.support.platform import Platform, bearer
from tests.support.sheets import workbook
from tests.support.stack import Stack
from tests.support.workers import award_contract, id_number, worker_body

MATRIX_FILE = Path(__file__).with_name("authorization_matrix.yaml")
MATRIX: dict[str, Any] = yaml.safe_load(MATRIX_FILE.read_text(encoding="utf-8"))
ROLES: list[str] = MATRIX["roles"]
OPERATIONS = ("get", "put", "post", "patch", "delete", "head", "options", "trace")
PASSWORD = "correct horse 42"
PHONE = "13812345678"
OWN, FOREIGN = "own", "foreign"

LABOUR_A = ("91350100M000100Y43", "福建劳务有限公司")
GC = ("9131000013221158XC", "上海建工集团")


def _credit_codes(start: int) -> Iterator[str]:
    """Valid unified social credit codes, none of them used by anything else."""
    for n in itertools.count(start):
        body = f"{n:08d}"
        org = organisation_code_check_character(body)
        if org is None:
            continue
        first17 = f"91310000{body}{org}"
        yield first17 + uscc_check_character(first17)


# --- the world the roles live in ----------------------------------------------------------------------------

@dataclass
class Role:
    name: str
    token: str | None
    own: dict[str, str]      # path parameter -> the caller's own object
    foreign: dict[str, str]  # path parameter -> someone else's
    values: dict[str, str]   # body placeholders of this role ({staff}, {manager}, {foreign_staff})


@dataclass
class World:
    platform: Platform
    service_apps: dict[str, Flask]
    roles: dict[str, Role] = field(default_factory=dict)
    fresh: dict[str, Callable[[], str]] = field(default_factory=dict)  # placeholders made anew at each call
    delegation_on: dict[str, Callable[[], str]] = field(default_factory=dict)  # project -> a fresh delegation
    files: dict[str, bytes] = field(default_factory=dict)  # uploads by name (a case's ``files``)

    @property
    def client(self) -> Any:
        return self.platform.client


def _build(stack: Stack) -> World:
    """``build_platform`` with login and write limits raised: every call of this module comes from one address."""
    stack.migrate(*SERVICES, "gateway")
    high = "100000/minute"
    settings = Settings.from_env(stack.env(REALNAME_RATE_LIMIT_LOGIN=high, REALNAME_RATE_LIMIT_WRITE=high,
                                           REALNAME_RATE_LIMIT_LOGIN_ADDRESS=high, REALNAME_RATE_LIMIT_CHALLENGE=high))
    ensure_development_secrets(settings)
    apps = {name: create_service_app(load_spec(name), settings, stack.db(name)) for name in SERVICES}
    gateway = create_gateway(settings, {name: WsgiUpstream(app) for name, app in apps.items()}, stack.db("gateway"))
    return World(Platform(stack, gateway.test_client()), apps)


def _ok(response: Any, status: int) -> Any:
    assert response.status_code == status, (response.status_code, response.get_json())
    return response.get_json()


def _populate(world: World) -> None:
    p, client = world.platform, world.client
    codes = _credit_codes(10_000_000)
    enterprises = {"lab_a": (*LABOUR_A, "labour"), "lab_b": (next(codes), "闽西劳务有限公司", "labour"),
                   "gc": (*GC, "general_contractor"), "sp": (next(codes), "华东机电安装有限公司", "specialty")}
    certificates = {name: p.certificate(uscc, title) for name, (uscc, title, _kind) in enterprises.items()}
    logins = {name: _ok(p.certificate_login(certificates[name], kind), 200)
              for name, (_uscc, _title, kind) in enterprises.items()}
    token = {name: login["access_token"] for name, login in logins.items()}
    ent = {name: login["enterprise_id"] for name, login in logins.items()}

    def staff(owner: str, username: str) -> str:
        body = {"username": username, "display_name": "王五", "password": PASSWORD, "phone": PHONE}
        account_id: str = _ok(client.post("/api/v1/auth/accounts", headers=bearer(token[owner]), json=body), 201)["id"]
        return account_id

    acc = {"la_clerk": staff("lab_a", "la.clerk"), "la_probe": staff("lab_a", "la.probe"),
           "lb_clerk": staff("lab_b", "lb.clerk"),
           "gc_pm": staff("gc", "gc.pm"), "gc_del": staff("gc", "gc.delegate"), "gc_plain": staff("gc", "gc.plain"),
           "gc_spare": staff("gc", "gc.spare"), "gc_victim": staff("gc", "gc.victim"),
           "sp_pm": staff("sp", "sp.pm"), "sp_spare": staff("sp", "sp.spare"), "sp_victim": staff("sp", "sp.victim")}
    ctx: AuthContext = client.application.extensions["realname_auth"]
    for kind in (REGULATOR, ADMIN):
        acc[kind] = create_account(ctx, None, username=f"{kind}.one", display_name="监管员", password=PASSWORD,
                                   kind=kind, phone=PHONE).id

    # What assignment would learn from the registry's events (no bus runs in this process).
    with world.platform.stack.db("assignment").transaction() as session:
        for name, (uscc, title, kind) in enterprises.items():
            session.add(Party(enterprise_id=ent[name], name=title, uscc=uscc, kind=kind,
                              unit_type={"labour": "006", "specialty": "001", "general_contractor": "009"}[kind],
                              registered_at=_registered_at(world, ent[name])))
    p1, p9 = _managed_projects(world, token["gc"], ent["sp"], next(codes))
    for project, owner, manager in ((p1, "gc", "gc_pm"), (p9, "sp", "sp_pm")):
        _ok(client.put(f"/api/v1/auth/projects/{project}/manager", headers=bearer(token[owner]),
                       json={"account_id": acc[manager]}), 200)
    code = {name: uscc for name, (uscc, _title, _kind) in enterprises.items()}
    pm_token = {p1: _ok(p.password_login(f"gc.pm@{code['gc']}", PASSWORD), 200)["access_token"],
                p9: _ok(p.password_login(f"sp.pm@{code['sp']}", PASSWORD), 200)["access_token"]}
    _ok(client.post(f"/api/v1/auth/projects/{p1}/delegations", headers=bearer(pm_token[p1]),
                    json={"account_id": acc["gc_del"], "functions": ["confirm_entry", "view_workforce"]}), 201)
    for username, name in ((f"gc.delegate@{code['gc']}", "staff_del"), (f"gc.plain@{code['gc']}", "staff"),
                           (f"gc.pm@{code['gc']}", "pm"),
                           ("regulator.one", "reg"), ("admin.one", "admin")):
        token[name] = _ok(p.password_login(username, PASSWORD), 200)["access_token"]

    # The roles are what they claim to be.
    me = {name: _ok(client.get("/api/v1/auth/me", headers=bearer(t)), 200) for name, t in token.items()}
    assert me["staff_del"]["projects"] == {p1: ["confirm_entry", "view_workforce"]}
    assert me["staff"]["projects"] == {} and me["staff"]["roles"] == ["staff"]
    assert p1 in me["pm"]["projects"] and me["pm"]["roles"] == ["project_manager", "staff"]
    assert me["reg"]["roles"] == ["regulator"] and me["admin"]["roles"] == ["admin"]
    assert me["lab_a"]["roles"] == ["labour"] and me["sp"]["roles"] == ["specialty"]

    # A project of gc's (R21), which the rows reading one project name by {gc_project}.
    gc_project: str = _ok(client.post("/api/v1/assignment/projects", headers=bearer(token["gc"]), json={
        "name": "矩阵测试项目", "registration_number": "MATRIX-0", "address": "上海市黄浦区中山东一路1号",
        "planned_start": "2026-03-01", "planned_completion": "2027-12-31"}), 201)["id"]

    registry = _registry_objects(world, token, gc_project, ent)
    for name, objects in _identity_objects(world, token).items():
        registry[name].update(objects)
    for_all = {"team": registry["lab_a"]["team_id"], "own_worker": registry["lab_a"]["worker_id"]}
    gc_side = {"own": {"enterprise_id": ent["gc"], "project_id": p1},
               "foreign": {"enterprise_id": ent["sp"], "project_id": p9, "account_id": acc["la_clerk"],
                           **registry["lab_a"]},
               "values": {"staff": acc["gc_spare"], "manager": acc["gc_pm"], "foreign_staff": acc["la_clerk"],
                          **for_all}}
    nobody = {"own": {}, "foreign": {"enterprise_id": ent["lab_a"], "project_id": p1,
                                     "account_id": acc["la_clerk"], **registry["lab_a"]},
              "values": {"staff": acc["gc_spare"], "manager": acc["gc_pm"], "foreign_staff": acc["la_clerk"],
                         **for_all}}
    layout: dict[str, dict[str, dict[str, str]]] = {
        "anon": nobody,
        "lab_a": {"own": {"enterprise_id": ent["lab_a"], "account_id": acc["la_clerk"], **registry["lab_a"]},
                  "foreign": {"enterprise_id": ent["lab_b"], "account_id": acc["lb_clerk"], "project_id": p1,
                              **registry["lab_b"]},
                  "values": {"staff": acc["la_clerk"], "manager": acc["la_clerk"], "foreign_staff": acc["lb_clerk"],
                             "team": registry["lab_a"]["team_id"], "own_worker": registry["lab_a"]["worker_id"]}},
        "lab_b": {"own": {"enterprise_id": ent["lab_b"], "account_id": acc["lb_clerk"], **registry["lab_b"]},
                  "foreign": {"enterprise_id": ent["lab_a"], "account_id": acc["la_clerk"], "project_id": p1,
                              **registry["lab_a"]},
                  "values": {"staff": acc["lb_clerk"], "manager": acc["lb_clerk"], "foreign_staff": acc["la_clerk"],
                             "team": registry["lab_b"]["team_id"], "own_worker": registry["lab_b"]["worker_id"]}},
        "gc": _with_own(gc_side, account_id=acc["gc_plain"]),
        "sp": {"own": {"enterprise_id": ent["sp"], "project_id": p9, "account_id": acc["sp_spare"]},
               "foreign": {"enterprise_id": ent["gc"], "project_id": p1, "account_id": acc["la_clerk"],
                           **registry["lab_a"]},
               "values": {"staff": acc["sp_spare"], "manager": acc["sp_pm"], "foreign_staff": acc["la_clerk"],
                          **for_all}},
        "staff_del": _with_own(gc_side, account_id=acc["gc_del"]),
        "staff": _with_own(gc_side, account_id=acc["gc_plain"]),
        "pm": _with_own(gc_side, account_id=acc["gc_pm"]),
        "reg": _with_own(nobody, account_id=acc[REGULATOR]),
        "admin": _with_own(nobody, account_id=acc[ADMIN]),
    }
    assert set(layout) == set(ROLES), "the matrix's roles and the test's differ"
    world.roles = {name: Role(name, token.get(name), dict(spec["own"]), dict(spec["foreign"]), dict(spec["values"]))
                   for name, spec in layout.items()}
    devices = _gate_objects(world, p1, p9)  # gc's side manages P-1's; everyone else's are foreign
    for role in world.roles.values():
        on_p1 = role.name in ("gc", "staff_del", "staff", "pm")
        role.own.update(devices[p1] if on_p1 else {})
        role.foreign.update(devices[p9] if on_p1 else devices[p1])

    # Objects made anew for each call.
    usernames, new_codes = itertools.count(1), _credit_codes(20_000_000)
    registration_numbers = itertools.count(1)
    challenge: dict[str, str] = {}

    def nonce() -> str:
        challenge["nonce"] = _ok(client.post("/api/v1/auth/challenge"), 201)["nonce"]
        return challenge["nonce"]

    def signature() -> str:
        return base64.b64encode(sign_nonce(certificates["lab_a"][1], challenge["nonce"].encode())).decode()

    def refresh_token() -> str:
        token_: str = _ok(p.certificate_login(certificates["lab_a"]), 200)["refresh_token"]
        return token_

    world.fresh = {"unique": lambda: f"matrix.{next(usernames)}", "new_uscc": lambda: next(new_codes),
                   "certificate": lambda: certificates["lab_a"][0], "nonce": nonce, "signature": signature,
                   "username": lambda: f"la.probe@{LABOUR_A[0]}", "password": lambda: PASSWORD,
                   "refresh_token": refresh_token,
                   "new_registration_number": lambda: f"MATRIX-{next(registration_numbers)}",
                   "gc_enterprise_id": lambda: ent["gc"], "sp_enterprise_id": lambda: ent["sp"],
                   "gc_project": lambda: gc_project, "new_id_number": lambda: id_number(date(1985, 3, 15))}

    def delegation(project: str, victim: str) -> Callable[[], str]:
        def make() -> str:
            items = _ok(client.post(f"/api/v1/auth/projects/{project}/delegations", headers=bearer(pm_token[project]),
                                    json={"account_id": victim, "functions": ["manage_teams"]}), 201)["items"]
            found: str = next(d["id"] for d in items if d["account_id"] == victim and d["function"] == "manage_teams")
            return found
        return make

    world.delegation_on = {p1: delegation(p1, acc["gc_victim"]), p9: delegation(p9, acc["sp_victim"])}
    world.fresh.update(_punch_photo_objects(world, devices))
    _attendance_objects(world, ent, p1, registry)
    world.fresh.update(_assignment_objects(world, token, ent, gc_project, registry["lab_a"]["worker_id"]))
    correction: str = _ok(client.post(  # a correction of lab_a's worker on P-1, with its evidence file (R28)
        f"/api/v1/attendance/projects/{p1}/ledger/corrections", headers=bearer(pm_token[p1]),
        content_type="multipart/form-data", data={
            "worker_id": registry["lab_a"]["worker_id"], "day": "2026-11-20", "kind": "missing_out",
            "at": "2026-11-20T17:30:00+08:00", "reason": "矩阵补卡",
            "evidence": (io.BytesIO(world.files["evidence_pdf"]), "e.pdf")}), 201)["id"]
    world.fresh["ledger_correction"] = lambda: correction


def _assignment_objects(world: World, token: dict[str, str], ent: dict[str, str], gc_project: str,
                        la_worker: str) -> dict[str, Callable[[], str]]:
    """gc_project's chain (gc awarded lab_a a labour and sp a specialty subcontract), an assignment of lab_a's
    worker, and objects made anew for each call: a contract to complete, a project to complete, an assignment."""
    client, db = world.client, world.platform.stack.db("assignment")
    codes, numbers = _credit_codes(30_000_000), itertools.count(1)

    def learn_worker(worker_id: str) -> str:  # as the registry's worker.registered would tell it
        with db.transaction() as session:
            worker_handlers["worker.registered"](session, Envelope(type="worker.registered", source="registry", data={
                "worker_id": worker_id, "employment_id": str(uuid.uuid4()), "employer_id": ent["lab_a"],
                "name": "矩阵工人", "identity_status": "verified", "category": "construction", "trade_code": "020",
                "team_id": None, "registered_at": "2026-11-01T08:00:00+00:00"}))
        return worker_id

    def award(uscc: str, kind: str) -> str:
        contract: str = _ok(client.post(f"/api/v1/assignment/projects/{gc_project}/contracts", headers=bearer(
            token["gc"]), json={"contractor_uscc": uscc, "kind": kind}), 201)["id"]
        return contract

    def new_labour_uscc() -> str:
        uscc = next(codes)
        with db.transaction() as session:
            session.add(Party(enterprise_id=str(uuid.uuid4()), name="矩阵劳务", uscc=uscc, kind="labour",
                              unit_type="006", registered_at=utcnow()))
        return uscc

    def new_assignment() -> str:
        body = {"contract_id": la_contract, "worker_ids": [learn_worker(str(uuid.uuid4()))]}
        made: str = _ok(client.post("/api/v1/assignment/assignments", headers=bearer(token["lab_a"]), json=body),
                        200)["items"][0]["assignment_id"]
        return made

    def new_project() -> str:
        project: str = _ok(client.post("/api/v1/assignment/projects", headers=bearer(token["gc"]), json={
            "name": "矩阵完工项目", "registration_number": f"MATRIX-DONE-{next(numbers)}", "address": "上海市1号",
            "planned_start": "2026-03-01", "planned_completion": "2027-12-31"}), 201)["id"]
        return project

    la_contract, sp_contract = award(LABOUR_A[0], "labour"), award(_uscc_of(world, ent["sp"]), "specialty")
    learn_worker(la_worker)
    la_assignment = new_assignment()
    return {"la_contract": lambda: la_contract, "sp_contract": lambda: sp_contract, "la_worker": lambda: la_worker,
            "la_assignment": lambda: la_assignment, "new_la_assignment": new_assignment,
            "new_labour_uscc": new_labour_uscc, "new_contract": lambda: award(new_labour_uscc(), "labour"),
            "new_project": new_project}


def _attendance_objects(world: World, ent: dict[str, str], p1: str, registry: dict[str, dict[str, str]]) -> None:
    """What attendance would learn from events: P-1 (gc's), lab_a's and lab_b's workers, lab_a's admitted to P-1;
    and the face photo the uploads send."""
    with world.platform.stack.db("attendance").transaction() as session:
        project_handlers["project.registered"](session, Envelope(type="project.registered", source="assignment", data={
            "project_id": p1, "general_contractor_id": ent["gc"], "name": "矩阵项目一"}))  # learned once, either way
        for name in ("lab_a", "lab_b"):
            learned = Envelope(type="worker.registered", source="registry", data={
                "worker_id": registry[name]["worker_id"], "employment_id": str(uuid.uuid4()),
                "employer_id": ent[name], "name": "矩阵工人", "contract_end": "2030-12-31",
                "registered_at": "2026-11-01T08:00:00+00:00"})
            attendance_workers["worker.registered"](session, learned)
        # Admitted since 2026-11-01: the ledger's correction rows correct a day of November.
        session.add(Admission(assignment_id=str(uuid.uuid4()), project_id=p1, worker_id=registry["lab_a"]["worker_id"],
                              employer_id=ent["lab_a"], status="accepted",
                              entry_at=datetime(2026, 11, 1, tzinfo=UTC)))
    world.files["face_jpeg"] = face_photos.astronaut()


def _uscc_of(world: World, enterprise_id: str) -> str:
    with world.platform.stack.db("assignment").transaction() as session:
        return session.scalars(select(Party.uscc).where(Party.enterprise_id == enterprise_id)).one()


def _registry_objects(world: World, token: dict[str, str], gc_project: str,
                      ent: dict[str, str]) -> dict[str, dict[str, str]]:
    """A team, a worker, an evidence file and an import (with a failed row) of each labour company, each on a project
    it takes part in (R21): lab_a on gc_project (gc awarded it a contract), lab_b on another general contractor's
    project only, so that lab_b makes no team and no import on gc_project."""
    client, db = world.client, world.platform.stack.db("registry")
    projects = {"lab_a": gc_project, "lab_b": str(uuid.uuid4())}
    with db.transaction() as session:  # as project.registered would tell it
        for name, project_id, contractor in (("gc_project", gc_project, ent["gc"]),
                                             ("lab_b_project", projects["lab_b"], str(uuid.uuid4()))):
            learn_project(session, Envelope(type="project.registered", source="assignment", data={
                "project_id": project_id, "name": "矩阵测试项目", "registration_number": f"MATRIX-{name}",
                "general_contractor_id": contractor, "planned_completion": "2027-12-31"}))
    for name, project_id in projects.items():  # as contract.awarded would tell it
        award_contract(db, project_id, ent[name])
    world.files = {"evidence_pdf": pdf("matrix"), "empty_sheet": workbook([])}
    objects = {}
    for name in ("lab_a", "lab_b"):
        headers = bearer(token[name])
        team = _ok(client.post("/api/v1/registry/teams", headers=headers,
                               json={"project_id": projects[name], "name": "矩阵班组"}), 201)["id"]
        worker = _ok(client.post("/api/v1/registry/workers", headers=headers, json=worker_body(team)), 201)["id"]
        evidence = _ok(client.post("/api/v1/registry/evidence", headers=headers, content_type="multipart/form-data",
                                   data={"file": (io.BytesIO(world.files["evidence_pdf"]), "e.pdf")}), 201)["id"]
        bad_row = workbook([worker_body(None, number="310104198503151234")], team_name="矩阵班组")
        job = _ok(client.post("/api/v1/registry/imports", headers=headers, content_type="multipart/form-data",
                              data={"file": (io.BytesIO(bad_row), "w.xlsx"), "project_id": projects[name]}), 201)
        assert job["failed"] == 1
        objects[name] = {"team_id": team, "worker_id": worker, "evidence_id": evidence, "import_id": job["id"]}
    return objects


def _identity_objects(world: World, token: dict[str, str]) -> dict[str, dict[str, str]]:
    """A card read and a reader account of each labour company."""
    objects = {}
    for n, name in enumerate(("lab_a", "lab_b")):
        headers = bearer(token[name])
        read = _ok(world.client.post("/api/v1/identity/card-reads", headers=headers, json=card_of(person(n))), 201)
        account = _ok(world.client.post("/api/v1/identity/reader-accounts", headers=headers), 201)
        objects[name] = {"read_id": read["id"], "username": account["username"]}
    return objects


def _gate_objects(world: World, p1: str, p9: str) -> dict[str, dict[str, str]]:
    """P-1 and P-9 as attendance learns them from project.registered, each with a site bridge and a native gate
    (written in attendance's tables: their accounts are issued by the calls of the matrix)."""
    with world.platform.stack.db("assignment").transaction() as session:
        contractors = {p: session.scalars(select(Project.general_contractor_id).where(Project.id == p)).one()
                       for p in (p1, p9)}
    objects = {}
    with world.platform.stack.db("attendance").transaction() as session:
        for project, contractor in contractors.items():
            project_handlers["project.registered"](session, Envelope(type="project.registered", source="assignment",
                data={"project_id": project, "general_contractor_id": contractor, "name": "矩阵项目"}))
            bridge = Bridge(project_id=project, name="矩阵网关", created_by="matrix")
            gate = Gate(project_id=project, kind="native", serial=f"MATRIX-{project}", direction="in",
                        name="矩阵闸机", created_by="matrix")
            session.add_all([bridge, gate])
            session.flush()
            objects[project] = {"bridge_id": bridge.id, "gate_id": gate.id}
    return objects


def _punch_photo_objects(world: World, devices: dict[str, dict[str, str]]) -> dict[str, Callable[[], str]]:
    """A punch photo taken at P-1's native gate and one at P-9's (as the punch intake keeps them), by the punch's key:
    ``{p1_punch_device}``, ``{p9_punch_device}`` (the gates' serials), ``{punch_at}``; event key ``matrix-photo``."""
    keyring, at = shared_keyring(world.platform.stack.settings), utcnow().replace(microsecond=0)
    photo = base64.b64encode(face_photos.astronaut()).decode()
    serials = {}
    with world.platform.stack.db("attendance").transaction() as session:
        for project, objects in devices.items():
            gate = session.get(Gate, objects["gate_id"])
            assert gate is not None
            keep_punch_photo(session, gate.serial, "matrix-photo", at, photo, keyring=keyring, gate_id=gate.id)
            serials[project] = gate.serial
    p1, p9 = serials.values()
    return {"p1_punch_device": lambda: p1, "p9_punch_device": lambda: p9, "punch_at": at.isoformat}


def _with_own(side: dict[str, dict[str, str]], **own: str) -> dict[str, dict[str, str]]:
    return {**side, "own": {**side["own"], **own}}


def _managed_projects(world: World, gc_token: str, sp_id: str, gc2_uscc: str) -> tuple[str, str]:
    """P-1, a project of gc's, and P-9, another general contractor's, on which it awarded sp a specialty
    subcontract (written in assignment's tables: that contractor never logs in here). Each is managed by the
    enterprise taking part in it."""
    p1: str = _ok(world.client.post("/api/v1/assignment/projects", headers=bearer(gc_token), json={
        "name": "矩阵项目一", "registration_number": "MATRIX-P-1", "address": "上海市黄浦区中山东一路1号",
        "planned_start": "2026-03-01", "planned_completion": "2027-12-31"}), 201)["id"]
    gc2 = str(uuid.uuid4())
    with world.platform.stack.db("assignment").transaction() as session:
        session.add(Party(enterprise_id=gc2, name="另一总承包有限公司", uscc=gc2_uscc, kind="general_contractor",
                          unit_type="009", registered_at=utcnow()))
        session.flush()
        p9 = Project(name="矩阵项目九", registration_number="MATRIX-P-9", address="上海市黄浦区中山东一路9号",
                     planned_start=date(2026, 3, 1), planned_completion=date(2027, 12, 31), general_contractor_id=gc2)
        session.add(p9)
        session.flush()
        session.add_all([Contract(project_id=p9.id, tier=0, kind="general", awarded_by=gc2, contractor_id=gc2),
                         Contract(project_id=p9.id, tier=1, kind="specialty", awarded_by=gc2, contractor_id=sp_id)])
        return p1, p9.id


def _registered_at(world: World, enterprise_id: str) -> Any:
    with world.platform.stack.db("registry").transaction() as session:
        return session.scalars(select(Enterprise.registered_at).where(Enterprise.id == enterprise_id)).one()


@pytest.fixture(scope="module")
def world(module_stack: Stack) -> World:
    built = _build(module_stack)
    _populate(built)
    return built


# --- reading the matrix ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Cell:
    endpoint: str  # "METHOD /path/{template}"
    case: str
    role: str
    side: str | None  # own, foreign, or None for an endpoint without object parameters
    expected: int


def _cases(section: str) -> Iterator[tuple[str, int, dict[str, Any]]]:
    for endpoint, cases in (MATRIX.get(section) or {}).items():
        for index, case in enumerate(cases):
            yield endpoint, index, case


def _case_label(index: int, case: dict[str, Any]) -> str:
    return str(case.get("case", f"#{index}"))


def _object_params(path: str, case: dict[str, Any]) -> list[str]:
    return [name for name in re.findall(r"{(\w+)}", path) if name not in (case.get("params") or {})]


def _cells(world_roles: dict[str, Role] | None = None) -> Iterator[tuple[Cell, dict[str, Any]]]:
    """Every (role, side) a case asks for; a malformed cell raises, naming where it is."""
    for section in ("endpoints", "gateway_routes"):
        for endpoint, index, case in _cases(section):
            where = f"{endpoint} [{_case_label(index, case)}]"
            expect = case.get("expect") or {}
            if set(expect) != set(ROLES):
                raise AssertionError(f"{where}: roles {sorted(expect)} instead of {sorted(ROLES)}")
            objects = _object_params(endpoint.split(" ", 1)[1], case)
            for role in ROLES:
                value = expect[role]
                if isinstance(value, int):
                    sides: dict[str | None, int] = {OWN: value, FOREIGN: value} if objects else {None: value}
                    if objects and world_roles is not None and not _has_own(world_roles[role], objects):
                        del sides[OWN]
                elif isinstance(value, str) and re.fullmatch(r"(\d{3}|-)/(\d{3}|-)", value) and objects:
                    own, foreign = value.split("/")
                    sides = {k: int(v) for k, v in ((OWN, own), (FOREIGN, foreign)) if v != "-"}
                    if OWN in sides and world_roles is not None and not _has_own(world_roles[role], objects):
                        raise AssertionError(f"{where}: {role} has no own object for {objects}")
                else:
                    raise AssertionError(f"{where}: {role}: {value!r} is not a status or own/foreign statuses")
                for side, status in sides.items():
                    yield Cell(endpoint, _case_label(index, case), role, side, status), case


def _has_own(role: Role, objects: list[str]) -> bool:
    return all(name in role.own or (name == "delegation_id" and "project_id" in role.own) for name in objects)


# --- calling --------------------------------------------------------------------------------------------------

class _CallValues(dict[str, str]):
    """Placeholder values of one call: the role's, else made on first use (then kept for this call)."""

    def __init__(self, world: World, role: Role) -> None:
        super().__init__(role.values)
        self.world = world

    def __missing__(self, key: str) -> str:
        if key not in self.world.fresh:
            raise KeyError(f"unknown placeholder {{{key}}}")
        self[key] = value = self.world.fresh[key]()
        return value


def _fill(node: Any, values: _CallValues) -> Any:
    if isinstance(node, str):
        return node.format_map(values)
    if isinstance(node, list):
        return [_fill(v, values) for v in node]
    if isinstance(node, dict):
        return {k: _fill(v, values) for k, v in node.items()}
    return node


def _call(world: World, cell: Cell, case: dict[str, Any]) -> tuple[int, Any, str]:
    role = world.roles[cell.role]
    method, template = cell.endpoint.split(" ", 1)
    values = _CallValues(world, role)
    params: dict[str, str] = _fill(dict(case.get("params") or {}), values)
    objects = role.own if cell.side == OWN else role.foreign
    for name in _object_params(template, case):
        if name == "delegation_id":
            params[name] = world.delegation_on[objects["project_id"]]()
        else:
            params[name] = objects[name]
    url = re.sub(r"{(\w+)}", lambda m: params[m[1]], template)
    body = _fill(case["body"], values) if "body" in case else None
    query = _fill(case.get("query") or {}, values)
    headers = bearer(role.token) if role.token else {}
    if "files" in case:  # a multipart upload: named files of the world, and form fields
        form = {k: (io.BytesIO(world.files[v]), f"{v}.bin") for k, v in case["files"].items()}
        form.update(_fill(case.get("form") or {}, values))
        response = world.client.open(url, method=method, headers=headers, query_string=query, data=form,
                                     content_type="multipart/form-data")
    else:
        response = world.client.open(url, method=method, headers=headers, query_string=query, json=body)
    data = response.get_json(silent=True)
    text = response.get_data().decode("utf-8", "replace") if response.status_code < 300 else ""
    return response.status_code, data, text


def _why(data: Any) -> str:
    return str(data.get("reason", "")) if isinstance(data, dict) else ""


def _table(rows: list[tuple[str, ...]]) -> str:
    header = ("endpoint", "case", "role", "side", "expected", "got", "reason")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    return "\n".join("  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)) for r in [header, *rows])


# --- the tests ----------------------------------------------------------------------------------------------

def _template(rule: str) -> str:
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule)


def _routes(app: Flask) -> set[tuple[str, str]]:
    return {(method, _template(rule.rule)) for rule in app.url_map.iter_rules()
            for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}}


def test_the_matrix_lists_every_endpoint_and_nothing_else(world: World) -> None:
    document = world.client.get("/openapi.json").get_json()
    documented = {f"{method.upper()} {path}" for path, item in document["paths"].items()
                  for method in item if method in OPERATIONS}
    listed = set(MATRIX["endpoints"])
    problems = [f"in the OpenAPI, not in the matrix: {e}" for e in sorted(documented - listed)]
    problems += [f"in the matrix, no longer in the OpenAPI: {e}" for e in sorted(listed - documented)]

    gateway_routes = _routes(world.client.application)
    own = {f"{m} {p}" for m, p in gateway_routes if not p.startswith("/api/v1/")}
    problems += [f"a gateway route not in gateway_routes: {e}" for e in sorted(own - set(MATRIX["gateway_routes"]))]
    problems += [f"in gateway_routes, not a gateway route: {e}" for e in sorted(set(MATRIX["gateway_routes"]) - own)]

    # An endpoint the OpenAPI does not document would escape the matrix: none may exist.
    proxy = {"/api/v1/{service}", "/api/v1/{service}/", "/api/v1/{service}/{rest}"}
    served = {f"{m} {p}" for m, p in gateway_routes if p.startswith("/api/v1/") and p not in proxy}
    for name, app in world.service_apps.items():
        served |= {f"{m} {p}" for m, p in _routes(app) if p.startswith(f"/api/v1/{name}/") or p == f"/api/v1/{name}"}
    problems += [f"served but not in the OpenAPI: {e}" for e in sorted(served - documented)]

    assert list(_cells(world.roles))  # every cell is well formed (a malformed one raises, naming it)
    assert not problems, "\n".join(problems)


def test_every_role_gets_the_status_the_matrix_expects(world: World) -> None:
    mismatches: list[tuple[str, ...]] = []
    calls = 0
    for cell, case in _cells(world.roles):
        status, data, text = _call(world, cell, case)
        calls += 1
        problem = ""
        if status != cell.expected:
            problem = _why(data)
        hidden = case.get("foreign_hidden")
        if not problem and hidden and cell.role in hidden["roles"] and 200 <= status < 300:
            foreign = world.roles[cell.role].foreign[hidden["param"]]
            if foreign in text:
                problem = f"shows the foreign {hidden['param']} {foreign}"
        if status != cell.expected or problem:
            mismatches.append((cell.endpoint, cell.case, cell.role, cell.side or "", str(cell.expected), str(status),
                               problem))
    assert calls > 0
    assert not mismatches, f"{len(mismatches)} of {calls} calls answered otherwise:\n{_table(mismatches)}"
