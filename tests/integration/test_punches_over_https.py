"""Punches posted over HTTPS through the gateway by a gate or site bridge that signs them with its own credential
(R27): taken by the one punch intake and kept once, however often posted; refused with problem+json when unsigned,
badly signed, stale, signed with a rotated or revoked credential, or naming a gate the signer does not drive. Their
photos are kept apart, sealed, shown (audited) to the gate managers and regulators, and deleted after their
retention. Real PostgreSQL and RabbitMQ; the attendance relay and consumer run as in production."""

from __future__ import annotations

import base64
import json
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import func, select, text, update
from werkzeug.test import TestResponse

from realname_attendance.app import create_app
from realname_attendance.models import GATE_PUNCH_KEY_CONTEXT, PUNCH_PHOTO_CONTEXT, Punch, PunchPhoto
from realname_attendance.punch_photo_retention import expire_punch_photos, retire_punch_photos
from realname_attendance.punch_photos import keep_punch_photo
from realname_attendance.service import SPEC
from realname_attendance.settings import PUNCH_PHOTO_RETENTION_DAYS
from realname_codes.punch_signing import signed_headers, signing_key
from realname_gateway.app import create_app as create_gateway
from realname_gateway.upstream import WsgiUpstream
from realname_kit.privacy.blobs import open_bytes
from realname_kit.privacy.keyring import Keyring, add_key, shared_keyring
from realname_kit.privacy.rotation import rekey_service
from realname_kit.settings import Settings
from realname_kit.timeutil import utcnow
from tests.support import face_photos
from tests.support.devices import Site
from tests.support.stack import Stack, eventually

CHINA = timezone(timedelta(hours=8))
SETTLE_S = 60.0
PUNCHES = "/api/v1/attendance/punches"


@pytest.fixture(scope="module")
def site(module_stack: Stack) -> Site:
    """Attendance behind the gateway (as every client reaches it), its relay and consumer running."""
    stack = module_stack
    stack.migrate("attendance", "gateway")
    stack.declare()
    app = create_app(stack.settings, stack.db("attendance"))
    gateway = create_gateway(stack.settings, {"attendance": WsgiUpstream(app)}, stack.db("gateway"))
    found = Site(stack, gateway.test_client())
    for project, gc in ((found.project, found.gc), (found.other, found.other_gc)):
        found.learn("project.registered", project_id=project, general_contractor_id=gc, name="东方明珠二期")
    stack.spawn("relay", "attendance")
    stack.spawn("consumer", "attendance")
    eventually(lambda: _consuming(stack, "posted-punches"), 120)
    return found


def _consuming(stack: Stack, purpose: str) -> bool:
    return stack.queue_consumers(stack.queue_name("attendance", purpose)) > 0


@dataclass
class Device:
    """A gate or bridge as registered: what it signs with, and the serial of a gate it drives."""

    id: str
    account: str
    password: str
    serial: str
    gate_id: str


@pytest.fixture
def gate(site: Site) -> Device:
    made = site.gate()
    return Device(made["id"], made["credentials"]["account"], made["credentials"]["password"], made["serial"],
                  made["id"])


# --- posting, and what the intake kept ---------------------------------------------------------------------------

def post(site: Site, signer: Device, punches: list[dict[str, Any]], *, password: str | None = None,
         now: float | None = None, idempotency_key: str | None = None) -> TestResponse:
    body = json.dumps({"punches": punches}).encode()
    signed = signed_headers(signer.account, password or signer.password, body, now=now)
    extra = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
    return site.client.post(PUNCHES, data=body, headers={**signed, **extra, "Content-Type": "application/json"})


def punch(serial: str, key: str = "1001", *, minutes_ago: int = 30, photo: bytes | None = None) -> dict[str, Any]:
    at = datetime.now(CHINA).replace(microsecond=0) - timedelta(minutes=minutes_ago)
    return {"device": serial, "worker_key": key, "at": at.isoformat(), "event_key": f"{serial}:{key}:{uuid.uuid4()}",
            "direction": "in", "verified_by": "face",
            "photo_jpeg": base64.b64encode(photo).decode() if photo is not None else None}


def stored(site: Site, gate_id: str) -> list[str]:
    """The event keys the punch intake kept for the gate."""
    with site.stack.db("attendance").transaction() as session:
        return sorted(session.scalars(select(Punch.event_key).where(Punch.gate_id == gate_id)))


