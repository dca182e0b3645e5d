"""The one connection API every module of store/ uses, whichever engine holds the review.

A review lives in a SQLite file inside its directory (`ReviewConnection`, transaction.py) or in
a schema of a PostgreSQL database (`PostgresConnection`, postgres.py). Both take the same SQL:

- `execute(sql, parameters)` and `executemany(sql, rows)` with `?` placeholders;
- rows read by position (`row[0]`, `a, b = row`) and by column name (`row["id"]`);
- a new row's id from `INSERT ... RETURNING id` (never `lastrowid`);
- writes only inside `transaction.write(db)`; `begin_read()` for a consistent snapshot;
- what the engines spell differently as methods: `json_text`, `json_number`, `has_table`,
  `defer_foreign_keys`, `bulk_cache`.

Where a review lives is its *location*: a directory (a `Path`), or a PostgreSQL URL naming the
database and, after `#`, the review's schema (`postgresql://USER@HOST/DB#SCHEMA`; see
`postgres.ReviewUrl`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, Protocol, TypeAlias

from slr.errors import SlrError

# A row as either engine returns it: indexable by position and by column name, iterable.
Row: TypeAlias = Any
Location: TypeAlias = "Path | str"  # a review directory, or a postgresql:// URL

URL_SCHEMES = ("postgresql://", "postgres://")


def is_url(location: Path | str) -> bool:
    """Whether a review location names a PostgreSQL database rather than a directory."""
    return isinstance(location, str) and location.startswith(URL_SCHEMES)


def inserted_id(db: Connection, statement: str, parameters: Sequence[Any] = ()) -> int:
    """Run an `INSERT ... RETURNING id` and give the new row's id (both engines; the rows are
    read to the end, so that SQLite finishes the statement)."""
    rows = db.execute(statement, parameters).fetchall()
    return int(rows[0][0])


def one_by_one(db: Connection, select: str, change: str, parameters: Sequence[Any] = ()) -> int:
    """Run CHANGE (an UPDATE or DELETE of one row, its ? the values of one row SELECT gives)
    for each row SELECT gives, in SELECT's order. A change of many rows of a logged table goes
    so: each engine logs the rows a statement changes in the order it meets them, which is
    its own (SQLite's index order, PostgreSQL's heap order); row by row, both logs read alike.
    Returns the number of rows."""
    keys = [tuple(row) for row in db.execute(select, parameters).fetchall()]
    if keys:
        db.executemany(change, keys)
    return len(keys)


class TransientFailure(SlrError):
    """The engine gave up a transaction that may succeed if run again: the connection was lost,
    or PostgreSQL chose it as the victim of a deadlock or serialization conflict. The
    transaction was rolled back; `transaction.retried` runs it again on a new connection."""


class Cursor(Protocol):
    def fetchone(self) -> Row: ...

    def fetchall(self) -> list[Row]: ...

    def __iter__(self) -> Iterator[Row]: ...


class Connection(Protocol):
    """What store/ may ask of a connection to a review, on either engine."""

    engine: str  # "sqlite" | "postgresql"
    on_wait: Callable[[str], None]  # told once when a write waits for another writer

    @property
    def in_transaction(self) -> bool: ...

    def execute(self, sql: str, parameters: Sequence[Any] = (), /) -> Any: ...

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]], /) -> Any: ...

    def commit(self) -> None: ...

    def rollback(self) -> None: ...

    def close(self) -> None: ...

    def begin_write(self, limit: float | None = None, reviewer: str = "") -> None:
        """Start the write transaction of `transaction.write` (see there)."""

    def begin_read(self) -> None:
        """Start a read-only transaction whose reads all see one moment."""

    def json_text(self, column: str, key: str) -> str:
        """An SQL expression: the text value of KEY in the JSON object of COLUMN (or NULL)."""

    def json_number(self, column: str, key: str) -> str:
        """An SQL expression: the number value of KEY in the JSON object of COLUMN (or NULL)."""

    def has_table(self, name: str) -> bool: ...

    def insert_rows(
        self, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]
    ) -> None:
        """Insert many rows at once (an import's records): executemany on SQLite, COPY on
        PostgreSQL."""

    def reconnect(self) -> None:
        """Open the connection again after a TransientFailure (a no-op where none can occur)."""

    # A review's files (verbatim imports, full texts, protocol), named by their path in a
    # review directory: on SQLite they are that directory's files and these do nothing; on
    # PostgreSQL they are rows, written in the caller's transaction.
    def store_file(self, path: str, data: bytes, sha256: str) -> None: ...

    def load_file(self, path: str) -> bytes | None: ...

    def drop_file(self, path: str) -> None: ...

    def defer_foreign_keys(self) -> None:
        """Check foreign keys at the commit of the current transaction, not per statement."""

    def bulk_cache(self, kib: int | None) -> None:
        """Memory for a bulk insert under way (None: back to the engine's default)."""
