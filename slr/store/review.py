"""A review directory and its database: open, create, insert records, read them back."""

from __future__ import annotations

import contextlib
import json
import mmap
import os
import shutil
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from operator import attrgetter
from pathlib import Path
from typing import Any

import orjson

from slr import __version__
from slr.errors import RecordNotFound, ReviewExists, ReviewNotFound, SlrError
from slr.models import Author, Failure, Record
from slr.store.schema import migrate

DB_NAME = "review.db"
SOURCES_DIR = "sources"
BUSY_TIMEOUT_MS = 60_000
PAGE_SIZE = 16384
# Page cache while an import goes in, in KiB. With SQLite's 2 MB the index pages of a large
# import were written out, read back and written again; they take about 3% of the size of the
# files imported. A larger cache only delays the writing to the commit, and fills memory.
BULK_CACHE_MIN_KIB = 16 * 1024
BULK_CACHE_MAX_KIB = 256 * 1024


def bulk_cache_kib(import_bytes: int) -> int:
    """The page cache for importing files of this many bytes: a twentieth of it, 16-256 MB."""
    return max(BULK_CACHE_MIN_KIB, min(BULK_CACHE_MAX_KIB, import_bytes // 20 // 1024))


PROTOCOL_NAME = "protocol"  # the copy keeps the original suffix: protocol.toml

_LIST_COLUMNS = (
    "issn",
    "isbn",
    "author_keywords",
    "index_keywords",
    "cited_references",
    "cited_dois",
)
_TEXT_COLUMNS = (
    "title",
    "source_title",
    "volume",
    "issue",
    "pages",
    "doi",
    "pmid",
    "abstract",
    "copyright",
    "language",
    "document_type",
    "url",
    "publisher",
)
_INSERT_COLUMNS = (
    "source_id",
    "source_index",
    "line",  # record_values() gives the columns from here on, in this order
    "year",
    "authors",
    "ids",
    "raw",
    *_TEXT_COLUMNS,
    *_LIST_COLUMNS,
)
_INSERT_SQL = (
    f"INSERT INTO records ({', '.join(_INSERT_COLUMNS)}) "
    f"VALUES ({', '.join('?' * len(_INSERT_COLUMNS))})"
)


_PART_SCHEMA = "import_part"  # where add_source_parts puts each part's database
_INSERT_PART_ROW_SQL = (
    f"INSERT INTO part_records VALUES ({', '.join('?' * (len(_INSERT_COLUMNS) - 1))})"
)
_INSERT_PART_SQL = (
    f"INSERT INTO records ({', '.join(_INSERT_COLUMNS)}) "
    f"SELECT ?, ? + position, {', '.join(_INSERT_COLUMNS[2:])} "
    f"FROM {_PART_SCHEMA}.part_records ORDER BY rowid"
)


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _dumps(value: Any) -> str:
    # orjson: JSON columns are most of the cost of storing a record
    return orjson.dumps(value).decode()


@dataclass(slots=True)
class StoredRecord:
    """A record as the store holds it: the Record plus where it came from."""

    id: int
    source_id: int
    source_index: int
    source_file: str
    database: str
    duplicate_of: int | None
    record: Record


@dataclass(slots=True)
class SourceInfo:
    """What `Review.add_source` needs to know about one export file (the PRISMA-S record)."""

    file_name: str
    original: Path  # the export file, copied verbatim into sources/
    size: int
    sha256: str
    format: str
    flavour: str
    encoding: str
    database: str = ""
    method: str = "database"
    search_string: str = ""
    searched_on: str = ""
    warnings: list[str] = field(default_factory=list)


def connect(path: Path) -> sqlite3.Connection:
    # another process (a second reviewer, a long import) may hold the write lock for a while:
    # wait for it rather than fail with "database is locked"
    db = sqlite3.connect(path, isolation_level="DEFERRED", timeout=BUSY_TIMEOUT_MS / 1000)
    db.row_factory = sqlite3.Row
    # A new database only: records take 1-3 KB, and a 4 KB page holds one of them with the
    # rest unused; 16 KB pages hold six and the database is a third smaller.
    db.execute(f"PRAGMA page_size = {PAGE_SIZE}")
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA foreign_keys = ON")
    db.execute("PRAGMA synchronous = NORMAL")
    return db


class Review:
    """An open review directory."""

    def __init__(self, path: Path, db: sqlite3.Connection) -> None:
        self.path = path
        self.db = db

    # -- opening and creating -------------------------------------------------------------

    @classmethod
    def open(cls, path: Path) -> Review:
        db_path = path / DB_NAME
        if not db_path.is_file():
            raise ReviewNotFound(
                f"{path} is not a review (no {DB_NAME})",
                "run `slr init DIR` to create one, or name it with --review DIR",
            )
        db = connect(db_path)
        migrate(db)
        return cls(path, db)

    @classmethod
    def create(cls, path: Path, protocol: Path | None = None, title: str = "") -> Review:
        if (path / DB_NAME).exists():
            raise ReviewExists(f"{path} already holds a review", "use another directory")
        if protocol is not None and not protocol.is_file():
            raise SlrError(
                f"protocol file {protocol} not found", "check the path given to --protocol"
            )
        path.mkdir(parents=True, exist_ok=True)
        (path / SOURCES_DIR).mkdir(exist_ok=True)
        db = connect(path / DB_NAME)
        migrate(db)
        meta = {
            "title": title or path.resolve().name,
            "created_at": _now(),
            "slr_version": __version__,
            "protocol": "",
        }
        if protocol is not None:
            copy_name = f"{PROTOCOL_NAME}{protocol.suffix}"
            shutil.copyfile(protocol, path / copy_name)
            meta["protocol"] = copy_name
            meta["protocol_original"] = protocol.name
        with db:
            db.executemany("INSERT INTO meta (key, value) VALUES (?, ?)", meta.items())
            db.execute(
                "INSERT INTO log (action, entity, detail) VALUES ('create', 'review', ?)",
                (_dumps(meta),),
            )
        return cls(path, db)

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Review:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # -- meta and sources -----------------------------------------------------------------

    @contextlib.contextmanager
    def bulk_transaction(self, import_bytes: int = 0) -> Iterator[None]:
        """One transaction for a large insert (an import), committed or rolled back as a whole.

        WAL writes every page twice, to the log and then into the database at the checkpoint:
        half the time of a 100,000-record import. So when no other connection has the review
        open, the transaction goes through a rollback journal instead, which writes new pages
        once; WAL is back on when it ends. With another connection open it stays in WAL.
        `import_bytes`, the size of the files to import, sets the page cache meanwhile.
        """
        self.db.execute("PRAGMA busy_timeout = 0")  # another connection open: don't wait
        try:
            switched = self._set_journal_mode("delete")
        finally:
            self.db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        self.db.execute(f"PRAGMA cache_size = {-bulk_cache_kib(import_bytes)}")
        try:
            with self.db:
                # IMMEDIATE: the write lock now, so the source id read first stays ours
                self.db.execute("BEGIN IMMEDIATE")
                yield
        finally:
            if _PART_SCHEMA in self._schemas():  # frees the last part (not possible earlier)
                self.db.execute(f"DETACH DATABASE {_PART_SCHEMA}")
            self.db.execute("PRAGMA cache_size = -2000")  # SQLite's default
            if switched:
                self._set_journal_mode("wal")

    def _set_journal_mode(self, mode: str) -> bool:
        try:
            row = self.db.execute(f"PRAGMA journal_mode = {mode}").fetchone()
            return row is not None and row[0] == mode
        except sqlite3.OperationalError:  # "database is locked": someone else has it open
            return False

    def meta(self) -> dict[str, str]:
        return {row["key"]: row["value"] for row in self.db.execute("SELECT key, value FROM meta")}

    def source_with_hash(self, sha256: str) -> sqlite3.Row | None:
        return self.db.execute(
            "SELECT * FROM sources WHERE sha256 = ? ORDER BY id LIMIT 1", (sha256,)
        ).fetchone()

    def sources(self) -> list[sqlite3.Row]:
        return self.db.execute("SELECT * FROM sources ORDER BY id").fetchall()

    def add_source(
        self, info: SourceInfo, records: list[Record], failures: list[Failure]
    ) -> tuple[int, Path]:
        """Insert a source, its records and failures, and store its verbatim copy.

        Call inside `bulk_transaction`; returns the source id and the path of the copy.
        """

        def insert(source_id: int) -> tuple[int, list[Failure]]:
            count = [0]
            values = (record_values(record) for record in records)
            rows = _positioned(values, failures, count)
            self.db.executemany(_INSERT_SQL, ((source_id, *row) for row in rows))
            return count[0], failures

        source_id, target, _count, _failures = self._add_source(info, insert)
        return source_id, target

    def add_source_parts(
        self, info: SourceInfo, parts: Iterable[PartRows]
    ) -> tuple[int, Path, int, list[Failure]]:
        """`add_source` for a file parsed in parts by other processes, in file order: each
        part's records in a `write_part_rows` database file (deleted once read). Returns
        (source id, copy, records, failures); `info.warnings` is read when the parts are in."""

        def insert(source_id: int) -> tuple[int, list[Failure]]:
            if _PART_SCHEMA not in self._schemas():
                self.db.execute(f"ATTACH DATABASE ':memory:' AS {_PART_SCHEMA}")
            before = count = 0  # entries (stored or rejected) and records in earlier parts
            failures: list[Failure] = []
            with _Flusher(self.path / DB_NAME) as flusher:
                for part in parts:
                    # (ATTACH would need a free slot per part: DETACH waits for the commit)
                    with (
                        part.database.open("rb") as file,
                        mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ) as image,
                    ):
                        self.db.deserialize(image, name=_PART_SCHEMA)
                    part.database.unlink()
                    self.db.execute(_INSERT_PART_SQL, (source_id, before))
                    flusher.kick()
                    before += part.records + len(part.failures)
                    count += part.records
                    failures += part.failures
            return count, failures

        return self._add_source(info, insert)

    def _schemas(self) -> set[str]:
        return {row["name"] for row in self.db.execute("PRAGMA database_list")}

    def _add_source(
        self, info: SourceInfo, insert: Callable[[int], tuple[int, list[Failure]]]
    ) -> tuple[int, Path, int, list[Failure]]:
        """The records (`insert(source_id)` stores them and returns their count and the
        failures) go in first and their source row last, so that the source's log entry names
        the records' id range (foreign keys are checked at the commit)."""
        source_id = self.db.execute("SELECT coalesce(max(id), 0) + 1 FROM sources").fetchone()[0]
        stored = Path(SOURCES_DIR) / f"{source_id:03d}_{info.file_name}"
        self.db.execute("PRAGMA defer_foreign_keys = ON")
        target = self.path / stored
        # the verbatim copy is made while the records go in (the copy leaves the GIL)
        copying = _Copy(info.original, target)
        try:
            count, failures = insert(source_id)
        except BaseException:
            copying.undo()
            raise
        self.db.execute(
            "INSERT INTO sources (id, file_name, stored_path, sha256, size, format, flavour,"
            " encoding, database, method, search_string, searched_on, imported_at, records,"
            " failures, warnings) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                source_id,
                info.file_name,
                stored.as_posix(),
                info.sha256,
                info.size,
                info.format,
                info.flavour,
                info.encoding,
                info.database,
                info.method,
                info.search_string,
                info.searched_on,
                _now(),
                count,
                len(failures),
                _dumps(info.warnings),
            ),
        )
        self.db.executemany(
            "INSERT INTO import_failures (source_id, line, reason, excerpt) VALUES (?, ?, ?, ?)",
            ((source_id, f.line, f.reason, f.excerpt) for f in failures),
        )
        copying.finish()
        return source_id, target, count, failures

    def failures(self, source_id: int) -> list[sqlite3.Row]:
        return self.db.execute(
            "SELECT * FROM import_failures WHERE source_id = ? ORDER BY id", (source_id,)
        ).fetchall()

    # -- records --------------------------------------------------------------------------

    def record_count(self) -> int:
        return self.db.execute("SELECT count(*) FROM records").fetchone()[0]

    def get(self, record_id: int) -> StoredRecord:
        row = self.db.execute(_SELECT_SQL + " WHERE r.id = ?", (record_id,)).fetchone()
        if row is None:
            raise RecordNotFound(
                f"no record with id {record_id}", "`slr export --format csv` lists every record id"
            )
        return _stored(row)

    def iter_records(self) -> Iterator[StoredRecord]:
        for row in self.db.execute(_SELECT_SQL + " ORDER BY r.id"):
            yield _stored(row)

    def log(self) -> list[sqlite3.Row]:
        return self.db.execute("SELECT * FROM log ORDER BY id").fetchall()


