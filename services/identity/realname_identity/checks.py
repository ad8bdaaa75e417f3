"""What a card read is checked for before the authority is asked (R2): the number, the validity, the text.

The card's fields are checked against each other with the same rules the registry applies to a typed-in
identity (``realname_codes.identity_card``). The outcome is one rejection reason a person can act on:

- ``number_invalid``: the ID number fails GB 11643 (check character, region, birth date);
- ``card_expired``: the card's validity ended before today;
- ``sex_mismatch``, ``birth_date_mismatch``: the card's sex or birth date differs from what its number says;
- ``validity_impossible``: a validity period no card has, or none for the holder's age at issue;
- ``unreadable``: a name, date or text that no card carries: what a damaged card, or a misread, gives.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from realname_codes.findings import Finding
from realname_codes.identity_card import check_identity

_TEXT_LIMITS = {"address": 200, "issuing_authority": 100}


@dataclass(frozen=True, slots=True)
class Rejection:
    reason: str
    message: str
    message_zh: str
    detail: str = ""  # the finding that decided it, for the person comparing the card

    def to_dict(self) -> dict[str, str]:
        return {"reason": self.reason, "message": self.message, "message_zh": self.message_zh,
                "detail": self.detail}


NUMBER_INVALID = ("number_invalid",
                  "The ID number is not a valid resident ID number. Compare it with the card; if the card shows "
                  "the same number, the card is not genuine.",
                  "身份证号码无效。请对照身份证核对；如证件上的号码与此相同，该证件不是真实有效的证件。")
CARD_EXPIRED = ("card_expired",
                "The card has expired. Ask the worker for their current card, or to renew it, and read it again.",
                "身份证已过期。请工人出示现行有效的身份证（或换领新证）后重新读卡。")
SEX_MISMATCH = ("sex_mismatch",
                "The sex on the card differs from the one its ID number gives (the 17th digit: odd for men, even for "
                "women). Read the card again; if it still differs, the card is not genuine: the worker should have "
                "it checked at the police station (派出所).",
                "身份证上的性别与号码第17位（单数为男、双数为女）不符。请重新读卡；仍不符的，证件可能不是真实证件，"
                "请工人到派出所核实。")
BIRTH_DATE_MISMATCH = ("birth_date_mismatch",
                       "The birth date on the card differs from the one its ID number gives (digits 7–14). Read the "
                       "card again; if it still differs, the card is not genuine: the worker should have it checked "
                       "at the police station (派出所).",
                       "身份证上的出生日期与号码第7至14位不符。请重新读卡；仍不符的，证件可能不是真实证件，"
                       "请工人到派出所核实。")
VALIDITY_IMPOSSIBLE = ("validity_impossible",
                       "The card's validity period is not one a card is issued with at the holder's age (5 years "
                       "under 16, 10 from 16 to 25, 20 from 26 to 45, long-term from 46). Read the card again; if it "
                       "still shows this period, the card is not genuine.",
                       "身份证有效期与签发时持证人的年龄不符（16周岁以下5年，16至25周岁10年，26至45周岁20年，"
                       "46周岁以上长期）。请重新读卡；仍不符的，证件可能不是真实证件。")
UNREADABLE = ("unreadable",
              "The card's data does not hold together; it may be damaged or misread. Read it again, holding it "
              "still; if it keeps failing, the worker needs a new card.",
              "身份证信息前后矛盾，可能证件损坏或读取出错。请将证件放稳后重新读卡；如仍失败，需由本人补办身份证。")


REJECTIONS = (NUMBER_INVALID, CARD_EXPIRED, SEX_MISMATCH, BIRTH_DATE_MISMATCH, VALIDITY_IMPOSSIBLE, UNREADABLE)
# Which rejection a finding of the identity's checks is, in the order they are reported (the rest: unreadable).
_BY_FINDING: tuple[tuple[tuple[str, str, str], Callable[[Finding], bool]], ...] = (
    (NUMBER_INVALID, lambda f: f.field == "identity.id_number"),
    (CARD_EXPIRED, lambda f: f.reason == "card_expired"),
    (SEX_MISMATCH, lambda f: f.reason == "sex_mismatch"),
    (BIRTH_DATE_MISMATCH, lambda f: f.reason == "birth_date_mismatch"),
    (VALIDITY_IMPOSSIBLE, lambda f: f.reason in ("validity_impossible", "card_validity_invalid")
     and f.field == "identity.valid_to"),
)


def check_card(card: Mapping[str, Any], today: date) -> Rejection | None:
    """None when the read may go to the authority; otherwise the first reason, in the order above."""
    findings = check_identity(card, today) + _text_findings(card)
    if not findings:
        return None
    for code, found in _BY_FINDING:
        hit = [f for f in findings if found(f)]
        if hit:
            return _rejection(code, hit[0])
    return _rejection(UNREADABLE, findings[0])


def _text_findings(card: Mapping[str, Any]) -> list[Finding]:
    found = []
    for name, limit in _TEXT_LIMITS.items():
        value = card.get(name)
        if not isinstance(value, str) or not value.strip() or len(value) > limit or not value.isprintable():
            found.append(Finding(f"identity.{name}", "text_invalid",
                                 f"The card's {name.replace('_', ' ')} is missing or malformed.",
                                 f"身份证上的{'住址' if name == 'address' else '签发机关'}缺失或格式错误。"))
    return found


def _rejection(code: tuple[str, str, str], finding: Finding) -> Rejection:
    return Rejection(code[0], code[1], code[2], f"{finding.field}: {finding.message}")
