"""Which records an export holds: every record, the unique ones, or a screening stage's."""

from __future__ import annotations

from collections.abc import Iterator

from slr.screening import final
from slr.store import Review, StoredRecord
from slr.store.tagging import stage_ids

EXPORT_STAGES = ("all", "unique", "screened", "included")
STAGES_HELP = (
    "all: every record, duplicates too (with duplicate_of); unique: every record not marked "
    "duplicate; screened: included or flagged at title/abstract; included: included at "
    "title/abstract and not excluded at full text (as `slr tag` and `slr extract`)."
)


def stage_records(review: Review, stage: str = "all") -> Iterator[StoredRecord]:
    if stage == "all":
        yield from review.iter_records()
        return
    if stage == "unique":
        ids = [
            row[0]
            for row in review.db.execute(
                "SELECT id FROM records WHERE duplicate_of IS NULL ORDER BY id"
            )
        ]
    else:
        ids = stage_ids(review.db, stage)
    for record_id in ids:
        yield review.get(record_id)


def asreview_labels(review: Review) -> dict[int, int]:
    """ASReview's label_included from the final title/abstract decisions: 1 include, 0 exclude."""
    return {
        rid: 1 if status.status == "include" else 0
        for rid, status in final.stage_statuses(review.db, "title_abstract").items()
        if status.status in final.FINAL
    }