_SELECT_SQL = (
    "SELECT r.*, s.file_name AS source_file, s.database AS database "
    "FROM records r JOIN sources s ON s.id = r.source_id"
)


class _Flusher:
    """Pages SQLite has written out of its cache are sent on to the disk while later parts
    go in (a thread syncs the file): the sync at the commit then waits for the last few only.
    An extra sync never changes what SQLite's own syncs guarantee."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.wanted = threading.Event()
        self.done = False
        self.thread = threading.Thread(target=self._run, name="slr-flush", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        sync = getattr(os, "fdatasync", os.fsync)  # (macOS has no fdatasync)
        try:
            fd = os.open(self.path, os.O_RDONLY)
        except OSError:
            return
        try:
            while True:
                self.wanted.wait()
                self.wanted.clear()
                if self.done:
                    return
                sync(fd)
        except OSError:
            return  # (only a head start for the commit's own sync)
        finally:
            os.close(fd)

    def __enter__(self) -> _Flusher:
        return self

    def kick(self) -> None:
        self.wanted.set()

    def __exit__(self, *_: object) -> None:
        self.done = True
        self.wanted.set()
        self.thread.join()


class _Copy:
    """A file copied in a thread: `finish` waits for it (and raises what it raised)."""

    def __init__(self, original: Path, target: Path) -> None:
        self.target = target
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, args=(original, target), daemon=True)
        self.thread.start()

    def _run(self, original: Path, target: Path) -> None:
        try:
            shutil.copyfile(original, target)
        except BaseException as error:  # handed to the thread that waits
            self.error = error

    def finish(self) -> None:
        self.thread.join()
        if self.error is not None:
            self.target.unlink(missing_ok=True)
            raise self.error

    def undo(self) -> None:
        self.thread.join()
        self.target.unlink(missing_ok=True)


def _positioned(
    values: Iterable[tuple[Any, ...]], failures: list[Failure], count: list[int]
) -> Iterator[tuple[Any, ...]]:
    """Each record's values after its 1-based position among the entries, rejected ones
    included, so that `source_index` is the entry's place in the file (entries are in line
    order; a record's line is its first value). Counts the records into count[0]."""
    failed_lines = sorted(f.line for f in failures)
    skipped = 0
    for stored, row in enumerate(values, start=1):
        # rejected entries that start before this record (on an earlier line) come before it
        while skipped < len(failed_lines) and failed_lines[skipped] < row[0]:
            skipped += 1
        count[0] = stored
        yield (stored + skipped, *row)


