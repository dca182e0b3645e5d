"""The PostgreSQL engine: a review as a schema of a PostgreSQL database.

Everything that PostgreSQL spells differently from SQLite is here and only here: the
connection (`?` placeholders, rows by name), the write transaction and its locks, the schema's
DDL with its log triggers in PL/pgSQL, and the table of files (a review's verbatim imports,
full texts and protocol live in the database, so the review is whole wherever it is opened).

A review's URL is a libpq URL with the review's schema after `#`:
`postgresql://USER@HOST:PORT/DB#SCHEMA` (default schema `review`); one database holds as many
reviews as it has schemas. Passwords come from `~/.pgpass` or `PGPASSWORD`, like every libpq
client; `?sslmode=require` and the other libpq parameters go before the `#`.
"""

from __future__ import annotations

import contextlib
import functools
import os
import re
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar

import psycopg
from psycopg import errors as pg_errors
from psycopg import sql
from psycopg.conninfo import make_conninfo
from psycopg.pq import TransactionStatus

from slr.errors import ReviewBusy, ReviewExists, ReviewNotFound, SchemaVersionError, SlrError
from slr.store.connection import URL_SCHEMES, TransientFailure
from slr.store.schema import LOGGED_TABLES, SCHEMA_VERSION

DEFAULT_SCHEMA = "review"
_SCHEMA_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")
_VERSION_COMMENT = "slr review, schema version "
_SAY_AFTER_SECONDS = 1.0  # as on SQLite: a shorter wait goes unmentioned


@dataclass(frozen=True, slots=True)
class ReviewUrl:
    """Where a PostgreSQL review is: the libpq connection URL and the review's schema."""

    conninfo: str
    schema: str

    @classmethod
    def parse(cls, url: str) -> ReviewUrl:
        if not url.startswith(URL_SCHEMES):
            raise SlrError(f"{url} is not a postgresql:// URL", "postgresql://USER@HOST/DB#REVIEW")
        conninfo, _, schema = url.partition("#")
        schema = schema or DEFAULT_SCHEMA
        if not _SCHEMA_NAME.fullmatch(schema):
            raise SlrError(
                f"{schema!r} cannot name a review in PostgreSQL",
                "after # give lower-case letters, digits and _ (e.g. #diabetes_2026)",
            )
        return cls(conninfo, schema)

    @property
    def full(self) -> str:
        """The URL as given (with its password, if it has one)."""
        return f"{self.conninfo}#{self.schema}"

    def __str__(self) -> str:
        """The URL without its password, for messages."""
        shown = re.sub(r"(://[^:/@]*):[^@/]*@", r"\1@", self.conninfo)
        return f"{shown}#{self.schema}"


class Row(tuple):  # type: ignore[type-arg]
    """A row by position (a tuple) and by column name, like sqlite3.Row."""

    __slots__ = ()
    _index: ClassVar[dict[str, int]] = {}

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, str):
            return tuple.__getitem__(self, self._index[key])
        return tuple.__getitem__(self, key)

    def keys(self) -> list[str]:
        return list(self._index)


@functools.lru_cache(maxsize=512)
def _row_class(names: tuple[str, ...]) -> type[Row]:
    index: dict[str, int] = {}
    for position, name in enumerate(names):
        index.setdefault(name, position)  # the first of two equal names, as sqlite3.Row
    return type("Row", (Row,), {"__slots__": (), "_index": index})


def _row_factory(cursor: Any) -> Callable[[Sequence[Any]], Row]:
    names = tuple(column.name for column in cursor.description or ())
    return _row_class(names)


@functools.lru_cache(maxsize=4096)
def placeholders(statement: str) -> str:
    """The statement with psycopg's placeholders: `?` becomes %s and `%` becomes %%, outside
    quoted strings and names (the only rewriting of SQL between the engines)."""
    out: list[str] = []
    quote = ""
    for char in statement:
        if quote:
            if char == quote:
                quote = ""
        elif char in "'\"":
            quote = char
        elif char == "?":
            out.append("%s")
            continue
        if char == "%":
            out.append("%%")
            continue
        out.append(char)
    return "".join(out)


_GIVEN_UP = (pg_errors.SerializationFailure, pg_errors.DeadlockDetected)


def _application_name() -> str:
    """What other sessions see of this one in pg_stat_activity (and the "waiting for" notice)."""
    return " ".join(["slr", *sys.argv[1:3]])[:60]


