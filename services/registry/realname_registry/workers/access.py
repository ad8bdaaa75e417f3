"""Who may see and change which worker: the employer its own workers, a regulator every worker."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from realname_codes.roles import EMPLOYERS, REGULATOR, SERVICE
from realname_kit.auth import Caller
from realname_kit.problems import Problem
from realname_registry.models import Employment, Team, Worker
from realname_registry.workers.locking import lock_worker

READERS = (REGULATOR, SERVICE)


def employer_of(caller: Caller) -> str:
    """The enterprise a write acts for: an employer logged in by its certificate (R31)."""
    if caller.enterprise_id is None or not caller.roles & set(EMPLOYERS):
        raise Problem(403, "not_an_employer", "Only an employer registers and changes workers",
                      "Log in with the certificate of the labour company (or general contractor) that holds "
                      "the labour contract.",
                      message_zh="只有用人单位才能登记和修改工人：请用持有劳动合同的劳务公司（或总承包单位）的数字证书"
                                 "登录。")
    return caller.enterprise_id


def reads_all(caller: Caller) -> bool:
    return bool(caller.roles & set(READERS))


def visible(session: Session, caller: Caller, worker_id: str, *, for_update: bool = False,
            sees_all: bool = False) -> tuple[Worker, Employment | None, Team | None]:
    """The worker with the employment the caller may see: its employer's (any status), else 404.

    An employer sees a worker while it employs them, and afterwards the employment it held; a regulator
    (or a caller an endpoint lets act on any worker, ``sees_all``) sees the current employment, or the
    latest when there is none.
    """
    sees_all = sees_all or reads_all(caller)
    if for_update:  # to change it: the lock every path that changes a worker takes (R11)
        worker = lock_worker(session, Worker.id == worker_id)
    else:
        worker = session.scalars(select(Worker).where(Worker.id == worker_id)).first()
    employment = None
    if worker is not None:
        employments = select(Employment).where(Employment.worker_id == worker.id)
        if not sees_all:
            employments = employments.where(Employment.employer_id == (caller.enterprise_id or ""))
        ordered = employments.order_by((Employment.status == "active").desc(), Employment.seq.desc())
        employment = session.scalars(ordered.limit(1)).first()
    if worker is None or (employment is None and not sees_all):
        raise Problem(404, "worker_not_found", "No worker of yours has this id", worker_id=worker_id,
                      message_zh="找不到贵单位的这名工人：请核对工人编号。")
    team = team_by_id(session, employment.team_id) if employment is not None else None
    return worker, employment, team


def active_employment_of(session: Session, worker_id: str) -> Employment | None:
    return session.scalars(select(Employment).where(Employment.worker_id == worker_id,
                                                    Employment.status == "active")).first()


def team_by_id(session: Session, team_id: str | None) -> Team | None:
    return session.scalars(select(Team).where(Team.id == team_id)).first() if team_id else None
