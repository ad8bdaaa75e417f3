"""Registry rules as plain functions, no I/O."""

from __future__ import annotations

import enum


class EnterpriseKind(enum.StrEnum):
    LABOUR = "labour"
    SPECIALTY = "specialty"
    GENERAL_CONTRACTOR = "general_contractor"
