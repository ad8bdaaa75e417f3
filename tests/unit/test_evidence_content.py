"""An evidence file is judged by its content (R25): a PDF that parses, a JPEG that decodes, nothing hidden."""

from __future__ import annotations

import time

import pytest

from realname_kit.problems import Problem
from realname_registry.evidence_content import evidence_content_type
from realname_registry.evidence_jpeg import MAX_PIXELS
from realname_registry.evidence_pdf import MAX_OBJECTS, MAX_PAGES
from tests.support.documents import huge_jpeg_header, jpeg, pdf, pdf_of_objects, zip_archive


def refusal(content: bytes) -> Problem:
    with pytest.raises(Problem) as refused:
        evidence_content_type(content)
    assert refused.value.message_zh and "请" in refused.value.message_zh  # it tells the clerk what to do
    return refused.value


def test_a_pdf_that_parses_is_accepted() -> None:
    assert evidence_content_type(pdf("Resignation of 110101199003074514", pages=3)) == "application/pdf"


def test_a_jpeg_that_decodes_is_accepted_with_the_images_a_camera_appends() -> None:
    assert evidence_content_type(jpeg()) == "image/jpeg"
    assert evidence_content_type(jpeg() + jpeg(16, 16)) == "image/jpeg"  # a gain map or preview after it


def test_something_that_only_starts_like_a_pdf_or_a_jpeg_is_unreadable() -> None:
    assert refusal(b"%PDF-1.4\n1 0 obj <<>> endobj\n%%EOF\n").reason == "evidence_unreadable"
    assert refusal(b"\xff\xd8\xff\xe0" + b"0" * 100).reason == "evidence_unreadable"
    assert refusal(jpeg(640, 480)[:-400]).reason == "evidence_unreadable"  # a scan cut short


def test_a_jpeg_carrying_a_pdf_in_a_comment_is_a_polyglot() -> None:
    assert refusal(jpeg(comment=pdf()[:300])).reason == "evidence_polyglot"


def test_a_jpeg_followed_by_a_zip_or_a_page_is_a_polyglot() -> None:
    assert refusal(jpeg() + zip_archive()).reason == "evidence_polyglot"
    assert refusal(jpeg() + b"<html><script>alert(1)</script></html>").reason == "evidence_polyglot"


def test_a_pdf_behind_a_jpeg_header_is_a_polyglot() -> None:
    header = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    assert refusal(header + pdf()).reason == "evidence_polyglot"


def test_a_pdf_followed_by_a_zip_or_holding_a_page_is_a_polyglot() -> None:
    assert refusal(pdf() + zip_archive()).reason == "evidence_polyglot"
    assert refusal(pdf("<html><script>alert(1)</script>")).reason == "evidence_polyglot"


def test_a_pdf_with_a_script_or_an_attachment_is_refused() -> None:
    script = pdf(catalog_extra="/OpenAction << /S /JavaScript /JS (app.alert(1)) >> ")
    assert refusal(script).reason == "evidence_active_content"
    attachment = pdf(catalog_extra="/Names << /EmbeddedFiles << /Names [] >> >> ")
    assert refusal(attachment).reason == "evidence_active_content"


def test_the_work_is_bounded_by_pages_and_by_pixels_before_decoding() -> None:
    too_long = refusal(pdf(pages=MAX_PAGES + 1))
    assert too_long.reason == "evidence_too_many_pages" and too_long.extra["limit_pages"] == MAX_PAGES
    started = time.monotonic()
    bomb = refusal(huge_jpeg_header(30_000, 30_000))  # 900 million pixels declared by a 1 KB file
    assert bomb.reason == "evidence_too_many_pixels" and bomb.extra["limit_pixels"] == MAX_PIXELS
    assert time.monotonic() - started < 1


def test_a_page_tree_that_lies_about_its_count_or_a_pdf_of_countless_objects_costs_little() -> None:
    started = time.monotonic()
    kids = " ".join(f"{n} 0 R" for n in range(3, 3 + MAX_PAGES + 1))
    lying = pdf_of_objects(["<< /Type /Catalog /Pages 2 0 R >>", f"<< /Type /Pages /Kids [{kids}] /Count 1 >>",
                            *["<< /Type /Page /Parent 2 0 R /MediaBox [0 0 9 9] >>"] * (MAX_PAGES + 1)])
    assert refusal(lying).reason == "evidence_too_many_pages"
    looping = pdf_of_objects(["<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [2 0 R 2 0 R] /Count 1 >>"])
    assert refusal(looping).reason == "evidence_too_many_pages"
    countless = pdf_of_objects(["<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
                                *["<< /Type /Page /Parent 2 0 R /MediaBox [0 0 9 9] >>"] * MAX_OBJECTS])
    assert refusal(countless).reason == "evidence_too_complex"
    digits = b"%PDF-1.4\n" + b"1" * 4_000_000 + b"\nstartxref\n9\n%%EOF\n"  # pypdf would read it byte by byte
    assert refusal(digits).reason == "evidence_unreadable"
    assert time.monotonic() - started < 3


def test_a_file_of_another_kind_is_refused_as_before() -> None:
    assert refusal(b"GIF89a....").reason == "evidence_type"
    assert refusal(zip_archive()).reason == "evidence_type"
