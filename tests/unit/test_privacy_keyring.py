"""The data keyring: AES-GCM values bound to their column, rotation, blind indexes, the key file."""

from __future__ import annotations

import base64
import json
import re
import stat
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from realname_kit.privacy import (
    Keyring,
    KeyringError,
    Kind,
    PrivacyError,
    TamperedValueError,
    UnknownKeyError,
    add_key,
    ensure_keyring,
    key_id,
    normalise,
)
from realname_kit.settings import Settings

CONTEXT = "registry.workers.id_number"
STORED = re.compile(r"v1:(?P<kid>[A-Za-z0-9_-]+):(?P<nonce>[A-Za-z0-9_-]{16}):(?P<ct>[A-Za-z0-9_-]+)")
B64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


@pytest.fixture
def key_file(tmp_path: Path) -> Path:
    path = tmp_path / "keys" / "data-keys.json"
    assert ensure_keyring(path)
    return path


@pytest.fixture
def keyring(key_file: Path) -> Keyring:
    return Keyring.load(key_file)


@given(st.text())
def test_any_text_round_trips(text: str) -> None:
    ring = Keyring("k1", {"k1": bytes(32)}, bytes(range(32)))
    assert ring.decrypt(ring.encrypt(text, context=CONTEXT), context=CONTEXT) == text


def test_chinese_text_round_trips_in_the_documented_form(keyring: Keyring) -> None:
    stored = keyring.encrypt("张三 上海市徐汇区 31010419900101123X", context=CONTEXT)
    match = STORED.fullmatch(stored)
    assert match and match["kid"] == keyring.active == key_id(stored)
    assert stored.isascii() and "张" not in stored
    assert keyring.decrypt(stored, context=CONTEXT) == "张三 上海市徐汇区 31010419900101123X"


def test_the_same_value_encrypts_differently_each_time(keyring: Keyring) -> None:
    assert keyring.encrypt("13812345678", context=CONTEXT) != keyring.encrypt("13812345678", context=CONTEXT)


def test_a_value_copied_to_another_column_does_not_decrypt(keyring: Keyring) -> None:
    stored = keyring.encrypt("13812345678", context="registry.workers.phone")
    with pytest.raises(TamperedValueError):
        keyring.decrypt(stored, context="registry.workers.emergency_phone")


def test_changing_any_character_of_a_stored_value_is_detected(keyring: Keyring) -> None:
    stored = keyring.encrypt("31010419900101123X", context=CONTEXT)
    for i, char in enumerate(stored):
        for other in {B64URL[(B64URL.find(char) + 1) % 64], ":", "="}:
            tampered = stored[:i] + other + stored[i + 1:]
            if tampered != stored:
                with pytest.raises(PrivacyError):
                    keyring.decrypt(tampered, context=CONTEXT)


def test_flipping_any_bit_of_nonce_or_ciphertext_is_detected(keyring: Keyring) -> None:
    stored = keyring.encrypt("6222021234567890123", context=CONTEXT)
    version, kid, *parts = stored.split(":")
    for which in (0, 1):
        raw = base64.urlsafe_b64decode(parts[which] + "=" * (-len(parts[which]) % 4))
        for byte in range(len(raw)):
            for bit in range(8):
                flipped = bytearray(raw)
                flipped[byte] ^= 1 << bit
                new = list(parts)
                new[which] = base64.urlsafe_b64encode(bytes(flipped)).rstrip(b"=").decode()
                with pytest.raises(TamperedValueError):
                    keyring.decrypt(":".join([version, kid, *new]), context=CONTEXT)


@pytest.mark.parametrize("stored", ["", "13812345678", "v2:k1:AAAAAAAAAAAAAAAA:AAAAAAAAAAAAAAAAAAAAAA",
                                    "v1:k1:AAAA:AAAAAAAAAAAAAAAAAAAAAA", "v1:k1:AAAAAAAAAAAAAAAA:AAAA",
                                    "v1:k1:AAAAAAAAAAAAAAAA:AAAAAAAAAAAAAAAAAAAAAA:x"])
def test_a_malformed_value_is_refused_clearly(keyring: Keyring, stored: str) -> None:
    with pytest.raises(TamperedValueError):
        keyring.decrypt(stored, context=CONTEXT)


def test_a_value_of_another_keyring_names_an_unknown_key(keyring: Keyring, tmp_path: Path) -> None:
    ensure_keyring(tmp_path / "other.json")
    stored = Keyring.load(tmp_path / "other.json").encrypt("13812345678", context=CONTEXT)
    with pytest.raises(UnknownKeyError, match=key_id(stored)):
        keyring.decrypt(stored, context=CONTEXT)


