"""What an evidence file holds (R25): a PDF that parses, or a JPEG that decodes, and no second file inside.

Magic bytes only say what a file claims to be; a polyglot (a JPEG carrying a PDF or a ZIP, an HTML page in a
PDF) is refused, and so is one whose parsing would cost more than a scanned letter needs.
"""

from __future__ import annotations

from realname_registry.evidence_jpeg import check_jpeg
from realname_registry.evidence_pdf import check_pdf
from realname_registry.evidence_refusals import wrong_type

PDF, JPEG = "application/pdf", "image/jpeg"
# What a browser sniffs as a page, what an archive reader finds, what a PDF reader looks for: lower case.
_PAGE = (b"<html", b"<script", b"<!doctype", b"<iframe", b"<svg", b"<body")
_ARCHIVE = (b"pk\x03\x04", b"pk\x05\x06")


def evidence_content_type(content: bytes) -> str:
    """The content type of an acceptable evidence file; a Problem saying what to upload instead otherwise."""
    if content.startswith(b"%PDF-"):
        check_pdf(content, _PAGE)
        return PDF
    if content.startswith(b"\xff\xd8\xff"):
        check_jpeg(content, (b"%pdf-", *_ARCHIVE, *_PAGE))
        return JPEG
    raise wrong_type()
