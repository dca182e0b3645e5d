"""Tagged text of reference managers and Ovid: EndNote tagged (.enw, Refer `%T`), RefWorks
tagged (`RT`/`A1`) and Ovid's own text export (`<1>` and field names, or MEDLARS-style tags).

Each is one field a line behind its tag, values wrapped onto lines without a tag, and records
apart: EndNote and RefWorks records are separated by blank lines (a new `%0` or `RT` line also
starts one), Ovid records start with their number in angle brackets. A table per format names
the field each tag feeds; every tag is kept in `raw`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass

from slr.importers.common import database_flavour, finish_record, iter_lines, join_pages
from slr.importers.registry import Format, register
from slr.models import Failure, ParseResult, Record
from slr.normalize import canonical_issn, find_dois, parse_name, parse_year, split_values

Fields = dict[str, list[str]]  # tag -> its values in file order


@dataclass(frozen=True, slots=True)
class _Layout:
    """One tagged text format: how a line carries a tag, and which tag feeds which field."""

    name: str
    flavour: str
    match_tag: Callable[[str], re.Match[str] | None]  # group 1: the tag, group 2: the value
    starts_record: Callable[[str], bool]  # a line that starts a new record
    fields: Mapping[str, str]  # tag -> record field
    blank_ends_record: bool = True  # (Ovid puts blank lines between a record's fields)
    database_tags: tuple[str, ...] = ()  # tags naming the database a record came from
    wrapped_lists: frozenset[str] = frozenset()  # tags whose wrapped lines are separate values


def _blocks(text: str, layout: _Layout) -> Iterator[tuple[int, list[tuple[str, str]]]]:
    """Each record's (tag, value) lines with its first line number; wrapped lines joined."""
    start, lines = 0, list[tuple[str, str]]()
    for number, line in enumerate(iter_lines(text), start=1):
        if not line.strip():
            if lines and layout.blank_ends_record:
                yield start, lines
                start, lines = 0, []
            continue
        if layout.starts_record(line) and lines:
            yield start, lines
            start, lines = 0, []
        match = layout.match_tag(line)
        if match:
            lines.append((match.group(1), (match.group(2) or "").strip()))
            start = start or number
        elif lines:  # a wrapped value
            tag, value = lines[-1]
            joiner = "\n" if tag in layout.wrapped_lists else " "
            lines[-1] = (tag, f"{value}{joiner}{line.strip()}" if value else line.strip())
        elif layout.starts_record(line):
            start = number
    if lines:
        yield start, lines


def _values(lines: list[tuple[str, str]], layout: _Layout) -> Fields:
    fields: Fields = {}
    for tag, value in lines:
        pieces = value.split("\n") if tag in layout.wrapped_lists else [value]
        fields.setdefault(tag, []).extend(piece.strip() for piece in pieces if piece.strip())
    return fields


def _record(fields: Fields, line: int, layout: _Layout) -> Record:
    record = Record(raw={t: v[0] if len(v) == 1 else v for t, v in fields.items()}, line=line)
    by_field: dict[str, list[str]] = {}
    for tag, values in fields.items():
        target = layout.fields.get(tag)
        if target:
            by_field.setdefault(target, []).extend(values)

    def first(name: str) -> str:
        return next(iter(by_field.get(name, [])), "")

    record.title = first("title") or first("short_title")
    names = by_field.get("full_authors") or by_field.get("authors", [])
    record.authors = [a for a in (parse_name(n) for n in names) if a.family or a.literal]
    record.year = parse_year(first("year")) or parse_year(first("date"))
    record.source_title = first("source_title") or first("source_fallback")
    record.volume, record.issue = first("volume"), first("issue")
    record.pages = first("pages") or join_pages(first("page_start"), first("page_end"))
    record.doi = next((d for v in by_field.get("doi", []) for d in find_dois(v)), "")
    record.abstract = first("abstract")
    record.author_keywords = [k for v in by_field.get("keywords", []) for k in _terms(v)]
    record.index_keywords = [k for v in by_field.get("index_terms", []) for k in _terms(v)]
    record.language = first("language")
    record.document_type = first("document_type")
    record.url = first("url")
    record.publisher = first("publisher")
    for value in by_field.get("issn", []):
        issns = canonical_issn(value)
        if issns:
            record.issn.extend(issns)
        elif sum(ch.isdigit() for ch in value) >= 10:
            record.isbn.append(value)
    record.pmid = first("pmid")
    accession = first("accession")
    if accession:
        record.ids[layout.flavour] = accession
    if first("source") and not record.source_title:
        _ovid_source(first("source"), record)
    return finish_record(record)


