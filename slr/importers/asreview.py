"""ASReview LAB's labelled files: the labels a review started in ASReview gave its records.

A labelled CSV, TSV or Excel file holds them in a column (`label_included`, `included` and the
other names ASReview reads); a labelled RIS file in its notes (`N1  - ASReview_relevant`).
1 is relevant (include), 0 irrelevant (exclude); anything else, or nothing, is not labelled.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from slr.models import Record

# The label columns ASReview reads, best first, as `fold_column` writes them.
ASREVIEW_LABEL_COLUMNS = (
    "label included",
    "included",
    "final included",
    "label",
    "included label",
    "included final",
    "included flag",
    "include",
)
_INCLUDE = frozenset(("1", "1.0", "true", "yes"))
_EXCLUDE = frozenset(("0", "0.0", "false", "no"))
_RIS_NOTES = {"asreview_relevant": "include", "asreview_irrelevant": "exclude"}
_NOT_ALNUM = re.compile(r"[^a-z0-9]+")


def fold_column(name: str) -> str:
    """'label_included' / 'Label Included' -> 'label included'."""
    return " ".join(_NOT_ALNUM.sub(" ", name.lower()).split())


def _label_of(value: object) -> str | None:
    text = str(value).strip().lower()
    return "include" if text in _INCLUDE else "exclude" if text in _EXCLUDE else None


def _note_label(notes: object) -> str | None:
    for note in notes if isinstance(notes, list) else [notes]:
        label = _RIS_NOTES.get(str(note).strip().lower())
        if label:
            return label
    return None


def asreview_labels(records: Sequence[Record], tabular: bool) -> list[str | None]:
    """Each record's label as a decision ("include", "exclude") or None; all None when the
    file carries no ASReview labels. `tabular`: a CSV, TSV or Excel file (else RIS notes)."""
    if not tabular:
        return [_note_label(record.raw.get("N1", "")) for record in records]
    folded: dict[str, str] = {}  # raw key -> its folded name, each key folded once
    labels: list[str | None] = []
    for record in records:
        label = None
        for key, value in record.raw.items():
            name = folded.get(key)
            if name is None:
                name = folded[key] = fold_column(key)
            if name in ASREVIEW_LABEL_COLUMNS:
                label = _label_of(value)
                break
        labels.append(label)
    return labels
