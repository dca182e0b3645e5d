"""The extraction matrix: one row per study with author-year, title, year, period, source, the
tags of every vocabulary (drivers, method, region ...) and the protocol's extraction fields."""

from __future__ import annotations

from dataclasses import dataclass

from slr.models import Author
from slr.protocol import Protocol
from slr.screening.status import review_statuses
from slr.screening.text import load_texts
from slr.store import Review
from slr.store import tagging as store
from slr.tagging.run import effective_keys, fulltext
from slr.tagging.vocab import Tagger

FIXED_COLUMNS = ("id", "author_year", "title", "year", "period", "source", "doi")


@dataclass(slots=True)
class Matrix:
    columns: list[str]
    rows: list[list[str]]


def author_year(authors: list[Author], year: int | None) -> str:
    """`Rizkita (2026)`, `Rizkita & Sudarmiati (2026)`, `Rizkita et al. (2026)`."""
    names = [a.family or a.literal or a.given for a in authors if a.display]
    when = str(year) if year else "n.d."
    if not names:
        return f"Anonymous ({when})"
    if len(names) == 1:
        return f"{names[0]} ({when})"
    if len(names) == 2:
        return f"{names[0]} & {names[1]} ({when})"
    return f"{names[0]} et al. ({when})"


def period_of(protocol: Protocol, year: int | None) -> str:
    if year is None:
        return ""
    return "; ".join(name for name, (low, high) in protocol.periods.items() if low <= year <= high)


def build_matrix(review: Review, protocol: Protocol, stage: str = "included") -> Matrix:
    """The matrix of a stage's records. Tags are those `slr tag` stored, corrected by reviewers;
    a record no run has tagged yet is tagged on the fly the same way."""
    db = review.db
    ids = review_statuses(review, protocol).studies(stage)
    wanted = set(ids)
    stored = store.all_stored_tags(db)
    corrections = store.override_map(db)
    values = store.extraction_values(db)
    tagged = store.tagged_ids(db)
    tagger = Tagger.of(protocol)
    live = {}
    for text in load_texts(db):
        if text.id in wanted and text.id not in tagged:
            body = fulltext(review, text.id)
            live[text.id] = tagger.tag(text, {"fulltext": body} if body else None)
    vocabularies = list(protocol.vocabularies)
    fields = list(protocol.extraction_fields)
    columns = [*FIXED_COLUMNS, *vocabularies, *fields]
    rows = []
    for record_id in ids:
        stored_record = review.get(record_id)
        record = stored_record.record
        tags = live[record_id] if record_id in live else stored.get(record_id, [])
        keys = effective_keys(tags, corrections.get(record_id, {}))
        by_vocabulary: dict[str, list[str]] = {}
        for key in keys:
            vocabulary, _, group = key.partition(".")
            by_vocabulary.setdefault(vocabulary, []).append(group)
        row = [
            str(record_id),
            author_year(record.authors, record.year),
            record.title,
            str(record.year) if record.year else "",
            period_of(protocol, record.year),
            record.source_title,
            record.doi,
        ]
        for vocabulary in vocabularies:
            found = set(by_vocabulary.get(vocabulary, []))
            # in the protocol's order of groups, not alphabetical
            row.append("; ".join(g for g in protocol.vocabularies[vocabulary] if g in found))
        own = values.get(record_id, {})
        row.extend(own.get(name, "") for name in fields)
        rows.append(row)
    return Matrix(columns, rows)
