"""Face photos on the attendance API over real PostgreSQL: the worker's separate consent first (PIPL art. 29), the
photo checked at upload, stored sealed apart, answered as metadata only, removed on request or on withdrawal."""

from __future__ import annotations

import base64
import io

import pytest
from sqlalchemy import text

from realname_attendance.models import FACE_PHOTO_CONTEXT
from realname_codes.roles import MANAGE_GATES, STAFF, VIEW_WORKFORCE
from realname_kit.privacy import Keyring
from realname_kit.privacy.blobs import open_bytes
from tests.support import face_photos
from tests.support.attendance_site import GC, LA, LB, Site, build_site
from tests.support.stack import Stack


@pytest.fixture
def site(stack: Stack) -> Site:
    return build_site(stack)


def consented_worker(site: Site, employer: str = LA) -> str:
    worker = site.worker(employer)
    assert site.consent(worker, employer).status_code == 200
    return worker


def photo_of(site: Site, worker: str, enterprise_id: str = LA) -> bytes:
    answer = site.as_party("GET", f"/workers/{worker}/face/photo", enterprise_id)
    assert answer.status_code == 200, answer.get_json()
    return bytes(answer.data)


def audits(site: Site, action: str) -> list[dict[str, object]]:
    return [a for a in site.events("audit.recorded") if a["action"] == action]


def test_the_workers_consent_is_recorded_with_who_for_whom_and_how_and_audited(site: Site) -> None:
    worker = site.worker(LA)
    recorded = site.as_party("PUT", f"/workers/{worker}/face-consent", LA,
                             json={"method": "electronic", "given_on": "2026-11-30", "note": "档案柜 A-3"})
    assert recorded.status_code == 200, recorded.get_json()
    read = site.as_party("GET", f"/workers/{worker}/face-consent", LA).get_json()
    assert (read["method"], read["given_on"], read["note"]) == ("electronic", "2026-11-30", "档案柜 A-3")
    assert (read["recorded_by"], read["recorded_for"], read["withdrawn_at"]) == (f"op-{LA}", LA, None)
    assert read["method_zh"] and read["method_en"]
    assert [a["subject"] for a in audits(site, "face.consent_recorded")] == [worker]


def test_a_consent_dated_in_the_future_or_given_in_an_unknown_way_is_refused_and_nothing_is_recorded(
        site: Site) -> None:
    worker = site.worker(LA)
    future = site.as_party("PUT", f"/workers/{worker}/face-consent", LA,
                           json={"method": "signed_form", "given_on": "2999-01-01"})
    assert (future.status_code, future.get_json()["reason"]) == (422, "consent_in_future")
    assert "请" in future.get_json()["message_zh"]
    unknown = site.as_party("PUT", f"/workers/{worker}/face-consent", LA,
                            json={"method": "nodded", "given_on": "2026-11-30"})
    assert unknown.status_code == 422
    none = site.as_party("GET", f"/workers/{worker}/face-consent", LA)
    assert (none.status_code, none.get_json()["reason"]) == (404, "face_consent_not_found")


def test_a_photo_without_consent_on_record_is_refused_saying_how_to_record_it(site: Site) -> None:
    worker = site.worker(LA)
    refused = site.upload(worker, face_photos.astronaut())
    assert (refused.status_code, refused.get_json()["reason"]) == (409, "face_consent_missing")
    assert "face-consent" in refused.get_json()["message"] and "同意" in refused.get_json()["message_zh"]
    assert site.count("SELECT count(*) FROM faces") == 0


def test_a_good_photo_is_stored_sealed_and_answered_as_metadata_only(site: Site) -> None:
    worker = consented_worker(site)
    stored = site.upload(worker, face_photos.astronaut())
    assert stored.status_code == 201, stored.get_json()
    body = stored.get_json()
    assert (body["width"], body["height"], body["version"], body["uploaded_by"]) == (360, 480, 1, f"op-{LA}")
    assert 0 < body["bytes"] <= 50 * 1024 and len(body["sha256"]) == 64
    assert set(body["measures"]) >= {"face_share", "luminance", "sharpness"}
    assert "photo" not in body and site.as_party("GET", f"/workers/{worker}/face", LA).get_json() == body
    assert site.events("face.recorded") == [{"worker_id": worker, "sha256": body["sha256"], "version": 1}]


