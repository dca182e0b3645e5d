"""Nothing is lost, nothing is silent: bad bytes, misleading content, malformed or cut-off RIS
entries and BibTeX @string bombs, each through `slr import` with its exact exit status."""

from __future__ import annotations

import time
import tracemalloc
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from hypothesis import given
from hypothesis import strategies as st

from slr.cli import main
from slr.importers import bibtex, encoding, ris
from slr.importers.encoding import decode
from slr.store import Review

NAMES = ("王小明", "李华", "Örücü, Deniz", "Müller, Jürgen")


@pytest.fixture
def review(tmp_path: Path) -> Path:
    path = tmp_path / "rev"
    Review.create(path, None, "Faults").close()
    return path


def run_import(review: Path, export: Path, *options: str) -> Result:
    return CliRunner().invoke(main, ["import", "--review", str(review), *options, str(export)])


def titles_and_authors(review: Path) -> list[tuple[str, str]]:
    with Review.open(review) as opened:
        return [
            (r.record.title, "; ".join(a.display for a in r.record.authors))
            for r in opened.iter_records()
        ]


def ris_record(number: int) -> str:
    name = NAMES[number % len(NAMES)]
    return (
        f"TY  - JOUR\nTI  - Study number {number}\nAU  - {name}\nPY  - 2020\n"
        f"DO  - 10.1000/fault.{number}\nER  - \n\n"
    )


# ------------------------------------------------------------------ 7a: bad bytes in UTF-8


def test_one_bad_byte_changes_its_line_not_the_file(review: Path, tmp_path: Path) -> None:
    text = "".join(ris_record(n) for n in range(20)).encode()
    # a cp1252 "é" pasted into one title, and a UTF-8 character cut short in another
    text = text.replace(b"Study number 7\n", b"\xe9tude number 7\n")
    text = text.replace(b"Study number 12\n", b"Study \xe5\xb0 number 12\n")
    export = tmp_path / "mixed.ris"
    export.write_bytes(text)
    result = run_import(review, export, "--database", "Scopus")
    assert result.exit_code == 0, result.output
    assert result.stdout == "Imported mixed.ris as source 1: 20 records (ris, Scopus)\n"
    assert result.stderr == (
        "  warning: mixed.ris:51: 1 byte(s) not valid UTF-8, repaired as Windows-1252 or "
        "U+FFFD: 'TI  - étude number 7'\n"
        "  warning: mixed.ris:86: 2 byte(s) not valid UTF-8, repaired as Windows-1252 or "
        "U+FFFD: 'TI  - Study \ufffd number 12'\n"
    )
    expected = [(f"Study number {n}", NAMES[n % len(NAMES)]) for n in range(20)]
    expected[7] = ("étude number 7", expected[7][1])
    expected[12] = ("Study \ufffd number 12", expected[12][1])
    stored = titles_and_authors(review)
    assert [title for title, _ in stored] == [title for title, _ in expected]
    assert [author.split(",")[0] for _, author in stored] == [
        name.split(",")[0] for _, name in expected
    ]
    with Review.open(review) as opened:
        assert opened.sources()[0]["encoding"] == "utf-8"


# Characters that never make double-encoded UTF-8 look-alikes with the guessed ones, and bytes
# that are never part of UTF-8 when put between two characters.
_LINE = st.text(alphabet="abc XYZ019,.-王小明éüαβ–“”", max_size=30)
_BAD_BYTE = st.sampled_from([*range(0x80, 0xC0), 0xC0, 0xC1, *range(0xF5, 0x100)])


