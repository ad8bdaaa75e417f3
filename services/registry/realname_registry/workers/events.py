"""The registry's events about workers (published through the outbox): personal numbers only masked (R4).

``worker.registered`` and ``worker.updated`` carry the ID number and the phone MASKED as the registry shows them
(``id_number_masked``, ``phone_masked``) and the identity status, so that the enterprise deciding an entry sees
whom it admits (R19). The fields were added to version 1 of both payloads: consumers ignore what they do not read.
Plain numbers never leave the registry.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from realname_kit.privacy import Keyring, mask_id_number, mask_phone
from realname_registry.models import ID_NUMBER, PHONE, Employment, Team, Worker


def masked_numbers(keyring: Keyring, worker: Worker) -> dict[str, str]:
    return {"id_number_masked": mask_id_number(ID_NUMBER.open(keyring, worker.id_number_enc)),
            "phone_masked": mask_phone(PHONE.open(keyring, worker.phone_enc))}


def worker_registered(keyring: Keyring, worker: Worker, employment: Employment, team: Team | None) -> dict[str, Any]:
    return {"worker_id": worker.id, "employment_id": employment.id, "employer_id": employment.employer_id,
            "name": worker.name, **masked_numbers(keyring, worker), "sex": worker.sex,
            "identity_status": worker.identity_status,
            "category": worker.category, "trade_code": employment.trade_code, "team_id": employment.team_id,
            "project_id": team.project_id if team else None, "worker_type": employment.worker_type,
            "contract_start": employment.contract_start.isoformat(),
            "contract_end": employment.contract_end.isoformat(),
            "registered_at": employment.started_at.isoformat()}


def worker_updated(keyring: Keyring, worker: Worker, fields: Sequence[str],
                   employment: Employment | None = None) -> dict[str, Any]:
    """Every update, whatever changed, says the worker's current name, masked numbers and identity status."""
    data: dict[str, Any] = {"worker_id": worker.id, "fields": list(fields), "version": worker.version,
                            "name": worker.name, **masked_numbers(keyring, worker),
                            "identity_status": worker.identity_status}
    if employment is not None:
        data.update(employment_id=employment.id, employer_id=employment.employer_id, team_id=employment.team_id,
                    trade_code=employment.trade_code, contract_end=employment.contract_end.isoformat())
    return data


def employment_ended(worker: Worker, employment: Employment, *, late: bool,
                     cause: str = "resignation") -> dict[str, Any]:
    """``cause``: resignation or death (R24); assignment exits the worker from their projects either way."""
    assert employment.ended_on is not None
    return {"worker_id": worker.id, "employment_id": employment.id, "employer_id": employment.employer_id,
            "ended_on": employment.ended_on.isoformat(), "cause": cause, "late_entry": late,
            "team_id": employment.team_id}


def worker_died(worker: Worker, employment: Employment | None) -> dict[str, Any]:
    """The person died (R24); ``employment``: the one it ended, if they were employed."""
    assert worker.deceased_on is not None
    return {"worker_id": worker.id, "employment_id": employment.id if employment else None,
            "employer_id": employment.employer_id if employment else None,
            "died_on": worker.deceased_on.isoformat()}


def team_formed(team: Team) -> dict[str, Any]:
    return {"team_id": team.id, "employer_id": team.employer_id, "project_id": team.project_id,
            "name": team.name, "leader_id": team.leader_worker_id, "created_at": team.created_at.isoformat()}


def team_leader_changed(team: Team, previous: str | None, members: int) -> dict[str, Any]:
    return {"team_id": team.id, "employer_id": team.employer_id, "project_id": team.project_id,
            "name": team.name, "previous_leader_id": previous, "leader_id": team.leader_worker_id,
            "members": members}
