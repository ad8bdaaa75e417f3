"""The simulator reader: hands out sample identities in turn, refuses samples no real card could hold."""

from __future__ import annotations

import base64
import json
import time
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from realname_codes.id_numbers import id_number_problem, make_id_number
from realname_edge.drivers.base import drivers_by_name
from realname_edge.drivers.simulator import PLACEHOLDER_PHOTO, InvalidSamples, SimulatorDriver
from realname_edge.errors import CardUnreadable, NoCard, ReaderNotFound

TODAY = date(2026, 1, 15)
BORN = date(1990, 6, 1)


def _identity(**changes: Any) -> dict[str, Any]:
    identity = {"name": "王测试", "sex": "male", "ethnicity": "01", "birth_date": BORN.isoformat(),
                "address": "四川省成都市锦江区测试巷3号", "id_number": make_id_number("510104", BORN, 315),
                "issuing_authority": "成都市公安局锦江区分局", "valid_from": "2018-01-20", "valid_to": "2038-01-20"}
    return identity | changes


def _opened(tmp_path: Path, text: str, **options: Any) -> SimulatorDriver:
    path = tmp_path / "identities.json"
    path.write_text(text, encoding="utf-8")
    driver = SimulatorDriver(path, today=lambda: TODAY, **options)
    driver.open()
    return driver


def test_the_bundled_samples_are_ten_valid_identities_with_a_photo_each() -> None:
    driver = SimulatorDriver(today=lambda: TODAY)
    driver.open()
    cards = [driver.read_card(timeout=1) for _ in range(10)]
    assert len({card.id_number for card in cards}) == 10
    assert all(id_number_problem(card.id_number, TODAY) is None for card in cards)
    assert all(card.photo == PLACEHOLDER_PHOTO and len(card.photo) == 1024 for card in cards)
    assert driver.read_card(timeout=1) == cards[0]


def test_identities_are_handed_out_in_turn_from_json_lines(tmp_path: Path) -> None:
    second = _identity(name="李示例", sex="female", id_number=make_id_number("510104", BORN, 316))
    driver = _opened(tmp_path, "\n".join(json.dumps(i, ensure_ascii=False) for i in (_identity(), second)) + "\n")
    names = [driver.read_card(timeout=1).name for _ in range(3)]
    assert names == ["王测试", "李示例", "王测试"]


def test_a_sample_reads_as_the_card_read_event_it_was_written_from(tmp_path: Path) -> None:
    identity = _identity(card_serial="0011223344556677")
    card = _opened(tmp_path, json.dumps([identity])).read_card(timeout=1)
    assert card.to_event() == identity | {"photo": base64.b64encode(PLACEHOLDER_PHOTO).decode()}


def test_a_sample_error_entry_rehearses_that_failure(tmp_path: Path) -> None:
    driver = _opened(tmp_path, json.dumps([{"error": "card_unreadable"}, _identity()]))
    with pytest.raises(CardUnreadable, match="simulated"):
        driver.read_card(timeout=1)
    assert driver.read_card(timeout=1).name == "王测试"


def test_a_card_slower_than_the_timeout_is_no_card(tmp_path: Path) -> None:
    driver = _opened(tmp_path, json.dumps([_identity()]), interval=5.0)
    started = time.monotonic()
    with pytest.raises(NoCard):
        driver.read_card(timeout=0.05)
    assert time.monotonic() - started < 1


@pytest.mark.parametrize(("changes", "why"), [
    ({"id_number": "510104199006013150"}, "last character should be"),
    ({"sex": "female"}, "does not agree"),
    ({"birth_date": "1990-06-02"}, "does not agree"),
    ({"ethnicity": "57"}, "GB 3304"),
    ({"sex": "unknown"}, "sex must be"),
    ({"valid_from": "2018-02-30"}, "day is out of range"),
    ({"name": "张" * 16}, "name takes at most 15"),
    ({"photo": "AAAA"}, "photo has 3 bytes"),
    ({"address": None}, "missing 'address'"),
])
def test_a_sample_no_real_card_could_hold_is_refused(tmp_path: Path, changes: dict[str, Any], why: str) -> None:
    identity = {k: v for k, v in _identity(**changes).items() if v is not None}
    with pytest.raises(InvalidSamples, match=why):
        _opened(tmp_path, json.dumps([_identity(), identity], ensure_ascii=False))


@pytest.mark.parametrize("text", ["[]", "{not json", '[{"error": "on_fire"}]', "[42]"])
def test_a_samples_file_without_usable_identities_is_refused(tmp_path: Path, text: str) -> None:
    with pytest.raises(InvalidSamples):
        _opened(tmp_path, text)


def test_a_missing_samples_file_is_reader_not_found(tmp_path: Path) -> None:
    with pytest.raises(ReaderNotFound, match=r"no-such\.json"):
        SimulatorDriver(tmp_path / "no-such.json").open()


def test_reading_before_open_is_reader_not_found() -> None:
    with pytest.raises(ReaderNotFound):
        SimulatorDriver().read_card(timeout=0.1)


def test_drivers_are_chosen_by_name() -> None:
    drivers = drivers_by_name()
    assert set(drivers) == {"sam-serial", "pcsc", "simulator"}
    assert "identities.json" in drivers["simulator"]("").describe()