@given(st.lists(_LINE, min_size=1, max_size=12), st.data(), st.sampled_from([1, 40, 1 << 20]))
def test_bad_bytes_are_repaired_where_they_are_and_named_by_line(
    lines: list[str], data: st.DataObject, block: int
) -> None:
    lines = ["TI  - 王小明 and 李华", *lines]  # enough UTF-8 to outweigh three bad bytes
    count = data.draw(st.integers(1, min(3, len(lines))))
    spots = data.draw(
        st.lists(st.integers(0, len(lines) - 1), min_size=count, max_size=count, unique=True)
    )
    raw = [line.encode() for line in lines]
    expected = list(lines)
    for spot in spots:
        byte = data.draw(_BAD_BYTE)
        cut = data.draw(st.integers(0, len(lines[spot])))
        head, tail = lines[spot][:cut], lines[spot][cut:]
        raw[spot] = head.encode() + bytes([byte]) + tail.encode()
        try:
            guess = bytes([byte]).decode("cp1252")
        except UnicodeDecodeError:
            guess = "\ufffd"
        expected[spot] = head + guess + tail
    ending = data.draw(st.sampled_from([b"\n", b"\r\n", b"\r"]))
    try:
        encoding._BLOCK = block  # the text decoded in blocks of about this many bytes
        decoded = decode(ending.join(raw), "f.ris")
    finally:
        encoding._BLOCK = 1 << 20
    assert decoded.encoding == "utf-8"
    assert decoded.text.split("\n") == expected
    named = sorted(w.line for w in decoded.warnings)
    assert named == sorted(spot + 1 for spot in spots)


@given(st.text(alphabet="abc XYZ019,.-王小明éüαβ–“”\n\r", min_size=1))
def test_valid_utf8_is_decoded_exactly_without_a_warning(text: str) -> None:
    if not text.strip():
        return
    decoded = decode(text.encode(), "f.ris")
    assert decoded.text == text.replace("\r\n", "\n").replace("\r", "\n")
    assert decoded.warnings == []


def test_a_windows_1252_file_is_still_read_as_one(review: Path, tmp_path: Path) -> None:
    export = tmp_path / "old.ris"
    text = "".join(ris_record(n) for n in (2, 3, 6)).replace("Study", "Étude")
    export.write_bytes(text.encode("cp1252"))
    result = run_import(review, export, "--database", "Scopus")
    assert result.exit_code == 0, result.output
    assert result.stderr == (
        "  warning: old.ris:2: not valid UTF-8 (first bad byte on line 2); read as Windows-1252\n"
    )
    assert titles_and_authors(review) == [
        ("Étude number 2", "Örücü, Deniz"),
        ("Étude number 3", "Müller, Jürgen"),
        ("Étude number 6", "Örücü, Deniz"),
    ]


# ------------------------------------------------------------------ 7b: detection not fooled

CSV_ROWS = [
    ("A study of exports", "Smith, J.", "2020", "10.1000/csv.1", "Plain abstract."),
    ("Influencers abroad", "Tan, M.", "2021", "10.1000/csv.2", "{inside}"),
    ("Cross-border trade", "Doe, A.", "2019", "10.1000/csv.3", "Another abstract."),
    ("Platforms and SMEs", "Lee, K.", "2022", "10.1000/csv.4", "More text."),
    ("Daigou networks", "Wu, L.", "2018", "10.1000/csv.5", "Short."),
    ("Jastip in Indonesia", "Sari, D.", "2023", "10.1000/csv.6", "Last one."),
]
# What a cell may quote on lines of its own: a record of another format, pasted in.
PASTED = {
    "ris": "Cited as:\nTY  - JOUR\nTI  - Quoted record\nER  - \nend of quote",
    "bibtex": "Cited as:\n@article{quoted,\n  title = {Quoted record}\n}\nend of quote",
    "medline": "Cited as:\nPMID- 123456\nTI  - Quoted record\n\nend of quote",
    "wos": "Cited as:\nPT J\nAU Quoted, A\nTI Quoted record\nER\nend of quote",
}


