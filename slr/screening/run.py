"""`slr screen auto`: apply a protocol's rules to a review, store the decisions, undo a run."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from slr.errors import NoProtocol, SlrError
from slr.normalize.words import counted
from slr.protocol import Protocol
from slr.protocol.query import names_scoped_fields, parse_query
from slr.screening.engine import (
    STAGES,
    Matcher,
    decide,
    protocol_matcher,
    protocol_rules,
    with_full_text,
)
from slr.screening.status import protocol_of, review_statuses
from slr.screening.text import RecordText, Span, load_texts
from slr.store import Review
from slr.store import fulltext as fulltext_store
from slr.store import screening as store
from slr.store.tagging import override_map
from slr.store.transaction import write
from slr.tagging.vocab import Tagger

Progress = Callable[[str], None]


@dataclass(slots=True)
class StageSummary:
    stage: str
    rules: int
    screened: int = 0
    decided: Counter[str] = field(default_factory=Counter)  # include / exclude / flag
    human: int = 0  # records a reviewer decided: rules leave them alone


@dataclass(slots=True)
class RunSummary:
    run_id: int | None
    records: int
    duplicates: int
    stages: list[StageSummary]
    changes: list[store.Change]

    def count(self, kind: str) -> int:
        return sum(1 for change in self.changes if change.kind == kind)


def review_protocol(review: Review, override: Path | None = None) -> tuple[Protocol, str]:
    """The protocol to screen with (the review's copy unless `override`) and its SHA-256, for
    the commands that cannot work without one (`protocol_of` reads it)."""
    protocol, sha256 = protocol_of(review, override)
    if protocol is None:
        raise NoProtocol(
            f"the review in {review.shown} has no protocol",
            "create reviews with `slr init DIR --protocol FILE`, or pass --protocol FILE",
        )
    return protocol, sha256


def screen_auto(
    review: Review,
    protocol: Protocol,
    stages: Sequence[str] = STAGES,
    dry_run: bool = False,
    protocol_sha256: str = "",
    progress: Progress = lambda _message: None,
) -> RunSummary:
    """Apply the rules stage by stage; a record reaches full text when included at title/abstract.

    Records marked duplicate are not screened; a record a reviewer decided at a stage keeps that
    decision (rules neither add nor change one there). Decisions that stay the same are left
    untouched; the others are added, changed or removed, and remembered for `undo_last_run`.
    """
    db = review.db
    progress("Reading records")
    authors = any(names_scoped_fields(parse_query(rule.query)) for rule in protocol.rules)
    texts = list(load_texts(db, authors))
    summaries: list[StageSummary] = []
    changes: list[store.Change] = []
    included: set[int] | None = None  # records included at title/abstract (the new decisions)
    all_rules = 0
    cache: dict[str, set[int]] = {}
    vocabularies = corrected_vocabularies(review, protocol)
    for stage in STAGES:
        rules = protocol_rules(protocol, vocabularies, stage)
        if stage not in stages:
            if stage == STAGES[0]:
                included = _included_as_stored(review, protocol)
            continue
        all_rules += len(rules)
        progress(f"Applying {stage} {counted(len(rules), 'rule')}")
        summary = StageSummary(stage, len(rules))
        humans = store.human_decisions(db, stage)
        existing = store.auto_decisions(db, stage)
        full_texts = fulltext_store.record_texts(db) if stage == STAGES[1] else {}
        now_included: set[int] = set()
        for text in texts:
            if stage == "full_text" and included is not None and text.id not in included:
                new = None
                eligible = False
            else:
                eligible = True
            if text.id in humans:
                summary.human += 1
                if stage == STAGES[0] and text.id in _included_as_stored(review, protocol, cache):
                    now_included.add(text.id)
                continue
            if not eligible:
                new = None
            else:
                summary.screened += 1
                decision = decide(with_full_text(text, full_texts.get(text.id, "")), rules, stage)
                new = None if decision is None else store.decision_values(decision)
                if decision is not None:
                    summary.decided[decision.decision] += 1
                    if decision.decision == "include":
                        now_included.add(text.id)
            old = existing.get(text.id)
            change = _compare(text.id, stage, old, new)
            if change is not None:
                changes.append(change)
        # records marked duplicate since an earlier run lose the rules' decisions about them
        screened_ids = {text.id for text in texts}
        for record_id, old in sorted(existing.items()):
            if record_id not in screened_ids:
                changes.append(store.Change("remove", record_id, stage, old, None))
        if stage == STAGES[0]:
            included = now_included
        summaries.append(summary)
    run_id = None
    duplicates = store.duplicates(db)
    if not dry_run:
        with write(db):
            run_id = store.start_run(db, list(stages), protocol_sha256, all_rules, len(texts))
            store.apply_changes(db, run_id, changes)
    return RunSummary(run_id, len(texts), duplicates, summaries, changes)


def corrected_vocabularies(review: Review, protocol: Protocol) -> Tagger:
    """The protocol's vocabularies as `slr tag` applies them, with the reviewers' tag
    corrections (`slr tag add/rm`): what `vocab:` predicates count."""
    return Tagger.of(protocol).with_overrides(override_map(review.db))


def _included_as_stored(
    review: Review, protocol: Protocol | None, cache: dict[str, set[int]] | None = None
) -> set[int]:
    """Records finally included at title/abstract (resolutions, agreeing reviewers, rules)."""
    if cache is not None and "included" in cache:
        return cache["included"]
    included = review_statuses(review, protocol).included(STAGES[0])
    if cache is not None:
        cache["included"] = included
    return included


def _compare(record_id: int, stage: str, old: dict | None, new: dict | None) -> store.Change | None:
    if old is None and new is None:
        return None
    if old is None:
        return store.Change("add", record_id, stage, None, new)
    if new is None:
        return store.Change("remove", record_id, stage, old, None)
    if all(old[name] == value for name, value in new.items()):
        return None
    return store.Change("change", record_id, stage, old, new)


@dataclass(slots=True)
class UndoSummary:
    run_id: int
    removed: int
    restored: int


def undo_last_run(review: Review) -> UndoSummary:
    """Reverse the last `slr screen auto` run that is not undone yet, exactly."""
    run = store.last_run(review.db)
    if run is None:
        raise SlrError("there is no `slr screen auto` run to undo")
    with write(review.db):
        removed, restored = store.undo_run(review.db, run["id"])
    return UndoSummary(run["id"], removed, restored)


@dataclass(slots=True)
class Hit:
    record: RecordText
    evidence: list[Span]


def find(
    review: Review, query: str, protocol: Protocol | None, stage: str | None
) -> tuple[list[Hit], int]:
    """Records (not marked duplicate) a query matches, with the spans that matched; and how many
    records were searched. `stage="full_text"` searches the records included at title/abstract."""
    matcher = (
        protocol_matcher(protocol, query, corrected_vocabularies(review, protocol))
        if protocol is not None
        else Matcher(parse_query(query))
    )
    texts = load_texts(review.db, names_scoped_fields(matcher.query))
    if stage == "full_text":
        included = _included_as_stored(review, protocol)
        texts = (t for t in texts if t.id in included)
    hits: list[Hit] = []
    searched = 0
    for text in texts:
        searched += 1
        if matcher.matches(text):
            hits.append(Hit(text, matcher.explain(text) or []))
    return hits, searched
