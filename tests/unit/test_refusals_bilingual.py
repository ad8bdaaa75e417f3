"""Every refusal says what to do in Chinese as well as English (R2, R33): each ``Problem(…)`` and
``problem_response(…)`` of the platform's code gives ``message_zh``; a generic HTTP error has default words."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from flask import Flask, abort

from realname_gateway.certs.verify import REASONS, REASONS_ZH, CertificateRejected
from realname_kit.problems import Problem, default_message_zh, install_problem_handlers

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ("libs", "services", "gateway")
CALLS = ("Problem", "problem_response")


def _refusals() -> list[tuple[str, int, ast.Call]]:
    found = []
    for folder in SOURCES:
        for path in sorted((ROOT / folder).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if isinstance(node, ast.Call) and _name(node.func) in CALLS:
                    found.append((str(path.relative_to(ROOT)), node.lineno, node))
    return found


def _name(func: ast.expr) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    return func.attr if isinstance(func, ast.Attribute) else None


def _chinese(node: ast.expr) -> bool:
    """Literal words must be Chinese; an expression (a variable, a call) is trusted to give Chinese words."""
    if not isinstance(node, (ast.Constant, ast.JoinedStr)):
        return True
    texts = [n.value for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str)]
    return any("\u4e00" <= c <= "\u9fff" for text in texts for c in text)


def test_the_scan_finds_the_refusals_of_every_part() -> None:
    files = {path.split("/", 1)[0] for path, _, _ in _refusals()}
    assert files == set(SOURCES) and len(_refusals()) > 150


def test_every_refusal_of_the_platform_says_what_to_do_in_chinese() -> None:
    missing = [f"{path}:{line}" for path, line, call in _refusals()
               if not any(k.arg == "message_zh" and _chinese(k.value) for k in call.keywords)]
    assert missing == []


def test_a_refusal_without_words_of_its_own_gets_the_generic_ones_of_its_status() -> None:
    assert Problem(404, "thing_not_found", "No such thing").message_zh == default_message_zh(404, "not_found")
    assert Problem(409, "x", "y", message_zh="请核对。").message_zh == "请核对。"


@pytest.mark.parametrize("status", [400, 401, 403, 404, 405, 406, 409, 412, 413, 415, 422, 428, 429, 500, 502,
                                    503, 504])
def test_a_generic_http_error_answers_in_both_languages(status: int) -> None:
    app = Flask(__name__)
    install_problem_handlers(app)

    @app.get("/fail")
    def fail() -> str:
        abort(status)  # werkzeug's own error, not the platform's Problem
        return "unreachable"

    body = app.test_client().get("/fail").get_json()
    assert body["status"] == status and body["message"]
    assert body["message_zh"] == default_message_zh(status, body["reason"])
    assert any("\u4e00" <= c <= "\u9fff" for c in body["message_zh"])


def test_every_certificate_login_refusal_has_chinese_words() -> None:
    assert set(REASONS_ZH) == set(REASONS)
    assert all(CertificateRejected(reason, "why").message_zh == REASONS_ZH[reason] for reason in REASONS)
