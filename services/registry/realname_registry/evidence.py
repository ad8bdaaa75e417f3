"""Evidence files for late resignations (R25): a PDF or JPEG, size-limited, stored as uploaded."""

from __future__ import annotations

import hashlib

from sqlalchemy.orm import Session

from realname_kit.auth import Caller
from realname_kit.problems import Problem
from realname_registry.models import EvidenceFile
from realname_registry.workers.access import employer_of, reads_all

MAX_EVIDENCE_BYTES = 5 * 1024 * 1024
_KINDS = {b"%PDF-": "application/pdf", b"\xff\xd8\xff": "image/jpeg"}


def store_evidence(session: Session, caller: Caller, filename: str, content: bytes) -> EvidenceFile:
    employer_id = employer_of(caller)
    if not content:
        raise Problem(422, "evidence_empty", "The file is empty", field="file",
                      message_zh="上传的文件是空的：请重新选择文件上传。")
    if len(content) > MAX_EVIDENCE_BYTES:
        raise Problem(413, "evidence_too_large", "The evidence file is over 5 MB",
                      "Scan it at a lower resolution, or as a PDF.", limit_bytes=MAX_EVIDENCE_BYTES,
                      message_zh="证明文件超过 5 MB：请降低扫描分辨率，或保存为 PDF 后上传。")
    content_type = next((kind for magic, kind in _KINDS.items() if content.startswith(magic)), None)
    if content_type is None:
        raise Problem(415, "evidence_type", "Evidence must be a PDF or a JPEG image",
                      "Photograph or scan the document as JPEG, or save it as PDF.", field="file",
                      message_zh="证明文件只能是 PDF 或 JPEG 图片：请拍照或扫描为 JPEG，或保存为 PDF 后上传。")
    evidence = EvidenceFile(employer_id=employer_id, filename=(filename or "evidence")[:200],
                            content_type=content_type, size=len(content),
                            sha256=hashlib.sha256(content).hexdigest(), content=content,
                            uploaded_by=caller.subject or "")
    session.add(evidence)
    session.flush()
    return evidence


def visible_evidence(session: Session, caller: Caller, evidence_id: str) -> EvidenceFile:
    evidence = session.get(EvidenceFile, evidence_id)
    if evidence is None or not (reads_all(caller) or caller.acts_for(evidence.employer_id)):
        raise Problem(404, "evidence_not_found", "No evidence file of yours has this id", evidence_id=evidence_id,
                      message_zh="找不到贵单位的这个证明文件：请先上传，再填写返回的编号。")
    return evidence
