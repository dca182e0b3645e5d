"""Screening decisions in the review database: read records for rules, write runs, undo them."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from slr.errors import SlrError
from slr.models import (
    STAGES,
    Author,
    AutoDecision,
    DecisionSnapshot,
    HumanDecision,
    Record,
    StageDecisions,
)
from slr.store.connection import Connection, Row, inserted_id, one_by_one
from slr.store.transaction import retried, write

AUTO = "auto:"
DECISION_COLUMNS = (
    "id",
    "record_id",
    "stage",
    "decision",
    "reason",
    "reviewer",
    "span_field",
    "span_start",
    "span_end",
    "span_text",
    "evidence",
    "note",
    "run_id",
    "decided_at",
)


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def load_text_records(db: Connection, authors: bool = False) -> Iterator[tuple[int, Record]]:
    """Every record not marked duplicate, with the fields rules and tags read, in id order;
    with `authors`, its authors too (reading them costs a JSON parse per record)."""
    author_column = "authors" if authors else "''"  # (not read: nothing to parse)
    rows = db.execute(
        "SELECT id, title, abstract, author_keywords, index_keywords, year, language, "
        f"document_type, doi, {author_column}, source_title "
        "FROM records WHERE duplicate_of IS NULL ORDER BY id"
    )
    for row in rows:
        record = Record(
            title=row[1],
            abstract=row[2],
            author_keywords=json.loads(row[3]),
            index_keywords=json.loads(row[4]),
            year=row[5],
            language=row[6],
            document_type=row[7],
            doi=row[8],
            authors=[Author.from_dict(author) for author in json.loads(row[9])] if authors else [],
            source_title=row[10],
        )
        yield row[0], record


def duplicates(db: Connection) -> int:
    return db.execute("SELECT count(*) FROM records WHERE duplicate_of IS NOT NULL").fetchone()[0]


def auto_decisions(db: Connection, stage: str) -> dict[int, dict[str, Any]]:
    rows = db.execute(
        f"SELECT {', '.join(DECISION_COLUMNS)} FROM decisions "
        "WHERE stage = ? AND reviewer LIKE 'auto:%'",
        (stage,),
    )
    return {row[1]: dict(zip(DECISION_COLUMNS, row, strict=True)) for row in rows}


def human_decisions(db: Connection, stage: str) -> dict[int, list[str]]:
    """record id -> the decisions people made at a stage."""
    found: dict[int, list[str]] = {}
    for record_id, decision in db.execute(
        "SELECT record_id, decision FROM decisions WHERE stage = ? AND reviewer NOT LIKE 'auto:%' "
        "ORDER BY id",
        (stage,),
    ):
        found.setdefault(record_id, []).append(decision)
    return found


def decision_values(decision: AutoDecision) -> dict[str, Any]:
    """The columns an automatic decision fills (all but id, run_id and decided_at)."""
    span = decision.span
    return {
        "record_id": decision.record_id,
        "stage": decision.stage,
        "decision": decision.decision,
        "reason": decision.reason,
        "reviewer": decision.reviewer,
        "span_field": span.field if span else "",
        "span_start": span.start
        if span and span.field in ("title", "abstract", "keywords")
        else None,
        "span_end": span.end if span and span.field in ("title", "abstract", "keywords") else None,
        "span_text": span.text if span else "",
        "evidence": json.dumps([s.to_dict() for s in decision.evidence], ensure_ascii=False),
        "note": "",
    }


@dataclass(slots=True)
class Change:
    """One decision a run adds, changes or removes."""

    kind: str  # add | change | remove
    record_id: int
    stage: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None


def start_run(
    db: Connection, stages: Sequence[str], protocol_sha256: str, rules: int, records: int
) -> int:
    return inserted_id(
        db,
        "INSERT INTO screen_runs (started_at, stages, protocol_sha256, rules, records) "
        "VALUES (?, ?, ?, ?, ?) RETURNING id",
        (_now(), json.dumps(list(stages)), protocol_sha256, rules, records),
    )


def apply_changes(db: Connection, run_id: int, changes: Sequence[Change]) -> None:
    """Write a run's changes, keeping each replaced row for `undo_run`. Call in a transaction."""
    now = _now()
    counts = {"add": 0, "change": 0, "remove": 0}
    for seq, change in enumerate(changes, start=1):
        counts[change.kind] += 1
        before = change.before
        if change.kind == "add":
            assert change.after is not None
            values = {**change.after, "run_id": run_id, "decided_at": now}
            columns = ", ".join(values)
            decision_id = inserted_id(
                db,
                f"INSERT INTO decisions ({columns}) VALUES ({', '.join('?' * len(values))})"
                " RETURNING id",
                tuple(values.values()),
            )
        elif change.kind == "change":
            assert change.after is not None and before is not None
            values = {**change.after, "run_id": run_id, "decided_at": now}
            assignments = ", ".join(f"{name} = ?" for name in values)
            db.execute(
                f"UPDATE decisions SET {assignments} WHERE id = ?",
                (*values.values(), before["id"]),
            )
            decision_id = before["id"]
        else:
            assert before is not None
            db.execute("DELETE FROM decisions WHERE id = ?", (before["id"],))
            decision_id = before["id"]
        db.execute(
            "INSERT INTO screen_run_changes (run_id, seq, decision_id, before) VALUES (?, ?, ?, ?)",
            (run_id, seq, decision_id, None if before is None else json.dumps(before)),
        )
    db.execute(
        "UPDATE screen_runs SET added = ?, changed = ?, removed = ? WHERE id = ?",
        (counts["add"], counts["change"], counts["remove"], run_id),
    )


