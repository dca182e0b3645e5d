"""Hostile text in a review never becomes a formula in a spreadsheet, markup in a Markdown page,
or a path out of the review: every CSV, XLSX and Markdown writer through the CLI, and a crafted
review.db."""

from __future__ import annotations

import csv
import io
import os
import re
import sqlite3
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner
from markdown_it import MarkdownIt
from openpyxl import load_workbook

from slr.cells import markdown_cell, safe_cell
from slr.cli import main

HOSTILE = "<script>alert(1)</script> [x](javascript:alert(1)) | a"
HYPERLINK = '=HYPERLINK("http://evil.example","click")'
PROTOCOL = f"""
[review]
title = "Safety"

[vocabularies.drivers]
cbec = ["e-commerce"]
influencer = ["influencer*"]

[extraction.fields]
notes = "Notes"

[screening]
exclusion_reasons = ["{HOSTILE}", "Other"]
"""
# the RIS importer decodes HTML entities in titles and drops the tags they make (JATS in Lens
# exports), so the record's title keeps only the script's text and the Markdown link; the tags
# reach the outputs through the author, the exclusion reason and the database name
RIS = (
    f"TY  - JOUR\nTI  - {HYPERLINK}\nAU  - @Attacker, A.\nAB  - e-commerce and influencers\n"
    "PY  - 2021\nT2  - -5 Journal\nER  - \n\n"
    "TY  - JOUR\nTI  - &lt;script&gt;alert(1)&lt;/script&gt; [x](javascript:alert(1)) | a\n"
    "AU  - <img src=x onerror=alert(1)>, B.\nAB  - influencer e-commerce\nPY  - 2020\n"
    "ER  - \n\n"
    "TY  - JOUR\nTI  - ＝1+1 full width\nAU  - Plain, C.\nAB  - e-commerce influencers\n"
    "PY  - 2022\nER  - \n\n"
)
DRIVERS = "cbec; influencer"
TITLE = "alert(1) [x](javascript:alert(1)) | a"
# what a spreadsheet runs as a formula (OWASP, plus LF and full-width forms)
FORMULA = re.compile(r"[\t\r\n]|[\s\x00-\x1f]*[=+\-@＝＋－＠]")


def run(*args: str, input: str | None = None, path: str | None = None) -> tuple[int, str]:
    env = {"PATH": path} if path is not None else None
    result = CliRunner().invoke(main, list(args), input=input, env=env)
    return result.exit_code, result.output


def output_of(*args: str) -> str:
    code, output = run(*args)
    assert code == 0, output
    return output


@pytest.fixture
def review(tmp_path: Path) -> Path:
    """Three records with hostile titles, authors, a journal, database, search string,
    extraction values and an exclusion reason, each in a file named like a formula."""
    (tmp_path / "p.toml").write_text(PROTOCOL, encoding="utf-8")
    (tmp_path / "=cmd.ris").write_text(RIS, encoding="utf-8")
    path = tmp_path / "rev"
    assert run("init", str(path), "--protocol", str(tmp_path / "p.toml"))[0] == 0
    code, output = run(
        "import",
        str(tmp_path / "=cmd.ris"),
        "--review",
        str(path),
        "--database",
        HOSTILE,
        "--search-string",
        f"=1+1 {HOSTILE}",
    )
    assert code == 0, output
    for record_id in (1, 2, 3):
        output_of("extract", "edit", str(record_id), "--set", "notes=-5", "--review", str(path))
    # `slr extract edit` strips values; a review.db from elsewhere may hold anything
    db = sqlite3.connect(path / "review.db")
    try:
        with db:
            for record_id, notes in ((1, "\t=1+1"), (2, "\r=1+1")):
                db.execute(
                    "UPDATE extraction_values SET value = ? WHERE record_id = ?", (notes, record_id)
                )
    finally:
        db.close()
    assert run("tag", "--stage", "all", "--review", str(path))[0] == 0
    return path


