"""A project's workforce over three tiers, seeded straight into the assignment database (COPY through psycopg).

The parties, projects and contracts are made through the gateway (logins, ``POST projects``, ``POST contracts``),
so the service knows them as it would; the workers and their assignments are written with COPY, shaped as the
service writes them (``KnownWorker``, ``Assignment``). Most are accepted; some requested, rejected, withdrawn or
exited. Other projects of the same companies fill the tables around it, as a database in use would be.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg

from bench.assignment_chain import award, enterprise_id, own_contract, raw_url
from bench.registry_platform import BenchPlatform, new_uscc
from bench.registry_search import TRADES, name
from tests.support.launched import ApiClient as Client

STATUSES = (("accepted", 85), ("requested", 8), ("rejected", 3), ("withdrawn", 2), ("exited", 2))
TIER_SHARES = ((0, 0.05), (1, 0.60), (2, 0.35))  # the GC's own staff, tier-1 labour, tier-2 labour
TIER1_LABOUR, TIER2_LABOUR, BACKGROUND_PROJECTS = 4, 2, 4
WORKER_COLUMNS = ("worker_id", "employer_id", "employment_id", "name", "trade_code", "team_id", "category",
                  "identity_status", "employment_status", "deceased", "version", "registered_at", "learned_at")
ASSIGNMENT_COLUMNS = ("id", "project_id", "contract_id", "worker_id", "employer_id", "team_id", "status",
                      "requested_at", "requested_by", "decided_at", "decided_by", "entry_at", "rejection_reason",
                      "exited_at", "exit_cause", "version")


@dataclass
class Seeded:
    project_id: str
    callers: dict[str, Client]  # general_contractor, specialty, labour (tier 1), labour_tier2
    names: list[str]  # names of the project's workers, to search for


@dataclass(frozen=True)
class Link:
    contract_id: str
    employer_id: str
    tier: int


def seed(platform: BenchPlatform, workers: int, background: int) -> Seeded:
    gc = platform.gc
    tier1 = [_company(platform, "labour", n) for n in range(TIER1_LABOUR)]
    specialty = _company(platform, "specialty", 0)
    tier2 = [_company(platform, "labour", 10 + n) for n in range(TIER2_LABOUR)]
    project_id = platform.project()
    sp_contract = award(gc, project_id, specialty[1], "specialty")
    links = {0: [Link(own_contract(gc, project_id), enterprise_id(gc), 0)],
             1: [Link(award(gc, project_id, uscc, "labour"), enterprise_id(c), 1) for c, uscc in tier1],
             2: [Link(award(specialty[0], project_id, uscc, "labour", sp_contract), enterprise_id(c), 2)
                 for c, uscc in tier2]}
    others = []
    for _ in range(BACKGROUND_PROJECTS if background else 0):
        other = platform.project()
        others.append((other, [Link(award(gc, other, uscc, "labour"), enterprise_id(c), 1) for c, uscc in tier1]))
    rng = random.Random(20)
    names: list[str] = []
    with psycopg.connect(raw_url(platform)) as conn:
        rows = _rows(rng, project_id, [(tier, links[tier], share) for tier, share in TIER_SHARES], workers, names)
        for other, other_links in others:
            rows += _rows(rng, other, [(1, other_links, 1.0)], background // BACKGROUND_PROJECTS, [])
        rng.shuffle(rows)  # assignments of all projects and companies arrive mixed, as they do
        _copy(conn, rows)
        conn.commit()
        conn.autocommit = True
        conn.execute("VACUUM ANALYZE workers")
        conn.execute("VACUUM ANALYZE assignments")
    return Seeded(project_id, {"general_contractor": gc, "specialty": specialty[0], "labour": tier1[0][0],
                               "labour_tier2": tier2[0][0]}, names)


def _company(platform: BenchPlatform, kind: str, n: int) -> tuple[Client, str]:
    uscc = new_uscc()
    return platform.enterprise(kind, 200 + n, uscc=uscc), uscc


def _rows(rng: random.Random, project_id: str, tiers: list[tuple[int, list[Link], float]], count: int,
          names: list[str]) -> list[tuple[tuple[Any, ...], tuple[Any, ...]]]:
    now = datetime.now(UTC)
    statuses, weights = [s for s, _ in STATUSES], [w for _, w in STATUSES]
    rows = []
    for tier, links, share in tiers:
        for _ in range(round(count * share)):
            link = rng.choice(links)
            worker_id, person = str(uuid.uuid4()), name(rng)
            names.append(person)
            status = rng.choices(statuses, weights)[0]
            asked = now - timedelta(minutes=rng.randrange(1, 60 * 24 * 90))
            decided = asked + timedelta(minutes=rng.randrange(1, 600)) if status != "requested" else None
            entered = decided if status in ("accepted", "exited") else None
            worker = (worker_id, link.employer_id, str(uuid.uuid4()), person, rng.choice(TRADES), None,
                      "site_staff" if tier == 0 else "construction", "verified", "active", False, 1, asked, now)
            assignment = (str(uuid.uuid4()), project_id, link.contract_id, worker_id, link.employer_id, None, status,
                          asked, "bench", decided, "bench" if decided else None, entered,
                          "压测：资料不全" if status == "rejected" else None,
                          decided + timedelta(days=1) if status == "exited" and decided else None,
                          "employment_ended" if status == "exited" else None, 2 if decided else 1)
            rows.append((worker, assignment))
    return rows


def _copy(conn: psycopg.Connection[Any], rows: list[tuple[tuple[Any, ...], tuple[Any, ...]]]) -> None:
    with conn.cursor() as cursor:
        with cursor.copy(f"COPY workers ({', '.join(WORKER_COLUMNS)}) FROM STDIN") as copy:
            for worker, _ in rows:
                copy.write_row(worker)
        with cursor.copy(f"COPY assignments ({', '.join(ASSIGNMENT_COLUMNS)}) FROM STDIN") as copy:
            for _, assignment in rows:
                copy.write_row(assignment)
