"""Request bodies: a size limit (413) and strict JSON (400 ``json_invalid``, 415 without a JSON type).

Checked in a ``before_request`` hook rather than by ``app.json``: flask-smorest (webargs) parses bodies with
the standard library's ``json`` and the gateway forwards them as bytes, so neither would use a provider.
"""

from __future__ import annotations

import io
import json
import math
from collections.abc import Callable
from typing import Any

from flask import Flask, Request, request
from werkzeug.exceptions import RequestEntityTooLarge

from realname_kit.problems import Problem


def every_body_is_json(_request: Request) -> bool:
    """The platform's endpoints take JSON only (no forms, no uploads)."""
    return True


def install_request_limits(app: Flask, max_bytes: int, *, max_upload_bytes: int | None = None,
                           expects_json: Callable[[Request], bool] = every_body_is_json) -> None:
    """Bodies over ``max_bytes`` → 413 ``payload_too_large`` (the HTTPException handler of ``problems.py``
    answers it); a body to an endpoint that ``expects_json`` → 415 ``unsupported_media_type`` unless it is
    ``application/json`` (or ``+json``), then 400 ``json_invalid`` unless it is UTF-8 JSON without duplicate
    keys, NaN or Infinity.

    With ``max_upload_bytes``, a ``multipart/form-data`` body (a file upload: an Excel import, evidence of a
    resignation) may be that large instead; the endpoint that takes it checks what the file is, and any
    other endpoint finds no JSON in it and answers 422."""
    upload_limit = max_upload_bytes or max_bytes
    app.config["MAX_CONTENT_LENGTH"] = max(max_bytes, upload_limit)

    @app.before_request
    def _check_body() -> None:
        _no_nul_in_the_address()
        limit = upload_limit if is_upload(request) else max_bytes
        length = request.content_length
        if length is not None and length > limit:
            raise _too_large(limit)
        if length is None and _chunked(request):
            _buffer_chunked(limit)
        if not _has_body(request) or not expects_json(request) or is_upload(request):
            return
        if not request.is_json:
            raise Problem(415, "unsupported_media_type", "Send the body as JSON",
                          f"Content-Type is {request.mimetype or 'missing'!r}; use application/json.",
                          message_zh="提交的格式不对：请以 JSON（application/json）提交。")
        charset = request.mimetype_params.get("charset", "utf-8").lower()
        data = request.get_data(cache=True)
        rewind_body()
        if charset not in ("utf-8", "utf8"):
            _invalid(f"JSON must be UTF-8, not {charset}.")
        if data:
            strict_json_loads(data)


def rewind_body() -> None:
    """Once the body was read (and cached), give ``request.stream`` its bytes again: the gateway streams it on."""
    cached: bytes | None = getattr(request, "_cached_data", None)
    if cached is not None:
        request.stream = io.BytesIO(cached)


def strict_json_loads(data: bytes) -> Any:
    """``json.loads`` that refuses what the standard library lets through (raises Problem 400)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        _invalid(f"The body is not UTF-8 (byte {exc.start}).")
    try:
        value = json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_no_constants)
        _no_lone_surrogates(value)
    except _Refused as exc:
        _invalid(str(exc))
    except RecursionError:
        _invalid("The JSON is nested too deeply.")
    except ValueError as exc:  # json.JSONDecodeError, and integers too long to convert
        _invalid(f"The body is not JSON: {exc}.")
    return value


class _Refused(Exception):
    pass


def _invalid(detail: str) -> Any:
    raise Problem(400, "json_invalid", "The JSON body is not valid", detail,
                  message_zh="提交的 JSON 格式不对：请检查后重新提交。")


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise _Refused(f"The key {key!r} appears twice in one object.")
        seen[key] = value
    return seen


def _no_constants(name: str) -> float:
    raise _Refused(f"{name} is not a JSON number.")


def _no_lone_surrogates(value: Any) -> None:
    """``"\\ud800"`` is JSON syntax for a string no UTF-8 can hold (nor PostgreSQL store)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            _utf8(item)
        elif isinstance(item, dict):
            stack.extend(item.values())
            for key in item:
                _utf8(key)
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, float) and not math.isfinite(item):
            raise _Refused("The JSON has a number too large for a float.")


def _utf8(text: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise _Refused("The JSON has a string with a lone surrogate (\\uD800-\\uDFFF).") from exc
    if "\x00" in text:
        raise _Refused("The JSON has a string with a NUL character (\\u0000), which no field may hold.")


def _no_nul_in_the_address() -> None:
    """A NUL in the path or the query: nothing may hold one (PostgreSQL refuses it in text)."""
    if "\x00" in request.path or any("\x00" in k or "\x00" in v for k, v in request.args.items(multi=True)):
        raise Problem(400, "nul_character", "The address has a NUL character (%00)",
                      "Remove it: no identifier or filter contains one.",
                      message_zh="地址中含有空字符（%00）：请删去后重试。")


def _too_large(max_bytes: int) -> RequestEntityTooLarge:
    return RequestEntityTooLarge(f"The body is over the limit of {max_bytes} bytes.")


def _buffer_chunked(max_bytes: int) -> None:
    """Read a body of unknown length, refusing it past ``max_bytes``. (Werkzeug's own limit on such a stream
    CUTS the body at the limit when it is read whole, without an error: the gateway would forward a part.)
    Only a server that ends the input at the body's end (``wsgi.input_terminated``: gunicorn, werkzeug's)
    can be read safely; other servers give an empty body, as werkzeug does."""
    chunks: list[bytes] = []
    size = 0
    if request.environ.get("wsgi.input_terminated"):
        raw = request.input_stream
        while chunk := raw.read(min(65536, max_bytes + 1 - size)):
            chunks.append(chunk)
            size += len(chunk)
            if size > max_bytes:
                raise _too_large(max_bytes)
    request.stream = io.BytesIO(b"".join(chunks))


def is_upload(req: Request) -> bool:
    return req.mimetype == "multipart/form-data"


def _chunked(req: Request) -> bool:
    return "chunked" in req.headers.get("Transfer-Encoding", "").lower()


def _has_body(req: Request) -> bool:
    return bool(req.content_length) or _chunked(req)