def last_run(db: Connection) -> Row | None:
    db_row = db.execute(
        "SELECT * FROM screen_runs WHERE undone_at IS NULL ORDER BY id DESC LIMIT 1"
    ).fetchone()
    return db_row


def undo_run(db: Connection, run_id: int) -> tuple[int, int]:
    """Put every decision a run touched back as it was; returns (removed, restored)."""
    removed = restored = 0
    changes = db.execute(
        "SELECT decision_id, before FROM screen_run_changes WHERE run_id = ? ORDER BY seq DESC",
        (run_id,),
    ).fetchall()
    for decision_id, before in changes:
        db.execute("DELETE FROM decisions WHERE id = ?", (decision_id,))
        if before is None:
            removed += 1
            continue
        row = json.loads(before)
        db.execute(
            f"INSERT INTO decisions ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})",
            tuple(row.values()),
        )
        restored += 1
    db.execute("UPDATE screen_runs SET undone_at = ? WHERE id = ?", (_now(), run_id))
    return removed, restored


def dump(db: Connection) -> list[tuple[Any, ...]]:
    """Every decision row, in id order: what `--undo` must restore exactly."""
    return db.execute(f"SELECT {', '.join(DECISION_COLUMNS)} FROM decisions ORDER BY id").fetchall()


# -- human screening: reviewers' decisions, notes, final decisions, full texts -----------------

HUMAN_DECISIONS = {"include": "include", "exclude": "exclude", "maybe": "flag"}


def _stamp() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def record_human_decision(
    db: Connection,
    record_id: int,
    stage: str,
    reviewer: str,
    decision: str,
    reason: str = "",
) -> int:
    """Store (replace) a reviewer's decision and commit it; the note written so far goes along."""
    with write(db, reviewer=reviewer):
        db.execute(
            "DELETE FROM decisions WHERE record_id = ? AND stage = ? AND reviewer = ?",
            (record_id, stage, reviewer),
        )
        note = db.execute(
            "SELECT note FROM screen_notes WHERE record_id = ? AND stage = ? AND reviewer = ?",
            (record_id, stage, reviewer),
        ).fetchone()
        decision_id = inserted_id(
            db,
            "INSERT INTO decisions (record_id, stage, decision, reason, reviewer, note, "
            "decided_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
            (record_id, stage, decision, reason, reviewer, note[0] if note else "", _stamp()),
        )
    return decision_id


@dataclass(frozen=True, slots=True)
class ReviewerDecision:
    """One reviewer's decision on one record, as stored (decision: include | exclude | flag)."""

    record_id: int
    reviewer: str
    decision: str
    reason: str = ""
    note: str | None = None  # None: the note written on the screen so far goes along


