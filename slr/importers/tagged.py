"""The other tagged line formats: Web of Science plain text and PubMed MEDLINE (.nbib).

Both write one field per line behind a short tag and wrap long values onto indented continuation
lines. WoS: `PT J` starts a record, 2-letter tags, 3-space continuations, `ER` ends it, `EF` ends
the file. MEDLINE: `PMID- ` starts a record, tags padded to 4 characters ("FAU - "), 6-space
continuations, a blank line ends it. Each continuation line is its own value for the list tags
(WoS AU, AF, CR, C1...) and a wrapped piece of one value otherwise.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from slr.importers.common import (
    finish_record,
    iter_lines,
    join_pages,
    opens_with,
    wos_platform_flavour,
)
from slr.importers.registry import Format, register
from slr.models import Author, Failure, ImportWarning, ParseResult, Record
from slr.normalize import canonical_doi, find_dois, parse_name, parse_year, split_values
from slr.normalize.names import parse_name_with_family

Values = dict[str, list[str]]
_MAX_WARNINGS = 20

_UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_WOS_TAGS = frozenset(a + b for a in _UPPER for b in _UPPER + "0123456789")
# WoS tags whose continuation lines are separate values, not a wrapped value.
WOS_LIST_TAGS = frozenset({"AU", "AF", "BA", "BF", "BE", "CA", "GP", "CR", "C1"})
_WOS_HEADER_TAGS = frozenset({"FN", "VR"})
_NO_LIST_TAGS: frozenset[str] = frozenset()


def _excerpt(fields: list[list], line_format: str) -> str:
    """The entry's first non-empty line as the file wrote it, for a failure message."""
    for tag, value, _extra in fields:
        if value:
            return line_format.format(tag=tag, value=value)[:60]
    return ""


def _values(fields: list[list], list_tags: frozenset[str]) -> Values:
    """Each tag's values in file order; continuations split (list tags) or re-joined."""
    values: Values = {}
    for tag, value, extra in fields:
        if extra is None:
            pieces = [value]
        elif tag in list_tags:
            pieces = [value, *extra] if value else extra
        else:
            pieces = [" ".join([value, *extra]) if value else " ".join(extra)]
        bucket = values.get(tag)
        if bucket is None:
            values[tag] = pieces
        else:
            bucket.extend(pieces)
    return values


def _raw(values: Values) -> dict[str, object]:
    return {tag: vals[0] if len(vals) == 1 else list(vals) for tag, vals in values.items()}


def _first(values: Values, *tags: str) -> str:
    for tag in tags:
        for value in values.get(tag, ()):
            if value:
                return value
    return ""


class _Collector:
    """Records, failures and capped warnings of one parse."""

    def __init__(self, name: str, flavour: str) -> None:
        self.result = ParseResult(name, flavour=flavour)
        self.counts: dict[str, int] = {}

    def warn(self, line: int, kind: str, message: str) -> None:
        count = self.counts.get(kind, 0) + 1
        self.counts[kind] = count
        if count <= _MAX_WARNINGS:
            self.result.warnings.append(ImportWarning(line, kind, message))

    def add(
        self,
        build: Callable[[Values, int], Record],
        values: Values,
        line: int,
        excerpt: str,
        label: str,
    ) -> None:
        try:
            record = build(values, line)
        except Exception as error:  # a bug must cost one record, never the file
            reason = f"{label} record could not be read ({type(error).__name__}: {error})"
            self.result.failures.append(Failure(line, reason[:200], excerpt))
            return
        if not (record.title or record.doi or record.authors):
            self.result.failures.append(
                Failure(line, f"{label} record has no title, DOI or authors", excerpt)
            )
            return
        self.result.records.append(record)

    def finish(self) -> ParseResult:
        for kind, count in self.counts.items():
            if count > _MAX_WARNINGS:
                more = f"{count - _MAX_WARNINGS} more like the ones above"
                self.result.warnings.append(ImportWarning(0, kind, more))
        return self.result


# ---------------------------------------------------------------- Web of Science plain text


# The lines a WoS plain-text file is made of: a tag line (ER and EF alone) or a continuation.
_WOS_LINE = re.compile(r"[A-Z][A-Z0-9](?: |$)|   \S")


