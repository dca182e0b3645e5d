"""Text from an attached report, page by page, read once when it is attached.

pypdf was chosen by measurement on ../shared/fulltext-pdfs (tests/bench/fulltext_bench.py):
it found the title and first author on pages 1-2 of as many files as pdfplumber (20 of 23: all
but the three unreadable hard cases) in a third of the time, while pdfminer.six lost a two-column
file's text. It is pure Python (MIT/BSD) and opens AES-encrypted files with `cryptography`.
"""

from __future__ import annotations

import io
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

import pypdf
from pypdf.errors import PyPdfError

from slr.errors import SlrError
from slr.fulltext.repair import repair

TEXT_SUFFIXES = (".txt", ".md", ".text")  # plain-text reports, read as UTF-8
NO_TEXT_LAYER = "no text layer: run OCR (e.g. ocrmypdf) and attach again"
# A file whose every page has fewer letters than this has no text a reviewer could read (a
# scan's page numbers or a stray mark are not a text layer).
MIN_LETTERS = 20
UNDECODED_SHARE = 0.2  # more characters than this that decode to nothing deserve a warning

# pypdf reports what it repairs through logging; the reader gets one warning per file instead.
logging.getLogger("pypdf").setLevel(logging.ERROR)


class UnreadableFullText(SlrError):
    """A file that cannot be attached as a full text, with the reason."""


@dataclass(slots=True)
class Extraction:
    """The text of a report per page (ligatures and line-end hyphens repaired)."""

    pages: list[str]
    text_layer: bool
    warnings: list[str] = field(default_factory=list)

    @property
    def chars(self) -> int:
        return sum(len(page) for page in self.pages)


def extract(name: str, data: bytes) -> Extraction:
    """The text of a report named NAME (its file name) with content DATA.

    A PDF is read with pypdf (an encrypted one with the empty password; a cut-short one as far
    as it goes, with a warning); a .txt/.md file is one page per form feed. Anything else, a
    password-protected PDF and one cut short before any text are refused with
    UnreadableFullText; a PDF without a text layer comes back with `text_layer` False.
    """
    if Path(name).suffix.lower() in TEXT_SUFFIXES:
        text = repair(data.decode("utf-8", errors="replace"))
        return Extraction(text.split("\f"), bool(text.strip()))
    header = data[:1024].find(b"%PDF-")
    if header < 0:
        start = data[:24].decode("ascii", errors="replace")
        raise UnreadableFullText(
            f"{name} is not a PDF (it starts with {start!r}, not %PDF-): nothing attached",
            "attach the article's PDF, or a .txt/.md file of its text",
        )
    body = data[header:]
    warnings: list[str] = []
    cut_short = b"%%EOF" not in body[-2048:]
    if cut_short:
        if b" obj" not in body:
            raise UnreadableFullText(
                f"{name} has a PDF header but no PDF content ({len(data)} bytes): nothing attached",
                "download the article's PDF again",
            )
        rebuilt, pages = rebuild_cut_short(body)
        if not pages:
            raise UnreadableFullText(
                f"{name} is cut short: it ends without the PDF's closing table (%%EOF) and no "
                "whole page is left in it: nothing attached",
                "download the article's PDF again (the download was probably interrupted)",
            )
        data = rebuilt
        warnings.append(
            f"cut short (no closing table, %%EOF): read as far as the file goes, {pages} "
            f"page{'s' if pages > 1 else ''} in the order they are stored; download it again for "
            "the whole article"
        )
    try:
        reader = pypdf.PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted and not reader.decrypt(""):
            raise UnreadableFullText(
                f"{name} is protected by a password: nothing attached",
                "save a copy without the password (e.g. qpdf --decrypt --password=PW IN OUT) "
                "and attach that",
            )
        pdf_pages = list(reader.pages)
    except (PyPdfError, ValueError, KeyError, TypeError, OSError) as error:
        raise UnreadableFullText(
            f"{name} could not be read as a PDF ({type(error).__name__}: {error}): nothing "
            "attached",
            "download the article's PDF again, or attach a .txt file of its text",
        ) from error
    texts: list[str] = []
    for number, page in enumerate(pdf_pages, start=1):
        try:
            texts.append(repair(page.extract_text() or ""))
        except Exception as error:  # pypdf raises many types on a damaged page; keep the rest
            texts.append("")
            warnings.append(f"page {number} could not be read ({type(error).__name__})")
    text_layer = any(sum(ch.isalpha() for ch in text) >= MIN_LETTERS for text in texts)
    if not text_layer and cut_short:  # cut before any text: nothing worth keeping
        raise UnreadableFullText(
            f"{name} is cut short: it ends without the PDF's closing table (%%EOF) and no text "
            "is left in it: nothing attached",
            "download the article's PDF again (the download was probably interrupted)",
        )
    if not text_layer:
        warnings.append(NO_TEXT_LAYER)
    undecoded = sum(text.count("\ufffd") for text in texts)
    letters = sum(sum(ch.isalpha() for ch in text) for text in texts)
    if undecoded > UNDECODED_SHARE * (undecoded + letters):
        share = round(100 * undecoded / (undecoded + letters))
        warnings.append(
            f"{share}% of its characters cannot be decoded (the character maps of their fonts "
            "are missing): search and tags will miss words"
        )
    return Extraction(texts, text_layer, warnings)