def test_after_rotation_old_values_decrypt_and_need_rekeying(key_file: Path, keyring: Keyring) -> None:
    old = keyring.encrypt("31010419900101123X", context=CONTEXT)
    old_index = keyring.blind_index("31010419900101123X", field=CONTEXT, kind="id_number")
    assert not keyring.needs_rekey(old)

    kid = add_key(key_file)
    rotated = Keyring.load(key_file)
    assert rotated.active == kid != keyring.active
    assert rotated.kids == keyring.kids | {kid}
    assert rotated.decrypt(old, context=CONTEXT) == "31010419900101123X"
    assert rotated.needs_rekey(old)
    new = rotated.rekey(old, context=CONTEXT)
    assert key_id(new) == kid and not rotated.needs_rekey(new)
    assert rotated.rekey(new, context=CONTEXT) == new
    assert rotated.decrypt(new, context=CONTEXT) == "31010419900101123X"
    assert rotated.blind_index("31010419900101123x", field=CONTEXT, kind="id_number") == old_index
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert [p.name for p in key_file.parent.iterdir()] == [key_file.name]  # no temporary file left behind


@pytest.mark.parametrize(("kind", "a", "b"), [
    ("id_number", "31010419900101123X", " 31010419900101123x "),
    ("id_number", "310104199001011234", "３１０１０４１９９００１０１１２３４"),
    ("phone", "13812345678", "+86 138-1234-5678"),
    ("phone", "13812345678", "0086 13812345678"),
    ("bank_card", "6222021234567890123", "6222 0212 3456 7890 123"),
    ("text", "张三", " 张三\n"),
])
def test_equal_normalised_values_have_equal_blind_indexes(keyring: Keyring, kind: Kind, a: str, b: str) -> None:
    assert normalise(a, kind) == normalise(b, kind)
    first = keyring.blind_index(a, field="f", kind=kind)
    assert re.fullmatch(r"[0-9a-f]{64}", first)
    assert first == keyring.blind_index(b, field="f", kind=kind)


def test_blind_indexes_differ_across_fields_values_and_keyrings(keyring: Keyring, tmp_path: Path) -> None:
    index = keyring.blind_index("13812345678", field="registry.workers.phone", kind="phone")
    assert index != keyring.blind_index("13812345678", field="registry.workers.emergency_phone", kind="phone")
    assert index != keyring.blind_index("13812345679", field="registry.workers.phone", kind="phone")
    ensure_keyring(tmp_path / "other.json")
    other = Keyring.load(tmp_path / "other.json")
    assert index != other.blind_index("13812345678", field="registry.workers.phone", kind="phone")


def test_the_key_file_is_created_private_once(tmp_path: Path) -> None:
    path = tmp_path / "a" / "data-keys.json"
    assert ensure_keyring(path)
    content = path.read_bytes()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    doc = json.loads(content)
    assert set(doc) == {"active", "keys", "blind_index_key"} and list(doc["keys"]) == [doc["active"]]
    assert len(base64.b64decode(doc["keys"][doc["active"]])) == 32 == len(base64.b64decode(doc["blind_index_key"]))
    assert not ensure_keyring(path)
    assert path.read_bytes() == content
    assert [p.name for p in path.parent.iterdir()] == [path.name]


def test_the_keyring_does_not_show_its_keys(keyring: Keyring, key_file: Path) -> None:
    doc = json.loads(key_file.read_text())
    assert doc["keys"][keyring.active] not in repr(keyring) and doc["blind_index_key"] not in repr(keyring)


def test_settings_create_the_development_keyring_only_at_the_default_path(tmp_path: Path) -> None:
    settings = Settings.from_env({"REALNAME_DATA_DIR": str(tmp_path)})
    ring = Keyring.from_settings(settings)
    assert settings.data_keys_file == tmp_path / "keys" / "data-keys.json"
    assert Keyring.from_settings(settings).active == ring.active
    explicit = Settings.from_env({"REALNAME_DATA_DIR": str(tmp_path),
                                  "REALNAME_DATA_KEYS_FILE": str(tmp_path / "prod-keys.json")})
    with pytest.raises(FileNotFoundError):
        Keyring.from_settings(explicit)


@pytest.mark.parametrize("doc", [
    {},
    {"active": "k1", "keys": {}, "blind_index_key": base64.b64encode(bytes(32)).decode()},
    {"active": "k1", "keys": {"k1": base64.b64encode(bytes(16)).decode()},
     "blind_index_key": base64.b64encode(bytes(32)).decode()},
    {"active": "k:1", "keys": {"k:1": base64.b64encode(bytes(32)).decode()},
     "blind_index_key": base64.b64encode(bytes(32)).decode()},
    {"active": "k1", "keys": {"k1": "not base64!"}, "blind_index_key": base64.b64encode(bytes(32)).decode()},
    {"active": "k1", "keys": {"k1": base64.b64encode(bytes(32)).decode()}},
])
def test_a_malformed_key_file_is_refused(tmp_path: Path, doc: dict[str, object]) -> None:
    path = tmp_path / "keys.json"
    path.write_text(json.dumps(doc))
    with pytest.raises(KeyringError):
        Keyring.load(path)
    with pytest.raises(KeyringError):
        add_key(path)