def _terms(value: str) -> list[str]:
    """Keywords: one a value (wrapped lists are split before), or packed with ';'."""
    return split_values(value, ";") if ";" in value else [value]


# Ovid's Source: "Journal of Things. 12(3):45-60, 2019 Mar." (MEDLINE) or "Journal of Things.
# 12(3) (pp 45-60), 2019." (Embase)
_OVID_SOURCE = re.compile(r"^(.*?)\.\s+(\w+)(?:\((\w+)\))?(?::\s*|\s*\(pp\s*)([\w-]+)")


def _ovid_source(source: str, record: Record) -> None:
    match = _OVID_SOURCE.match(source)
    if match is None:
        record.source_title = source
        return
    record.source_title = match.group(1)
    record.volume = record.volume or match.group(2)
    record.issue = record.issue or (match.group(3) or "")
    record.pages = record.pages or match.group(4)
    record.year = record.year or parse_year(source[match.end() :])


def _parse(text: str, layout: _Layout) -> ParseResult:
    result = ParseResult(layout.name, flavour=layout.flavour)
    databases: list[str] = []
    for line, lines in _blocks(text, layout):
        fields = _values(lines, layout)
        try:
            record = _record(fields, line, layout)
        except Exception as error:  # a bug must cost one record, never the file
            reason = f"record could not be read ({type(error).__name__}: {error})"
            result.failures.append(Failure(line, reason[:200], _excerpt(lines)))
            continue
        if not (record.title or record.doi or record.authors):
            reason = "record has no title, DOI or authors"
            result.failures.append(Failure(line, reason, _excerpt(lines)))
            continue
        result.records.append(record)
        databases += [v for tag in layout.database_tags for v in fields.get(tag, [])]
    result.flavour = database_flavour(databases) or layout.flavour
    return result


def _excerpt(lines: list[tuple[str, str]]) -> str:
    return next((f"{tag} {value}"[:60] for tag, value in lines if value), "")


# ------------------------------------------------------------------------ EndNote tagged

ENDNOTE = _Layout(
    name="endnote-tagged",
    flavour="endnote",
    match_tag=re.compile(r"^(%[0-9A-Z@!#$&()*+^~\]>|?])(?: (.*))?$").match,
    starts_record=lambda line: line.startswith("%0 "),
    fields={
        "%T": "title",
        "%!": "short_title",
        "%A": "authors",
        "%D": "year",
        "%8": "date",
        "%J": "source_title",
        "%B": "source_fallback",
        "%V": "volume",
        "%N": "issue",
        "%P": "pages",
        "%R": "doi",
        "%X": "abstract",
        "%K": "keywords",
        "%G": "language",
        "%0": "document_type",
        "%U": "url",
        "%I": "publisher",
        "%@": "issn",
        "%M": "accession",
    },
    database_tags=("%~", "%W"),
    wrapped_lists=frozenset(("%K",)),
)


def _sniff_endnote(head: str, file_name: str) -> int:
    del file_name
    start = head.lstrip()
    if start.startswith("%0 ") and re.search(r"^%[TA] \S", head, re.MULTILINE):
        return 90
    return 0


# ----------------------------------------------------------------------- RefWorks tagged

REFWORKS = _Layout(
    name="refworks-tagged",
    flavour="refworks",
    match_tag=re.compile(r"^([A-Z][A-Z0-9]) (.*)$").match,
    starts_record=lambda line: line.startswith("RT "),
    fields={
        "T1": "title",
        "T2": "source_fallback",
        "ST": "short_title",
        "A1": "authors",
        "YR": "year",
        "FD": "date",
        "JF": "source_title",
        "JO": "source_fallback",
        "VO": "volume",
        "IS": "issue",
        "SP": "page_start",
        "OP": "page_end",
        "DO": "doi",
        "AB": "abstract",
        "K1": "keywords",
        "LA": "language",
        "RT": "document_type",
        "UL": "url",
        "LK": "url",
        "PB": "publisher",
        "SN": "issn",
        "AN": "accession",
    },
    database_tags=("DB", "DS"),
)


