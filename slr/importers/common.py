"""Normalisation every importer shares, applied once per record in one place."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Iterator
from operator import attrgetter
from typing import Any

from slr.models import Record
from slr.normalize import (
    canonical_doi,
    canonical_issn,
    clean_pieces,
    clean_text,
    find_dois,
    split_copyright,
    strip_markup,
)

_NO_ABSTRACT = re.compile(r"^\[?\s*no abstract available\s*\]?\.?$", re.IGNORECASE)
_PAGE_DASH = re.compile(r"\s*(?:--|[–—‐-])\s*")


def _unique(values: list[str], markup: bool = False) -> list[str]:
    """Values cleaned (by strip_markup, with markup) without empty ones or case-insensitive
    repeats, in order."""
    cleaned = clean_pieces(values, markup)
    if cleaned is None:
        clean = strip_markup if markup else clean_text
        cleaned = [clean(value) for value in values]
    kept: dict[str, str] = {}
    for value in cleaned:
        if value:
            kept.setdefault(value.casefold(), value)
    return list(kept.values())


def iter_lines(text: str, keepends: bool = False) -> Iterator[str]:
    """The lines of a text one at a time, split on "\n" only (unlike str.splitlines, which also
    splits on \x1c, \u2028 and others that can sit inside a field); no list of all lines, and
    no io.StringIO, whose buffer takes four bytes a character."""
    return _lines_by_block(text) if not keepends else _lines_with_ends(text)


def _lines_with_ends(text: str) -> Iterator[str]:
    start = 0
    find = text.find
    while True:
        end = find("\n", start)
        if end < 0:
            if start < len(text):
                yield text[start:]
            return
        yield text[start : end + 1]
        start = end + 1


_BLOCK = 1 << 20


def _lines_by_block(text: str) -> Iterator[str]:
    # a block of about a megabyte split at once: the splitting runs in C, memory stays small
    start, size = 0, len(text)
    while start < size:
        end = text.find("\n", start + _BLOCK)
        if end < 0:
            block = text[start:]
            start = size
            if block.endswith("\n"):  # the text's last line ending ends no further line
                block = block[:-1]
        else:
            block = text[start:end]
            start = end + 1
        yield from block.split("\n")


# A cell of a table's header: quoted, or short and free of delimiters and quotes.
_HEADER_CELL = re.compile(r'\s*(?:"[^"]*"|[^",;\t]{1,60})\s*')


def _table_header(line: str) -> bool:
    """A CSV or TSV header: three cells or more, or two with quotes ('"Title","Abstract"')."""
    for delimiter in ",;\t":
        cells = line.split(delimiter)
        if (len(cells) >= 3 or (len(cells) == 2 and '"' in line)) and all(
            _HEADER_CELL.fullmatch(cell) for cell in cells
        ):
            return True
    return False


def opens_with(head: str, line: re.Pattern[str]) -> bool:
    """True when the text's first non-blank line matches `line`, or, unless that line is a
    table's header, most of its non-blank lines do. A tagged format (RIS, MEDLINE, WoS)
    begins as itself or is itself throughout: its tag lines met further on, in a quoted CSV
    cell or an abstract, do not make it so."""
    lines = head.lstrip("\ufeff").split("\n")
    if len(lines) > 1:
        lines.pop()  # the head may end inside a line
    filled = [text for text in lines if text.strip()]
    if not filled:
        return False
    if line.match(filled[0]):
        return True
    if _table_header(filled[0]):
        return False
    return 2 * sum(1 for text in filled if line.match(text)) > len(filled)


def join_pages(start: str | None, end: str | None) -> str:
    start, end = clean_text(start), clean_text(end)
    if start and end and end != start:
        return f"{start}-{end}"
    return start or end


def _clean_pages(pages: str) -> str:
    pages = clean_text(pages)
    if pages.isascii() and " " not in pages and "--" not in pages:  # "597-609": no dash to fix
        return pages.strip("-")
    return _PAGE_DASH.sub("-", pages).strip("-")


def _plain(text: str) -> str:
    """Text without markup, also where HTML was escaped inside JATS (Lens: "<jats:p>&lt;b&gt;")
    and so became tags only once its entities were decoded."""
    plain = strip_markup(text)
    return strip_markup(plain) if "<" in plain else plain


# R's missing value, which synthesisr, revtools and bibliometrix write as text: no title, DOI,
# PMID, page or keyword is legitimately "NA" (a family name "Na" is written so, not in capitals).
_NA = "NA"
_NA_TEXT_FIELDS = (
    "title", "source_title", "volume", "issue", "doi", "pmid", "abstract", "copyright",
    "language", "document_type", "url", "publisher",
)  # fmt: skip
_NA_LIST_FIELDS = ("issn", "isbn", "author_keywords", "index_keywords")


_na_texts = attrgetter(*_NA_TEXT_FIELDS)


def _drop_na(record: Record) -> None:
    # each test is one C-level check: most records hold no NA
    if _NA in _na_texts(record):
        for name in _NA_TEXT_FIELDS:
            if getattr(record, name) == _NA:
                setattr(record, name, "")
    for name in _NA_LIST_FIELDS:
        values = getattr(record, name)
        if values and _NA in values:
            setattr(record, name, [value for value in values if value != _NA])
    if _NA in record.pages:
        record.pages = "-".join(p for p in record.pages.split("-") if p.strip() != _NA)
    if record.authors and any(a.display == _NA for a in record.authors if not a.given):
        record.authors = [a for a in record.authors if a.display != _NA]
    if record.ids and _NA in record.ids.values():
        record.ids = {key: value for key, value in record.ids.items() if value != _NA}


def finish_record(record: Record) -> Record:
    """Canonical forms for a record an importer filled with the export's own values."""
    _drop_na(record)
    record.title = _plain(record.title)
    record.source_title = strip_markup(record.source_title)
    abstract = _plain(record.abstract)
    if len(abstract) < 40 and _NO_ABSTRACT.match(abstract):  # cleaned: no runs of spaces
        abstract = ""
    body, notice = split_copyright(abstract)
    record.abstract = body
    if notice:
        record.copyright = f"{record.copyright} {notice}".strip() if record.copyright else notice
    # (the tests for empty fields save calls on the 100,000 records of a large import)
    record.copyright = clean_text(record.copyright) if record.copyright else ""
    record.doi = canonical_doi(record.doi) if record.doi else ""
    record.pmid = clean_text(record.pmid) if record.pmid else ""
    record.volume = clean_text(record.volume) if record.volume else ""
    record.issue = clean_text(record.issue) if record.issue else ""
    pages = record.pages
    record.pages = _clean_pages(pages) if pages else ""
    issn, isbn = record.issn, record.isbn
    # canonical ISSNs are clean, and upper case: exact repeats are the only ones
    record.issn = list(dict.fromkeys(i for value in issn for i in canonical_issn(value)))
    record.isbn = _unique(isbn) if isbn else []
    author_keywords, index_keywords = record.author_keywords, record.index_keywords
    record.author_keywords = _unique(author_keywords, markup=True) if author_keywords else []
    record.index_keywords = _unique(index_keywords, markup=True) if index_keywords else []
    record.language = clean_text(record.language) if record.language else ""
    record.document_type = clean_text(record.document_type) if record.document_type else ""
    record.url = clean_text(record.url) if record.url else ""
    record.publisher = clean_text(record.publisher) if record.publisher else ""
    if record.ids:
        record.ids = {k: cleaned for k, v in record.ids.items() if (cleaned := clean_text(v))}
    if record.pmid and "pmid" not in record.ids:
        record.ids["pmid"] = record.pmid
    if record.cited_references or record.cited_dois:
        record.cited_references = [r for r in (clean_text(r) for r in record.cited_references) if r]
        dois = [canonical_doi(d) for d in record.cited_dois]
        for reference in record.cited_references:
            dois.extend(find_dois(reference))
        record.cited_dois = list(dict.fromkeys(d for d in dois if d))
    return record