class DecisionExists(SlrError):
    """A reviewer already decided a record otherwise, and the change was not asked for."""


def store_human_decisions(
    db: Connection,
    stage: str,
    decisions: Sequence[ReviewerDecision],
    change: bool,
    within_transaction: bool = False,
) -> list[str]:
    """Store reviewers' decisions in one transaction (all or none); for each, "added",
    "changed" or "unchanged" (the same decision, reason and note again). Without `change`, a
    reviewer's earlier, different decision is refused (DecisionExists) and nothing is written:
    checked here, inside the transaction, so that two processes cannot both pass the check.
    `within_transaction`: the caller holds the write transaction (an import storing the labels
    of the records it adds), and commits or rolls back everything together."""
    outcomes: list[str] = []
    with contextlib.nullcontext() if within_transaction else write(db):
        for entry in decisions:
            key = (entry.record_id, stage, entry.reviewer)
            old = db.execute(
                "SELECT decision, reason, note FROM decisions "
                "WHERE record_id = ? AND stage = ? AND reviewer = ?",
                key,
            ).fetchone()
            if entry.note is None:
                kept = db.execute(
                    "SELECT note FROM screen_notes "
                    "WHERE record_id = ? AND stage = ? AND reviewer = ?",
                    key,
                ).fetchone()
                note = kept[0] if kept else ""
            else:
                note = entry.note
            if old is not None and tuple(old) == (entry.decision, entry.reason, note):
                outcomes.append("unchanged")
                continue
            if old is not None and not change and tuple(old[:2]) != (entry.decision, entry.reason):
                label = "maybe" if old[0] == "flag" else old[0]
                raise DecisionExists(
                    f"{entry.reviewer} already decided record {entry.record_id} at {stage}: "
                    f"{label}" + (f" ({old[1]})" if old[1] else ""),
                    "pass --change to replace that decision",
                )
            db.execute(
                "DELETE FROM decisions WHERE record_id = ? AND stage = ? AND reviewer = ?", key
            )
            if entry.note is not None:
                db.execute(
                    "DELETE FROM screen_notes WHERE record_id = ? AND stage = ? AND reviewer = ?",
                    key,
                )
                if note:
                    db.execute(
                        "INSERT INTO screen_notes (record_id, stage, reviewer, note, noted_at) "
                        "VALUES (?, ?, ?, ?, ?)",
                        (*key, note, _stamp()),
                    )
            db.execute(
                "INSERT INTO decisions (record_id, stage, decision, reason, reviewer, note, "
                "decided_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (entry.record_id, stage, entry.decision, entry.reason, entry.reviewer, note,
                 _stamp()),
            )  # fmt: skip
            outcomes.append("added" if old is None else "changed")
    return outcomes


def undo_human_decision(
    db: Connection, stage: str, reviewer: str, within_transaction: bool = False
) -> ReviewerDecision | None:
    """Remove the reviewer's latest decision at a stage; returns it (None if there is none).
    `within_transaction`: the caller holds the write transaction (and does more in it)."""
    with contextlib.nullcontext() if within_transaction else write(db, reviewer=reviewer):
        row = db.execute(
            "SELECT id, record_id, decision, reason, note FROM decisions "
            "WHERE stage = ? AND reviewer = ? ORDER BY id DESC LIMIT 1",
            (stage, reviewer),
        ).fetchone()
        if row is None:
            return None
        db.execute("DELETE FROM decisions WHERE id = ?", (row[0],))
    return ReviewerDecision(row[1], reviewer, row[2], row[3], row[4])


def save_note(db: Connection, record_id: int, stage: str, reviewer: str, note: str) -> None:
    """A reviewer's note on a record (replacing an earlier one); copied into the decision."""
    retried(db, lambda: _save_note(db, record_id, stage, reviewer, note))


