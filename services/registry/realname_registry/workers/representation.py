"""How a worker is shown: personal numbers masked (R4), the employment with its team and trade names."""

from __future__ import annotations

from typing import Any

from realname_codes.trades import TRADES
from realname_kit.privacy import Keyring, mask_bank_card, mask_id_number, mask_phone
from realname_registry.models import ID_NUMBER, PHONE, WAGE_CARD, Employment, Team, Worker


def worker_out(keyring: Keyring, worker: Worker, employment: Employment | None,
               team: Team | None = None) -> dict[str, Any]:
    return {
        "id": worker.id, "name": worker.name, "sex": worker.sex, "ethnicity": worker.ethnicity,
        "birth_date": worker.birth_date, "address": worker.address,
        "id_number": mask_id_number(ID_NUMBER.open(keyring, worker.id_number_enc)),
        "phone": mask_phone(PHONE.open(keyring, worker.phone_enc)),
        "issuing_authority": worker.issuing_authority, "card_valid_from": worker.card_valid_from,
        "card_valid_to": worker.card_valid_to, "identity_status": worker.identity_status,
        "identity_reason": worker.identity_reason, "category": worker.category, "site_role": worker.site_role,
        "deceased_on": worker.deceased_on, "version": worker.version, "created_at": worker.created_at,
        "updated_at": worker.updated_at,
        "employment": employment_out(keyring, employment, team) if employment is not None else None,
    }


def employment_out(keyring: Keyring, e: Employment, team: Team | None) -> dict[str, Any]:
    return {
        "id": e.id, "employer_id": e.employer_id, "status": e.status, "worker_type": e.worker_type,
        "contract_number": e.contract_number, "contract_start": e.contract_start, "contract_end": e.contract_end,
        "wage_type": e.wage_type, "daily_wage": e.daily_wage, "base_wage": e.base_wage,
        "probation_wage": e.probation_wage, "performance_payouts_per_year": e.performance_payouts_per_year,
        "bank_code": e.bank_code, "bank_name": e.bank_name,
        "wage_card_number": mask_bank_card(WAGE_CARD.open(keyring, e.wage_card_number_enc)),
        "wage_card_flagged": e.wage_card_flagged, "trade_code": e.trade_code,
        "trade_name": TRADES.get(e.trade_code or ""), "team_id": e.team_id,
        "team_name": team.name if team else None, "project_id": team.project_id if team else None,
        "started_at": e.started_at, "ended_on": e.ended_on, "end_reason": e.end_reason,
        "end_cause": e.end_cause, "evidence_id": e.evidence_id,
    }
