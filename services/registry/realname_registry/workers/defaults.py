"""The registration form's fixed parts, defaulted from the employer's last registration (R10)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from realname_registry.models import Employment

DEFAULTED = ("worker_type", "contract_end", "wage_type", "daily_wage", "base_wage", "probation_wage",
             "performance_payouts_per_year", "bank_code", "bank_name", "trade_code", "team_id")


def registration_defaults(session: Session, employer_id: str) -> dict[str, Any]:
    last = session.scalars(select(Employment).where(Employment.employer_id == employer_id)
                           .order_by(Employment.seq.desc()).limit(1)).first()
    if last is None:
        return {"from_registration": None, "employment": {}}
    return {"from_registration": last.started_at, "employment": {name: getattr(last, name) for name in DEFAULTED}}