def wos_sniff(head: str, file_name: str) -> int:
    """WoS plain text: the `FN`/`VR` header, or `PT J` record starts with 2-letter tag lines."""
    start = head.lstrip("\n")
    if start.startswith("FN ") and "\nVR " in start[:400]:
        return 95
    if not opens_with(head, _WOS_LINE):
        return 0
    if (
        (start.startswith("PT ") or "\nPT " in head)
        and "\nER" in head
        and re.search(r"^(?:AU|TI|SO|UT) \S", head, re.MULTILINE)
    ):
        return 75
    return 0


def _wos_authors(full: list[str], short: list[str]) -> list[Author]:
    """AF full names, or AU where there are none. An AF name written without a comma ("Wang
    Chen-Yang") is split at the family name of its AU line ("Wang, CY")."""
    if not full:
        authors = [parse_name(name) for name in short]
    elif len(full) == len(short):
        authors = [
            parse_name_with_family(name, abbreviated.partition(",")[0].strip())
            for name, abbreviated in zip(full, short, strict=True)
        ]
    else:
        authors = [parse_name(name) for name in full]
    return [author for author in authors if author.family or author.literal]


def build_wos(values: Values, line: int) -> Record:
    """A Record from one WoS plain-text entry."""
    record = Record(raw=_raw(values), line=line)
    record.title = _first(values, "TI")
    record.authors = _wos_authors(values.get("AF", []), values.get("AU", []))
    for tag in ("CA", "GP"):
        record.authors.extend(Author(literal=v) for v in values.get(tag, ()) if v)
    record.year = parse_year(_first(values, "PY")) or parse_year(_first(values, "EY"))
    record.source_title = _first(values, "SO", "SE", "BS")
    record.volume = _first(values, "VL")
    record.issue = _first(values, "IS")
    record.pages = join_pages(_first(values, "BP"), _first(values, "EP")) or _first(values, "AR")
    record.doi = canonical_doi(_first(values, "DI")) or canonical_doi(_first(values, "D2"))
    record.pmid = _first(values, "PM")
    record.issn = [v for v in values.get("SN", []) + values.get("EI", []) if v]
    record.isbn = [i for v in values.get("BN", ()) for i in split_values(v)]
    record.abstract = _first(values, "AB")
    record.author_keywords = [k for v in values.get("DE", ()) for k in split_values(v)]
    record.index_keywords = [k for v in values.get("ID", ()) for k in split_values(v)]
    record.language = _first(values, "LA")
    record.document_type = _first(values, "DT")
    record.publisher = _first(values, "PU")
    accession = _first(values, "UT")
    if accession:
        record.ids["wos"] = accession
    record.cited_references = [v for v in values.get("CR", ()) if v]
    return finish_record(record)


def _close_wos(out: _Collector, fields: list[list], start: int) -> None:
    out.add(
        build_wos, _values(fields, WOS_LIST_TAGS), start, _excerpt(fields, "{tag} {value}"), "WoS"
    )


def parse_wos(text: str, column_map: Mapping[str, str] | None = None) -> ParseResult:
    """Every record of a WoS plain-text export; malformed ones become failures."""
    out = _Collector("wos-plaintext", "wos")
    if "\ufeff" in text:  # files concatenated with their BOMs
        text = text.replace("\ufeff", "")
    tags = _WOS_TAGS
    fields: list[list] | None = None
    last: list = []
    start = 0
    ended = False
    stray = 0
    stray_first = 0
    for index, line in enumerate(iter_lines(text)):
        if line[:1] == " ":
            if fields is not None:
                piece = line.strip()
                if piece:
                    if last[2] is None:
                        last[2] = [piece]
                    else:
                        last[2].append(piece)
            elif line.strip():
                stray += 1
                stray_first = stray_first or index + 1
            continue
        tag = line[:2]
        # "PT J", "ER": a MEDLINE or RIS line ("PT  - Journal Article") is no WoS tag line
        if tag not in tags or (len(line) > 2 and (line[2] != " " or line[3:4] == " ")):
            if line.strip():
                if fields is not None:  # an unindented continuation: keep it with the value
                    last[2] = [*(last[2] or []), line.strip()]
                else:
                    stray += 1
                    stray_first = stray_first or index + 1
            continue
        value = line[3:].strip()
        if tag == "PT" or tag == "EF":
            if fields is not None:
                out.warn(start, "no-end-marker", "WoS record has no ER line")
                _close_wos(out, fields, start)
            fields = None
            if tag == "EF":
                ended = True
                continue
            last = [tag, value, None]
            fields = [last]
            start = index + 1
        elif tag == "ER":
            if fields is not None:
                _close_wos(out, fields, start)
                fields = None
        elif fields is not None:
            last = [tag, value, None]
            fields.append(last)
        elif tag not in _WOS_HEADER_TAGS:
            stray += 1
            stray_first = stray_first or index + 1
    if fields is not None:
        out.warn(start, "no-end-marker", "WoS record has no ER line")
        _close_wos(out, fields, start)
    if stray:
        message = f"{stray} line(s) outside any WoS record (no PT line before them) were ignored"
        out.warn(stray_first, "stray-lines", message)
    if out.result.records and not ended:
        out.warn(0, "truncated", "the file does not end with EF: it may be truncated")
    out.result.flavour = wos_platform_flavour(r.ids.get("wos", "") for r in out.result.records)
    return out.finish()


