"""Plain data about a review for the CLI to print (status, one record)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from slr.screening.status import review_statuses, stage_counts
from slr.store import Review, StoredRecord
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
    return {
        "review": {
            "title": meta.get("title", ""),
            "path": str(review.path),
            "protocol": meta.get("protocol", ""),
        },
        "sources": sources,
        "stages": {
            "identified": identified,
            "marked duplicate": duplicates,
            "unique": identified - duplicates,
            **stage_counts(review_statuses(review)),
        },
    }


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
        "document_type": record.document_type,
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
