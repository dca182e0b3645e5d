"""`slr store copy`: a review moved between a directory and PostgreSQL (and back) keeps every
row with its ids, its log as it was, and its files; the outputs of the copy are the original's,
byte for byte; and new rows in the copy take the next ids."""

from __future__ import annotations

import re
import sqlite3
import uuid
from pathlib import Path
from typing import Any

import psycopg
import pytest
from click.testing import CliRunner

from slr.cli import main
from slr.errors import SlrError
from slr.store import Review
from slr.store import copy as copy_module
from slr.store.review import DB_NAME

# (a refresh records its run in the log: the time of the last change is the refresh's own)
_LAST_CHANGE = re.compile(rb"as of \d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} UTC")
_KEPT = {"review.db", "review.db-wal", "review.db-shm", "protocol.toml", "sources", "fulltext"}


def _counts(path: Path) -> dict[str, int]:
    return {name: len(rows) for name, rows in _dump(path).items()}


def _dump(path: Path) -> dict[str, list[tuple[object, ...]]]:
    db = sqlite3.connect(path / DB_NAME)
    try:
        names = [
            row[0]
            for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            if not row[0].startswith("sqlite_")
        ]
        return {name: sorted(db.execute(f'SELECT * FROM "{name}"'), key=repr) for name in names}
    finally:
        db.close()


def _refresh(runner: CliRunner, review: Path) -> dict[str, bytes]:
    """`slr run --out REVIEW` (no exports: a refresh); every output by its path."""
    result = runner.invoke(main, ["run", "--out", str(review)])
    assert result.exit_code == 0, result.output
    return {
        path.relative_to(review).as_posix(): _LAST_CHANGE.sub(
            b"as of <last change>", path.read_bytes().replace(str(review).encode(), b"OUT")
        )
        for path in sorted(review.rglob("*"))
        if path.is_file() and path.relative_to(review).parts[0] not in _KEPT
    }


def _files(review: Path) -> dict[str, bytes]:
    return {
        path.relative_to(review).as_posix(): path.read_bytes()
        for folder in ("sources", "fulltext")
        for path in sorted((review / folder).rglob("*"))
        if path.is_file()
    } | {"protocol.toml": (review / "protocol.toml").read_bytes()}


def _copy(runner: CliRunner, source: Path | str, target: Path | str) -> None:
    result = runner.invoke(main, ["store", "copy", str(source), str(target)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Copied ")


def _decide_in(runner: CliRunner, location: Path | str) -> int:
    """Record a reviewer's decision; returns its id, which must follow the largest before."""
    with Review.open(location) as review:
        largest = review.db.execute("SELECT max(id) FROM decisions").fetchone()[0]
        logged = review.db.execute("SELECT max(id) FROM log").fetchone()[0]
    command = ["screen", "decide", "1", "include", "--reviewer", "zoe", "--review", str(location)]
    result = runner.invoke(main, command)
    assert result.exit_code == 0, result.output
    with Review.open(location) as review:
        row = review.db.execute(
            "SELECT id FROM decisions WHERE reviewer = 'zoe' AND record_id = 1"
        ).fetchone()
        assert row[0] == largest + 1
        assert (
            review.db.execute("SELECT min(id) FROM log WHERE id > ?", (logged,)).fetchone()[0]
            == logged + 1
        )
        return int(row[0])


def _attach(runner: CliRunner, review: Path, tmp_path: Path) -> None:
    """A full text for record 1, so that the copy has one to carry."""
    report = tmp_path / "report.txt"
    report.write_text("Digital transformation of small firms: the full text.\n", encoding="utf-8")
    result = runner.invoke(main, ["fulltext", "attach", "1", str(report), "--review", str(review)])
    assert result.exit_code == 0, result.output


def test_a_directory_copies_to_a_directory(demo: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    _attach(runner, demo, tmp_path)
    copy = tmp_path / "copy"
    _copy(runner, demo, copy)
    assert _dump(copy) == _dump(demo)
    assert _files(copy) == _files(demo)
    assert any(name.startswith("fulltext/") for name in _files(copy))
    assert _refresh(runner, copy) == _refresh(runner, demo)
    _decide_in(runner, copy)


def test_a_review_goes_to_postgresql_and_back_unchanged(
    demo: Path, postgres_url: str, tmp_path: Path
) -> None:
    runner = CliRunner()
    _attach(runner, demo, tmp_path)
    before = _dump(demo)
    url = f"{postgres_url}#copy_{uuid.uuid4().hex[:10]}"
    _copy(runner, demo, url)
    other = f"{postgres_url}#copy_{uuid.uuid4().hex[:10]}"
    _copy(runner, url, other)  # PostgreSQL to PostgreSQL
    back = tmp_path / "back"
    _copy(runner, other, back)
    assert _dump(back) == before  # every row, with its ids and the log as it was
    assert _counts(back) == _counts(demo)
    assert _files(back) == _files(demo)
    assert _refresh(runner, back) == _refresh(runner, demo)
    _decide_in(runner, url)  # the sequences go on after the copied ids
    _decide_in(runner, back)


def test_an_existing_destination_is_refused(demo: Path, postgres_url: str, tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(main, ["store", "copy", str(demo), str(demo)])
    assert result.exit_code == 1
    assert result.output == (
        f"Error: {demo} already exists; copy to a new directory (or an empty one)\n"
    )
    url = f"{postgres_url}#copy_{uuid.uuid4().hex[:10]}"
    _copy(runner, demo, url)
    result = runner.invoke(main, ["store", "copy", str(demo), url])
    assert result.exit_code == 1
    assert result.output == f"Error: {url} already holds a review; name another schema after #\n"
    with Review.open(url) as review:  # the review refused is left as it was
        assert review.db.execute("SELECT count(*) FROM meta").fetchone()[0] > 0


def test_a_failed_copy_leaves_nothing_behind(
    demo: Path, postgres_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_fill = copy_module._fill

    def failing(*args: Any) -> dict[str, int]:
        real_fill(*args)  # every row in, then the failure
        raise SlrError("the disk is gone", "try again")

    monkeypatch.setattr(copy_module, "_fill", failing)
    runner = CliRunner()
    target = tmp_path / "copy"
    result = runner.invoke(main, ["store", "copy", str(demo), str(target)])
    assert (result.exit_code, result.output) == (1, "Error: the disk is gone; try again\n")
    assert sorted(path.name for path in tmp_path.iterdir()) == ["review"]
    url = f"{postgres_url}#copy_{uuid.uuid4().hex[:10]}"
    result = runner.invoke(main, ["store", "copy", str(demo), url])
    assert result.exit_code == 1
    monkeypatch.setattr(copy_module, "_fill", real_fill)
    _copy(runner, demo, url)  # no half schema was left in the way


def test_an_empty_schema_made_beforehand_takes_the_copy(demo: Path, postgres_url: str) -> None:
    schema = f"copy_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(postgres_url, autocommit=True) as connection:
        connection.execute(f'CREATE SCHEMA "{schema}"')
    runner = CliRunner()
    _copy(runner, demo, f"{postgres_url}#{schema}")
    with Review.open(f"{postgres_url}#{schema}") as review:
        assert review.record_count() == _counts(demo)["records"]
