"""Write transactions: the one way any part of slr changes a review's database.

Readers never wait (the review is in WAL mode); a writer takes the write lock at BEGIN
(BEGIN IMMEDIATE), so a transaction that reads and then writes cannot fail half-way with
"database is locked". When another process holds the lock, the writer waits, and after a moment
says who it is waiting for; after `wait_limit()` seconds it gives up with a message, never a
traceback, and nothing is changed.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from slr.errors import ReviewBusy

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
    """A connection that knows its review directory and whom to tell when it must wait."""

    review_dir: Path | None = None
    # Told once per wait longer than a moment; the screen shows it in its status line.
    on_wait: Callable[[str], None] = staticmethod(_stderr_notice)


def wait_limit() -> float:
    configured = os.environ.get(WAIT_VARIABLE, "").strip()
    try:
        return max(0.0, float(configured)) if configured else DEFAULT_WAIT_SECONDS
    except ValueError:
        return DEFAULT_WAIT_SECONDS


def _writer_file(db: sqlite3.Connection) -> Path | None:
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


def _withdraw_word(db: sqlite3.Connection) -> None:
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
def write(db: sqlite3.Connection, limit: float | None = None) -> Iterator[sqlite3.Connection]:
    """One write transaction: committed when the block ends, rolled back if it raises;
    `limit`: see `begin`."""
    begin(db, limit)
    try:
        yield db
    except BaseException:
        _withdraw_word(db)  # while the lock is ours: the next writer's word stays
        db.rollback()
        raise
    _withdraw_word(db)
    db.commit()
