"""A platform command as the device commands that carry it out, in order (or, when it cannot be sent, its failure)."""

from __future__ import annotations

from realname_codes.gate_protocol import BAD_PARAMETERS, DIGEST, ENROL, FAILED, NOT_SUPPORTED, REVOKE, Ack, Command
from realname_edge.gates.zkteco import lines

MAX_PIN_LENGTH = 32


def steps_for(command: Command, timezone_h: float) -> list[str] | Ack:
    """enrol: the person (add-or-edit), then the face photo; revoke: delete the person (face with it); digest:
    query the people, then the face photos (the device uploads both to ``/cdata`` before returning the queries);
    set_time: not_supported, PUSH has no command for it."""
    key = command.worker_key or ""
    if command.op in (ENROL, REVOKE) and not (key.isdigit() and len(key) <= MAX_PIN_LENGTH):
        return failed(command, BAD_PARAMETERS, "a ZKTeco PIN is decimal digits, at most 32")
    if command.op == ENROL:
        person = lines.userinfo_command(key, command.name or "", command.valid_from, command.valid_until, timezone_h)
        return [person] + ([lines.biophoto_command(key, command.face_jpeg)] if command.face_jpeg else [])
    if command.op == REVOKE:
        return [lines.delete_command(key)]
    if command.op == DIGEST:
        return [lines.QUERY_PEOPLE, lines.QUERY_FACES]
    return failed(command, NOT_SUPPORTED, "PUSH has no command to set the clock: the terminal takes the time from "
                  "the HTTP Date of the bridge's answers, or from its menu")


def failed(command: Command, reason: str, detail: str) -> Ack:
    return Ack(command.command_id, command.device, command.op, FAILED, command.sequence, command.worker_key, reason,
               detail=detail)
