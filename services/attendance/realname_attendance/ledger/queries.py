"""Reads of the attendance ledger (R28), each within the caller's scope (``access.LedgerScope``, R21)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, func, or_, select, true
from sqlalchemy.orm import Session

from realname_attendance.ledger.access import LedgerScope
from realname_attendance.models import Admission, LedgerCorrection, LedgerDay, LedgerMonth, Punch, Worker
from realname_attendance.rules.ledger_day import Passage, on_site
from realname_kit.pagination import CursorInvalid, cursor_position, encode_cursor
from realname_kit.problems import Problem
from realname_kit.timeutil import CHINA


def _scoped(scope: LedgerScope) -> ColumnElement[bool]:
    own = true() if scope.employer_id is None else LedgerDay.employer_id == scope.employer_id
    return and_(LedgerDay.project_id == scope.project.id, own)


def _dated(args: dict[str, Any]) -> list[ColumnElement[bool]]:
    return [c for c in (LedgerDay.day >= args["from_"] if args.get("from_") else None,
                        LedgerDay.day <= args["to"] if args.get("to") else None) if c is not None]


Query = Select[*tuple[Any, ...]]


def _filtered(query: Query, args: dict[str, Any]) -> Query:
    for name in ("worker_id", "employer_id", "team_id"):
        if args.get(name) is not None:
            query = query.where(getattr(LedgerDay, name) == args[name])
    if args.get("anomaly") is not None:
        query = query.where(LedgerDay.anomaly.is_not(None) if args["anomaly"] else LedgerDay.anomaly.is_(None))
    return query.where(*_dated(args))


def day_page(session: Session, scope: LedgerScope, args: dict[str, Any]) -> dict[str, Any]:
    """The ledger's days, by day then worker, in cursor pages."""
    query = _filtered(select(LedgerDay, Worker.name).outerjoin(Worker, Worker.worker_id == LedgerDay.worker_id)
                      .where(_scoped(scope)), args)
    position = cursor_position(args.get("cursor"), {"day": str, "worker": str})
    if position is not None:
        day = _cursor_day(position["day"])
        query = query.where(or_(LedgerDay.day > day, and_(LedgerDay.day == day,
                                                          LedgerDay.worker_id > position["worker"])))
    rows = list(session.execute(query.order_by(LedgerDay.day, LedgerDay.worker_id).limit(args["limit"] + 1)))
    more = len(rows) > args["limit"]
    rows = rows[:args["limit"]]
    items = [{**_day_view(row), "name": name} for row, name in rows]
    last = rows[-1][0] if more else None
    return {"items": items, "next_cursor": encode_cursor({"day": last.day.isoformat(), "worker": last.worker_id})
            if last is not None else None}


def month_page(session: Session, scope: LedgerScope, month: date, args: dict[str, Any]) -> dict[str, Any]:
    """Per worker of the month: days on the ledger, minutes and hours on site, days flagged, days corrected; by
    worker, from the month rows the chore keeps (``ledger.months``)."""
    # Columns, not entities: 5,000 rows are answered without building 5,000 ORM objects.
    m = LedgerMonth
    query = (select(m.worker_id, Worker.name, m.employer_id, m.team_id, m.days, m.minutes, m.anomalies,
                    m.corrected_days).outerjoin(Worker, Worker.worker_id == m.worker_id)
             .where(m.project_id == scope.project.id, m.month == month))
    if scope.employer_id is not None:
        query = query.where(m.employer_id == scope.employer_id)
    for name in ("employer_id", "team_id"):
        if args.get(name) is not None:
            query = query.where(getattr(m, name) == args[name])
    position = cursor_position(args.get("cursor"), {"after": str})
    if position is not None:
        query = query.where(m.worker_id > position["after"])
    rows = session.execute(query.order_by(m.worker_id).limit(args["limit"] + 1)).all()
    more = len(rows) > args["limit"]
    rows = rows[:args["limit"]]
    items = [{"worker_id": r.worker_id, "name": r.name, "employer_id": r.employer_id, "team_id": r.team_id,
              "days": r.days, "minutes": r.minutes, "hours": round(r.minutes / 60, 2), "anomalies": r.anomalies,
              "corrected_days": r.corrected_days} for r in rows]
    return {"month": month.strftime("%Y-%m"), "items": items,
            "next_cursor": encode_cursor({"after": rows[-1].worker_id}) if more else None}


