"""Evidence files for late resignations and deaths (R25): a PDF or JPEG checked by its content, size-limited,
stored encrypted (a certificate shows an ID number, R4) and read back only by its employer or a regulator."""

from __future__ import annotations

import hashlib
import re

from sqlalchemy.orm import Session

from realname_kit.auth import Caller
from realname_kit.privacy import Keyring
from realname_kit.privacy.blobs import open_bytes, seal_bytes
from realname_kit.problems import Problem
from realname_registry.evidence_content import evidence_content_type
from realname_registry.models import EVIDENCE_CONTENT_CONTEXT, EvidenceFile
from realname_registry.workers.access import employer_of, reads_all

MAX_EVIDENCE_BYTES = 5 * 1024 * 1024
# A clerk may name the file after the worker ("110101199003074514离职证明.pdf"): ID, phone and card numbers
# have 11 digits or more, a date 8. The name is kept with such numbers masked to their last four (R4).
_NUMBER_IN_NAME = re.compile(r"\d{10,}[Xx]?")


def store_evidence(session: Session, keyring: Keyring, caller: Caller, filename: str,
                   content: bytes) -> EvidenceFile:
    employer_id = employer_of(caller)
    if not content:
        raise Problem(422, "evidence_empty", "The file is empty", field="file",
                      message_zh="上传的文件是空的：请重新选择文件上传。")
    if len(content) > MAX_EVIDENCE_BYTES:
        raise Problem(413, "evidence_too_large", "The evidence file is over 5 MB",
                      "Scan it at a lower resolution, or as a PDF.", limit_bytes=MAX_EVIDENCE_BYTES,
                      message_zh="证明文件超过 5 MB：请降低扫描分辨率，或保存为 PDF 后上传。")
    content_type = evidence_content_type(content)
    evidence = EvidenceFile(employer_id=employer_id, filename=_masked(filename or "evidence")[:200],
                            content_type=content_type, size=len(content),
                            sha256=hashlib.sha256(content).hexdigest(),
                            content_enc=seal_bytes(keyring, content, EVIDENCE_CONTENT_CONTEXT),
                            uploaded_by=caller.subject or "")
    session.add(evidence)
    session.flush()
    return evidence


def _masked(filename: str) -> str:
    return _NUMBER_IN_NAME.sub(lambda number: "*" * (len(number[0]) - 4) + number[0][-4:], filename)


def visible_evidence(session: Session, caller: Caller, evidence_id: str) -> EvidenceFile:
    evidence = session.get(EvidenceFile, evidence_id)
    if evidence is None or not (reads_all(caller) or caller.acts_for(evidence.employer_id)):
        raise Problem(404, "evidence_not_found", "No evidence file of yours has this id", evidence_id=evidence_id,
                      message_zh="找不到贵单位的这个证明文件：请先上传，再填写返回的编号。")
    return evidence


def evidence_content(keyring: Keyring, evidence: EvidenceFile) -> bytes:
    """The file as uploaded (only after ``visible_evidence`` allowed the caller to see it)."""
    return open_bytes(keyring, evidence.content_enc or "", EVIDENCE_CONTENT_CONTEXT)
