"""Embase.com CSV export: one record is a block of rows, each row a field name and its values
("TITLE","A title" / "AUTHOR NAMES","Smith J.","Doe A."), blocks apart by an empty row, each
starting with its TITLE row. (A table with one record per row is not Embase's layout.)"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Mapping

from slr.importers.common import finish_record, join_pages
from slr.importers.registry import Format, register
from slr.models import Failure, ParseResult, Record
from slr.normalize import parse_name, parse_year

FORMAT = "embase-csv"

# Embase's field names -> record fields (several Emtree rows all feed the index terms).
_FIELDS = {
    "TITLE": "title",
    "AUTHOR NAMES": "authors",
    "SOURCE TITLE": "source_title",
    "PUBLICATION YEAR": "year",
    "DATE OF PUBLICATION": "date",
    "VOLUME": "volume",
    "ISSUE": "issue",
    "FIRST PAGE": "page_start",
    "LAST PAGE": "page_end",
    "ABSTRACT": "abstract",
    "AUTHOR KEYWORDS": "keywords",
    "EMTREE DRUG INDEX TERMS": "index_terms",
    "EMTREE MEDICAL INDEX TERMS": "index_terms",
    "EMTREE DRUG INDEX TERMS (MAJOR FOCUS)": "index_terms",
    "EMTREE MEDICAL INDEX TERMS (MAJOR FOCUS)": "index_terms",
    "DOI": "doi",
    "EMBASE ACCESSION NUMBER": "embase",
    "PUI": "pui",
    "MEDLINE PMID": "pmid",
    "LANGUAGE OF ARTICLE": "language",
    "PUBLICATION TYPE": "document_type",
    "ISSN": "issn",
    "EMBASE LINK": "url",
    "BOOK PUBLISHER": "publisher",
}


def _blocks(text: str) -> Iterator[tuple[int, list[list[str]]]]:
    """Each record's rows with the line its TITLE row is on."""
    reader = csv.reader(io.StringIO(text))
    rows: list[list[str]] = []
    start = 0
    for row in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        if row[0].strip().upper() == "TITLE" and rows:
            yield start, rows
            rows = []
        if not rows:
            start = line
        rows.append(row)
    if rows:
        yield start, rows


def _record(rows: list[list[str]], line: int) -> Record:
    raw: dict[str, object] = {}
    by_field: dict[str, list[str]] = {}
    for row in rows:
        name = row[0].strip()
        values = [cell.strip() for cell in row[1:] if cell.strip()]
        raw[name] = values[0] if len(values) == 1 else values
        target = _FIELDS.get(name.upper())
        if target:
            by_field.setdefault(target, []).extend(values)

    def first(name: str) -> str:
        return next(iter(by_field.get(name, [])), "")

    record = Record(raw=raw, line=line)
    record.title = first("title")
    record.authors = [a for a in map(parse_name, by_field.get("authors", [])) if a.family]
    record.year = parse_year(first("year")) or parse_year(first("date"))
    record.source_title = first("source_title")
    record.volume, record.issue = first("volume"), first("issue")
    record.pages = join_pages(first("page_start"), first("page_end"))
    record.abstract = first("abstract")
    record.author_keywords = by_field.get("keywords", [])
    record.index_keywords = by_field.get("index_terms", [])
    record.doi = first("doi")
    record.pmid = first("pmid")
    record.language = first("language")
    record.document_type = first("document_type")
    record.issn = by_field.get("issn", [])
    record.url = first("url")
    record.publisher = first("publisher")
    for key in ("embase", "pui"):
        if first(key):
            record.ids[key] = first(key)
    return finish_record(record)


def parse(text: str, column_map: Mapping[str, str] | None = None) -> ParseResult:
    """Every record block of an Embase CSV export; a block without a title row is a failure."""
    del column_map
    result = ParseResult(FORMAT, flavour="embase")
    try:
        for line, rows in _blocks(text):
            excerpt = ",".join(rows[0])[:60]
            if rows[0][0].strip().upper() != "TITLE":
                result.failures.append(Failure(line, "Embase rows before a TITLE row", excerpt))
                continue
            record = _record(rows, line)
            if record.title or record.doi or record.authors:
                result.records.append(record)
            else:
                result.failures.append(
                    Failure(line, "record has no title, DOI or authors", excerpt)
                )
    except csv.Error as error:
        result.failures.append(Failure(1, f"the CSV cannot be read past an error: {error}"))
    return result


def sniff(head: str, file_name: str) -> int:
    """Embase: the file opens with a TITLE row and names Embase's own fields."""
    del file_name
    first = head.lstrip("\ufeff\n ").split("\n", 1)[0]
    if first.startswith(("TITLE,", '"TITLE",')) and "EMBASE" in head.upper():
        return 95
    return 0


register(Format(FORMAT, "Embase.com CSV export (a block of field rows per record)", sniff, parse))
