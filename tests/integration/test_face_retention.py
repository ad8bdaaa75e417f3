"""A face is kept no longer than needed (PIPL art. 19, 47): deleted a set number of days after the worker's last
exit while no project admits them, the gates told, the act audited; and re-sealed when the data key rotates."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import text, update

from realname_attendance.faces.retention import expire_faces, retire_faces
from realname_attendance.models import FACE_PHOTO_CONTEXT, Worker
from realname_attendance.service import SPEC
from realname_attendance.settings import FACE_RETENTION_DAYS
from realname_kit.privacy import Keyring, add_key
from realname_kit.privacy.blobs import open_bytes
from realname_kit.privacy.rotation import rekey_service
from realname_kit.settings import Settings
from realname_kit.timeutil import utcnow
from tests.support import face_photos
from tests.support.attendance_site import LA, Site, build_site
from tests.support.stack import Stack, eventually


@pytest.fixture
def site(stack: Stack) -> Site:
    return build_site(stack)


def with_face(site: Site, *, exited_days_ago: int | None) -> str:
    worker = site.worker(LA)
    assert site.consent(worker).status_code == 200
    assert site.upload(worker, face_photos.astronaut()).status_code == 201
    if exited_days_ago is not None:
        with site.stack.db("attendance").transaction() as session:
            session.execute(update(Worker).where(Worker.worker_id == worker)
                            .values(last_exit_at=utcnow() - timedelta(days=exited_days_ago)))
    return worker


def has_face(site: Site, worker: str) -> bool:
    return site.count("SELECT count(*) FROM faces WHERE worker_id = :w", w=worker) == 1


def test_the_retention_is_a_documented_setting_of_30_days_by_default() -> None:
    assert Settings.from_env({}).value(FACE_RETENTION_DAYS) == "30"


def test_a_face_past_its_retention_after_the_last_exit_is_deleted_the_gates_told_and_the_act_audited(
        site: Site) -> None:
    past, recent, on_site, never_left = (with_face(site, exited_days_ago=31), with_face(site, exited_days_ago=29),
                                         with_face(site, exited_days_ago=40), with_face(site, exited_days_ago=None))
    site.admit(on_site, LA)  # back on another project: still needed at its gates
    assert expire_faces(site.stack.db("attendance"), 30, utcnow()) == 1
    assert not has_face(site, past)
    assert all(has_face(site, w) for w in (recent, on_site, never_left))
    assert site.events("face.removed") == [{"worker_id": past, "cause": "retention"}]
    [audit] = [a for a in site.events("audit.recorded") if a["action"] == "face.removed"]
    assert (audit["subject"], audit["reason"], audit["actor"]["subject"]) == (past, "retention", None)
    assert expire_faces(site.stack.db("attendance"), 30, utcnow()) == 0


def test_the_chore_beside_the_relay_applies_the_configured_retention(site: Site) -> None:
    assert retire_faces in SPEC.chores
    worker = with_face(site, exited_days_ago=8)
    stop = threading.Event()
    settings = Settings.from_env(site.stack.env(**{FACE_RETENTION_DAYS: "7"}))
    chore = threading.Thread(target=retire_faces, args=(settings, site.stack.db("attendance"), stop), daemon=True)
    chore.start()
    try:
        eventually(lambda: not has_face(site, worker), timeout=30)
    finally:
        stop.set()
        chore.join(5)


def test_a_key_rotation_reseals_every_face(site: Site) -> None:
    worker = with_face(site, exited_days_ago=None)
    jpeg = site.as_party("GET", f"/workers/{worker}/face/photo", LA).data
    new_kid = add_key(site.stack.settings.data_keys_file)
    keyring = Keyring.from_settings(site.stack.settings)
    assert rekey_service(SPEC, site.stack.db("attendance"), keyring) == 1
    with site.stack.db("attendance").engine.connect() as conn:
        sealed = conn.execute(text("SELECT photo_enc FROM faces WHERE worker_id = :w"), {"w": worker}).scalar_one()
    assert f":{new_kid}:" in sealed and open_bytes(keyring, sealed, FACE_PHOTO_CONTEXT) == jpeg
