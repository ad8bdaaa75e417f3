"""What the assignment database must show after a load (R19, R20): every worker once on a project, and every
acceptance a client was answered there, with the entry time it was answered."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import text

from bench.assignment_calls import LoadTally
from bench.registry_platform import BenchPlatform

LIVE_TWICE = ("SELECT project_id, worker_id, count(*) FROM assignments WHERE status IN ('requested', 'accepted') "
              "AND project_id = ANY(:projects) GROUP BY 1, 2 HAVING count(*) > 1")
ACCEPTED_TWICE = ("SELECT project_id, worker_id, count(*) FROM assignments WHERE entry_at IS NOT NULL "
                  "AND project_id = ANY(:projects) GROUP BY 1, 2 HAVING count(*) > 1")
BY_STATUS = "SELECT status, count(*) FROM assignments WHERE project_id = ANY(:projects) GROUP BY 1"
ACCEPTED = "SELECT id, entry_at FROM assignments WHERE status = 'accepted' AND project_id = ANY(:projects)"


def database_checks(platform: BenchPlatform, projects: list[str], tally: LoadTally) -> dict[str, Any]:
    with platform.stack.db("assignment").engine.connect() as conn:
        live_twice = conn.execute(text(LIVE_TWICE), {"projects": projects}).all()
        accepted_twice = conn.execute(text(ACCEPTED_TWICE), {"projects": projects}).all()
        accepted = {str(i): when for i, when in conn.execute(text(ACCEPTED), {"projects": projects})}
        by_status: dict[str, int] = dict(conn.execute(text(BY_STATUS), {"projects": projects}).tuples().all())
    answered = tally.entries
    missing = [i for i in answered if i not in accepted]  # answered accepted, not accepted in the database
    moved = [i for i, when in answered.items() if i in accepted and datetime.fromisoformat(when) != accepted[i]]
    return {"live_twice": len(live_twice), "accepted_twice": len(accepted_twice),
            "assignments_by_status": {str(k): int(v) for k, v in by_status.items()},
            "accepted_in_database": len(accepted), "acceptances_answered": len(answered),
            "answered_but_not_accepted": len(missing), "entry_time_differs_from_answer": len(moved),
            "answers_disagreeing_on_entry_time": tally.entry_mismatches,
            "replays": tally.outcomes["replays"], "replays_identical": tally.outcomes["replays_identical"],
            "clean": not (live_twice or accepted_twice or missing or moved or tally.entry_mismatches
                          or tally.outcomes["replays_different"])}
