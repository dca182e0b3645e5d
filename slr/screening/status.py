"""What was decided: the one status of every record at every stage, used by every command.

PRISMA, `slr status`, the exports, tagging, the extraction matrix, the graphs and the screening
queue all ask this module, so they cannot disagree. At a stage, in order:

1. a full text reported missing is "not retrieved" (full-text stage only);
2. a resolution (`slr screen resolve`) decides, whatever votes come after it;
3. the reviewers: when they disagree (or, at full text, exclude for different reasons) the
   record is in "conflict"; when they agree but fewer than the protocol's `[screening]
   reviewers` have decided, it is "awaiting"; else their decision ("maybe" when all said maybe);
4. the rules, when no person has decided: include or exclude;
5. the stopping rule (`slr screen stop`): a record nobody screened when the protocol's stopping
   rule was met is excluded, "not screened: stopping rule met";
6. a rule's flag leaves the record "awaiting" a reviewer, as does no decision at all.

Records marked duplicate have the status "duplicate" and reach no stage. A record reaches the
full-text stage when it is included at title/abstract; it is included in the review when it is
included at full text.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from slr.errors import ProtocolError
from slr.models import STAGES, DecisionSnapshot, HumanDecision, StageDecisions
from slr.protocol import Protocol, load_protocol
from slr.store import Review
from slr.store.paths import inside
from slr.store.screening import decision_snapshot

FINAL = ("include", "exclude")
STATUSES = ("include", "exclude", "maybe", "conflict", "awaiting", "not retrieved", "duplicate")
STOPPED = "not screened: stopping rule met"  # the reason of a record `slr screen stop` excludes
# The sets of records a command works on (`--stage` of export, tag, extract, graph).
RECORD_SETS = ("all", "unique", "screened", "full_text", "included")
STUDY_SETS = ("included", "full_text", "screened", "all")  # (`all`: see Statuses.studies)
STUDY_SETS_HELP = (
    "included: included at full text (the studies of the review, as PRISMA counts them); "
    "full_text: included at title/abstract; screened: not excluded at title/abstract and "
    "decided or flagged by a rule or a reviewer; all: every record not marked duplicate."
)
RECORD_SETS_HELP = (
    "all: every record (duplicates too, where the command lists them); unique: every record not "
    "marked duplicate; screened: every record not excluded at title/abstract that a rule or a "
    "reviewer has decided or flagged; full_text: included at title/abstract (the full-text "
    "stage); included: included at full text (the studies of the review, as PRISMA counts them)."
)
DEFAULT_REVIEWERS = dict.fromkeys(STAGES, 1)


@dataclass(slots=True)
class Status:
    """A record's status at a stage, who decided it, and every reviewer's decision."""

    record_id: int
    status: str  # one of STATUSES
    by: str  # resolution | reviewers | rules | stopping | fulltext | none
    humans: list[HumanDecision] = field(default_factory=list)
    reason: str = ""


def decide_status(
    record_id: int,
    humans: Sequence[HumanDecision],
    rules: tuple[str, str] | None,
    resolution: tuple[str, str] | None,
    not_retrieved: bool = False,
    stage: str = STAGES[0],
    reviewers: int = 1,
    stopped: bool = False,
) -> Status:
    """Pure: the status of one record at one stage (see the module's docstring)."""
    if not_retrieved:
        return Status(record_id, "not retrieved", "fulltext", list(humans))
    if resolution is not None:
        return Status(record_id, resolution[0], "resolution", list(humans), resolution[1])
    if humans:
        kinds = {h.decision for h in humans}
        reasons = [h.reason for h in humans if h.reason]
        if len(kinds) > 1 or (
            kinds == {"exclude"} and stage == "full_text" and len(set(reasons)) > 1
        ):
            return Status(record_id, "conflict", "reviewers", list(humans))
        if len({h.reviewer for h in humans}) < reviewers:
            return Status(record_id, "awaiting", "reviewers", list(humans))
        kind = kinds.pop()
        return Status(record_id, kind, "reviewers", list(humans), reasons[0] if reasons else "")
    if rules is not None and rules[0] in FINAL:
        return Status(record_id, rules[0], "rules", [], rules[1])
    if stopped:
        return Status(record_id, "exclude", "stopping", [], STOPPED)
    if rules is not None:
        return Status(record_id, "awaiting", "rules", [], rules[1])  # flagged for a reviewer
    return Status(record_id, "awaiting", "none")


@dataclass(slots=True)
class Statuses:
    """The status of every record at both stages, and the record sets built from them."""

    title_abstract: dict[int, Status]  # every record not marked duplicate
    full_text: dict[int, Status]  # every record included at title/abstract
    duplicate_of: dict[int, int]
    records: list[int]

    def stage(self, stage: str) -> dict[int, Status]:
        return self.title_abstract if stage == STAGES[0] else self.full_text

    def status_of(self, record_id: int, stage: str) -> Status | None:
        """None: the record does not reach that stage."""
        if record_id in self.duplicate_of:
            return Status(record_id, "duplicate", "dedup")
        return self.stage(stage).get(record_id)

    def ids(self, record_set: str) -> list[int]:
        """The records of a set (RECORD_SETS), in id order."""
        if record_set == "all":
            return list(self.records)
        if record_set == "unique":
            return list(self.title_abstract)
        if record_set == "screened":
            return [
                rid
                for rid, status in self.title_abstract.items()
                if status.status != "exclude" and status.by != "none"
            ]
        if record_set == "full_text":
            return list(self.full_text)
        if record_set == "included":
            return [rid for rid, status in self.full_text.items() if status.status == "include"]
        raise ValueError(f"unknown record set {record_set!r}")

    def studies(self, stage: str) -> list[int]:
        """The records `slr tag`, `slr extract` and `slr graph` work on: as `ids`, but "all"
        is every record not marked duplicate (a duplicate is the same study again)."""
        return self.ids("unique" if stage == "all" else stage)

    def included(self, stage: str = "full_text") -> set[int]:
        return {rid for rid, s in self.stage(stage).items() if s.status == "include"}

    def conflicts(self, stage: str) -> list[Status]:
        """Records the reviewers disagree on, or all marked maybe: they need a resolution."""
        return [s for s in self.stage(stage).values() if s.status in ("conflict", "maybe")]

    def exclusion_reasons(self, stage: str) -> dict[str, int]:
        """Final exclusions per reason at a stage; exclusions without a reason count under ""."""
        counts: dict[str, int] = {}
        for status in self.stage(stage).values():
            if status.status == "exclude":
                counts[status.reason] = counts.get(status.reason, 0) + 1
        return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))


