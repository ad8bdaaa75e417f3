"""HTTP endpoints of edge-reader accounts: each reader PC publishes card reads with an account of its own."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from marshmallow import Schema, fields

from realname_codes.roles import EMPLOYERS
from realname_identity.models import ReaderAccount
from realname_identity.reader_accounts import accounts_of, close_account, open_account
from realname_kit.auth import allow, current_caller
from realname_kit.bus.broker_accounts import RabbitManagement
from realname_kit.bus.topology import Topology
from realname_kit.formats import Instant
from realname_kit.openapi import Blueprint
from realname_kit.privacy import request_keyring
from realname_kit.problems import Problem
from realname_kit.settings import Settings
from realname_kit.web import service_context

readers = Blueprint("reader_accounts", __name__, url_prefix="/api/v1/identity",
                    description="Broker accounts of edge card-readers (`realname-edge`).")


class ReaderAccountOut(Schema):
    username = fields.String()
    employer_id = fields.String()
    created_at = Instant()
    created_by = fields.String()
    revoked_at = Instant(allow_none=True)


class NewReaderAccountOut(ReaderAccountOut):
    password = fields.String(metadata={"description": "Shown once: put it in the reader's configuration."})
    amqp_url = fields.String(metadata={"description": "REALNAME_EDGE_AMQP_URL for the reader PC."})
    seal_key = fields.String(metadata={"description": "Shown once: REALNAME_EDGE_SEAL_KEY for the reader PC, "
                                                      "which seals every card with it."})
    exchange = fields.String(metadata={"description": "REALNAME_EDGE_EXCHANGE for the reader PC."})


class ReaderAccountList(Schema):
    items = fields.List(fields.Nested(ReaderAccountOut))


@readers.route("/reader-accounts")
class ReaderAccounts(MethodView):
    @allow(*EMPLOYERS)
    @readers.response(201, NewReaderAccountOut)
    @readers.alt_response(409, description="`no_broker`: all-in-one mode has no broker for readers to publish to.")
    @readers.alt_response(503, description="`broker_admin_unavailable`: try again later.")
    def post(self) -> Any:
        """A broker account and a sealing key for one reader PC; it may publish card reads of yours, sealed."""
        settings = _distributed()
        ctx = service_context()
        exchange = Topology(settings.bus_prefix).exchange_name("edge")
        with ctx.db.transaction() as session:
            broker_url = settings.value("REALNAME_IDENTITY_READER_BROKER_URL") or settings.amqp_url
            new = open_account(session, _management(settings), request_keyring(), current_caller(),
                               amqp_url=broker_url, exchange=exchange, prefix=settings.bus_prefix)
            return {**_out(new.account), "password": new.password, "seal_key": new.seal_key,
                    "amqp_url": new.amqp_url, "exchange": exchange}

    @allow(*EMPLOYERS)
    @readers.response(200, ReaderAccountList)
    def get(self) -> Any:
        """Your readers' accounts, revoked ones included."""
        with service_context().db.transaction() as session:
            return {"items": [_out(a) for a in accounts_of(session, current_caller().enterprise_id or "")]}


@readers.route("/reader-accounts/<username>")
class OneReaderAccount(MethodView):
    @allow(*EMPLOYERS)
    @readers.response(204)
    @readers.alt_response(404, description="No reader account of yours has this name.")
    def delete(self, username: str) -> Any:
        """Revoke the account (a reader PC lost or replaced): the broker refuses it from now on."""
        settings = _distributed()
        with service_context().db.transaction() as session:
            close_account(session, _management(settings), current_caller(), username)
        return None


def _distributed() -> Settings:
    settings = service_context().settings
    if not settings.distributed:
        raise Problem(409, "no_broker", "Edge-readers need the platform's message broker",
                      "This platform runs all-in-one, without RabbitMQ: run it distributed for edge-readers, or "
                      "send reads from the browser (POST /api/v1/identity/card-reads).",
                      message_zh="平台以单机方式运行，没有消息服务，不能使用读卡终端：请以分布式方式运行平台，或在浏览"
                                 "器中提交读卡结果。")
    return settings


def _management(settings: Settings) -> RabbitManagement:
    return RabbitManagement.for_amqp(settings.amqp_url, settings.value("REALNAME_AMQP_MANAGEMENT_URL"))


def _out(account: ReaderAccount) -> dict[str, Any]:
    return {"username": account.username, "employer_id": account.employer_id, "created_at": account.created_at,
            "created_by": account.created_by, "revoked_at": account.revoked_at}