@dataclass(slots=True)
class PartRows:
    """A part of a file parsed in another process: its records in a SQLite database file of
    their own (one row each, `record_values` after the position), their count and failures."""

    database: Path
    records: int
    failures: list[Failure]


def write_part_rows(path: Path, records: Iterable[Record], failures: list[Failure]) -> PartRows:
    """A part's records as rows of a new database file. A worker process writes it; the
    importing process inserts its rows in one INSERT ... SELECT, with no Python objects to
    rebuild and no values to bind: that halved the importing process's share of the work."""
    db = sqlite3.connect(path, isolation_level=None)
    try:
        db.execute(f"PRAGMA page_size = {PAGE_SIZE}")
        db.execute("PRAGMA journal_mode = OFF")  # a scratch file: deleted when the import ends
        db.execute("PRAGMA synchronous = OFF")
        db.execute(f"PRAGMA cache_size = {-BULK_CACHE_MIN_KIB}")
        db.execute(f"CREATE TABLE part_records (position, {', '.join(_INSERT_COLUMNS[2:])})")
        count = [0]
        values = (record_values(record) for record in records)
        db.execute("BEGIN")
        db.executemany(_INSERT_PART_ROW_SQL, _positioned(values, failures, count))
        db.execute("COMMIT")
        return PartRows(path, count[0], failures)
    finally:
        db.close()


