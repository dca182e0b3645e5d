"""A review and its database: open, create, insert records, read them back.

A review is a directory with its SQLite database (the default), or a schema of a PostgreSQL
database named by a URL (`postgresql://USER@HOST/DB#SCHEMA`, see store/postgres.py); the same
`Review` serves both."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shlex
import shutil
import sqlite3
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from operator import attrgetter
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

import orjson

from slr import __version__
from slr.errors import (
    RecordNotFound,
    ReviewBusy,
    ReviewDamaged,
    ReviewExists,
    ReviewNotFound,
    SlrError,
)
from slr.models import Author, Failure, ImportWarning, Record
from slr.store.connection import Connection, Row, is_url
from slr.store.schema import check_version, migrate
from slr.store.transaction import BUSY_TIMEOUT_MS, ReviewConnection, write

if TYPE_CHECKING:
    from slr.store import postgres


def _postgres() -> ModuleType:
    # psycopg takes a tenth of a second to import: only a review in PostgreSQL pays for it
    from slr.store import postgres

    return postgres


DB_NAME = "review.db"
SOURCES_DIR = "sources"
# A verbatim copy is named so until its import is committed; `Review._tidy` clears what a
# killed import left.
PARTIAL_SUFFIX = ".partial"
_BUILDING_PREFIX = ".slr-init-"  # the hidden folder `Review.create` builds a review in
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
    "id",
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
    warnings: list[ImportWarning] = field(default_factory=list)


def connect(path: Path, read_only: bool = False) -> ReviewConnection:
    """Open a review's database. Every connection is in WAL mode, so readers never wait for a
    writer and never touch its journal; writes go through `transaction.write`."""
    if read_only:
        # immutable: in a folder we cannot write, SQLite could not make the WAL index file,
        # and nobody can be writing there either
        uri = f"{path.resolve().as_uri()}?mode=ro&immutable=1"
        db = sqlite3.connect(uri, uri=True, factory=ReviewConnection, isolation_level="DEFERRED")
    else:
        db = sqlite3.connect(
            path,
            factory=ReviewConnection,
            isolation_level="DEFERRED",
            timeout=BUSY_TIMEOUT_MS / 1000,
        )
    db.review_dir = path.parent
    db.row_factory = sqlite3.Row
    try:
        if not read_only:
            # A new database only: records take 1-3 KB, and a 4 KB page holds one of them
            # with the rest unused; 16 KB pages hold six and the database is a third smaller.
            db.execute(f"PRAGMA page_size = {PAGE_SIZE}")
            db.execute("PRAGMA journal_mode = WAL")
            db.execute("PRAGMA synchronous = NORMAL")
        db.execute("PRAGMA foreign_keys = ON")
    except sqlite3.DatabaseError as error:
        db.close()
        raise damaged(path, error) from None
    return db


def damaged(path: Path, error: sqlite3.DatabaseError) -> ReviewDamaged:
    return ReviewDamaged(
        f"{path} is damaged or not a review database ({error})",
        "restore review.db from a backup; the imported files are kept in sources/",
    )


def _committed_name(partial: Path) -> Path:
    """The name a verbatim copy takes once its import is committed."""
    return partial.with_name(partial.name.removesuffix(PARTIAL_SUFFIX))


def _writable(path: Path) -> bool:
    return os.access(path, os.W_OK) and os.access(path / DB_NAME, os.W_OK)


class Review:
    """An open review: a directory, or a PostgreSQL schema (`location` is then its URL).

    `path` is the review's directory. A review in PostgreSQL has none: its files are rows of
    its database, and `path` is a private working folder, deleted when the review is closed,
    holding the files that are read as files (the protocol copy, a full text to open)."""

    def __init__(
        self,
        path: Path,
        db: Connection,
        read_only: bool = False,
        location: Path | str | None = None,
    ) -> None:
        self.path = path
        self.db = db
        self.read_only = read_only
        self.location: Path | str = path if location is None else location
        self._copies: list[Path] = []  # verbatim copies written by the import under way

    @property
    def shown(self) -> str:
        """Where the review is, for messages (a URL without its password)."""
        if isinstance(self.location, str):
            return str(_postgres().ReviewUrl.parse(self.location))
        return str(self.location)

    @property
    def as_argument(self) -> str:
        """`shown` as a shell word, for the commands messages suggest (--review ...)."""
        return shlex.quote(self.shown)

    @property
    def in_database(self) -> bool:
        """Whether the review lives in a PostgreSQL database (its files too)."""
        return self.db.engine == "postgresql"

    # -- opening and creating -------------------------------------------------------------

    @classmethod
    def open(cls, location: Path | str) -> Review:
        """Open the review at LOCATION: a directory, read-only when its folder or database
        cannot be written (every command that only reads then works), after upgrading its
        schema otherwise; or a postgresql:// URL."""
        if is_url(location):
            return cls._open_database(_postgres().ReviewUrl.parse(str(location)))
        path = Path(location)
        db_path = path / DB_NAME
        if not db_path.is_file():
            raise ReviewNotFound(
                f"{path} is not a review (no {DB_NAME})",
                "run `slr init DIR` to create one, or name it with --review DIR",
            )
        if db_path.stat().st_size == 0:
            raise ReviewDamaged(
                f"{db_path} is empty, so {path} holds no review (an interrupted `slr init`?)",
                f"remove {db_path} and run `slr init` again, or restore it from a backup",
            )
        read_only = not _writable(path)
        db = connect(db_path, read_only)
        try:
            if read_only:
                check_version(db)
            else:
                migrate(db)
        except sqlite3.DatabaseError as error:
            db.close()
            raise damaged(db_path, error) from None
        except BaseException:
            db.close()
            raise
        review = cls(path, db, read_only)
        if not read_only:
            review._tidy()
        return review

    @classmethod
    def _open_database(cls, url: postgres.ReviewUrl) -> Review:
        db = _postgres().PostgresConnection(url)
        try:
            _postgres().check_version(db)
            review = cls(Path(tempfile.mkdtemp(prefix="slr-review-")), db, location=url.full)
        except BaseException:
            db.close()
            raise
        copy = review.meta().get("protocol", "")
        if copy:  # read as a file by the commands, like a directory's copy
            data = db.load_file(copy)
            if data is not None:
                (review.path / copy).write_bytes(data)
        return review

    @classmethod
    def _create_database(cls, url: postgres.ReviewUrl, protocol: Path | None, title: str) -> Review:
        """Create a review in a new schema: its tables, meta and protocol copy in one
        transaction, so a failure leaves no schema behind."""
        db = _postgres().PostgresConnection(url)
        try:
            meta = {
                "title": title or url.schema,
                "created_at": _now(),
                "slr_version": __version__,
                "protocol": "",
            }
            with write(db):
                _postgres().create_schema(db)
                if protocol is not None:
                    data = protocol.read_bytes()
                    meta["protocol"] = f"{PROTOCOL_NAME}{protocol.suffix}"
                    meta["protocol_original"] = protocol.name
                    db.store_file(meta["protocol"], data, hashlib.sha256(data).hexdigest())
                _insert_meta(db, meta)
        finally:
            db.close()
        return cls.open(url.full)

    @classmethod
    def create(cls, location: Path | str, protocol: Path | None = None, title: str = "") -> Review:
        """Create a review at LOCATION (a directory, or a postgresql:// URL). A directory's
        review is built in a hidden folder inside it and its database moved into place last, so
        a crash at any point leaves either no review or a whole one."""
        if protocol is not None and not protocol.is_file():
            raise SlrError(
                f"protocol file {protocol} not found", "check the path given to --protocol"
            )
        if is_url(location):
            url = _postgres().ReviewUrl.parse(str(location))
            return cls._create_database(url, protocol, title)
        path = Path(location)
        if (path / DB_NAME).exists():
            raise ReviewExists(f"{path} already holds a review", "use another directory")
        path.mkdir(parents=True, exist_ok=True)
        building = Path(tempfile.mkdtemp(prefix=_BUILDING_PREFIX, dir=path))
        try:
            meta = {
                "title": title or path.resolve().name,
                "created_at": _now(),
                "slr_version": __version__,
                "protocol": "",
            }
            if protocol is not None:
                copy_name = f"{PROTOCOL_NAME}{protocol.suffix}"
                shutil.copyfile(protocol, building / copy_name)
                meta["protocol"] = copy_name
                meta["protocol_original"] = protocol.name
            db = connect(building / DB_NAME)
            try:
                migrate(db)
                with write(db):
                    _insert_meta(db, meta)
                db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            finally:
                db.close()
            (path / SOURCES_DIR).mkdir(exist_ok=True)
            for item in building.iterdir():  # the protocol copy, then the database last
                if item.name != DB_NAME:
                    os.replace(item, path / item.name)
            os.replace(building / DB_NAME, path / DB_NAME)
        finally:
            shutil.rmtree(building, ignore_errors=True)
        return cls.open(path)

    def _tidy(self) -> None:  # (a review in PostgreSQL leaves no files behind)
        """Finish or clear what a killed command left: a half-built review folder, and the
        verbatim copies of an import (kept when their import was committed, else deleted).
        Done only with the write lock in hand, so no import is under way meanwhile."""
        leftovers = list(self.path.glob(f"{_BUILDING_PREFIX}*"))
        sources = self.path / SOURCES_DIR
        partials = list(sources.glob(f"*{PARTIAL_SUFFIX}")) if sources.is_dir() else []
        if not leftovers and not partials:
            return
        try:
            with write(self.db, limit=0):
                for leftover in leftovers:
                    shutil.rmtree(leftover, ignore_errors=True)
                stored = {row[0] for row in self.db.execute("SELECT stored_path FROM sources")}
                for partial in partials:
                    final = _committed_name(partial)
                    if final.relative_to(self.path).as_posix() in stored and not final.exists():
                        os.replace(partial, final)
                    else:
                        partial.unlink(missing_ok=True)
        except (ReviewBusy, OSError):
            pass  # another command is writing (they may be its files), or a courtesy failed:
            # the next command tries again

    def close(self) -> None:
        self.db.close()
        if self.in_database:
            shutil.rmtree(self.path, ignore_errors=True)  # the working folder

    def local_file(self, stored: str) -> Path:
        """A file of the review (a path as stored, e.g. fulltext/12_report.pdf) on disk, to be
        opened by another program: in its directory, or written into the working folder from
        the database. The caller checks the stored path first (store.paths)."""
        target = self.path / stored
        if self.in_database and not target.exists():
            data = self.db.load_file(stored)
            if data is not None:
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(data)
        return target

    def __enter__(self) -> Review:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # -- meta and sources -----------------------------------------------------------------

    @contextlib.contextmanager
    def import_transaction(self, import_bytes: int = 0) -> Iterator[None]:
        """One transaction for an import, committed or rolled back as a whole. The review
        stays in WAL mode, so other commands go on reading it meanwhile. The verbatim copies
        `add_source` writes get their names when the records are committed, and are deleted if
        they are not. `import_bytes`, the size of the files to import, sets the page cache."""
        self._require_writable()
        self.db.bulk_cache(bulk_cache_kib(import_bytes))
        self._copies = []
        try:
            with write(self.db):
                yield
        except BaseException:
            for partial in self._copies:
                partial.unlink(missing_ok=True)
            raise
        else:
            for partial in self._copies:
                with contextlib.suppress(FileNotFoundError):  # another command's _tidy did it
                    os.replace(partial, _committed_name(partial))
        finally:
            self._copies = []
            self.db.bulk_cache(None)

    def _require_writable(self) -> None:
        if self.read_only:
            raise SlrError(
                f"{self.path} cannot be written (its folder or review.db is read-only)",
                "check the permissions, or copy the review to a folder you can write",
            )

    def meta(self) -> dict[str, str]:
        return {row["key"]: row["value"] for row in self.db.execute("SELECT key, value FROM meta")}

    def source_with_hash(self, sha256: str) -> Row | None:
        return self.db.execute(
            "SELECT * FROM sources WHERE sha256 = ? ORDER BY id LIMIT 1", (sha256,)
        ).fetchone()

    def sources(self) -> list[Row]:
        return self.db.execute("SELECT * FROM sources ORDER BY id").fetchall()

    def add_source(
        self, info: SourceInfo, records: list[Record], failures: list[Failure]
    ) -> tuple[int, Path]:
        """Insert a source, its records and failures, and copy its file verbatim.

        Call inside `import_transaction`; returns the source id and where the copy will be.
        The records go in first and their source row last, so that the source's log entry
        names the records' id range (foreign keys are checked at the commit).
        """
        source_id = self.db.execute("SELECT coalesce(max(id), 0) + 1 FROM sources").fetchone()[0]
        # ids given, not left to the engine: the same on both, with no gaps a rolled-back
        # import would leave in a PostgreSQL sequence
        last_id = self.db.execute("SELECT coalesce(max(id), 0) FROM records").fetchone()[0]
        stored = Path(SOURCES_DIR) / f"{source_id:03d}_{info.file_name}"
        self.db.defer_foreign_keys()
        count = [0]
        values = (record_values(record) for record in records)
        rows = _positioned(values, failures, count)
        self.db.insert_rows(
            "records",
            _INSERT_COLUMNS,
            ((last_id + number, source_id, *row) for number, row in enumerate(rows, start=1)),
        )
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
                count[0],
                len(failures),
                _dumps([warning.to_dict() for warning in info.warnings]),
            ),
        )
        self.db.executemany(
            "INSERT INTO import_failures (source_id, line, reason, excerpt) VALUES (?, ?, ?, ?)",
            ((source_id, f.line, f.reason, f.excerpt) for f in failures),
        )
        if self.in_database:  # stored with its records, in the import's transaction
            self.db.store_file(stored.as_posix(), info.original.read_bytes(), info.sha256)
            return source_id, self.path / stored
        target = self.path / stored
        target.parent.mkdir(exist_ok=True)  # (sources/ deleted by hand: made again)
        partial = target.with_name(target.name + PARTIAL_SUFFIX)
        self._copies.append(partial)
        shutil.copyfile(info.original, partial)
        return source_id, target

    def record_ids(self, source_id: int) -> list[int]:
        """The ids of a source's records, in the order of the file."""
        rows = self.db.execute(
            "SELECT id FROM records WHERE source_id = ? ORDER BY source_index", (source_id,)
        )
        return [row[0] for row in rows]

    def failures(self, source_id: int) -> list[Row]:
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

    def log(self) -> list[Row]:
        return self.db.execute("SELECT * FROM log ORDER BY id").fetchall()


