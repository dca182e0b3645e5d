"""The store on both engines: a review in a directory (SQLite) and in a PostgreSQL schema give
the same tables, the same rows, the same log and the same answers (the `backend` fixture runs a
test once per engine; the PostgreSQL half is skipped, with the reason, where no server starts)."""

from __future__ import annotations

import hashlib
import re
import sqlite3
import time
import uuid
from pathlib import Path

import psycopg
import pytest
from click.testing import CliRunner
from conftest import EXPORTS, PROTOCOL

from slr.cli import main
from slr.dedup import deduplicate
from slr.errors import ReviewBusy, ReviewExists, ReviewNotFound
from slr.importing import ImportOptions, import_files
from slr.protocol import load_protocol
from slr.screening.run import screen_auto
from slr.store import Review
from slr.store import dedup as dedup_store
from slr.store import fulltext as fulltext_store
from slr.store import screening as store
from slr.store.connection import TransientFailure
from slr.store.fulltext import FileText
from slr.store.history import log_entries
from slr.store.postgres import PostgresConnection, ReviewUrl, placeholders
from slr.store.review import DB_NAME
from slr.store.transaction import retried

DEMO_EXPORTS = [EXPORTS / "scopus.csv", EXPORTS / "wos.txt", EXPORTS / "ebsco.ris"]


def _schema_url(postgres_url: str) -> str:
    return f"{postgres_url}#test_{uuid.uuid4().hex[:12]}"


def _demo(location: Path | str) -> Review:
    """The README's main job up to the rules, at LOCATION."""
    review = Review.create(location, PROTOCOL, "demo")
    import_files(review, DEMO_EXPORTS)
    import_files(review, [EXPORTS / "scholar.bib"], ImportOptions("Google Scholar", "website"))
    deduplicate(review)
    screen_auto(review, load_protocol(PROTOCOL))
    return review


def test_only_question_marks_and_percent_signs_outside_quotes_are_rewritten() -> None:
    statement = "SELECT '?%', \"a?\" FROM t WHERE x = ? AND y LIKE 'auto:%' AND z = ?"
    assert placeholders(statement) == (
        "SELECT '?%%', \"a?\" FROM t WHERE x = %s AND y LIKE 'auto:%%' AND z = %s"
    )


def test_a_review_url_names_its_schema_and_hides_its_password() -> None:
    url = ReviewUrl.parse("postgresql://ana:secret@db.example.org:5433/reviews?sslmode=require#t2")
    assert url.conninfo == "postgresql://ana:secret@db.example.org:5433/reviews?sslmode=require"
    assert url.schema == "t2"
    assert str(url) == "postgresql://ana@db.example.org:5433/reviews?sslmode=require#t2"
    assert ReviewUrl.parse("postgres://h/db").schema == "review"
    with pytest.raises(Exception, match="cannot name a review"):
        ReviewUrl.parse("postgresql://h/db#Drop Table")


def test_both_engines_have_the_same_tables_and_columns(postgres_url: str, tmp_path: Path) -> None:
    Review.create(tmp_path / "review").close()
    lite = sqlite3.connect(tmp_path / "review" / DB_NAME)
    names = [row[0] for row in lite.execute("SELECT name FROM sqlite_master WHERE type='table'")]
    in_sqlite = {
        name: [row[1] for row in lite.execute(f"PRAGMA table_info({name})")] for name in names
    }
    url = _schema_url(postgres_url)
    Review.create(url).close()
    schema = ReviewUrl.parse(url).schema
    in_postgres: dict[str, list[str]] = {}
    with psycopg.connect(postgres_url) as connection:
        for table, column in connection.execute(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = %s ORDER BY table_name, ordinal_position",
            (schema,),
        ):
            in_postgres.setdefault(table, []).append(column)
    # the files a review directory holds beside review.db are rows in PostgreSQL
    assert in_postgres.pop("files") == ["path", "data", "sha256", "stored_at"]
    assert in_postgres == in_sqlite
    assert len(in_sqlite) == 27


