"""Identity data at rest (R4, PIPL): ID numbers, card photos and the readers' sealing keys encrypted apart, and
re-encrypted under a new key."""

from __future__ import annotations

import base64
import uuid

from sqlalchemy import text

from realname_codes.card_seal import new_seal_key
from realname_identity.app import create_app
from realname_identity.models import SEAL_KEY_CONTEXT, ReaderAccount
from realname_identity.service import SPEC
from realname_kit.privacy import Keyring, add_key
from realname_kit.privacy.rotation import rekey_service
from realname_kit.timeutil import utcnow
from tests.support.cards import card_of, json_of, person
from tests.support.stack import Stack
from tests.support.tokens import bearer

PHOTO = bytes(range(256)) * 4


def test_numbers_photos_and_sealing_keys_are_stored_encrypted_and_rekeyed_under_a_new_key(stack: Stack) -> None:
    stack.migrate("identity")
    client = create_app(stack.settings, stack.db("identity")).test_client()
    headers = bearer(stack.settings, "labour", enterprise_id=str(uuid.uuid4()))
    someone = person(7)
    sent = client.post("/api/v1/identity/card-reads", headers=headers,
                       json=card_of(someone, photo=base64.b64encode(PHOTO).decode()))
    assert sent.status_code == 201, json_of(sent)
    with stack.db("identity").engine.connect() as conn:
        number_enc = conn.execute(text("SELECT id_number_enc FROM card_reads")).scalar_one()
        photo_enc = conn.execute(text("SELECT photo_enc FROM card_photos")).scalar_one()
        columns = {r[0] for r in conn.execute(text(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'card_reads'"))}
    assert someone["id_number"] not in number_enc and base64.b64encode(PHOTO).decode()[:40] not in photo_enc
    assert not {c for c in columns if "photo" in c}  # the photo lives in its own table
    seal_key = new_seal_key()  # as open_account keeps a reader account's key
    with stack.db("identity").transaction() as session:
        session.add(ReaderAccount(username="edge-reader-1", employer_id="e", created_at=utcnow(), created_by="c",
                                  seal_key_enc=Keyring.from_settings(stack.settings).encrypt(
                                      seal_key, context=SEAL_KEY_CONTEXT)))

    new_kid = add_key(stack.settings.data_keys_file)
    keyring = Keyring.from_settings(stack.settings)
    assert rekey_service(SPEC, stack.db("identity"), keyring) == 3
    with stack.db("identity").engine.connect() as conn:
        stored = [conn.execute(text(f"SELECT {c} FROM {t}")).scalar_one() for c, t in (
            ("id_number_enc", "card_reads"), ("photo_enc", "card_photos"), ("seal_key_enc", "reader_accounts"))]
    assert all(f":{new_kid}:" in value for value in stored)
    assert keyring.decrypt(stored[1], context="identity.card_photos.photo") == base64.b64encode(PHOTO).decode()
    assert seal_key not in stored[2] and keyring.decrypt(stored[2], context=SEAL_KEY_CONTEXT) == seal_key
