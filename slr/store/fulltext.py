"""Attached full texts in the review database: the files of each record, their text per page (as
extracted once when attached), their reference lists, and reports not retrieved."""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from slr.store.connection import Connection, Row, inserted_id
from slr.store.paths import FULLTEXT_DIR, PathOutsideReview, copy_private, fulltext_file
from slr.store.transaction import write

MATCHED_BY = ("doi", "title", "file name", "by hand")


@dataclass(slots=True)
class FileText:
    """What was read from a file before it is stored (the store does not read PDFs)."""

    pages: list[str]
    text_layer: bool
    warning: str = ""
    references: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Attached:
    path: str  # fulltext/<record id>_<name>
    outcome: str  # "attached" | "replaced" (same name, new content) | "unchanged" (same file)
    others: list[str]  # original names of the record's other files, kept
    was_missing: str  # the "not retrieved" reason this attachment cleared, or ""


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def files(db: Connection, record_id: int | None = None) -> list[Row]:
    """The attached files (of one record), in the order they were attached."""
    if record_id is None:
        return db.execute("SELECT * FROM fulltext_files ORDER BY record_id, id").fetchall()
    return db.execute(
        "SELECT * FROM fulltext_files WHERE record_id = ? ORDER BY id", (record_id,)
    ).fetchall()


def missing_reason(db: Connection, record_id: int) -> str:
    row = db.execute(
        "SELECT missing_reason FROM fulltexts WHERE record_id = ?", (record_id,)
    ).fetchone()
    return row[0] if row else ""


def not_retrieved(db: Connection) -> list[Row]:
    return db.execute(
        "SELECT record_id, missing_reason FROM fulltexts WHERE missing_reason <> '' "
        "ORDER BY record_id"
    ).fetchall()


def attach(
    review_path: Path,
    db: Connection,
    record_id: int,
    source: Path,
    data: bytes,
    text: FileText,
    matched_by: str = "by hand",
) -> Attached:
    """Copy DATA (read from SOURCE) into the review as fulltext/<record id>_<name>, with its
    text, for the record (with SOURCE's permissions or fewer).

    The same content again changes nothing; the same name with new content replaces that file;
    another name is kept beside the record's files (main text and supplement). A "not
    retrieved" mark of the record is cleared: the report was found after all.
    """
    name = source.name
    digest = hashlib.sha256(data).hexdigest()
    relative = f"{FULLTEXT_DIR}/{record_id}_{name}"
    target = fulltext_file(review_path, record_id, relative)
    current = files(db, record_id)
    for row in current:
        fulltext_file(review_path, record_id, row["path"])  # refuses a path leading out
    same = next((row for row in current if row["sha256"] == digest), None)
    if same is not None:
        others = [row["original_name"] for row in current if row["id"] != same["id"]]
        return Attached(same["path"], "unchanged", others, "")
    replaced = next((row for row in current if row["path"] == relative), None)
    others = [row["original_name"] for row in current if row is not replaced]
    (review_path / FULLTEXT_DIR).mkdir(exist_ok=True)
    copy_private(source, target, data)
    try:
        with write(db):
            was_missing = missing_reason(db, record_id)
            db.execute("DELETE FROM fulltexts WHERE record_id = ?", (record_id,))
            if replaced is not None:
                _delete_rows(db, replaced["id"])
            file_id = inserted_id(
                db,
                "INSERT INTO fulltext_files (record_id, path, original_name, sha256, pages, "
                "chars, text_layer, matched_by, warning, attached_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                (
                    record_id,
                    relative,
                    name,
                    digest,
                    len(text.pages),
                    sum(len(page) for page in text.pages),
                    int(text.text_layer),
                    matched_by,
                    text.warning,
                    _now(),
                ),
            )
            db.executemany(
                "INSERT INTO fulltext_pages (file_id, page, text) VALUES (?, ?, ?)",
                [(file_id, number, page) for number, page in enumerate(text.pages, start=1)],
            )
            db.executemany(
                "INSERT INTO fulltext_references (file_id, seq, text) VALUES (?, ?, ?)",
                [(file_id, seq, entry) for seq, entry in enumerate(text.references, start=1)],
            )
            db.store_file(relative, data, digest)  # (PostgreSQL: the review's files are rows)
    except BaseException:
        if replaced is None:
            target.unlink(missing_ok=True)
        raise
    outcome = "replaced" if replaced is not None else "attached"
    return Attached(relative, outcome, others, was_missing)


def _delete_rows(db: Connection, file_id: int) -> None:
    db.execute("DELETE FROM fulltext_references WHERE file_id = ?", (file_id,))
    db.execute("DELETE FROM fulltext_pages WHERE file_id = ?", (file_id,))
    db.execute("DELETE FROM fulltext_files WHERE id = ?", (file_id,))