def _insert_meta(db: Connection, meta: dict[str, str]) -> None:
    db.executemany("INSERT INTO meta (key, value) VALUES (?, ?)", list(meta.items()))
    db.execute(
        "INSERT INTO log (action, entity, detail) VALUES ('create', 'review', ?)", (_dumps(meta),)
    )


def source_rows(db: Connection) -> list[Row]:
    """Every imported file's PRISMA-S row, in import order."""
    return db.execute("SELECT * FROM sources ORDER BY id").fetchall()


def record_origins(db: Connection) -> list[tuple[int, int, int | None]]:
    """(record id, source id, the record it duplicates or None) of every record, in id order."""
    return [tuple(row) for row in db.execute("SELECT id, source_id, duplicate_of FROM records")]


def failure_places(db: Connection) -> list[tuple[int, int]]:
    """(source id, line) of every entry an import rejected."""
    rows = db.execute("SELECT source_id, line FROM import_failures ORDER BY id")
    return [tuple(row) for row in rows]


def titles(db: Connection) -> dict[int, str]:
    return dict(db.execute("SELECT id, title FROM records"))


def years(db: Connection) -> dict[int, int | None]:
    return dict(db.execute("SELECT id, year FROM records"))


def duplicate_count(db: Connection) -> int:
    row = db.execute("SELECT count(*) FROM records WHERE duplicate_of IS NOT NULL").fetchone()
    return int(row[0])


_SELECT_SQL = (
    "SELECT r.*, s.file_name AS source_file, s.database AS database "
    "FROM records r JOIN sources s ON s.id = r.source_id"
)


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


def record_values(record: Record) -> tuple[Any, ...]:
    """A record as the values of its row (all but source_id and source_index), line first."""
    return (
        record.line,
        record.year,
        _dumps([a.to_dict() for a in record.authors]) if record.authors else "[]",
        _dumps(record.ids) if record.ids else "{}",
        _dumps(record.raw),  # plain JSON of the export's own fields
        *_text_values(record),
        *[_dumps(values) if values else "[]" for values in _list_values(record)],
    )


_text_values = attrgetter(*_TEXT_COLUMNS)
_list_values = attrgetter(*_LIST_COLUMNS)


def _stored(row: Row) -> StoredRecord:
    record = Record(
        authors=[Author.from_dict(a) for a in json.loads(row["authors"])],
        year=row["year"],
        ids=json.loads(row["ids"]),
        raw=json.loads(row["raw"]),
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
