"""The vocabulary of access: roles carried in tokens and the project functions that can be delegated."""

from __future__ import annotations

# Enterprise roles, one per kind of enterprise (an enterprise logged in with its certificate, R31).
LABOUR = "labour"
SPECIALTY = "specialty"
GENERAL_CONTRACTOR = "general_contractor"
ENTERPRISE_ROLES = frozenset({LABOUR, SPECIALTY, GENERAL_CONTRACTOR})
USING_ENTERPRISE_ROLES = frozenset({SPECIALTY, GENERAL_CONTRACTOR})  # they confirm entry (R19)
EMPLOYERS = (LABOUR, GENERAL_CONTRACTOR)  # they hold labour contracts; a GC employs its own site staff (R13)

STAFF = "staff"                     # an account an enterprise created for one of its people
PROJECT_MANAGER = "project_manager"  # a staff account holding a project's functions (R32)
REGULATOR = "regulator"             # reads everything, retrieves history
ADMIN = "admin"                     # the platform's operators
SERVICE = "service"                 # one of our own processes calling another (the gateway, a job)

# Functions on one project that a project manager holds and may delegate to project staff (R32).
CONFIRM_ENTRY = "confirm_entry"
VIEW_WORKFORCE = "view_workforce"
EXPORT = "export"
ASSIGN_WORKERS = "assign_workers"
MANAGE_TEAMS = "manage_teams"
MANAGE_GATES = "manage_gates"  # register gates and site bridges, upload faces, resync (R23, R26)
CORRECT_ATTENDANCE = "correct_attendance"  # record corrections (补卡) to the attendance ledger (R28)
PROJECT_FUNCTIONS = frozenset({CONFIRM_ENTRY, VIEW_WORKFORCE, EXPORT, ASSIGN_WORKERS, MANAGE_TEAMS, MANAGE_GATES,
                               CORRECT_ATTENDANCE})