# A raw field whose value is the same as the record's title or abstract is stored as a
# reference to that column: the abstract is the largest field, and storing it twice made the
# rows half as large again. A raw text that itself starts with NUL gets one more in front.
_SAME_AS = "\x00="
_PACKED_COLUMNS = ("abstract", "title")


# The raw key that held each packed column in the last record: an export's records hold it
# under the same key, so most records find it at once instead of looking through every field.
_KEY_OF_COLUMN: dict[str, str | None] = dict.fromkeys(_PACKED_COLUMNS)


def _raw_json(record: Record) -> str:
    raw = record.raw
    packed: dict[str, Any] | None = None
    markers = 0
    for column in _PACKED_COLUMNS:
        value = getattr(record, column)
        if not value:
            continue
        key = _KEY_OF_COLUMN[column]
        if key is None or raw.get(key) != value:
            key = next((k for k, v in raw.items() if v == value), None)
            if key is None:
                continue
            _KEY_OF_COLUMN[column] = key
        if packed is None:
            packed = dict(raw)
        packed[key] = _SAME_AS + column
        markers += 1
    stored = raw if packed is None else packed
    text = _dumps(stored)
    # JSON strings that start with NUL are our markers, unless a raw text starts with NUL
    if text.count('"\\u0000') == markers:
        return text
    return _dumps(_escape_nul(stored, raw))


