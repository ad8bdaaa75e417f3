"""Registration bodies and the registry's client for tests: valid workers, made different on demand."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from realname_codes.id_numbers import make_id_number
from realname_kit.bus.envelope import Envelope
from realname_kit.db import Database
from realname_kit.timeutil import today_in_china
from realname_registry.participation import participation_handlers
from realname_registry.projects import learn_project

_SEQUENCE = itertools.count(11)
_IDS = itertools.count(1)
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华"


def id_number(birth: date | None = None, *, male: bool = True, region: str = "310104") -> str:
    """A valid ID number, a different one at each call (birth dates step on every 500 numbers)."""
    k = next(_IDS)
    birth = birth or date(1975, 1, 1) + timedelta(days=k // 500)
    return make_id_number(region, birth, (k % 500) * 2 + (1 if male else 0))


def wage_card(n: int = 0) -> str:
    """A 16-digit card number that passes the Luhn check."""
    body = f"622202{n:09d}"
    total = 0
    for i, d in enumerate(reversed(body)):
        v = int(d) * (2 if i % 2 == 0 else 1)
        total += v - 9 if v > 9 else v
    return body + str((10 - total % 10) % 10)


def worker_body(team_id: str | None, *, name: str | None = None, number: str | None = None,
                birth: date | None = None, male: bool = True, trade: str = "010", **employment: Any) -> dict[str, Any]:
    """A valid registration; each call a different person (unless ``number`` says whom)."""
    n = next(_SEQUENCE)
    number = number or id_number(birth, male=male)
    birth = birth or date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    today = today_in_china()
    terms = {"worker_type": "long_term", "contract_number": f"HT-{n:06d}", "contract_start": str(today),
             "contract_end": str(today + timedelta(days=700)), "wage_type": "monthly_base_plus_performance",
             "base_wage": "5200.00", "probation_wage": "4600.00", "performance_payouts_per_year": 3,
             "bank_code": "102", "wage_card_number": wage_card(n), "trade_code": trade, "team_id": team_id}
    terms.update(employment)
    given = GIVEN[n % len(GIVEN)] + GIVEN[(n * 7) % len(GIVEN)]
    return {"identity": {"name": name or SURNAMES[n % len(SURNAMES)] + given,
                         "sex": "male" if male else "female", "ethnicity": "01", "birth_date": str(birth),
                         "address": "上海市徐汇区漕溪北路1号", "id_number": number,
                         "issuing_authority": "上海市公安局徐汇分局", "valid_from": "2016-05-01",
                         "valid_to": "2036-05-01"},
            "phone": f"139{n:08d}", "employment": terms}


def add_project(db: Database, *, completion: date | None = None, gc: str | None = None,
                contractors: Iterable[str] = ()) -> str:
    """A project as the assignment service announces it (``project.registered``), handled by the registry, with a
    contract awarded to each of ``contractors`` (``contract.awarded``), so that they take part in it."""
    project_id = str(uuid.uuid4())
    data = {"project_id": project_id, "name": "徐汇滨江住宅项目", "registration_number": f"BJ-{project_id[:8]}",
            "general_contractor_id": gc or str(uuid.uuid4()),
            "planned_completion": str(completion or today_in_china() + timedelta(days=365))}
    with db.transaction() as session:
        learn_project(session, Envelope(type="project.registered", source="assignment", data=data))
    for contractor in contractors:
        award_contract(db, project_id, contractor)
    return project_id


def award_contract(db: Database, project_id: str, contractor_id: str) -> str:
    """A contract of the project awarded to ``contractor_id``, as ``contract.awarded`` tells the registry; its id."""
    contract_id = str(uuid.uuid4())
    with db.transaction() as session:
        participation_handlers["contract.awarded"](session, Envelope(
            type="contract.awarded", source="assignment",
            data={"contract_id": contract_id, "project_id": project_id, "contractor_id": contractor_id}))
    return contract_id


class Client:
    """A test client acting as one caller (headers), for JSON calls."""

    def __init__(self, client: FlaskClient, headers: dict[str, str]) -> None:
        self.client, self.headers = client, headers

    def post(self, url: str, **kwargs: Any) -> TestResponse:
        return self.client.post(url, headers={**self.headers, **kwargs.pop("headers", {})}, **kwargs)

    def get(self, url: str, **kwargs: Any) -> TestResponse:
        return self.client.get(url, headers={**self.headers, **kwargs.pop("headers", {})}, **kwargs)

    def patch(self, url: str, **kwargs: Any) -> TestResponse:
        return self.client.patch(url, headers={**self.headers, **kwargs.pop("headers", {})}, **kwargs)
