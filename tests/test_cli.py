"""The command line through click's CliRunner: exact output and exit codes."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from slr.cli import main
from slr.store import Review
from slr.store.schema import SCHEMA_VERSION

RIS = (
    "TY  - JOUR\n"
    "TI  - Cross-border e-commerce and SME exports\n"
    "AU  - Smith, John\n"
    "AU  - Doe, Jane\n"
    "PY  - 2021\n"
    "T2  - Journal of Testing\n"
    "DO  - 10.1000/test.1\n"
    "AB  - We study exports.\n"
    "DB  - Scopus\n"
    "ER  - \n"
    "\n"
    "TY  - JOUR\n"
    "TI  - Influencers and trust\n"
    "AU  - Tan, Mei\n"
    "PY  - 2020\n"
    "DB  - Scopus\n"
    "ER  - \n"
)


def ris_entry(number: int, title: str | None = None) -> str:
    title_line = f"TI  - {title or f'Study number {number}'}\n" if title != "" else ""
    return f"TY  - JOUR\n{title_line}PY  - 2020\nER  - \n\n"


@pytest.fixture
def review(tmp_path: Path, runner: CliRunner) -> Path:
    path = tmp_path / "rev"
    result = runner.invoke(main, ["init", str(path), "--title", "Test review"])
    assert result.exit_code == 0, result.output
    return path


def write(path: Path, text: str | bytes) -> Path:
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def snapshot(review: Path) -> tuple[int, int, list[str]]:
    with Review.open(review) as opened:
        return (
            opened.record_count(),
            len(opened.sources()),
            sorted(p.name for p in (review / "sources").iterdir()),
        )


def test_init_creates_the_review_directory(tmp_path: Path, runner: CliRunner) -> None:
    protocol = write(tmp_path / "p.toml", "[review]\ntitle = 'x'\n")
    target = tmp_path / "new"
    result = runner.invoke(main, ["init", str(target), "--protocol", str(protocol)])
    assert result.exit_code == 0
    assert result.output == (
        f"Created review 'x' in {target}\n"  # the protocol's [review] title
        "Protocol: p.toml (copied to protocol.toml)\n"
        f"Next: slr import --review {target} EXPORT_FILE...\n"
    )
    assert (target / "protocol.toml").read_text() == "[review]\ntitle = 'x'\n"
    assert (target / "sources").is_dir()
    db = sqlite3.connect(target / "review.db")
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def test_init_refuses_an_existing_review(review: Path, runner: CliRunner) -> None:
    result = runner.invoke(main, ["init", str(review)])
    assert result.exit_code == 1
    assert result.output == f"Error: {review} already holds a review; use another directory\n"


def test_commands_outside_a_review_say_what_to_do(tmp_path: Path, runner: CliRunner) -> None:
    result = runner.invoke(main, ["status", "--review", str(tmp_path)])
    assert result.exit_code == 1
    assert result.output == (
        f"Error: {tmp_path} is not a review (no review.db); run `slr init DIR` to create one, "
        "or name it with --review DIR\n"
    )


def test_import_status_show_export(review: Path, tmp_path: Path, runner: CliRunner) -> None:
    export = write(tmp_path / "scopus.ris", RIS)
    result = runner.invoke(
        main,
        [
            "import",
            "--review",
            str(review),
            str(export),
            "--search-string",
            "TITLE-ABS(sme)",
            "--searched-on",
            "2026-01-15",
        ],
    )
    assert result.exit_code == 0, result.output
    assert result.output == "Imported scopus.ris as source 1: 2 records (ris/scopus, Scopus)\n"
    assert (review / "sources" / "001_scopus.ris").read_bytes() == export.read_bytes()

    result = runner.invoke(main, ["status", "--review", str(review)])
    assert result.exit_code == 0
    assert result.output == (
        "Review: Test review\n"
        "Sources: 1\n"
        "  id  file        format  database  searched on  records  rejected\n"
        "   1  scopus.ris  ris     Scopus    2026-01-15         2         0\n"
        "Records:\n"
        "  identified                            2\n"
        "  marked duplicate                      0\n"
        "  unique                                2\n"
        "  title/abstract: no decision yet       2\n"
        "  included in the review                0\n"
        "Waiting for a reviewer:\n"
        "  title_abstract: 2 records (`slr screen`)\n"
    )
    status = json.loads(runner.invoke(main, ["status", "--review", str(review), "--json"]).output)
    assert [
        (s["file"], s["records"], s["failures"], s["search_string"]) for s in status["sources"]
    ] == [("scopus.ris", 2, 0, "TITLE-ABS(sme)")]

    result = runner.invoke(main, ["show", "--review", str(review), "1"])
    assert result.exit_code == 0
    assert "title: Cross-border e-commerce and SME exports\n" in result.output
    assert "authors:\n  - Smith, John\n  - Doe, Jane\n" in result.output
    assert "source: scopus.ris (source 1, entry 1, line 1)\n" in result.output

    result = runner.invoke(main, ["show", "--review", str(review), "99"])
    assert result.exit_code == 1
    assert result.output == (
        "Error: no record with id 99; `slr export --format csv` lists every record id\n"
    )

    out = tmp_path / "all.csv"
    result = runner.invoke(
        main, ["export", "--review", str(review), "--format", "csv", "--out", str(out)]
    )
    assert result.exit_code == 0
    assert result.output == f"Wrote 2 records to {out}\n"
    assert (
        out.read_text(encoding="utf-8")
        .splitlines()[1]
        .startswith('1,Cross-border e-commerce and SME exports,"Smith, John; Doe, Jane",2021,')
    )


def test_importing_the_same_file_twice_needs_again(
    review: Path, tmp_path: Path, runner: CliRunner
) -> None:
    export = write(tmp_path / "a.ris", RIS)
    assert runner.invoke(main, ["import", "--review", str(review), str(export)]).exit_code == 0
    result = runner.invoke(main, ["import", "--review", str(review), str(export)])
    assert result.exit_code == 1
    assert result.output.startswith("Error: a.ris was already imported as source 1 (a.ris, ")
    assert result.output.endswith("); use --again to import it a second time\n")
    assert snapshot(review) == (2, 1, ["001_a.ris"])
    result = runner.invoke(main, ["import", "--review", str(review), "--again", str(export)])
    assert result.exit_code == 0
    assert snapshot(review) == (4, 2, ["001_a.ris", "002_a.ris"])


def test_one_bad_entry_among_many_is_reported_and_the_rest_imported(
    review: Path, tmp_path: Path, runner: CliRunner
) -> None:
    entries = [ris_entry(n) for n in range(1, 1001)]
    entries[499] = ris_entry(500, title="")  # no title, DOI or author: nothing to import
    export = write(tmp_path / "big.ris", "".join(entries))
    result = runner.invoke(
        main, ["import", "--review", str(review), "--database", "Scopus", str(export)]
    )
    assert result.exit_code == 3
    assert result.stdout == "Imported big.ris as source 1: 999 records (ris, Scopus), 1 rejected\n"
    assert "  rejected big.ris:2496: " in result.stderr
    assert snapshot(review)[0] == 999
    with Review.open(review) as opened:  # source_index is the entry's place in the file
        assert [opened.get(n).source_index for n in (499, 500, 999)] == [499, 501, 1000]
    status = json.loads(runner.invoke(main, ["status", "--review", str(review), "--json"]).output)
    assert status["sources"][0]["failures"] == 1


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.ris", b"", "Error: empty.ris is empty; export the search results again\n"),
        (
            "scan.pdf",
            b"%PDF-1.4\n\x00\x01\x02\x03binary\x00\x00",
            "Error: scan.pdf is a binary file, not a search export; export the results as RIS, "
            "BibTeX, CSV or plain text\n",
        ),
        (
            "notes.txt",
            b"Dear colleague,\nhere are my notes about the review.\n",
            "Error: notes.txt: format not recognised from its content; name it with --format",
        ),
    ],
)
def test_refused_files_change_nothing(
    review: Path, tmp_path: Path, runner: CliRunner, name: str, content: bytes, message: str
) -> None:
    good = write(tmp_path / "good.ris", RIS)
    bad = write(tmp_path / name, content)
    before = snapshot(review)
    result = runner.invoke(main, ["import", "--review", str(review), str(good), str(bad)])
    assert result.exit_code == 1
    assert result.output.startswith(message)
    assert result.output.count("\n") == 1
    assert snapshot(review) == before


def test_bad_search_date_is_refused(review: Path, tmp_path: Path, runner: CliRunner) -> None:
    export = write(tmp_path / "a.ris", RIS)
    result = runner.invoke(
        main, ["import", "--review", str(review), str(export), "--searched-on", "15/01/2026"]
    )
    assert result.exit_code == 1
    assert result.output == (
        "Error: --searched-on '15/01/2026' is not a date; give the date of the search as "
        "YYYY-MM-DD\n"
    )


def test_wrong_extension_is_detected_by_content(
    review: Path, tmp_path: Path, runner: CliRunner
) -> None:
    export = write(tmp_path / "results.csv", RIS)
    result = runner.invoke(main, ["import", "--review", str(review), str(export)])
    assert result.exit_code == 0
    assert result.output == "Imported results.csv as source 1: 2 records (ris/scopus, Scopus)\n"


def test_newer_schema_is_refused(review: Path, runner: CliRunner) -> None:
    db = sqlite3.connect(review / "review.db")
    db.execute("PRAGMA user_version = 99")
    db.close()
    result = runner.invoke(main, ["status", "--review", str(review)])
    assert result.exit_code == 1
    assert result.output == (
        "Error: this review was written by a newer slr (schema 99; this slr knows up to "
        f"{SCHEMA_VERSION}); "
        "upgrade slr (pip install -U slr) before opening this review\n"
    )


def test_log_is_written_by_the_database_and_append_only(
    review: Path, tmp_path: Path, runner: CliRunner
) -> None:
    runner.invoke(main, ["import", "--review", str(review), str(write(tmp_path / "a.ris", RIS))])
    with Review.open(review) as opened:
        log = opened.log()
        assert [(row["action"], row["entity"]) for row in log] == [
            ("create", "review"),
            ("insert", "source"),
        ]
        detail = json.loads(log[1]["detail"])
        assert (detail["records"], detail["first_record"], detail["last_record"]) == (2, 1, 2)
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            opened.db.execute("DELETE FROM log")
        with pytest.raises(sqlite3.IntegrityError):
            opened.db.execute("INSERT INTO records (source_id, source_index) VALUES (42, 1)")


def test_help_documents_exit_codes(runner: CliRunner) -> None:
    result = runner.invoke(main, ["--help"])
    assert "3 done, but some entries were rejected" in result.output


def test_other_csv_needs_and_takes_a_column_map(
    review: Path, tmp_path: Path, runner: CliRunner
) -> None:
    export = write(
        tmp_path / "sheet.csv",
        "Name of paper;Writers;When\nJastip in Jakarta;"
        "Sari, D.;2024\nDaigou networks;Li, Y.;2019\n",
    )
    result = runner.invoke(main, ["import", "--review", str(review), str(export)])
    assert result.exit_code == 1
    assert result.output.startswith("Error: sheet.csv:1: ")
    assert "--map" in result.output
    result = runner.invoke(
        main,
        [
            "import",
            "--review",
            str(review),
            str(export),
            "--database",
            "Hand search",
            "--method",
            "other",
            "--map",
            "title=Name of paper",
            "--map",
            "authors=Writers",
            "--map",
            "year=When",
        ],
    )
    assert result.exit_code == 0, result.output
    assert result.output == "Imported sheet.csv as source 1: 2 records (csv, Hand search)\n"
    with Review.open(review) as opened:
        titles = [
            (s.record.title, s.record.year, s.record.authors[0].family)
            for s in opened.iter_records()
        ]
        assert opened.sources()[0]["method"] == "other"
    assert titles == [("Jastip in Jakarta", 2024, "Sari"), ("Daigou networks", 2019, "Li")]
    result = runner.invoke(
        main, ["import", "--review", str(review), str(export), "--again", "--map", "title"]
    )
    assert result.exit_code == 1
    assert result.output == (
        "Error: --map 'title' is not FIELD=COLUMN; write it like --map title=\"Article Title\"\n"
    )


def test_every_command_module_is_in_the_lazy_table() -> None:
    import importlib
    import pkgutil

    import slr.cli
    from slr.cli import COMMAND_MODULES

    found = {}
    for module_info in pkgutil.iter_modules(slr.cli.__path__):
        module = importlib.import_module(f"slr.cli.{module_info.name}")
        for command in getattr(module, "COMMANDS", ()):
            found[command.name] = module_info.name
    assert found == COMMAND_MODULES


def test_import_command_does_not_load_the_graph_libraries() -> None:
    code = (
        "import sys\nfrom slr.cli import main\n"
        "main.get_command(None, 'import')\n"
        "print(sorted(m for m in ('networkx', 'pyvis', 'numpy') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def _journal_mode(review: Path) -> str:
    db = sqlite3.connect(review / "review.db")
    try:
        return db.execute("PRAGMA journal_mode").fetchone()[0]
    finally:
        db.close()


@pytest.mark.parametrize("other_reader", [False, True], ids=["alone", "with-a-reader"])
def test_import_goes_back_to_wal_and_is_all_or_nothing(
    review: Path, tmp_path: Path, runner: CliRunner, other_reader: bool
) -> None:
    good = write(tmp_path / "good.ris", RIS)
    empty = write(tmp_path / "empty.ris", "")
    reader = Review.open(review) if other_reader else None
    try:
        if reader is not None:
            reader.db.execute("BEGIN")
            assert reader.record_count() == 0  # holds a read snapshot during the import
        refused = runner.invoke(main, ["import", "--review", str(review), str(good), str(empty)])
        assert refused.exit_code == 1
        assert snapshot(review) == (0, 0, [])
        done = runner.invoke(main, ["import", "--review", str(review), str(good)])
        assert done.exit_code == 0, done.output
        if reader is not None:
            assert reader.record_count() == 0  # its snapshot is untouched
            reader.db.execute("COMMIT")
            assert reader.record_count() == 2
    finally:
        if reader is not None:
            reader.close()
    assert _journal_mode(review) == "wal"
    assert snapshot(review) == (2, 1, ["001_good.ris"])


def test_an_import_keeps_the_review_in_wal_mode_for_its_readers(review: Path) -> None:
    with Review.open(review) as opened, opened.import_transaction():
        assert opened.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        with Review.open(review) as reader:  # reads while the import holds the write lock
            assert reader.record_count() == 0


def test_raw_fields_are_stored_as_plain_json_and_read_back_whole(
    review: Path, tmp_path: Path
) -> None:
    from slr.importing import import_files

    export = write(tmp_path / "a.ris", RIS)
    with Review.open(review) as opened:
        import_files(opened, [export])
        stored = opened.get(1).record
        assert stored.raw["AB"] == stored.abstract == "We study exports."
        assert stored.raw["TI"] == stored.title
        row = opened.db.execute("SELECT raw FROM records WHERE id = 1").fetchone()[0]
        assert json.loads(row) == stored.raw  # plain JSON: any SQLite client reads it
        # a raw text that starts with NUL itself is kept as it was
        record = stored
        record.raw = {**record.raw, "N1": "\x00=title", "N2": "\x00\x00x"}
        from slr.store.review import SourceInfo

        info = SourceInfo("b.ris", export, 1, "h", "ris", "", "utf-8", "Scopus")
        with opened.import_transaction():
            opened.add_source(info, [record], [])
        again = opened.get(opened.record_count()).record
        assert again.raw == record.raw


def test_a_new_review_has_large_pages(review: Path) -> None:
    db = sqlite3.connect(review / "review.db")
    try:
        assert db.execute("PRAGMA page_size").fetchone()[0] == 16384
    finally:
        db.close()


# -- which review a command works on ----------------------------------------------------------


def test_review_named_on_the_group_or_found_from_a_subfolder(
    review: Path, tmp_path: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    first_line = "Review: Test review\n"
    result = runner.invoke(main, ["--review", str(review), "status"])
    assert (result.exit_code, result.output[: len(first_line)]) == (0, first_line)
    # the same review named twice is one review; two different ones are a usage error
    same = runner.invoke(main, ["--review", str(review), "status", "--review", str(review)])
    assert same.exit_code == 0
    clash = runner.invoke(main, ["--review", str(review), "status", "--review", str(tmp_path)])
    assert clash.exit_code == 2
    assert f"Error: --review names two reviews: {review} and {tmp_path}\n" in clash.output
    # from a subfolder, as git finds its repository
    deeper = review / "notes" / "drafts"
    deeper.mkdir(parents=True)
    monkeypatch.chdir(deeper)
    result = runner.invoke(main, ["status"])
    assert (result.exit_code, result.output[: len(first_line)]) == (0, first_line)
    # SLR_REVIEW still names it, and a folder outside any review is still not a review
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    monkeypatch.chdir(outside)
    assert runner.invoke(main, ["status"], env={"SLR_REVIEW": str(review)}).output.startswith(
        first_line
    )
    result = runner.invoke(main, ["status"])
    assert result.exit_code == 1
    assert result.output.startswith("Error: . is not a review (no review.db)")


def test_one_is_singular_and_ris_records_start_with_their_type(
    review: Path, tmp_path: Path, runner: CliRunner
) -> None:
    from slr.normalize.words import counted

    assert [counted(n, "study") for n in (0, 1, 2)] == ["0 studies", "1 study", "2 studies"]
    assert counted(1234, "record", grouped=True) == "1,234 records"
    export = write(tmp_path / "one.ris", ris_entry(1))
    result = runner.invoke(main, ["import", "--review", str(review), str(export)])
    assert "Imported one.ris as source 1: 1 record (ris, database unknown)\n" in result.output
    out = tmp_path / "out.ris"
    result = runner.invoke(
        main, ["export", "--review", str(review), "--format", "ris", "--out", str(out)]
    )
    assert result.output == f"Wrote 1 record to {out}\n"
    assert out.read_text(encoding="utf-8").startswith("TY  - JOUR\n")  # no "1." line before it
    result = runner.invoke(main, ["query", "--review", str(review), "study", "--count"])
    assert result.output == "1 of 1 record match\n"


def test_status_says_what_waits_for_a_reviewer_and_that_the_protocol_is_missing(
    demo: Path, runner: CliRunner
) -> None:
    result = runner.invoke(main, ["status", "--review", str(demo)])
    assert result.exit_code == 0
    assert result.output.endswith(
        "  title/abstract: flagged by rules, awaiting a reviewer      90\n"
        "  full text: flagged by rules, awaiting a reviewer            6\n"
        "  full text: no decision yet                                  1\n"
        "  included in the review                                      0\n"
        "Waiting for a reviewer:\n"
        "  title_abstract: 90 records (`slr screen`)\n"
        "  full_text: 7 records (`slr screen --stage full_text`)\n"
    )
    (demo / "protocol.toml").unlink()
    result = runner.invoke(main, ["status", "--review", str(demo)])
    assert (result.exit_code, result.output) == (
        1,
        "Error: the review's protocol protocol.toml (the copy of msme-digital-drivers.toml made "
        f"by `slr init`) is missing from {demo}; copy the protocol back: cp "
        f"msme-digital-drivers.toml {demo / 'protocol.toml'}\n",
    )


def test_a_review_named_for_init_or_run_is_refused_not_ignored(
    review: Path, tmp_path: Path, runner: CliRunner
) -> None:
    result = runner.invoke(main, ["--review", str(review), "run", "--out", str(tmp_path / "x")])
    assert result.exit_code == 2
    assert result.output.endswith(
        "Error: slr run takes no --review: name the review's directory with --out DIR\n"
    )
    result = runner.invoke(main, ["--review", str(review), "init", str(tmp_path / "y")])
    assert result.exit_code == 2
    assert not (tmp_path / "y").exists()
