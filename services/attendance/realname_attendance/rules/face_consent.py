"""The worker's separate consent to the processing of their face (PIPL art. 29): how it may be given, and when."""

from __future__ import annotations

from datetime import date

# How the consent was given, with the words a clerk picks from (zh, en). Art. 29 asks for a separate consent, and
# art. 14 a consent given knowingly: each of these leaves a trace the employer keeps.
CONSENT_METHODS: dict[str, tuple[str, str]] = {
    "signed_form": ("本人签字的人脸信息处理同意书", "A consent form signed by the worker"),
    "electronic": ("本人电子签署（实名认证后在线确认）", "Signed electronically by the worker (after identity check)"),
    "recorded_statement": ("本人口头同意并录音录像", "Stated orally by the worker, recorded on video"),
}


def consent_date_problem(given_on: date, today: date) -> str | None:
    """A consent cannot be recorded for a day still to come (it is a fact, not a plan)."""
    return "consent_in_future" if given_on > today else None