def test_the_same_photo_sent_again_changes_nothing_and_tells_nobody(site: Site) -> None:
    worker = consented_worker(site)
    first = site.upload(worker, face_photos.astronaut()).get_json()
    again = site.upload(worker, face_photos.astronaut())
    assert (again.status_code, again.get_json()) == (200, first)
    assert len(site.events("face.recorded")) == 1


def test_a_new_photo_replaces_the_old_one_with_a_new_version(site: Site) -> None:
    worker = consented_worker(site)
    site.upload(worker, face_photos.astronaut())
    replaced = site.upload(worker, face_photos.exif_rotated())
    assert (replaced.status_code, replaced.get_json()["version"]) == (200, 2)
    assert [e["version"] for e in site.events("face.recorded")] == [1, 2]


def test_the_jpeg_never_appears_in_the_database_only_its_ciphertext(site: Site) -> None:
    worker = consented_worker(site)
    site.upload(worker, face_photos.astronaut())
    jpeg = photo_of(site, worker)
    keyring = Keyring.from_settings(site.stack.settings)
    with site.stack.db("attendance").engine.connect() as conn:
        sealed = conn.execute(text("SELECT photo_enc FROM faces WHERE worker_id = :w"), {"w": worker}).scalar_one()
        everything = " ".join(row for table in ("faces", "outbox", "workers", "face_consents")
                              for row in conn.execute(text(f"SELECT {table}::text FROM {table}")).scalars())
    assert open_bytes(keyring, sealed, FACE_PHOTO_CONTEXT) == jpeg
    middle = jpeg[len(jpeg) // 2:len(jpeg) // 2 + 48]
    for form in (base64.b64encode(jpeg).decode()[:64], middle.hex(), base64.b64encode(middle).decode()):
        assert form not in everything


@pytest.mark.parametrize(("make", "reason"), [
    (face_photos.cat, "face_not_found"),
    (face_photos.two_faces, "face_several"),
    (face_photos.face_too_small, "face_too_small"),
    (face_photos.darkened, "photo_too_dark"),
    (face_photos.blurred, "photo_blurred"),
    (face_photos.truncated, "photo_unreadable"),
])
def test_a_photo_the_gates_would_refuse_is_refused_at_upload_saying_what_to_retake(site: Site, make: object,
                                                                                    reason: str) -> None:
    assert callable(make)
    worker = consented_worker(site)
    refused = site.upload(worker, make())
    assert refused.status_code == 422 and refused.mimetype == "application/problem+json"
    assert (refused.get_json()["reason"], refused.get_json()["field"]) == (reason, "photo")
    assert "请" in refused.get_json()["message_zh"]
    assert site.count("SELECT count(*) FROM faces") == 0 and site.events("face.recorded") == []


def test_the_photo_itself_is_shown_to_those_who_may_handle_the_face_never_cached_and_each_view_audited(
        site: Site) -> None:
    worker = consented_worker(site)
    sha = site.upload(worker, face_photos.astronaut()).get_json()["sha256"]
    answer = site.as_party("GET", f"/workers/{worker}/face/photo", LA)
    assert (answer.status_code, answer.mimetype, answer.headers["Cache-Control"]) == (200, "image/jpeg", "no-store")
    assert answer.data[:2] == b"\xff\xd8"
    assert [(a["subject"], a["details"]) for a in audits(site, "face.viewed")] == [(worker, {"sha256": sha})]


def test_a_removed_photo_is_gone_and_the_gates_are_told_once(site: Site) -> None:
    worker = consented_worker(site)
    site.upload(worker, face_photos.astronaut())
    assert site.as_party("DELETE", f"/workers/{worker}/face", LA).status_code == 204
    assert site.as_party("DELETE", f"/workers/{worker}/face", LA).status_code == 204
    gone = site.as_party("GET", f"/workers/{worker}/face", LA)
    assert (gone.status_code, gone.get_json()["reason"]) == (404, "face_photo_not_found")
    assert site.events("face.removed") == [{"worker_id": worker, "cause": "removed_on_request"}]


def test_withdrawn_consent_deletes_the_face_at_once_and_no_photo_is_taken_after(site: Site) -> None:
    worker = consented_worker(site)
    site.upload(worker, face_photos.astronaut())
    assert site.as_party("DELETE", f"/workers/{worker}/face-consent", LA).status_code == 204
    assert site.count("SELECT count(*) FROM faces") == 0
    assert site.events("face.removed") == [{"worker_id": worker, "cause": "consent_withdrawn"}]
    assert site.as_party("GET", f"/workers/{worker}/face-consent", LA).get_json()["withdrawn_at"] is not None
    assert site.upload(worker, face_photos.astronaut()).status_code == 409
    assert site.as_party("DELETE", f"/workers/{worker}/face-consent", LA).status_code == 204
    assert len(audits(site, "face.consent_withdrawn")) == 1


# --- who may handle a face -------------------------------------------------------------------------------------


def gc_staff(site: Site, method: str, path: str, functions: list[str], **kwargs: object) -> int:
    answer = site.call(method, path, STAFF, GC, projects={site.project_id: functions}, **kwargs)  # type: ignore[arg-type]
    return answer.status_code


def test_the_general_contractors_gate_staff_handle_the_face_of_a_worker_admitted_to_its_project(site: Site) -> None:
    worker = site.worker(LA)
    site.admit(worker, LA)
    consent = {"method": "signed_form", "given_on": "2026-11-30"}
    assert gc_staff(site, "PUT", f"/workers/{worker}/face-consent", [MANAGE_GATES], json=consent) == 200
    upload = site.call("PUT", f"/workers/{worker}/face", STAFF, GC, projects={site.project_id: [MANAGE_GATES]},
                       data={"photo": (io.BytesIO(face_photos.astronaut()), "f.jpg")},
                       content_type="multipart/form-data")
    assert upload.status_code == 201, upload.get_json()
    assert site.as_party("GET", f"/workers/{worker}/face-consent", LA).get_json()["recorded_for"] == GC


def test_staff_without_manage_gates_and_the_contractor_of_a_worker_not_admitted_find_no_such_worker(
        site: Site) -> None:
    admitted, elsewhere, exited = consented_worker(site), consented_worker(site), consented_worker(site)
    site.admit(admitted, LA)
    site.admit(exited, LA, status="exited")
    assert gc_staff(site, "GET", f"/workers/{admitted}/face-consent", [VIEW_WORKFORCE]) == 404
    assert gc_staff(site, "GET", f"/workers/{elsewhere}/face-consent", [MANAGE_GATES]) == 404
    assert gc_staff(site, "GET", f"/workers/{exited}/face-consent", [MANAGE_GATES]) == 404
    assert gc_staff(site, "GET", f"/workers/{admitted}/face-consent", [MANAGE_GATES]) == 200


def test_another_employer_finds_no_such_worker_and_changes_nothing(site: Site) -> None:
    worker = consented_worker(site)
    site.upload(worker, face_photos.astronaut())
    for method, path in (("GET", "face-consent"), ("DELETE", "face-consent"), ("GET", "face"),
                         ("GET", "face/photo"), ("DELETE", "face")):
        answer = site.as_party(method, f"/workers/{worker}/{path}", LB)
        assert (answer.status_code, answer.get_json()["reason"]) == (404, "worker_not_found"), path
    assert site.upload(worker, face_photos.as_png(), LB).status_code == 404
    assert site.consent(worker, LB).status_code == 404
    assert site.count("SELECT count(*) FROM faces") == 1 and site.events("face.removed") == []
    assert site.as_party("GET", f"/workers/{worker}/face-consent", LA).get_json()["recorded_for"] == LA


def test_a_caller_without_a_token_is_asked_to_log_in_and_a_regulator_is_not_served(site: Site) -> None:
    worker = consented_worker(site)
    assert site.client.get(f"/api/v1/attendance/workers/{worker}/face").status_code == 401
    assert site.call("GET", f"/workers/{worker}/face/photo", "regulator").status_code == 403