def resolve(
    snapshot: DecisionSnapshot, reviewers: Mapping[str, int] = DEFAULT_REVIEWERS
) -> Statuses:
    """Pure: every record's status at both stages, from the decisions recorded."""
    unique = [rid for rid in snapshot.records if rid not in snapshot.duplicate_of]
    title_abstract = _stage(
        unique, snapshot.stages.get(STAGES[0]), STAGES[0], reviewers.get(STAGES[0], 1), {}
    )
    reaching = [rid for rid, status in title_abstract.items() if status.status == "include"]
    full_text = _stage(
        reaching,
        snapshot.stages.get(STAGES[1]),
        STAGES[1],
        reviewers.get(STAGES[1], 1),
        snapshot.not_retrieved,
    )
    return Statuses(title_abstract, full_text, dict(snapshot.duplicate_of), list(snapshot.records))


def _stage(
    ids: list[int],
    decisions: StageDecisions | None,
    stage: str,
    reviewers: int,
    not_retrieved: Mapping[int, str],
) -> dict[int, Status]:
    decisions = decisions or StageDecisions()
    return {
        rid: decide_status(
            rid,
            decisions.humans.get(rid, []),
            decisions.rules.get(rid),
            decisions.resolutions.get(rid),
            rid in not_retrieved,
            stage,
            reviewers,
            rid in decisions.stopped,
        )
        for rid in ids
    }


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


