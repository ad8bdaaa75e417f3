"""The demo site's workers: five people registered by the labour company, assigned through its subcontract, their
entry confirmed by the project account (R18, R19), each with recorded consent and a face photo (PIPL art. 29).
What a previous start did is found and not done again."""

from __future__ import annotations

from datetime import date, timedelta
from importlib.resources import files
from typing import Any

from realname_codes.bank_cards import luhn_valid
from realname_codes.id_numbers import make_id_number
from realname_kit.timeutil import today_in_china
from realname_launcher.demo_site.client import Api, eventually
from realname_launcher.demo_site.parties import Parties

REGISTRY, ASSIGNMENT, ATTENDANCE = "/api/v1/registry", "/api/v1/assignment", "/api/v1/attendance"
NAMES = ("王建国", "李秀英", "张伟", "刘洋", "陈静")
TEAM = "演示钢筋班"
CONSENT = {"method": "signed_form", "note": "演示：入场时签署人脸采集同意书"}


def staff(parties: Parties) -> list[str]:
    """The demo workers' ids, each on the project with a face, accepted (their entry confirmed)."""
    workers = _registered(parties.labour, _team(parties))
    for worker_id in workers:
        _face(parties.labour, worker_id)
    requested = _assigned(parties, workers)
    if requested:
        parties.pm.call("POST", f"{ASSIGNMENT}/decisions", json={"items": [
            {"assignment_id": a, "decision": "accept"} for a in requested]})
    return workers


def _team(parties: Parties) -> str:
    """The labour company's team on the project (R5: every worker is in one), found or made."""
    def found() -> str | None:
        teams = parties.labour.call("GET", f"{REGISTRY}/teams", params={"project_id": parties.project_id})["items"]
        return str(teams[0]["id"]) if teams else None
    existing = found()
    if existing is not None:
        return existing
    made = eventually(lambda: parties.labour.answer("POST", f"{REGISTRY}/teams", 201, json={
        "project_id": parties.project_id, "name": TEAM}), "the team (once the registry knows the subcontract)")
    return str(made["id"])


def _registered(labour: Api, team_id: str) -> list[str]:
    """The labour company's workers (the demo's, registered once: a second registration is refused)."""
    known = labour.call("GET", f"{REGISTRY}/workers", params={"limit": 500})["items"]
    if len(known) < len(NAMES):
        for n, name in enumerate(NAMES):  # 409: registered last time
            labour.call("POST", f"{REGISTRY}/workers", 201, 409, json=registration(n, name, team_id))
        known = labour.call("GET", f"{REGISTRY}/workers", params={"limit": 500})["items"]
    return [str(w["id"]) for w in known]


def _assigned(parties: Parties, workers: list[str]) -> list[str]:
    """Assign whoever is not on the project yet; the assignments still waiting for a decision."""
    def status() -> dict[str, tuple[str, str]]:
        page = parties.labour.call("GET", f"{ASSIGNMENT}/assignments", params={
            "side": "employer", "project_id": parties.project_id, "limit": 500})["items"]
        return {a["worker_id"]: (a["id"], a["status"]) for a in page if a["status"] in ("requested", "accepted")}

    def assign() -> bool | None:
        missing = [w for w in workers if w not in status()]
        if not missing:
            return True
        parties.labour.call("POST", f"{ASSIGNMENT}/assignments", json={
            "contract_id": parties.contract_id, "worker_ids": missing})
        return None  # looked at again: worker_unknown until the assignment service learned them
    eventually(assign, "the demo workers' assignments (once the assignment service knows them)")
    return [assignment for assignment, state in status().values() if state == "requested"]


def _face(labour: Api, worker_id: str) -> None:
    if labour.answer("GET", f"{ATTENDANCE}/workers/{worker_id}/face") is not None:
        return
    consent = {**CONSENT, "given_on": str(today_in_china())}
    eventually(lambda: labour.answer("PUT", f"{ATTENDANCE}/workers/{worker_id}/face-consent", 200, 201,
                                     json=consent), "face consent (once the attendance service knows the worker)")
    photo = files("realname_launcher.demo_site").joinpath("data/astronaut.jpg").read_bytes()
    labour.call("PUT", f"{ATTENDANCE}/workers/{worker_id}/face", 200, 201,
                files={"photo": ("face.jpg", photo, "image/jpeg")})


def registration(n: int, name: str, team_id: str) -> dict[str, Any]:
    """The ``n``th demo worker's registration: the same person at every start (a second one is refused, 409)."""
    birth = date(1980 + n, 3, 1 + n)
    today = today_in_china()
    return {"identity": {"name": name, "sex": "male" if n % 2 == 0 else "female", "ethnicity": "01",
                         "birth_date": str(birth), "address": "上海市浦东新区张江路1号",
                         "id_number": make_id_number("310115", birth, 2 * n + 1 - n % 2),
                         "issuing_authority": "上海市公安局浦东分局", "valid_from": "2020-01-01",
                         "valid_to": "2040-01-01"},
            "phone": f"1390000{n:04d}",
            "employment": {"worker_type": "long_term", "contract_number": f"DEMO-HT-{n + 1:03d}",
                           "contract_start": str(today), "contract_end": str(today + timedelta(days=700)),
                           "wage_type": "monthly_base_plus_performance", "base_wage": "5200.00",
                           "probation_wage": "4600.00", "performance_payouts_per_year": 3, "bank_code": "102",
                           "wage_card_number": _card(n), "trade_code": "010", "team_id": team_id}}


def _card(n: int) -> str:
    body = f"622202900{n:06d}"
    return next(body + str(d) for d in range(10) if luhn_valid(body + str(d)))
