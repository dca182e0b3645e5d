"""The final decision per record and stage: what later stages and PRISMA counts use.

In order: a full text reported missing is "not retrieved"; a resolution (`slr screen resolve`)
decides; else the reviewers, when they agree ("maybe" when all said maybe) or "conflict" when they
do not; else the rules (include or exclude; a flag leaves the record "undecided").
A record in conflict stays in conflict until resolved: it is never counted as included or
excluded.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field

from slr.screening.engine import STAGES
from slr.store import screening as store

FINAL = ("include", "exclude")
STATUSES = ("include", "exclude", "maybe", "conflict", "undecided", "not retrieved")


@dataclass(slots=True)
class HumanDecision:
    reviewer: str
    decision: str  # include | exclude | maybe
    reason: str
    note: str


@dataclass(slots=True)
class Status:
    record_id: int
    status: str  # one of STATUSES
    by: str  # resolution | reviewers | rules | none | fulltext
    humans: list[HumanDecision] = field(default_factory=list)
    reason: str = ""


def human_label(decision: str) -> str:
    """A person's 'flag' is their "maybe"."""
    return "maybe" if decision == "flag" else decision


def decide_status(
    record_id: int,
    humans: Sequence[HumanDecision],
    auto: tuple[str, str] | None,  # the rules' (decision, reason)
    resolved: tuple[str, str] | None,
    missing: bool = False,
    stage: str = STAGES[0],
) -> Status:
    """Pure: the final status of one record at one stage. At full text, reviewers who exclude
    for different reasons are in conflict too (PRISMA reports each exclusion's reason)."""
    if missing:
        return Status(record_id, "not retrieved", "fulltext", list(humans))
    if resolved is not None:
        return Status(record_id, resolved[0], "resolution", list(humans), resolved[1])
    if humans:
        kinds = {h.decision for h in humans}
        if len(kinds) > 1:
            return Status(record_id, "conflict", "reviewers", list(humans))
        kind = kinds.pop()
        reasons = [h.reason for h in humans if h.reason]
        if kind == "exclude" and stage == "full_text" and len(set(reasons)) > 1:
            return Status(record_id, "conflict", "reviewers", list(humans))
        return Status(record_id, kind, "reviewers", list(humans), reasons[0] if reasons else "")
    if auto is not None and auto[0] in FINAL:
        return Status(record_id, auto[0], "rules", [], auto[1])
    return Status(record_id, "undecided", "none")


def stage_statuses(db: sqlite3.Connection, stage: str) -> dict[int, Status]:
    """The status of every record that reaches a stage (not marked duplicate; at full text, the
    records finally included at title/abstract), in id order."""
    if stage == STAGES[0]:
        eligible = [
            row[0]
            for row in db.execute("SELECT id FROM records WHERE duplicate_of IS NULL ORDER BY id")
        ]
        missing: set[int] = set()
    else:
        eligible = [
            rid for rid, s in stage_statuses(db, STAGES[0]).items() if s.status == "include"
        ]
        missing = store.missing_fulltexts(db)
    humans: dict[int, list[HumanDecision]] = {}
    for row in store.human_rows(db, stage):
        humans.setdefault(row["record_id"], []).append(
            HumanDecision(row["reviewer"], human_label(row["decision"]), row["reason"], row["note"])
        )
    auto = {
        rid: (row["decision"], row["reason"])
        for rid, row in store.auto_decisions(db, stage).items()
    }
    finals = {
        rid: (row["decision"], row["reason"]) for rid, row in store.final_rows(db, stage).items()
    }
    return {
        rid: decide_status(
            rid, humans.get(rid, []), auto.get(rid), finals.get(rid), rid in missing, stage
        )
        for rid in eligible
    }


def exclusion_reasons(db: sqlite3.Connection, stage: str) -> dict[str, int]:
    """Final exclusions per reason at a stage (PRISMA's "reports excluded, with reasons");
    exclusions without a reason count under ""."""
    counts: dict[str, int] = {}
    for status in stage_statuses(db, stage).values():
        if status.status == "exclude":
            counts[status.reason] = counts.get(status.reason, 0) + 1
    return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))


def included(db: sqlite3.Connection, stage: str = STAGES[0]) -> set[int]:
    return {rid for rid, s in stage_statuses(db, stage).items() if s.status == "include"}


def conflicts(db: sqlite3.Connection, stage: str) -> list[Status]:
    """Records the reviewers disagree on, or all marked maybe: they need a final decision."""
    return [s for s in stage_statuses(db, stage).values() if s.status in ("conflict", "maybe")]


@dataclass(slots=True)
class Ratings:
    """Every person's decision at a stage: reviewers (sorted) and record -> reviewer -> row."""

    reviewers: list[str]
    by_record: dict[int, dict[str, HumanDecision]]

    def complete(self) -> list[tuple[int, list[str]]]:
        """Records every reviewer decided, with their decisions in reviewer order."""
        return [
            (rid, [decisions[r].decision for r in self.reviewers])
            for rid, decisions in sorted(self.by_record.items())
            if all(r in decisions for r in self.reviewers)
        ]


def ratings(db: sqlite3.Connection, stage: str, reviewers: Sequence[str] = ()) -> Ratings:
    by_record: dict[int, dict[str, HumanDecision]] = {}
    found: set[str] = set()
    for row in store.human_rows(db, stage):
        if reviewers and row["reviewer"] not in reviewers:
            continue
        found.add(row["reviewer"])
        by_record.setdefault(row["record_id"], {})[row["reviewer"]] = HumanDecision(
            row["reviewer"], human_label(row["decision"]), row["reason"], row["note"]
        )
    return Ratings(sorted(found), by_record)
