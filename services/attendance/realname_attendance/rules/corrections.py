"""What a correction (补卡) to the attendance ledger must be (R28): a passage on the day it names, not in the future,
of a worker admitted to the project at that moment (R23, R27), with its reason and its evidence.

Each refusal: a reason code, a 422, and what to do in English and Chinese (``CorrectionRefused``).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from realname_kit.timeutil import CHINA

MISSING_IN, MISSING_OUT, OTHER = "missing_in", "missing_out", "other"
KINDS = {MISSING_IN: ("补进场卡", "a missing in"), MISSING_OUT: ("补出场卡", "a missing out"),
         OTHER: ("其他更正", "another correction")}
DIRECTION_OF_KIND = {MISSING_IN: "in", MISSING_OUT: "out"}
EVIDENCE_MAX_BYTES = 5 * 1024 * 1024
EVIDENCE_TYPES = {b"%PDF-": "application/pdf", b"\xff\xd8\xff": "image/jpeg", b"\x89PNG\r\n\x1a\n": "image/png"}
CLOCK_SLACK = timedelta(minutes=5)


class CorrectionRefused(Exception):
    def __init__(self, status: int, reason: str, message: str, message_zh: str, field: str) -> None:
        super().__init__(message)
        self.status, self.reason, self.message, self.message_zh, self.field = status, reason, message, message_zh, field


def direction_of(kind: str, direction: str | None) -> str:
    """The passage's direction: the kind's own, or the one given for ``other``."""
    wanted = DIRECTION_OF_KIND.get(kind)
    if wanted is not None and direction not in (None, wanted):
        raise CorrectionRefused(422, "correction_direction_mismatch", f"A {kind} correction is an {wanted} passage",
                                f"“{KINDS[kind][0]}”只能是{'进场' if wanted == 'in' else '出场'}：请改正方向或类型。",
                                "direction")
    if wanted is None and direction is None:
        raise CorrectionRefused(422, "correction_direction_required", "Say which way the passage went (in or out)",
                                "“其他更正”须注明方向（进场 in 或出场 out）。", "direction")
    return wanted or str(direction)


def check_moment(day: date, at: datetime, now: datetime) -> None:
    """``at`` is on ``day`` in China time (the sites' calendar) and not in the future."""
    if at.astimezone(CHINA).date() != day:
        raise CorrectionRefused(422, "correction_time_off_day", "The time is not on the day corrected",
                                "补卡时间不在所更正的日期内：请核对日期和时间（按北京时间）。", "at")
    if at > now + CLOCK_SLACK:
        raise CorrectionRefused(422, "correction_in_future", "A correction cannot be for a moment still to come",
                                "补卡时间不能晚于现在：请核对时间。", "at")


def evidence_type(content: bytes) -> str:
    """The evidence file's media type, read from its first bytes: PDF, JPEG or PNG, at most 5 MB."""
    if len(content) > EVIDENCE_MAX_BYTES:
        raise CorrectionRefused(413, "evidence_too_large", "The evidence file is over 5 MB",
                                "证明材料文件超过 5 MB：请压缩或分页扫描后重新上传。", "evidence")
    for magic, media_type in EVIDENCE_TYPES.items():
        if content.startswith(magic):
            return media_type
    raise CorrectionRefused(422, "evidence_not_pdf_jpeg_or_png", "The evidence must be a PDF, JPEG or PNG file",
                            "证明材料须为 PDF、JPEG 或 PNG 文件：请转换格式后重新上传。", "evidence")


def require_evidence(has_file: bool, reference: str | None) -> None:
    if not has_file and not (reference or "").strip():
        raise CorrectionRefused(422, "evidence_required", "A correction needs its evidence",
                                "补卡须附证明材料：请上传文件（PDF、JPEG、PNG，5 MB 以内），或注明纸质材料的存放位置。",
                                "evidence")


def require_reason(reason: str) -> None:
    if not reason.strip():
        raise CorrectionRefused(422, "correction_reason_required", "A correction needs its reason",
                                "补卡须写明原因：请填写原因后重新提交。", "reason")
