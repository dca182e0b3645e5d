"""Write transactions: the one way any part of slr changes a review's database.

On SQLite (below): readers never wait (the review is in WAL mode); a writer takes the write lock
at BEGIN (BEGIN IMMEDIATE), so a transaction that reads and then writes cannot fail half-way with
"database is locked". When another process holds the lock, the writer waits, and after a moment
says who it is waiting for; after `wait_limit()` seconds it gives up with a message, never a
traceback, and nothing is changed. On PostgreSQL see `postgres.PostgresConnection.begin_write`:
the same guarantees with the server's own transactions and locks.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

from slr.errors import ReviewBusy
from slr.store.connection import Connection, TransientFailure

WAIT_VARIABLE = "SLR_LOCK_WAIT"  # seconds a writer waits for another one (default 600)
DEFAULT_WAIT_SECONDS = 600.0
SAY_AFTER_SECONDS = 1.0  # a shorter wait goes unmentioned
_RETRY_MS = 100  # each BEGIN IMMEDIATE waits this long inside SQLite before we look again
# Other statements: a reader in WAL mode waits only while another connection recovers the log
BUSY_TIMEOUT_MS = 5_000
WRITER_FILE = ".writer"  # in the review directory: who holds the write lock (pid, command)


def _stderr_notice(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


class ReviewConnection(sqlite3.Connection):
    """A connection to a review's SQLite file that knows its review directory and whom to tell
    when it must wait; the SQLite side of the API in `connection.Connection`."""

    engine = "sqlite"
    review_dir: Path | None = None
    # Told once per wait longer than a moment; the screen shows it in its status line.
    on_wait: Callable[[str], None] = staticmethod(_stderr_notice)

    def begin_write(self, limit: float | None = None, reviewer: str = "") -> None:
        begin(self, limit)  # one writer at a time, whoever it is for

    def begin_read(self) -> None:
        self.execute("BEGIN")  # (WAL: the snapshot is taken at the first read)

    def json_text(self, column: str, key: str) -> str:
        return f"json_extract({column}, '$.\"{key}\"')"

    json_number = json_text  # json_extract gives numbers as numbers

    def has_table(self, name: str) -> bool:
        found = self.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)
        )
        return found.fetchone() is not None

    def defer_foreign_keys(self) -> None:
        self.execute("PRAGMA defer_foreign_keys = ON")

    def insert_rows(
        self, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]
    ) -> None:
        marks = ", ".join("?" * len(columns))
        self.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)

    def reconnect(self) -> None:
        pass  # a file does not drop its connection

    # the review's files are the files of its directory (see connection.Connection)
    def store_file(self, path: str, data: bytes, sha256: str) -> None:
        pass

    def load_file(self, path: str) -> bytes | None:
        return None

    def drop_file(self, path: str) -> None:
        pass

    def bulk_cache(self, kib: int | None) -> None:
        self.execute(f"PRAGMA cache_size = {-kib if kib else -2000}")  # -2000: SQLite's default


def wait_limit() -> float:
    configured = os.environ.get(WAIT_VARIABLE, "").strip()
    try:
        return max(0.0, float(configured)) if configured else DEFAULT_WAIT_SECONDS
    except ValueError:
        return DEFAULT_WAIT_SECONDS


def _writer_file(db: Any) -> Path | None:
    review_dir = getattr(db, "review_dir", None)
    return None if review_dir is None else review_dir / WRITER_FILE


def _holder(db: sqlite3.Connection) -> str:
    """Who holds the write lock, as its last writer left word of it ('' when unknown)."""
    word = _writer_file(db)
    if word is None:
        return ""
    try:
        pid_text, _, command = word.read_text("utf-8").partition(" ")
        pid = int(pid_text)
        os.kill(pid, 0)  # still running?
    except (OSError, ValueError):
        return ""
    return f"`{command.strip()}` (process {pid})"


def _leave_word(db: sqlite3.Connection) -> None:
    word = _writer_file(db)
    if word is None:
        return
    command = " ".join(["slr", *sys.argv[1:3]])[:80]
    with contextlib.suppress(OSError):  # only a courtesy to whoever waits
        word.write_text(f"{os.getpid()} {command}", "utf-8")


def _withdraw_word(db: Any) -> None:
    word = _writer_file(db)
    if word is not None:
        with contextlib.suppress(OSError):
            word.unlink()


def _is_busy(error: sqlite3.OperationalError) -> bool:
    text = str(error)
    return "locked" in text or "busy" in text


def begin(db: sqlite3.Connection, limit: float | None = None) -> None:
    """BEGIN IMMEDIATE, waiting (and saying so) while another process writes, at most `limit`
    seconds (default: `wait_limit()`; 0 tries once)."""
    if db.in_transaction:
        db.commit()  # a read left open by Python's implicit transactions
    limit = wait_limit() if limit is None else limit
    started = time.monotonic()
    said = False
    db.execute(f"PRAGMA busy_timeout = {_RETRY_MS}")
    try:
        while True:
            try:
                db.execute("BEGIN IMMEDIATE")
                break
            except sqlite3.OperationalError as error:
                if not _is_busy(error):
                    raise
            waited = time.monotonic() - started
            if waited >= limit:
                holder = _holder(db) or "another slr command"
                raise ReviewBusy(
                    f"the review is busy: {holder} has been writing to it for {waited:.0f} s",
                    f"wait for it to finish and run this again (or set {WAIT_VARIABLE} to wait "
                    "longer)",
                ) from None
            if not said and waited >= SAY_AFTER_SECONDS:
                holder = _holder(db) or "another slr command"
                notify = getattr(db, "on_wait", _stderr_notice)
                notify(f"Waiting for {holder}, which is writing to this review ...")
                said = True
    finally:
        db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    _leave_word(db)


@contextlib.contextmanager
def write(db: Connection, limit: float | None = None, reviewer: str = "") -> Iterator[Any]:
    """One write transaction: committed when the block ends, rolled back if it raises;
    `limit`: see `begin`. `reviewer`: the transaction writes only that reviewer's own decisions
    and notes, so on PostgreSQL it need not wait for other reviewers (see
    `postgres.PostgresConnection.begin_write`); SQLite has one writer at a time regardless."""
    db.begin_write(limit, reviewer)
    try:
        yield db
    except BaseException:
        _withdraw_word(db)  # while the lock is ours: the next writer's word stays
        db.rollback()
        raise
    _withdraw_word(db)
    db.commit()


RETRY_ATTEMPTS = 5
_Result = TypeVar("_Result")


def retried(db: Connection, work: Callable[[], _Result]) -> _Result:
    """Run `work`, which writes through `write`, again on a fresh connection when the engine
    gave its transaction up (TransientFailure: a dropped connection, a deadlock or
    serialization victim), up to RETRY_ATTEMPTS times. Only for work that is the same done twice
    (storing a decision or a note): a commit whose answer was lost may have happened."""
    for attempt in range(1, RETRY_ATTEMPTS + 1):
        try:
            return work()
        except TransientFailure:
            if attempt == RETRY_ATTEMPTS:
                raise
            time.sleep(0.05 * 2**attempt)
            try:
                db.reconnect()
            except TransientFailure:
                continue  # the server is still away: wait longer and try again
    raise AssertionError("unreachable")
