"""The OpenAPI document says what the platform really does: problem+json errors, who may call what."""

from __future__ import annotations

import http
import re
from typing import Any

import flask
import flask_smorest
from flask import Flask
from flask_smorest import Api
from flask_smorest.utils import prepare_response
from marshmallow import RAISE, Schema, fields
from webargs.flaskparser import FlaskParser

from realname_kit.auth import ANYONE, declared_access
from realname_kit.problems import PROBLEM_JSON

_CONVERTER = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")


class ProblemSchema(Schema):
    """RFC 9457 problem details, as every error of the platform is answered."""

    type = fields.String()
    title = fields.String()
    status = fields.Integer()
    reason = fields.String(metadata={"description": "A stable code a program (and a person) can act on."})
    detail = fields.String()
    instance = fields.String()
    correlation_id = fields.String()
    message = fields.String(metadata={"description": "What to do, in English."})
    message_zh = fields.String(metadata={"description": "What to do, in Chinese."})
    errors = fields.List(fields.Dict(), metadata={"description": "Every mistake of the request, each {field, reason, "
                                                                "message, message_zh}."})


class StrictParser(FlaskParser):
    """A query parameter, form field or file no endpoint knows is refused (422), not ignored: ``?limt=10`` is a
    mistake to show. (An upload endpoint declares its form, empty if it has none, so that extra fields fail.)"""

    DEFAULT_UNKNOWN_BY_LOCATION = {**FlaskParser.DEFAULT_UNKNOWN_BY_LOCATION, "query": RAISE, "querystring": RAISE,
                                   "form": RAISE, "files": RAISE}


class Blueprint(flask_smorest.Blueprint):  # type: ignore[misc]
    """The blueprint every API of the platform uses: flask-smorest's, with strict query parameters."""

    ARGUMENTS_PARSER = StrictParser()


class PlatformApi(Api):  # type: ignore[misc]
    """flask-smorest's Api, documenting errors as they are sent and each operation's access rule."""

    ERROR_SCHEMA = ProblemSchema

    def _register_responses(self) -> None:
        for status in http.HTTPStatus:
            response: dict[str, Any] = {"description": status.phrase}
            if not (100 <= status < 200) and status not in (204, 304):
                response["schema"] = self.ERROR_SCHEMA
            prepare_response(response, self.spec, PROBLEM_JSON)
            self.spec.components.response(status.name, response, lazy=True)
        default = {"description": "Default error response", "schema": self.ERROR_SCHEMA}
        prepare_response(default, self.spec, PROBLEM_JSON)
        self.spec.components.response("DEFAULT_ERROR", default, lazy=True)

    def document(self) -> dict[str, Any]:
        return annotate_access(flask.current_app, self.spec.to_dict())

    def _openapi_json(self) -> Any:
        return flask.current_app.json.response(self.document())


def annotate_access(app: Flask, document: dict[str, Any]) -> dict[str, Any]:
    """Each operation's ``security`` and ``x-realname-access`` from the ``@allow`` its endpoint declares."""
    for rule in app.url_map.iter_rules():
        operations = document.get("paths", {}).get(_CONVERTER.sub(r"{\1}", rule.rule), {})
        for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}:
            operation = operations.get(method.lower())
            access = declared_access(app.view_functions[rule.endpoint], method)
            if operation is None or access is None:
                continue
            operation["security"] = [] if ANYONE in access else [{"bearer": []}]
            operation["x-realname-access"] = sorted(access)
    return document