def _save_note(db: Connection, record_id: int, stage: str, reviewer: str, note: str) -> None:
    with write(db, reviewer=reviewer):
        db.execute(
            "DELETE FROM screen_notes WHERE record_id = ? AND stage = ? AND reviewer = ?",
            (record_id, stage, reviewer),
        )
        if note:
            db.execute(
                "INSERT INTO screen_notes (record_id, stage, reviewer, note, noted_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (record_id, stage, reviewer, note, _stamp()),
            )
        db.execute(
            "UPDATE decisions SET note = ? WHERE record_id = ? AND stage = ? AND reviewer = ? "
            "AND note <> ?",
            (note, record_id, stage, reviewer, note),
        )


def note_of(db: Connection, record_id: int, stage: str, reviewer: str) -> str:
    row = db.execute(
        "SELECT note FROM screen_notes WHERE record_id = ? AND stage = ? AND reviewer = ?",
        (record_id, stage, reviewer),
    ).fetchone()
    return row[0] if row else ""


def decided_by(db: Connection, stage: str, reviewer: str) -> set[int]:
    return {
        row[0]
        for row in db.execute(
            "SELECT record_id FROM decisions WHERE stage = ? AND reviewer = ?", (stage, reviewer)
        )
    }


def reviewer_decision(
    db: Connection, record_id: int, stage: str, reviewer: str
) -> tuple[str, str] | None:
    """A reviewer's decision on a record at a stage and its reason (None: not decided)."""
    row = db.execute(
        "SELECT decision, reason FROM decisions WHERE record_id = ? AND stage = ? AND reviewer = ?",
        (record_id, stage, reviewer),
    ).fetchone()
    return None if row is None else (row[0], row[1])


def decided_by_reviewer(db: Connection, stage: str) -> dict[str, set[int]]:
    """Each reviewer's decided records at a stage (the screen's progress of every reviewer)."""
    found: dict[str, set[int]] = {}
    for reviewer, record_id in db.execute(
        "SELECT reviewer, record_id FROM decisions WHERE stage = ? AND reviewer NOT LIKE 'auto:%'",
        (stage,),
    ):
        found.setdefault(reviewer, set()).add(record_id)
    return found


def record_final_decision(
    db: Connection,
    record_id: int,
    stage: str,
    decision: str,
    reason: str,
    resolved_by: str,
    note: str = "",
) -> None:
    with write(db):
        db.execute(
            "DELETE FROM final_decisions WHERE record_id = ? AND stage = ?", (record_id, stage)
        )
        db.execute(
            "INSERT INTO final_decisions (record_id, stage, decision, reason, resolved_by, note, "
            "decided_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (record_id, stage, decision, reason, resolved_by, note, _stamp()),
        )


def set_fulltext(
    db: Connection,
    record_id: int,
    path: str = "",
    original_name: str = "",
    sha256: str = "",
    missing_reason: str = "",
) -> None:
    with write(db):
        db.execute("DELETE FROM fulltexts WHERE record_id = ?", (record_id,))
        db.execute(
            "INSERT INTO fulltexts (record_id, path, original_name, sha256, missing_reason, "
            "updated_at) VALUES (?, ?, ?, ?, ?, ?)",
            (record_id, path, original_name, sha256, missing_reason, _stamp()),
        )


def screen_row(db: Connection, record_id: int) -> Row:
    """The fields the screen shows of a record."""
    row: Row = db.execute(
        "SELECT title, abstract, authors, year, source_title, document_type, doi, "
        "author_keywords, index_keywords, language FROM records WHERE id = ?",
        (record_id,),
    ).fetchone()
    return row


