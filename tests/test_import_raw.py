"""`raw` is plain JSON of the export's own fields, readable by any SQLite client; warnings are
stored as data (file, line, kind, message); reviews written with the old packing are rewritten."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from conftest import EXPORTS
from hypothesis import given
from hypothesis import strategies as st

from slr.importers import read_file
from slr.importing import ImportOptions, import_files
from slr.models import Record
from slr.store import Review
from slr.store.schema import _v7_plain_raw

DATA = Path(__file__).parent / "data" / "imports"
FILES = [
    EXPORTS / "scopus.csv",
    EXPORTS / "wos.txt",
    EXPORTS / "ebsco.ris",
    EXPORTS / "scholar.bib",
]


def test_every_raw_reads_back_with_sqlite3_and_json_alone(tmp_path: Path) -> None:
    files = [*FILES, *sorted(p for p in DATA.iterdir() if p.suffix != ".md")]
    with Review.create(tmp_path / "review") as review:
        for path in files:
            import_files(review, [path], ImportOptions(database="Test"))
    expected = [record.raw for path in files for record in read_file(path).result.records]
    with sqlite3.connect(tmp_path / "review" / "review.db") as db:
        stored = [json.loads(raw) for (raw,) in db.execute("SELECT raw FROM records ORDER BY id")]
        assert not db.execute("SELECT count(*) FROM records WHERE raw LIKE '%\\u0000%'").fetchone()[
            0
        ]
    assert len(stored) == len(expected) > 100
    assert stored == expected


def test_warnings_are_stored_as_data(tmp_path: Path) -> None:
    export = tmp_path / "old.ris"
    export.write_bytes("TY  - JOUR\nTI  - Étude\nER  - \n".encode("cp1252"))
    with Review.create(tmp_path / "review") as review:
        import_files(review, [export])
    with sqlite3.connect(tmp_path / "review" / "review.db") as db:
        (warnings,) = db.execute("SELECT warnings FROM sources").fetchone()
    assert json.loads(warnings) == [
        {
            "file": "old.ris",
            "line": 2,
            "kind": "encoding",
            "message": "not valid UTF-8 (first bad byte on line 2); read as Windows-1252",
        },
        {
            "file": "old.ris",
            "line": 0,
            "kind": "database-unknown",
            "message": "the database is not known; name it with --database for the PRISMA-S record",
        },
    ]


RAW_TEXTS = st.text(alphabet="ab=\x00", max_size=6)
RAW_VALUES = st.one_of(RAW_TEXTS, st.lists(RAW_TEXTS, max_size=3), st.integers(-1000, 1000))


@given(st.dictionaries(st.sampled_from(["AB", "TI", "N1", "\x00=title"]), RAW_VALUES))
def test_any_raw_fields_come_back_as_they_were(raw: dict) -> None:
    from slr.store.review import record_values

    record = Record(title="T", abstract="A", raw=dict(raw))
    assert json.loads(record_values(record)[4]) == raw


def test_the_migration_unpacks_the_old_markers(tmp_path: Path) -> None:
    """Rows written by slr before schema 7 held "\\x00=title"/"\\x00=abstract" for a raw field
    equal to the title or abstract, and one more NUL before a raw text that began with NUL."""
    with Review.create(tmp_path / "review") as review:
        import_files(review, [EXPORTS / "ebsco.ris"])
    packed = {"TI": "\x00=title", "AB": "\x00=abstract", "N1": "\x00\x00kept", "KW": ["x"]}
    db = sqlite3.connect(tmp_path / "review" / "review.db")
    try:
        title, abstract = db.execute("SELECT title, abstract FROM records WHERE id = 1").fetchone()
        db.execute("UPDATE records SET raw = ? WHERE id = 1", (json.dumps(packed),))
        db.execute("UPDATE sources SET warnings = ? WHERE id = 1", ('["ebsco.ris: a note"]',))
        _v7_plain_raw(db)
        (raw,) = db.execute("SELECT raw FROM records WHERE id = 1").fetchone()
        (warnings,) = db.execute("SELECT warnings FROM sources WHERE id = 1").fetchone()
    finally:
        db.close()
    assert json.loads(raw) == {"TI": title, "AB": abstract, "N1": "\x00kept", "KW": ["x"]}
    assert json.loads(warnings) == [
        {"file": "ebsco.ris", "line": 0, "kind": "text", "message": "ebsco.ris: a note"}
    ]
