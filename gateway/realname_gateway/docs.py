"""``/docs``: Swagger UI from the ``swagger_ui_bundle`` package, served by the gateway (works offline)."""

from __future__ import annotations

import json
from html import escape
from pathlib import Path

from flask import Blueprint, Response, send_from_directory, url_for
from swagger_ui_bundle import swagger_ui_path

from realname_kit.auth import ANYONE, allow

ASSETS = Path(str(swagger_ui_path))
PAGE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>realname API</title>
  <link rel="stylesheet" href="{css}">
  <link rel="icon" type="image/png" href="{icon}">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="{bundle}"></script>
  <script>
    window.ui = SwaggerUIBundle({{url: {spec}, dom_id: "#swagger-ui", deepLinking: true,
                                 validatorUrl: null, layout: "BaseLayout"}});
  </script>
</body>
</html>
"""


def docs_blueprint() -> Blueprint:
    bp = Blueprint("docs", __name__)

    @bp.get("/docs/")
    @bp.get("/docs")  # registered first: url_for gives this one
    @allow(ANYONE)
    def page() -> Response:
        def href(name: str) -> str:
            return escape(url_for("docs.asset", filename=name))
        # JSON is a JS string literal; "<" escaped so that no "</script>" can end the script early.
        spec = json.dumps(url_for("openapi")).replace("<", "\\u003c")
        html = PAGE.format(css=href("swagger-ui.css"), icon=href("favicon-32x32.png"),
                           bundle=href("swagger-ui-bundle.js"), spec=spec)
        return Response(html, mimetype="text/html")

    @bp.get("/docs/<path:filename>")
    @allow(ANYONE)
    def asset(filename: str) -> Response:
        return send_from_directory(ASSETS, filename, max_age=3600)

    return bp