_OBJECT = re.compile(rb"(?<![0-9])([0-9]+)\s+([0-9]+)\s+obj\b")
_PAGE = re.compile(rb"/Type\s*/Page\b(?!s)")


def rebuild_cut_short(body: bytes) -> tuple[bytes, int]:
    """A PDF cut short (an interrupted download) loses its cross-reference table and trailer,
    which say where each object is and which page comes when; its pages and their text usually
    come first. Rebuild what was lost: every whole object where it stands, an object cut off
    by the end as null, and a page tree of the whole page objects in the order they are stored.
    Returns the rebuilt PDF and its number of pages (0: nothing to read)."""
    starts = [(int(m[1]), int(m[2]), m.start()) for m in _OBJECT.finditer(body)]
    objects: dict[int, tuple[int, int]] = {}
    cut: set[int] = set()
    for index, (number, generation, offset) in enumerate(starts):
        end = starts[index + 1][2] if index + 1 < len(starts) else len(body)
        if body.rfind(b"endobj", offset, end) >= 0:
            objects[number] = (offset, generation)
            cut.discard(number)
        elif number not in objects:
            cut.add(number)
    pages = [
        number
        for number, (offset, _) in sorted(objects.items())
        if _PAGE.search(body[offset : body.find(b"endobj", offset)])
    ]
    if not pages:
        return body, 0
    out = bytearray(body if body.endswith(b"\n") else body + b"\n")
    for number in sorted(cut):
        objects[number] = (len(out), 0)
        out += b"%d 0 obj\nnull\nendobj\n" % number
    tree = max(number for number, _, _ in starts) + 1
    kids = b" ".join(b"%d 0 R" % number for number in pages)
    objects[tree] = (len(out), 0)
    out += b"%d 0 obj\n<< /Type /Pages /Kids [%s] /Count %d >>\nendobj\n" % (tree, kids, len(pages))
    objects[tree + 1] = (len(out), 0)
    out += b"%d 0 obj\n<< /Type /Catalog /Pages %d 0 R >>\nendobj\n" % (tree + 1, tree)
    xref = len(out)
    out += b"xref\n0 %d\n" % (tree + 2)
    for number in range(tree + 2):
        out += (
            b"%010d %05d n \n" % objects[number] if number in objects else b"0000000000 65535 f \n"
        )
    out += b"trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        tree + 2,
        tree + 1,
        xref,
    )
    return bytes(out), len(pages)
