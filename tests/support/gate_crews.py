"""Workers of one labour company on a site's project, made fast through the gateway: what gate tests put on gates.

A crew is a labour company of its own (so that completing its contract exits only its workers) with a labour
subcontract from the site's general contractor, a team, and workers imported from one Excel file. Acceptance is
one ``POST assignments`` and one ``POST decisions`` per 1,000 workers; face consent and photos are uploaded by
the employer, several at a time (the attendance service judges every photo with its detector).
"""

from __future__ import annotations

import io
import time
import uuid
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import requests

from realname_gateway.certs.devca import issue
from realname_kit.timeutil import today_in_china
from tests.support.credit_codes import uscc_for
from tests.support.face_photos import face_photo
from tests.support.launched import ApiClient, Launched, certificate_login
from tests.support.sheets import workbook
from tests.support.stack import eventually
from tests.support.workers import worker_body

if TYPE_CHECKING:
    from tests.support.site_with_gates import Site

ASSIGNMENT, REGISTRY, ATTENDANCE = "/api/v1/assignment", "/api/v1/registry", "/api/v1/attendance"
BATCH = 1_000  # the most workers (or decisions) one call takes (R18, R19)
UPLOADERS = 4  # face uploads at once: the attendance web's workers are busy with the detector, not the network
BULK_SCALE = 0.5  # crews' photos at half size (the face ~7 % of it still): the detector costs less
RETRIES = 5
_PHOTO_SEEDS = iter(range(1, 10**9))


def ok(response: requests.Response, *statuses: int) -> Any:
    assert response.status_code in (statuses or (200,)), (response.request.method, response.url,
                                                           response.status_code, response.text[:1000])
    return response.json() if response.content else None


def retried(client: ApiClient, method: str, path: str, *statuses: int, **kwargs: Any) -> Any:
    """A call a busy machine may answer 502/503/504 (a worker timed out), or drop unanswered (a kept-alive connection
    the server closed as it was reused): sent again with the same Idempotency-Key (R33), so that it takes effect
    once; its JSON once answered 200."""
    headers = {"Idempotency-Key": str(uuid.uuid4())}
    for attempt in range(RETRIES):
        try:
            response = client.call(method, path, headers=headers, **kwargs)
        except requests.ConnectionError:
            if attempt == RETRIES - 1:
                raise
            time.sleep(1)
            continue
        if response.status_code not in (502, 503, 504):
            break
        time.sleep(1)
    return ok(response, *statuses)


def answered(response: requests.Response, *statuses: int) -> Any:
    """The JSON of an answer with one of ``statuses``, else None (for ``eventually``)."""
    return response.json() if response.status_code in statuses else None


def login(launched: Launched, uscc: str, name: str, kind: str) -> ApiClient:
    """An enterprise logged in with a certificate of the platform's development CA."""
    cert, key = issue(launched.data_dir / "dev-ca", uscc=uscc, enterprise_name=name, operator="王五")
    response = certificate_login(launched.url, cert, key, kind=kind)
    assert response.status_code == 200, response.text
    return ApiClient(launched.url, response.json()["access_token"])


@dataclass
class Crew:
    labour: ApiClient
    contract_id: str
    team_id: str
    workers: list[str]  # worker ids, as the registry lists them
    assignments: dict[str, str] = field(default_factory=dict)  # worker id -> accepted assignment id
    faces: dict[str, str] = field(default_factory=dict)  # worker id -> sha256 of the face the platform keeps


def hire(site: Site, size: int) -> Crew:
    """A new labour company awarded a labour subcontract on the site's project, with ``size`` workers registered."""
    uscc = uscc_for(uuid.uuid4().hex)
    labour = login(site.launched, uscc, f"闸机劳务{uscc[-6:]}有限公司", "labour")
    contract = eventually(lambda: answered(site.gc.call("POST", f"{ASSIGNMENT}/projects/{site.project_id}/contracts",
                                                        json={"contractor_uscc": uscc, "kind": "labour"}), 200, 201),
                          timeout=60, interval=0.2)
    team = eventually(lambda: answered(labour.call("POST", f"{REGISTRY}/teams", json={
        "project_id": site.project_id, "name": f"班组{uuid.uuid4().hex[:6]}"}), 201), timeout=60, interval=0.2)
    job = ok(labour.call("POST", f"{REGISTRY}/imports", data={"project_id": site.project_id},
                         files={"file": ("crew.xlsx", io.BytesIO(workbook([worker_body(None) for _ in range(size)],
                                                                          team_name=team["name"])))}), 200, 201, 202)
    deadline = time.monotonic() + 120
    while job["status"] not in ("done", "failed") and time.monotonic() < deadline:
        time.sleep(0.2)
        job = ok(labour.call("GET", f"{REGISTRY}/imports/{job['id']}"))
    assert job["status"] == "done" and job["registered"] == size, job
    crew = Crew(labour, str(contract["id"]), str(team["id"]), _team_workers(labour, str(team["id"])))
    site.crews.append(crew)
    return crew


