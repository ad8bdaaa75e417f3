"""Who takes part in a project (R21): its general contractor, and every enterprise awarded a contract in its chain.

One rule for every service that asks: the assignment service (which owns the chain) answers it over HTTP, the
registry applies it to what it learned from ``contract.*`` and ``project.completed`` events. Taking part is
``active`` while the project and one of the enterprise's contracts on it are; ``completed`` once the project, or
every contract the enterprise held on it, is completed (R24): through it nobody new joins the project then.
"""

from __future__ import annotations

from collections.abc import Collection

ACTIVE, COMPLETED, NONE = "active", "completed", "none"
PARTICIPATION = (ACTIVE, COMPLETED, NONE)


def participation(enterprise_id: str, *, general_contractor_id: str, project_completed: bool,
                  held: Collection[str]) -> str:
    """``active``, ``completed`` or ``none``; ``held``: the statuses of the contracts the enterprise holds there."""
    if enterprise_id != general_contractor_id and not held:
        return NONE
    if project_completed:
        return COMPLETED
    return ACTIVE if enterprise_id == general_contractor_id or ACTIVE in held else COMPLETED
