"""Whether a face photo will enrol on the gates, and how it is framed for them (gates.md: vendors' photo rules).

Pure: sizes, boxes and measures in, a verdict or a frame out. The measuring (decoding, detection, luminance,
sharpness) is done by ``realname_attendance.faces.image`` and the detector adapter. The checks run in the order a
clerk can act on: can it be read, is there one face, is it big enough, is it lit, is it sharp.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

# An upload over 10 MB is no phone photo: refused unread (the gates take 100 KB; we re-encode anyway).
MAX_UPLOAD_BYTES = 10 * 1024 * 1024
# A picture's pixel count is read from its header before decoding: a tiny PNG can claim 40,000 x 40,000 pixels
# (a "decompression bomb") and take gigabytes to decode. 40 million pixels is above any phone camera's.
MAX_PIXELS = 40_000_000
FORMATS = ("JPEG", "PNG")  # what the gates and the national platform take (gates.md)
# Uniubi-style terminals refuse a face box under 5 % of the picture (gates.md).
MIN_FACE_SHARE = 0.05
# Mean luminance (0-255) of the face region: under 60 the terminals' models fail on a face in shadow, over 200 the
# skin is washed out (a flash, a window behind). A face in daylight or office light measures 100-180.
MIN_LUMINANCE = 60.0
MAX_LUMINANCE = 200.0
# Sharpness: the variance of the Laplacian of the face region (scaled to SHARPNESS_SIDE pixels, so a large photo is
# not judged sharper), per cent of the region's own variance (so a dim face is not judged blurred). A sharp phone
# photo measures 12-25, a slightly soft one 7-8, a shaken or out-of-focus one under 3 ("not sharp", ZKTeco D01E0003).
MIN_SHARPNESS = 5.0
SHARPNESS_SIDE = 96
# What is sent to the gates: 3:4 portrait, within every vendor's pixel limits (Dahua 150x300-600x1200, the
# others 300x400-600x800), the face half the width (vendors ask 1/3-2/3).
OUTPUT_WIDTH, OUTPUT_HEIGHT = 360, 480
FACE_WIDTH_SHARE = 0.5
FACE_CENTRE_HEIGHT = 0.42  # the face's centre a little above the middle, room for the shoulders
# JPEG size: every terminal takes 100 KB (Dahua; 75 KB on some models), the national platform 50 KB. Quality steps down
# until the photo fits 50 KB, but not below KEEP_QUALITY: past it the artefacts cost the terminals' face models more
# than the national limit is worth, and the photo is kept at the best quality under 100 KB instead. At 360x480 a
# portrait measures 25-40 KB at quality 90, so this fallback is for unusually detailed pictures.
NATIONAL_MAX_BYTES = 50 * 1024
VENDOR_MAX_BYTES = 100 * 1024
KEEP_QUALITY = 70
JPEG_QUALITIES = (90, 85, 80, 75, 70, 65, 60, 55, 50)


@dataclass(frozen=True, slots=True)
class Box:
    x: int
    y: int
    width: int
    height: int

    @property
    def area(self) -> int:
        return self.width * self.height


class PhotoRefused(Exception):
    """Why a photo cannot be used, in words that tell the clerk what to retake."""

    def __init__(self, reason: str, message: str, message_zh: str, *, status: int = 422) -> None:
        super().__init__(reason)
        self.reason, self.message, self.message_zh, self.status = reason, message, message_zh, status


def refuse_upload(size: int) -> None:
    if size == 0:
        raise PhotoRefused("photo_empty", "The photo is empty: choose the picture file again.",
                           "上传的照片是空文件：请重新选择照片。")
    if size > MAX_UPLOAD_BYTES:
        raise PhotoRefused("photo_too_large", "The photo is over 10 MB: take it again at a normal resolution.",
                           "照片超过 10 MB：请用正常分辨率重新拍摄。", status=413)


def refuse_picture(image_format: str | None, width: int, height: int) -> None:
    """Before decoding: the format and the pixel count claimed by the header."""
    if image_format not in FORMATS:
        raise not_jpeg_or_png()
    if width * height > MAX_PIXELS:
        raise too_many_pixels()


def too_many_pixels() -> PhotoRefused:
    return PhotoRefused("photo_too_many_pixels", "The photo has over 40 million pixels: take it again at a normal "
                        "resolution.", "照片像素超过 4000 万：请用正常分辨率重新拍摄。")


def the_face(width: int, height: int, faces: list[Box]) -> Box:
    """The one face of the picture, big enough; else why not."""
    if not faces:
        raise PhotoRefused("face_not_found", "No face was found: photograph the worker from the front, face "
                           "uncovered (no hat, mask or sunglasses), looking at the camera.",
                           "照片中未检测到人脸：请正面拍摄，露出完整面部（不戴帽子、口罩、墨镜），眼睛看镜头。")
    if len(faces) > 1:
        raise PhotoRefused("face_several", "More than one face was found: photograph the worker alone, with "
                           "nobody behind them.", "照片中有多张人脸：请单独拍摄该工人，背后不要有其他人。")
    face = faces[0]
    if face.area < MIN_FACE_SHARE * width * height:
        raise PhotoRefused("face_too_small", "The face is too small: come closer, so that head and shoulders "
                           "fill the picture.", "人脸太小：请靠近拍摄，使头部和肩膀占满画面。")
    return face


def refuse_exposure(luminance: float, sharpness: float) -> None:
    """Lighting first: a dark face also measures less sharp, and more light is what the clerk must fix."""
    if luminance < MIN_LUMINANCE:
        raise PhotoRefused("photo_too_dark", "The face is too dark: take it again in good light, facing the "
                           "light, without a bright window behind.", "人脸太暗：请在光线充足处面向光源重新拍摄。")
    if luminance > MAX_LUMINANCE:
        raise PhotoRefused("photo_too_bright", "The face is too bright: take it again without flash or direct "
                           "sunlight on the face.", "人脸过亮：请关闭闪光灯、避免阳光直射面部后重新拍摄。")
    if sharpness < MIN_SHARPNESS:
        raise PhotoRefused("photo_blurred", "The photo is blurred: hold the camera still, let it focus on the "
                           "face, and take it again.", "照片模糊：请稳住手机、对准面部对焦后重新拍摄。")


def portrait_frame(face: Box) -> Box:
    """The 3:4 frame around ``face`` with the face FACE_WIDTH_SHARE of its width; it may reach past the picture's
    edges (the image pads them)."""
    width = round(face.width / FACE_WIDTH_SHARE)
    height = round(width * OUTPUT_HEIGHT / OUTPUT_WIDTH)
    centre_x, centre_y = face.x + face.width / 2, face.y + face.height / 2
    return Box(round(centre_x - width / 2), round(centre_y - FACE_CENTRE_HEIGHT * height), width, height)


def chosen_quality(size_at: Callable[[int], int]) -> int | None:
    """The JPEG quality to send, given the size each quality gives; None when none fits a terminal."""
    fallback = None
    for quality in JPEG_QUALITIES:
        size = size_at(quality)
        if size <= NATIONAL_MAX_BYTES and quality >= KEEP_QUALITY:
            return quality
        if fallback is None and size <= VENDOR_MAX_BYTES:
            fallback = quality
        if quality <= KEEP_QUALITY and fallback is not None:
            return fallback
    return fallback


def refuse_unfit_jpeg() -> PhotoRefused:
    return PhotoRefused("photo_too_detailed", "The photo cannot be made small enough for the gates: take it "
                        "again against a plain background.", "照片无法压缩到闸机要求的大小：请在纯色背景前重新拍摄。")


def not_jpeg_or_png() -> PhotoRefused:
    return PhotoRefused("photo_not_jpeg_or_png", "The photo is not a JPEG or PNG: save it as JPEG and upload it.",
                        "照片不是 JPEG 或 PNG 格式：请另存为 JPEG 后上传。")


def unreadable() -> PhotoRefused:
    return PhotoRefused("photo_unreadable", "The photo cannot be read (damaged or cut short): upload the original "
                        "file again.", "照片无法读取（文件损坏或不完整）：请重新上传原始照片。")