def settled(site: Site) -> bool:
    """The outbox relayed and the posted punches' queue emptied."""
    pending = site.stack.count("attendance", "SELECT count(*) FROM outbox WHERE published_at IS NULL")
    return pending == 0 and site.stack.queue_depth(site.stack.queue_name("attendance", "posted-punches")) == 0


def refused(answer: TestResponse, status: int, reason: str) -> dict[str, Any]:
    assert answer.status_code == status, answer.get_json()
    assert answer.content_type == "application/problem+json"
    body = dict(answer.get_json() or {})
    assert body["reason"] == reason and body["message"] and body["message_zh"], body
    return body


def posted_events(site: Site) -> int:
    return site.stack.count("attendance", "SELECT count(*) FROM outbox WHERE type = 'punch.posted'")


# --- the tests ---------------------------------------------------------------------------------------------------

def test_a_signed_punch_is_kept_once_however_often_it_is_posted_and_answered_the_same(site: Site,
                                                                                      gate: Device) -> None:
    punches = [punch(gate.serial, "1001"), punch(gate.serial, "1002", photo=face_photos.astronaut())]
    first = post(site, gate, punches)
    assert first.status_code == 202, first.get_json()
    assert first.get_json() == {"accepted": 2, "refused": 0, "punches": [
        {"device": gate.serial, "event_key": punches[0]["event_key"], "outcome": "accepted", "reason": None,
         "detail": None, "photo": None},
        {"device": gate.serial, "event_key": punches[1]["event_key"], "outcome": "accepted", "reason": None,
         "detail": None, "photo": "kept"}]}
    again = post(site, gate, punches)  # the answer was lost: the bridge posts the same again
    assert again.status_code == 202 and again.get_json() == first.get_json()

    eventually(lambda: stored(site, gate.gate_id) == sorted(p["event_key"] for p in punches) and settled(site),
               SETTLE_S)
    assert stored(site, gate.gate_id) == sorted(p["event_key"] for p in punches)


def test_an_idempotency_key_replays_the_first_answer(site: Site, gate: Device) -> None:
    punches = [punch(gate.serial)]
    key = str(uuid.uuid4())
    first = post(site, gate, punches, idempotency_key=key)
    again = post(site, gate, punches, idempotency_key=key)
    assert first.status_code == again.status_code == 202
    assert again.headers.get("Idempotent-Replayed") == "true" and again.get_json() == first.get_json()


def test_a_bridge_posts_for_the_gates_behind_it_and_for_no_other(site: Site, gate: Device) -> None:
    made = site.bridge()
    vendor = site.gate("hikvision-isapi", bridge_id=made["id"])
    bridge = Device(made["id"], made["credentials"]["account"], made["credentials"]["password"], vendor["serial"],
                    vendor["id"])
    ours = punch(bridge.serial)
    assert post(site, bridge, [ours]).status_code == 202
    eventually(lambda: stored(site, bridge.gate_id) == [ours["event_key"]], SETTLE_S)

    before = posted_events(site)
    body = refused(post(site, bridge, [punch(bridge.serial), punch(gate.serial)]), 403, "not_your_device")
    assert body["devices"] == [gate.serial]
    assert posted_events(site) == before  # nothing of the post was taken


def test_unsigned_badly_signed_and_stale_posts_are_refused_and_change_nothing(site: Site, gate: Device) -> None:
    before = posted_events(site)
    body = json.dumps({"punches": [punch(gate.serial)]}).encode()
    with_token = site.client.post(PUNCHES, data=body, headers={**site.manager.headers,
                                                               "Content-Type": "application/json"})
    refused(with_token, 401, "signature_missing")  # a user's token opens nothing here
    refused(post(site, gate, [punch(gate.serial)], password="not-the-password"), 401, "signature_invalid")
    refused(post(site, gate, [punch(gate.serial)], now=time.time() - 301), 401, "signature_stale")
    refused(post(site, gate, [punch(gate.serial)], now=time.time() + 301), 401, "signature_stale")
    stranger = Device("-", f"gate-{uuid.uuid4().hex[:8]}", "whatever", gate.serial, gate.gate_id)
    refused(post(site, stranger, [punch(gate.serial)]), 401, "signature_invalid")
    tampered = signed_headers(gate.account, gate.password, body)
    refused(site.client.post(PUNCHES, data=body.replace(b"1001", b"1009"), headers={
        **tampered, "Content-Type": "application/json"}), 401, "signature_invalid")
    assert posted_events(site) == before


