"""Why an evidence file's content is refused (R25 evidence must be a document a person can read), in words
that tell the clerk what to upload instead."""

from __future__ import annotations

from realname_kit.problems import Problem

_RESAVE = "Scan or photograph the paper document again and upload that PDF or JPEG."
_RESAVE_ZH = "请重新扫描或拍照纸质证明，保存为 PDF 或 JPEG 后上传。"


def wrong_type() -> Problem:
    return Problem(415, "evidence_type", "Evidence must be a PDF or a JPEG image",
                   "Photograph or scan the document as JPEG, or save it as PDF.", field="file",
                   message_zh="证明文件只能是 PDF 或 JPEG 图片：请拍照或扫描为 JPEG，或保存为 PDF 后上传。")


def unreadable(kind: str) -> Problem:
    return Problem(422, "evidence_unreadable", f"The file starts like a {kind} but is not a readable {kind}",
                   f"It may be damaged or cut short. {_RESAVE}", field="file", kind=kind,
                   message_zh=f"文件开头像 {kind}，但无法作为 {kind} 打开（可能已损坏或不完整）：{_RESAVE_ZH}")


def polyglot(kind: str) -> Problem:
    return Problem(422, "evidence_polyglot", f"The {kind} carries another file inside or after it",
                   f"Only a plain {kind} is accepted (a motion photo or a file joined to another is not). "
                   f"{_RESAVE}", field="file", kind=kind,
                   message_zh=f"这个 {kind} 里面或后面还夹带了别的文件（如动态照片、拼接的文件），只接受单纯的 "
                              f"{kind}：{_RESAVE_ZH}")


def active_content() -> Problem:
    return Problem(422, "evidence_active_content", "The PDF holds scripts, actions or attached files",
                   "Print it to a new PDF (or scan the paper) so that only the pages remain, and upload that.",
                   field="file",
                   message_zh="这个 PDF 含有脚本、自动动作或附件：请“打印为 PDF”另存一份（或扫描纸质件），"
                              "只保留页面后再上传。")


def password_protected() -> Problem:
    return Problem(422, "evidence_password_protected", "The PDF is protected by a password",
                   "Save it again without a password, or scan the paper document, and upload that.",
                   field="file", message_zh="这个 PDF 设了密码：请去掉密码另存，或扫描纸质证明后上传。")


def too_many_pages(limit: int) -> Problem:
    return Problem(422, "evidence_too_many_pages", f"The PDF has more than {limit} pages",
                   "Upload only the pages that prove the date (the signed letter or the certificate).",
                   field="file", limit_pages=limit,
                   message_zh=f"PDF 超过 {limit} 页：请只上传能证明日期的几页（签字的离职证明或死亡证明）。")


def too_complex(limit: int) -> Problem:
    return Problem(422, "evidence_too_complex", f"The PDF is made of more than {limit} objects",
                   "A scanned or printed document has far fewer: print it to a new PDF, or scan the paper.",
                   field="file", limit_objects=limit,
                   message_zh=f"这个 PDF 的内部对象超过 {limit} 个，远多于扫描件：请“打印为 PDF”另存，"
                              "或扫描纸质件后上传。")


def too_many_pixels(limit: int) -> Problem:
    return Problem(422, "evidence_too_many_pixels", f"The image has more than {limit // 1_000_000} million pixels",
                   "Photograph or scan it at a lower resolution (a few million pixels are enough to read it).",
                   field="file", limit_pixels=limit,
                   message_zh=f"图片超过 {limit // 1_000_000} 百万像素：请用较低分辨率重新拍照或扫描"
                              "（几百万像素就足以看清）。")
