"""What the identity authority says about an ID card, or why it said nothing, with a reason a person can act on (R2)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Literal

from realname_kit.timeutil import CHINA

UnavailableReason = Literal["timeout", "server_error", "unreachable", "bad_response"]


class Verdict(StrEnum):
    MATCH = "match"
    MISMATCH = "mismatch"  # the name and the number do not belong together
    REPORTED_FAKE = "reported_fake"  # forged, or reported lost or stolen
    EXPIRED = "expired"  # past its validity by the authority's records (or replaced by a newer card)
    NOT_FOUND = "not_found"


@dataclass(frozen=True, slots=True)
class Explanation:
    """``code`` is a stable snake_case reason code; the messages say what happened and what to do."""

    code: str
    message: str
    message_zh: str


_VERDICTS = {
    Verdict.MATCH: Explanation(
        "verified", "The identity authority confirmed that the name and the ID number belong together.",
        "身份核验通过：姓名与身份证号码一致。"),
    Verdict.MISMATCH: Explanation(
        "mismatch",
        "The identity authority says this name and this ID number do not belong together. Check the name against "
        "the card (rare characters, the middle dot in ethnic names); if it is right, the card is not the worker's own.",
        "身份核验未通过：姓名与身份证号码不一致。请对照身份证核对姓名（包括生僻字和少数民族姓名中的间隔点）；"
        "如姓名无误，该证件不是工人本人的。"),
    Verdict.REPORTED_FAKE: Explanation(
        "reported_fake",
        "The identity authority has this card on record as forged or reported lost or stolen. Do not register the "
        "worker with it: ask for their own valid card.",
        "核验机构登记该身份证为伪造或已挂失（丢失、被盗）证件。请勿用该证登记，请工人出示本人有效身份证。"),
    Verdict.EXPIRED: Explanation(
        "card_expired",
        "The identity authority has this card as no longer valid (expired, or replaced by a newer card). "
        "Ask the worker for their current card and read it.",
        "核验机构记录该身份证已失效（已过期或已换领新证）。请工人出示现行有效的身份证并重新读卡。"),
    Verdict.NOT_FOUND: Explanation(
        "not_found",
        "The identity authority has no record of this ID number. Compare the number with the card digit by digit; "
        "a card whose number is unknown may be forged.",
        "核验机构查无此身份证号码。请对照身份证逐位核对号码；号码查无记录的证件可能是伪造的。"),
}

# R3: a read made while the authority cannot answer is kept and verified later; the user need not do anything.
_KEPT = ("The read is kept and verified automatically when it answers; the worker can already be assigned.",
         "本次读卡已保存，核验机构恢复后将自动核验；工人现在即可分配到项目。")

_UNAVAILABLE: dict[UnavailableReason, tuple[str, str]] = {
    "timeout": ("The identity authority did not answer in time.", "身份核验机构未在规定时间内答复。"),
    "server_error": ("The identity authority reported an error on its side.", "身份核验机构系统故障。"),
    "unreachable": ("The identity authority cannot be reached over the network.", "无法连接身份核验机构（网络故障）。"),
    "bad_response": ("The identity authority's answer could not be understood.", "无法识别身份核验机构的答复。"),
}


REFUSED = Explanation(
    "authority_refused",
    "The identity authority refused to check this read (it did not accept the name or the card's dates as sent). "
    "Read the card again; if the same read is refused again, type the worker in by hand and report the read id "
    "to the platform's operators.",
    "身份核验机构拒绝核验本次读卡（不接受所报送的姓名或证件有效期）。请重新读卡；如重新读卡仍被拒绝，"
    "请手工录入工人信息，并将读卡编号报告平台运维人员。")


def explain(verdict: Verdict) -> Explanation:
    return _VERDICTS[verdict]


class AuthorityError(Exception):
    """The authority gave no verdict; ``explanation`` says why, for the person waiting on it."""

    def __init__(self, explanation: Explanation, detail: str = "") -> None:
        super().__init__(f"{explanation.message} {detail}".strip())
        self.explanation = explanation
        self.detail = detail  # for the logs: what the adapter saw (status, exception)


class AuthorityClosed(AuthorityError):
    """Weekends, holidays and announced outages (R3): ``reopens_at`` is None when no reopening is announced."""

    def __init__(self, reopens_at: datetime | None) -> None:
        self.reopens_at = reopens_at
        if reopens_at is None:
            when, when_zh = "No reopening time has been announced.", "恢复时间尚未公布。"
        else:
            local = f"{reopens_at.astimezone(CHINA):%Y-%m-%d %H:%M}"
            when, when_zh = f"It reopens at {local} China time.", f"将于北京时间{local}恢复。"
        super().__init__(Explanation(
            "identity_authority_closed",
            f"The identity authority (the city's big-data centre) is closed at weekends, on holidays and during "
            f"outages. {when} {_KEPT[0]}",
            f"身份核验机构（市大数据中心）周末、节假日及停机期间不提供核验，{when_zh}{_KEPT[1]}"))


class AuthorityRefused(AuthorityError):
    """The authority refused the question (a 4xx other than 408/429): asking again gets the same answer.

    A final answer, like a verdict: the read is rejected with ``authority_refused`` rather than retried for ever.
    """

    def __init__(self, status: int, detail: str = "") -> None:
        self.status = status
        super().__init__(REFUSED, detail or f"HTTP {status}")


class AuthorityUnavailable(AuthorityError):
    """The authority should have answered and did not: ``reason`` says how it failed."""

    def __init__(self, reason: UnavailableReason, detail: str = "") -> None:
        self.reason: UnavailableReason = reason
        message, message_zh = _UNAVAILABLE[reason]
        super().__init__(Explanation("identity_authority_unavailable", f"{message} {_KEPT[0]}",
                                     f"{message_zh}{_KEPT[1]}"), detail)