@pytest.mark.parametrize("name", ["export.csv", "export.txt"])
@pytest.mark.parametrize("pasted", sorted(PASTED))
def test_records_quoted_in_a_csv_cell_do_not_make_it_another_format(
    review: Path, tmp_path: Path, pasted: str, name: str
) -> None:
    rows = ['"Title","Authors","Year","DOI","Abstract"']
    for title, author, year, doi, abstract in CSV_ROWS:
        abstract = abstract.replace("{inside}", PASTED[pasted])
        rows.append(f'"{title}","{author}",{year},{doi},"{abstract}"')
    export = tmp_path / name
    export.write_text("\n".join(rows) + "\n", encoding="utf-8")
    result = run_import(review, export, "--database", "Other")
    assert result.exit_code == 0, result.output
    assert result.stdout == f"Imported {name} as source 1: 6 records (csv, Other)\n"
    stored = titles_and_authors(review)
    assert [t for t, _ in stored] == [row[0] for row in CSV_ROWS]


def test_tagged_files_are_still_detected_when_they_open_otherwise() -> None:
    record = "TY  - JOUR\nTI  - A title\nAU  - Smith, J\nER  - \n\n"
    assert ris.sniff("\n\n" + record * 3, "x.ris") == 90
    assert ris.sniff("3001. \n" + record, "ovid.ris") == 90  # Ovid's record number first
    assert ris.sniff("Exported from a library\n" + record * 3, "x.txt") == 90  # mostly tags
    assert ris.sniff('"Title","Abstract"\n"x","\n' + record + '"\n', "x.csv") == 0


# ------------------------------------------------------------------ 7c: malformed RIS entries

# A good record 500 spoiled in three ways, with the line its failure names (its first line).
SPOILED = {
    "malformed TY line": ("TY  - JOUR\n", "TY -JOUR\n", ris.BAD_TY, "TY -JOUR"),
    "TY line lost": ("TY  - JOUR\n", "", ris.NO_TY, "TI  - Study number 500"),
    "indented TY line": ("TY  - JOUR\n", " TY  - JOUR\n", ris.BAD_TY, "TY  - JOUR"),
}


@pytest.mark.parametrize("spoil", sorted(SPOILED))
def test_one_malformed_ris_entry_among_a_thousand_is_rejected_with_its_line(
    review: Path, tmp_path: Path, spoil: str
) -> None:
    old, new, reason, excerpt = SPOILED[spoil]
    records = [ris_record(n) for n in range(1000)]
    records[500] = records[500].replace(old, new)
    line = 1 + sum(r.count("\n") for r in records[:500])
    export = tmp_path / "big.ris"
    export.write_text("".join(records), encoding="utf-8")
    result = run_import(review, export, "--database", "Scopus")
    assert result.exit_code == 3
    assert result.stdout == "Imported big.ris as source 1: 999 records (ris, Scopus), 1 rejected\n"
    assert result.stderr == f"  rejected big.ris:{line}: {reason} [{excerpt}]\n"
    stored = titles_and_authors(review)
    assert [t for t, _ in stored] == [f"Study number {n}" for n in range(1000) if n != 500]
    with Review.open(review) as opened:  # nothing of record 500 was added to record 499
        assert "Study number 500" not in str(opened.get(500).record.raw)
        assert [f["line"] for f in opened.failures(1)] == [line]


@pytest.mark.parametrize("end", ["", "\n"])
def test_a_ris_file_cut_mid_record_rejects_that_record(
    review: Path, tmp_path: Path, end: str
) -> None:
    export = tmp_path / "cut.ris"
    text = ris_record(1) + ris_record(2) + "TY  - JOUR\nTI  - Cut short\nAU  - Ab" + end
    export.write_text(text, encoding="utf-8")
    result = run_import(review, export, "--database", "Scopus")
    assert result.exit_code == 3
    assert result.stdout == "Imported cut.ris as source 1: 2 records (ris, Scopus), 1 rejected\n"
    assert result.stderr == f"  rejected cut.ris:15: {ris.CUT_OFF} [TI  - Cut short]\n"


