"""Small PDFs written byte by byte for the full-text tests (no PDF of ../shared is copied), and
the tests that they read back as written."""

from __future__ import annotations

import io
from pathlib import Path

import pypdf

from slr.fulltext.extract import NO_TEXT_LAYER, extract

DATA = Path(__file__).resolve().parent / "data" / "fulltext"


def _literal(line: str) -> bytes:
    escaped = line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    return b"(" + escaped.encode("cp1252") + b")"


def pdf_bytes(pages: list[list[str]], image_only: bool = False) -> bytes:
    """A PDF with one page per list of lines (Helvetica 10 pt, top to bottom); with
    IMAGE_ONLY, each page is a grey picture and no text (a scan before OCR)."""
    objects: list[bytes] = []
    kids = []
    for lines in pages:
        page_number = len(objects) + 4  # 1 catalogue, 2 page tree, 3 font
        kids.append(page_number)
        if image_only:
            content = b"q 500 0 0 700 50 50 cm /Scan Do Q"
            resources = b"/XObject << /Scan %d 0 R >>" % (page_number + 2)
        else:
            shown = b" T* ".join(_literal(line) + b" Tj" for line in lines)
            content = b"BT /F1 10 Tf 12 TL 50 780 Td " + shown + b" ET"
            resources = b"/Font << /F1 3 0 R >>"
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << "
            + resources
            + b" >> /Contents %d 0 R >>" % (page_number + 1)
        )
        objects.append(b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream")
        if image_only:
            pixels = bytes(range(0, 256, 4))
            objects.append(
                b"<< /Type /XObject /Subtype /Image /Width 8 /Height 8 /ColorSpace /DeviceGray "
                b"/BitsPerComponent 8 /Length %d >>\nstream\n"
                % len(pixels)
                + pixels
                + b"\nendstream"
            )
    head = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids ["
        + b" ".join(b"%d 0 R" % kid for kid in kids)
        + b"] /Count %d >>" % len(kids),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(head + objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(offsets) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    size = len(offsets) + 1
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (size, xref))
    return out.getvalue()


def encrypted(data: bytes) -> bytes:
    """DATA encrypted with AES-256 and an empty user password (opens without asking)."""
    writer = pypdf.PdfWriter(clone_from=pypdf.PdfReader(io.BytesIO(data)))
    writer.encrypt(user_password="", owner_password="owner", algorithm="AES-256")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def article(
    title: str,
    authors: str,
    doi_lines: list[str] | None = None,
    body: list[str] | None = None,
    references: list[str] | None = None,
) -> bytes:
    """An article: title page (title, authors, the DOI lines, abstract), a Methods page, and a
    reference list on the last page."""
    first = [title, authors, *(doi_lines or []), "Abstract", "We study small firms and their "
             "digital tools."]  # fmt: skip
    methods = ["2 Methods", *(body or ["We surveyed 40 firms about e-commerce adoption."])]
    refs = ["References", *(references or [])]
    return pdf_bytes([first, methods, refs])


def test_a_written_pdf_reads_back_page_by_page() -> None:
    data = article(
        "Digital drivers of small firms",
        "Ana Lima, Bo Chen",
        ["https://doi.org/10.5555/slr.", "test.1"],
        ["We collected infor-", "mation from 40 firms (e-commerce)."],
        ["Lima A (2020) One. J 1:1-2", "Chen B (2021) Two. J 2:3-4"],
    )
    extraction = extract("a.pdf", data)
    assert extraction.text_layer
    assert extraction.warnings == []
    assert extraction.pages == [
        "Digital drivers of small firms\nAna Lima, Bo Chen\nhttps://doi.org/10.5555/slr.\ntest.1"
        "\nAbstract\nWe study small firms and their digital tools.",
        "2 Methods\nWe collected information\nfrom 40 firms (e-commerce).",
        "References\nLima A (2020) One. J 1:1-2\nChen B (2021) Two. J 2:3-4",
    ]


def test_an_encrypted_pdf_with_an_empty_password_is_read() -> None:
    data = encrypted(article("Locked but open", "Ana Lima"))
    assert pypdf.PdfReader(io.BytesIO(data)).is_encrypted
    assert extract("locked.pdf", data).pages[0].startswith("Locked but open\nAna Lima")


def test_an_image_only_pdf_has_no_text_layer() -> None:
    extraction = extract("scan.pdf", pdf_bytes([["x"], ["y"]], image_only=True))
    assert (extraction.pages, extraction.text_layer) == (["", ""], False)
    assert extraction.warnings == [NO_TEXT_LAYER]
