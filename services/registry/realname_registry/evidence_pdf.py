"""A PDF evidence file must parse as a PDF of a few pages, end where the PDF ends, and hold no active content.

A ZIP reader reads a file from its end, so anything after the last ``%%EOF`` is refused; scripts, launch
actions and attached files have no place in a scanned letter. The work is bounded: at most 5 MB in, the page
tree walked only as far as ``MAX_PAGES`` pages need, pypdf's own caps on decompressed streams; page contents
are never decoded.
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
    too_complex,
    too_many_pages,
    unreadable,
)

MAX_PAGES = 50
MAX_OBJECTS = 10_000  # a 50-page scan has a few hundred; pypdf checks every cross-reference entry on opening
_END = b"%%EOF"
_PADDING = b"\x00\r\n\t\f "
# Names of actions and attachments, where they are written out (not inside a compressed object stream).
_ACTIVE = re.compile(rb"/(JavaScript|JS|Launch|EmbeddedFiles?|RichMedia|XFA)(?![A-Za-z0-9])")
_ACTIVE_NAME_TREES = ("/JavaScript", "/EmbeddedFiles")
# Fixed-width or anchored patterns: linear in the file, whatever it holds.
_DECLARED_SIZE = re.compile(rb"/Size\s{0,8}(\d{1,9})")
_XREF_ENTRY_ENDS = (b" n \n", b" n \r", b" n\r\n", b" f \n", b" f \r", b" f\r\n")  # 20-byte entries
_NUMBERS = re.compile(rb"[0-9 \t]+")  # pypdf steps through such a run byte by byte where an object should start
_LONGEST_NUMBERS = 4096
_TAIL = 1024  # where a PDF reader looks for ``startxref`` (pypdf reads backwards line by line from the end)
_OBJECT = re.compile(rb"\sobj\b")


def check_pdf(content: bytes, foreign: Iterable[bytes]) -> None:
    """Raise a Problem unless ``content`` is one plain PDF of 1 to ``MAX_PAGES`` pages."""
    end = content.rfind(_END)
    if end < 0 or b"startxref" not in content[max(0, end - _TAIL):end]:
        raise unreadable("PDF")
    lowered = content.lower()
    if content[end + len(_END):].strip(_PADDING) or any(sig in lowered for sig in foreign):
        raise polyglot("PDF")
    if _ACTIVE.search(content):
        raise active_content()
    if _parts(content) > MAX_OBJECTS:
        raise too_complex(MAX_OBJECTS)
    if max(map(len, _NUMBERS.findall(content)), default=0) > _LONGEST_NUMBERS:
        raise unreadable("PDF")
    try:
        _parse(content)
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError, RecursionError):
        raise unreadable("PDF") from None


def _parts(content: bytes) -> int:
    """The most objects the file declares, lists or holds (before pypdf looks at each of them)."""
    declared = max((int(size) for size in _DECLARED_SIZE.findall(content)), default=0)
    entries = sum(content.count(end) for end in _XREF_ENTRY_ENDS)
    return max(declared, entries, len(_OBJECT.findall(content)))


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
    if _count_pages(_dictionary(catalog.get("/Pages"))) < 1:
        raise unreadable("PDF")
    for page in reader.pages:  # pypdf's own walk, now known to be short
        _ = page.mediabox  # every page is a page: it has a size


def _count_pages(root: DictionaryObject) -> int:
    """The pages under ``root``, walked with a bound: a tree whose /Count lies, or that loops, costs no more
    than a few times ``MAX_PAGES`` nodes. A node is a branch as pypdf sees one (its /Type, else its /Kids)."""
    pending, visited, pages = [root], 0, 0
    while pending:
        node = pending.pop()
        visited += 1
        if visited > 4 * MAX_PAGES:
            raise too_many_pages(MAX_PAGES)
        if node.get("/Type", "/Pages" if "/Kids" in node else "/Page") != "/Pages":
            pages += 1
            if pages > MAX_PAGES:
                raise too_many_pages(MAX_PAGES)
            continue
        kids = node.get("/Kids")
        kids = kids.get_object() if isinstance(kids, PdfObject) else kids
        if not isinstance(kids, list):
            raise ValueError("a page tree node without kids")
        if len(kids) > MAX_PAGES:
            raise too_many_pages(MAX_PAGES)
        pending.extend(_dictionary(kid) for kid in kids)
    return pages


def _dictionary(value: object) -> DictionaryObject:
    target = value.get_object() if isinstance(value, PdfObject) else value
    if not isinstance(target, DictionaryObject):
        raise ValueError("a PDF dictionary was expected")
    return target


def _is_script(action: object) -> bool:
    target = action.get_object() if isinstance(action, PdfObject) else action
    return isinstance(target, DictionaryObject) and target.get("/S") in ("/JavaScript", "/Launch")