# ---------------------------------------------------------------- PubMed MEDLINE (.nbib)


def _medline_tag(line: str) -> str:
    """The tag of a MEDLINE tag line ("PMID- ", "FAU - ", "AU  - "), or ''."""
    if line[4:6] == "- " or (line[4:5] == "-" and len(line) == 5):
        tag = line[:4].rstrip()
        if tag and tag.isalnum() and tag.isupper() and " " not in tag:
            return tag
    return ""


# The lines a MEDLINE file is made of: a tag line ("PMID- ", "AU  - ") or a continuation.
_MEDLINE_LINE = re.compile(r"[A-Z][A-Z0-9 ]{3}- |[A-Z][A-Z0-9 ]{3}-$|      \S")


def medline_sniff(head: str, file_name: str) -> int:
    """MEDLINE: records start with `PMID- `, other tags are padded to four characters."""
    if not opens_with(head, _MEDLINE_LINE):
        return 0
    if head.startswith(("PMID- ", "OWN - ERIC")) or "\nPMID- " in head:
        return 95
    if re.search(r"^(?:FAU|STAT|OWN ) - ", head, re.MULTILINE):
        return 70
    return 0


_PIECE = re.compile(r"^(.*?)\s*\[(\w+)\]$")


def _tagged_id(values: Values, kind: str) -> str:
    """The value marked "[doi]" (or "[pii]") among LID and AID lines."""
    for tag in ("LID", "AID"):
        for value in values.get(tag, ()):
            match = _PIECE.match(value)
            if match and match.group(2) == kind:
                return match.group(1)
    return ""


def _medline_doi(values: Values) -> str:
    """The DOI of LID and AID lines: marked "[doi]", or in any form of its own (ERIC writes
    "http://dx.doi.org/10...")."""
    marked = _tagged_id(values, "doi")
    if marked:
        return canonical_doi(marked)
    for tag in ("LID", "AID"):
        for value in values.get(tag, ()):
            match = _PIECE.match(value)
            if match and match.group(2) != "doi":
                continue  # a PII or another marked id that may look like a DOI
            for doi in find_dois(value):
                return doi
    return ""


def _medline_pages(value: str) -> str:
    """PG as "start-end", with MEDLINE's shortened end page spelled out ("1234-8")."""
    start, sep, end = value.partition("-")
    start, end = start.strip(), end.strip()
    if sep and start.isdigit() and end.isdigit() and len(end) < len(start):
        end = start[: len(start) - len(end)] + end
    return join_pages(start, end) if sep else value


def _medline_authors(fields: list[list]) -> list[Author]:
    """FAU full names (AU only where the record has no FAU), CN groups, in file order."""
    has_full = any(tag == "FAU" for tag, _v, _e in fields)
    person = "FAU" if has_full else "AU"
    authors: list[Author] = []
    for tag, value, extra in fields:
        if extra:
            value = " ".join([value, *extra])
        if tag == person and value:
            author = parse_name(value)
            if author.family or author.literal:
                authors.append(author)
        elif tag == "CN" and value:
            authors.append(Author(literal=value))
    return authors


