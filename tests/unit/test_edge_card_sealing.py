"""A card read is sealed on the reader PC with its account's key, and opens only for that account and read (R4)."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from realname_codes.card_seal import CardSeal, SealKeyError, UnsealableCard, new_seal_key
from realname_edge.publisher import CardReadPublisher
from realname_edge.spool import CardSpool
from realname_identity.edge_reads import PLAIN_UNTIL, RefusedEdgeRead, card_of, plain_reads_until
from realname_identity.models import SEAL_KEY_CONTEXT, ReaderAccount
from realname_kit.privacy import Keyring
from realname_kit.settings import Settings
from tests.support.cards import SAMPLE_CARD
from tests.support.infra import free_port

KEY = new_seal_key()
ACCOUNT = "edge-7a1b2c3d-0f0f0f0f"
CARD = SAMPLE_CARD.to_event()
KEYRING = Keyring("k1", {"k1": secrets.token_bytes(32)}, secrets.token_bytes(32))
NOW = datetime(2026, 12, 5, 3, 0, tzinfo=UTC)


def unreachable() -> str:
    return f"amqp://{ACCOUNT}:pw@127.0.0.1:{free_port()}/"


def account(key: str | None = KEY, username: str = ACCOUNT) -> ReaderAccount:
    return ReaderAccount(username=username, employer_id="employer-7", created_at=NOW, created_by="clerk",
                         seal_key_enc=KEYRING.encrypt(key, context=SEAL_KEY_CONTEXT) if key else None)


def test_a_sealed_card_shows_nothing_of_the_card_and_opens_to_it() -> None:
    sealed = CardSeal(KEY, ACCOUNT).seal("read-1", CARD)

    assert list(sealed) == ["sealed_card"]
    assert SAMPLE_CARD.id_number not in str(sealed) and SAMPLE_CARD.name not in str(sealed)
    assert CardSeal(KEY, ACCOUNT).open("read-1", sealed) == CARD


def test_a_sealed_card_does_not_open_for_another_account_another_read_or_another_key() -> None:
    sealed = CardSeal(KEY, ACCOUNT).seal("read-1", CARD)

    for seal, read_id in ((CardSeal(KEY, "edge-other"), "read-1"), (CardSeal(KEY, ACCOUNT), "read-2"),
                          (CardSeal(new_seal_key(), ACCOUNT), "read-1")):
        with pytest.raises(UnsealableCard):
            seal.open(read_id, sealed)
    with pytest.raises(UnsealableCard, match="malformed"):
        CardSeal(KEY, ACCOUNT).open("read-1", {"sealed_card": sealed["sealed_card"][:-1] + "!"})


def test_a_seal_key_must_be_32_bytes_and_never_shows_in_a_repr() -> None:
    with pytest.raises(SealKeyError):
        CardSeal("too-short", ACCOUNT)
    assert KEY not in repr(CardSeal(KEY, ACCOUNT))


def test_the_spool_of_a_reader_that_cannot_reach_the_broker_holds_no_card_in_clear(tmp_path: Path) -> None:
    with CardSpool(tmp_path / "spool.sqlite") as spool, \
            CardReadPublisher(unreachable(), "edge.events", "employer-7", spool, seal_key=KEY,
                              confirm_timeout=1) as publisher:
        read_id = publisher.record_read(SAMPLE_CARD)
        (kept,) = spool.pending(10)

    files = b"".join(path.read_bytes() for path in tmp_path.iterdir())
    for clear in (SAMPLE_CARD.id_number, SAMPLE_CARD.name, SAMPLE_CARD.address):
        assert clear.encode() not in files
    assert CardSeal(KEY, ACCOUNT).open(read_id, kept.payload) == CARD


def test_plain_reads_an_older_reader_left_in_the_spool_are_sealed_before_anything_is_sent(tmp_path: Path) -> None:
    with CardSpool(tmp_path / "spool.sqlite") as spool:
        spool.add("old-read", CARD)
        with CardReadPublisher(unreachable(), "edge.events", "employer-7", spool, seal_key=KEY, confirm_timeout=1):
            (kept,) = spool.pending(10)

    assert kept.read_id == "old-read" and list(kept.payload) == ["sealed_card"]
    assert CardSeal(KEY, ACCOUNT).open("old-read", kept.payload) == CARD
    assert SAMPLE_CARD.id_number.encode() not in b"".join(p.read_bytes() for p in tmp_path.iterdir())


def test_identity_opens_a_read_with_the_key_of_the_account_that_sent_it() -> None:
    sealed = CardSeal(KEY, ACCOUNT).seal("read-1", CARD) | {"read_id": "read-1", "employer_id": "employer-7"}

    assert card_of(KEYRING, account(), "read-1", sealed, now=NOW, plain_until=None) == CARD


def test_identity_refuses_a_card_sealed_for_another_account_or_another_read() -> None:
    sealed = CardSeal(KEY, ACCOUNT).seal("read-1", CARD)

    with pytest.raises(RefusedEdgeRead) as replayed:  # the same key cannot be given to two accounts, but even so
        card_of(KEYRING, account(username="edge-other"), "read-1", sealed, now=NOW, plain_until=None)
    assert replayed.value.reason == "card_read_unsealable"
    with pytest.raises(RefusedEdgeRead, match="card_read_unsealable"):
        card_of(KEYRING, account(), "read-2", sealed, now=NOW, plain_until=None)
    with pytest.raises(RefusedEdgeRead, match="card_read_unsealable"):
        card_of(KEYRING, account(key=new_seal_key()), "read-1", sealed, now=NOW, plain_until=None)


def test_a_plain_read_is_refused_unless_an_old_account_sends_it_within_the_upgrade_window() -> None:
    window = NOW + timedelta(days=30)

    with pytest.raises(RefusedEdgeRead, match="card_read_not_sealed"):  # no window
        card_of(KEYRING, account(key=None), "read-1", CARD, now=NOW, plain_until=None)
    with pytest.raises(RefusedEdgeRead, match="card_read_not_sealed"):  # the window has closed
        card_of(KEYRING, account(key=None), "read-1", CARD, now=window, plain_until=window)
    with pytest.raises(RefusedEdgeRead, match="card_read_not_sealed"):  # an account with a key never sends plain
        card_of(KEYRING, account(), "read-1", CARD, now=NOW, plain_until=window)
    assert card_of(KEYRING, account(key=None), "read-1", CARD, now=NOW, plain_until=window) == CARD


def test_the_upgrade_window_is_an_instant_with_its_time_zone_or_none() -> None:
    assert plain_reads_until(Settings.from_env({})) is None
    until = plain_reads_until(Settings.from_env({PLAIN_UNTIL: "2027-01-31T00:00:00+08:00"}))
    assert until == datetime(2027, 1, 30, 16, 0, tzinfo=UTC)
    for wrong in ("2027-01-31T00:00:00", "end of January"):
        with pytest.raises(ValueError, match=PLAIN_UNTIL):
            plain_reads_until(Settings.from_env({PLAIN_UNTIL: wrong}))
