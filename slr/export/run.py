"""Export a stage of a review in one format: the text and how many records it holds."""

from __future__ import annotations

from slr.export.stages import asreview_labels, stage_records
from slr.export.writers import write_records
from slr.store import Review


def export_stage(review: Review, stage: str, format_name: str) -> tuple[str, int]:
    """The text of the export (CSV cells neutralised against formula injection) and its size."""
    records = list(stage_records(review, stage))
    labels = asreview_labels(review) if format_name == "asreview" else None
    return write_records(records, format_name, labels, safe=True), len(records)
