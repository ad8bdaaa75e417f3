"""The identity service's figures on /metrics: reads waiting for the authority (R3)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from realname_identity.models import CardRead
from realname_kit.gauges import Gauge


def pending_reads(session: Session) -> float:
    return float(session.scalar(select(func.count()).select_from(CardRead).where(CardRead.status == "pending")) or 0)


PENDING_READS = Gauge("realname_identity_pending_reads",
                      "Card reads waiting for the identity authority (status pending, R3)", pending_reads)