def build_medline(values: Values, line: int, authors: list[Author] | None = None) -> Record:
    """A Record from one MEDLINE entry."""
    record = Record(raw=_raw(values), line=line)
    record.title = _first(values, "TI", "BTI")
    record.authors = authors or []
    record.year = parse_year(_first(values, "DP")) or parse_year(_first(values, "DEP"))
    record.source_title = _first(values, "JT", "TA", "BTI")
    record.volume = _first(values, "VI")
    record.issue = _first(values, "IP")
    record.pages = _medline_pages(_first(values, "PG"))
    record.doi = _medline_doi(values)
    record.pmid = _first(values, "PMID")
    record.issn = [v for v in values.get("IS", ()) if v]
    record.isbn = [v for v in values.get("ISBN", ()) if v]
    record.abstract = _first(values, "AB")
    record.copyright = _first(values, "CI")
    # a leading "*" marks a major topic, as in MeSH; it is not part of the term
    record.author_keywords = [v.lstrip("*") for v in values.get("OT", ()) if v]
    record.index_keywords = [v for v in values.get("MH", ()) if v]
    record.language = _first(values, "LA")
    record.document_type = _first(values, "PT")
    record.publisher = _first(values, "PB")
    pmc = _first(values, "PMC")
    if pmc:
        record.ids["pmcid"] = pmc
    if record.pmid:
        record.ids["pmid"] = record.pmid
    if _first(values, "OWN") == "ERIC" and _first(values, "AN"):
        record.ids["eric"] = _first(values, "AN")
    return finish_record(record)


def parse_medline(text: str, column_map: Mapping[str, str] | None = None) -> ParseResult:
    """Every record of a PubMed MEDLINE export; malformed ones become failures."""
    out = _Collector("pubmed-medline", "pubmed")
    if "\ufeff" in text:  # files concatenated with their BOMs
        text = text.replace("\ufeff", "")
    fields: list[list] | None = None
    last: list = []
    start = 0
    stray = 0
    stray_first = 0

    def close() -> None:
        assert fields is not None  # (called only inside a record)
        lines = fields
        values = _values(lines, _NO_LIST_TAGS)
        if "PMID" not in values and values.get("OWN") != ["ERIC"]:  # ERIC records have none
            out.warn(start, "missing-id", "MEDLINE record has no PMID line")
        out.add(
            lambda v, n: build_medline(v, n, _medline_authors(lines)),
            values,
            start,
            _excerpt(fields, "{tag:<4}- {value}"),
            "MEDLINE",
        )

    for index, line in enumerate(iter_lines(text)):
        if not line or line.isspace():
            if fields is not None:
                close()
                fields = None
            continue
        if line[:1] == " ":
            if fields is not None:
                piece = line.strip()
                if last[2] is None:
                    last[2] = [piece]
                else:
                    last[2].append(piece)
            else:
                stray += 1
                stray_first = stray_first or index + 1
            continue
        tag = _medline_tag(line)
        if not tag:
            if fields is not None:  # an unindented continuation: keep it with the value
                last[2] = [*(last[2] or []), line.strip()]
            else:
                stray += 1
                stray_first = stray_first or index + 1
            continue
        value = line[6:].strip()
        # a record starts with PMID (PubMed) or OWN (ERIC), even without a blank line before
        if fields is not None and (tag == "PMID" or (tag == "OWN" and fields[0][0] == "OWN")):
            close()
            fields = None
        if fields is None:
            fields = []
            start = index + 1
        last = [tag, value, None]
        fields.append(last)
    if fields is not None:
        close()
    if stray:
        message = f"{stray} line(s) outside any MEDLINE record were ignored"
        out.warn(stray_first, "stray-lines", message)
    records = out.result.records
    if 2 * sum(1 for r in records if r.raw.get("OWN") == "ERIC") > len(records):
        out.result.flavour = "eric"  # ERIC's MEDLINE export: OWN - ERIC, no PMID
    return out.finish()


WOS_FORMAT = register(
    Format(
        name="wos-plaintext",
        description=(
            "Web of Science plain text (.txt, .ciw), also Zoological Record, BIOSIS, "
            "Derwent and the other Web of Science databases"
        ),
        sniff=wos_sniff,
        parse=parse_wos,
        extensions=("txt", "ciw"),
    )
)
MEDLINE_FORMAT = register(
    Format(
        name="pubmed-medline",
        description="PubMed MEDLINE (.nbib, .txt), and ERIC's export in MEDLINE format",
        sniff=medline_sniff,
        parse=parse_medline,
        extensions=("nbib", "txt", "medline"),
    )
)
