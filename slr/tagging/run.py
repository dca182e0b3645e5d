"""`slr tag`: apply the protocol's vocabularies to a stage of the review and store the tags with
their evidence; reviewers' corrections (`slr tag add/rm`) beat the automatic tags and survive
every re-run."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from slr.errors import SlrError
from slr.models import Evidence
from slr.protocol import Protocol
from slr.screening.status import review_statuses
from slr.screening.text import load_texts
from slr.store import Review
from slr.store import fulltext as fulltext_store
from slr.store import tagging as store
from slr.store.transaction import write
from slr.tagging.vocab import Tag, Tagger


@dataclass(slots=True)
class TagSummary:
    stage: str
    records: int
    run_id: int
    changes: store.TagChanges
    per_group: dict[str, int] = field(default_factory=dict)  # "drivers.cbec" -> records
    corrections: int = 0  # reviewer corrections among the records (kept as they are)
    fulltexts: int = 0


def fulltext(review: Review, record_id: int) -> str:
    """The text of a record's attached full texts as stored when attached (pages joined by a
    form feed), else ''."""
    return store.fulltext_text(review.db, review.path, record_id)


def evidence_place(review: Review, record_id: int) -> Callable[[Evidence], str]:
    """How `slr tag show` names where evidence is: the field and offsets, and for the full
    text the file, the page and the offsets within that page."""
    _, starts = fulltext_store.record_text(review.db, record_id)

    def place(evidence: Evidence) -> str:
        in_fulltext = evidence.field == "fulltext"
        page = fulltext_store.page_at(starts, evidence.start) if in_fulltext else None
        if page is None:
            return f"{evidence.field} {evidence.start}-{evidence.end}"
        start, end = evidence.start - page.offset, evidence.end - page.offset
        return f"fulltext {page.file} p.{page.page} {start}-{end}"

    return place


def tag_review(
    review: Review, protocol: Protocol, stage: str = "included", protocol_sha256: str = ""
) -> TagSummary:
    db = review.db
    ids = set(review_statuses(review, protocol).studies(stage))
    if not ids:  # nothing to tag: no run is recorded
        return TagSummary(stage, 0, 0, store.TagChanges())
    tagger = Tagger.of(protocol)
    corrections = store.override_map(db)
    per_group: dict[str, int] = {}
    total = store.TagChanges()
    fulltexts = 0
    # The tags are found first and written in one short transaction: other commands (a
    # reviewer's key press) wait for the writing only, not for the matching.
    found: list[tuple[int, list[Tag]]] = []
    for text in load_texts(db):
        if text.id not in ids:
            continue
        extra = {}
        body = fulltext(review, text.id)
        if body:
            extra["fulltext"] = body
            fulltexts += 1
        found.append((text.id, tagger.tag(text, extra)))
    with write(db):
        run_id = store.start_run(db, stage, protocol_sha256, len(ids))
        for record_id, tags in found:
            changes = store.replace_tags(db, run_id, record_id, tags)
            total.added += changes.added
            total.changed += changes.changed
            total.removed += changes.removed
            for key in effective_keys(tags, corrections.get(record_id, {})):
                per_group[key] = per_group.get(key, 0) + 1
        store.finish_run(db, run_id, total)
    kept = sum(len(v) for k, v in corrections.items() if k in ids)
    return TagSummary(stage, len(ids), run_id, total, per_group, kept, fulltexts)


def effective_keys(tags: list[Tag], corrections: dict[tuple[str, str], str]) -> list[str]:
    """ "vocabulary.group" of every tag once a reviewer's corrections are applied."""
    keys = {(t.vocabulary, t.group) for t in tags}
    for key, action in corrections.items():
        if action == "add":
            keys.add(key)
        else:
            keys.discard(key)
    return [f"{v}.{g}" for v, g in sorted(keys)]


@dataclass(slots=True)
class TagLine:
    """One tag of a record as `slr tag show` prints it."""

    vocabulary: str
    group: str
    status: str  # auto | added | removed
    tag: Tag | None  # the automatic tag, with its evidence (None when only a reviewer's)
    override: store.Override | None


def record_tags(review: Review, record_id: int) -> tuple[bool, list[TagLine]]:
    """Whether a run tagged the record, and its tags: automatic, added and removed ones."""
    db = review.db
    review.get(record_id)  # RecordNotFound
    auto = {(t.vocabulary, t.group): t for t in store.stored_tags(db, record_id)}
    corrections = {(o.vocabulary, o.group): o for o in store.overrides(db, record_id)}
    lines = []
    for key in sorted(set(auto) | set(corrections)):
        override = corrections.get(key)
        status = (
            "auto" if override is None else ("added" if override.action == "add" else "removed")
        )
        lines.append(TagLine(key[0], key[1], status, auto.get(key), override))
    return store.is_tagged(db, record_id), lines


def parse_tag(protocol: Protocol, text: str) -> tuple[str, str]:
    """`VOCAB:TERM` (or VOCAB.GROUP) checked against the protocol's vocabularies."""
    for separator in (":", "."):
        if separator in text:
            vocabulary, _, group = text.partition(separator)
            break
    else:
        raise SlrError(
            f"{text!r} is not VOCAB:GROUP", "for example drivers:ugc (see `slr protocol check`)"
        )
    groups = protocol.vocabularies.get(vocabulary)
    if groups is None:
        known = ", ".join(protocol.vocabularies) or "none"
        raise SlrError(f"unknown vocabulary {vocabulary!r} (vocabularies: {known})")
    if group not in groups:
        raise SlrError(
            f"vocabulary {vocabulary!r} has no group {group!r} (groups: {', '.join(groups)})"
        )
    return vocabulary, group


def correct(
    review: Review,
    protocol: Protocol,
    record_id: int,
    tag: str,
    action: str,
    reviewer: str = "",
    note: str = "",
) -> bool:
    """A reviewer adds or removes a tag; False when that correction was already there."""
    vocabulary, group = parse_tag(protocol, tag)
    review.get(record_id)  # RecordNotFound
    with write(review.db):
        return store.set_override(review.db, record_id, vocabulary, group, action, reviewer, note)


def default_reviewer() -> str:
    import getpass  # (rarely needed)

    try:
        return getpass.getuser()
    except Exception:  # pragma: no cover - no user name on this system
        return ""


__all__ = [
    "TagLine",
    "TagSummary",
    "correct",
    "fulltext",
    "record_tags",
    "tag_review",
]