def add_raw(raw: dict[str, Any], key: str, value: Any) -> None:
    """Keep a raw field; a repeated field becomes a list of its values in order."""
    if key in raw:
        current = raw[key]
        if isinstance(current, list):
            current.append(value)
        else:
            raw[key] = [current, value]
    else:
        raw[key] = value


# The accession prefix of each database on the Web of Science platform ("WOS:000...",
# "ZOOREC:ZOOR...") and the flavour that names it; an export may come from any of them.
_WOS_PLATFORM = {
    "WOS": "wos",
    "ZOOREC": "zoorec",
    "BCI": "biosis",
    "BIOSIS": "biosis",
    "DIIDW": "derwent",
    "MEDLINE": "wos-medline",
    "CSCD": "cscd",
    "SCIELO": "scielo",
    "KJD": "kci",
    "RSCI": "rsci",
    "CCC": "current-contents",
    "INSPEC": "inspec",
}


def wos_platform_flavour(accessions: Iterable[str]) -> str:
    """The Web of Science platform database most of a file's accession numbers (UT) name."""
    counts = Counter(
        _WOS_PLATFORM.get(accession.partition(":")[0].strip().upper(), "wos")
        for accession in accessions
        if accession
    )
    return counts.most_common(1)[0][0] if counts else "wos"


# A database as reference managers name it (Zotero's "Library Catalog", EndNote's "Name of
# Database", RefWorks' DB, Ovid's Database line), lower case -> its flavour; the first name
# found in the text decides.
_DATABASE_NAMES = (
    ("scopus", "scopus"),
    ("web of science", "wos"),
    ("web of knowledge", "wos"),
    ("embase", "embase"),
    ("psycinfo", "psycinfo"),
    ("medline", "medline"),
    ("pubmed", "pubmed"),
    ("ebscohost", "ebsco"),
    ("proquest", "proquest"),
    ("ieee xplore", "ieee"),
    ("acm digital library", "acm"),
    ("google scholar", "pop"),
    ("crossref", "crossref"),
    ("openalex", "openalex"),
    ("eric", "eric"),
)


def database_flavour(names: Iterable[str]) -> str:
    """The flavour most of these database names point to ('' when none is known)."""
    counts: Counter[str] = Counter()
    for name in names:
        folded = name.strip().lower()
        for known, flavour in _DATABASE_NAMES:
            if known in folded:
                counts[flavour] += 1
                break
    return counts.most_common(1)[0][0] if counts else ""
