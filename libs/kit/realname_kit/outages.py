"""A database or broker that does not answer is an outage, not a bug: 503 with ``Retry-After``, not 500.

While PostgreSQL restarts or the pool is exhausted the request changed nothing (its transaction never
committed), so the caller can send it again as it is; the answer says when.
"""

from __future__ import annotations

from flask import Flask, Response
from kombu.exceptions import OperationalError as BrokerUnavailable
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import OperationalError as DatabaseUnavailable
from sqlalchemy.exc import TimeoutError as PoolTimeout

from realname_kit.logs import get_logger
from realname_kit.problems import problem_response

RETRY_AFTER_SECONDS = 5
log = get_logger(__name__)


def install_outage_handlers(app: Flask) -> None:
    @app.errorhandler(DatabaseUnavailable)
    @app.errorhandler(PoolTimeout)
    @app.errorhandler(BrokerUnavailable)
    @app.errorhandler(ConnectionError)
    def _outage(exc: Exception) -> Response:
        return unavailable(exc)

    @app.errorhandler(DBAPIError)
    def _database_error(exc: DBAPIError) -> Response:
        if exc.connection_invalidated:  # the server went away in the middle of the request
            return unavailable(exc)
        log.exception("unhandled_error", error=repr(exc))
        return problem_response(500, "internal_error", "Internal Server Error",
                                "The error was logged with this request's correlation id.",
                                message_zh="服务器内部出错，已按本次请求的 correlation_id 记录：请稍后重试，"
                                           "仍不成功请把该编号告知运维人员。")


def unavailable(exc: Exception) -> Response:
    log.warning("dependency_unavailable", error=repr(exc)[:300])
    response = problem_response(
        503, "unavailable", "Service temporarily unavailable",
        f"A database or the message broker does not answer. Nothing was changed: send the same request "
        f"again in {RETRY_AFTER_SECONDS} seconds.",
        message_zh=f"数据库或消息服务暂时无法访问，本次请求未做任何更改。"
                   f"请在 {RETRY_AFTER_SECONDS} 秒后重新提交同一请求。")
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response
