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

    A PDF is read with pypdf (an encrypted one with the empty password); a .txt/.md file is one
    page per form feed. Anything else, a cut-short PDF and a password-protected one are refused
    with UnreadableFullText; a PDF without a text layer comes back with `text_layer` False.
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
    if b"%%EOF" not in body[-2048:]:
        if b" obj" not in body:
            raise UnreadableFullText(
                f"{name} has a PDF header but no PDF content ({len(data)} bytes): nothing attached",
                "download the article's PDF again",
            )
        pages = len(re.findall(rb"/Type\s*/Page\b(?!s)", body))
        raise UnreadableFullText(
            f"{name} is cut short: it ends without the PDF's closing table (%%EOF), so the "
            f"order of its pages is lost ({pages} page objects found): nothing attached",
            "download the article's PDF again (the download was probably interrupted)",
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
    warnings: list[str] = []
    for number, page in enumerate(pdf_pages, start=1):
        try:
            texts.append(repair(page.extract_text() or ""))
        except Exception as error:  # pypdf raises many types on a damaged page; keep the rest
            texts.append("")
            warnings.append(f"page {number} could not be read ({type(error).__name__})")
    text_layer = any(sum(ch.isalpha() for ch in text) >= MIN_LETTERS for text in texts)
    if not text_layer:
        warnings.append(NO_TEXT_LAYER)
    return Extraction(texts, text_layer, warnings)