def test_a_rotated_credential_stops_at_once_and_the_new_one_works_until_revoked(site: Site, gate: Device) -> None:
    rotated = site.manager.post(f"/gates/{gate.id}/credentials")
    assert rotated.status_code == 200, rotated.json
    refused(post(site, gate, [punch(gate.serial)]), 401, "signature_invalid")
    new_password = (rotated.json or {})["credentials"]["password"]
    assert post(site, gate, [punch(gate.serial)], password=new_password).status_code == 202

    assert site.manager.delete(f"/gates/{gate.id}/credentials").status_code == 204
    refused(post(site, gate, [punch(gate.serial)], password=new_password), 401, "signature_invalid")


def test_a_bad_punch_is_refused_alone_and_a_bad_photo_drops_only_the_photo(site: Site, gate: Device) -> None:
    good = punch(gate.serial, "2001")
    no_offset = {**punch(gate.serial, "2002"), "at": "2026-12-05T07:31:02"}
    no_worker = {k: v for k, v in punch(gate.serial, "2003").items() if k != "worker_key"}
    png = punch(gate.serial, "2004", photo=face_photos.as_png())
    answer = post(site, gate, [good, no_offset, no_worker, png])
    assert answer.status_code == 202, answer.get_json()
    outcomes = [(p["outcome"], p["reason"], p["photo"]) for p in answer.get_json()["punches"]]
    assert outcomes == [("accepted", None, None), ("refused", "punch_time_invalid", None),
                        ("refused", "punch_invalid", None), ("accepted", None, "photo_not_jpeg")]
    assert answer.get_json()["accepted"] == 2 and answer.get_json()["refused"] == 2
    eventually(lambda: stored(site, gate.gate_id) == sorted([good["event_key"], png["event_key"]]), SETTLE_S)
    assert _photo_count(site, png["event_key"]) == 0


def test_a_photo_is_sealed_at_rest_and_shown_to_gate_managers_and_regulators_each_view_audited(
        site: Site, gate: Device) -> None:
    jpeg = face_photos.astronaut()
    taken = punch(gate.serial, "3001", photo=jpeg)
    assert post(site, gate, [taken]).get_json()["punches"][0]["photo"] == "kept"

    with site.stack.db("attendance").engine.connect() as conn:
        at_rest = conn.execute(text("SELECT photo_enc FROM punch_photos WHERE event_key = :k"),
                               {"k": taken["event_key"]}).scalar_one()
    assert taken["photo_jpeg"][:200] not in at_rest and "/9j/" not in at_rest  # not the JPEG, nor its base64

    query = {"device": gate.serial, "event_key": taken["event_key"], "at": taken["at"]}
    audits = len(site.audits("punch.photo_viewed"))
    for viewer in (site.manager, site.regulator):
        shown = site.client.get(f"{PUNCHES}/photo", query_string=query, headers=viewer.headers)
        assert shown.status_code == 200, shown.get_json()
        assert shown.data == jpeg and shown.mimetype == "image/jpeg"
        assert shown.headers["Cache-Control"] == "no-store"
    assert len(site.audits("punch.photo_viewed")) == audits + 2
    for stranger in (site.other_manager, site.caller("labour", enterprise_id=str(uuid.uuid4()))):
        refused(site.client.get(f"{PUNCHES}/photo", query_string=query, headers=stranger.headers), 404,
                "punch_photo_not_found")
    refused(site.client.get(f"{PUNCHES}/photo", query_string=query, headers=site.caller("admin").headers), 403,
            "forbidden")
    assert len(site.audits("punch.photo_viewed")) == audits + 2