def test_a_review_reads_back_what_it_stored_on_either_engine(backend: Path | str) -> None:
    with _demo(backend) as review:
        records = [(s.id, s.source_file, s.duplicate_of, s.record) for s in review.iter_records()]
        sources = [tuple(row) for row in review.sources()]
        location = review.location
    with Review.open(location) as review:
        assert [
            (s.id, s.source_file, s.duplicate_of, s.record) for s in review.iter_records()
        ] == records
        assert [tuple(row) for row in review.sources()] == sources
        assert review.meta()["protocol"] == "protocol.toml"
        assert (review.path / "protocol.toml").read_bytes() == PROTOCOL.read_bytes()
        for row in review.sources():
            original = (EXPORTS / row["file_name"]).read_bytes()
            kept = review.db.load_file(row["stored_path"])
            if review.in_database:
                assert kept == original  # the verbatim copy is in the database
            else:
                assert kept is None and (review.path / row["stored_path"]).read_bytes() == original
    assert len(records) == 254


def test_the_engines_agree_row_for_row_and_log_for_log(postgres_url: str, tmp_path: Path) -> None:
    def state(review: Review) -> dict[str, object]:
        db = review.db
        return {
            "decisions": [row[1:-1] for row in store.dump(db)],  # (without id and time)
            "dedup": list(dedup_store.report_rows(db)),
            "snapshot": store.decision_snapshot(db),
            # (the first entry: the review's creation, at its own second)
            # (repr: 1.0 and 1 are equal, but `slr log` shows them apart)
            "log": [
                (e.id, e.action, e.entity, e.entity_id, repr(e.detail)) for e in log_entries(db)
            ][1:],
            "record 3": [(e.action, e.entity, e.entity_id) for e in log_entries(db, 3)],
        }

    with _demo(tmp_path / "review") as review:
        in_sqlite = state(review)
    with _demo(_schema_url(postgres_url)) as review:
        in_postgres = state(review)
    for key in in_sqlite:
        assert in_postgres[key] == in_sqlite[key], key
    assert len(in_sqlite["log"]) > 500  # type: ignore[arg-type]


def test_reviewers_decisions_notes_and_resolutions_on_either_engine(backend: Path | str) -> None:
    with _demo(backend) as review:
        db = review.db
        stage = "title_abstract"
        ana = store.ReviewerDecision(1, "ana", "include")
        bob = store.ReviewerDecision(1, "bob", "exclude", "Not about MSMEs")
        assert store.store_human_decisions(db, stage, [ana, bob], change=False) == [
            "added",
            "added",
        ]
        assert store.store_human_decisions(db, stage, [ana], change=False) == ["unchanged"]
        with pytest.raises(store.DecisionExists, match="ana already decided record 1"):
            store.store_human_decisions(
                db, stage, [store.ReviewerDecision(1, "ana", "exclude")], change=False
            )
        store.save_note(db, 1, stage, "ana", "two drivers, clearly")
        assert store.note_of(db, 1, stage, "ana") == "two drivers, clearly"
        assert store.reviewer_decision(db, 1, stage, "bob") == ("exclude", "Not about MSMEs")
        assert store.decided_by_reviewer(db, stage) == {"ana": {1}, "bob": {1}}
        store.record_final_decision(db, 1, stage, "include", "", "lead")
        snapshot = store.decision_snapshot(db).stages[stage]
        assert snapshot.resolutions[1] == ("include", "")
        assert [(h.reviewer, h.decision, h.note) for h in snapshot.humans[1]] == [
            ("ana", "include", "two drivers, clearly"),
            ("bob", "exclude", ""),
        ]
        undone = store.undo_human_decision(db, stage, "bob")
        assert undone is not None and (undone.record_id, undone.decision) == (1, "exclude")
        assert store.decided_by(db, stage, "bob") == set()
        entities = [(e.action, e.entity) for e in log_entries(db, 1)][-4:]
        assert entities == [
            ("insert", "screen_note"),
            ("update", "decision"),  # (the note copied into ana's decision)
            ("insert", "final_decision"),
            ("delete", "decision"),
        ]


def test_a_full_text_is_kept_with_the_review_on_either_engine(
    backend: Path | str, tmp_path: Path
) -> None:
    data = b"%PDF-1.4 not really a PDF, but bytes to keep"
    source = tmp_path / "study.pdf"
    source.write_bytes(data)
    with _demo(backend) as review:
        text = FileText(["page one", "page two"], text_layer=True, references=["A ref."])
        attached = fulltext_store.attach(review.path, review.db, 3, source, data, text)
        location = review.location
    assert (attached.path, attached.outcome) == ("fulltext/3_study.pdf", "attached")
    with Review.open(location) as review:
        assert fulltext_store.record_text(review.db, 3)[0] == "page one\fpage two"
        assert fulltext_store.references(review.db) == {3: ["A ref."]}
        assert review.local_file(attached.path).read_bytes() == data
        stored = review.db.load_file(attached.path)
        assert stored == (data if review.in_database else None)
        assert [r["sha256"] for r in fulltext_store.files(review.db, 3)] == [
            hashlib.sha256(data).hexdigest()
        ]
        fulltext_store.mark_missing(review.path, review.db, 3, "Not found", detach=True)
        assert review.db.load_file(attached.path) is None
        assert fulltext_store.missing_reason(review.db, 3) == "Not found"