def _sniff_refworks(head: str, file_name: str) -> int:
    del file_name
    if head.lstrip().startswith("RT ") and re.search(r"^(?:A1|T1) \S", head, re.MULTILINE):
        return 90
    return 0


# ------------------------------------------------------------------------------ Ovid text

# Ovid's field names, and the two-letter tags of its MEDLARS-style variant, -> record fields.
_OVID_FIELDS = {
    "Title": "title", "TI": "title",
    "Authors": "authors", "Author": "authors", "AU": "authors",
    "Authors Full Name": "full_authors", "FA": "full_authors",
    "Source": "source", "SO": "source",
    "Journal Name": "source_title", "JN": "source_title",
    "Volume": "volume", "VO": "volume", "Issue": "issue", "IP": "issue",
    "Page": "pages", "PG": "pages",
    "Year of Publication": "year", "Publication Year": "year", "YR": "year",
    "Abstract": "abstract", "AB": "abstract",
    "Digital Object Identifier": "doi", "DOI": "doi", "DO": "doi",
    "Keyword Heading": "keywords", "Keywords": "keywords", "KW": "keywords",
    "MeSH Subject Headings": "index_terms", "Emtree Heading": "index_terms",
    "Subject Headings": "index_terms", "MH": "index_terms",
    "ISSN": "issn", "International Standard Serial Number": "issn", "IS": "issn",
    "Language": "language", "LG": "language",
    "Publication Type": "document_type", "PT": "document_type",
    "URL": "url", "UR": "url", "Publisher": "publisher", "PB": "publisher",
    "Unique Identifier": "accession", "UI": "accession", "Accession Number": "accession",
    "AN": "accession", "PubMed Identifier": "pmid",
}  # fmt: skip
_OVID_RECORD = re.compile(r"^<\d+>\s*$")


_OVID_LABEL = re.compile(r"^([A-Z][A-Za-z0-9 ()/'-]{1,60}?)()\s*$")
_OVID_TAG = re.compile(r"^([A-Z][A-Z0-9])  - (.*)$")


def _ovid_tag(line: str) -> re.Match[str] | None:
    """A field name alone on its line (its values indented below), or a 'TI  - ' tag line."""
    return _OVID_TAG.match(line) or _OVID_LABEL.match(line)


OVID = _Layout(
    name="ovid-tagged",
    flavour="ovid",
    match_tag=_ovid_tag,
    starts_record=lambda line: bool(_OVID_RECORD.match(line)),
    blank_ends_record=False,
    fields=_OVID_FIELDS,
    database_tags=("Database", "DB"),
    wrapped_lists=frozenset(
        (
            "Authors",
            "Author",
            "AU",
            "Authors Full Name",
            "FA",
            "Keyword Heading",
            "Keywords",
            "KW",
            "MeSH Subject Headings",
            "Emtree Heading",
            "Subject Headings",
            "MH",
            "ISSN",
            "IS",
        )
    ),
)


def _sniff_ovid(head: str, file_name: str) -> int:
    del file_name
    if not _OVID_RECORD.match(head.lstrip().split("\n", 1)[0]):
        return 0
    if re.search(r"^(?:Title|Unique Identifier|Authors|TI  - |UI  - )", head, re.MULTILINE):
        return 90
    return 0


def _parser(layout: _Layout) -> Callable[[str, Mapping[str, str] | None], ParseResult]:
    def parse(text: str, column_map: Mapping[str, str] | None = None) -> ParseResult:
        del column_map
        return _parse(text, layout)

    parse.__doc__ = f"Every record of a {layout.name} file; malformed ones become failures."
    return parse


register(
    Format(
        "endnote-tagged",
        "EndNote tagged / Refer export (.enw, %T %A lines)",
        _sniff_endnote,
        _parser(ENDNOTE),
        ("enw", "txt"),
    )
)
register(
    Format(
        "refworks-tagged",
        "RefWorks tagged export (RT, A1, T1 lines)",
        _sniff_refworks,
        _parser(REFWORKS),
        ("txt",),
    )
)
register(
    Format(
        "ovid-tagged",
        "Ovid text export (<1> records; field names or MEDLARS tags)",
        _sniff_ovid,
        _parser(OVID),
        ("txt", "ovd", "cgi"),
    )
)

__all__ = ["ENDNOTE", "OVID", "REFWORKS"]
