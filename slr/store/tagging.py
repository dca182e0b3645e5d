"""Tags, reviewers' tag corrections and extraction values in the review database."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from slr.models import MAX_EVIDENCE, Evidence, Tag
from slr.store import fulltext
from slr.store.connection import Connection, inserted_id
from slr.store.paths import fulltext_file

FULLTEXT_SUFFIXES = (".txt", ".md", ".text")  # read as they are when no text was stored


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# -- which records a stage holds ---------------------------------------------------------------


def fulltext_text(db: Connection, review_path: Path, record_id: int) -> str:
    """The text of a record's attached full texts as extracted when they were attached (pages
    joined by a form feed, see store.fulltext.record_text); a text file attached before slr
    stored texts is read from its file."""
    text, _ = fulltext.record_text(db, record_id)
    if text:
        return text
    for row in fulltext.files(db, record_id):
        path = fulltext_file(review_path, record_id, row["path"])
        legacy = row["text_layer"] is None and path.suffix.lower() in FULLTEXT_SUFFIXES
        if legacy and path.is_file():
            return path.read_text(encoding="utf-8", errors="replace")
    return ""


# -- automatic tags ----------------------------------------------------------------------------


@dataclass(slots=True)
class TagChanges:
    added: int = 0
    changed: int = 0
    removed: int = 0


def stored_tags(db: Connection, record_id: int) -> list[Tag]:
    rows = db.execute(
        "SELECT vocabulary, grp, evidence FROM tags WHERE record_id = ? ORDER BY id", (record_id,)
    )
    return [
        Tag(vocabulary, group, [Evidence.from_dict(e) for e in json.loads(evidence)])
        for vocabulary, group, evidence in rows
    ]


def all_stored_tags(db: Connection) -> dict[int, list[Tag]]:
    found: dict[int, list[Tag]] = {}
    for record_id, vocabulary, group, evidence in db.execute(
        "SELECT record_id, vocabulary, grp, evidence FROM tags ORDER BY id"
    ):
        found.setdefault(record_id, []).append(
            Tag(vocabulary, group, [Evidence.from_dict(e) for e in json.loads(evidence)])
        )
    return found


def tagged_ids(db: Connection) -> set[int]:
    """The records some `slr tag` run has read (tagged or found to have no tag)."""
    return {row[0] for row in db.execute("SELECT record_id FROM tagged_records")}


def is_tagged(db: Connection, record_id: int) -> bool:
    row = db.execute("SELECT 1 FROM tagged_records WHERE record_id = ?", (record_id,))
    return row.fetchone() is not None


def start_run(db: Connection, stage: str, protocol_sha256: str, records: int) -> int:
    return inserted_id(
        db,
        "INSERT INTO tag_runs (started_at, stage, protocol_sha256, records) VALUES (?, ?, ?, ?)"
        " RETURNING id",
        (_now(), stage, protocol_sha256, records),
    )


def _evidence_json(tag: Tag) -> str:
    return json.dumps([e.to_dict() for e in tag.evidence[:MAX_EVIDENCE]], ensure_ascii=False)


def replace_tags(db: Connection, run_id: int, record_id: int, tags: Sequence[Tag]) -> TagChanges:
    """Make a record's automatic tags these; rows that stay the same are left untouched."""
    changes = TagChanges()
    old = {
        (row[1], row[2]): (row[0], row[3])
        for row in db.execute(
            "SELECT id, vocabulary, grp, evidence FROM tags WHERE record_id = ?", (record_id,)
        )
    }
    for tag in tags:
        first = tag.evidence[0]
        evidence = _evidence_json(tag)
        values = (first.field, first.start, first.end, first.text, first.term, evidence, run_id)
        key = (tag.vocabulary, tag.group)
        if key not in old:
            db.execute(
                'INSERT INTO tags (field, start, "end", text, term, evidence, run_id, record_id, '
                "vocabulary, grp) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (*values, record_id, *key),
            )
            changes.added += 1
            continue
        tag_id, old_evidence = old.pop(key)
        if old_evidence != evidence:
            db.execute(
                'UPDATE tags SET field = ?, start = ?, "end" = ?, text = ?, term = ?, '
                "evidence = ?, run_id = ? WHERE id = ?",
                (*values, tag_id),
            )
            changes.changed += 1
    for tag_id, _evidence in old.values():
        db.execute("DELETE FROM tags WHERE id = ?", (tag_id,))
        changes.removed += 1
    db.execute(
        "INSERT INTO tagged_records (record_id, run_id) VALUES (?, ?) "
        "ON CONFLICT (record_id) DO UPDATE SET run_id = excluded.run_id "
        "WHERE tagged_records.run_id IS DISTINCT FROM excluded.run_id",
        (record_id, run_id),
    )
    return changes


