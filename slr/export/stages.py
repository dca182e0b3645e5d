"""Which records an export holds: every record, the unique ones, or a screening stage's."""

from __future__ import annotations

from collections.abc import Iterator

from slr.screening.status import RECORD_SETS, RECORD_SETS_HELP, review_statuses
from slr.store import Review, StoredRecord

EXPORT_STAGES = RECORD_SETS
STAGES_HELP = RECORD_SETS_HELP


def stage_records(review: Review, stage: str = "all") -> Iterator[StoredRecord]:
    if stage == "all":
        yield from review.iter_records()
        return
    for record_id in review_statuses(review).ids(stage):
        yield review.get(record_id)


def asreview_labels(review: Review) -> dict[int, int]:
    """ASReview's label_included from the final title/abstract decisions: 1 include, 0 exclude."""
    return {
        rid: 1 if status.status == "include" else 0
        for rid, status in review_statuses(review).title_abstract.items()
        if status.status in ("include", "exclude")
    }