def mark_missing(
    review_path: Path, db: Connection, record_id: int, reason: str, detach: bool
) -> list[str]:
    """Record that the report of RECORD_ID was not retrieved; with DETACH, its attached files
    are removed first (their names are returned). The caller refuses when files are attached
    and DETACH is not given."""
    current = files(db, record_id)
    stored = []
    for row in current:
        # an entry leading out of the review is forgotten; its file is never touched
        with contextlib.suppress(PathOutsideReview):
            stored.append(fulltext_file(review_path, record_id, row["path"]))
    with write(db):
        if detach:
            for row in current:
                _delete_rows(db, row["id"])
                db.drop_file(row["path"])
        db.execute("DELETE FROM fulltexts WHERE record_id = ?", (record_id,))
        db.execute(
            "INSERT INTO fulltexts (record_id, missing_reason, updated_at) VALUES (?, ?, ?)",
            (record_id, reason, _now()),
        )
    if detach:
        for path in stored:
            path.unlink(missing_ok=True)
    return [row["original_name"] for row in current] if detach else []


def pages(db: Connection, record_id: int) -> list[tuple[str, int, str]]:
    """(file name, page number, text) of every page of the record's attached files."""
    return [
        (name, page, text)
        for name, page, text in db.execute(
            "SELECT f.original_name, p.page, p.text FROM fulltext_pages p "
            "JOIN fulltext_files f ON f.id = p.file_id WHERE f.record_id = ? "
            "ORDER BY f.id, p.page",
            (record_id,),
        )
    ]


def references(db: Connection) -> dict[int, list[str]]:
    """The reference-list entries read from each record's attached files (in file order)."""
    found: dict[int, list[str]] = {}
    for record_id, text in db.execute(
        "SELECT f.record_id, r.text FROM fulltext_references r "
        "JOIN fulltext_files f ON f.id = r.file_id ORDER BY f.record_id, f.id, r.seq"
    ):
        found.setdefault(record_id, []).append(text)
    return found


PAGE_BREAK = "\f"  # between the pages (and the files) of a record's full text as one string


@dataclass(frozen=True, slots=True)
class PageStart:
    offset: int  # where the page starts in the record's text
    file: str  # the file's original name
    page: int


def record_text(db: Connection, record_id: int) -> tuple[str, list[PageStart]]:
    """The text of all the record's files as one string (pages joined by a form feed), and where
    each page starts in it: rules and tags search the string, evidence names the page."""
    starts: list[PageStart] = []
    parts: list[str] = []
    offset = 0
    for name, page, text in pages(db, record_id):
        if parts:
            offset += len(PAGE_BREAK)
        starts.append(PageStart(offset, name, page))
        parts.append(text)
        offset += len(text)
    return PAGE_BREAK.join(parts), starts


def page_at(starts: list[PageStart], offset: int) -> PageStart | None:
    """The page an offset of `record_text` falls on."""
    found = None
    for start in starts:
        if start.offset > offset:
            break
        found = start
    return found


def mark_not_retrieved_within(db: Connection, reasons: dict[int, str]) -> None:
    """Inside the caller's write transaction: each record's report is not retrieved, for the
    reason given (a full-text exclusion "Full text not available" is recorded so too, so that
    PRISMA counts it once, as a report not retrieved)."""
    for record_id, reason in reasons.items():
        db.execute("DELETE FROM fulltexts WHERE record_id = ?", (record_id,))
        db.execute(
            "INSERT INTO fulltexts (record_id, missing_reason, updated_at) VALUES (?, ?, ?)",
            (record_id, reason, _now()),
        )


def release_not_retrieved_within(
    db: Connection, record_id: int, says_not_retrieved: Callable[[str], bool]
) -> bool:
    """Inside the caller's write transaction: a full-text exclusion that said the report was
    not retrieved has been withdrawn, so the record's not-retrieved mark goes too, unless
    another reviewer's exclusion still says so or the mark gives a reason of its own (`slr
    fulltext missing --reason ...`). True when the mark went."""
    reasons = db.execute(
        "SELECT reason FROM decisions WHERE record_id = ? AND stage = 'full_text' "
        "AND decision = 'exclude'",
        (record_id,),
    ).fetchall()
    if any(says_not_retrieved(reason) for (reason,) in reasons):
        return False
    mark = db.execute(
        "SELECT missing_reason FROM fulltexts WHERE record_id = ?", (record_id,)
    ).fetchone()
    if mark is None or not says_not_retrieved(mark[0]):
        return False
    db.execute("DELETE FROM fulltexts WHERE record_id = ?", (record_id,))
    return True


def record_texts(db: Connection) -> dict[int, str]:
    """`record_text` of every record with stored text, at once (what full-text rules read)."""
    parts: dict[int, list[str]] = {}
    for record_id, text in db.execute(
        "SELECT f.record_id, p.text FROM fulltext_pages p JOIN fulltext_files f "
        "ON f.id = p.file_id ORDER BY f.record_id, f.id, p.page"
    ):
        parts.setdefault(record_id, []).append(text)
    return {record_id: PAGE_BREAK.join(pages) for record_id, pages in parts.items()}
