"""Decoding export bytes: BOMs, UTF-16, line endings, cp1252, double-encoded UTF-8, refusals."""

from __future__ import annotations

import codecs

import pytest

from slr.errors import ImportRefused
from slr.importers.encoding import decode
from slr.models import ImportWarning

TEXT = "TY  - JOUR\nTI  - Örücü: café ñ\nER  - \n"


@pytest.mark.parametrize(
    "data",
    [
        TEXT.encode("utf-8"),
        codecs.BOM_UTF8 + TEXT.encode("utf-8"),
        TEXT.encode("utf-16"),  # with BOM
        TEXT.encode("utf-16-le"),  # without BOM
        TEXT.replace("\n", "\r\n").encode("utf-8"),
        TEXT.replace("\n", "\r").encode("utf-8"),
        "TY  - JOUR\r\nTI  - Örücü: café ñ\rER  - \n".encode(),
    ],
    ids=["utf8", "utf8-bom", "utf16-bom", "utf16le-nobom", "crlf", "cr-only", "mixed"],
)
def test_decodes_to_the_same_text(data: bytes) -> None:
    assert decode(data, "x.ris").text == TEXT


def test_cp1252_fallback_warns_with_line() -> None:
    decoded = decode("TY  - JOUR\nTI  - café “quoted”\n".encode("cp1252"), "old.ris")
    assert decoded.text == "TY  - JOUR\nTI  - café “quoted”\n"
    assert decoded.encoding == "cp1252"
    assert decoded.warnings == [
        ImportWarning(
            2, "encoding", "not valid UTF-8 (first bad byte on line 2); read as Windows-1252"
        )
    ]


def test_double_encoded_utf8_is_repaired() -> None:
    mojibake = "Örücü, Deniz".encode().decode("cp1252")  # 'Ã–rÃ¼cÃ¼, Deniz'
    decoded = decode(f"A1  - {mojibake}\nA1  - Smith, J\n".encode(), "eric.txt")
    assert decoded.text == "A1  - Örücü, Deniz\nA1  - Smith, J\n"
    assert decoded.warnings == [
        ImportWarning(0, "encoding", "repaired double-encoded UTF-8 on 1 line(s)")
    ]


def test_genuine_accents_are_left_alone() -> None:
    text = "TI  - Ätherische Öle, São Paulo, Zürich, Łódź — “quotes” ©\n"
    assert decode(text.encode(), "x.ris").text == text


@pytest.mark.parametrize("data", [b"", b"  \r\n\n", codecs.BOM_UTF8])
def test_empty_file_is_refused(data: bytes) -> None:
    with pytest.raises(ImportRefused, match=r"x\.ris is empty"):
        decode(data, "x.ris")


@pytest.mark.parametrize("data", [bytes(range(256)) * 20, b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"])
def test_binary_file_is_refused(data: bytes) -> None:
    with pytest.raises(ImportRefused, match="binary file"):
        decode(data, "x.pdf")


def test_mojibake_that_cannot_be_repaired_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    import ftfy

    monkeypatch.setattr(ftfy, "fix_encoding", lambda line: line)  # ftfy unsure of every line
    decoded = decode("TY  - JOUR\nTI  - cafÃ© au lait\nER  - \n".encode(), "m.ris")
    assert decoded.text == "TY  - JOUR\nTI  - cafÃ© au lait\nER  - \n"
    assert decoded.warnings == [
        ImportWarning(
            2,
            "mojibake",
            "1 line(s) look garbled (mojibake such as 'Ã©' for 'é') and could not be "
            "repaired; check them",
        )
    ]


def test_an_old_excel_workbook_is_refused_with_what_to_do() -> None:
    with pytest.raises(ImportRefused) as refused:
        decode(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, "scopus.xls")
    assert (refused.value.message, refused.value.hint) == (
        "scopus.xls is an Excel 97-2003 workbook (.xls), which slr does not read",
        "open it in Excel or LibreOffice and save it as .xlsx or CSV",
    )