def _escape_nul(stored: dict[str, Any], raw: dict[str, Any]) -> dict[str, Any]:
    """A raw text that starts with NUL gets one more NUL in front (markers are left alone)."""
    escaped = dict(stored)
    for key, value in raw.items():
        if value.__class__ is str and value.startswith("\x00"):
            escaped[key] = "\x00" + value
    return escaped


def _unpack_raw(raw: dict[str, Any], row: sqlite3.Row) -> dict[str, Any]:
    for key, value in raw.items():
        if value.__class__ is str and value.startswith("\x00"):
            column = value[len(_SAME_AS) :]
            if value.startswith(_SAME_AS) and column in _PACKED_COLUMNS:
                raw[key] = row[column]
            else:
                raw[key] = value[1:]
    return raw


def record_values(record: Record) -> tuple[Any, ...]:
    """A record as the values of its row (all but source_id and source_index), line first."""
    return (
        record.line,
        record.year,
        _dumps([a.to_dict() for a in record.authors]) if record.authors else "[]",
        _dumps(record.ids) if record.ids else "{}",
        _raw_json(record),
        *_text_values(record),
        *[_dumps(values) if values else "[]" for values in _list_values(record)],
    )


_text_values = attrgetter(*_TEXT_COLUMNS)
_list_values = attrgetter(*_LIST_COLUMNS)


def _stored(row: sqlite3.Row) -> StoredRecord:
    record = Record(
        authors=[Author.from_dict(a) for a in json.loads(row["authors"])],
        year=row["year"],
        ids=json.loads(row["ids"]),
        raw=_unpack_raw(json.loads(row["raw"]), row),
        line=row["line"],
        **{name: row[name] for name in _TEXT_COLUMNS},
        **{name: json.loads(row[name]) for name in _LIST_COLUMNS},
    )
    return StoredRecord(
        row["id"],
        row["source_id"],
        row["source_index"],
        row["source_file"],
        row["database"],
        row["duplicate_of"],
        record,
    )
