"""HTTP endpoints of teams (R16, R17), evidence files (R25) and the code tables forms choose from."""

from __future__ import annotations

from typing import Any

from flask import Response
from flask.views import MethodView
from marshmallow import Schema, fields

from realname_codes.banks import BANKS
from realname_codes.ethnicities import ETHNICITIES
from realname_codes.roles import EMPLOYERS, REGULATOR, SERVICE
from realname_codes.trades import HIGH_RISK_TRADES, TRADES
from realname_kit.auth import AUTHENTICATED, allow, current_caller
from realname_kit.openapi import Blueprint
from realname_kit.privacy import request_keyring
from realname_kit.problems import Problem
from realname_kit.web import service_context
from realname_registry.evidence import evidence_content, store_evidence, visible_evidence
from realname_registry.teams import create_team, list_teams, name_leader, team_out, visible_team
from realname_registry.worker_schemas import CodeOut, EvidenceOut, LeaderIn, TeamArgs, TeamIn, TeamOut, TeamPage

teams = Blueprint("teams", __name__, url_prefix="/api/v1/registry",
                  description="Teams, evidence files, and the code tables of the registration form.")


@teams.route("/teams")
class Teams(MethodView):
    @allow(*EMPLOYERS)
    @teams.arguments(TeamIn)
    @teams.response(201, TeamOut)
    @teams.alt_response(409, description="`team_exists`: the name is taken on this project (R16).")
    def post(self, body: dict[str, Any]) -> Any:
        """Create a team of yours on a project; name its leader once its workers are registered."""
        db = service_context().db
        team = create_team(db, current_caller(), body["project_id"], body["name"])
        with db.transaction() as session:
            return team_out(session, team)

    @allow(*EMPLOYERS, REGULATOR, SERVICE)
    @teams.arguments(TeamArgs, location="query")
    @teams.response(200, TeamPage)
    def get(self, args: dict[str, Any]) -> Any:
        """Your teams (a regulator: all), optionally of one project."""
        with service_context().db.transaction() as session:
            rows, next_cursor = list_teams(session, current_caller(), args["project_id"], args["limit"],
                                           args["cursor"])
            return {"items": [team_out(session, t) for t in rows], "next_cursor": next_cursor}


@teams.route("/teams/<team_id>")
class OneTeam(MethodView):
    @allow(*EMPLOYERS, REGULATOR, SERVICE)
    @teams.response(200, TeamOut)
    @teams.alt_response(404, description="No team of yours has this id.")
    def get(self, team_id: str) -> Any:
        """One team, with its leader and how many workers it has; ``needs_leader`` after a leader left."""
        with service_context().db.transaction() as session:
            return team_out(session, visible_team(session, current_caller(), team_id))


@teams.route("/teams/<team_id>/leader")
class TeamLeader(MethodView):
    @allow(*EMPLOYERS)
    @teams.arguments(LeaderIn)
    @teams.response(200, TeamOut)
    @teams.alt_response(422, description="`leader_not_in_team`.")
    def post(self, body: dict[str, Any], team_id: str) -> Any:
        """Name the team's leader: the team and its workers move to them in this one step (R17)."""
        with service_context().db.transaction() as session:
            return team_out(session, name_leader(session, current_caller(), team_id, body["worker_id"]))


class EvidenceUpload(Schema):
    file = fields.Raw(required=True, metadata={"type": "string", "format": "binary"})


class NoFields(Schema):
    """An upload without form fields: any sent is refused."""


@teams.route("/evidence")
class Evidence(MethodView):
    @allow(*EMPLOYERS)
    @teams.arguments(EvidenceUpload, location="files")
    @teams.arguments(NoFields, location="form")
    @teams.response(201, EvidenceOut)
    @teams.alt_response(413, description="`evidence_too_large`: over 5 MB.")
    @teams.alt_response(415, description="`evidence_type`: not a PDF or JPEG.")
    @teams.alt_response(422, description="`evidence_unreadable` (does not parse or decode), `evidence_polyglot` "
                                         "(another file inside or after it), `evidence_active_content`, "
                                         "`evidence_password_protected`, `evidence_too_many_pages` (over 50), "
                                         "`evidence_too_complex` (over 10,000 PDF objects), "
                                         "`evidence_too_many_pixels` (over 40 million).")
    def post(self, files: dict[str, Any], _form: dict[str, Any]) -> Any:
        """Upload the evidence of a late resignation or death (R25): a PDF or JPEG of at most 5 MB, stored encrypted.

        The content is checked, not only its first bytes: a PDF must parse, a JPEG must decode, and neither may
        carry another file."""
        upload = files["file"]
        with service_context().db.transaction() as session:
            return store_evidence(session, request_keyring(), current_caller(), upload.filename or "", upload.read())


@teams.route("/evidence/<evidence_id>")
class OneEvidence(MethodView):
    @allow(*EMPLOYERS, REGULATOR)
    @teams.response(200, description="The file as uploaded.",
                    content_type="application/octet-stream")
    def get(self, evidence_id: str) -> Any:
        """Download an evidence file: its employer's, or any for a regulator."""
        with service_context().db.transaction() as session:
            evidence = visible_evidence(session, current_caller(), evidence_id)
            return Response(evidence_content(request_keyring(), evidence), mimetype=evidence.content_type, headers={
                "Content-Disposition": f"attachment; filename=evidence-{evidence.id}",
                "X-Content-Type-Options": "nosniff"})


@teams.route("/reference/<table>")
class Reference(MethodView):
    @allow(AUTHENTICATED)
    @teams.response(200, CodeOut(many=True))
    @teams.alt_response(404, description="Tables: trades, banks, ethnicities.")
    def get(self, table: str) -> Any:
        """A code table of the form: ``trades`` (R9), ``banks`` (R8, with `other`) or ``ethnicities``."""
        if table == "trades":
            return [{"code": c, "name": n, "high_risk": c in HIGH_RISK_TRADES} for c, n in TRADES.items()]
        if table in ("banks", "ethnicities"):
            return [{"code": c, "name": n} for c, n in (BANKS if table == "banks" else ETHNICITIES).items()]
        raise Problem(404, "table_not_found", "No such code table", "Tables: trades, banks, ethnicities.",
                      message_zh="没有这个代码表：可选的有 trades（工种）、banks（银行）、ethnicities（民族）。")
