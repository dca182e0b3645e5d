"""RIS (rispy), BibTeX (bibtexparser) and CSV writers over stored records."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable, Mapping

import bibtexparser
import rispy
from bibtexparser.model import Block, Entry, Field

from slr.cells import safe_csv_writer
from slr.models import Author
from slr.normalize import fold
from slr.normalize.metadata import canonical_type
from slr.store import StoredRecord

_RIS_TYPES = {
    "article": "JOUR",
    "journal": "JOUR",
    "review": "JOUR",
    "conference": "CPAPER",
    "proceedings": "CPAPER",
    "chapter": "CHAP",
    "book": "BOOK",
    "report": "RPRT",
    "thesis": "THES",
    "dissertation": "THES",
    "web": "ELEC",
    "preprint": "JOUR",
}
_BIBTEX_TYPES = {
    "JOUR": "article",
    "CPAPER": "inproceedings",
    "CHAP": "incollection",
    "BOOK": "book",
    "RPRT": "techreport",
    "THES": "phdthesis",
    "ELEC": "misc",
    "GEN": "misc",
}


def _ris_type(document_type: str) -> str:
    folded = canonical_type(document_type)  # "JOUR", "Journal Article", "Article": "article"
    for word, tag in _RIS_TYPES.items():
        if word in folded:
            return tag
    return "JOUR" if not folded else "GEN"


def _pages(pages: str) -> tuple[str, str]:
    start, _, end = pages.partition("-")
    return start, end


def _ris_entry(stored: StoredRecord) -> dict[str, object]:
    record = stored.record
    start, end = _pages(record.pages)
    entry: dict[str, object] = {
        "type_of_reference": _ris_type(record.document_type),
        "id": str(stored.id),
        "title": record.title,
        "authors": [a.display for a in record.authors],
        "year": str(record.year or ""),
        "secondary_title": record.source_title,
        "volume": record.volume,
        "number": record.issue,
        "start_page": start,
        "end_page": end,
        "doi": record.doi,
        "issn": "; ".join([*record.issn, *record.isbn]),
        "abstract": record.abstract,
        "keywords": [*record.author_keywords, *record.index_keywords],
        "language": record.language,
        "type_of_work": record.document_type,
        "urls": [record.url] if record.url else [],
        "publisher": record.publisher,
        "name_of_database": stored.database,
    }
    return {key: value for key, value in entry.items() if value}


class _RisWriter(rispy.RisWriter):
    """rispy's writer without its numbered "1." line before each record: reference managers
    expect each record to start with its TY line."""

    def set_header(self, count: int) -> str:
        return ""


def write_ris(records: Iterable[StoredRecord]) -> str:
    return rispy.dumps(
        [_ris_entry(stored) for stored in records],
        implementation=_RisWriter,
        skip_unknown_tags=True,
    )


_DOUBLE_HYPHEN = re.compile(r"-(?=-)")
_BIBTEX_SPECIAL = re.compile(r"[\\{}&%$#_]")


def _bibtex_escape(value: str) -> str:
    value = _BIBTEX_SPECIAL.sub(
        lambda m: r"\textbackslash{}" if m.group(0) == "\\" else "\\" + m.group(0), value
    )
    # LaTeX reads "--" as a dash; "-{}-" stays two hyphens
    return _DOUBLE_HYPHEN.sub("-{}", value) if "--" in value else value


def _bibtex_author(author: Author) -> str:
    if author.literal:
        return "{" + _bibtex_escape(author.literal) + "}"
    name = _bibtex_escape(author.family)
    return f"{name}, {_bibtex_escape(author.given)}" if author.given else name


def _bibtex_key(stored: StoredRecord, used: set[str]) -> str:
    record = stored.record
    family = record.authors[0].family or record.authors[0].literal if record.authors else "anon"
    stem = (fold(family).replace(" ", "") or "anon") + str(record.year or "")
    key, suffix = stem, 0
    while key in used:
        suffix += 1
        key = f"{stem}{chr(ord('a') + (suffix - 1) % 26)}{(suffix - 1) // 26 or ''}"
    used.add(key)
    return key


def write_bibtex(records: Iterable[StoredRecord]) -> str:
    used: set[str] = set()
    entries: list[Block] = []
    for stored in records:
        record = stored.record
        entry_type = _BIBTEX_TYPES[_ris_type(record.document_type)]
        source_field = {
            "article": "journal",
            "inproceedings": "booktitle",
            "incollection": "booktitle",
        }.get(entry_type, "howpublished")
        values = {
            "author": " and ".join(_bibtex_author(a) for a in record.authors),
            "title": _bibtex_escape(record.title),
            "year": str(record.year or ""),
            source_field: _bibtex_escape(record.source_title),
            "volume": _bibtex_escape(record.volume),
            "number": _bibtex_escape(record.issue),
            "pages": record.pages.replace("-", "--"),
            "doi": _bibtex_escape(record.doi),
            "issn": ", ".join(record.issn),
            "isbn": ", ".join(record.isbn),
            "abstract": _bibtex_escape(record.abstract),
            "keywords": _bibtex_escape("; ".join(record.author_keywords)),
            "language": _bibtex_escape(record.language),
            "url": _bibtex_escape(record.url),
            "publisher": _bibtex_escape(record.publisher),
            "note": f"slr record {stored.id}",
        }
        # the writer encloses each value in braces itself
        fields = [Field(name, value) for name, value in values.items() if value]
        entries.append(Entry(entry_type, _bibtex_key(stored, used), fields))
    return bibtexparser.write_string(bibtexparser.Library(entries))


CSV_COLUMNS = (
    "id",
    "title",
    "authors",
    "year",
    "source_title",
    "volume",
    "issue",
    "pages",
    "doi",
    "pmid",
    "issn",
    "isbn",
    "abstract",
    "author_keywords",
    "index_keywords",
    "language",
    "document_type",
    "url",
    "publisher",
    "source_file",
    "database",
    "duplicate_of",
)


def write_csv(records: Iterable[StoredRecord], safe: bool = False) -> str:
    """One row per record; with `safe`, cells a spreadsheet would run as formulas are
    neutralised (what `slr export` writes; without it the text is kept exactly, for the
    import round-trip tests)."""
    buffer = io.StringIO()
    writer = safe_csv_writer(buffer) if safe else csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for stored in records:
        record = stored.record
        writer.writerow(
            (
                stored.id,
                record.title,
                "; ".join(a.display for a in record.authors),
                record.year or "",
                record.source_title,
                record.volume,
                record.issue,
                record.pages,
                record.doi,
                record.pmid,
                "; ".join(record.issn),
                "; ".join(record.isbn),
                record.abstract,
                "; ".join(record.author_keywords),
                "; ".join(record.index_keywords),
                record.language,
                record.document_type,
                record.url,
                record.publisher,
                stored.source_file,
                stored.database,
                stored.duplicate_of or "",
            )
        )
    return buffer.getvalue()


ASREVIEW_COLUMNS = (
    "record_id",
    "title",
    "abstract",
    "authors",
    "keywords",
    "year",
    "doi",
    "url",
    "label_included",
)


def write_asreview(records: Iterable[StoredRecord], labels: Mapping[int, int] | None = None) -> str:
    """ASReview LAB's CSV: `label_included` is 1 (included), 0 (excluded) or empty (no final
    decision yet), from `labels` (record id -> 0 or 1)."""
    labels = labels or {}
    buffer = io.StringIO()
    writer = safe_csv_writer(buffer)
    writer.writerow(ASREVIEW_COLUMNS)
    for stored in records:
        record = stored.record
        label = labels.get(stored.id)
        writer.writerow(
            (
                stored.id,
                record.title,
                record.abstract,
                "; ".join(a.display for a in record.authors),
                "; ".join([*record.author_keywords, *record.index_keywords]),
                record.year or "",
                record.doi,
                record.url,
                "" if label is None else label,
            )
        )
    return buffer.getvalue()


# the writers whose output `slr import` reads back field for field
EXPORT_FORMATS: dict[str, Callable[[Iterable[StoredRecord]], str]] = {
    "ris": write_ris,
    "bibtex": write_bibtex,
    "csv": write_csv,
}
# what `slr export` writes
EXPORT_CHOICES = (*EXPORT_FORMATS, "asreview")


def write_records(
    records: Iterable[StoredRecord],
    format_name: str,
    labels: Mapping[int, int] | None = None,
    safe: bool = False,
) -> str:
    """`labels` are ASReview's label_included; `safe` neutralises formula cells in CSV (the
    ASReview CSV is always neutralised)."""
    if format_name == "asreview":
        return write_asreview(records, labels)
    if format_name == "csv":
        return write_csv(records, safe)
    return EXPORT_FORMATS[format_name](records)
