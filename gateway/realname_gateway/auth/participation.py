"""Whether an enterprise takes part in a project (R21): the assignment service, which owns the chain, answers.

An enterprise appoints a project manager only on a project it takes part in, and while it does: its general
contractor, or an enterprise holding an active contract in its chain (``realname_codes.participation``).
"""

from __future__ import annotations

from urllib.parse import quote

from realname_codes.participation import ACTIVE, NONE
from realname_gateway.auth.context import AuthContext
from realname_gateway.auth.registry_client import service_token
from realname_kit.problems import Problem

PARTICIPANTS = "/api/v1/assignment/projects/{project}/participants/{enterprise}"


def require_participation(ctx: AuthContext, project_id: str, enterprise_id: str) -> None:
    """Return when ``enterprise_id`` takes part in the project now; else raise the problem to answer."""
    path = PARTICIPANTS.format(project=quote(project_id, safe=""), enterprise=quote(enterprise_id, safe=""))
    status, body = ctx.upstreams["assignment"].call_json("GET", path, token=service_token(ctx))
    if status == 404 or (status == 200 and body.get("participation") == NONE):
        # An unknown project and another's project answer alike: nothing tells that a project exists.
        raise Problem(403, "not_on_project", "Your enterprise takes no part in this project",
                      "A project manager is appointed on a project where your enterprise is the general contractor "
                      "or holds a contract in its chain; check the project id.", project_id=project_id,
                      message_zh="贵单位未参与该项目（不是其总承包单位，也没有在其合同链中承包）：只能在参与的项目上"
                                 "任命项目经理，请核对项目编号。")
    if status != 200:
        raise Problem(502, "assignment_unavailable", "The assignment service did not say who takes part in the "
                      "project", f"It answered {status}.", project_id=project_id,
                      message_zh="用工服务暂时无法确认项目参建单位：请稍后重试。")
    if body.get("participation") != ACTIVE:
        raise Problem(409, "participation_ended", "Your part in this project has ended",
                      "The project, or every contract your enterprise held in its chain, is completed (R24).",
                      project_id=project_id,
                      message_zh="贵单位在该项目上的参建已结束（项目已竣工，或贵单位的合同均已完结）：不能再任命项目经理"
                                 "。")
