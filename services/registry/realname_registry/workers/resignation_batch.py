"""Batch resignation (R25): every item on its own, so one refusal does not hold back the rest."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from realname_kit.auth import Caller
from realname_kit.db import Database
from realname_kit.problems import Problem
from realname_registry.workers.access import employer_of
from realname_registry.workers.resignation import resign


def resign_batch(db: Database, caller: Caller, items: Sequence[dict[str, Any]], today: date) -> dict[str, Any]:
    employer_of(caller)
    seen: set[str] = set()
    results = []
    for item in items:
        if item["worker_id"] in seen:
            results.append(_refused(item, Problem(422, "duplicate_item", "This worker is twice in the batch",
                                                  message_zh="该工人在本批中出现了两次：请删去重复的一条。")))
            continue
        seen.add(item["worker_id"])
        try:
            with db.transaction() as session:
                done = resign(session, caller, item["worker_id"], item, today)
                results.append({"worker_id": item["worker_id"], "outcome": "resigned",
                                "ended_on": done.employment.ended_on, "team_needs_leader": done.team_needs_leader})
        except Problem as problem:
            results.append(_refused(item, problem))
    resigned = sum(1 for r in results if r["outcome"] == "resigned")
    return {"resigned": resigned, "refused": len(results) - resigned, "results": results}


def _refused(item: dict[str, Any], problem: Problem) -> dict[str, Any]:
    return {"worker_id": item["worker_id"], "outcome": "refused", "reason": problem.reason,
            "detail": problem.detail or problem.title}
