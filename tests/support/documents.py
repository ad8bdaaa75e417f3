"""Small real documents for evidence uploads, made in the test: PDFs that parse, JPEGs that decode, polyglots."""

from __future__ import annotations

import io

from PIL import Image


def pdf(text: str = "Resignation letter", *, pages: int = 1, catalog_extra: str = "") -> bytes:
    """A PDF of ``pages`` pages each showing ``text`` (ASCII, uncompressed: it can be found in the bytes)."""
    page_ids = [4 + 2 * i for i in range(pages)]
    objects = [f"<< /Type /Catalog /Pages 2 0 R {catalog_extra}>>",
               f"<< /Type /Pages /Kids [{' '.join(f'{n} 0 R' for n in page_ids)}] /Count {pages} >>",
               "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET"
    for n in page_ids:
        objects.append(f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
                       f"/Resources << /Font << /F1 3 0 R >> >> /Contents {n + 1} 0 R >>")
        objects.append(f"<< /Length {len(stream)} >>\nstream\n{stream}\nendstream")
    return pdf_of_objects(objects)


def pdf_of_objects(objects: list[str]) -> bytes:
    """A PDF file of these objects (numbered from 1, the first the catalog), with its cross-reference table."""
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(f"{number} 0 obj\n{body}\nendobj\n".encode("latin-1"))
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    out.write("".join(f"{o:010d} 00000 n \n" for o in offsets).encode())
    out.write(f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode())
    return out.getvalue()


def jpeg(width: int = 64, height: int = 48, *, comment: bytes = b"") -> bytes:
    """A JPEG photo (a grey gradient), with a COM segment holding ``comment`` when given."""
    image = Image.linear_gradient("L").resize((width, height)).convert("RGB")
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80, **({"comment": comment} if comment else {}))
    return out.getvalue()


def huge_jpeg_header(width: int, height: int) -> bytes:
    """A small JPEG that declares ``width`` x ``height`` pixels: the start of a decompression bomb."""
    data = bytearray(jpeg(16, 16))
    sof = data.index(b"\xff\xc0")
    data[sof + 5:sof + 9] = height.to_bytes(2, "big") + width.to_bytes(2, "big")
    return bytes(data)


def zip_archive() -> bytes:
    import zipfile
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("index.html", "<html><script>alert(1)</script></html>")
    return out.getvalue()
