"""Rules of project registration as plain functions, no I/O (R21: a project is the root of its contract chains)."""

from __future__ import annotations

import string
from datetime import date

from realname_codes.roles import ADMIN, GENERAL_CONTRACTOR, REGULATOR, SERVICE
from realname_kit.auth import Caller
from realname_kit.problems import Problem

ACTIVE = "active"
MAX_REGISTRATION_NUMBER = 40
REGISTRATION_NUMBER_CHARACTERS = frozenset(string.ascii_uppercase + string.digits + "-/")
OPERATORS = frozenset({ADMIN, SERVICE})  # they register a project on a general contractor's behalf
READERS = frozenset({REGULATOR, ADMIN, SERVICE})  # they read every project


def normalise_registration_number(raw: str) -> str:
    """The registration number (报建编号) as stored: without surrounding blanks, upper case."""
    stripped = raw.strip()
    # Upper-casing is ASCII-only on purpose: str.upper() turns look-alikes such as the dotless i (U+0131)
    # and the long s (U+017F) into "I" and "S", which would let two different typed numbers name one project.
    return stripped.upper() if stripped.isascii() else stripped


def registration_number_problem(number: str) -> str | None:
    """Why a normalised registration number is not one, or None when it is."""
    if not number:
        return "the registration number is empty"
    if len(number) > MAX_REGISTRATION_NUMBER:
        return (f"a registration number has at most {MAX_REGISTRATION_NUMBER} characters, "
                f"this one has {len(number)}")
    bad = sorted({c for c in number if c not in REGISTRATION_NUMBER_CHARACTERS})
    if bad:
        shown = " ".join(repr(c) for c in bad[:10])
        return f"only letters, digits, '-' and '/' may appear in a registration number, not {shown}"
    return None


def planned_dates_problem(start: date, completion: date) -> str | None:
    """Why the planned dates cannot both be right, or None (the same day for both is allowed)."""
    if completion < start:
        return f"the planned completion {completion.isoformat()} is before the planned start {start.isoformat()}"
    return None


def general_contractor_for(caller: Caller, given: str | None) -> str:
    """Whose project is registered: a general contractor registers its own, an operator names one."""
    if caller.roles & OPERATORS:
        if not given:
            raise Problem(422, "general_contractor_required", "Name the project's general contractor",
                          "An operator or a service registers a project on behalf of a general contractor: "
                          "give its enterprise id as general_contractor_id.", field="general_contractor_id",
                          message_zh="请指明项目的总承包单位：代为登记项目时须填写其单位编号（general_contractor_id）"
                                     "。")
        return given
    if GENERAL_CONTRACTOR not in caller.roles or caller.enterprise_id is None:
        raise Problem(403, "forbidden", "Only a general contractor registers its projects",
                      message_zh="只有总承包单位才能登记项目。")
    if given is not None and given != caller.enterprise_id:
        raise Problem(403, "not_your_enterprise", "A general contractor registers its own projects only",
                      "Leave general_contractor_id out, or give your own enterprise id.",
                      field="general_contractor_id",
                      message_zh="总承包单位只能登记本单位的项目：请不要填写 general_contractor_id，或填写本单位的编号"
                                 "。")
    return caller.enterprise_id


def may_read(caller: Caller, general_contractor_id: str) -> bool:
    """Who sees a project: its general contractor and that enterprise's accounts, and the readers of all.

    Subcontractors see the projects whose contract chains they take part in: ``projects.takes_part`` (R21).
    """
    return bool(caller.roles & READERS) or caller.acts_for(general_contractor_id)
