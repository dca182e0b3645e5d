"""Parsing an export in parts (for worker processes) gives exactly what one parse gives."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from slr.importers import FORMATS, detect
from slr.importers.encoding import decode
from slr.importers.parts import parse_split

SPLITTABLE = sorted(name for name, fmt in FORMATS.items() if fmt.split is not None)


def _serial_and_parts(name: str, text: str, parts: int, column_map=None):
    fmt = FORMATS[name]
    serial = fmt.parse(text, column_map)
    split = fmt.split(text, column_map, parts)
    merged = None if split is None else parse_split(split, text, column_map)
    return serial, split, merged


def test_the_big_formats_can_be_split() -> None:
    assert {"ris", "scopus-csv", "wos-tab", "csv", "lens-csv", "pubmed-csv"} <= set(SPLITTABLE)


def test_every_real_export_parses_the_same_in_parts(real_exports: Path) -> None:
    tried = merged_count = 0
    for path in sorted(real_exports.rglob("*")):
        if not path.is_file() or path.name in ("SOURCE.md", "MANIFEST.csv"):
            continue
        try:
            decoded = decode(path.read_bytes(), path.name)
            fmt = detect(decoded.text, path.name)
        except Exception:
            continue
        if fmt.split is None:
            continue
        for parts in (2, 3, 7):
            serial, _split, merged = _serial_and_parts(fmt.name, decoded.text, parts)
            tried += 1
            if merged is not None:
                merged_count += 1
                assert merged == serial, (path.name, parts)
    assert tried >= 20
    assert merged_count >= 10  # most real files cut cleanly


def _scopus_csv(rows: list[list[str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["Authors", "Title", "Year", "Source title", "DOI", "Abstract", "EID"])
    writer.writerows(rows)
    return out.getvalue()


def test_quoted_newlines_and_quotes_at_the_cuts() -> None:
    rows = [
        [
            f"Doe J.; Roe R.{i}",
            f'A "quoted"\nmulti-line title {i}',
            "2020",
            "J",
            f"10.1/x{i}",
            "Line one\n\nline two, with \n" * (i % 3),
            f"2-s2.0-{i}",
        ]
        for i in range(60)
    ]
    text = _scopus_csv(rows)
    for parts in range(2, 12):
        serial, split, merged = _serial_and_parts("scopus-csv", text, parts)
        assert split is not None and len(split.starts) > 1
        assert merged == serial
        assert len(merged.records) == 60


def test_a_bad_row_keeps_its_file_line() -> None:
    rows = [["Doe J.", f"Title {i}", "2020", "J", "", "", f"e{i}"] for i in range(40)]
    text = _scopus_csv(rows).replace("Title 30", "Title 30,too,many", 1)
    serial, _split, merged = _serial_and_parts("scopus-csv", text, 4)
    assert merged == serial
    assert [f.line for f in merged.failures] == [32]


def test_ris_warnings_send_the_file_to_one_parse() -> None:
    entry = "TY  - JOUR\nTI  - Title {i}\nPY  - 2020\nER  - \n\n"
    text = "".join(entry.format(i=i) for i in range(30))
    _serial, split, merged = _serial_and_parts("ris", text, 3)
    assert split is not None and merged is not None
    assert [r.line for r in merged.records] == [1 + 5 * i for i in range(30)]
    broken = text.replace("TI  - Title 15\nPY  - 2020\nER  - ", "TI  - Title 15\nPY  - 2020", 1)
    serial, split, merged = _serial_and_parts("ris", broken, 3)
    assert split is not None
    assert merged is None  # the part with the missing ER warns: parse the whole file
    assert any("no ER line" in w for w in serial.warnings)


@given(
    st.lists(
        st.lists(st.text(alphabet='ab ,"\n;', max_size=12), min_size=7, max_size=7),
        min_size=1,
        max_size=25,
    ),
    st.integers(2, 6),
)
def test_csv_in_parts_is_the_one_parse_or_declines(rows: list[list[str]], parts: int) -> None:
    text = _scopus_csv([[*row[:1], row[1] or "t", *row[2:]] for row in rows])
    serial, _split, merged = _serial_and_parts("scopus-csv", text, parts)
    assert merged is None or merged == serial


@given(st.text(alphabet='ab ,"\nTIYPER-', max_size=300), st.integers(2, 6))
def test_any_text_in_parts_is_the_one_parse_or_declines(text: str, parts: int) -> None:
    for name in ("ris", "csv"):
        serial, _split, merged = _serial_and_parts(name, text, parts)
        assert merged is None or merged == serial


@pytest.mark.parametrize("parts", [2, 5])
def test_stray_quotes_never_give_a_different_result(parts: int) -> None:
    rows = [
        ["Doe J.", f'Title {i} with a stray " quote', "2020", "J", "", "", f"e{i}"]
        for i in range(20)
    ]
    text = _scopus_csv(rows).replace('""', '"')  # quotes that break the parity rule
    serial, _split, merged = _serial_and_parts("scopus-csv", text, parts)
    assert merged is None or merged == serial
