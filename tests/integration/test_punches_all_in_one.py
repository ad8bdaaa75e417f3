"""All-in-one mode keeps punches the same way on SQLite (R27): the batch judged and inserted once, a batch sent
again kept once, the valid punches' days marked for the ledger; a forged punch alone refused."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

from realname_attendance.models import Admission, Gate, LedgerDirtyDay, Project, Punch, Worker
from realname_codes.gate_protocol import encode
from realname_kit.bus.processing import Delivery, MessageProcessor
from realname_kit.bus.topology import Topology
from realname_kit.db import Database
from realname_kit.migrate import upgrade
from realname_kit.runtime import processors_for
from realname_kit.service import load_spec
from realname_kit.settings import Settings
from tests.support.punch_site import CHINA, punch


def punches_processor(tmp_path: Path) -> tuple[Database, MessageProcessor]:
    settings = Settings.from_env({"REALNAME_DATA_DIR": str(tmp_path)})
    spec = load_spec("attendance")
    upgrade(spec, settings.database_url_for("attendance"))
    db = Database(settings.database_url_for("attendance"))
    processors = {q.purpose: p for q, p in processors_for(spec, db, Topology(""), settings)}
    return db, processors["punches"]


def test_a_batch_is_judged_and_kept_once_on_sqlite(tmp_path: Path) -> None:
    db, processor = punches_processor(tmp_path)
    at = datetime.now(CHINA).replace(microsecond=0) - timedelta(hours=1)
    with db.transaction() as session:
        session.add(Project(id="p1", general_contractor_id="gc", name="项目"))
        session.add_all([Gate(id="g1", project_id="p1", kind="native", serial="SN1", direction="in", name="东门",
                              account="gate-sn1", created_by="test"),
                         Gate(id="g2", project_id="p1", kind="native", serial="SN2", direction="out", name="西门",
                              account="gate-sn2", created_by="test")])
        admitted = Worker(worker_id="w1")
        session.add_all([admitted, Admission(assignment_id="a1", project_id="p1", worker_id="w1", employer_id="e1",
                                             status="accepted", entry_at=at - timedelta(days=1))])
        session.flush()
        key = str(admitted.key)
    batch = [punch("SN1", key, at + timedelta(seconds=n), direction=None) for n in range(5)] + [
        punch("SN1", "424242", at)]
    for _ in range(3):
        outcomes = processor.process([Delivery(encode(p, source="gate-sn1"), sender="gate-sn1") for p in batch])
        assert [o.dead_reason for o in outcomes] == [None] * 6
    forged = processor.process([Delivery(encode(punch("SN2", key, at), source="gate-sn1"), sender="gate-sn1"),
                                Delivery(encode(punch("SN1", key, at - timedelta(minutes=1)), source="gate-sn1"),
                                         sender="gate-sn1")])
    assert [o.dead_reason is None for o in forged] == [False, True]
    with db.transaction() as session:
        rows = session.execute(sa.select(Punch.device, Punch.valid, Punch.reason, Punch.direction)).all()
        dirty = session.execute(sa.select(LedgerDirtyDay.worker_id, LedgerDirtyDay.day)).all()
    db.dispose()
    assert sorted(rows) == sorted([("SN1", True, None, "in")] * 6 + [("SN1", False, "unknown_worker", "in")])
    assert dirty == [("w1", at.date())]
