"""Bytes to text: BOMs, UTF-16, bad bytes repaired line by line, cp1252 fallback,
double-encoded UTF-8, every line ending."""

from __future__ import annotations

import codecs
import mmap
import re
from dataclasses import dataclass, field
from typing import NamedTuple

from slr.errors import ImportRefused
from slr.models import ImportWarning


@dataclass(slots=True)
class DecodedText:
    text: str  # line endings are "\n" only
    encoding: str
    warnings: list[ImportWarning] = field(default_factory=list)


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


def repair_double_encoding(text: str) -> tuple[str, int, list[int]]:
    """Fix lines whose UTF-8 was encoded twice, only where ftfy is sure; returns the text, how
    many lines were repaired, and the numbers of the lines that still look garbled."""
    if text.isascii() or not _MOJIBAKE.search(text):
        return text, 0, []
    import ftfy  # here: a fifth of the time `slr import` takes to start, and rarely needed

    lines = text.split("\n")
    repaired = 0
    garbled = []
    for index, line in enumerate(lines):
        if _MOJIBAKE.search(line):
            fixed = ftfy.fix_encoding(line)
            if fixed != line:
                lines[index] = fixed
                repaired += 1
            else:
                garbled.append(index + 1)
    return "\n".join(lines), repaired, garbled


# What decode reads: the file's bytes, or the file mapped into memory (no copy).
Bytes = bytes | mmap.mmap

# Lines repaired in a UTF-8 file that are named one by one; the rest are counted.
_MAX_LINE_WARNINGS = 20


class _Line(NamedTuple):
    """One line that was not valid UTF-8, repaired."""

    text: str
    bad: int  # bytes that were not UTF-8
    valid: int  # bytes of multi-byte UTF-8 characters beyond their first (0 for ASCII)
    first: int  # where in `text` the first repair is


@dataclass(slots=True)
class _Utf8:
    """A text decoded as UTF-8 line by line: the repaired lines, and how much was UTF-8."""

    text: str = ""
    repaired: list[tuple[int, _Line]] = field(default_factory=list)  # (line number, line)
    bad: int = 0
    valid: int = 0


def _guess(sequence: bytes) -> str:
    """A lone byte that is not UTF-8 is most often Windows-1252 (é, “, –, € pasted from a
    Windows program); a UTF-8 character cut short (a lead byte and part of what follows) is
    lost, and so is a byte Windows-1252 leaves undefined: U+FFFD."""
    if len(sequence) == 1:
        try:
            return str(sequence, "cp1252")
        except UnicodeDecodeError:
            pass
    return "\ufffd"


def _repair(line: bytes) -> _Line:
    """A line that is not valid UTF-8: its valid parts decoded exactly, each bad sequence
    guessed alone."""
    pieces: list[str] = []
    bad = valid = 0
    first = -1
    position = 0
    while True:
        try:
            piece = str(line[position:], "utf-8")
        except UnicodeDecodeError as error:
            start, end = position + error.start, position + error.end
            piece = str(line[position:start], "utf-8")
            valid += start - position - len(piece)
            if first < 0:
                first = sum(map(len, pieces)) + len(piece)
            pieces += (piece, _guess(line[start:end]))
            bad += end - start
            position = end
            continue
        valid += len(line) - position - len(piece)
        pieces.append(piece)
        return _Line("".join(pieces), bad, valid, first)


def _line_endings(text: str) -> int:
    """The line endings of a text as they will be counted once normalised (CRLF is one)."""
    return text.count("\n") + text.count("\r") - text.count("\r\n")


# Decoded a block at a time: a decoding error copies what was being decoded into the exception,
# so a block with an error is gone through line by line.
_BLOCK = 1 << 20


def _decode_utf8(data: Bytes, start: int) -> _Utf8:
    """UTF-8, decoded a block at a time; a line holding bytes that are not UTF-8 is repaired
    alone, so that one bad byte changes one line, not the file."""
    result = _Utf8()
    pieces: list[str] = []
    lines = 0  # line endings in pieces[:counted]
    counted = 0
    position, size = start, len(data)
    with memoryview(data) as view:  # released here: a mapped file cannot close while viewed
        while position < size:
            end = data.find(b"\n", position + _BLOCK) + 1 or size
            block = view[position:end]
            position = end
            try:
                piece = str(block, "utf-8")
            except UnicodeDecodeError:
                lines += sum(_line_endings(piece) for piece in pieces[counted:])
                raws = bytes(block).splitlines(keepends=True)
                for number, raw in enumerate(raws, lines + 1):
                    try:
                        piece = str(raw, "utf-8")
                    except UnicodeDecodeError:
                        line = _repair(raw)
                        result.repaired.append((number, line))
                        result.bad += line.bad
                        result.valid += line.valid
                        piece = line.text
                    else:
                        result.valid += len(raw) - len(piece)
                    pieces.append(piece)
                lines += len(raws) - (not raws[-1].endswith((b"\n", b"\r")))
                counted = len(pieces)
                continue
            result.valid += len(block) - len(piece)
            pieces.append(piece)
    result.text = "".join(pieces)
    return result


def _repair_warnings(repaired: list[tuple[int, _Line]]) -> list[ImportWarning]:
    warnings = []
    for number, line in repaired[:_MAX_LINE_WARNINGS]:
        around = line.text[max(0, line.first - 30) : line.first + 30].strip()
        message = (
            f"{line.bad} byte(s) not valid UTF-8, repaired as Windows-1252 or U+FFFD: {around!r}"
        )
        warnings.append(ImportWarning(number, "encoding", message))
    if len(repaired) > _MAX_LINE_WARNINGS:
        more = len(repaired) - _MAX_LINE_WARNINGS
        message = f"{more} more line(s) with bytes not valid UTF-8 repaired"
        warnings.append(ImportWarning(0, "encoding", message))
    return warnings


