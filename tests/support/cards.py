"""Card reads for tests: people the authority's simulator knows, and what their cards say."""

from __future__ import annotations

from datetime import date
from typing import Any

from kombu import Connection, Queue
from werkzeug.test import TestResponse

from realname_codes.id_numbers import make_id_number, parse_id_number
from realname_edge.card import PHOTO_LENGTH, CardRecord
from realname_kit.bus.envelope import Envelope
from tests.support.workers import id_number

_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
_GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平"


def person(n: int, status: str = "match") -> dict[str, str]:
    """A person of the authority's register: a valid number (born 1975-1986), a name, a status."""
    return {"id_number": id_number(), "name": _SURNAMES[n % 20] + _GIVEN[(n // 20) % 20] + _GIVEN[(n // 400) % 20],
            "status": status}


def card_of(someone: dict[str, str], **changes: Any) -> dict[str, Any]:
    """The fields of their card as a reader returns them (issued 2016, valid 20 years), with ``changes``."""
    number = parse_id_number(someone["id_number"], date(2026, 1, 1))
    card = {"name": someone["name"], "sex": number.sex, "ethnicity": "01",
            "birth_date": number.birth_date.isoformat(), "address": "上海市徐汇区漕溪北路1号",
            "id_number": someone["id_number"], "issuing_authority": "上海市公安局徐汇分局",
            "valid_from": "2016-05-01", "valid_to": "2036-05-01"}
    card.update(changes)
    return card


def json_of(response: TestResponse) -> Any:
    """The JSON body of a test client's response (typed for mypy: werkzeug says it may be None)."""
    return response.json


def record_of(someone: dict[str, str]) -> CardRecord:
    """What an edge-reader makes of their card (a blank 1,024-byte photo)."""
    card = card_of(someone)
    return CardRecord(name=card["name"], sex=card["sex"], ethnicity="01",
                      birth_date=date.fromisoformat(card["birth_date"]), address=card["address"],
                      id_number=card["id_number"], issuing_authority=card["issuing_authority"],
                      valid_from=date(2016, 5, 1), valid_to=date(2036, 5, 1), photo=bytes(PHOTO_LENGTH))


SAMPLE_BORN = date(1990, 6, 1)
SAMPLE_CARD = CardRecord(name="王测试", sex="male", ethnicity="01", birth_date=SAMPLE_BORN,
                         address="四川省成都市锦江区测试巷3号", id_number=make_id_number("510104", SAMPLE_BORN, 315),
                         issuing_authority="成都市公安局锦江区分局", valid_from=date(2018, 1, 20),
                         valid_to=date(2038, 1, 20), photo=b"\x00" * PHOTO_LENGTH)


def drain_envelopes(amqp: str, queue_name: str) -> list[Envelope]:
    """Every envelope waiting in a queue of the test's own, taken off it."""
    found = []
    with Connection(amqp) as conn:
        queue = Queue(queue_name)(conn.default_channel)
        while (message := queue.get(no_ack=True)) is not None:
            found.append(Envelope.from_json(message.body))
    return found
