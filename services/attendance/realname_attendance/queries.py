"""Reads of a project's devices: gates with their health, bridges with the unknown devices they saw (R23)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, not_, or_, select
from sqlalchemy.orm import Session

from realname_attendance.models import Bridge, DeviceSighting, Gate
from realname_attendance.rules.health import Heard, is_clock_off, is_online, online_cutoff
from realname_codes.gate_protocol import CLOCK_TOLERANCE_S
from realname_kit.pagination import keyset_page


def gate_view(gate: Gate, now: datetime) -> dict[str, Any]:
    heard = Heard(gate.last_contact_at, gate.reported_online)
    health = {"last_contact_at": gate.last_contact_at, "online": is_online(heard, now),
              "online_since": gate.online_since, "model": gate.model, "firmware": gate.firmware,
              "people": gate.people, "people_capacity": gate.people_capacity, "faces": gate.faces,
              "faces_capacity": gate.faces_capacity, "clock_offset_s": gate.clock_offset_s,
              "clock_off": is_clock_off(gate.clock_offset_s), "problem": gate.problem}
    return {"id": gate.id, "project_id": gate.project_id, "kind": gate.kind, "serial": gate.serial,
            "direction": gate.direction, "name": gate.name, "place": gate.place, "bridge_id": gate.bridge_id,
            "account": gate.account, "enabled": gate.enabled, "created_at": gate.created_at,
            "credentials_issued_at": gate.credentials_issued_at, "health": health}


def bridge_view(bridge: Bridge, now: datetime) -> dict[str, Any]:
    return {"id": bridge.id, "project_id": bridge.project_id, "name": bridge.name, "place": bridge.place,
            "account": bridge.account, "enabled": bridge.enabled, "created_at": bridge.created_at,
            "credentials_issued_at": bridge.credentials_issued_at, "last_contact_at": bridge.last_contact_at,
            "online": is_online(Heard(bridge.last_contact_at, True), now)}


def bridge_detail(session: Session, bridge: Bridge, now: datetime) -> dict[str, Any]:
    """The bridge, and the devices that polled it without being registered behind it (most recent first)."""
    sightings = session.scalars(select(DeviceSighting).where(DeviceSighting.bridge_id == bridge.id)
                                .order_by(DeviceSighting.last_seen_at.desc()).limit(100))
    gates = session.scalar(select(func.count()).select_from(Gate).where(Gate.bridge_id == bridge.id))
    return {**bridge_view(bridge, now), "gates": gates or 0,
            "unknown_devices": [{"serial": s.serial, "first_seen_at": s.first_seen_at, "last_seen_at": s.last_seen_at,
                                 "times": s.times} for s in sightings]}


def gate_page(session: Session, project_id: str, now: datetime, args: dict[str, Any]) -> dict[str, Any]:
    query = _filtered(select(Gate).where(Gate.project_id == project_id), now, args)
    gates, next_cursor = keyset_page(session, query, Gate.id, args["limit"], args["cursor"])
    return {"items": [gate_view(g, now) for g in gates], "next_cursor": next_cursor}


def bridge_page(session: Session, project_id: str, now: datetime, args: dict[str, Any]) -> dict[str, Any]:
    query = select(Bridge).where(Bridge.project_id == project_id)
    bridges, next_cursor = keyset_page(session, query, Bridge.id, args["limit"], args["cursor"])
    return {"items": [bridge_view(b, now) for b in bridges], "next_cursor": next_cursor}


def _filtered(query: Select[Any], now: datetime, args: dict[str, Any]) -> Select[Any]:
    if args.get("kind") is not None:
        query = query.where(Gate.kind == args["kind"])
    if args.get("enabled") is not None:
        query = query.where(Gate.enabled.is_(args["enabled"]))
    if args.get("online") is not None:  # the rule of rules.health.is_online, in SQL
        online = (Gate.last_contact_at >= online_cutoff(now)) & or_(Gate.reported_online.is_(None),
                                                                    Gate.reported_online.is_(True))
        query = query.where(online if args["online"] else not_(online) | Gate.last_contact_at.is_(None))
    if args.get("clock_off") is not None:
        off = func.abs(Gate.clock_offset_s) > CLOCK_TOLERANCE_S
        query = query.where(off if args["clock_off"] else not_(off) | Gate.clock_offset_s.is_(None))
    return query
