"""The simulated terminal's face library: ``/ISAPI/Intelligent/FDLib/*``.

A face is sent as ``multipart/form-data``: a JSON part ``FaceDataRecord`` (``faceLibType``, ``FDID``, ``FPID`` =
the employeeNo) and the JPEG part. The person must exist first; the device's own photo rules may refuse it.
"""

from __future__ import annotations

import json
from typing import Any

from werkzeug.wrappers import Request, Response

from realname_edge.gate_sims.device import DeviceRefusal
from realname_edge.gate_sims.isapi_state import TerminalState
from realname_edge.gate_sims.isapi_wire import answer, ok, refusal

MAX_PHOTO_BYTES = 200 * 1024  # what the terminal's upload takes at all; its photo rules may be stricter


def capabilities(state: TerminalState) -> Response:
    return answer({"FDRecordDataMaxNum": state.device.faces_capacity, "faceLibType": {"@opt": "blackFD"},
                   "FDID": {"@min": 1, "@max": 1}})


def _record(request: Request) -> tuple[dict[str, Any], bytes | None]:
    """The JSON part and the picture of a face upload (any file part, as the terminals take any name)."""
    meta: dict[str, Any] = {}
    raw = request.form.get("FaceDataRecord")
    if raw is None and "FaceDataRecord" in request.files:
        raw = request.files["FaceDataRecord"].read().decode()
    if raw:
        try:
            loaded = json.loads(raw)
            meta = loaded if isinstance(loaded, dict) else {}
        except json.JSONDecodeError:
            meta = {}
    photos = [f.read() for name, f in request.files.items() if name != "FaceDataRecord"]
    return meta, photos[0] if photos else None


def put_face(state: TerminalState, request: Request, *, create_only: bool) -> Response:
    """FaceDataRecord (add; refused when the person already has a face) or FDSetUp (add or replace)."""
    url = request.path
    meta, photo = _record(request)
    key = str(meta.get("FPID") or "")
    if not key or photo is None:
        return refusal("bad_parameters", url, "FPID and a picture")
    if len(photo) > MAX_PHOTO_BYTES:
        return refusal("too_large", url, f"{len(photo)} bytes")
    if create_only and state.device.listing().get(key):
        return answer({"requestURL": url, "statusCode": 6, "statusString": "Invalid Content",
                       "subStatusCode": "faceAlreadyExist", "errorCode": 0x60000025, "errorMsg": key}, 400)
    try:
        state.device.put_face(key, photo)
    except DeviceRefusal as refused:
        return refusal(refused.code, url, refused.detail)
    return ok(url, FPID=key)


def delete_faces(state: TerminalState, request: Request) -> Response:
    body = request.get_json(force=True, silent=True) or {}
    ids = body.get("FPID") if isinstance(body, dict) else None
    if not isinstance(ids, list) or not ids:
        return refusal("bad_parameters", request.path, "FPID")
    for entry in ids:
        if isinstance(entry, dict):
            state.device.remove_face(str(entry.get("value")))
    return ok(request.path)
