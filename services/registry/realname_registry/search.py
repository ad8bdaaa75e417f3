"""Worker search (R14): fuzzy name, partial ID number and phone, trade, team, project, status; keyset pages.

An employer's list holds the workers it employs in the status asked, each with that employment. A
regulator's list holds every worker, each with their current employment: the active one, else the latest.
Pages follow ``Worker.seq``, which only grows, so a worker registered meanwhile never shifts a page.

Names: ``search_names``; ID numbers and phones: ``search_numbers``. Measured on a million workers by
``bench/registry_search.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, cast

from sqlalchemy import ColumnElement, ScalarSelect, Select, SQLColumnExpression, and_, case, select
from sqlalchemy.orm import Session, aliased
from sqlalchemy.orm.util import AliasedClass

from realname_kit.pagination import encode_cursor, seq_after
from realname_kit.privacy import Keyring
from realname_kit.problems import Problem
from realname_registry.models import Employment, Team, Worker
from realname_registry.search_names import (
    index_names,
    name_condition,
    name_grams,
    name_matches,
    reindex_name,
    uses_trigrams,
)
from realname_registry.search_numbers import id_number_condition, phone_condition, tail_index

__all__ = ["STATUSES", "WorkerFilters", "index_names", "name_grams", "reindex_name", "search_query",
           "search_workers", "tail_index"]

Status = Literal["active", "ended", "all"]
STATUSES: dict[str, tuple[str, ...]] = {"active": ("active",), "ended": ("ended",), "all": ("active", "ended")}

Row = tuple[Worker, Employment | None]


@dataclass(frozen=True)
class WorkerFilters:
    """What to search by; ``None`` leaves a field out. ``status`` is the employment's."""

    name: str | None = None
    id_number: str | None = None  # the whole 18 characters, or the last 4
    phone: str | None = None  # the whole 11 digits, or the last 4
    trade_code: str | None = None
    team_id: str | None = None
    project_id: str | None = None
    status: Status = "active"
    identity_status: str | None = None
    category: str | None = None


def search_workers(session: Session, keyring: Keyring, filters: WorkerFilters, *, employer_id: str | None,
                   limit: int, cursor: str | None) -> tuple[list[Row], str | None]:
    """One page of workers matching ``filters`` and the ``next_cursor`` (None on the last page)."""
    query = search_query(session, keyring, filters, employer_id=employer_id, limit=limit, cursor=cursor)
    found = session.execute(query).all()
    rows = [(worker, cast("Employment | None", employment)) for worker, employment in found]
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    return rows, encode_cursor({"after": rows[-1][0].seq})


def search_query(session: Session, keyring: Keyring, filters: WorkerFilters, *, employer_id: str | None,
                 limit: int, cursor: str | None) -> Select[Worker, Employment]:
    """The statement ``search_workers`` runs: ``limit + 1`` rows after the cursor (for EXPLAIN, too)."""
    if limit < 1:
        raise ValueError("limit must be at least 1")
    if filters.status not in STATUSES:
        raise Problem(422, "status_query", "The status to search for is not one of active, ended, all",
                      field="status",
                      message_zh="状态只能是 active（在职）、ended（已离职）或 all（全部）：请重新选择。")
    after = seq_after(cursor)
    dialect = session.get_bind().dialect.name
    if employer_id is not None:
        page = _employer_page(keyring, filters, dialect, employer_id, after=after, limit=limit)
        return _employer_list(employer_id, filters).where(Worker.seq.in_(page)).order_by(Worker.seq)
    query = _regulator_list(filters).where(*_worker_conditions(keyring, filters, Worker))
    if filters.name is not None:
        query = query.where(name_condition(filters.name, dialect))
    if after is not None:
        query = query.where(Worker.seq > after)
    # Trigram matches are few: find them all through their index, then sort. Ordered by the bare key, the
    # planner may walk the primary key instead, filtering, and read most of the table for a rare name.
    order = Worker.seq + 0 if filters.name is not None and uses_trigrams(filters.name) else Worker.seq
    return query.order_by(order).limit(limit + 1)


