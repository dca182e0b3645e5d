"""EndNote XML library exports (`<xml><records><record>...`).

Each `<record>` is parsed on its own with ElementTree, so one malformed record (or a file cut
off in the middle) costs only that record: the others are imported and the bad one becomes a
Failure with its line and column. EndNote wraps every value in `<style>` elements and packs
several values into one element with carriage returns (`&#xD;`), which are split here.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from typing import Any

from slr.importers.common import add_raw, finish_record
from slr.importers.registry import Format, register
from slr.models import Failure, ParseResult, Record
from slr.normalize import canonical_issn, parse_name, parse_year

FORMAT = "endnote-xml"

_RECORD_START = re.compile(r"<record[\s>]")
_RECORD_END = "</record>"
_PMCID = re.compile(r"^PMC\d+$")
_MULTI = re.compile(r"[\r\n]+")

# Element path (below <record>) -> Record attribute taking the first value.
_FIRST_VALUE = {
    "titles/title": "title",
    "titles/secondary-title": "source_title",
    "periodical/full-title": "source_title",
    "alt-periodical/full-title": "source_title",
    "volume": "volume",
    "number": "issue",
    "issue": "issue",
    "pages": "pages",
    "electronic-resource-num": "doi",
    "abstract": "abstract",
    "publisher": "publisher",
    "urls/related-urls/url": "url",
    "urls/web-urls/url": "url",
    "urls/pdf-urls/url": "url",
}
_AUTHOR_PATHS = ("contributors/authors/author",)
_KEYWORD_PATH = "keywords/keyword"


def _text(element: ET.Element) -> str:
    """An element's text, whether bare or split over nested <style> runs."""
    if len(element) == 0:
        return element.text or ""
    return "".join(element.itertext())


def flatten(record_el: ET.Element) -> dict[str, Any]:
    """Every value of a record under its element path; attributes as `path@name`."""
    raw: dict[str, Any] = {}
    stack: list[tuple[ET.Element, str]] = [(child, child.tag) for child in reversed(record_el)]
    while stack:
        element, path = stack.pop()
        for name, value in element.attrib.items():
            add_raw(raw, f"{path}@{name}", value)
        children = [c for c in element if c.tag != "style"]
        if children:
            stack.extend((c, f"{path}/{c.tag}") for c in reversed(children))
            continue
        text = _text(element)
        if text or not element.attrib:
            add_raw(raw, path, text)
    return raw


def _values(raw: Mapping[str, Any], path: str) -> list[str]:
    value = raw.get(path)
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _record(raw: dict[str, Any], line: int) -> Record | None:
    record = Record(raw=raw, line=line)
    for path, attribute in _FIRST_VALUE.items():
        if getattr(record, attribute):
            continue
        for value in _values(raw, path):
            if value.strip():
                setattr(record, attribute, value)
                break
    for path in _AUTHOR_PATHS:
        for value in _values(raw, path):
            author = parse_name(value)
            if author.family or author.literal:
                record.authors.append(author)
    for value in _values(raw, "dates/year"):
        record.year = parse_year(value)
        if record.year:
            break
    record.author_keywords = [k for v in _values(raw, _KEYWORD_PATH) for k in _MULTI.split(v)]
    for value in _values(raw, "isbn"):
        for piece in _MULTI.split(value):
            issns = canonical_issn(piece)
            if issns:
                record.issn.extend(issns)
            elif sum(ch.isdigit() for ch in piece) >= 10:
                record.isbn.append(piece.strip())
    languages = [p for v in _values(raw, "language") for p in _MULTI.split(v) if p.strip()]
    record.language = "; ".join(languages)
    record.document_type = next(iter(_values(raw, "ref-type@name")), "")
    if record.doi and "\r" in record.doi:
        record.doi = record.doi.split("\r", 1)[0]

    provider = " ".join(_values(raw, "remote-database-provider"))
    provider += " " + " ".join(_values(raw, "remote-database-name"))
    accession = next(iter(_values(raw, "accession-num")), "").strip()
    if accession:
        if accession.upper().startswith("WOS:"):
            record.ids["wos"] = accession
        elif accession.isdigit() and re.search(r"NLM|PubMed|MEDLINE", provider, re.IGNORECASE):
            record.pmid = accession
    for path in ("custom2", "custom1", "custom6"):
        for value in _values(raw, path):
            if _PMCID.match(value.strip()):
                record.ids["pmcid"] = value.strip()
    number = next(iter(_values(raw, "rec-number")), "").strip()
    if number:
        record.ids["endnote"] = number
    if not (record.title.strip() or record.doi.strip() or record.authors):
        return None
    return finish_record(record)


def _error_position(exc: ET.ParseError, line: int, column: int) -> tuple[int, int]:
    """The file line/column of an error ElementTree reports inside one record's text."""
    err_line, err_column = getattr(exc, "position", (1, 0))
    if err_line <= 1:
        return line, column + err_column + 1
    return line + err_line - 1, err_column + 1


def parse(text: str, column_map: Mapping[str, str] | None = None) -> ParseResult:
    """Every <record> of an EndNote XML export; a malformed record becomes a Failure."""
    del column_map
    result = ParseResult(FORMAT, flavour="endnote")
    starts = [m.start() for m in _RECORD_START.finditer(text)]
    if not starts:
        if text.strip():
            try:
                ET.fromstring(text)
            except ET.ParseError as exc:
                line, column = _error_position(exc, 1, 0)
                result.failures.append(
                    Failure(line, f"malformed XML at column {column}: {exc}", text.strip()[:60])
                )
        return result
    line = 1
    last = 0
    line_start = 0  # offset where the current line begins
    for ordinal, start in enumerate(starts, 1):
        newlines = text.count("\n", last, start)
        if newlines:
            line += newlines
            line_start = text.rfind("\n", last, start) + 1
        last = start
        column = start - line_start
        limit = starts[ordinal] if ordinal < len(starts) else len(text)
        end = text.find(_RECORD_END, start, limit)
        if end < 0:
            chunk = text[start:limit]
            where = f"record {ordinal} (column {column + 1})"
            result.failures.append(Failure(line, f"{where}: no closing </record>", chunk[:60]))
            continue
        chunk = text[start : end + len(_RECORD_END)]
        try:
            element = ET.fromstring(chunk)
        except ET.ParseError as exc:
            err_line, err_column = _error_position(exc, line, column)
            reason = (
                f"record {ordinal}: malformed XML at line {err_line}, column {err_column}: "
                f"{str(exc).split(':', 1)[0]}"
            )
            result.failures.append(Failure(line, reason, chunk[:60]))
            continue
        record = _record(flatten(element), line)
        if record is None:
            reason = f"record {ordinal} (column {column + 1}) has no title, DOI or authors"
            result.failures.append(Failure(line, reason, chunk[:60]))
            continue
        result.records.append(record)
    return result


def sniff(head: str, file_name: str) -> int:
    """EndNote XML: <record> elements with EndNote's own child elements."""
    del file_name
    if "<record" not in head:
        return 0
    if "<ref-type" in head or "<rec-number>" in head or 'name="EndNote"' in head:
        return 95
    if "<records>" in head and "<xml>" in head:
        return 70
    return 0


register(Format(FORMAT, "EndNote XML library export", sniff, parse, ("xml",)))