def test_an_intake_keeps_a_photo_once_and_drops_one_that_is_not_a_jpeg(site: Site, gate: Device) -> None:
    keyring, at = shared_keyring(site.stack.settings), utcnow().replace(microsecond=0)
    jpeg = base64.b64encode(face_photos.astronaut()).decode()
    with site.stack.db("attendance").transaction() as session:
        assert keep_punch_photo(session, gate.serial, "direct-1", at, jpeg, keyring=keyring, gate_id=gate.gate_id)
        assert keep_punch_photo(session, gate.serial, "direct-1", at, jpeg, keyring=keyring, gate_id=gate.gate_id)
        assert not keep_punch_photo(session, gate.serial, "direct-2", at, base64.b64encode(b"GIF89a").decode(),
                                    keyring=keyring, gate_id=gate.gate_id)
    assert _photo_count(site, "direct-1") == 1 and _photo_count(site, "direct-2") == 0


def test_the_retention_chore_deletes_the_photos_kept_longer_than_the_setting(site: Site, gate: Device) -> None:
    keyring, at = shared_keyring(site.stack.settings), utcnow().replace(microsecond=0)
    jpeg = base64.b64encode(face_photos.astronaut()).decode()
    with site.stack.db("attendance").transaction() as session:
        for key in ("old", "recent"):
            keep_punch_photo(session, gate.serial, f"{gate.serial}-{key}", at, jpeg, keyring=keyring,
                             gate_id=gate.gate_id)
        session.execute(update(PunchPhoto).where(PunchPhoto.event_key == f"{gate.serial}-recent")
                        .values(kept_at=utcnow() + timedelta(days=30)))
    # 91 days on: the photo kept today is past 90 days, the one kept "30 days later" is not.
    assert expire_punch_photos(site.stack.db("attendance"), 90, utcnow() + timedelta(days=91)) >= 1
    assert _photo_count(site, f"{gate.serial}-old") == 0
    assert _photo_count(site, f"{gate.serial}-recent") == 1


def _photo_count(site: Site, event_key: str) -> int:
    with site.stack.db("attendance").transaction() as session:
        return int(session.scalar(select(func.count()).select_from(PunchPhoto).where(
            PunchPhoto.event_key == event_key)) or 0)


def test_the_chore_beside_the_relay_applies_the_configured_retention(site: Site, gate: Device) -> None:
    assert retire_punch_photos in SPEC.chores
    keyring, at = shared_keyring(site.stack.settings), utcnow().replace(microsecond=0)
    with site.stack.db("attendance").transaction() as session:
        keep_punch_photo(session, gate.serial, "chore-old", at, base64.b64encode(face_photos.astronaut()).decode(),
                         keyring=keyring, gate_id=gate.gate_id)
        session.execute(update(PunchPhoto).where(PunchPhoto.event_key == "chore-old")
                        .values(kept_at=utcnow() - timedelta(days=8)))
    stop = threading.Event()
    settings = Settings.from_env(site.stack.env(**{PUNCH_PHOTO_RETENTION_DAYS: "7"}))
    chore = threading.Thread(target=retire_punch_photos, args=(settings, site.stack.db("attendance"), stop),
                             daemon=True)
    chore.start()
    try:
        eventually(lambda: _photo_count(site, "chore-old") == 0, timeout=30)
    finally:
        stop.set()
        chore.join(5)


def test_a_key_rotation_reseals_the_photos_and_the_signing_keys(site: Site, gate: Device) -> None:
    """Last: the service in this process keeps the keyring it loaded, which knows no key added here."""
    jpeg = face_photos.cat()
    taken = punch(gate.serial, "4001", photo=jpeg)
    assert post(site, gate, [taken]).status_code == 202
    new_kid = add_key(site.stack.settings.data_keys_file)
    keyring = Keyring.from_settings(site.stack.settings)
    assert rekey_service(SPEC, site.stack.db("attendance"), keyring) >= 2
    with site.stack.db("attendance").engine.connect() as conn:
        photo = conn.execute(text("SELECT photo_enc FROM punch_photos WHERE event_key = :k"),
                             {"k": taken["event_key"]}).scalar_one()
        key = conn.execute(text("SELECT punch_key_enc FROM gates WHERE id = :g"), {"g": gate.gate_id}).scalar_one()
    assert f":{new_kid}:" in photo and open_bytes(keyring, photo, PUNCH_PHOTO_CONTEXT) == jpeg
    assert f":{new_kid}:" in key and open_bytes(keyring, key, GATE_PUNCH_KEY_CONTEXT) == signing_key(gate.password)
