"""What the graphs are built from, read from a review: the studies of a stage (duplicates
merged into the record kept), their tags (as `slr tag` stored them, with reviewers'
corrections) and their reference lists."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from slr.errors import SlrError
from slr.graphs.citations import Citing, Target, target_of
from slr.models import Record
from slr.normalize.text import fold
from slr.protocol import Protocol
from slr.screening.status import review_statuses
from slr.store import Review
from slr.store import tagging as store
from slr.tagging.matrix import author_year, period_of
from slr.tagging.run import effective_keys


@dataclass(frozen=True, slots=True)
class Study:
    id: int
    label: str  # Rizkita et al. (2026)
    title: str
    year: int | None = None
    doi: str = ""
    period: str = ""
    # over the record and its duplicates, first spelling of each folded form kept
    author_keywords: tuple[str, ...] = ()
    index_keywords: tuple[str, ...] = ()


def _clusters(review: Review, ids: list[int]) -> dict[int, list[Record]]:
    """record id -> [the record, then its duplicates]."""
    wanted = set(ids)
    found: dict[int, list[Record]] = {i: [] for i in ids}
    extra: dict[int, list[Record]] = {}
    for stored in review.iter_records():
        if stored.id in wanted:
            found[stored.id].insert(0, stored.record)
        elif stored.duplicate_of in wanted:
            extra.setdefault(stored.duplicate_of, []).append(stored.record)
    for key, records in extra.items():
        found[key].extend(records)
    return found


def load_studies(
    review: Review, stage: str, protocol: Protocol | None = None
) -> tuple[dict[int, Study], dict[int, list[Record]]]:
    ids = review_statuses(review, protocol).studies(stage)
    if not ids:
        raise SlrError(
            f"no records at stage {stage}",
            "screen first (`slr screen auto`), or use --stage all",
        )
    clusters = _clusters(review, ids)
    studies = {}
    for record_id in ids:
        record = clusters[record_id][0]
        studies[record_id] = Study(
            record_id,
            author_year(record.authors, record.year),
            record.title,
            record.year,
            record.doi,
            period_of(protocol, record.year) if protocol is not None else "",
            _keywords(r.author_keywords for r in clusters[record_id]),
            _keywords(r.index_keywords for r in clusters[record_id]),
        )
    return studies, clusters


def _keywords(lists: Iterable[list[str]]) -> tuple[str, ...]:
    found: dict[str, str] = {}
    for values in lists:
        for value in values:
            key = fold(value)
            if key:
                found.setdefault(key, value.strip())
    return tuple(found.values())


def load_tags(review: Review, ids: list[int], vocabulary: str | None) -> dict[int, list[str]]:
    """study id -> its tags (`vocabulary.group`, or `group` when one vocabulary is asked for).

    Raises when no study of the stage has been tagged: run `slr tag` first."""
    db = review.db
    tagged = store.tagged_ids(db)
    if not tagged.intersection(ids):
        raise SlrError(
            "the records of this stage have no tags yet",
            "run `slr tag` (with the same --stage) first",
        )
    stored = store.all_stored_tags(db)
    corrections = store.override_map(db)
    found: dict[int, list[str]] = {}
    for record_id in ids:
        keys = effective_keys(stored.get(record_id, []), corrections.get(record_id, {}))
        chosen = []
        for key in keys:
            vocab, _, group = key.partition(".")
            if vocabulary is None:
                chosen.append(key)
            elif vocab == vocabulary:
                chosen.append(group)
        found[record_id] = chosen
    return found


def untagged(review: Review, ids: list[int]) -> list[int]:
    """The studies among `ids` that `slr tag` has not tagged (it ran on another stage): a map
    drawn without them must say so."""
    tagged = store.tagged_ids(review.db)
    return [i for i in ids if i not in tagged]


def citation_inputs(clusters: dict[int, list[Record]]) -> tuple[list[Citing], list[Target]]:
    """The studies with a reference list, and every study as a target to match them to (none
    when no study cites anything: nothing to match, so nothing to index)."""
    citing = []
    for record_id, records in clusters.items():
        references: dict[str, None] = {}
        dois: dict[str, None] = {}
        for record in records:
            references.update(dict.fromkeys(record.cited_references))
            dois.update(dict.fromkeys(record.cited_dois))
        if references or dois:
            citing.append(Citing(record_id, list(references), list(dois)))
    if not citing:
        return citing, []
    return citing, [target_of(record_id, records) for record_id, records in clusters.items()]
