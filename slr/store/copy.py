"""`slr store copy`: a whole review from one location to another, in either engine.

Every table is copied row by row with its ids; the review's files (verbatim imports, full
texts, the protocol) go from the directory to the `files` table, or back. The log is copied as
it is: the triggers that write it are off while the rows go in. A copy is whole or absent: on
PostgreSQL it is one transaction; a directory is built in a hidden folder beside the
destination and renamed into place at the end.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from slr.errors import ReviewExists
from slr.store.connection import Connection, is_url
from slr.store.paths import FULLTEXT_DIR
from slr.store.review import DB_NAME, SOURCES_DIR, Review, connect
from slr.store.schema import migrate
from slr.store.transaction import write

_COPYING_PREFIX = ".slr-copy-"
_NOT_COPIED = {"sqlite_sequence", "sqlite_stat1", "files"}


@dataclass(frozen=True, slots=True)
class Copied:
    """What a copy moved."""

    rows: dict[str, int]
    files: int


def copy_review(source: Path | str, target: Path | str) -> Copied:
    """Copy the review at SOURCE to TARGET (a directory or postgresql:// URL each), which must
    not hold anything yet."""
    if not is_url(target):
        _check_free_directory(Path(target))
    with Review.open(source) as review:
        db = review.db
        db.begin_read()
        try:
            tables = _table_names(db)
            files = dict(_files(review))
            last_ids = _identity_last_values(db)
            if is_url(target):
                return _to_database(str(target), db, tables, files, last_ids)
            return _to_directory(Path(target), db, tables, files)
        finally:
            db.rollback()


def _check_free_directory(path: Path) -> None:
    if path.exists() and not (path.is_dir() and not any(path.iterdir())):
        raise ReviewExists(f"{path} already exists", "copy to a new directory (or an empty one)")


def _table_names(db: Connection) -> list[str]:
    if db.engine == "postgresql":
        from slr.store import postgres  # (psycopg, only for a review in PostgreSQL)

        names = postgres.table_names(db)  # type: ignore[arg-type]
    else:
        rows = db.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        names = [row[0] for row in rows]
    return [name for name in names if name not in _NOT_COPIED]


def _identity_last_values(db: Connection) -> dict[str, int]:
    if db.engine == "postgresql":
        from slr.store import postgres  # (psycopg, only for a review in PostgreSQL)

        return postgres.identity_last_values(db)  # type: ignore[arg-type]
    return {}  # (SQLite gives the next id after the largest)


def _files(review: Review) -> Iterator[tuple[str, tuple[bytes, str]]]:
    """Each file of the review: its path as in a review directory, its bytes and sha256."""
    db = review.db
    if review.in_database:
        for path, data, sha256 in db.execute("SELECT path, data, sha256 FROM files ORDER BY path"):
            yield path, (bytes(data), sha256)
        return
    named = {row[0] for row in db.execute("SELECT stored_path FROM sources")}
    for table in ("fulltext_files", "fulltexts"):
        if db.has_table(table):
            named |= {row[0] for row in db.execute(f"SELECT path FROM {table} WHERE path <> ''")}
    protocol = review.meta().get("protocol", "")
    if protocol:
        named.add(protocol)
    for folder in (SOURCES_DIR, FULLTEXT_DIR):
        if (review.path / folder).is_dir():
            named |= {
                item.relative_to(review.path).as_posix()
                for item in (review.path / folder).rglob("*")
                if item.is_file() and not item.name.endswith(".partial")
            }
    for path in sorted(named):
        file = review.path / path
        if file.is_file():
            data = file.read_bytes()
            yield path, (data, hashlib.sha256(data).hexdigest())


def _rows(db: Connection, table: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    cursor = db.execute(f'SELECT * FROM "{table}"')
    rows = cursor.fetchall()
    columns = [getattr(column, "name", None) or column[0] for column in cursor.description]
    return columns, [tuple(row) for row in rows]


def _fill(source: Connection, target: Connection, tables: list[str]) -> dict[str, int]:
    """Every row of TABLES from SOURCE into the empty tables of TARGET, triggers off."""
    target.defer_foreign_keys()
    counts: dict[str, int] = {}
    for table in tables:
        target.execute(f'DELETE FROM "{table}"')  # (what creating the schema wrote, if any)
        columns, rows = _rows(source, table)
        quoted = [f'"{column}"' for column in columns]
        marks = ", ".join("?" * len(columns))
        if rows:
            target.executemany(
                f'INSERT INTO "{table}" ({", ".join(quoted)}) VALUES ({marks})', rows
            )
        counts[table] = len(rows)
    return counts


def _to_database(
    url_text: str,
    source: Connection,
    tables: list[str],
    files: dict[str, tuple[bytes, str]],
    last_ids: dict[str, int],
) -> Copied:
    from slr.store import postgres  # (psycopg, only for a review in PostgreSQL)

    url = postgres.ReviewUrl.parse(url_text)
    db = postgres.PostgresConnection(url)
    try:
        with write(db):
            postgres.create_in_empty_schema(db)
            missing = [table for table in tables if not db.has_table(table)]
            if missing:
                raise ReviewExists(
                    f"{url} cannot take tables {', '.join(missing)}",
                    "upgrade slr before copying this review",
                )
            postgres.set_triggers(db, tables, enabled=False)
            counts = _fill(source, db, tables)
            db.execute("SET CONSTRAINTS ALL IMMEDIATE")  # (the checks now: none then pending)
            postgres.set_triggers(db, tables, enabled=True)
            for table in postgres.identity_last_values(db):
                largest = db.execute(f'SELECT coalesce(max(id), 0) FROM "{table}"').fetchone()[0]
                postgres.set_identity(db, table, max(int(largest), last_ids.get(table, 0)))
            for path, (data, sha256) in files.items():
                db.store_file(path, data, sha256)
    finally:
        db.close()
    return Copied(counts, len(files))


def _to_directory(
    path: Path, source: Connection, tables: list[str], files: dict[str, tuple[bytes, str]]
) -> Copied:
    path.parent.mkdir(parents=True, exist_ok=True)
    building = Path(tempfile.mkdtemp(prefix=_COPYING_PREFIX, dir=path.parent))
    try:
        db = connect(building / DB_NAME)
        try:
            migrate(db)
            with write(db):
                triggers = db.execute(
                    "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' ORDER BY name"
                ).fetchall()
                for name, _ in triggers:
                    db.execute(f'DROP TRIGGER "{name}"')
                counts = _fill(source, db, tables)
                for _, statement in triggers:
                    db.execute(statement)
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            db.close()
        (building / SOURCES_DIR).mkdir(exist_ok=True)
        for stored, (data, _) in files.items():
            file = building / stored
            file.parent.mkdir(parents=True, exist_ok=True)
            file.write_bytes(data)
        _check_free_directory(path)
        with contextlib.suppress(FileNotFoundError):
            path.rmdir()  # (an empty directory given: replaced by the copy)
        os.replace(building, path)
    finally:
        shutil.rmtree(building, ignore_errors=True)
    return Copied(counts, len(files))
