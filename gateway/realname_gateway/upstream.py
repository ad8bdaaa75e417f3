"""Where the gateway sends a request: a service app in this process, or a service over HTTP."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from http.cookiejar import DefaultCookiePolicy
from typing import IO, Any, Protocol
from urllib.parse import quote

import requests
from flask import Request, Response
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry
from werkzeug.test import Client, run_wsgi_app

from realname_gateway.headers import end_to_end
from realname_kit.hardening import forwarded_for
from realname_kit.logs import correlation_id
from realname_kit.web import CORRELATION_HEADER

STREAM_CHUNK = 64 * 1024


class UpstreamError(Exception):
    """The service could not be reached."""

    status, reason, title = 502, "service_unavailable", "The service does not answer"
    message_zh = "后台服务暂时无法应答：请稍后重试。"


class UpstreamTimeoutError(UpstreamError):
    status, reason, title = 504, "service_timeout", "The service did not answer in time"
    message_zh = "后台服务应答超时：请稍后重试。"


class Upstream(Protocol):
    def forward(self, request: Request) -> Response:
        """The service's answer to ``request``; raises ``UpstreamError`` when it cannot be had."""

    def get_json(self, path: str) -> tuple[int, Any]:
        """GET ``path`` of the service: its status and JSON body (None when not JSON)."""

    def call_json(self, method: str, path: str, body: Any = None, token: str | None = None) -> tuple[int, Any]:
        """The gateway's own call to the service (as itself, with ``token``): status and JSON body."""


class WsgiUpstream:
    """A service app in this process (all-in-one mode): called with the incoming request's environ."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self._client = Client(app, use_cookies=False)

    def forward(self, request: Request) -> Response:
        environ = dict(request.environ)
        # The gateway has read the body already (its size and JSON checks): hand the service a fresh copy.
        data = request.get_data(cache=True)
        environ["wsgi.input"], environ["CONTENT_LENGTH"] = io.BytesIO(data), str(len(data))
        environ.pop("HTTP_TRANSFER_ENCODING", None)
        # As over HTTP: the service reads the client's address from the chain a proxy forwards, not the environ.
        environ.update({"HTTP_X_FORWARDED_FOR": forwarded_for(request.environ), "REMOTE_ADDR": "127.0.0.1",
                        "HTTP_X_FORWARDED_PROTO": request.scheme, "HTTP_X_FORWARDED_HOST": request.host})
        cid = correlation_id()
        if cid:
            environ["HTTP_X_CORRELATION_ID"] = cid
        body, status, headers = run_wsgi_app(self.app, environ)
        return Response(body, status, headers)

    def get_json(self, path: str) -> tuple[int, Any]:
        answer = self._client.get(path, headers=_probe_headers())
        return answer.status_code, _json_or_none(answer.get_data())

    def call_json(self, method: str, path: str, body: Any = None, token: str | None = None) -> tuple[int, Any]:
        answer = self._client.open(path, method=method, json=body, headers=_call_headers(token))
        return answer.status_code, _json_or_none(answer.get_data())


class HttpUpstream:
    """A service over HTTP (distributed mode): a streaming reverse proxy on a pooled session."""

    def __init__(self, base_url: str, timeout: float = 30.0, probe_timeout: float = 2.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout, self.probe_timeout = timeout, probe_timeout
        self._session = _session()

    def forward(self, request: Request) -> Response:
        url = self.base_url + quote(request.path, safe="/:@!$&'()*+,;=")
        query = request.environ.get("QUERY_STRING", "")
        answer = self._send(request.method, f"{url}?{query}" if query else url,
                            headers=_outgoing_headers(request), data=_body(request),
                            stream=True, timeout=self.timeout)
        response = Response(_stream(answer), status=answer.status_code,
                            headers=end_to_end(answer.raw.headers.items()), direct_passthrough=True)
        response.call_on_close(answer.close)
        return response

    def get_json(self, path: str) -> tuple[int, Any]:
        answer = self._send("GET", self.base_url + path, headers=_probe_headers(),
                            timeout=self.probe_timeout)
        return answer.status_code, _json_or_none(answer.content)

    def call_json(self, method: str, path: str, body: Any = None, token: str | None = None) -> tuple[int, Any]:
        answer = self._send(method, self.base_url + path, json=body, headers=_call_headers(token),
                            timeout=self.timeout)
        return answer.status_code, _json_or_none(answer.content)

    def _send(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        try:
            return self._session.request(method, url, allow_redirects=False, **kwargs)
        except requests.Timeout as exc:
            raise UpstreamTimeoutError(f"{method} {url}: {exc}") from exc
        except requests.RequestException as exc:
            raise UpstreamError(f"{method} {url}: {exc}") from exc


def _session() -> requests.Session:
    session = requests.Session()
    session.trust_env = False  # services are reached directly, never through the environment's proxy
    session.headers.clear()  # pass the client's own Accept-Encoding, User-Agent… and add nothing
    session.cookies.set_policy(_NoCookies())  # one session serves every client: it must remember none
    # Only connection set-up is retried: the request has not left yet, so even a POST is safe.
    # read=False re-raises a read error as it is, so that a read timeout stays a timeout.
    retry = Retry(total=1, connect=1, read=False, status=0, redirect=0, other=0, raise_on_status=False)
    adapter = HTTPAdapter(pool_connections=4, pool_maxsize=64, max_retries=retry)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


class _NoCookies(DefaultCookiePolicy):
    def set_ok(self, cookie: Any, request: Any) -> bool:
        return False

    def return_ok(self, cookie: Any, request: Any) -> bool:
        return False


def _outgoing_headers(request: Request) -> dict[str, str]:
    headers: dict[str, str] = {}
    for name, value in end_to_end(request.headers.items()):
        if name.lower() != "content-length":  # requests sets it from the body it sends
            headers[name] = f"{headers[name]}, {value}" if name in headers else value
    headers["X-Forwarded-For"] = forwarded_for(request.environ)
    headers["X-Forwarded-Proto"] = request.scheme
    headers["X-Forwarded-Host"] = request.host
    cid = correlation_id()
    if cid:
        headers[CORRELATION_HEADER] = cid
    return headers


class _Body:
    """A request body of known length: requests sends it with that Content-Length, read as it goes."""

    def __init__(self, stream: IO[bytes], length: int) -> None:
        self._stream, self._length = stream, length

    def __len__(self) -> int:
        return self._length

    def read(self, size: int = -1) -> bytes:
        return self._stream.read(size)


def _body(request: Request) -> _Body | bytes | None:
    if request.content_length:
        return _Body(request.stream, request.content_length)
    data = request.get_data()  # a chunked upload: its length is unknown until read
    return data or None


def _stream(answer: requests.Response) -> Iterator[bytes]:
    try:
        yield from answer.raw.stream(STREAM_CHUNK, decode_content=False)
    finally:
        answer.close()


def _probe_headers() -> dict[str, str]:
    cid = correlation_id()
    return {"Accept": "application/json", **({CORRELATION_HEADER: cid} if cid else {})}


def _call_headers(token: str | None) -> dict[str, str]:
    return {**_probe_headers(), **({"Authorization": f"Bearer {token}"} if token else {})}


def _json_or_none(data: bytes) -> Any:
    try:
        return json.loads(data)
    except ValueError:
        return None