def test_a_record_the_reader_loses_is_counted_against_the_ty_lines(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    close = ris._Reader.close

    def lossy(reader: ris._Reader, values: ris.Values, line: int, excerpt: str) -> None:
        if "Study number 2" not in values.get("TI", ()):
            close(reader, values, line, excerpt)

    monkeypatch.setattr(ris._Reader, "close", lossy)
    result = ris.parse("".join(ris_record(n) for n in range(4)))
    assert len(result.records) == 3
    assert [(f.line, f.reason) for f in result.failures] == [
        (0, "1 of 4 RIS records were lost by the reader (a bug)")
    ]


# ------------------------------------------------------------------ 8: @string bombs


def string_bomb(levels: int) -> str:
    """@string macros each twice the one before: 16 characters times 2**levels in the end."""
    lines = ["@article{before, title = {Before}, author = {Roe, R}, year = 2021}"]
    lines.append('@string{s0 = "abcdefghijklmnop"}')
    lines += [f"@string{{s{n} = s{n - 1} # s{n - 1}}}" for n in range(1, levels + 1)]
    lines.append(f"@article{{bomb, title = s{levels}, author = {{Doe, J}}, year = 2020}}")
    lines.append("@article{after, title = {After}, author = {Poe, E}, year = 2022}")
    return "\n".join(lines) + "\n"


def test_a_string_bomb_is_rejected_in_bounded_time_and_memory(review: Path, tmp_path: Path) -> None:
    export = tmp_path / "bomb.bib"
    export.write_text(string_bomb(24), encoding="utf-8")  # 270 MB asked of 700 bytes
    assert export.stat().st_size < 800
    tracemalloc.start()
    started = time.perf_counter()
    try:
        result = run_import(review, export, "--database", "Other")
        seconds = time.perf_counter() - started
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert result.exit_code == 3
    assert (
        result.stdout == "Imported bomb.bib as source 1: 2 records (bibtex, Other), 10 rejected\n"
    )
    rejected = result.stderr.splitlines()
    # s16 would be 1,048,576 characters: refused, and every @string and entry built on it
    assert rejected[0] == (
        "  rejected bomb.bib:18: @string 's16' not defined: @string macros would add "
        "1,048,567 characters (at most 1,000,000) [@string{s16 = s15 # s15]"
    )
    assert rejected[1] == (
        "  rejected bomb.bib:19: @string 's17' not defined: uses @string 's16', refused at "
        "line 18 [@string{s17 = s16 # s16]"
    )
    assert (
        rejected[-1]
        == "  rejected bomb.bib:27: uses @string 's24', refused at line 26 [@article{bomb]"
    )
    assert [t for t, _ in titles_and_authors(review)] == ["Before", "After"]
    assert peak < 40_000_000, f"{peak:,} bytes"
    assert seconds < 5, seconds  # (well under a second unloaded; tracemalloc slows it)


def test_macros_may_add_at_most_a_megabyte_to_one_entry(review: Path, tmp_path: Path) -> None:
    lines = ['@string{s0 = "abcdefghijklmnop"}']  # s15: 524,288 characters
    lines += [f"@string{{s{n} = s{n - 1} # s{n - 1}}}" for n in range(1, 16)]
    lines.append("@article{one, title = s15, author = {Doe, J}}")
    lines.append("@article{two, title = s15, abstract = s15, author = {Roe, R}}")
    lines.append("@article{three, title = {Three}, author = {Poe, E}}")
    export = tmp_path / "big.bib"
    export.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = run_import(review, export, "--database", "Other")
    assert result.exit_code == 3
    assert result.stderr == (
        "  rejected big.bib:18: @string macros would add 524,285 characters (at most 475,715) "
        "[@article{two]\n"
    )
    assert [len(t) for t, _ in titles_and_authors(review)] == [524_288, 5]


def test_macros_may_add_at_most_so_much_to_a_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bibtex, "_FILE_EXPANSION", 1000)
    text = (
        "@string{j = {"
        + "J" * 300
        + "}}\n"
        + "".join(f"@article{{k{n}, title = {{T{n}}}, journal = j}}\n" for n in range(5))
    )
    result = bibtex.parse(text)
    assert [r.title for r in result.records] == ["T0", "T1", "T2"]  # 3 x 299 added
    assert [(f.line, f.excerpt) for f in result.failures] == [
        (5, "@article{k3"),
        (6, "@article{k4"),
    ]
    assert all("at most" in f.reason for f in result.failures)
