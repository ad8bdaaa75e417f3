"""A PDF evidence file must parse as a PDF of a few pages, end where the PDF ends, and hold no active content.

A ZIP reader reads a file from its end, so anything after the last ``%%EOF`` is refused; scripts, launch
actions and attached files have no place in a scanned letter. The work is bounded: at most 5 MB in, the
page count declared and counted against ``MAX_PAGES``, pypdf's own caps on decompressed streams.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable

from pypdf import PdfReader
from pypdf.errors import PyPdfError
from pypdf.generic import DictionaryObject, PdfObject

from realname_registry.evidence_refusals import (
    active_content,
    password_protected,
    polyglot,
    too_many_pages,
    unreadable,
)

MAX_PAGES = 50
_END = b"%%EOF"
_PADDING = b"\x00\r\n\t\f "
# Names of actions and attachments, where they are written out (not inside a compressed object stream).
_ACTIVE = re.compile(rb"/(JavaScript|JS|Launch|EmbeddedFiles?|RichMedia|XFA)(?![A-Za-z0-9])")
_ACTIVE_NAME_TREES = ("/JavaScript", "/EmbeddedFiles")


def check_pdf(content: bytes, foreign: Iterable[bytes]) -> None:
    """Raise a Problem unless ``content`` is one plain PDF of 1 to ``MAX_PAGES`` pages."""
    end = content.rfind(_END)
    if end < 0:
        raise unreadable("PDF")
    lowered = content.lower()
    if content[end + len(_END):].strip(_PADDING) or any(sig in lowered for sig in foreign):
        raise polyglot("PDF")
    if _ACTIVE.search(content):
        raise active_content()
    try:
        _parse(content)
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError, RecursionError):
        raise unreadable("PDF") from None


def _parse(content: bytes) -> None:
    reader = PdfReader(io.BytesIO(content), strict=False)
    if reader.is_encrypted:
        raise password_protected()
    catalog = _dictionary(reader.trailer.get("/Root"))
    names = _dictionary(catalog.get("/Names")) if "/Names" in catalog else DictionaryObject()
    if "/AA" in catalog or any(key in names for key in _ACTIVE_NAME_TREES):  # actions run on opening
        raise active_content()
    if _is_script(catalog.get("/OpenAction")):
        raise active_content()
    declared = _dictionary(catalog.get("/Pages")).get("/Count", 0)
    if int(declared) > MAX_PAGES:
        raise too_many_pages(MAX_PAGES)  # before walking a page tree that claims millions of pages
    pages = len(reader.pages)
    if pages > MAX_PAGES:
        raise too_many_pages(MAX_PAGES)
    if pages < 1:
        raise unreadable("PDF")
    for page in reader.pages:
        _ = page.mediabox  # every page is a page: it has a size


def _dictionary(value: object) -> DictionaryObject:
    target = value.get_object() if isinstance(value, PdfObject) else value
    if not isinstance(target, DictionaryObject):
        raise ValueError("a PDF dictionary was expected")
    return target


def _is_script(action: object) -> bool:
    target = action.get_object() if isinstance(action, PdfObject) else action
    return isinstance(target, DictionaryObject) and target.get("/S") in ("/JavaScript", "/Launch")
