"""What happened to a record, and to the review: the reads behind `slr show ID` and `slr log`."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from slr.store.connection import Connection, Row


@dataclass(frozen=True, slots=True)
class LogEntry:
    """One row of the append-only log the database writes."""

    id: int
    at: str
    action: str
    entity: str
    entity_id: int | None
    detail: dict[str, Any]


def _record_log(db: Connection) -> str:
    """The log rows that concern one record (each ? is its id): its own, and those whose detail
    names it."""
    named = " ".join(
        f"OR {db.json_number('detail', key)} = ?"
        for key in ("record_id", "record_a", "record_b", "kept_id")
    )
    return (
        f"(entity = 'record' AND entity_id = ?) {named} "
        # an import logs one row per file, naming the range of record ids it stored
        "OR (entity = 'source' AND action = 'insert' AND ? BETWEEN "
        f"{db.json_number('detail', 'first_record')} AND {db.json_number('detail', 'last_record')})"
    )


def log_entries(
    db: Connection, record_id: int | None = None, limit: int | None = None
) -> list[LogEntry]:
    """The log, oldest first: every row, or those about one record; the last `limit` rows."""
    where = f"WHERE {_record_log(db)}" if record_id is not None else ""
    tail = "LIMIT ?" if limit is not None else ""
    parameters = [record_id] * 6 if record_id is not None else []
    parameters += [limit] if limit is not None else []
    rows = db.execute(
        f"SELECT id, at, action, entity, entity_id, detail FROM "
        f"(SELECT * FROM log {where} ORDER BY id DESC {tail}) AS recent ORDER BY id",
        parameters,
    )
    return [
        LogEntry(row[0], row[1], row[2], row[3], row[4], json.loads(row[5] or "{}")) for row in rows
    ]


# What a review holds, as the log names it: imports and what people and rules decided. Runs and
# what they recompute to the same result (duplicate clusters, tag runs) are left out, so that
# outputs stamped with the last change stay byte-identical when nothing changed.
CONTENT_ENTITIES = (
    "review",
    "source",
    "decision",
    "final_decision",
    "screen_note",
    "fulltext",
    "fulltext_file",
    "tag",
    "tag_override",
    "extraction_value",
    "dedup_decision",
    "stopped_record",
)


def last_change(db: Connection) -> str:
    """When what the review holds last changed (ISO 8601, UTC), '' for an empty log."""
    marks = ", ".join("?" * len(CONTENT_ENTITIES))
    # from the end of the (append-only) log back: a run's bookkeeping rows are the last few
    row = db.execute(
        f"SELECT at FROM log WHERE entity IN ({marks}) ORDER BY id DESC LIMIT 1", CONTENT_ENTITIES
    ).fetchone()
    return row[0] if row else ""


def record_decisions(db: Connection, record_id: int) -> list[Row]:
    """Every decision about a record, rules' and reviewers', stage by stage, oldest first."""
    return db.execute(
        "SELECT stage, reviewer, decision, reason, note, evidence, span_field, span_text, "
        "decided_at FROM decisions WHERE record_id = ? "
        "ORDER BY stage = 'full_text', reviewer NOT LIKE 'auto:%', decided_at, id",
        (record_id,),
    ).fetchall()


def record_notes(db: Connection, record_id: int) -> list[Row]:
    """Reviewers' notes on a record (a note may come without a decision)."""
    return db.execute(
        "SELECT stage, reviewer, note, noted_at FROM screen_notes WHERE record_id = ? "
        "ORDER BY stage = 'full_text', noted_at, id",
        (record_id,),
    ).fetchall()


def record_resolutions(db: Connection, record_id: int) -> list[Row]:
    """The final decisions that resolved a record's conflicts."""
    return db.execute(
        "SELECT stage, decision, reason, resolved_by, note, decided_at FROM final_decisions "
        "WHERE record_id = ? ORDER BY stage = 'full_text'",
        (record_id,),
    ).fetchall()


def record_tags(db: Connection, record_id: int) -> list[Row]:
    """A record's tags with the words that triggered them."""
    return db.execute(
        "SELECT vocabulary, grp, field, text, evidence FROM tags WHERE record_id = ? "
        "ORDER BY vocabulary, grp",
        (record_id,),
    ).fetchall()


def record_fulltexts(db: Connection, record_id: int) -> tuple[list[Row], str]:
    """The full-text files attached to a record (path, original_name, at), oldest first, and
    why its report could not be retrieved ('' when it was not marked so)."""
    attached = db.execute(
        "SELECT path, original_name, updated_at AS at FROM fulltexts "
        "WHERE record_id = ? AND path <> ''",
        (record_id,),
    ).fetchall()
    if db.has_table("fulltext_files"):
        # reviews with several files per record keep them in their own table
        attached += db.execute(
            "SELECT path, original_name, attached_at AS at FROM fulltext_files "
            "WHERE record_id = ? ORDER BY id",
            (record_id,),
        ).fetchall()
    missing = db.execute(
        "SELECT missing_reason FROM fulltexts WHERE record_id = ? AND missing_reason <> ''",
        (record_id,),
    ).fetchone()
    return attached, missing[0] if missing else ""


def merged_duplicates(db: Connection, record_id: int) -> list[Row]:
    """The records marked duplicate of this one, with the file each came from."""
    return db.execute(
        "SELECT r.id, r.title, s.file_name, s.database FROM records r "
        "JOIN sources s ON s.id = r.source_id WHERE r.duplicate_of = ? ORDER BY r.id",
        (record_id,),
    ).fetchall()
