"""Security headers on every response; the Swagger UI page gets a Content-Security-Policy of its own."""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterable

from flask import Flask, Response, request

API_CSP = "default-src 'none'; frame-ancestors 'none'"
# Swagger UI loads its bundle, stylesheet and icon from 'self', fetches the OpenAPI document (and "Try it
# out" calls) from 'self', shows data: SVG icons from its stylesheet and sets inline styles (its React
# components do: swagger-api/swagger-ui#3370), so style-src needs 'unsafe-inline'. Its one inline
# <script>, the bootstrap in docs.py, is admitted by its hash, computed from the page served.
DOCS_CSP = ("default-src 'none'; script-src 'self'{hashes}; style-src 'self' 'unsafe-inline'; "
            "img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; "
            "frame-ancestors 'none'")
HSTS = "max-age=31536000"
_INLINE_SCRIPT = re.compile(rb"<script>(.*?)</script>", re.DOTALL)
COMMON = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def install_security_headers(app: Flask, *, docs_paths: Iterable[str] = ("/docs",)) -> None:
    """Every response: the ``COMMON`` headers; API responses: ``API_CSP`` and ``Cache-Control: no-store``
    (unless the endpoint chose its own caching); responses under ``docs_paths``: ``DOCS_CSP`` and their own
    caching. ``Strict-Transport-Security`` only over HTTPS: ``request.is_secure``, which behind a
    TLS-terminating proxy needs the proxy trusted (``trust_proxies``, REALNAME_TRUSTED_PROXY_HOPS)."""
    prefixes = tuple(p.rstrip("/") for p in docs_paths)

    @app.after_request
    def _secure(response: Response) -> Response:
        response.headers.update(COMMON)
        if _under(request.path, prefixes):
            response.headers["Content-Security-Policy"] = docs_csp(response)
        else:
            response.headers["Content-Security-Policy"] = API_CSP
            if "Cache-Control" not in response.headers:
                response.headers["Cache-Control"] = "no-store"
        if request.is_secure:
            response.headers["Strict-Transport-Security"] = HSTS
        return response


def docs_csp(response: Response) -> str:
    hashes = ""
    if response.mimetype == "text/html" and not response.direct_passthrough and not response.is_streamed:
        hashes = "".join(f" '{script_hash(s)}'" for s in _INLINE_SCRIPT.findall(response.get_data()))
    return DOCS_CSP.format(hashes=hashes)


def script_hash(script: bytes) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(script).digest()).decode()


def _under(path: str, prefixes: tuple[str, ...]) -> bool:
    return any(path == p or path.startswith(p + "/") for p in prefixes)