def _team_workers(labour: ApiClient, team_id: str) -> list[str]:
    ids: list[str] = []
    cursor: str | None = None
    while True:
        page = ok(labour.call("GET", f"{REGISTRY}/workers", params={
            "team_id": team_id, "limit": 500, **({"cursor": cursor} if cursor else {})}))
        ids += [str(w["id"]) for w in page["items"]]
        cursor = page.get("next_cursor")
        if not cursor:
            return ids


def accept(site: Site, crew: Crew, workers: Iterable[str],
           deciding: Callable[[list[str]], None] | None = None) -> None:
    """Assign the workers through the crew's contract (once assignment learned them) and confirm their entry
    (``deciding`` is told whom, just before: a benchmark's clock starts there)."""
    pending = [w for w in workers if w not in crew.assignments]
    for first in range(0, len(pending), BATCH):
        batch, made = pending[first:first + BATCH], dict[str, str]()

        def assigned(batch: list[str] = batch, made: dict[str, str] = made) -> bool:
            body = {"contract_id": crew.contract_id, "worker_ids": [w for w in batch if w not in made]}
            for item in ok(crew.labour.call("POST", f"{ASSIGNMENT}/assignments", json=body,
                                            headers={"Idempotency-Key": str(uuid.uuid4())}))["items"]:
                if item["outcome"] in ("assigned", "already_assigned"):
                    made[item["worker_id"]] = item["assignment_id"]
            return len(made) == len(batch)
        eventually(assigned, timeout=60, interval=0.3)  # worker_unknown until the registry's events arrive
        if deciding is not None:
            deciding(list(made))
        decided = retried(site.pm, "POST", f"{ASSIGNMENT}/decisions", json={"items": [
            {"assignment_id": a, "decision": "accept"} for a in made.values()]})
        assert decided["counts"] == {"accepted": len(made)}, decided["counts"]
        crew.assignments.update(made)


def give_faces(crew: Crew, workers: Iterable[str]) -> None:
    """The employer records each worker's consent and uploads a photo of their own (once attendance knows them)."""
    todo = list(workers)
    with ThreadPoolExecutor(UPLOADERS) as pool:
        for worker_id, sha256 in zip(todo, pool.map(lambda w: upload_face(crew, w), todo), strict=True):
            crew.faces[worker_id] = sha256


def upload_face(crew: Crew, worker_id: str, photo: bytes | None = None) -> str:
    """Consent (idempotent PUT), then the photo; the sha256 of the face the platform keeps and sends to gates."""
    consent = {"method": "signed_form", "given_on": str(today_in_china()), "note": "入场时签署人脸采集同意书"}
    eventually(lambda: answered(crew.labour.call("PUT", f"{ATTENDANCE}/workers/{worker_id}/face-consent",
                                                 json=consent), 200, 201), timeout=60, interval=0.2)
    jpeg = photo if photo is not None else face_photo(next(_PHOTO_SEEDS), BULK_SCALE)
    face = ok(crew.labour.call("PUT", f"{ATTENDANCE}/workers/{worker_id}/face",
                               files={"photo": ("face.jpg", jpeg, "image/jpeg")}), 200, 201)
    return str(face["sha256"])


def resign(crew: Crew, workers: Iterable[str]) -> None:
    """The employer records their resignations today (R24): the registry ends their employment, they exit."""
    items = [{"worker_id": w, "date": str(today_in_china())} for w in workers]
    done = retried(crew.labour, "POST", f"{REGISTRY}/resignations", json={"items": items})  # same date: same answer
    assert done["resigned"] == len(items), done
    for item in items:
        crew.assignments.pop(item["worker_id"], None)


def complete_contract(site: Site, crew: Crew) -> None:
    """The general contractor completes the crew's labour subcontract: everyone under it exits (R24)."""
    retried(site.gc, "POST", f"{ASSIGNMENT}/contracts/{crew.contract_id}/completion", 200, 201)
    crew.assignments.clear()
