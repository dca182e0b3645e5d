"""Parsing an export in parts (for worker processes) gives exactly what one parse gives."""

from __future__ import annotations

import csv
import io
import itertools
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from slr.importers import FORMATS, detect
from slr.importers.encoding import decode
from slr.importers.parts import iter_parts, parse_split

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
        assert split is not None and len(list(iter_parts(split, text))) > 1
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


@given(st.lists(st.integers(min_value=0, max_value=3), min_size=1, max_size=40), st.integers(2, 9))
def test_parts_cover_the_text_in_order_with_their_first_lines(blank_lines, wanted) -> None:
    from slr.importers.parts import Split, line_starting_with

    text = "".join(
        f"TY  - JOUR\nTI  - T{i}\n" + "\n" * n + "ER  - \n" for i, n in enumerate(blank_lines)
    )
    asked: list[int] = []
    boundary = line_starting_with(text, "TY  -")

    def spy(position: int) -> int:
        asked.append(position)
        return boundary(position)

    split = Split(0, 0, wanted, spy, FORMATS["ris"].parse, lambda _result, _last: True)
    parts = iter_parts(split, text)
    first = next(parts)
    assert len(asked) <= 1  # found lazily: the first part goes out before the other cuts
    found = [first, *parts]
    assert [p.index for p in found] == list(range(len(found)))
    assert found[0].start == 0 and found[-1].end == len(text) and found[-1].last
    assert all(a.end == b.start for a, b in itertools.pairwise(found))
    assert not any(p.last for p in found[:-1])
    for part in found:
        assert text[part.start :].startswith("TY  -")
        assert part.first_line == text.count("\n", 0, part.start) + 1
    assert len(found) <= wanted


def test_a_text_without_a_place_to_cut_is_one_part() -> None:
    text = "TY  - JOUR\nTI  - Only one\nER  - \n"
    split = FORMATS["ris"].split(text, None, 4)
    assert split is not None
    assert [(p.start, p.end, p.last) for p in iter_parts(split, text)] == [(0, len(text), True)]
    assert parse_split(split, text) is None