def _stderr_notice(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


class PostgresConnection:
    """A connection to one review (schema) of a PostgreSQL database, with the API of
    `connection.Connection`: `?` placeholders, rows by name, writes only in
    `transaction.write`. Statements outside a transaction commit at once (autocommit)."""

    engine = "postgresql"
    review_dir = None  # no directory: its files are in the `files` table
    on_wait: Callable[[str], None] = staticmethod(_stderr_notice)

    def __init__(self, url: ReviewUrl) -> None:
        self.url = url
        self.raw = self._open()

    def _open(self) -> psycopg.Connection[Row]:
        # libpq reads PGCONNECT_TIMEOUT itself; without it, give up on a silent server after 10 s
        conninfo = self.url.conninfo
        if not os.environ.get("PGCONNECT_TIMEOUT"):
            conninfo = make_conninfo(conninfo, connect_timeout=10)
        try:
            raw = psycopg.connect(
                conninfo,
                autocommit=True,
                row_factory=_row_factory,
                application_name=_application_name(),
            )
        except psycopg.OperationalError as error:
            why = (str(error).strip().splitlines() or ["no answer"])[0]
            raise TransientFailure(
                f"cannot connect to {self.url} ({why})",
                "check the server, the URL, and your password in ~/.pgpass or PGPASSWORD",
            ) from None
        raw.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(self.url.schema)))
        return raw

    def reconnect(self) -> None:
        try:
            self.raw.close()
        finally:
            self.raw = self._open()

    # -- statements ------------------------------------------------------------------------

    def execute(self, statement: str, parameters: Sequence[Any] = (), /) -> Any:
        """Run one statement. Outside a transaction (a read, or the BEGIN of a write) a
        connection found dropped is opened again and the statement run once more, so a
        reviewer whose connection dropped between two keys never sees it; inside one, the
        transaction is lost and TransientFailure says so (`transaction.retried`)."""
        query, values = placeholders(statement), tuple(parameters)
        alone = not self.in_transaction
        try:
            return self.raw.execute(query, values)
        except psycopg.OperationalError as error:
            if not self._is_transient(error):
                raise
            if not (alone and self.raw.broken):
                raise self._transient(error) from None
        self.reconnect()
        try:
            return self.raw.execute(query, values)
        except psycopg.OperationalError as error:
            if self._is_transient(error):
                raise self._transient(error) from None
            raise

    def executemany(self, statement: str, rows: Iterable[Sequence[Any]], /) -> Any:
        cursor = self.raw.cursor()
        try:
            cursor.executemany(placeholders(statement), rows)
        except psycopg.OperationalError as error:
            if self._is_transient(error):
                raise self._transient(error) from None
            raise
        return cursor

    def insert_rows(
        self, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]
    ) -> None:
        """COPY: a tenth of the round trips of one INSERT per row."""
        copy = sql.SQL("COPY {} ({}) FROM STDIN").format(
            sql.Identifier(table), sql.SQL(", ").join(map(sql.Identifier, columns))
        )
        try:
            with self.raw.cursor().copy(copy) as stream:
                for row in rows:
                    stream.write_row(row)
        except psycopg.OperationalError as error:
            if self._is_transient(error):
                raise self._transient(error) from None
            raise

    def script(self, statements: str) -> None:
        """Run DDL (several statements, no parameters)."""
        self.raw.execute(statements.encode())

    def _is_transient(self, error: psycopg.OperationalError) -> bool:
        """A deadlock or serialization victim, or a connection that dropped (server restart,
        network, idle timeout): worth running again."""
        return isinstance(error, _GIVEN_UP) or self.raw.broken

    def _transient(self, error: Exception) -> TransientFailure:
        if self.in_transaction:
            self.rollback()
        what = "the connection to the database was lost"
        if isinstance(error, _GIVEN_UP):
            what = "the database gave this change up in favour of another one"
        return TransientFailure(
            f"{what} ({str(error).strip().splitlines()[0] if str(error).strip() else error})",
            "nothing was changed: run the command again",
        )

    @property
    def in_transaction(self) -> bool:
        return self.raw.info.transaction_status != TransactionStatus.IDLE

    def commit(self) -> None:
        if self.in_transaction:
            self.execute("COMMIT")

    def rollback(self) -> None:
        if self.raw.closed:
            return
        if self.in_transaction:
            # (when the connection is gone, its transaction went with it)
            with contextlib.suppress(psycopg.OperationalError):
                self.raw.execute("ROLLBACK")

    def close(self) -> None:
        self.raw.close()

    # -- transactions ----------------------------------------------------------------------

    def begin_read(self) -> None:
        self.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")

    def begin_write(self, limit: float | None = None, reviewer: str = "") -> None:
        """BEGIN, then the review's write lock (a transaction-level advisory lock), waiting and
        saying so while another writer holds it, at most `limit` seconds.

        A lead's write (import, dedup, `screen auto`, resolutions ...) holds the review's lock
        exclusively: one at a time, as on SQLite, so what it read stays true until it commits.
        A reviewer's own decisions and notes (`reviewer` given) share the review's lock and
        hold one of their own: reviewers never wait for each other, only for a lead's write.
        Readers never wait (MVCC)."""
        from slr.store.transaction import WAIT_VARIABLE, wait_limit  # (it imports this module)

        if self.in_transaction:
            self.commit()
        limit = wait_limit() if limit is None else limit
        started = time.monotonic()
        said = False
        while True:
            self.execute("BEGIN")
            # (at least 1 ms: 0 would mean no timeout at all)
            wait_ms = max(1, int(min(limit, _SAY_AFTER_SECONDS) * 1000))
            self.execute(f"SET LOCAL lock_timeout = {wait_ms}")
            try:
                if reviewer:
                    self.execute(
                        "SELECT pg_advisory_xact_lock_shared(hashtext(?), 0)", (self._key,)
                    )
                    self.execute(
                        "SELECT pg_advisory_xact_lock(hashtext(?), hashtext(?) | 1)",
                        (self._key, reviewer),
                    )
                else:
                    self.execute("SELECT pg_advisory_xact_lock(hashtext(?), 0)", (self._key,))
                self.execute("SET LOCAL lock_timeout = 0")
                return
            except pg_errors.LockNotAvailable:
                self.rollback()
            waited = time.monotonic() - started
            holder = self._lock_holder()
            if waited >= limit:
                raise ReviewBusy(
                    f"the review is busy: {holder} has been writing to it for {waited:.0f} s",
                    f"wait for it to finish and run this again (or set {WAIT_VARIABLE} to wait "
                    "longer)",
                )
            if not said:
                self.on_wait(f"Waiting for {holder}, which is writing to this review ...")
                said = True

    @property
    def _key(self) -> str:
        return f"slr:{self.url.schema}"

    def _lock_holder(self) -> str:
        row = self.execute(
            "SELECT a.application_name, a.usename, a.client_addr FROM pg_locks l "
            "JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'advisory' "
            # (the lock's first key, an int4, is shown as an unsigned oid)
            "AND l.granted AND l.classid::bigint = (hashtext(?)::bigint + 4294967296) % 4294967296 "
            "AND a.pid <> pg_backend_pid() "
            "LIMIT 1",
            (self._key,),
        ).fetchone()
        if row is None:
            return "another slr command"
        where = f" of {row[1]}" + (f" at {row[2]}" if row[2] else "")
        return f"`{row[0] or 'a client'}`{where}"

    # -- what the engines spell differently --------------------------------------------------

    def json_text(self, column: str, key: str) -> str:
        return f"({column}::json ->> '{key}')"

    def json_number(self, column: str, key: str) -> str:
        value = f"{column}::json -> '{key}'"
        return f"(CASE WHEN json_typeof({value}) = 'number' THEN ({value})::text::numeric END)"

    def has_table(self, name: str) -> bool:
        found = self.execute(
            "SELECT 1 FROM information_schema.tables WHERE table_schema = ? AND table_name = ?",
            (self.url.schema, name),
        )
        return found.fetchone() is not None

    def defer_foreign_keys(self) -> None:
        self.execute("SET CONSTRAINTS ALL DEFERRED")

    def store_file(self, path: str, data: bytes, sha256: str) -> None:
        """Store (or replace) the file at PATH (as in a review directory); in the caller's
        transaction, so that it is stored with the rows that name it, or not at all."""
        self.execute(
            "INSERT INTO files (path, data, sha256, stored_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (path) DO UPDATE SET data = excluded.data, sha256 = excluded.sha256, "
            "stored_at = excluded.stored_at",
            (path, data, sha256, datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")),
        )

    def load_file(self, path: str) -> bytes | None:
        row = self.execute("SELECT data FROM files WHERE path = ?", (path,)).fetchone()
        return None if row is None else bytes(row[0])

    def drop_file(self, path: str) -> None:
        self.execute("DELETE FROM files WHERE path = ?", (path,))

    def bulk_cache(self, kib: int | None) -> None:
        pass  # the server's memory is the server's business


# -- the schema -----------------------------------------------------------------------------

_TABLES = """
CREATE TABLE meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE sources (
    id BIGINT PRIMARY KEY,
    file_name TEXT NOT NULL,
    stored_path TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    size BIGINT NOT NULL,
    format TEXT NOT NULL,
    flavour TEXT NOT NULL DEFAULT '',
    encoding TEXT NOT NULL,
    database TEXT NOT NULL DEFAULT '',
    method TEXT NOT NULL DEFAULT 'database',
    search_string TEXT NOT NULL DEFAULT '',
    searched_on TEXT NOT NULL DEFAULT '',
    imported_at TEXT NOT NULL,
    records BIGINT NOT NULL,
    failures BIGINT NOT NULL,
    warnings TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX sources_sha256 ON sources(sha256);
CREATE TABLE import_failures (
    id BIGINT PRIMARY KEY,
    source_id BIGINT NOT NULL REFERENCES sources(id) DEFERRABLE,
    line BIGINT NOT NULL,
    reason TEXT NOT NULL,
    excerpt TEXT NOT NULL DEFAULT ''
);
CREATE TABLE records (
    id BIGINT PRIMARY KEY,
    source_id BIGINT NOT NULL REFERENCES sources(id) DEFERRABLE,
    source_index BIGINT NOT NULL,
    line BIGINT NOT NULL DEFAULT 0,
    title TEXT NOT NULL DEFAULT '',
    authors TEXT NOT NULL DEFAULT '[]',
    year BIGINT,
    source_title TEXT NOT NULL DEFAULT '',
    volume TEXT NOT NULL DEFAULT '',
    issue TEXT NOT NULL DEFAULT '',
    pages TEXT NOT NULL DEFAULT '',
    doi TEXT NOT NULL DEFAULT '',
    pmid TEXT NOT NULL DEFAULT '',
    issn TEXT NOT NULL DEFAULT '[]',
    isbn TEXT NOT NULL DEFAULT '[]',
    abstract TEXT NOT NULL DEFAULT '',
    copyright TEXT NOT NULL DEFAULT '',
    author_keywords TEXT NOT NULL DEFAULT '[]',
    index_keywords TEXT NOT NULL DEFAULT '[]',
    language TEXT NOT NULL DEFAULT '',
    document_type TEXT NOT NULL DEFAULT '',
    url TEXT NOT NULL DEFAULT '',
    publisher TEXT NOT NULL DEFAULT '',
    ids TEXT NOT NULL DEFAULT '{}',
    cited_references TEXT NOT NULL DEFAULT '[]',
    cited_dois TEXT NOT NULL DEFAULT '[]',
    raw TEXT NOT NULL DEFAULT '{}',
    duplicate_of BIGINT REFERENCES records(id) DEFERRABLE,
    UNIQUE (source_id, source_index)
);
CREATE INDEX records_doi ON records(doi) WHERE doi <> '';
CREATE INDEX records_duplicate_of ON records(duplicate_of) WHERE duplicate_of IS NOT NULL;
CREATE TABLE log (
    id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    at TEXT NOT NULL
        DEFAULT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
    action TEXT NOT NULL,
    entity TEXT NOT NULL,
    entity_id BIGINT,
    detail TEXT NOT NULL DEFAULT '{}'
);
CREATE TABLE dedup_runs (
    id BIGINT PRIMARY KEY,
    started_at TEXT NOT NULL,
    settings TEXT NOT NULL DEFAULT '{}',
    records BIGINT NOT NULL,
    candidates BIGINT NOT NULL,
    seconds DOUBLE PRECISION NOT NULL DEFAULT 0
);
CREATE TABLE dedup_clusters (
    id BIGINT PRIMARY KEY,
    run_id BIGINT REFERENCES dedup_runs(id) DEFERRABLE,
    kept_id BIGINT NOT NULL REFERENCES records(id) DEFERRABLE,
    made_by TEXT NOT NULL DEFAULT 'auto'
);
CREATE TABLE dedup_members (
    cluster_id BIGINT NOT NULL REFERENCES dedup_clusters(id) DEFERRABLE,
    record_id BIGINT NOT NULL UNIQUE REFERENCES records(id) DEFERRABLE,
    role TEXT NOT NULL CHECK (role IN ('kept', 'duplicate')),
    rule TEXT NOT NULL DEFAULT '',
    score DOUBLE PRECISION NOT NULL DEFAULT 0,
    PRIMARY KEY (cluster_id, record_id)
);
CREATE TABLE dedup_pairs (
    id BIGINT PRIMARY KEY,
    run_id BIGINT REFERENCES dedup_runs(id) DEFERRABLE,
    record_a BIGINT NOT NULL REFERENCES records(id) DEFERRABLE,
    record_b BIGINT NOT NULL REFERENCES records(id) DEFERRABLE,
    outcome TEXT NOT NULL CHECK (outcome IN ('duplicate', 'uncertain', 'distinct')),
    rule TEXT NOT NULL,
    score DOUBLE PRECISION NOT NULL,
    UNIQUE (record_a, record_b)
);
CREATE TABLE dedup_decisions (
    id BIGINT PRIMARY KEY,
    record_a BIGINT NOT NULL REFERENCES records(id) DEFERRABLE,
    record_b BIGINT NOT NULL REFERENCES records(id) DEFERRABLE,
    decision TEXT NOT NULL CHECK (decision IN ('merge', 'apart')),
    decided_at TEXT NOT NULL,
    UNIQUE (record_a, record_b)
);
CREATE TABLE dedup_merged_fields (
    cluster_id BIGINT NOT NULL REFERENCES dedup_clusters(id) DEFERRABLE,
    field TEXT NOT NULL,
    value TEXT NOT NULL,
    from_record BIGINT NOT NULL REFERENCES records(id) DEFERRABLE,
    PRIMARY KEY (cluster_id, field)
);
CREATE TABLE screen_runs (
    id BIGINT PRIMARY KEY,
    started_at TEXT NOT NULL,
    stages TEXT NOT NULL DEFAULT '[]',
    protocol_sha256 TEXT NOT NULL DEFAULT '',
    rules BIGINT NOT NULL DEFAULT 0,
    records BIGINT NOT NULL DEFAULT 0,
    added BIGINT NOT NULL DEFAULT 0,
    changed BIGINT NOT NULL DEFAULT 0,
    removed BIGINT NOT NULL DEFAULT 0,
    undone_at TEXT
);
CREATE TABLE decisions (
    id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    record_id BIGINT NOT NULL REFERENCES records(id) DEFERRABLE,
    stage TEXT NOT NULL CHECK (stage IN ('title_abstract', 'full_text')),
    decision TEXT NOT NULL CHECK (decision IN ('include', 'exclude', 'flag')),
    reason TEXT NOT NULL DEFAULT '',
    reviewer TEXT NOT NULL,
    span_field TEXT NOT NULL DEFAULT '',
    span_start BIGINT,
    span_end BIGINT,
    span_text TEXT NOT NULL DEFAULT '',
    evidence TEXT NOT NULL DEFAULT '[]',
    note TEXT NOT NULL DEFAULT '',
    run_id BIGINT REFERENCES screen_runs(id) DEFERRABLE,
    decided_at TEXT NOT NULL,
    UNIQUE (record_id, stage, reviewer)
);
CREATE UNIQUE INDEX decisions_one_auto ON decisions(record_id, stage)
    WHERE reviewer LIKE 'auto:%';
CREATE INDEX decisions_stage ON decisions(stage, decision);
CREATE INDEX decisions_reviewer ON decisions(stage, reviewer);
CREATE TABLE screen_run_changes (
    run_id BIGINT NOT NULL REFERENCES screen_runs(id) DEFERRABLE,
    seq BIGINT NOT NULL,
    decision_id BIGINT NOT NULL,
    before TEXT,
    PRIMARY KEY (run_id, seq)
);
CREATE TABLE screen_notes (
    id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    record_id BIGINT NOT NULL REFERENCES records(id) DEFERRABLE,
    stage TEXT NOT NULL CHECK (stage IN ('title_abstract', 'full_text')),
    reviewer TEXT NOT NULL,
    note TEXT NOT NULL,
    noted_at TEXT NOT NULL,
    UNIQUE (record_id, stage, reviewer)
);
CREATE TABLE final_decisions (
    id BIGINT PRIMARY KEY,
    record_id BIGINT NOT NULL REFERENCES records(id) DEFERRABLE,
    stage TEXT NOT NULL CHECK (stage IN ('title_abstract', 'full_text')),
    decision TEXT NOT NULL CHECK (decision IN ('include', 'exclude')),
    reason TEXT NOT NULL DEFAULT '',
    resolved_by TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    decided_at TEXT NOT NULL,
    UNIQUE (record_id, stage)
);
CREATE TABLE fulltexts (
    id BIGINT PRIMARY KEY,
    record_id BIGINT NOT NULL UNIQUE REFERENCES records(id) DEFERRABLE,
    path TEXT NOT NULL DEFAULT '',
    original_name TEXT NOT NULL DEFAULT '',
    sha256 TEXT NOT NULL DEFAULT '',
    missing_reason TEXT NOT NULL DEFAULT '',
    updated_at TEXT NOT NULL,
    CHECK ((path = '') <> (missing_reason = ''))
);
CREATE TABLE tag_runs (
    id BIGINT PRIMARY KEY,
    started_at TEXT NOT NULL,
    stage TEXT NOT NULL,
    protocol_sha256 TEXT NOT NULL DEFAULT '',
    records BIGINT NOT NULL DEFAULT 0,
    added BIGINT NOT NULL DEFAULT 0,
    changed BIGINT NOT NULL DEFAULT 0,
    removed BIGINT NOT NULL DEFAULT 0
);
CREATE TABLE tagged_records (
    record_id BIGINT PRIMARY KEY REFERENCES records(id) DEFERRABLE,
    run_id BIGINT NOT NULL REFERENCES tag_runs(id) DEFERRABLE
);
CREATE TABLE tags (
    id BIGINT PRIMARY KEY,
    record_id BIGINT NOT NULL REFERENCES records(id) DEFERRABLE,
    vocabulary TEXT NOT NULL,
    grp TEXT NOT NULL,
    field TEXT NOT NULL,
    start BIGINT NOT NULL,
    "end" BIGINT NOT NULL,
    text TEXT NOT NULL,
    term TEXT NOT NULL DEFAULT '',
    evidence TEXT NOT NULL DEFAULT '[]',
    run_id BIGINT REFERENCES tag_runs(id) DEFERRABLE,
    UNIQUE (record_id, vocabulary, grp)
);
CREATE TABLE tag_overrides (
    id BIGINT PRIMARY KEY,
    record_id BIGINT NOT NULL REFERENCES records(id) DEFERRABLE,
    vocabulary TEXT NOT NULL,
    grp TEXT NOT NULL,
    action TEXT NOT NULL CHECK (action IN ('add', 'remove')),
    reviewer TEXT NOT NULL DEFAULT '',
    note TEXT NOT NULL DEFAULT '',
    decided_at TEXT NOT NULL,
    UNIQUE (record_id, vocabulary, grp)
);
CREATE TABLE extraction_values (
    id BIGINT PRIMARY KEY,
    record_id BIGINT NOT NULL REFERENCES records(id) DEFERRABLE,
    field TEXT NOT NULL,
    value TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (record_id, field)
);
CREATE TABLE fulltext_files (
    id BIGINT PRIMARY KEY,
    record_id BIGINT NOT NULL REFERENCES records(id) DEFERRABLE,
    path TEXT NOT NULL UNIQUE,
    original_name TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    pages BIGINT NOT NULL DEFAULT 0,
    chars BIGINT NOT NULL DEFAULT 0,
    text_layer BIGINT,
    matched_by TEXT NOT NULL DEFAULT 'by hand'
        CHECK (matched_by IN ('doi', 'title', 'file name', 'by hand')),
    warning TEXT NOT NULL DEFAULT '',
    attached_at TEXT NOT NULL
);
CREATE INDEX fulltext_files_record ON fulltext_files(record_id);
CREATE TABLE fulltext_pages (
    file_id BIGINT NOT NULL REFERENCES fulltext_files(id) ON DELETE CASCADE DEFERRABLE,
    page BIGINT NOT NULL,
    text TEXT NOT NULL,
    PRIMARY KEY (file_id, page)
);
CREATE TABLE fulltext_references (
    file_id BIGINT NOT NULL REFERENCES fulltext_files(id) ON DELETE CASCADE DEFERRABLE,
    seq BIGINT NOT NULL,
    text TEXT NOT NULL,
    PRIMARY KEY (file_id, seq)
);
CREATE TABLE screen_stops (
    id BIGINT PRIMARY KEY,
    stage TEXT NOT NULL UNIQUE CHECK (stage IN ('title_abstract', 'full_text')),
    rule TEXT NOT NULL,
    parameters TEXT NOT NULL DEFAULT '{}',
    statistics TEXT NOT NULL DEFAULT '{}',
    forced BIGINT NOT NULL DEFAULT 0,
    records BIGINT NOT NULL,
    stopped_at TEXT NOT NULL
);
CREATE TABLE stopped_records (
    stop_id BIGINT NOT NULL REFERENCES screen_stops(id) DEFERRABLE,
    record_id BIGINT NOT NULL REFERENCES records(id) DEFERRABLE,
    PRIMARY KEY (stop_id, record_id)
);
-- PostgreSQL only: the files a review directory holds beside review.db (the verbatim copies
-- of imported exports, attached full texts, the protocol), by their path in such a directory.
CREATE TABLE files (
    path TEXT PRIMARY KEY,
    data BYTEA NOT NULL,
    sha256 TEXT NOT NULL,
    stored_at TEXT NOT NULL
);
"""

# Tables whose new rows take the next id after the largest, as SQLite gives them (an id freed
# at the top is used again, a table emptied starts at 1 again): the ids that outputs show are
# then the same on both engines. The log, decisions and notes, written by reviewers at once,
# take theirs from a sequence instead (in the same order: a new row's id is above all others).
_NEXT_ID_TABLES = (
    "sources",
    "records",
    "import_failures",
    "dedup_runs",
    "dedup_clusters",
    "dedup_pairs",
    "dedup_decisions",
    "screen_runs",
    "final_decisions",
    "fulltexts",
    "tag_runs",
    "tags",
    "tag_overrides",
    "extraction_values",
    "fulltext_files",
    "screen_stops",
)

# The log's own triggers, and those not made from LOGGED_TABLES; {s} is the schema.
_TRIGGERS = """
CREATE FUNCTION {s}.real_json(value DOUBLE PRECISION) RETURNS json LANGUAGE sql IMMUTABLE AS $$
    SELECT (CASE WHEN value = trunc(value) AND abs(value) < 1e15
        THEN to_json(value)::text || '.0' ELSE to_json(value)::text END)::json
$$;
-- SECURITY DEFINER: the largest id of the table, whatever rows the writer may see
CREATE FUNCTION {s}.next_id() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER AS $$
BEGIN
    EXECUTE format('SELECT coalesce(max(id), 0) + 1 FROM %I.%I', TG_TABLE_SCHEMA, TG_TABLE_NAME)
        INTO NEW.id;
    RETURN NEW;
END $$;

CREATE FUNCTION {s}.log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'the log is append-only'; END $$;
CREATE TRIGGER log_no_update BEFORE UPDATE ON {s}.log
    FOR EACH ROW EXECUTE FUNCTION {s}.log_append_only();
CREATE TRIGGER log_no_delete BEFORE DELETE ON {s}.log
    FOR EACH ROW EXECUTE FUNCTION {s}.log_append_only();

CREATE FUNCTION {s}.sources_logged() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        INSERT INTO {s}.log (action, entity, entity_id, detail)
        VALUES ('delete', 'source', OLD.id, json_build_object('file', OLD.file_name)::text);
        RETURN OLD;
    END IF;
    INSERT INTO {s}.log (action, entity, entity_id, detail) VALUES ('insert', 'source', NEW.id,
        json_build_object('file', NEW.file_name, 'sha256', NEW.sha256, 'format', NEW.format,
            'database', NEW.database, 'method', NEW.method,
            'records', NEW.records, 'failures', NEW.failures,
            'first_record', (SELECT min(id) FROM {s}.records WHERE source_id = NEW.id),
            'last_record', (SELECT max(id) FROM {s}.records WHERE source_id = NEW.id))::text);
    RETURN NEW;
END $$;
CREATE TRIGGER sources_logged AFTER INSERT OR DELETE ON {s}.sources
    FOR EACH ROW EXECUTE FUNCTION {s}.sources_logged();

CREATE FUNCTION {s}.records_logged() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        INSERT INTO {s}.log (action, entity, entity_id, detail) VALUES ('delete', 'record',
            OLD.id, json_build_object('source_id', OLD.source_id)::text);
        RETURN OLD;
    END IF;
    INSERT INTO {s}.log (action, entity, entity_id, detail) VALUES ('update', 'record', NEW.id,
        json_build_object(
            'duplicate_of', json_build_array(OLD.duplicate_of, NEW.duplicate_of),
            'fields_changed', ((OLD.title, OLD.authors, OLD.year, OLD.source_title, OLD.volume,
                OLD.issue, OLD.pages, OLD.doi, OLD.pmid, OLD.abstract, OLD.ids)
                IS DISTINCT FROM (NEW.title, NEW.authors, NEW.year, NEW.source_title,
                NEW.volume, NEW.issue, NEW.pages, NEW.doi, NEW.pmid, NEW.abstract,
                NEW.ids))::int)::text);
    RETURN NEW;
END $$;
-- (no trigger on inserted records: an import logs them as its source's id range)
CREATE TRIGGER records_logged AFTER UPDATE OR DELETE ON {s}.records
    FOR EACH ROW EXECUTE FUNCTION {s}.records_logged();

CREATE FUNCTION {s}.decisions_human_kept() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'a reviewer''s decision cannot be replaced by a rule'; END $$;
CREATE TRIGGER decisions_human_kept BEFORE UPDATE ON {s}.decisions FOR EACH ROW
    WHEN (OLD.reviewer NOT LIKE 'auto:%' AND NEW.reviewer LIKE 'auto:%')
    EXECUTE FUNCTION {s}.decisions_human_kept();
"""


# The REAL columns the log's details name. SQLite writes a whole REAL as 1.0 in JSON and
# PostgreSQL as 1; `real_json` writes it as SQLite does, so the log reads the same.
_REAL_IN_DETAIL = {"dedup_members": ("score",), "dedup_pairs": ("score",)}


def _logged_trigger(schema: str, table: str, entity: str, entity_id: str, detail: str) -> str:
    """One PL/pgSQL trigger that logs every insert, update and delete of TABLE, as the SQLite
    triggers of schema.py do (the same entity, id and detail)."""
    for column in _REAL_IN_DETAIL.get(table, ()):
        detail = detail.replace(f"{{p}}.{column}", f"{schema}.real_json({{p}}.{column})")

    def entry(row: str, action: str) -> str:
        return (
            f"INSERT INTO {schema}.log (action, entity, entity_id, detail) VALUES ({action}, "
            f"'{entity}', {entity_id.format(p=row)}, "
            f"json_build_object({detail.format(p=row)})::text);"
        )

    return f"""
CREATE FUNCTION {schema}.{table}_logged() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        {entry("OLD", "'delete'")}
        RETURN OLD;
    END IF;
    {entry("NEW", "lower(TG_OP)")}
    RETURN NEW;
END $$;
CREATE TRIGGER {table}_logged AFTER INSERT OR UPDATE OR DELETE ON {schema}.{table}
    FOR EACH ROW EXECUTE FUNCTION {schema}.{table}_logged();
"""


def schema_ddl(schema: str, new: bool = True) -> str:
    """The whole schema of a review (SCHEMA_VERSION of store/schema.py), in SCHEMA (created
    unless `new` is false: an empty schema made beforehand)."""
    quoted = f'"{schema}"'  # (ReviewUrl allows only [a-z0-9_] names)
    parts = [
        f"CREATE SCHEMA {quoted};" if new else "",
        f"SET LOCAL search_path TO {quoted};",
        _TABLES,
        _TRIGGERS.format(s=quoted),
        *(
            f"CREATE TRIGGER {table}_next_id BEFORE INSERT ON {quoted}.{table} FOR EACH ROW "
            f"WHEN (NEW.id IS NULL) EXECUTE FUNCTION {quoted}.next_id();"
            for table in _NEXT_ID_TABLES
        ),
        *(
            _logged_trigger(quoted, table, entity, entity_id, detail)
            for table, (entity, entity_id, detail) in LOGGED_TABLES.items()
        ),
        f"COMMENT ON SCHEMA {quoted} IS '{_VERSION_COMMENT}{SCHEMA_VERSION}';",
    ]
    return "\n".join(parts)


def schema_version(db: PostgresConnection) -> int | None:
    """The review's schema version; None when its schema holds no slr review."""
    row = db.execute(
        "SELECT obj_description(oid, 'pg_namespace') FROM pg_namespace WHERE nspname = ?",
        (db.url.schema,),
    ).fetchone()
    if row is None or not (row[0] or "").startswith(_VERSION_COMMENT):
        return None
    return int(row[0].removeprefix(_VERSION_COMMENT))


def check_version(db: PostgresConnection) -> int:
    """The schema version of an existing review; refuses a missing or newer one."""
    version = schema_version(db)
    if version is None:
        raise ReviewNotFound(
            f"{db.url} holds no review",
            f"create it with `slr init --store {db.url}`, or check the name after #",
        )
    if version != SCHEMA_VERSION:
        newer = version > SCHEMA_VERSION
        raise SchemaVersionError(
            f"the review {db.url} has schema {version}; this slr knows {SCHEMA_VERSION}",
            "upgrade slr (pip install -U slr) before opening this review"
            if newer
            else "open it with the slr that made it, or copy it to a directory and back",
        )
    return version


def create_schema(db: PostgresConnection) -> None:
    """Create the review's schema with all its tables and triggers, inside the caller's write
    transaction (so that the schema and what the caller puts in it come whole or not at all)."""
    if schema_version(db) is not None or _has_schema(db):
        raise ReviewExists(f"{db.url} already holds a review", "name another schema after #")
    db.script(schema_ddl(db.url.schema))


def create_in_empty_schema(db: PostgresConnection) -> None:
    """As `create_schema`, but an existing schema that holds nothing (made beforehand, e.g.
    with its grants) is used as it is."""
    if schema_version(db) is None and _has_schema(db) and _schema_is_empty(db):
        db.script(schema_ddl(db.url.schema, new=False))
        return
    create_schema(db)


def _schema_is_empty(db: PostgresConnection) -> bool:
    row = db.execute(
        "SELECT (SELECT count(*) FROM pg_class c WHERE c.relnamespace = n.oid)"
        " + (SELECT count(*) FROM pg_proc p WHERE p.pronamespace = n.oid)"
        " FROM pg_namespace n WHERE n.nspname = ?",
        (db.url.schema,),
    ).fetchone()
    return row is not None and int(row[0]) == 0


def set_triggers(db: PostgresConnection, tables: Sequence[str], enabled: bool) -> None:
    """Switch the review's own triggers (the log's, the next ids) off or on for TABLES, in the
    caller's transaction (foreign keys stay checked)."""
    verb = sql.SQL("ENABLE" if enabled else "DISABLE")
    for table in tables:
        db.raw.execute(
            sql.SQL("ALTER TABLE {} {} TRIGGER USER").format(sql.Identifier(table), verb)
        )


def identity_last_values(db: PostgresConnection) -> dict[str, int]:
    """The last id each table with an identity column (log, decisions, notes) has given."""
    rows = db.execute(
        "SELECT table_name, pg_get_serial_sequence(quote_ident(table_name), column_name)"
        " FROM information_schema.columns WHERE table_schema = ? AND is_identity = 'YES'",
        (db.url.schema,),
    ).fetchall()
    last: dict[str, int] = {}
    for table, sequence in rows:
        # (the server's own name for the sequence, quoted as needed)
        query = sql.SQL("SELECT last_value, is_called FROM {}").format(sql.SQL(sequence))
        value, called = db.execute(query.as_string(db.raw)).fetchone()
        last[table] = int(value) if called else int(value) - 1
    return last


def set_identity(db: PostgresConnection, table: str, last: int) -> None:
    """The next id of TABLE's identity column is LAST + 1."""
    db.execute(
        "SELECT setval(pg_get_serial_sequence(quote_ident(?), 'id'), ?, ?)",
        (table, max(last, 1), last >= 1),
    )


def table_names(db: PostgresConnection) -> list[str]:
    rows = db.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = ?"
        " AND table_type = 'BASE TABLE' ORDER BY table_name",
        (db.url.schema,),
    )
    return [row[0] for row in rows]


def _has_schema(db: PostgresConnection) -> bool:
    row = db.execute("SELECT 1 FROM pg_namespace WHERE nspname = ?", (db.url.schema,))
    return row.fetchone() is not None


def as_slr_error(error: psycopg.Error) -> SlrError:
    """What the server refused, as a message (the transaction was rolled back)."""
    first = (str(error).strip().splitlines() or [type(error).__name__])[0]
    if isinstance(error, pg_errors.InsufficientPrivilege):
        return SlrError(
            f"the database refused: {first}",
            "ask the review's lead for the role you need; the review was left as it was",
        )
    if isinstance(error, pg_errors.DiskFull):
        return SlrError("the database server's disk is full", "ask its administrator for room")
    return SlrError(f"the database refused the change: {first}", "the review was left as it was")
