"""Personal fields inside events are sealed with the data keyring: the bus carries ciphertext (R4, PIPL).

The identity service seals every card field of its read events (version 2); the registry opens them, and still
reads the plain version 1 an identity service of before the upgrade left in its outbox or a queue.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping
from pathlib import Path

import pytest

from realname_identity import events as identity_events
from realname_kit.bus.envelope import Envelope
from realname_kit.bus.processing import PoisonMessage
from realname_kit.privacy import Keyring, SealedFields, TamperedValueError, UnknownKeyError, add_key, ensure_keyring
from realname_registry.card_reads import SEALED, card_read_data

NUMBER, NAME, ADDRESS = "110101199003071234", "欧阳娜", "北京市东城区东华门街道1号"
CARD = {"read_id": "read-1", "employer_id": "emp-1", "id_number": NUMBER, "name": NAME, "sex": "female",
        "ethnicity": "01", "birth_date": "1990-03-07", "address": ADDRESS, "issuing_authority": "北京市公安局东城分局",
        "valid_from": "2016-05-01", "valid_to": None, "card_serial": "S-1", "verified_at": "2026-11-20T08:00:00+00:00"}
KEYRING = Keyring("k1", {"k1": secrets.token_bytes(32)}, secrets.token_bytes(32))


def event(event_type: str, data: Mapping[str, object], version: int) -> Envelope:
    return Envelope(type=event_type, source="identity", data=dict(data), version=version)


def test_a_sealed_event_shows_no_personal_field_and_opens_to_what_was_sealed() -> None:
    sealed = identity_events.VERIFIED.seal(KEYRING, CARD)
    text = json.dumps(sealed, ensure_ascii=False)
    assert NUMBER not in text and NAME not in text and ADDRESS not in text and "1990-03-07" not in text
    assert (sealed["read_id"], sealed["verified_at"]) == ("read-1", CARD["verified_at"])  # what routes stays plain
    assert identity_events.VERIFIED.open(KEYRING, sealed) == CARD  # None and dates come back as they were


def test_a_sealed_value_opens_only_in_its_own_event_type_and_field() -> None:
    sealed = identity_events.VERIFIED.seal(KEYRING, CARD)
    swapped = {**sealed, "sealed": {**sealed["sealed"], "name": sealed["sealed"]["address"]}}
    with pytest.raises(TamperedValueError):
        identity_events.VERIFIED.open(KEYRING, swapped)
    with pytest.raises(TamperedValueError):
        identity_events.PENDING.open(KEYRING, sealed)  # copied into another event type
    with pytest.raises(TamperedValueError):
        SealedFields("identity.verified", ("name",)).open(KEYRING, sealed)  # fields it does not expect


def test_events_sealed_before_a_key_rotation_still_open_after_it(tmp_path: Path) -> None:
    path = tmp_path / "data-keys.json"
    ensure_keyring(path)
    before = identity_events.REJECTED.seal(Keyring.load(path), {"read_id": "r", "id_number": NUMBER})
    add_key(path)
    rotated = Keyring.load(path)
    assert identity_events.REJECTED.open(rotated, before)["id_number"] == NUMBER
    after = identity_events.REJECTED.seal(rotated, {"read_id": "r", "id_number": NUMBER})
    assert after["sealed"]["id_number"].split(":")[1] == rotated.active
    with pytest.raises(UnknownKeyError):  # a process whose keyring has not the new key yet: retried, not lost
        identity_events.REJECTED.open(Keyring("k1", {"k1": bytes(32)}, bytes(32)), after)


def test_the_registry_opens_what_identity_seals_for_each_of_its_events() -> None:
    for event_type, sealed_fields in identity_events.SEALED.items():
        data = {k: v for k, v in CARD.items() if k in ("read_id", *sealed_fields.fields)}
        sent = event(event_type, sealed_fields.seal(KEYRING, data), identity_events.VERSION)
        assert card_read_data(sent, KEYRING) == data
        assert SEALED[event_type].fields == sealed_fields.fields  # the two services agree on the contract


def test_the_registry_still_reads_the_plain_version_an_older_identity_sent() -> None:
    assert card_read_data(event("identity.verified", CARD, 1), KEYRING) == CARD


@pytest.mark.parametrize(("version", "data"), [
    (2, CARD),  # claims to be sealed and is not
    (1, identity_events.VERIFIED.seal(KEYRING, CARD)),  # sealed but says version 1: another shape
    (3, identity_events.VERIFIED.seal(KEYRING, CARD)),  # a version this registry does not know
    (2, {**identity_events.VERIFIED.seal(KEYRING, CARD), "sealed": {"name": "v1:k1:AAAA:BBBB"}}),
])
def test_a_read_event_that_cannot_be_opened_is_poison_not_a_retry(version: int, data: dict[str, object]) -> None:
    with pytest.raises(PoisonMessage):
        card_read_data(event("identity.verified", data, version), KEYRING)
