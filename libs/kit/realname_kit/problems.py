"""Errors as ``application/problem+json`` (RFC 9457) with a stable reason code a person can act on.

Every problem body says what to do in English (``message``) and Chinese (``message_zh``): a raise site
gives its own words (``Problem(..., message_zh="…")``); the generic HTTP refusals have default ones here.
Missing or mistyped fields come back in the shape of the domain's findings (``schema_errors``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask, Response, json, request
from werkzeug.exceptions import HTTPException

from realname_kit.logs import correlation_id, get_logger
from realname_kit.schema_errors import request_findings

PROBLEM_JSON = "application/problem+json"
log = get_logger(__name__)

_REASONS_BY_STATUS = {
    400: "bad_request", 401: "unauthenticated", 403: "forbidden", 404: "not_found",
    405: "method_not_allowed", 406: "not_acceptable", 409: "conflict", 412: "precondition_failed",
    413: "payload_too_large", 415: "unsupported_media_type", 422: "validation_failed",
    428: "precondition_required", 429: "too_many_requests", 500: "internal_error",
    502: "bad_gateway", 503: "unavailable", 504: "gateway_timeout",
}
# What a person does about a generic refusal; a raise site with more to say gives its own words.
_ZH_BY_REASON = {
    "bad_request": "请求有误：请检查填写的内容后重新提交。",
    "unauthenticated": "尚未登录或登录已过期：请重新登录。",
    "forbidden": "您没有此项操作的权限：请联系本单位管理员授权。",
    "not_found": "找不到该地址或记录：请检查后重试。",
    "method_not_allowed": "该地址不支持此操作：请检查请求方式。",
    "not_acceptable": "无法按要求的格式返回：请接受 JSON。",
    "conflict": "与现有数据冲突：请刷新后重试。",
    "precondition_failed": "数据已被他人修改：请重新读取后再提交。",
    "payload_too_large": "提交的内容太大：请减小文件或分批提交。",
    "unsupported_media_type": "提交的格式不支持：请按要求的格式提交（如 JSON）。",
    "validation_failed": "有些项目没填或填得不对：请逐项改正后重新提交。",
    "precondition_required": "缺少版本信息：请先读取记录，再带上 If-Match 提交修改。",
    "too_many_requests": "操作太频繁：请稍候再试。",
    "internal_error": "系统出错，已记录：请稍后重试，仍不行请把 correlation_id 告诉技术支持。",
    "bad_gateway": "后台服务暂时无法应答：请稍后重试。",
    "unavailable": "服务暂时不可用：请稍后重试。",
    "gateway_timeout": "后台服务应答超时：请稍后重试。",
    "http_error": "请求未能处理：请检查后重试。",
}


def default_message_zh(status: int, reason: str) -> str:
    """The generic Chinese words for a refusal with no words of its own."""
    generic = _REASONS_BY_STATUS.get(status, "http_error")
    return _ZH_BY_REASON.get(reason) or _ZH_BY_REASON.get(generic, _ZH_BY_REASON["http_error"])


class Problem(Exception):
    """Raise from any handler: becomes a problem+json response with ``reason`` as a stable code.

    The title and ``detail`` make the English ``message``; ``message_zh`` says the same in Chinese.
    Other keyword arguments land in the body as they are."""

    def __init__(self, status: int, reason: str, title: str, detail: str | None = None, *,
                 message_zh: str | None = None, **extra: Any) -> None:
        super().__init__(f"{status} {reason}: {detail or title}")
        self.status, self.reason, self.title, self.detail, self.extra = status, reason, title, detail, extra
        self.message_zh = message_zh or default_message_zh(status, reason)


def problem_response(status: int, reason: str, title: str, detail: str | None = None, *,
                     message_zh: str | None = None, **extra: Any) -> Response:
    body: dict[str, Any] = {"type": f"urn:realname:problem:{reason}", "title": title,
                            "status": status, "reason": reason, "message": f"{title}. {detail}" if detail else title,
                            "message_zh": message_zh or default_message_zh(status, reason)}
    if detail:
        body["detail"] = detail
    if request:
        body["instance"] = request.path
    cid = correlation_id()
    if cid:
        body["correlation_id"] = cid
    body.update(extra)
    return Response(json.dumps(body, ensure_ascii=False), status=status, mimetype=PROBLEM_JSON)


def _invalid_request(status: int, messages: Mapping[str, Any], error: object, schema: object) -> Problem:
    reason, errors, warnings = request_findings(messages, error, schema)
    extra: dict[str, Any] = {"warnings": warnings} if warnings else {}
    return Problem(status, reason, "Some fields are missing or not valid",
                   "; ".join(f"{e['field']}: {e['message']}" if e["field"] else e["message"] for e in errors),
                   message_zh="有些项目没填或填得不对：请按 errors 逐项改正后重新提交。", errors=errors, **extra)


def install_problem_handlers(app: Flask) -> None:
    @app.errorhandler(Problem)
    def _problem(exc: Problem) -> Response:
        return problem_response(exc.status, exc.reason, exc.title, exc.detail, message_zh=exc.message_zh,
                                **exc.extra)

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException) -> Response:
        status = exc.code or 500
        data: Mapping[str, Any] = getattr(exc, "data", None) or {}
        if data.get("messages"):  # flask-smorest's schema errors: in the findings' shape, with the domain's
            return _problem(_invalid_request(status, data["messages"], getattr(exc, "exc", None), data.get("schema")))
        reason = getattr(exc, "reason_code", None) or _REASONS_BY_STATUS.get(status, "http_error")
        return problem_response(status, reason, exc.name, exc.description,
                                message_zh=default_message_zh(status, reason))

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Response:
        log.exception("unhandled_error", error=repr(exc))
        return problem_response(500, "internal_error", "Internal Server Error",
                                "The error was logged with this request's correlation id.",
                                message_zh=default_message_zh(500, "internal_error"))