def finish_run(db: Connection, run_id: int, changes: TagChanges) -> None:
    db.execute(
        "UPDATE tag_runs SET added = ?, changed = ?, removed = ? WHERE id = ?",
        (changes.added, changes.changed, changes.removed, run_id),
    )


# -- reviewers' corrections --------------------------------------------------------------------


@dataclass(slots=True)
class Override:
    record_id: int
    vocabulary: str
    group: str
    action: str  # add | remove
    reviewer: str
    note: str
    decided_at: str


def overrides(db: Connection, record_id: int | None = None) -> list[Override]:
    sql = "SELECT record_id, vocabulary, grp, action, reviewer, note, decided_at FROM tag_overrides"
    params: tuple[Any, ...] = ()
    if record_id is not None:
        sql += " WHERE record_id = ?"
        params = (record_id,)
    return [Override(*row) for row in db.execute(sql + " ORDER BY id", params)]


def override_map(db: Connection) -> dict[int, dict[tuple[str, str], str]]:
    """record id -> {(vocabulary, group): add | remove}: what `Tagger(overrides=...)` takes."""
    found: dict[int, dict[tuple[str, str], str]] = {}
    for item in overrides(db):
        found.setdefault(item.record_id, {})[(item.vocabulary, item.group)] = item.action
    return found


def set_override(
    db: Connection,
    record_id: int,
    vocabulary: str,
    group: str,
    action: str,
    reviewer: str,
    note: str,
) -> bool:
    """Record a reviewer's add or remove; False when the same correction is already there."""
    row = db.execute(
        "SELECT action, note FROM tag_overrides WHERE record_id = ? AND vocabulary = ? AND grp = ?",
        (record_id, vocabulary, group),
    ).fetchone()
    if row is not None and row[0] == action and (not note or row[1] == note):
        return False
    db.execute(
        "INSERT INTO tag_overrides (record_id, vocabulary, grp, action, reviewer, note, "
        "decided_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (record_id, vocabulary, grp) "
        "DO UPDATE SET action = excluded.action, reviewer = excluded.reviewer, "
        "note = excluded.note, decided_at = excluded.decided_at",
        (record_id, vocabulary, group, action, reviewer, note, _now()),
    )
    return True


# -- extraction values -------------------------------------------------------------------------


def extraction_values(db: Connection) -> dict[int, dict[str, str]]:
    found: dict[int, dict[str, str]] = {}
    for record_id, name, value in db.execute(
        "SELECT record_id, field, value FROM extraction_values ORDER BY id"
    ):
        found.setdefault(record_id, {})[name] = value
    return found


def set_extraction_values(db: Connection, record_id: int, values: Mapping[str, str]) -> int:
    """Store the fields given (an empty value clears one); returns how many changed."""
    current = extraction_values_of(db, record_id)
    changed = 0
    for name, value in values.items():
        value = value.strip()
        if current.get(name, "") == value:
            continue
        changed += 1
        if not value:
            db.execute(
                "DELETE FROM extraction_values WHERE record_id = ? AND field = ?",
                (record_id, name),
            )
            continue
        db.execute(
            "INSERT INTO extraction_values (record_id, field, value, updated_at) "
            "VALUES (?, ?, ?, ?) ON CONFLICT (record_id, field) DO UPDATE SET "
            "value = excluded.value, updated_at = excluded.updated_at",
            (record_id, name, value, _now()),
        )
    return changed


def extraction_values_of(db: Connection, record_id: int) -> dict[str, str]:
    return dict(
        db.execute(
            "SELECT field, value FROM extraction_values WHERE record_id = ?", (record_id,)
        ).fetchall()
    )