# The file formats a reviewer may pick by mistake, known from their first bytes (a short binary
# file holds too few control characters to tell it by them).
_BINARY_SIGNATURES = (
    b"%PDF-",
    b"\x89PNG",
    b"PK\x03\x04",  # zip: .docx, .xlsx (read by its own importer), .zip
    b"\xd0\xcf\x11\xe0",  # OLE: .doc, .xls
    b"GIF8",
    b"\xff\xd8\xff",  # JPEG
    b"\x1f\x8b",  # gzip
    b"7z\xbc\xaf",
    b"Rar!",
)
# The East Asian encodings charset-normalizer may name, and the codec that reads each (GB18030
# reads every GBK and GB2312 file; the Windows code pages read the ISO/EUC ones and more).
_CJK_CODECS = {
    "gb18030": "gb18030",
    "gbk": "gb18030",
    "gb2312": "gb18030",
    "hz": "hz",
    "big5": "big5hkscs",
    "big5hkscs": "big5hkscs",
    "cp950": "cp950",
    "shift_jis": "cp932",
    "cp932": "cp932",
    "euc_jp": "euc_jp",
    "iso2022_jp": "iso2022_jp",
    "euc_kr": "cp949",
    "cp949": "cp949",
    "johab": "johab",
}
# Detection's "chaos" (0 = clean text) above which the text is called garbled.
_MOJIBAKE_CHAOS = 0.2
_DETECT_BYTES = 1 << 20


def _legacy_encoding(data: Bytes) -> tuple[str, float]:
    """The codec of a file that is not UTF-8: an East Asian encoding when detection names one,
    else Windows-1252; with how garbled detection finds the text (1.0: no codec reads it)."""
    # here: charset-normalizer takes a tenth of a second to import, and most files are UTF-8
    import charset_normalizer

    best = charset_normalizer.from_bytes(bytes(data[:_DETECT_BYTES])).best()
    if best is None:
        return "cp1252", 1.0
    return _CJK_CODECS.get(best.encoding, "cp1252"), best.chaos


def decode(data: Bytes, file_name: str = "") -> DecodedText:
    """Decode an export file's bytes, or refuse an empty or binary file.

    NUL bytes are removed wherever they are, and the removal reported; a binary file is told
    by its signature or by the control characters in its first 64 KiB.
    """
    label = file_name or "input"
    blank = b" \t\r\n\x00\xef\xbb\xbf\xff\xfe"
    head = data[:65536]
    if not head[:4096].strip(blank) and not data[:].strip(blank):  # the head first: no copy
        raise ImportRefused(f"{label} is empty", "export the search results again")
    if head.startswith(_BINARY_SIGNATURES):
        if head.startswith(b"\xd0\xcf\x11\xe0") and label.lower().endswith(".xls"):
            raise ImportRefused(
                f"{label} is an Excel 97-2003 workbook (.xls), which slr does not read",
                "open it in Excel or LibreOffice and save it as .xlsx or CSV",
            )
        raise _binary(label)
    warnings: list[ImportWarning] = []
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding, text = "utf-16", str(data, "utf-16", errors="replace")
    elif utf16 := _looks_utf16(head):
        encoding, text = utf16, str(data, utf16, errors="replace")
    else:
        bom = head.startswith(codecs.BOM_UTF8)
        utf8 = _decode_utf8(data, 3 if bom else 0)
        encoding, text = ("utf-8-sig" if bom else "utf-8"), utf8.text
        if utf8.bad > utf8.valid and not bom:
            # more bytes that are not UTF-8 than bytes of UTF-8 characters: a legacy encoding
            encoding, chaos = _legacy_encoding(data)
            text = str(data, encoding, errors="replace")
            name = "Windows-1252" if encoding == "cp1252" else encoding.upper()
            first_bad = utf8.repaired[0][0]
            message = f"not valid UTF-8 (first bad byte on line {first_bad}); read as {name}"
            warnings.append(ImportWarning(first_bad, "encoding", message))
            if chaos > _MOJIBAKE_CHAOS:
                message = f"the text read as {name} may be garbled (mojibake); check a few records"
                warnings.append(ImportWarning(0, "mojibake", message))
        else:
            warnings += _repair_warnings(utf8.repaired)
    if text.startswith("\ufeff"):
        text = text[1:]
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if len(_CONTROL.findall(text[:65536])) > 0.01 * min(len(text), 65536) + 8:
        raise _binary(label)
    if "\x00" in text:
        first = text.count("\n", 0, text.index("\x00")) + 1
        message = f"{text.count(chr(0))} NUL byte(s) removed, the first on line {first}"
        warnings.append(ImportWarning(first, "nul-byte", message))
        text = text.replace("\x00", "")
    text, repaired, garbled = repair_double_encoding(text)
    if repaired:
        message = f"repaired double-encoded UTF-8 on {repaired} line(s)"
        warnings.append(ImportWarning(0, "encoding", message))
    if garbled:
        message = (
            f"{len(garbled)} line(s) look garbled (mojibake such as 'Ã©' for 'é') and could "
            "not be repaired; check them"
        )
        warnings.append(ImportWarning(garbled[0], "mojibake", message))
    return DecodedText(text, encoding, warnings)


def _binary(label: str) -> ImportRefused:
    return ImportRefused(
        f"{label} is a binary file, not a search export",
        "export the results as RIS, BibTeX, CSV or plain text",
    )