def ratings(statuses: Statuses, stage: str, reviewers: Sequence[str] = ()) -> Ratings:
    """The reviewers' decisions on the records that reach a stage (agreement, kappa)."""
    by_record: dict[int, dict[str, HumanDecision]] = {}
    found: set[str] = set()
    for rid, status in statuses.stage(stage).items():
        for human in status.humans:
            if reviewers and human.reviewer not in reviewers:
                continue
            found.add(human.reviewer)
            by_record.setdefault(rid, {})[human.reviewer] = human
    return Ratings(sorted(found), by_record)


def protocol_of(review: Review, override: Path | None = None) -> tuple[Protocol | None, str]:
    """The protocol a review works with and its SHA-256: `override` when given, else the
    review's copy; (None, "") for a review made without one. The one place a review's protocol
    is read, so that every command refuses a broken or missing copy the same way (ProtocolError)
    and none goes on with its rules silently off."""
    if override is not None:
        path = override
    else:
        meta = review.meta()
        copy = meta.get("protocol", "")
        if not copy:
            return None, ""
        path = inside(review.path, copy)
        if not path.exists():
            original = meta.get("protocol_original") or "your protocol file"
            raise ProtocolError(
                f"the review's protocol {copy} (the copy of {original} made by `slr init`) is "
                f"missing from {review.shown}",
                f"copy the protocol back: cp {original} {review.path / copy}",
            )
    protocol = load_protocol(path)
    return protocol, hashlib.sha256(path.read_bytes()).hexdigest()


def required_reviewers(review: Review, protocol: Protocol | None = None) -> dict[str, int]:
    """How many reviewers must decide at each stage: the protocol's `[screening] reviewers`
    (the review's copy unless given); 1 for a review made without a protocol. A protocol that
    cannot be read is refused (ProtocolError), as by every command that uses it."""
    if protocol is None:
        protocol = protocol_of(review)[0]
    return dict(protocol.reviewers) if protocol is not None else dict(DEFAULT_REVIEWERS)


def review_statuses(review: Review, protocol: Protocol | None = None) -> Statuses:
    """Every record's status in the review now (the protocol: see `required_reviewers`)."""
    return resolve(decision_snapshot(review.db), required_reviewers(review, protocol))


# `slr status` lines, in order: (what the line says, status, who decided it)
_COUNT_LINES = (
    ("excluded by rules", "exclude", ("rules",)),
    ("excluded by reviewers", "exclude", ("reviewers", "resolution")),
    ("excluded, not screened: stopping rule met", "exclude", ("stopping",)),
    ("included by rules", "include", ("rules",)),
    ("included by reviewers", "include", ("reviewers", "resolution")),
    ("in conflict between reviewers", "conflict", ("reviewers",)),
    ("maybe, awaiting a final decision", "maybe", ("reviewers",)),
    ("flagged by rules, awaiting a reviewer", "awaiting", ("rules",)),
    ("awaiting more reviewers", "awaiting", ("reviewers",)),
    ("no decision yet", "awaiting", ("none",)),
    ("reports not retrieved", "not retrieved", ("fulltext",)),
)
_STAGE_LABELS = {"title_abstract": "title/abstract", "full_text": "full text"}


def stage_counts(statuses: Statuses) -> dict[str, int]:
    """Per stage, how many records have each status and who decided it (the non-zero ones),
    and how many studies the review includes: `slr status`."""
    counts: dict[str, int] = {}
    for stage in STAGES:
        tallies = Counter((s.status, s.by) for s in statuses.stage(stage).values())
        for text, status, deciders in _COUNT_LINES:
            found = sum(tallies[status, by] for by in deciders)
            if found:
                counts[f"{_STAGE_LABELS[stage]}: {text}"] = found
    counts["included in the review"] = len(statuses.ids("included"))
    return counts


__all__ = [
    "FINAL",
    "RECORD_SETS",
    "STATUSES",
    "STOPPED",
    "HumanDecision",
    "Ratings",
    "Status",
    "Statuses",
    "decide_status",
    "protocol_of",
    "ratings",
    "required_reviewers",
    "resolve",
    "review_statuses",
    "stage_counts",
]