def decision_snapshot(db: Connection) -> DecisionSnapshot:
    """Every record and every decision the status resolver needs, read in one transaction so
    that the statuses are of one moment even while reviewers go on deciding."""
    started = not db.in_transaction
    if started:
        db.begin_read()
    try:
        records: list[int] = []
        duplicate_of: dict[int, int] = {}
        for record_id, kept in db.execute("SELECT id, duplicate_of FROM records ORDER BY id"):
            records.append(record_id)
            if kept is not None:
                duplicate_of[record_id] = kept
        stages = {stage: StageDecisions() for stage in STAGES}
        for record_id, stage, reviewer, decision, reason, note in db.execute(
            "SELECT record_id, stage, reviewer, decision, reason, note FROM decisions ORDER BY id"
        ):
            if reviewer.startswith(AUTO):
                stages[stage].rules[record_id] = (decision, reason)
            else:
                label = "maybe" if decision == "flag" else decision
                human = HumanDecision(reviewer, label, reason, note)
                stages[stage].humans.setdefault(record_id, []).append(human)
        for record_id, stage, decision, reason in db.execute(
            "SELECT record_id, stage, decision, reason FROM final_decisions"
        ):
            stages[stage].resolutions[record_id] = (decision, reason)
        for record_id, stage, rule in db.execute(
            "SELECT record_id, stage, rule FROM stopped_records "
            "JOIN screen_stops ON screen_stops.id = stop_id"
        ):
            stages[stage].stopped[record_id] = rule
        not_retrieved = dict(
            db.execute("SELECT record_id, missing_reason FROM fulltexts WHERE missing_reason <> ''")
        )
    finally:
        if started:
            db.rollback()
    for decisions in stages.values():
        for humans in decisions.humans.values():
            humans.sort(key=lambda human: human.reviewer)
    return DecisionSnapshot(records, duplicate_of, stages, not_retrieved)


# -- stopping: `slr screen stop` ------------------------------------------------------------


def screening_order(db: Connection, stage: str, reviewer: str = "") -> list[int]:
    """The records people decided at a stage, in the order of their first decision (of
    `reviewer` only, when given): the sequence a stopping rule reads."""
    rows = db.execute(
        "SELECT record_id FROM decisions WHERE stage = ? AND reviewer NOT LIKE 'auto:%' "
        "AND (? = '' OR reviewer = ?) GROUP BY record_id ORDER BY min(id)",
        (stage, reviewer, reviewer),
    )
    return [row[0] for row in rows]


def stop_of(db: Connection, stage: str) -> dict[str, Any] | None:
    """The stage's stop (rule, parameters, statistics as dicts), None when it was not stopped."""
    row = db.execute(
        "SELECT id, stage, rule, parameters, statistics, forced, records, stopped_at "
        "FROM screen_stops WHERE stage = ?",
        (stage,),
    ).fetchone()
    if row is None:
        return None
    keys = ("id", "stage", "rule", "parameters", "statistics", "forced", "records", "stopped_at")
    stop = dict(zip(keys, row, strict=True))
    stop["parameters"] = json.loads(stop["parameters"])
    stop["statistics"] = json.loads(stop["statistics"])
    stop["forced"] = bool(stop["forced"])
    return stop


def record_stop(
    db: Connection,
    stage: str,
    rule: str,
    parameters: dict[str, Any],
    statistics: dict[str, Any],
    forced: bool,
    record_ids: Sequence[int],
) -> int:
    """Exclude `record_ids` at `stage` as not screened, the stopping rule met; one transaction."""
    with write(db):
        if stop_of(db, stage) is not None:
            raise SlrError(
                f"{stage} screening is already stopped",
                "undo that stop first with `slr screen stop --undo`",
            )
        stop_id = inserted_id(
            db,
            "INSERT INTO screen_stops (stage, rule, parameters, statistics, forced, records, "
            "stopped_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
            (
                stage,
                rule,
                json.dumps(parameters),
                json.dumps(statistics),
                int(forced),
                len(record_ids),
                _stamp(),
            ),
        )
        db.executemany(
            "INSERT INTO stopped_records (stop_id, record_id) VALUES (?, ?)",
            ((stop_id, record_id) for record_id in record_ids),
        )
    return stop_id


def undo_stop(db: Connection, stage: str) -> dict[str, Any]:
    """Delete the stage's stop and its exclusions (the log keeps both); returns the stop."""
    with write(db):
        stop = stop_of(db, stage)
        if stop is None:
            raise SlrError(f"{stage} screening was not stopped", "nothing to undo")
        one_by_one(
            db,
            "SELECT stop_id, record_id FROM stopped_records WHERE stop_id = ? ORDER BY record_id",
            "DELETE FROM stopped_records WHERE stop_id = ? AND record_id = ?",
            (stop["id"],),
        )
        db.execute("DELETE FROM screen_stops WHERE id = ?", (stop["id"],))
    return stop
