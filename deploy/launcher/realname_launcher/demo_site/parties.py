"""Who runs the demo site: a general contractor, its demo project with its project account, and a labour company
with a labour subcontract on it. Each found when a previous start made it, made otherwise (never twice)."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from realname_codes.uscc import organisation_code_check_character, uscc_check_character
from realname_launcher.demo_site.client import Api, DemoSiteFailed, certificate_login, eventually, password_login

ASSIGNMENT = "/api/v1/assignment"
REGISTRATION_NUMBER = "DEMO-SITE-0001"  # the demo project's: what finds it again on the next start
MANAGER = "site.manager"


def _uscc(body: str) -> str:
    first17 = f"91310000{body}{organisation_code_check_character(body)}"
    return first17 + uscc_check_character(first17)


GC = (_uscc("20261201"), "演示总承包建设集团有限公司")
LABOUR = (_uscc("20261202"), "演示建筑劳务有限公司")


@dataclass
class Parties:
    gc: Api
    labour: Api
    pm: Api  # the project account: manage_gates and confirm_entry on the demo project (R32)
    project_id: str
    contract_id: str  # the labour company's subcontract
    pm_login: str
    pm_password: str

    def close(self) -> None:
        for api in (self.gc, self.labour, self.pm):
            api.close()


def take_part(base: str, data_dir: Path, state: Path) -> Parties:
    """The parties logged in, the project and the contract there (found or made)."""
    dev_ca = data_dir / "dev-ca"
    gc = certificate_login(base, dev_ca, *GC, "general_contractor")
    labour = certificate_login(base, dev_ca, *LABOUR, "labour")
    project_id = _project(gc)
    manager, password = _appointed(gc, project_id, state / "project-account.json")
    login = str(manager["account"]["login"])
    contract = eventually(lambda: gc.answer("POST", f"{ASSIGNMENT}/projects/{project_id}/contracts", 200, 201,
                                            json={"contractor_uscc": LABOUR[0], "kind": "labour",
                                                  "name": "演示劳务分包合同"}),
                          "the labour subcontract (once the assignment service knows the labour company)")
    return Parties(gc, labour, password_login(base, login, password), project_id, str(contract["id"]), login,
                   password)


def _project(gc: Api) -> str:
    found = gc.call("GET", f"{ASSIGNMENT}/projects", params={"registration_number": REGISTRATION_NUMBER})["items"]
    if found:
        return str(found[0]["id"])
    made = eventually(lambda: gc.answer("POST", f"{ASSIGNMENT}/projects", 201, json={
        "name": "演示项目：张江人才公寓", "registration_number": REGISTRATION_NUMBER,
        "address": "上海市浦东新区张江路1号", "planned_start": "2026-01-01", "planned_completion": "2030-12-31"}),
        "the demo project (once the assignment service knows the general contractor)")
    return str(made["id"])


def _appointed(gc: Api, project_id: str, kept: Path) -> tuple[dict[str, Any], str]:
    """The project account made and appointed (the same call again changes nothing, the password included), and
    its password: made once at random, kept in the demo's state file under the data dir (0600)."""
    path = f"/api/v1/auth/projects/{project_id}/manager"
    if kept.exists():
        password = str(json.loads(kept.read_text())["password"])
        return gc.call("PUT", path, 200, 201, json={"account": _account(password)}), password
    for _ in range(5):  # a random one the password rules refuse (a run, a common word): another
        password = f"Gate-{secrets.token_urlsafe(12)}"
        made = gc.answer("PUT", path, 200, 201, json={"account": _account(password)})
        if made is not None:
            kept.write_text(json.dumps({"login_name": MANAGER, "password": password}))
            return made, password
    raise DemoSiteFailed("the project account: no password was accepted")


def _account(password: str) -> dict[str, str]:
    return {"username": MANAGER, "display_name": "演示项目经理", "password": password}
