"""Why a card read failed (R2): a stable reason code a program can branch on, and what to do, in English and Chinese."""

from __future__ import annotations

from typing import ClassVar


class CardReaderError(Exception):
    """Base of every read failure; ``detail`` says what exactly happened (port, status byte, field)."""

    reason: ClassVar[str] = "card_reader_error"
    advice: ClassVar[str] = "The card could not be read."
    advice_zh: ClassVar[str] = "无法读取身份证。"

    def __init__(self, detail: str = "") -> None:
        self.detail = detail
        super().__init__(self.message)

    @property
    def message(self) -> str:
        return f"{self.advice} ({self.detail})" if self.detail else self.advice

    @property
    def message_zh(self) -> str:
        return f"{self.advice_zh}（{self.detail}）" if self.detail else self.advice_zh


class ReaderNotFound(CardReaderError):
    reason = "reader_not_found"
    advice = "No card reader answers at this port. Check that the reader is plugged in and the port is the right one."
    advice_zh = "在此端口未找到读卡器，请检查读卡器是否已连接、端口是否正确。"


class UnsupportedModel(CardReaderError):
    reason = "unsupported_model"
    advice = ("The device at this port is not a supported certified ID-card reader (神思 SS628, 普天 CP IDMR02), "
              "or its security module is not working.")
    advice_zh = "此端口上的设备不是受支持的公安部认证身份证阅读器（神思SS628、普天CP IDMR02），或其安全模块工作异常。"


class NoCard(CardReaderError):
    reason = "no_card"
    advice = "No ID card was placed on the reader in time. Place the card flat on the reader and try again."
    advice_zh = "在规定时间内未检测到身份证，请将身份证平放在读卡器上后重试。"


class CardUnreadable(CardReaderError):
    """The card answers but its data cannot be read or makes no sense (often a demagnetised or damaged card)."""

    reason = "card_unreadable"
    advice = ("The card could not be read; it may be damaged or demagnetised. Try again, holding the card still; "
              "if it keeps failing the worker needs a new card.")
    advice_zh = "身份证无法读取，可能已损坏或消磁。请将证件放稳后重试；如仍失败，需由本人补办身份证。"

    def __init__(self, detail: str = "", field: str | None = None) -> None:
        self.field = field
        super().__init__(f"{field}: {detail}" if field else detail)


class ReaderDisconnected(CardReaderError):
    reason = "reader_disconnected"
    advice = "The reader was disconnected during the read. Plug it in again and read the card again."
    advice_zh = "读卡过程中读卡器连接中断，请重新连接读卡器后再次读卡。"


class FrameCorrupt(CardReaderError):
    reason = "frame_corrupt"
    advice = ("The reader's answer arrived damaged. Read the card again; if it keeps happening, "
              "try another USB port or cable.")
    advice_zh = "读卡器返回的数据已损坏，请重新读卡；如频繁出现，请更换USB接口或数据线。"


ERRORS: dict[str, type[CardReaderError]] = {
    cls.reason: cls for cls in (ReaderNotFound, UnsupportedModel, NoCard, CardUnreadable, ReaderDisconnected,
                                FrameCorrupt)
}
