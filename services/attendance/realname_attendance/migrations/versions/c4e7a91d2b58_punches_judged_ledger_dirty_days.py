"""punches judged at intake: received_punches moved into punches and dropped; ledger_dirty_days

Revision ID: c4e7a91d2b58
Revises: 8b2d4f6a1c35
Create Date: 2026-12-05 18:00:00.000000

Each row of ``received_punches`` (kept unjudged) becomes a row of ``punches``, judged now by the same rule as at
intake (R27) against the gates, workers and admissions known at migration time, with the time it was received
then. Its device is its gate's serial (every such row named a registered gate). Its valid days are marked in
``ledger_dirty_days``. The downgrade brings back an empty ``received_punches``: punches are not moved back.
"""

from collections.abc import Sequence
from datetime import UTC, timedelta, timezone
from typing import Any

import sqlalchemy as sa
from alembic import op

import realname_kit.types
from realname_attendance.punch_partitions import ensure_partitions
from realname_attendance.rules.punch_judgement import GateKnown, Stay, is_late, judge, local_day

revision: str = 'c4e7a91d2b58'
down_revision: str | None = '8b2d4f6a1c35'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TIME = realname_kit.types.UtcDateTime()
received = sa.table('received_punches', sa.column('gate_id', sa.String()), sa.column('event_key', sa.String()),
                    sa.column('worker_key', sa.String()), sa.column('at', _TIME),
                    sa.column('offset_minutes', sa.Integer()), sa.column('direction', sa.String()),
                    sa.column('verified_by', sa.String()), sa.column('sender', sa.String()),
                    sa.column('received_at', _TIME))
gates = sa.table('gates', sa.column('id', sa.String()), sa.column('project_id', sa.String()),
                 sa.column('serial', sa.String()), sa.column('direction', sa.String()),
                 sa.column('enabled', sa.Boolean()), sa.column('bridge_id', sa.String()))
bridges = sa.table('bridges', sa.column('id', sa.String()), sa.column('enabled', sa.Boolean()))
workers = sa.table('workers', sa.column('key', sa.BigInteger()), sa.column('worker_id', sa.String()))
admissions = sa.table('admissions', sa.column('worker_id', sa.String()), sa.column('project_id', sa.String()),
                      sa.column('status', sa.String()), sa.column('entry_at', _TIME),
                      sa.column('exited_at', _TIME))
punches = sa.table('punches', *(sa.column(name) for name in (
    'device', 'event_key', 'day', 'offset_minutes', 'gate_id', 'project_id', 'worker_key', 'worker_id',
    'direction', 'verified_by', 'valid', 'reason', 'late', 'has_photo', 'sender')),
    sa.column('at', _TIME), sa.column('received_at', _TIME))


def upgrade() -> None:
    dirty = op.create_table(
        'ledger_dirty_days',
        sa.Column('worker_id', sa.String(length=36), nullable=False),
        sa.Column('project_id', sa.String(length=36), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('marked_at', realname_kit.types.UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('worker_id', 'project_id', 'day'),
    )
    assert dirty is not None
    _move_received_punches(op.get_bind(), dirty)
    op.drop_index('ix_received_punches_worker_key', table_name='received_punches')
    op.drop_table('received_punches')


def _move_received_punches(conn: sa.Connection, dirty: sa.Table) -> None:
    rows = conn.execute(sa.select(received)).all()
    if not rows:
        return
    known_gates = {g.id: g for g in conn.execute(
        sa.select(gates, bridges.c.enabled.label('bridge_enabled'))
        .outerjoin(bridges, bridges.c.id == gates.c.bridge_id))}
    keyed = {str(w.key): w.worker_id for w in conn.execute(sa.select(workers))}
    stays: dict[tuple[str, str], list[Stay]] = {}
    for a in conn.execute(sa.select(admissions)):
        stays.setdefault((a.worker_id, a.project_id), []).append(Stay(a.entry_at, a.exited_at, a.status == 'exited'))
    moved = [_judged(row, known_gates[row.gate_id], keyed.get(row.worker_key), stays) for row in rows]
    months = [m['at'].astimezone(UTC).date() for m in moved]
    ensure_partitions(conn, min(months), max(months))
    conn.execute(punches.insert(), moved)
    days = {(m['worker_id'], m['project_id'], m['day']) for m in moved if m['valid']}
    if days:
        now = max(m['received_at'] for m in moved)
        conn.execute(dirty.insert(), [{'worker_id': w, 'project_id': p, 'day': d, 'marked_at': now}
                                      for w, p, d in sorted(days)])


def _judged(row: Any, gate: Any, worker_id: str | None, stays: dict[tuple[str, str], list[Stay]]) -> dict[str, Any]:
    at = row.at.astimezone(timezone(timedelta(minutes=row.offset_minutes)))
    known = GateKnown(gate.id, gate.project_id, gate.enabled and gate.bridge_enabled is not False, gate.direction)
    judgement = judge(known, worker_id is not None, stays.get((worker_id or '', gate.project_id), []), at=at,
                      received_at=row.received_at.astimezone(UTC), direction=row.direction)
    return {'device': gate.serial, 'event_key': row.event_key, 'at': at, 'day': local_day(at),
            'offset_minutes': row.offset_minutes, 'gate_id': gate.id, 'project_id': gate.project_id,
            'worker_key': row.worker_key, 'worker_id': worker_id, 'direction': judgement.direction,
            'verified_by': row.verified_by, 'valid': judgement.valid, 'reason': judgement.reason,
            'late': is_late(at, row.received_at), 'has_photo': False, 'sender': row.sender,
            'received_at': row.received_at}


def downgrade() -> None:
    op.create_table(
        'received_punches',
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
        sa.Column('gate_id', sa.String(length=36), nullable=False),
        sa.Column('event_key', sa.String(length=200), nullable=False),
        sa.Column('worker_key', sa.String(length=32), nullable=False),
        sa.Column('at', realname_kit.types.UtcDateTime(), nullable=False),
        sa.Column('offset_minutes', sa.Integer(), nullable=False),
        sa.Column('direction', sa.String(length=3), nullable=True),
        sa.Column('verified_by', sa.String(length=20), nullable=False),
        sa.Column('sender', sa.String(length=100), nullable=False),
        sa.Column('received_at', realname_kit.types.UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['gate_id'], ['gates.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('gate_id', 'event_key', name='uq_received_punches_gate_event'),
    )
    op.create_index('ix_received_punches_worker_key', 'received_punches', ['worker_key'])
    op.drop_table('ledger_dirty_days')