def read_csv(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def assert_no_formula(rows: list[list[str]]) -> None:
    for row in rows:
        for cell in row:
            assert not FORMULA.match(cell) or cell.startswith("'"), (cell, row)


# -- spreadsheets ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-5", "'-5"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1+1", "'\r=1+1"),
        ("\n=1+1", "'\n=1+1"),
        ("＝1+1", "'＝1+1"),
        ("＋1", "'＋1"),
        ("－1", "'－1"),
        ("＠x", "'＠x"),
        (" =1+1", "' =1+1"),
        ("12-14", "12-14"),
        ("a=b", "a=b"),
        ("", ""),
        (-12, -12),  # a real number stays a number
        (2021, 2021),
    ],
)
def test_safe_cell(value: object, cell: object) -> None:
    assert safe_cell(value) == cell


def test_extraction_matrix_csv_and_xlsx_hold_no_formula(review: Path, tmp_path: Path) -> None:
    code, output = run("extract", "--stage", "all", "--review", str(review))
    assert code == 0
    journal, image = "'-5 Journal", "<img src=x onerror=alert(1)> (2020)"
    assert read_csv(output) == [
        ["id", "author_year", "title", "year", "period", "source", "doi", "drivers", "notes"],
        ["1", "'@Attacker (2021)", f"'{HYPERLINK}", "2021", "", journal, "", DRIVERS, "'\t=1+1"],
        ["2", image, TITLE, "2020", "", "", "", DRIVERS, "'\n=1+1"],  # a lone CR: a line break
        ["3", "Plain (2022)", "'＝1+1 full width", "2022", "", "", "", DRIVERS, "'-5"],
    ]

    xlsx = tmp_path / "matrix.xlsx"
    code, output = run(
        "extract", "--stage", "all", "--format", "xlsx", "-o", str(xlsx), "--review", str(review)
    )
    assert (code, output) == (0, f"Wrote 3 studies (all) to {xlsx}\n")
    sheet = load_workbook(xlsx).active
    assert sheet is not None
    cells = [cell for row in sheet.iter_rows() for cell in row]
    assert [c.coordinate for c in cells if c.data_type not in ("s", "n")] == []
    assert [(c.value, c.data_type) for c in sheet[2]][:4] == [
        (1, "n"),  # id and year stay numbers
        ("'@Attacker (2021)", "s"),
        (f"'{HYPERLINK}", "s"),
        (2021, "n"),
    ]
    values = [
        ["" if v is None else str(v) for v in row] for row in sheet.iter_rows(values_only=True)
    ]
    assert values == read_csv(output_of("extract", "--stage", "all", "--review", str(review)))


def test_every_csv_slr_writes_holds_no_formula(review: Path, tmp_path: Path) -> None:
    rev = str(review)
    # a full-text exclusion with the hostile reason, and two reviewers' notes
    assert run("screen", "--review", rev, "--reviewer", "ana", "--order", "id", input="iii")[0] == 0
    assert (
        run("screen", "--review", rev, "--reviewer", "ana", "--stage", "full_text", input="e1")[0]
        == 0
    )
    assert (
        run("screen", "--review", rev, "--reviewer", "ben", "--order", "id", input="n=1+1\ni")[0]
        == 0
    )
    graph, table = tmp_path / "graph.csv", tmp_path / "synergy.csv"
    output_of(
        "graph", "cooccurrence", "--stage", "all", "--bipartite", "-o", str(graph), "--review", rev
    )
    output_of("graph", "cooccurrence", "--stage", "all", "--table", str(table), "--review", rev)
    report, agreement = tmp_path / "dedup.csv", tmp_path / "agreement.csv"
    output_of("dedup", "--report", str(report), "--review", rev)
    run("screen", "agreement", "--csv", str(agreement), "--review", rev)
    outputs = {
        "graph": graph.read_text(encoding="utf-8"),
        "synergy": table.read_text(encoding="utf-8"),
        "dedup": report.read_text(encoding="utf-8"),
        "agreement": agreement.read_text(encoding="utf-8"),
        "export": output_of("export", "--format", "csv", "--review", rev),
        "asreview": output_of("export", "--format", "asreview", "--review", rev),
        "prisma": output_of("prisma", "--format", "csv", "--review", rev),
        "searches": output_of("prisma", "--searches", "--format", "csv", "--review", rev),
    }  # fmt: skip
    for name, text in outputs.items():
        rows = read_csv(text)
        assert len(rows) > 1, name
        assert_no_formula(rows)
    graph_rows = read_csv(outputs["graph"])
    assert ["s1", "cbec", "'@Attacker (2021)", "cbec", "1", "1", "1"] in graph_rows
    assert read_csv(outputs["dedup"])[1][:2] == ["1", "'=cmd.ris"]
    agreement_rows = read_csv(outputs["agreement"])
    assert agreement_rows[0][:5] == ["record_id", "title", "ana_decision", "ana_reason", "ana_note"]
    assert agreement_rows[1][1] == f"'{HYPERLINK}"
    assert agreement_rows[1][-2] == "'=1+1"  # ben's note
    searches = read_csv(outputs["searches"])
    assert searches[1][1:5] == ["'=cmd.ris", HOSTILE, "database", f"'=1+1 {HOSTILE}"]