def daily(session: Session, scope: LedgerScope, args: dict[str, Any]) -> list[dict[str, Any]]:
    """Per day of the range: headcount (workers on the ledger that day), minutes, days flagged."""
    rows = session.execute(_filtered(select(
        LedgerDay.day, func.count().label("headcount"), func.sum(LedgerDay.minutes).label("minutes"),
        func.sum(case((LedgerDay.anomaly.is_not(None), 1), else_=0)).label("anomalies"))
        .where(_scoped(scope)), args).group_by(LedgerDay.day).order_by(LedgerDay.day))
    return [{"day": r.day, "headcount": r.headcount, "minutes": int(r.minutes or 0),
             "anomalies": int(r.anomalies or 0)} for r in rows]


def summary(session: Session, scope: LedgerScope, by: str, args: dict[str, Any]) -> list[dict[str, Any]]:
    """Per team or per employer over the range: workers, worker-days, minutes, days flagged."""
    column = LedgerDay.team_id if by == "team" else LedgerDay.employer_id
    rows = session.execute(_filtered(select(
        column.label("key"), func.count(func.distinct(LedgerDay.worker_id)).label("workers"),
        func.count().label("days"), func.sum(LedgerDay.minutes).label("minutes"),
        func.sum(case((LedgerDay.anomaly.is_not(None), 1), else_=0)).label("anomalies"))
        .where(_scoped(scope)), args).group_by(column).order_by(column))
    return [{f"{by}_id": r.key, "workers": r.workers, "days": r.days, "minutes": int(r.minutes or 0),
             "hours": round(int(r.minutes or 0) / 60, 2), "anomalies": int(r.anomalies or 0)} for r in rows]


def on_site_now(session: Session, scope: LedgerScope, now: datetime) -> dict[str, Any]:
    """The workers whose valid punches of today leave a stay open (their last passage is an in): on site now."""
    today = now.astimezone(CHINA).date()
    query = (select(Punch.worker_id, Punch.at, Punch.direction)
             .where(Punch.project_id == scope.project.id, Punch.day == today, Punch.valid.is_(True),
                    Punch.at <= now))
    if scope.employer_id is not None:
        query = query.join(Worker, Worker.worker_id == Punch.worker_id).where(Worker.employer_id == scope.employer_id)
    passages: dict[str, list[Passage]] = defaultdict(list)
    for worker_id, at, direction in session.execute(query):
        passages[str(worker_id)].append(Passage(at, direction))
    here = sorted(w for w, seen in passages.items() if on_site(seen))
    names = _names(session, here)
    return {"day": today, "at": now, "count": len(here), "punched_today": len(passages),
            "workers": [{"worker_id": w, "name": names.get(w)} for w in here]}


def worker_day(session: Session, scope: LedgerScope, worker_id: str, day: date) -> dict[str, Any]:
    """A worker's day: the ledger's figures (null until computed), every punch of the gates (valid and rejected with
    its reason) and every correction, so that both stay visible."""
    visible_worker(session, scope, worker_id)
    row = session.get(LedgerDay, (scope.project.id, worker_id, day))
    punches = session.scalars(select(Punch).where(Punch.worker_id == worker_id, Punch.day == day,
                                                  Punch.project_id == scope.project.id).order_by(Punch.at))
    corrections = session.scalars(select(LedgerCorrection).where(
        LedgerCorrection.project_id == scope.project.id, LedgerCorrection.worker_id == worker_id,
        LedgerCorrection.day == day).order_by(LedgerCorrection.at))
    return {"worker_id": worker_id, "project_id": scope.project.id, "day": day,
            "ledger": _day_view(row) if row is not None else None, "punches": list(punches),
            "corrections": list(corrections)}


def visible_worker(session: Session, scope: LedgerScope, worker_id: str) -> None:
    mine = true() if scope.employer_id is None else Admission.employer_id == scope.employer_id
    known = session.scalar(select(Admission.worker_id).where(
        Admission.project_id == scope.project.id, Admission.worker_id == worker_id, mine).limit(1))
    if known is None:
        raise Problem(404, "worker_not_found", "No worker of yours on this project has this id", worker_id=worker_id,
                      message_zh="找不到贵单位在该项目上的这名工人：请核对工人编号。")


def _day_view(row: LedgerDay) -> dict[str, Any]:
    return {"worker_id": row.worker_id, "project_id": row.project_id, "day": row.day,
            "employer_id": row.employer_id, "team_id": row.team_id, "first_in": row.first_in,
            "last_out": row.last_out, "minutes": row.minutes, "hours": round(row.minutes / 60, 2),
            "punches": row.punches, "anomaly": row.anomaly, "corrected": row.corrected,
            "corrected_late": row.corrected_late, "closed_at": row.closed_at, "version": row.version}


def _names(session: Session, worker_ids: list[str]) -> dict[str, str | None]:
    if not worker_ids:
        return {}
    return {r.worker_id: r.name for r in session.execute(
        select(Worker.worker_id, Worker.name).where(Worker.worker_id.in_(worker_ids)))}


def _cursor_day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CursorInvalid() from None
