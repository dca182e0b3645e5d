"""RIS in every vendor flavour, read by a fast and tolerant line tokenizer.

A tag line is two characters [A-Z][A-Z0-9], two spaces, '-', then an optional space and the value;
untagged lines continue the previous tag's value (Scopus puts one cited reference per continuation
line, WoS wraps abstracts and notes). A record starts at `TY  -` and ends at `ER  -`; a record whose
`ER` is missing still counts, with a warning, when the next `TY` ends it, but a last one is a
failure when the file was cut short (its other records end with `ER`, or it stops mid-line). Tag
lines with no `TY` before them, or after a malformed one, are one rejected entry up to their `ER`.
Lines outside records (Ovid's "3001. " numbers and "Link to the Ovid Full Text" lines, `NL` after
`ER`) belong to no record.

Keyword rule: `KW` holds the author's keywords for Scopus (leading alphabetical run only; Scopus
appends its indexed terms), WoS (the trailing run of upper-case terms is Keywords Plus), Zotero and
unknown vendors; it holds indexer terms for Embase (Emtree), Ovid (PsycINFO/MeSH headings, the
major-topic `*` dropped), ProQuest and EBSCO (except the terms EBSCO's `N1` lists as
"Author-Supplied Keyword").

rispy is not used for parsing: it drops a last record without `ER` and chokes on Ovid's extra lines.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from slr.importers.common import finish_record, iter_lines, join_pages, opens_with
from slr.importers.registry import Format, register
from slr.models import Author, Failure, ImportWarning, ParseResult, Record
from slr.normalize import canonical_doi, parse_clean_name, parse_name, parse_year
from slr.normalize.text import single_spaced

_UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_TAGS = frozenset(a + b for a in _UPPER for b in _UPPER + "0123456789")
# One space or a tab instead of two, seen in hand-edited files: still a tag line.
_LOOSE_TAG = re.compile(r"([A-Z][A-Z0-9])(?: {1,3}|\t)-(?:[ \t](.*))?$")
_MAX_WARNINGS = 20

Values = dict[str, list[str]]

# Field table: the tags each field is read from, best first.
TITLE_TAGS = ("TI", "T1", "CT", "BT", "ST")  # ST: the short title, when there is no other
AUTHOR_TAGS = ("AU", "A1")  # A2 editors, A3 series editors, A4 translators: raw only
YEAR_TAGS = ("PY", "Y1", "DA")  # not Y2: an access date
# Full source titles before abbreviations (J2, JA); T3 (series / former title) last.
SOURCE_TAGS = ("JF", "T2", "JO", "BT", "JA", "J2", "T3")
ABSTRACT_TAGS = ("AB", "N2")
DOI_TAGS = ("DO", "L3", "M3")  # L3: EBSCO; M3: some exporters put the DOI there
LINK_TAGS = ("UR", "L2", "L1", "L4", "LK")  # DOIs buried in links, used when none of the above
URL_TAGS = ("UR", "L2", "L1")
PUBLISHER_TAGS = ("PB", "PU")  # PU: WoS; Ovid repeats PB with the country second
_MISSING = frozenset({"nan", "none", "null", "n/a"})

# Markers of the vendor an RIS file comes from. Platform markers are written only by that
# vendor's exports; link markers also show up in other exports (a Dimensions or Lens export
# links some records to ACM, IEEE or PubMed), so a file is decided by the majority.
_PLATFORM_MARKERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("wos", ("AN  - WOS:",)),
    ("scopus", ("DB  - Scopus", "www.scopus.com/inward/record")),
    ("ovid", ("Link to the Ovid Full Text", "ovidsp.ovid.com", "ovidsp.tx.ovid.com")),
    ("embase", ("DB  - Embase", "www.embase.com/")),
    ("ebsco", ("DP  - EBSCOhost", "search.ebscohost.com")),
    ("proquest", ("DB  - ProQuest", "search.proquest.com/", "www.proquest.com/")),
    ("pubmed", ("DB  - PubMed",)),
    ("dimensions", ("DB  - Dimensions", "app.dimensions.ai/details", "AN  - pub.")),
    ("lens", ("DB  - Lens", "DP  - Lens", "lens.org/lens/", "link.lens.org/")),
)
_LINK_MARKERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("ieee", ("ieeexplore.ieee.org",)),
    ("acm", ("dl.acm.org/doi",)),
    ("dimensions", ("app.dimensions.ai",)),
    ("pubmed", ("pubmed.ncbi.nlm.nih.gov",)),
)
_ZOTERO_HEAD = 1 << 20  # Zotero's markers are looked for in the first megabyte
# Zotero writes notes as HTML and dates as "2021/02/01/".
_ZOTERO = re.compile(r"^(?:N1  - <(?:p|div)\b|DA  - \d{4}/\d{0,2}/\d{0,2}/)", re.MULTILINE)
_GLUED_TAG = re.compile(r"(?<=\S)([A-Z][A-Z0-9])  -(?: |$)")
_OVID_NUMBER = re.compile(r"\d+\.$")
_EID = re.compile(r"eid=(2-s2\.0-\d+)")
_CLASSIFICATION = re.compile(r"\[\d{4}\]$")  # PsycINFO classification "Psychopharmacology [2580]"
_COPYRIGHT_START = re.compile(r"(?:copyright\b|©|\(c\)\s*\d{4})", re.IGNORECASE)
# Provenance labels EBSCO and ProQuest append to abstracts: not part of the text.
_ABSTRACT_LABEL = re.compile(
    r"\s*\[(?:ABSTRACT FROM [A-Z ]+|Abstract from [A-Za-z ]+|Author Abstract|Publisher Abstract)"
    r"\]\s*$"
)
# A DOI as a link parameter: "openurl?id=doi:10.1080/...", Scopus's "&doi=10.1016%2f...&"
_DOI_PARAM = re.compile(r"doi[:=](10\.\d{3,9}(?:/|%2[fF])[^&\s;#]+)", re.IGNORECASE)
_SERIAL_SPLIT = re.compile(r"[;,\n]")
_ISBN_CHARS = re.compile(r"[^0-9Xx]")
_PAREN = re.compile(r"\([^)]*\)")


def _most_marked(text: str, table: tuple[tuple[str, tuple[str, ...]], ...]) -> str:
    """The vendor whose markers the text holds most often ('' for none; ties: table order)."""
    counts: dict[str, int] = {}
    for name, markers in table:
        counts[name] = counts.get(name, 0) + sum(text.count(marker) for marker in markers)
    best = max(counts, key=counts.__getitem__)
    return best if counts[best] else ""


# A large file is judged by windows spread over all of it: counting twenty markers through a
# 200 MB export took seconds, and a few megabytes from everywhere give the same majority.
_WHOLE_BELOW = 4 << 20
_WINDOWS = 32
_WINDOW = 128 << 10


def _spread_sample(text: str) -> str:
    if len(text) <= _WHOLE_BELOW:
        return text
    step = (len(text) - _WINDOW) // (_WINDOWS - 1)
    return "\n".join(text[i * step : i * step + _WINDOW] for i in range(_WINDOWS))


def _flavour(text: str) -> str:
    """The vendor of an RIS file, decided from the whole file: its platform markers (DB, DP,
    AN lines and the platform's own links, by majority), then Zotero's notes and dates, then
    the majority of links to a vendor's pages."""
    sample = _spread_sample(text)
    return (
        _most_marked(sample, _PLATFORM_MARKERS)
        or ("zotero" if _ZOTERO.search(text, 0, _ZOTERO_HEAD) else "")
        or _most_marked(sample, _LINK_MARKERS)
    )


# A line an RIS file is made of, strict or loose, or Ovid's record number before a `TY` line.
_RIS_LINE = re.compile(r"[A-Z][A-Z0-9](?: {1,3}|\t)-(?:[ \t]|$)|\d+\.\s*$")


def sniff(head: str, file_name: str) -> int:
    """RIS when the file opens with tag lines (or is made of them) and has `TY  -` lines;
    surer with `ER  -` and other tag lines."""
    if not opens_with(head, _RIS_LINE):
        return 0
    if head.startswith("TY  -") or "\nTY  -" in head:
        if "\nER  -" in head:
            return 90
        return 80 if re.search(r"^(?!TY)[A-Z][A-Z0-9]  -", head, re.MULTILINE) else 60
    if re.search(r"^TY(?: {1,3}|\t)-[ \t]*\S", head[:8192], re.MULTILINE):
        return 50
    return 0


def _first(values: Values, tags: tuple[str, ...]) -> str:
    for tag in tags:
        for value in values.get(tag, ()):
            if value:
                return value
    return ""


def _present(value: str) -> str:
    """An export's value, or '' for the placeholders some tools write for nothing ("nan")."""
    return "" if value.casefold() in _MISSING else value


def _pages(values: Values, flavour: str) -> str:
    start = _present(_first(values, ("SP",)))
    end = _present(_first(values, ("EP",)))
    if start.casefold() == "no" and end.casefold() == "specified":  # Ovid's "No Specified"
        return ""
    if not start and not end and flavour in ("scopus", "wos"):
        return _first(values, ("C7",))  # article number
    return join_pages(start, end)


def _doi(values: Values) -> str:
    for tag in DOI_TAGS:
        for value in values.get(tag, ()):
            doi = canonical_doi(value)
            if doi:
                return doi
    for tag in LINK_TAGS:
        for value in values.get(tag, ()):
            if "10." not in value:
                continue
            for piece in value.replace(";", " ").split():
                doi = canonical_doi(piece)
                if not doi and (match := _DOI_PARAM.search(piece)):
                    doi = canonical_doi(match.group(1))
                if doi:
                    return doi
    return ""


def _url(values: Values) -> str:
    for tag in URL_TAGS:
        for value in values.get(tag, ()):
            for piece in value.replace("; ", "\n").split("\n"):
                piece = piece.strip()
                if piece.startswith(("http://", "https://", "www.")):
                    return piece
    return ""


def _serials(values: Values, record: Record) -> None:
    """SN holds ISSNs and ISBNs alike: tell them apart by shape; drop "(ISSN)"-like notes."""
    for value in values.get("SN", ()):
        for piece in _SERIAL_SPLIT.split(value):
            bare = _PAREN.sub("", piece).strip()
            if not bare:
                continue
            compact = _ISBN_CHARS.sub("", bare)
            if len(compact) == 8:
                record.issn.append(f"{compact[:4]}-{compact[4:].upper()}")
            elif len(compact) in (10, 13):
                record.isbn.append(bare)
    for value in values.get("BN", ()):
        record.isbn.extend(p.strip() for p in _SERIAL_SPLIT.split(value) if p.strip())


def _abstract(values: Values, record: Record, flavour: str) -> None:
    """First AB (else N2) is the abstract; a further one that is a notice is the copyright."""
    texts: list[str] = []
    for tag in ABSTRACT_TAGS:
        texts = [v for v in values.get(tag, ()) if v]
        if texts:
            break
    else:
        return
    body = [texts[0]]
    for extra in texts[1:]:
        if _COPYRIGHT_START.match(extra):
            record.copyright = f"{record.copyright} {extra}".strip()
        else:
            body.append(extra)
    abstract = "\n".join(body)
    if flavour in ("ebsco", "proquest") and abstract.endswith("]"):
        abstract = _ABSTRACT_LABEL.sub("", abstract)
    record.abstract = abstract


def _ebsco_notes(values: Values) -> Values:
    """EBSCO packs "Accession Number: ...; Subject Term: ...; ..." into one N1 line."""
    notes: Values = {}
    for note in values.get("N1", ()):
        if not note.startswith("Accession Number:"):
            continue
        for part in note.replace("\n", " ").split("; "):
            key, sep, value = part.partition(":")
            if sep and value.strip():
                notes.setdefault(key.strip(), []).append(value.strip())
    return notes


def _is_upper(term: str) -> bool:
    return term.upper() == term and term.lower() != term


def _keywords_scopus(terms: list[str], record: Record, notes: Values) -> None:
    """Scopus lists the author's keywords alphabetically, then its indexed terms: split there."""
    split = len(terms)
    for index in range(1, len(terms)):
        if terms[index].casefold() < terms[index - 1].casefold():
            split = index
            break
    if split < 2:  # one leading term says nothing about where the author's list ends
        split = len(terms)
    record.author_keywords = terms[:split]
    record.index_keywords = terms[split:]


def _keywords_wos(terms: list[str], record: Record, notes: Values) -> None:
    """WoS writes DE (author) then ID (Keywords Plus, always upper case)."""
    split = len(terms)
    while split > 0 and _is_upper(terms[split - 1]):
        split -= 1
    record.author_keywords = terms[:split]
    record.index_keywords = terms[split:]


def _keywords_index(terms: list[str], record: Record, notes: Values) -> None:
    record.index_keywords = [t.lstrip("*").strip() for t in terms]


def _keywords_ebsco(terms: list[str], record: Record, notes: Values) -> None:
    """EBSCO's N1 tells the author's keywords from its subject terms; KW merges them."""
    subjects = notes.get("Subject Term", []) + notes.get("Subject", [])
    own = notes.get("Author-Supplied Keyword", [])
    if subjects or own:
        record.author_keywords = list(own)
        record.index_keywords = subjects
    else:  # ERIC and the like: KW holds the database's descriptors
        record.index_keywords = terms


def _keywords_author(terms: list[str], record: Record, notes: Values) -> None:
    record.author_keywords = terms


KEYWORD_RULES: dict[str, Callable[[list[str], Record, Values], None]] = {
    "scopus": _keywords_scopus,
    "wos": _keywords_wos,
    "embase": _keywords_index,
    "ovid": _keywords_index,
    "proquest": _keywords_index,
    "ebsco": _keywords_ebsco,
}


def _ids(values: Values, record: Record, flavour: str, notes: Values) -> None:
    """The database's own identifiers, where each vendor puts them."""
    ids = record.ids
    for value in values.get("AN", ()):
        if value.startswith("WOS:"):
            ids["wos"] = value
    for value in values.get("UR", ()):
        match = _EID.search(value)
        if match:
            ids["eid"] = match.group(1)
            break
    for value in values.get("U2", ()):
        if value[:1] == "L" and value[1:].isdigit():
            ids["embase"] = value
    if flavour == "ebsco":
        numbers = notes.get("Accession Number") or values.get("AN") or values.get("ID")
        if numbers:
            ids["ebsco"] = numbers[0]
    elif flavour == "proquest":
        accession = _first(values, ("AN",))
        if accession:
            ids["proquest"] = accession.split(";")[0].strip()
    elif flavour == "ovid":
        accession = _first(values, ("ID", "AN"))
        if accession:
            ids["ovid"] = accession
    # PubMed ids: Scopus C2, Embase C5, PubMed-derived RIS in AN
    pmid_tag = {"scopus": "C2", "embase": "C5"}.get(flavour)
    candidates = values.get(pmid_tag, []) if pmid_tag else []
    databases = " ".join(values.get("DB", ())).casefold()
    if "pubmed" in databases or flavour == "pubmed":
        candidates = candidates + values.get("AN", [])
    for value in candidates:
        if value.isdigit():
            record.pmid = value
            break


def _cited_references(values: Values, flavour: str) -> list[str]:
    """Scopus: `N1  - References:` with one reference per line; Ovid PsycINFO: one per M1."""
    for note in values.get("N1", ()):
        if note.startswith("References:"):
            body = note[len("References:") :].strip()
            pieces = body.split("\n") if "\n" in body else body.split("; ")
            return [p.strip().rstrip(";").strip() for p in pieces if p.strip(" ;")]
    if flavour == "ovid":
        return [v for v in values.get("M1", ()) if v and not _CLASSIFICATION.search(v)]
    return []


def _document_type(values: Values, notes: Values) -> str:
    kind = _first(values, ("M3",))
    if kind and not _CLASSIFICATION.search(kind) and not canonical_doi(kind):
        return kind
    kind = (notes.get("Document Type") or notes.get("Publication Type") or [""])[0]
    return kind or _first(values, ("TY",))


def _authors(values: Values, flavour: str) -> list[Author]:
    """AU then A1 names; an A1 repeating an AU name is the same person, not a co-author."""
    authors: list[Author] = []
    primary = values.get("AU", [])
    seen = {name.casefold() for name in primary}
    # one check for all the AU names (stripped lines), not a clean_text call each
    joined = "|".join(primary)
    clean = joined.isascii() and single_spaced(joined)
    for tag in AUTHOR_TAGS:
        parse = parse_clean_name if clean and tag == "AU" else parse_name
        for value in values.get(tag, ()):
            if not value or (tag != "AU" and value.casefold() in seen):
                continue
            if tag == "A1" and flavour == "wos":  # WoS writes group authors as A1
                authors.append(Author(literal=value))
                continue
            author = parse(value)
            if author.family or author.literal:
                authors.append(author)
    return authors


# A date written without separators ("Start date: 20170812"), which parse_year cannot split.
_COMPACT_DATE = re.compile(
    r"(?<!\d)(1[5-9]\d\d|20\d\d|21\d\d)(?:0[1-9]|1[0-2])(?:[0-2]\d|3[01])(?!\d)"
)


def _year(value: str) -> int | None:
    if not value:
        return None
    year = parse_year(value)
    if year is None and (compact := _COMPACT_DATE.search(value)):
        year = int(compact.group(1))
    return year


def build_record(values: Values, line: int, flavour: str) -> Record:
    """A Record from one RIS entry's tag values (each tag's values in file order)."""
    raw = {tag: vals[0] if len(vals) == 1 else list(vals) for tag, vals in values.items()}
    notes = _ebsco_notes(values) if flavour == "ebsco" else {}
    record = Record(raw=raw, line=line)
    record.title = _first(values, TITLE_TAGS)
    record.authors = _authors(values, flavour)
    for tag in YEAR_TAGS:
        year = _year(_first(values, (tag,)))
        if year:
            record.year = year
            break
    title_key = record.title.casefold()
    for tag in SOURCE_TAGS:
        source = _first(values, (tag,))
        if source and source.casefold() != title_key:
            record.source_title = source
            break
    record.volume = _present(_first(values, ("VL",)))
    record.issue = _present(_first(values, ("IS",)))
    record.pages = _pages(values, flavour)
    record.doi = _doi(values)
    _serials(values, record)
    _abstract(values, record, flavour)
    # a KW value wrapped over several lines holds one keyword a line
    terms = [term for k in values.get("KW", ()) for term in k.split("\n") if term.strip()]
    if terms:
        KEYWORD_RULES.get(flavour, _keywords_author)(terms, record, notes)
    record.language = _first(values, ("LA",)) or (notes.get("Language") or [""])[0]
    record.document_type = _document_type(values, notes)
    record.url = _url(values)
    record.publisher = _first(values, PUBLISHER_TAGS)
    _ids(values, record, flavour, notes)
    record.cited_references = _cited_references(values, flavour)
    return finish_record(record)


# Why an entry is rejected whole, not read in part.
NO_TY = "RIS entry has no TY line (its tag lines are not between TY and ER); not imported"
BAD_TY = "RIS record starts with a malformed TY line; not imported"
CUT_OFF = (
    "RIS record cut off at the end of the file (no ER line); not imported, since its fields "
    "may be incomplete"
)
# A TY line gone wrong ("TY -JOUR", " TY  - JOUR", "TY: JOUR"): an entry starts there all the
# same (rejected), so its lines are neither added to the record before it nor lost unsaid.
_TY_LIKE = re.compile(r"[ \t]*TY[ \t]*[-:\u2013\u2014]")


class _Reader:
    """State of one parse: the record being read and what became of the previous ones."""

    __slots__ = (
        "broken",
        "ended",
        "flavour",
        "glued",
        "last_record",
        "missing_end",
        "result",
        "stray",
        "stray_first",
    )

    def __init__(self, flavour: str) -> None:
        self.flavour = flavour
        self.result = ParseResult("ris", flavour=flavour)
        self.last_record: Record | None = None
        self.missing_end: list[int] = []
        self.glued: list[int] = []
        self.stray = 0
        self.stray_first = 0
        self.ended = 0  # records closed by an ER line: this exporter writes them
        # an entry being skipped until its ER or the next TY, and why it is rejected
        self.broken: Failure | None = None

    def close(self, values: Values, line: int, excerpt: str) -> None:
        """One record's tag values (each tag's in file order); the excerpt names it in a failure."""
        try:
            record = build_record(values, line, self.flavour)
        except Exception as error:  # a bug must cost one record, never the file
            self.last_record = None
            reason = f"RIS record could not be read ({type(error).__name__}: {error})"
            self.result.failures.append(Failure(line, reason[:200], excerpt))
            return
        if not (record.title or record.doi or record.authors):
            self.last_record = None
            self.result.failures.append(
                Failure(line, "RIS record has no title, DOI or authors", excerpt)
            )
            return
        self.result.records.append(record)
        self.last_record = record

    def reject(self, line: int, reason: str, excerpt: str) -> None:
        """Skip an entry from this line to its ER or the next TY line; it is a failure."""
        self.end_rejected()
        self.broken = Failure(line, reason, excerpt[:60])
        self.last_record = None

    def end_rejected(self) -> None:
        if self.broken is not None:
            self.result.failures.append(self.broken)
            self.broken = None

    def outside(self, tag: str, value: str, line: int) -> None:
        """A tag line between records. Ovid's `NL` after `ER` is kept in the raw of that record;
        any other tag starts an entry without a TY line, which is rejected up to its ER."""
        if tag == "ER":
            if self.broken is None:
                self.stray_line(line)
            self.end_rejected()
            return
        if self.broken is not None:
            return
        if tag == "NL" and self.last_record is not None:
            raw = self.last_record.raw
            current = raw.get(tag)
            if current is None:
                raw[tag] = value
            elif isinstance(current, list):
                current.append(value)
            else:
                raw[tag] = [current, value]
            return
        self.reject(line, NO_TY, f"{tag}  - {value}")

    def stray_line(self, line: int) -> None:
        self.stray += 1
        if not self.stray_first:
            self.stray_first = line

    def finish(self) -> ParseResult:
        self.end_rejected()
        warnings = self.result.warnings
        for line in self.missing_end[:_MAX_WARNINGS]:
            message = "RIS record has no ER line; imported up to the next one"
            warnings.append(ImportWarning(line, "no-end-marker", message))
        if len(self.missing_end) > _MAX_WARNINGS:
            more = len(self.missing_end) - _MAX_WARNINGS
            warnings.append(
                ImportWarning(0, "no-end-marker", f"{more} more RIS records have no ER line")
            )
        for line in self.glued[:_MAX_WARNINGS]:
            message = "a tag was glued to the end of a value; split there"
            warnings.append(ImportWarning(line, "glued-tag", message))
        if self.stray:
            message = (
                f"{self.stray} line(s) outside any RIS record "
                "(not between a TY and an ER line) were not imported"
            )
            warnings.append(ImportWarning(self.stray_first, "stray-lines", message))
        if not self.result.records and not self.result.failures and self.stray:
            message = "no RIS record found: no line starts with 'TY  - '"
            warnings.append(ImportWarning(0, "no-records", message))
        return self.result


def parse(text: str, column_map: Mapping[str, str] | None = None) -> ParseResult:
    """Every RIS record of a file; malformed ones become failures, never exceptions."""
    if "\ufeff" in text:  # files concatenated with their BOMs: "\ufeffTY  - JOUR" mid-file
        text = text.replace("\ufeff", "")
    result = _parse(text, _flavour(text))
    # Every `TY  -` line starts a record or a rejected entry: a shortfall is a bug, and says so.
    starts = text.count("\nTY  -") + text.startswith("TY  -")
    read = len(result.records) + len(result.failures)
    if starts > read:
        result.failures.append(
            Failure(0, f"{starts - read} of {starts} RIS records were lost by the reader (a bug)")
        )
    return result


def _parse(text: str, flavour: str) -> ParseResult:
    reader = _Reader(flavour)
    tags = _TAGS
    # The record being read: each tag's values in order (None between records), the values of
    # the last tag line's tag, the untagged lines that continue its last value, where the
    # record starts, and what names it in a failure (its first non-empty field but TY).
    values: Values | None = None
    bucket: list[str] = []
    extra: list[str] | None = None
    start = 0
    excerpt: str | None = None
    ty_value = ""
    # an Ovid record number inside a record: dropped when a TY line follows, else a value line
    pending: str | None = None
    for index, line in enumerate(iter_lines(text)):
        if pending is not None:
            if not line.startswith("TY"):
                extra = [pending] if extra is None else [*extra, pending]
            pending = None
        if line[2:5] == "  -" and line[:2] in tags:
            tag = line[:2]
            value = line[5:].strip()
        elif "-" in line[2:7] and (match := _LOOSE_TAG.match(line)) is not None:
            tag = match.group(1)
            value = (match.group(2) or "").strip()
        else:
            stripped = line.strip()
            if not stripped:
                continue
            if stripped[0] == "T" and _TY_LIKE.match(line):
                tag, value = "", stripped  # a TY line gone wrong: its entry is rejected
            elif values is None:
                if reader.broken is None and not (
                    _OVID_NUMBER.match(stripped)
                    or stripped.startswith("Link to the Ovid Full Text")
                ):
                    reader.stray_line(index + 1)
                continue
            elif stripped[-1] == "." and _OVID_NUMBER.match(stripped):
                pending = stripped  # Ovid's record number before a TY, after a record without ER
                continue
            elif (glued := _GLUED_TAG.search(stripped) if "  -" in stripped else None) is None:
                if extra is None:
                    extra = [stripped]
                else:
                    extra.append(stripped)
                continue
            else:
                # Scopus cuts a long N1 short and glues the next tag to it: "...American PubUR  - "
                head = stripped[: glued.start()].rstrip()
                if head:
                    if extra is None:
                        extra = [head]
                    else:
                        extra.append(head)
                tag = glued.group(1)
                value = stripped[glued.end() :].strip()
                reader.glued.append(index + 1)
        if extra is not None:  # the last value is complete: join its continuation lines
            bucket[-1] = "\n".join([bucket[-1], *extra]) if bucket[-1] else "\n".join(extra)
            extra = None
        if tag == "TY" or not tag:
            if values is not None:
                reader.missing_end.append(start)
                reader.close(values, start, _excerpt(excerpt, ty_value))
                values = None
            if not tag:
                reader.reject(index + 1, BAD_TY, value)
                continue
            reader.end_rejected()
            bucket = [value]
            values = {"TY": bucket}
            start = index + 1
            excerpt = None
            ty_value = value
        elif values is None:
            reader.outside(tag, value, index + 1)
        elif tag == "ER":
            reader.close(values, start, _excerpt(excerpt, ty_value))
            reader.ended += 1
            values = None
        else:
            if excerpt is None and value:
                excerpt = f"{tag}  - {value}"[:60]
            existing = values.get(tag)
            if existing is None:
                bucket = values[tag] = [value]
            else:
                bucket = existing
                bucket.append(value)
    if pending is not None:
        extra = [pending] if extra is None else [*extra, pending]
    if extra is not None:
        bucket[-1] = "\n".join([bucket[-1], *extra]) if bucket[-1] else "\n".join(extra)
    if values is not None:
        # The last record has no ER: cut off when this exporter ends its records with ER, or
        # when the file stops mid-line; else an exporter that writes no ER at all.
        if reader.ended or not text.endswith("\n"):
            reader.result.failures.append(Failure(start, CUT_OFF, _excerpt(excerpt, ty_value)))
        else:
            reader.missing_end.append(start)
            reader.close(values, start, _excerpt(excerpt, ty_value))
    return reader.finish()


def _excerpt(first_field: str | None, ty_value: str) -> str:
    """What names a record in a failure: its first non-empty field but TY, else its TY."""
    return first_field if first_field is not None else f"TY  - {ty_value}"[:60]


FORMAT = register(
    Format(
        name="ris",
        description=(
            "RIS (.ris) from Scopus, Web of Science, Embase, Ovid, EBSCOhost, ProQuest, "
            "PubMed, IEEE Xplore, ACM, Lens, Dimensions, Zotero, Mendeley, EndNote, ASReview"
        ),
        sniff=sniff,
        parse=parse,
        extensions=("ris", "txt"),
    )
)
