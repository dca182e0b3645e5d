"""Bytes to text: BOMs, UTF-16, cp1252 fallback, double-encoded UTF-8, every line ending."""

from __future__ import annotations

import codecs
import mmap
import re
from dataclasses import dataclass, field

from slr.errors import ImportRefused


@dataclass(slots=True)
class DecodedText:
    text: str  # line endings are "\n" only
    encoding: str
    warnings: list[str] = field(default_factory=list)


# A UTF-8 lead byte read as cp1252/latin-1 (Ã, Â, Ä ...) followed by a continuation byte read the
# same way: the signature of UTF-8 that was encoded twice ("Ã–rÃ¼cÃ¼" for "Örücü").
_MOJIBAKE = re.compile(
    "[\u00c2-\u00df][\u0080-\u00bf\u2018-\u201e\u2020-\u2022\u2026\u2030\u2039\u203a"
    "\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc\u20ac\u2122]"
    "|\u00e2\u20ac[\u0080-\u00bf\u2018-\u201e\u2122\u0153\u009d]"
)
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1a\x1c-\x1f]")


def _looks_utf16(data: bytes) -> str | None:
    sample = data[:4000]
    if len(sample) < 4:
        return None
    even_nuls = sample[0::2].count(0)
    odd_nuls = sample[1::2].count(0)
    half = len(sample) / 2
    if odd_nuls > 0.4 * half and even_nuls < 0.05 * half:
        return "utf-16-le"
    if even_nuls > 0.4 * half and odd_nuls < 0.05 * half:
        return "utf-16-be"
    return None


def repair_double_encoding(text: str) -> tuple[str, int]:
    """Fix lines whose UTF-8 was encoded twice, only where ftfy is sure; returns (text, lines)."""
    if text.isascii() or not _MOJIBAKE.search(text):
        return text, 0
    import ftfy  # here: a fifth of the time `slr import` takes to start, and rarely needed

    lines = text.split("\n")
    repaired = 0
    for index, line in enumerate(lines):
        if _MOJIBAKE.search(line):
            fixed = ftfy.fix_encoding(line)
            if fixed != line:
                lines[index] = fixed
                repaired += 1
    return "\n".join(lines), repaired


# What decode reads: the file's bytes, or the file mapped into memory (no copy).
Bytes = bytes | mmap.mmap


def decode(data: Bytes, file_name: str = "") -> DecodedText:
    """Decode an export file's bytes, or refuse an empty or binary file."""
    label = file_name or "input"
    blank = b" \t\r\n\x00\xef\xbb\xbf\xff\xfe"
    head = data[:65536]
    if not head[:4096].strip(blank) and not data[:].strip(blank):  # the head first: no copy
        raise ImportRefused(f"{label} is empty", "export the search results again")
    warnings: list[str] = []
    if head.startswith(codecs.BOM_UTF8):
        # decoded through a memoryview: data[3:] would copy the whole file first
        encoding, text = "utf-8-sig", str(memoryview(data)[3:], "utf-8", errors="replace")
    elif head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding, text = "utf-16", str(data, "utf-16", errors="replace")
    elif utf16 := _looks_utf16(head):
        encoding, text = utf16, str(data, utf16, errors="replace")
    else:
        if b"\x00" in head:
            raise ImportRefused(
                f"{label} is a binary file, not a search export",
                "export the results as RIS, BibTeX, CSV or plain text",
            )
        try:
            encoding, text = "utf-8", str(data, "utf-8")
        except UnicodeDecodeError as error:
            encoding, text = "cp1252", str(data, "cp1252", errors="replace")
            line = data[: error.start].count(b"\n") + 1
            warnings.append(
                f"{label}: not valid UTF-8 (first bad byte on line {line}); read as Windows-1252"
            )
    if text.startswith("\ufeff"):
        text = text[1:]
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if len(_CONTROL.findall(text[:65536])) > 0.01 * min(len(text), 65536) + 8:
        raise ImportRefused(
            f"{label} is a binary file, not a search export",
            "export the results as RIS, BibTeX, CSV or plain text",
        )
    if "\x00" in text:
        text = text.replace("\x00", "")
    text, repaired = repair_double_encoding(text)
    if repaired:
        warnings.append(f"{label}: repaired double-encoded UTF-8 on {repaired} line(s)")
    return DecodedText(text, encoding, warnings)