def test_a_review_in_postgresql_is_named_by_its_schema(postgres_url: str) -> None:
    url = _schema_url(postgres_url)
    shown = str(ReviewUrl.parse(url))
    with pytest.raises(ReviewNotFound, match="holds no review"):
        Review.open(url)
    Review.create(url, title="one").close()
    with pytest.raises(ReviewExists, match="already holds a review"):
        Review.create(url)
    runner = CliRunner()
    result = runner.invoke(main, ["status", "--review", url + "x"])
    assert (result.exit_code, result.output) == (
        1,
        f"Error: {shown}x holds no review; create it with `slr init --store {shown}x`, or check "
        "the name after #\n",
    )
    result = runner.invoke(main, ["status", "--review", url, "--json"])
    assert result.exit_code == 0, result.output
    assert '"title": "one"' in result.output


def test_a_dropped_connection_is_retried_and_the_decision_kept(postgres_url: str) -> None:
    url = _schema_url(postgres_url)
    with _demo(url) as review:
        db = review.db
        assert isinstance(db, PostgresConnection)
        pid = db.execute("SELECT pg_backend_pid()").fetchone()[0]
        with psycopg.connect(postgres_url, autocommit=True) as other:
            other.execute("SELECT pg_terminate_backend(%s)", (pid,))
        assert db.execute("SELECT 1").fetchone()[0] == 1  # a read: connected again
        pid = db.execute("SELECT pg_backend_pid()").fetchone()[0]
        db.execute("BEGIN")  # a transaction is lost with its connection, and said so
        with psycopg.connect(postgres_url, autocommit=True) as other:
            other.execute("SELECT pg_terminate_backend(%s)", (pid,))
        with pytest.raises(TransientFailure, match="connection to the database was lost"):
            db.execute("SELECT 1")
        ana = store.ReviewerDecision(5, "ana", "include")  # stored on a new connection
        outcome = retried(
            db, lambda: store.store_human_decisions(db, "title_abstract", [ana], change=False)
        )
        assert outcome == ["added"]
        assert store.reviewer_decision(db, 5, "title_abstract", "ana") == ("include", "")


def test_writers_wait_for_a_lead_and_say_for_whom_but_reviewers_not_for_each_other(
    postgres_url: str,
) -> None:
    url = ReviewUrl.parse(_schema_url(postgres_url))
    Review.create(url.full).close()
    lead, other = PostgresConnection(url), PostgresConnection(url)
    told: list[str] = []
    other.on_wait = told.append
    try:
        lead.begin_write()  # a lead's import, say
        with pytest.raises(ReviewBusy) as busy:
            other.begin_write(limit=1.5, reviewer="ana")  # a reviewer's key waits for it
        holder = "`slr[^`]*` of postgres"
        assert re.fullmatch(
            f"the review is busy: {holder} has been writing to it for 2 s", busy.value.message
        )
        assert re.fullmatch(f"Waiting for {holder}, which is writing to this review ...", told[0])
        assert not other.in_transaction  # nothing begun, nothing changed
        lead.commit()
        lead.begin_write(reviewer="bob")
        started = time.monotonic()
        other.begin_write(reviewer="ana")  # bob's transaction does not hold ana up
        assert time.monotonic() - started < 0.5
        other.commit()
        lead.commit()
    finally:
        lead.close()
        other.close()


def test_a_server_that_cannot_be_reached_is_an_error_with_what_to_check(tmp_path: Path) -> None:
    url = f"postgresql://nobody@/x?host={tmp_path}#r"  # (no server listens there)
    result = CliRunner().invoke(main, ["status", "--review", url])
    assert result.exit_code == 1
    assert result.output.startswith(f"Error: cannot connect to {url} (connection is bad: ")
    assert result.output.endswith(
        "; check the server, the URL, and your password in ~/.pgpass or PGPASSWORD\n"
    )
