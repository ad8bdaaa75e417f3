"""``create_app()``: the assignment's Flask application."""

from flask import Flask

from realname_assignment.service import SPEC
from realname_kit.db import Database
from realname_kit.settings import Settings
from realname_kit.web import create_service_app


def create_app(settings: Settings | None = None, db: Database | None = None) -> Flask:
    return create_service_app(SPEC, settings, db)
