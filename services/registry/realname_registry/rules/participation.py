"""Teams and imports only on a project the employer takes part in, and only while it does (R16, R21, R24).

Who takes part is one rule of the platform (``realname_codes.participation``); here is what the registry answers.
"""

from __future__ import annotations

from collections.abc import Collection

from realname_codes.participation import ACTIVE, NONE, participation
from realname_kit.problems import Problem


def participation_problem(enterprise_id: str, project_id: str, *, general_contractor_id: str,
                          project_completed: bool, held: Collection[str]) -> Problem | None:
    """Why ``enterprise_id`` may not bring people onto the project, or None; ``held``: its contracts' statuses."""
    taking_part = participation(enterprise_id, general_contractor_id=general_contractor_id,
                                project_completed=project_completed, held=held)
    if taking_part == ACTIVE:
        return None
    if taking_part == NONE:
        return Problem(403, "not_on_project", "Your enterprise takes no part in this project",
                       "Teams and imports are made on projects where your enterprise holds a contract: ask the "
                       "general contractor (or the specialty subcontractor) to award you one first. A contract "
                       "awarded a moment ago is known here within seconds.", field="project_id",
                       project_id=project_id,
                       message_zh="贵单位未参与该项目（在该项目上没有承包合同）：请先请总承包单位或专业分包单位向贵单位"
                                  "发包；刚发包的合同需几秒后才能生效。")
    if project_completed:
        return Problem(409, "project_completed", "The project is completed",
                       "Nobody joins a completed project: no new teams or imports on it.", field="project_id",
                       project_id=project_id,
                       message_zh="该项目已竣工：不能再在该项目上建立班组或导入工人。")
    return Problem(409, "contract_completed", "Your contract on this project is completed",
                   "Every contract your enterprise held on this project is completed: no new teams or imports "
                   "on it.", field="project_id", project_id=project_id,
                   message_zh="贵单位在该项目上的合同均已完结：不能再在该项目上建立班组或导入工人。")
