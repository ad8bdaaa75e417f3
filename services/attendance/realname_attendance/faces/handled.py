"""The worker whose face a caller may handle (``access.may_handle_face``): anyone else's is not found (404)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from realname_attendance.access import may_handle_face
from realname_attendance.models import Worker
from realname_kit.auth import Caller
from realname_kit.problems import Problem


def handled_worker(session: Session, caller: Caller, worker_id: str, *, lock: bool = False) -> Worker:
    """The worker, when ``caller`` may handle their face; ``lock``: their row, so that uploads, removals and the
    retention chore of one worker take turns."""
    query = select(Worker).where(Worker.worker_id == worker_id)
    worker = session.scalars(query.with_for_update() if lock else query).first()
    if worker is None or not may_handle_face(session, caller, worker):
        raise Problem(404, "worker_not_found", "No worker of yours has this id",
                      "Take the id from the worker's registration; a worker registered a moment ago is known here "
                      "within seconds. A general contractor handles the faces of workers admitted to its project "
                      "when it holds manage_gates there.", worker_id=worker_id,
                      message_zh="找不到贵单位可处理人脸的这名工人：请核对工人编号；刚登记的工人需几秒后才能查到。"
                                 "总包单位须在该工人已进场的项目上具有闸机管理职能。")
    return worker