# -- Markdown --------------------------------------------------------------------------------

# HTML on, as in the renderers that pass raw HTML through (GitHub strips some; many do not)
RENDERER = MarkdownIt("commonmark", {"html": True}).enable("table")


def test_markdown_cell() -> None:
    assert markdown_cell(HOSTILE) == (
        r"&lt;script&gt;alert(1)&lt;/script&gt; \[x\](javascript:alert(1)) \| a"
    )
    assert (
        markdown_cell("a\\b `c` *d* _e_ &amp;\nf\r\n  g") == r"a\\b \`c\` \*d\* \_e\_ &amp;amp; f g"
    )
    assert markdown_cell(2021) == "2021"


def assert_inert(markdown: str) -> None:
    """No tag, no javascript link when rendered, and every table row has its table's cells."""
    html = RENDERER.render(markdown)
    assert not re.search(r"<(script|img|b)\b", html), html
    assert "href" not in html, html
    for table in re.findall(r"<table>.*?</table>", html, re.DOTALL):
        counts = {
            len(re.findall(r"<t[hd][ >]", row))
            for row in re.findall(r"<tr>.*?</tr>", table, re.DOTALL)
        }
        assert len(counts) == 1, table


def test_every_markdown_output_is_inert(review: Path, tmp_path: Path) -> None:
    rev = str(review)
    assert run("screen", "--review", rev, "--reviewer", "ana", "--order", "id", input="iii")[0] == 0
    assert (
        run("screen", "--review", rev, "--reviewer", "ana", "--stage", "full_text", input="e1")[0]
        == 0
    )
    table = tmp_path / "synergy.md"
    output_of("graph", "cooccurrence", "--stage", "all", "--table", str(table), "--review", rev)
    outputs = {
        "extract": output_of("extract", "--stage", "all", "--format", "md", "--review", rev),
        "synergy": table.read_text(encoding="utf-8"),
        "prisma": output_of("prisma", "--review", rev),
        "searches": output_of("prisma", "--searches", "--review", rev),
    }
    escaped = markdown_cell(HOSTILE)
    for name, text in outputs.items():
        assert "<" not in text, name
        assert_inert(text)
    title = markdown_cell(TITLE)
    assert outputs["extract"].splitlines()[3] == (
        f"| 2 | &lt;img src=x onerror=alert(1)&gt; (2020) | {title} | 2020 |  |  |  | "
        "cbec; influencer | =1+1 |"  # (Markdown is no spreadsheet: "=" stays)
    )
    assert "&lt;img src=x onerror=alert(1)&gt; (2020) [#2]" in outputs["synergy"]
    assert f"| dbr\\_excluded | Reports excluded | 1 ({escaped}, 1) |" in outputs["prisma"]
    assert (
        f"| 1 | =cmd.ris | {escaped} | database | =1+1 {escaped} | - | 3 |" in outputs["searches"]
    )


# -- paths stored in review.db ---------------------------------------------------------------


def add_fulltext_row(review: Path, record_id: int, path: str) -> None:
    db = sqlite3.connect(review / "review.db")
    try:
        with db:
            db.execute(
                "INSERT INTO fulltext_files (record_id, path, original_name, sha256, attached_at) "
                "VALUES (?, ?, 'x', '', '2026-01-01T00:00:00Z')",
                (record_id, path),
            )
    finally:
        db.close()


