"""Attach full texts: one file by hand, or a whole folder matched to the records. The text is
extracted here, once, and stored with the file, so that nothing that shows or searches it later
(the screen, rules, tags) waits for a PDF to be read."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from slr.errors import SlrError
from slr.fulltext.extract import Extraction, UnreadableFullText, extract
from slr.fulltext.match import Candidate, Match, match_file
from slr.fulltext.references import split_references
from slr.normalize.ids import canonical_doi
from slr.screening.status import Statuses, review_statuses
from slr.store import Review
from slr.store import fulltext as store

REPORT_SUFFIXES = (".pdf", ".txt")  # what `fulltext import` reads in a folder


class ExcludedRecord(SlrError):
    """A full text for a record excluded at title/abstract, refused unless forced."""


def read_report(path: Path) -> tuple[bytes, Extraction]:
    """The bytes of a report and its text; UnreadableFullText says why a file cannot be one."""
    if not path.is_file():
        raise SlrError(f"{path} is not a file", "give the path of the PDF (or .txt) report")
    data = path.read_bytes()
    return data, extract(path.name, data)


def stored_text(extraction: Extraction) -> store.FileText:
    return store.FileText(
        extraction.pages,
        extraction.text_layer,
        "; ".join(extraction.warnings),
        split_references(extraction.pages),
    )


def check_not_excluded(statuses: Statuses, record_id: int, what: str) -> None:
    """Refuse a record excluded at title/abstract (the one status resolver decides)."""
    status = statuses.status_of(record_id, "title_abstract")
    if status is not None and status.status == "exclude":
        reason = f" ({status.reason})" if status.reason else ""
        raise ExcludedRecord(
            f"record {record_id} was excluded at title/abstract{reason}: {what} refused",
            "pass --force to do it anyway, or change the title/abstract decision first",
        )


def attach_one(
    review: Review, record_id: int, path: Path, force: bool = False, matched_by: str = "by hand"
) -> tuple[store.Attached, Extraction]:
    """Read PATH and attach it to RECORD_ID (refused for an excluded record unless FORCE)."""
    review.get(record_id)  # an unknown id is an error
    if not force:
        check_not_excluded(review_statuses(review), record_id, "attaching a full text")
    data, extraction = read_report(path)
    attached = store.attach(
        review.path, review.db, record_id, path, data, stored_text(extraction), matched_by
    )
    return attached, extraction


@dataclass(slots=True)
class Planned:
    """One file of a folder: what it matched, and what became of it."""

    path: Path
    match: Match
    extraction: Extraction | None = None
    sha256: str = ""  # of the bytes read: the file is read again to be attached, and must match
    refused: str = ""  # why the file is not attached (unreadable, excluded record), named
    attached: store.Attached | None = None


@dataclass(slots=True)
class ImportPlan:
    files: list[Planned] = field(default_factory=list)
    titles: dict[int, str] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)  # names of files that are no reports

    def matched(self) -> list[Planned]:
        return [f for f in self.files if f.match.record_id is not None and not f.refused]

    def ambiguous(self) -> list[Planned]:
        return [f for f in self.files if f.match.ambiguous and not f.refused]

    def unmatched(self) -> list[Planned]:
        return [
            f
            for f in self.files
            if f.match.record_id is None and not f.match.ambiguous and not f.refused
        ]

    def refused(self) -> list[Planned]:
        return [f for f in self.files if f.refused]


def candidates(review: Review, statuses: Statuses) -> list[Candidate]:
    """Every record not marked duplicate, as matching needs it."""
    found = []
    for stored in review.iter_records():
        if stored.id in statuses.duplicate_of:
            continue
        record = stored.record
        first = record.authors[0] if record.authors else None
        family = (first.family or first.literal) if first else ""
        doi = canonical_doi(record.doi)
        found.append(Candidate(stored.id, record.title or "", family, record.year, doi))
    return found


def plan_import(review: Review, folder: Path, force: bool = False) -> ImportPlan:
    """Read every report in FOLDER and match it to a record; nothing is written."""
    if not folder.is_dir():
        raise SlrError(f"{folder} is not a folder", "give the folder that holds the PDFs")
    statuses = review_statuses(review)
    records = candidates(review, statuses)
    plan = ImportPlan(titles={c.record_id: c.title for c in records})
    for path in sorted(folder.iterdir()):
        if not path.is_file() or path.name.startswith("."):
            continue
        if path.suffix.lower() not in REPORT_SUFFIXES:
            plan.skipped.append(path.name)
            continue
        planned = Planned(path, Match(path.name))
        plan.files.append(planned)
        try:
            data, planned.extraction = read_report(path)
            planned.sha256 = hashlib.sha256(data).hexdigest()  # (the bytes are not kept)
        except UnreadableFullText as error:
            planned.refused = error.message
            continue
        planned.match = match_file(path.name, planned.extraction.pages, records)
        record_id = planned.match.record_id
        if record_id is not None and not force:
            try:
                check_not_excluded(statuses, record_id, "attaching")
            except ExcludedRecord as error:
                planned.refused = f"{path.name}: {error.message} (--force attaches it)"
    return plan


def run_import(review: Review, plan: ImportPlan) -> None:
    """Attach every matched file of PLAN, each in its own short transaction (the text was read
    by `plan_import`: a reviewer's key press waits for one insert, never for a PDF)."""
    for planned in plan.matched():
        assert planned.match.record_id is not None and planned.extraction is not None
        data = planned.path.read_bytes()
        if hashlib.sha256(data).hexdigest() != planned.sha256:
            planned.refused = f"{planned.path.name} changed while the folder was read: not attached"
            continue
        planned.attached = store.attach(
            review.path,
            review.db,
            planned.match.record_id,
            planned.path,
            data,
            stored_text(planned.extraction),
            planned.match.by,
        )
