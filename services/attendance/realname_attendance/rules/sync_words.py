"""What a person should do about a pair that is not on the gate as wanted: one table, each reason in zh and en."""

from __future__ import annotations

from realname_attendance.rules.whitelist import FACE_MISSING, FAILED, PENDING, SENT, SYNCED
from realname_codes import gate_protocol as gp

WHAT_TO_DO: dict[str, tuple[str, str]] = {
    FACE_MISSING: ("该工人还没有人脸照片：请用人员的人脸照片上传功能上传一张正面免冠照片，上传后自动下发。",
                   "The worker has no face photo yet: upload a frontal photo; it goes to the gates by itself."),
    gp.PHOTO_REJECTED: ("闸机拒收这张照片（见照片问题）：请重新拍摄一张清晰、正面、光线均匀的照片并上传，"
                        "上传后自动重发。",
                        "The gate refused this photo (see photo_problem): take a sharp, frontal, evenly lit photo "
                        "and upload it; it is sent again by itself."),
    gp.DEVICE_FULL: ("闸机人员或人脸库已满：请为工程换用容量更大的闸机，或先让已退场人员完成删除，然后点“重新下发”。",
                     "The gate's person or face store is full: give the site a larger gate, or let leavers be "
                     "removed first, then press resync."),
    gp.DEVICE_OFFLINE: ("闸机离线：请检查闸机电源和网络；恢复在线后自动重发。",
                        "The gate is offline: check its power and network; it is sent again once back."),
    gp.NOT_SUPPORTED: ("该型号闸机不支持此操作：请联系闸机厂商升级固件，然后点“重新下发”。",
                       "This gate model does not support the operation: ask the vendor for a firmware update, "
                       "then press resync."),
    gp.BAD_PARAMETERS: ("闸机认为参数有误（见详情）：请核对工人姓名和有效期，必要时联系平台运维，然后点“重新下发”。",
                        "The gate found the parameters wrong (see detail): check the worker's name and dates, ask "
                        "the platform's operators if needed, then press resync."),
    gp.BUSY: ("闸机忙：稍后自动重试，无需操作。", "The gate was busy: it is tried again shortly by itself."),
    gp.TIMEOUT: ("闸机响应超时：稍后自动重试，无需操作。",
                 "The gate did not answer in time: it is tried again by itself."),
    gp.DEVICE_ERROR: ("闸机读写出错：稍后自动重试；反复出现请联系闸机厂商。",
                      "The gate had a read/write error: it is tried again by itself; if it keeps happening, call "
                      "the vendor."),
    gp.UNKNOWN_DEVICE: ("现场网关不认识这台闸机：请在现场网关的配置中加入该闸机序列号，然后点“重新下发”。",
                        "The site bridge does not know this gate: add its serial number to the bridge's "
                        "configuration, then press resync."),
}

STATE_WORDS: dict[str, tuple[str, str]] = {
    PENDING: ("等待下发。", "Waiting to be sent."),
    SENT: ("已下发，等待闸机确认。", "Sent; waiting for the gate's answer."),
    SYNCED: ("已同步到闸机。", "On the gate as wanted."),
}


def words(state: str, reason: str | None) -> tuple[str, str]:
    """(zh, en) for a pair: what to do about its failure, or where it stands."""
    if state == FAILED:
        return WHAT_TO_DO.get(reason or "", ("同步失败：请点“重新下发”；仍失败请联系平台运维。",
                                             "Sync failed: press resync; if it fails again, call the operators."))
    return STATE_WORDS[state]