def refused(stored: str, record_id: int) -> str:
    return (
        f"Error: {stored!r} in review.db is outside the review's fulltext/ folder: refused, "
        "nothing was read, written or deleted; review.db was changed outside slr: restore it "
        f"from a backup, or run `slr fulltext missing {record_id} --reason ... --detach` and "
        "attach the report again\n"
    )


@pytest.mark.parametrize("stored", ["../victim.txt", "fulltext/../../victim.txt", "/VICTIM"])
def test_a_stored_full_text_outside_the_review_is_never_deleted_read_or_opened(
    review: Path, tmp_path: Path, stored: str
) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("influencer e-commerce secret\n", encoding="utf-8")
    stored = stored.replace("/VICTIM", str(victim))
    add_fulltext_row(review, 2, stored)
    report = tmp_path / "report.txt"
    report.write_text("the report\n", encoding="utf-8")

    assert run("fulltext", "attach", "2", str(report), "--review", str(review)) == (
        1,
        refused(stored, 2),
    )
    assert run("tag", "--stage", "all", "--review", str(review)) == (1, refused(stored, 2))
    # the screen's `o` key says so and opens nothing (and no viewer could be found: PATH empty)
    assert (
        run("screen", "--review", str(review), "--reviewer", "ana", "--order", "id", input="iii")[0]
        == 0
    )
    code, output = run(
        "screen", "--review", str(review), "--reviewer", "ana", "--stage", "full_text",
        input="io", path=str(tmp_path / "no-bin"),
    )  # fmt: skip
    assert code == 0
    assert "Not opened: its path in review.db is outside the review (slr fulltext list)" in output
    assert victim.read_text(encoding="utf-8") == "influencer e-commerce secret\n"
    assert not (review / "fulltext" / "2_report.txt").exists()

    # the way out the hint names: the entry replaced, the report attached, the victim kept
    detached = run("fulltext", "missing", "2", "--reason", "x", "--detach", "--review", str(review))
    assert detached == (0, "Record 2: report not retrieved (x)\nDetached and deleted: x\n")
    assert run("fulltext", "attach", "2", str(report), "--review", str(review)) == (
        0,
        "Attached report.txt to record 2 (fulltext/2_report.txt)\n"
        "Record 2 is no longer marked not retrieved (x)\n",
    )
    assert victim.is_file()


def test_a_fulltext_folder_linked_out_of_the_review_is_refused(
    review: Path, tmp_path: Path
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (review / "fulltext").symlink_to(outside)
    report = tmp_path / "report.txt"
    report.write_text("the report\n", encoding="utf-8")
    assert run("fulltext", "attach", "1", str(report), "--review", str(review)) == (
        1,
        refused("fulltext/1_report.txt", 1),
    )
    assert list(outside.iterdir()) == []


def test_a_protocol_copy_outside_the_review_is_refused(review: Path) -> None:
    db = sqlite3.connect(review / "review.db")
    try:
        with db:
            db.execute("UPDATE meta SET value = '../p.toml' WHERE key = 'protocol'")
    finally:
        db.close()
    assert run("extract", "--review", str(review)) == (
        1,
        "Error: '../p.toml' in review.db is outside the review folder: refused, nothing was "
        "read, written or deleted; review.db was changed outside slr: restore it from a backup\n",
    )


@pytest.mark.parametrize("mode", [0o600, 0o640, 0o644, 0o755])
def test_an_attached_full_text_keeps_its_permissions_or_fewer(
    review: Path, tmp_path: Path, mode: int
) -> None:
    report = tmp_path / "report.txt"
    report.write_bytes(b"private")
    report.chmod(mode)
    umask = os.umask(0)
    os.umask(umask)
    assert run("fulltext", "attach", "1", str(report), "--review", str(review))[0] == 0
    copied = review / "fulltext" / "1_report.txt"
    assert stat.S_IMODE(copied.stat().st_mode) == mode & 0o666 & ~umask
    assert copied.read_bytes() == b"private"
    # attached again (a newer version): the same permissions, no file left aside
    report.write_bytes(b"private v2")
    assert run("fulltext", "attach", "1", str(report), "--review", str(review))[0] == 0
    assert stat.S_IMODE(copied.stat().st_mode) == mode & 0o666 & ~umask
    assert sorted(p.name for p in (review / "fulltext").iterdir()) == ["1_report.txt"]
