"""The gateway in front of the registry: in process (all-in-one) and over real HTTP (distributed)."""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import make_server

from realname_gateway.app import create_app
from realname_gateway.upstream import HttpUpstream, WsgiUpstream
from realname_kit.migrate import upgrade
from realname_kit.service import load_spec
from realname_kit.settings import Settings
from realname_registry.app import create_app as registry_app
from realname_registry.service import SPEC
from tests.support.tokens import bearer

USCC_A = "91350100M000100Y43"
USCC_B = "9131000013221158XC"
ENTERPRISES = "/api/v1/registry/enterprises"
PROBLEM_JSON = "application/problem+json"


@pytest.fixture
def settings(tmp_path) -> Settings:
    settings = Settings.from_env({"REALNAME_DATA_DIR": str(tmp_path)})
    upgrade(load_spec("gateway"), settings.database_url_for("gateway"))  # its deny-list, read for every token
    return settings


@pytest.fixture
def auth(settings: Settings) -> dict[str, str]:
    """The gateway's own service token: it may register and list enterprises."""
    return bearer(settings, "service")


@pytest.fixture
def registry(settings: Settings) -> Flask:
    upgrade(SPEC, settings.database_url_for("registry"))
    return registry_app(settings)


class Recorder:
    """WSGI middleware keeping the request headers the service received."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.seen: list[dict[str, Any]] = []

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        self.seen.append({k: v for k, v in environ.items() if k.startswith("HTTP_")})
        return self.app(environ, start_response)


@contextmanager
def serving(app: Any) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


def slow_app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    time.sleep(1.0)
    start_response("200 OK", [("Content-Type", "application/json")])
    return [b"{}"]


def round_trip(client: Any, auth: dict[str, str]) -> None:
    created = client.post(ENTERPRISES, json={"name": "闽建劳务有限公司", "uscc": USCC_A, "kind": "labour"},
                          headers=auth)
    assert created.status_code == 201, created.get_data(as_text=True)
    assert created.json["uscc"] == USCC_A
    second = client.post(ENTERPRISES, json={"name": "申城专业分包", "uscc": USCC_B, "kind": "specialty"},
                         headers=auth)
    assert second.status_code == 201
    again = client.post(ENTERPRISES, json={"name": "闽建劳务有限公司", "uscc": USCC_A, "kind": "labour"},
                        headers=auth)
    assert again.status_code == 409
    assert again.mimetype == PROBLEM_JSON

    listed = client.get(f"{ENTERPRISES}?limit=1", headers=auth)
    assert listed.status_code == 200
    assert [e["uscc"] for e in listed.json["items"]] == [USCC_A]
    assert listed.json["next_cursor"]
    one = client.get(f"{ENTERPRISES}/{created.json['id']}", headers=auth)
    assert one.status_code == 200
    assert one.json["name"] == "闽建劳务有限公司"


# --- all-in-one: the service app in this process -------------------------------------------------


@pytest.fixture
def in_process(registry: Flask, settings: Settings) -> Any:
    return create_app(settings, upstreams={"registry": WsgiUpstream(registry)}).test_client()


def test_enterprises_round_trip_in_process(in_process: Any, auth: dict[str, str]) -> None:
    round_trip(in_process, auth)


def test_correlation_id_reaches_the_service_in_process(in_process: Any, auth: dict[str, str]) -> None:
    answer = in_process.get(f"{ENTERPRISES}/nobody", headers={"X-Correlation-ID": "cid-in-process-1", **auth})
    assert answer.status_code == 404
    assert answer.headers["X-Correlation-ID"] == "cid-in-process-1"
    assert answer.json["correlation_id"] == "cid-in-process-1"  # written by the registry itself


def test_merged_openapi_has_the_registry_paths(in_process: Any) -> None:
    answer = in_process.get("/openapi.json")
    assert answer.status_code == 200
    doc = answer.json
    assert doc["info"]["title"] == "realname API"
    assert ENTERPRISES in doc["paths"]
    assert "RegistryEnterprise" in doc["components"]["schemas"]
    assert doc["x-unavailable"] == []


def test_docs_page_and_its_assets_answer(in_process: Any) -> None:
    assert in_process.get("/").status_code == 302
    assert in_process.get("/").headers["Location"].endswith("/docs")
    page = in_process.get("/docs")
    assert page.status_code == 200
    assert page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    assert "/openapi.json" in html
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert any(a.endswith(".js") for a in assets)
    assert any(a.endswith(".css") for a in assets)
    for asset in assets:
        assert not asset.startswith("http"), "no CDN: the page works offline"
        answer = in_process.get(asset)
        assert answer.status_code == 200, asset
        assert answer.get_data()
    assert in_process.get("/docs/../pyproject.toml").status_code == 404


def test_unknown_service_is_a_problem(in_process: Any) -> None:
    answer = in_process.get("/api/v1/nosuch/things")
    assert answer.status_code == 404
    assert answer.mimetype == PROBLEM_JSON
    assert answer.json["reason"] == "service_unknown"
    assert answer.json["services"] == ["registry"]


def test_unknown_route_is_a_problem(in_process: Any) -> None:
    answer = in_process.get("/nothing/here")
    assert answer.status_code == 404
    assert answer.mimetype == PROBLEM_JSON


def test_health_in_process(in_process: Any) -> None:
    answer = in_process.get("/healthz")
    assert answer.status_code == 200
    assert answer.json["status"] == "ready"
    assert answer.json["services"]["registry"]["status"] == "ready"
    assert answer.json["services"]["registry"]["checks"]["database"] == "ok"
    assert in_process.get("/readyz").status_code == 200


def test_the_gateways_metrics_are_on_its_internal_port_only(in_process: Any, settings: Settings) -> None:
    inside = f"http://127.0.0.1:{settings.value('REALNAME_GATEWAY_METRICS_PORT')}"
    public = in_process.get("/metrics")
    assert public.status_code == 404
    assert public.mimetype == PROBLEM_JSON
    assert b"realname_http_requests_total" not in public.get_data()
    metrics = in_process.get("/metrics", base_url=inside)
    assert metrics.status_code == 200
    assert b"realname_http_requests_total" in metrics.get_data()
    # The internal port is no second door to the API, and no service's /metrics is reachable through it.
    assert in_process.get(ENTERPRISES, base_url=inside).status_code == 404
    assert in_process.get("/api/v1/registry/metrics").status_code == 404


# --- distributed: the service over HTTP ----------------------------------------------------------


@pytest.fixture
def recorder(registry: Flask) -> Recorder:
    return Recorder(registry)


@pytest.fixture
def registry_url(recorder: Recorder) -> Iterator[str]:
    with serving(recorder) as url:
        yield url


@pytest.fixture
def over_http(registry_url: str, settings: Settings) -> Any:
    return create_app(settings, upstreams={"registry": HttpUpstream(registry_url, timeout=5)}).test_client()


def test_enterprises_round_trip_over_http(over_http: Any, auth: dict[str, str]) -> None:
    round_trip(over_http, auth)


def test_correlation_id_and_forwarded_headers_over_http(over_http: Any, recorder: Recorder,
                                                        registry_url: str, auth: dict[str, str]) -> None:
    answer = over_http.get(f"{ENTERPRISES}/nobody",
                           headers={"X-Correlation-ID": "cid-over-http-1", "X-Custom": "kept", **auth,
                                    "Connection": "keep-alive, X-Private", "X-Private": "dropped"})
    assert answer.status_code == 404
    assert answer.mimetype == PROBLEM_JSON
    assert answer.headers["X-Correlation-ID"] == "cid-over-http-1"
    assert answer.json["correlation_id"] == "cid-over-http-1"  # written by the registry itself
    seen = recorder.seen[-1]
    assert seen["HTTP_X_CORRELATION_ID"] == "cid-over-http-1"
    assert seen["HTTP_X_CUSTOM"] == "kept"
    assert "HTTP_X_PRIVATE" not in seen
    assert seen["HTTP_X_FORWARDED_FOR"] == "127.0.0.1"
    assert seen["HTTP_X_FORWARDED_PROTO"] == "http"
    assert seen["HTTP_X_FORWARDED_HOST"] == "localhost"
    assert seen["HTTP_HOST"] == registry_url.removeprefix("http://")


def test_a_new_correlation_id_is_passed_on_over_http(over_http: Any, recorder: Recorder,
                                                     auth: dict[str, str]) -> None:
    answer = over_http.get(ENTERPRISES, headers=auth)
    assert answer.status_code == 200
    assert recorder.seen[-1]["HTTP_X_CORRELATION_ID"] == answer.headers["X-Correlation-ID"]


def test_closed_port_is_service_unavailable(registry_url: str, settings: Settings, auth: dict[str, str]) -> None:
    gateway = create_app(settings, upstreams={"registry": HttpUpstream(registry_url),
                                    "identity": HttpUpstream(closed_port_url(), timeout=2)}).test_client()
    for method in ("get", "post"):
        answer: Any = getattr(gateway, method)("/api/v1/identity/verifications")
        assert answer.status_code == 502
        assert answer.mimetype == PROBLEM_JSON
        assert answer.json["reason"] == "service_unavailable"
        assert answer.json["service"] == "identity"
    assert gateway.get(ENTERPRISES, headers=auth).status_code == 200


def test_slow_service_is_a_timeout(settings: Settings) -> None:
    with serving(slow_app) as url:
        gateway = create_app(settings, upstreams={"attendance": HttpUpstream(url, timeout=0.2)}).test_client()
        answer: Any = gateway.get("/api/v1/attendance/punches")
    assert answer.status_code == 504
    assert answer.mimetype == PROBLEM_JSON
    assert answer.json["reason"] == "service_timeout"
    assert answer.json["service"] == "attendance"


def test_health_is_degraded_while_a_service_is_down(registry_url: str, settings: Settings) -> None:
    gateway = create_app(settings, upstreams={"registry": HttpUpstream(registry_url),
                                    "identity": HttpUpstream(closed_port_url())}).test_client()
    answer: Any = gateway.get("/healthz")
    assert answer.status_code == 503
    assert answer.json["status"] == "degraded"
    assert answer.json["services"]["identity"]["status"] == "unreachable"
    assert answer.json["services"]["registry"]["status"] == "ready"
    doc: Any = gateway.get("/openapi.json")
    assert doc.status_code == 200
    assert doc.json["x-unavailable"] == ["identity"]
    assert ENTERPRISES in doc.json["paths"]


def test_many_calls_of_the_public_health_ask_the_service_once(over_http: Any, recorder: Recorder) -> None:
    before = len(recorder.seen)
    for _ in range(10):
        assert over_http.get("/healthz").status_code == 200
    assert len(recorder.seen) - before == 1  # the answer is kept for a moment, whoever asks


def test_health_is_ready_when_every_service_is_up(over_http: Any) -> None:
    answer = over_http.get("/healthz")
    assert answer.status_code == 200
    assert answer.json == {"status": "ready",
                           "gateway": {"status": "ready", "checks": {"database": "ok", "broker": "ok"}},
                           "services": {"registry": {"status": "ready", "checks": {"database": "ok", "broker": "ok"}}}}
