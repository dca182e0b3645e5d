"""Plain data about a review for the CLI to print (status, one record)."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from slr.models import STAGES
from slr.normalize.metadata import canonical_type
from slr.prisma.render import generated_stamp, outputs_stamp
from slr.screening.status import review_statuses, stage_counts
from slr.store import Review, StoredRecord
from slr.store import history as stored_history
from slr.store.review import duplicate_count


def review_status(review: Review) -> dict[str, Any]:
    meta = review.meta()
    sources = [
        {
            "id": row["id"],
            "file": row["file_name"],
            "format": row["format"],
            "flavour": row["flavour"],
            "database": row["database"],
            "method": row["method"],
            "search_string": row["search_string"],
            "searched_on": row["searched_on"],
            "imported_at": row["imported_at"],
            "sha256": row["sha256"],
            "records": row["records"],
            "failures": row["failures"],
        }
        for row in review.sources()
    ]
    identified = review.record_count()
    duplicates = duplicate_count(review.db)
    statuses = review_statuses(review)
    written, now = outputs_stamp(review), generated_stamp(review)
    return {
        "review": {
            "title": meta.get("title", ""),
            "path": review.shown,
            "protocol": meta.get("protocol", ""),
        },
        # the state the outputs of the last `slr run` show, and whether the review changed since
        "outputs": {"as_of": written, "current": written == now} if written else None,
        "sources": sources,
        "stages": {
            "identified": identified,
            "marked duplicate": duplicates,
            "unique": identified - duplicates,
            **stage_counts(statuses),
        },
        # per stage, the records a person still has to decide (flagged by a rule, undecided,
        # awaiting more reviewers, maybe or in conflict)
        "waiting_for_a_reviewer": {
            stage: sum(1 for s in statuses.stage(stage).values() if s.status in _WAITING)
            for stage in STAGES
        },
    }


_WAITING = ("awaiting", "maybe", "conflict")


def record_details(stored: StoredRecord, include_raw: bool = False) -> dict[str, Any]:
    record = stored.record
    details: dict[str, Any] = {
        "id": stored.id,
        "title": record.title,
        "authors": [a.display for a in record.authors],
        "year": record.year,
        "source_title": record.source_title,
        "volume": record.volume,
        "issue": record.issue,
        "pages": record.pages,
        "doi": record.doi,
        "pmid": record.pmid,
        "issn": record.issn,
        "isbn": record.isbn,
        "document_type": _document_type(record.document_type),
        "language": record.language,
        "publisher": record.publisher,
        "url": record.url,
        "ids": record.ids,
        "abstract": record.abstract,
        "copyright": record.copyright,
        "author_keywords": record.author_keywords,
        "index_keywords": record.index_keywords,
        "cited_references": len(record.cited_references),
        "cited_dois": len(record.cited_dois),
        "source": f"{stored.source_file} (source {stored.source_id}, entry {stored.source_index}"
        + (f", line {record.line})" if record.line else ")"),
        "database": stored.database,
        "duplicate_of": stored.duplicate_of,
    }
    if include_raw:
        details["authors_split"] = [asdict(a) for a in record.authors]
        details["cited_references_list"] = record.cited_references
        details["raw"] = record.raw
    return details


def _document_type(exported: str) -> str:
    """The document type in the vocabulary of `type:` predicates, with the export's own word
    when it differs ("article (JOUR in the export)")."""
    canonical = canonical_type(exported)
    if not exported or canonical == exported.strip().casefold():
        return canonical
    return f"{canonical} ({exported} in the export)"


def _evidence(text: str) -> list[str]:
    return [f"{span['field']}: {span['text']}" for span in json.loads(text or "[]")]


def record_history(review: Review, record_id: int) -> dict[str, Any]:
    """Everything decided about a record: rules' and reviewers' decisions with their notes and
    matched words, resolutions, tags with their evidence, its full text, and the duplicates
    merged into it."""
    db = review.db
    return {
        "decisions": [
            {
                "stage": row["stage"],
                "by": row["reviewer"],
                "decision": row["decision"],
                "reason": row["reason"],
                "note": row["note"],
                "matched": _evidence(row["evidence"]),
                "at": row["decided_at"],
            }
            for row in stored_history.record_decisions(db, record_id)
        ],
        "notes": [dict(row) for row in stored_history.record_notes(db, record_id)],
        "resolutions": [dict(row) for row in stored_history.record_resolutions(db, record_id)],
        "tags": [
            {
                "tag": f"{row['vocabulary']}:{row['grp']}",
                "evidence": _evidence(row["evidence"]) or [f"{row['field']}: {row['text']}"],
            }
            for row in stored_history.record_tags(db, record_id)
        ],
        "full_text": _full_text(*stored_history.record_fulltexts(db, record_id)),
        "duplicates_merged": [
            {"id": row["id"], "title": row["title"], "file": row["file_name"]}
            for row in stored_history.merged_duplicates(db, record_id)
        ],
    }


def _full_text(attached: list[Any], missing: str) -> dict[str, Any]:
    return {
        "files": [
            {"path": row["path"], "file": row["original_name"], "at": row["at"]} for row in attached
        ],
        "not_retrieved": missing,
    }