def _employer_page(keyring: Keyring, filters: WorkerFilters, dialect: str, employer_id: str, *,
                   after: int | None, limit: int) -> Select[int]:
    """The ``worker_seq`` of the page's workers, found on the employer's (employer, status, worker_seq) index.

    Reading only that index (and the name pieces', likewise ordered) skips the employer's thousands of
    employment rows that do not match: they are scattered over the table, one page each.
    """
    statuses = STATUSES[filters.status]
    paged, worker = aliased(Employment, name="paged"), aliased(Worker, name="matched")
    page = select(paged.worker_seq).where(paged.employer_id == employer_id, paged.status.in_(statuses),
                                          *_employment_conditions(filters, paged))
    if filters.name is not None:
        page = page.where(paged.worker_seq.in_(name_matches(filters.name, dialect)))
    if worker_conditions := _worker_conditions(keyring, filters, worker):
        page = page.where(paged.worker_seq.in_(select(worker.seq).where(*worker_conditions)))
    if after is not None:
        page = page.where(paged.worker_seq > after)
    if filters.status != "active":  # several contracts here: one worker all the same (the list picks the contract)
        page = page.distinct()
    return page.order_by(paged.worker_seq).limit(limit + 1)


def _employer_list(employer_id: str, filters: WorkerFilters) -> Select[Worker, Employment]:
    """Each worker with their employment here: of those matching, the active one, else the latest."""
    query = (select(Worker, Employment).join(Employment, Employment.worker_seq == Worker.seq)
             .where(Employment.employer_id == employer_id, Employment.status.in_(STATUSES[filters.status]),
                    *_employment_conditions(filters, Employment)))
    if filters.status == "active":  # at most one active employment per worker (R12)
        return query
    return query.where(Employment.seq == _current_employment(Employment.worker_seq, employer_id, filters))


def _regulator_list(filters: WorkerFilters) -> Select[Worker, Employment]:
    """Every worker with their current employment, the filters applied to it."""
    if filters.status == "active":  # at most one active employment per worker (R12): it is the current one
        query = select(Worker, Employment).join(
            Employment, and_(Employment.worker_id == Worker.id, Employment.status == "active"))
    else:
        query = select(Worker, Employment).outerjoin(Employment, Employment.seq == _current_employment(Worker.id))
        if filters.status == "ended":
            query = query.where(Employment.status == "ended")
    if conditions := _employment_conditions(filters, Employment):
        # Implied by the conditions on the current employment, and a way in through their indexes (a team's
        # few hundred workers) which the current employment, chosen worker by worker, does not give.
        some = aliased(Employment, name="some")
        query = query.where(*conditions, Worker.id.in_(select(some.worker_id).where(
            *_employment_conditions(filters, some))))
    return query


def _current_employment(of: SQLColumnExpression[Any], employer_id: str | None = None,
                        filters: WorkerFilters | None = None) -> ScalarSelect[Any]:
    """The ``seq`` of the worker's active employment, else of their latest.

    ``of`` is the worker's ``id``: of all their employments. Or an employment's ``worker_seq`` with
    ``employer_id`` and ``filters``: of those with this employer, in the status asked, matching the filters.
    """
    other = aliased(Employment, name="other")
    if employer_id is None or filters is None:
        query = select(other.seq).where(other.worker_id == of)
    else:
        query = select(other.seq).where(other.worker_seq == of, other.employer_id == employer_id,
                                        other.status.in_(STATUSES[filters.status]),
                                        *_employment_conditions(filters, other))
    ranked = query.order_by(case((other.status == "active", 0), else_=1), other.seq.desc()).limit(1)
    return ranked.correlate_except(other).scalar_subquery()


def _worker_conditions(keyring: Keyring, filters: WorkerFilters,
                       worker: type[Worker] | AliasedClass[Worker]) -> list[ColumnElement[bool]]:
    """Conditions on the worker's own columns, but the name's (which has an index and a path of its own)."""
    found: list[ColumnElement[bool]] = []
    if filters.id_number is not None:
        found.append(id_number_condition(keyring, filters.id_number, worker))
    if filters.phone is not None:
        found.append(phone_condition(keyring, filters.phone, worker))
    if filters.identity_status is not None:
        found.append(worker.identity_status == filters.identity_status)
    if filters.category is not None:
        found.append(worker.category == filters.category)
    return found


def _employment_conditions(filters: WorkerFilters,
                           employment: type[Employment] | AliasedClass[Employment]) -> list[ColumnElement[bool]]:
    found: list[ColumnElement[bool]] = []
    if filters.trade_code is not None:
        found.append(employment.trade_code == filters.trade_code)
    if filters.team_id is not None:
        found.append(employment.team_id == filters.team_id)
    if filters.project_id is not None:
        found.append(employment.team_id.in_(select(Team.id).where(Team.project_id == filters.project_id)))
    return found
