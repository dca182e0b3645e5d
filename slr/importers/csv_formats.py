"""CSV and tab-delimited exports: Scopus, WoS tab-delimited, PubMed, IEEE, Lens, Dimensions,
Publish or Perish, and any other CSV through a column map.

Every format is a TABLE from column header to a record key; one row loop fills a key -> value
dict per row and one builder turns it into a Record, so a format differs only in its table, its
author style and a small post-processing hook. Columns are found by header name, never by
position, so reordered or extended exports keep working.
"""

from __future__ import annotations

import csv
import gc
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache, wraps
from typing import ParamSpec, TypeVar

from slr.importers.asreview import ASREVIEW_LABEL_COLUMNS
from slr.importers.common import (
    add_raw,
    finish_record,
    iter_lines,
    join_pages,
    wos_platform_flavour,
)
from slr.importers.registry import Format, register
from slr.models import Author, Failure, ImportWarning, ParseResult, Record
from slr.normalize import clean_pieces, clean_text, parse_clean_name, parse_name, parse_year
from slr.normalize.words import counted

# Scopus reference lists run past the csv module's default 128 KB field limit.
csv.field_size_limit(2**31 - 1)

EXCERPT = 60

# ---------------------------------------------------------------------------------------------
# Record keys a column can feed. Most are Record fields; the rest are combined by the builder.
# ---------------------------------------------------------------------------------------------
_TEXT_FIELDS = (
    "title",
    "source_title",
    "volume",
    "issue",
    "doi",
    "pmid",
    "abstract",
    "language",
    "document_type",
    "publisher",
)
_LIST_FIELDS = ("author_keywords", "index_keywords", "isbn")
# keys a user may name in a column map (`slr import --map title="Article Title"`)
MAP_KEYS = frozenset(
    (
        *_TEXT_FIELDS,
        *_LIST_FIELDS,
        "authors",
        "year",
        "pages",
        "issn",
        "url",
        "cited_references",
        "page_start",
        "page_end",
    )
)
# keys whose values from several columns are joined with ";" instead of first-wins
_MULTI_KEYS = frozenset(("author_keywords", "index_keywords", "issn", "isbn"))

# ---------------------------------------------------------------------------------------------
# Author styles
# ---------------------------------------------------------------------------------------------
# placeholders that stand for "no author": Scopus, WoS
_NO_AUTHOR = frozenset(("[no author name available]", "[anonymous]"))
_ETAL = frozenset(("et al", "et al.", "et. al.", "...", "…"))
_NOT_NAMES = _NO_AUTHOR | _ETAL


def _is_initials(token: str) -> bool:
    """'T.', 'M.H.', 'K.-C.', 'LAW', 'Ø.': the initials part of a 'Family Initials' name."""
    letters = token.replace(".", "").replace("-", "")
    return 0 < len(letters) <= 4 and letters.isalpha() and letters.isupper()


def _family_initials(name: str) -> Author:
    """'Yagai T.' / 'Li Y' / 'Gemein LAW': exports that always put the family name first."""
    name = clean_text(name)
    if "," not in name and " " in name:
        family, _, given = name.rpartition(" ")
        if _is_initials(given) and family:
            return Author(family, given)
    return parse_name(name)


def _initials_family(name: str) -> Author:
    """'YZ Hsieh' / 'J Guerreiro' (Google Scholar): initials first, the rest is the family."""
    name = clean_text(name).rstrip("…").strip()
    first, _, rest = name.partition(" ")
    if rest and _is_initials(first) and "," not in name:
        return Author(rest, first)
    return parse_name(name)


def _authors(parts: Iterable[str], one: Callable[[str], Author]) -> list[Author]:
    out = []
    for part in parts:
        part = part.strip()
        if part and part.lower() not in _NOT_NAMES:
            author = one(part)
            if author.family or author.literal:
                out.append(author)
    return out


def authors_semicolon(value: str) -> list[Author]:
    """'Hao, Jie (57221302630); High, Robin' / 'A. Hayashi; S. Raj Paul': any style, '; '."""
    names = value.split(";")
    cleaned = clean_pieces(names)  # one check for all the names, not a clean_text call each
    return _authors(names, parse_name) if cleaned is None else _authors(cleaned, parse_clean_name)


def _family_first(name: str) -> Author:
    """Scopus short names always lead with the family name, even 'Janko Wolfgang'."""
    author = _family_initials(name)
    if author.literal or "," in name or not author.given:
        return author
    family, _, given = clean_text(name).rpartition(" ")
    return Author(family, given) if family else author


def _lens_name(name: str) -> Author:
    """Lens writes a missing given name as the word 'null': 'null Neetha Das'."""
    return parse_name(name[5:] if name.startswith("null ") else name)


def authors_lens(value: str) -> list[Author]:
    """Lens `Author/s`: full names, given name first, '; '-separated."""
    return _authors(value.split(";"), _lens_name)


def authors_scopus_short(value: str) -> list[Author]:
    """Scopus `Authors`: 'Hao J.; High R.' (2023) or 'Yagai T., Kimura Y.' (2016)."""
    return _authors(value.split(";" if ";" in value else ","), _family_first)


def authors_pubmed(value: str) -> list[Author]:
    """PubMed CSV 'Gemein LAW, Chrabąszcz P, Ball T.': the final period closes the list."""
    value = value.strip()
    if value.endswith(".") and not value.endswith("et al."):
        value = value[:-1]
    return _authors(value.split(","), _family_initials)


def authors_scholar(value: str) -> list[Author]:
    """Publish or Perish 'YZ Hsieh, SS Lin, C Bernareggi…' (truncated by Google Scholar)."""
    return _authors(value.split(","), _initials_family)


def authors_pipe(value: str) -> list[Author]:
    """OpenAlex's web CSV: full names joined by '|'."""
    return _authors(value.split("|"), parse_name)


# SpringerLink writes its authors' full names with nothing between them ("Jane DoeJohn
# McSmith"): a new name starts where a capital follows a lower-case letter, except after the
# prefixes that are part of one name.
_RUN_TOGETHER = re.compile(
    r"(?<=[a-z\u00df-\u00ff.])(?<!\bMc)(?<!\bMac)(?<!\bDe)(?<!\bLa)(?=[A-Z])"
)


def authors_springer(value: str) -> list[Author]:
    """SpringerLink CSV: full names, given name first, written one after another."""
    return _authors(_RUN_TOGETHER.split(value), parse_name)


# Where a Publish or Perish search ran: the links of its records tell (it queries Google
# Scholar, Scopus, Web of Science, Crossref, OpenAlex, PubMed and Semantic Scholar alike).
_POP_SOURCES = (
    ("scopus", ("scopus.com/",)),
    ("wos", ("webofscience.com/", "webofknowledge.com/", "isiknowledge.com/")),
    ("pubmed", ("pubmed.ncbi.nlm.nih.gov", "ncbi.nlm.nih.gov/pubmed")),
    ("openalex", ("openalex.org/",)),
    ("semantic-scholar", ("semanticscholar.org/",)),
)


def pop_source(records: list[Record]) -> str:
    """The database most of a Publish or Perish file's links point to; Google Scholar when
    no database has the majority (Scholar links to the publishers' pages)."""
    for flavour, markers in _POP_SOURCES:
        linked = sum(1 for r in records if any(m in r.url for m in markers))
        if records and 2 * linked > len(records):
            return flavour
    return "pop"


def authors_generic(value: str) -> list[Author]:
    """An unknown CSV: ';' lists, BibTeX-like ' and ' lists, or comma lists of names."""
    if ";" in value:
        parts = value.split(";")
    elif " and " in value:
        parts = value.split(" and ")
    elif "," in value:
        parts = [p.strip() for p in value.split(",")]
        if not all(" " in p for p in parts if p):
            # 'Smith, John' is one author; 'Smith, J., Doe, K.' are pairs
            parts = (
                [", ".join(parts[i : i + 2]) for i in range(0, len(parts), 2)]
                if len(parts) % 2 == 0
                else parts
            )
    else:
        parts = [value]
    return _authors(parts, parse_name)


# ---------------------------------------------------------------------------------------------
# Cited references
# ---------------------------------------------------------------------------------------------
_PARTICLES = frozenset(
    {
        "van", "von", "de", "der", "den", "del", "della", "di", "da", "du", "dit", "dos", "das",
        "ter", "ten", "la", "le", "al", "el", "op", "mac",
    }
)  # fmt: skip


def _continues(piece: str) -> bool:
    """A '; '-split piece that cannot start a reference: 'emotion, reason, and the human brain'."""
    if not piece[:1].islower():
        return False
    word = piece.split(" ", 1)[0].rstrip(",.")
    lowered = word.lower()
    return not (lowered in _PARTICLES or lowered.startswith(("d'", "d’", "http", "www", "note")))


def split_references(value: str) -> list[str]:
    """Scopus free-text references joined by '; ', a separator that also occurs inside a few
    references ('[Journal Article; Research Support, ...]', 'Descartes' error; emotion, ...').

    A piece is glued back to the previous one only when that one left a '[' open or when the
    piece starts with a lower-case word that is not a name particle ('van', 'de', ...).
    Everything else splits, so a doubtful case yields two references rather than losing one.
    """
    pieces = value.split("; ")
    if len(pieces) == 1:
        return pieces
    brackets = "[" in value
    out: list[str] = []
    depth = 0  # '[' left open by the last reference
    for piece in pieces:
        if out and (depth > 0 or (piece[:1].islower() and _continues(piece))):
            out[-1] = f"{out[-1]}; {piece}"
        else:
            out.append(piece)
            depth = 0
        if brackets:
            depth += piece.count("[") - piece.count("]")
    return out


def split_semicolon(value: str) -> list[str]:
    """WoS CR, Lens References: plain '; ' lists. Not ';': SICI DOIs hold one ('3.0.CO;2-#'),
    and '; ' gives exactly WoS's own reference count (NR) on the real exports."""
    return value.split("; ")


# ---------------------------------------------------------------------------------------------
# Post-processing hooks (format specifics that a table cannot say)
# ---------------------------------------------------------------------------------------------
_ARNUMBER = re.compile(r"arnumber=(\d+)")
# 'Neuroimage. 2020 Oct 15;220:117021. doi: ...' / 'BMC Neurosci. 2016;17 Suppl 1(Suppl 1):54.'
_PUBMED_CITATION = re.compile(r";\s*([^:(;.]*?)\s*(?:\(([^)]*)\))?\s*(?::\s*([^.;\s]+))?\s*\.")


def _post_pubmed(record: Record, values: dict[str, str]) -> None:
    citation = values.get("citation")
    if citation and not (record.volume and record.pages):
        match = _PUBMED_CITATION.search(citation)
        if match:
            record.volume = record.volume or match.group(1) or ""
            record.issue = record.issue or match.group(2) or ""
            record.pages = record.pages or match.group(3) or ""


def _post_ieee(record: Record, values: dict[str, str]) -> None:
    link = values.get("url")
    if link and "arnumber=" in link:
        match = _ARNUMBER.search(link)
        if match:
            record.ids["ieee"] = match.group(1)


def _post_openalex(record: Record, values: dict[str, str]) -> None:
    """OpenAlex's web CSV joins the values of a list with '|'."""
    record.issn = [i for v in record.issn for i in v.split("|")]
    record.author_keywords = [k for v in record.author_keywords for k in v.split("|")]
    if record.pmid.startswith("https://pubmed"):
        record.pmid = record.pmid.rstrip("/").rsplit("/", 1)[-1]


def _post_wos(record: Record, values: dict[str, str]) -> None:
    ut = record.ids.get("wos", "").strip()
    if ut and not ut.upper().startswith("WOS:") and ut.isdigit():
        record.ids["wos"] = f"WOS:{ut}"
    if not record.authors and values.get("group_authors"):
        record.authors = [
            Author(literal=clean_text(v)) for v in values["group_authors"].split(";") if v.strip()
        ]


# ---------------------------------------------------------------------------------------------
# Format specifications
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class CsvSpec:
    """One CSV family member: its column table, how it is recognised and its author style."""

    name: str
    description: str
    flavour: str
    columns: Mapping[str, str]  # column header -> record key
    signature: frozenset[str]  # header columns that all occur in this format and identify it
    extensions: tuple[str, ...] = ("csv",)
    delimiter: str = ","
    authors: Callable[[str], list[Author]] = authors_semicolon
    authors_short: Callable[[str], list[Author]] = authors_semicolon
    references: Callable[[str], list[str]] = split_semicolon
    post: Callable[[Record, dict[str, str]], None] | None = None
    warning: str = ""  # a per-file note when a field is known to be partial (PoP snippets)
    # the flavour decided from the records, when one layout serves several databases
    flavour_of: Callable[[list[Record]], str] | None = None


SCOPUS = CsvSpec(
    name="scopus-csv",
    description="Scopus CSV export (2016 and 2023 layouts)",
    flavour="scopus",
    columns={
        "Author full names": "authors",
        "Authors": "authors_short",
        "Title": "title",
        "Year": "year",
        "Source title": "source_title",
        "Volume": "volume",
        "Issue": "issue",
        "Art. No.": "article_number",
        "Page start": "page_start",
        "Page end": "page_end",
        "DOI": "doi",
        "Link": "url",
        "Abstract": "abstract",
        "Author Keywords": "author_keywords",
        "Index Keywords": "index_keywords",
        "References": "cited_references",
        "Publisher": "publisher",
        "ISSN": "issn",
        "ISBN": "isbn",
        "PubMed ID": "pmid",
        "Language of Original Document": "language",
        "Document Type": "document_type",
        "EID": "ids:eid",
    },
    signature=frozenset(("Title", "Source title", "EID")),
    extensions=("csv", "scopus"),
    authors=authors_semicolon,
    authors_short=authors_scopus_short,
    references=split_references,
)

WOS_TAB = CsvSpec(
    name="wos-tab",
    description="Web of Science tab-delimited (UTF-8 or UTF-16), any Web of Science database",
    flavour="wos",
    columns={
        "AF": "authors",
        "AU": "authors_short",
        "CA": "group_authors",
        "TI": "title",
        "SO": "source_title",
        "PY": "year",
        "EA": "year_fallback",
        "VL": "volume",
        "IS": "issue",
        "BP": "page_start",
        "EP": "page_end",
        "AR": "article_number",
        "DI": "doi",
        "DL": "url",
        "AB": "abstract",
        "DE": "author_keywords",
        "ID": "index_keywords",
        "CR": "cited_references",
        "UT": "ids:wos",
        "SN": "issn",
        "EI": "issn",
        "BN": "isbn",
        "LA": "language",
        "DT": "document_type",
        "PM": "pmid",
        "PU": "publisher",
    },
    signature=frozenset(("PT", "TI", "SO", "UT")),
    extensions=("txt", "tsv", "tab"),
    delimiter="\t",
    post=_post_wos,
    flavour_of=lambda records: wos_platform_flavour(r.ids.get("wos", "") for r in records),
)

PUBMED = CsvSpec(
    name="pubmed-csv",
    description="PubMed CSV export (citation summary, no abstracts)",
    flavour="pubmed",
    columns={
        "PMID": "pmid",
        "Title": "title",
        "Authors": "authors",
        "Citation": "citation",
        "Journal/Book": "source_title",
        "Publication Year": "year",
        "Create Date": "year_fallback",
        "PMCID": "ids:pmcid",
        "DOI": "doi",
    },
    signature=frozenset(("PMID", "Title", "Authors", "Citation", "Journal/Book")),
    authors=authors_pubmed,
    post=_post_pubmed,
)

IEEE = CsvSpec(
    name="ieee-csv",
    description="IEEE Xplore CSV export",
    flavour="ieee",
    columns={
        "Document Title": "title",
        "Authors": "authors",
        "Publication Title": "source_title",
        "Publication Year": "year",
        "Volume": "volume",
        "Issue": "issue",
        "Start Page": "page_start",
        "End Page": "page_end",
        "Abstract": "abstract",
        "ISSN": "issn",
        "ISBNs": "isbn",
        "DOI": "doi",
        "PDF Link": "url",
        "Author Keywords": "author_keywords",
        "IEEE Terms": "index_keywords",
        "INSPEC Controlled Terms": "index_keywords",
        "INSPEC Non-Controlled Terms": "index_keywords",
        "Mesh_Terms": "index_keywords",
        "Publisher": "publisher",
        "Document Identifier": "document_type",
    },
    signature=frozenset(("Document Title", "Publication Title", "PDF Link")),
    post=_post_ieee,
)

LENS = CsvSpec(
    name="lens-csv",
    description="Lens.org scholarly works CSV export",
    flavour="lens",
    columns={
        "Lens ID": "ids:lens",
        "Title": "title",
        "Publication Year": "year",
        "Date Published": "year_fallback",
        "Publication Type": "document_type",
        "Source Title": "source_title",
        "ISSNs": "issn",
        "Publisher": "publisher",
        "Author/s": "authors",
        "Abstract": "abstract",
        "Volume": "volume",
        "Issue Number": "issue",
        "Start Page": "page_start",
        "End Page": "page_end",
        "Keywords": "author_keywords",
        "MeSH Terms": "index_keywords",
        "PMID": "pmid",
        "DOI": "doi",
        "PMCID": "ids:pmcid",
        "External URL": "url",
        "References": "cited_references",
    },
    signature=frozenset(("Lens ID", "Title")),
    authors=authors_lens,
)

DIMENSIONS = CsvSpec(
    name="dimensions-csv",
    description="Dimensions publications CSV export (with or without the 'About the data' line)",
    flavour="dimensions",
    columns={
        "Publication ID": "ids:dimensions",
        "DOI": "doi",
        "PMID": "pmid",
        "PMCID": "ids:pmcid",
        "Title": "title",
        "Abstract": "abstract",
        "Source title": "source_title",
        "Anthology title": "source_fallback",
        "PubYear": "year",
        "Publication date": "year_fallback",
        "Volume": "volume",
        "Issue": "issue",
        "Pagination": "pages",
        "Publication Type": "document_type",
        "Authors": "authors",
        "MeSH terms": "index_keywords",
        "Dimensions URL": "url",
    },
    signature=frozenset(("Publication ID", "Title", "Dimensions URL")),
)

POP = CsvSpec(
    name="pop-csv",
    description="Publish or Perish CSV (Google Scholar and other sources)",
    flavour="pop",
    columns={
        "Authors": "authors",
        "Title": "title",
        "Year": "year",
        "Source": "source_title",
        "Publisher": "publisher",
        "ArticleURL": "url",
        "FullTextURL": "url_fallback",
        "DOI": "doi",
        "ISSN": "issn",
        "Volume": "volume",
        "Issue": "issue",
        "StartPage": "page_start",
        "EndPage": "page_end",
        "Abstract": "abstract",
    },
    signature=frozenset(("Cites", "Authors", "Title", "GSRank")),
    authors=authors_scholar,
    flavour_of=pop_source,
    warning=(
        "abstracts in a Publish or Perish file are search-engine snippets "
        "(cut with '…'), not full abstracts"
    ),
)

SPRINGER = CsvSpec(
    name="springer-csv",
    description="SpringerLink search results CSV",
    flavour="springer",
    columns={
        "Item Title": "title",
        "Publication Title": "source_title",
        "Book Series Title": "source_fallback",
        "Journal Volume": "volume",
        "Journal Issue": "issue",
        "Item DOI": "doi",
        "Authors": "authors",
        "Publication Year": "year",
        "URL": "url",
        "Content Type": "document_type",
    },
    signature=frozenset(("Item Title", "Item DOI", "Content Type")),
    authors=authors_springer,
)

OPENALEX_CSV = CsvSpec(
    name="openalex-csv",
    description="OpenAlex web export CSV (openalex.org, Export > CSV)",
    flavour="openalex",
    columns={
        "id": "ids:openalex",
        "display_name": "title",
        "title": "title",
        "publication_year": "year",
        "publication_date": "year_fallback",
        "doi": "doi",
        "ids.pmid": "pmid",
        "language": "language",
        "type": "document_type",
        "authorships.author.display_name": "authors",
        "primary_location.source.display_name": "source_title",
        "primary_location.source.issn": "issn",
        "primary_location.landing_page_url": "url",
        "biblio.volume": "volume",
        "biblio.issue": "issue",
        "biblio.first_page": "page_start",
        "biblio.last_page": "page_end",
        "keywords.display_name": "author_keywords",
        "abstract": "abstract",
    },
    signature=frozenset(("display_name", "publication_year", "authorships.author.display_name")),
    authors=authors_pipe,
    post=_post_openalex,
)

SPECIFIC = (SCOPUS, WOS_TAB, PUBMED, IEEE, LENS, DIMENSIONS, POP, SPRINGER, OPENALEX_CSV)

# Generic CSV: record key -> accepted column names (compared case- and punctuation-folded),
# in order of preference, like ASReview's readers.
GENERIC_ALIASES: dict[str, tuple[str, ...]] = {
    "title": ("title", "primary title", "article title", "document title", "ti", "t1"),
    "authors": (
        "authors",
        "author",
        "author full names",
        "author names",
        "author s",
        "first authors",
        "creators",
        "au",
        "a1",
    ),
    "year": (
        "year",
        "publication year",
        "pubyear",
        "py",
        "year published",
        "publication date",
        "date",
    ),
    "abstract": ("abstract", "abstract note", "notes abstract", "ab", "n2", "summary"),
    "doi": ("doi", "di", "do"),
    "author_keywords": ("author keywords", "keywords", "kw", "de", "manual tags"),
    "index_keywords": ("index keywords", "mesh terms", "mesh", "keywords plus", "automatic tags"),
    "source_title": (
        "source title",
        "journal",
        "journal book",
        "publication title",
        "secondary title",
        "source",
        "journal name",
        "container title",
        "so",
        "t2",
        "jo",
    ),
    "volume": ("volume", "vol", "vl"),
    "issue": ("issue", "number", "issue number", "is"),
    "pages": ("pages", "pagination", "page range", "pp"),
    "page_start": ("start page", "page start", "startpage", "first page", "bp", "sp"),
    "page_end": ("end page", "page end", "endpage", "last page", "ep"),
    "pmid": ("pmid", "pubmed id", "pm"),
    "issn": ("issn", "issns", "sn"),
    "isbn": ("isbn", "isbns", "bn"),
    "language": ("language", "language of original document", "la", "lang"),
    "document_type": ("document type", "publication type", "item type", "type", "dt"),
    "url": ("url", "link", "article url", "articleurl", "ur"),
    "publisher": ("publisher", "pu"),
    "cited_references": ("references", "cited references", "cr"),
}

GENERIC_DESCRIPTION = (
    "any other CSV or TSV (Zotero, ASReview labelled files ...): columns found by "
    "common names or named with --map field=COLUMN"
)


# ---------------------------------------------------------------------------------------------
# Header reading (shared by sniffers and parsers)
# ---------------------------------------------------------------------------------------------
_PREAMBLE = "About the data"
_DELIMITERS = (",", "\t", ";", "|")


def _line_at(text: str, start: int) -> tuple[str, int]:
    """The line starting at `start` and where the next one starts, without copying the rest."""
    end = text.find("\n", start)
    if end < 0:
        return text[start:], len(text)
    return text[start:end], end + 1


def _split_preamble(head: str) -> tuple[str, str]:
    """(preamble line or '', first header line) for Dimensions' 'About the data: ...' line."""
    first, after = _line_at(head, 0)
    if first.lstrip('"').startswith(_PREAMBLE) or _excel_separator(first):
        return first, _line_at(head, after)[0]
    return "", first


def _excel_separator(line: str) -> str:
    """The delimiter an Excel 'sep=;' first line names, or ''."""
    line = line.strip('"')
    return line[4] if len(line) == 5 and line.startswith("sep=") else ""


@lru_cache(maxsize=32)
def _header_cells(line: str, delimiter: str) -> tuple[str, ...]:
    """Header cells of one line, parsed by the csv module (headers may be partly quoted)."""
    try:
        row = next(csv.reader([line], delimiter=delimiter), [])
    except csv.Error:
        return ()
    return tuple(cell.strip() for cell in row)


_NOT_ALNUM = re.compile(r"[^0-9a-z]+")


def _fold(name: str) -> str:
    """'Abstract Note' / 'notes_abstract' / 'Author/s' -> comparable alias keys."""
    return " ".join(_NOT_ALNUM.sub(" ", name.lower()).split())


def _generic_delimiter(line: str, preamble: str = "") -> tuple[str, tuple[str, ...]]:
    """The delimiter an Excel 'sep=' line names, else the one giving the header most cells."""
    forced = _excel_separator(preamble)
    if forced:
        return forced, _header_cells(line, forced)
    best: tuple[str, tuple[str, ...]] = (",", ())
    if not line:
        return best
    for delimiter in _DELIMITERS:
        if delimiter in line:
            cells = _header_cells(line, delimiter)
            if len(cells) > len(best[1]):
                best = (delimiter, cells)
    return best


def _looks_like_header(cells: tuple[str, ...]) -> bool:
    named = [c for c in cells if c]
    return (
        len(named) >= 2
        and 2 * len(named) >= len(cells)
        and all(len(c) <= 80 and c[0] not in "@<{[%#" for c in named)
    )


# ---------------------------------------------------------------------------------------------
# Sniffers
# ---------------------------------------------------------------------------------------------
def _spec_sniffer(spec: CsvSpec) -> Callable[[str, str], int]:
    def sniff(head: str, file_name: str) -> int:
        """Certain when the header holds this export's signature columns."""
        preamble, line = _split_preamble(head)
        if spec.delimiter not in line:
            return 0
        cells = set(_header_cells(line, spec.delimiter))
        if spec.signature <= cells:
            return 95
        if preamble and spec is DIMENSIONS:
            return 80
        if spec is WOS_TAB and {"PT", "AU", "TI"} <= cells:
            return 85
        return 0

    return sniff


def sniff_generic(head: str, file_name: str) -> int:
    """Low confidence for any table with a header row, so specific formats always win."""
    preamble, line = _split_preamble(head)
    if not line or line.startswith(("TY  -", "PMID-", "FN ", "@", "<", "{", "[")):
        return 0
    delimiter, cells = _generic_delimiter(line, preamble)
    if not _looks_like_header(cells):
        return 0
    folded = {_fold(c) for c in cells}
    if folded & set(GENERIC_ALIASES["title"]):
        return 35
    # no title column: still a table (parse will ask for --map) if the next line agrees
    start = len(preamble) + 1 if preamble else 0
    second = _line_at(head, _line_at(head, start)[1])[0]
    if second and len(_header_cells(second, delimiter)) == len(cells):
        return 31
    return 0


# ---------------------------------------------------------------------------------------------
# Row reading
# ---------------------------------------------------------------------------------------------
def _skipped_note(preamble: str) -> ImportWarning:
    return ImportWarning(1, "skipped-note", f"skipped the export note {_excerpt(preamble)!r}")


def _excerpt(text: str) -> str:
    return " ".join(text.split())[:EXCERPT]


def _ends_inside_quotes(segment: str, delimiter: str) -> bool:
    """True when a CSV text segment ends inside a quoted field (an unterminated quote)."""
    inside = False
    position = 0
    while True:
        quote = segment.find('"', position)
        if quote < 0:
            return inside
        if inside:
            if segment.startswith('""', quote):
                position = quote + 2
                continue
            inside = False
        elif quote == 0 or segment[quote - 1] in (delimiter, "\n"):
            inside = True
        position = quote + 1


def _csv_rows(
    text: str, delimiter: str, skip: int, failures: list[Failure]
) -> Iterator[tuple[int, list[str]]]:
    """(start line, cells) of every non-empty CSV row after `skip` lines; csv errors become
    failures and reading goes on with the next line."""
    stream = iter_lines(text, keepends=True)
    for _ in range(skip):
        next(stream, None)
    reader = csv.reader(stream, delimiter=delimiter)
    done = 0
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            failures.append(Failure(skip + done + 1, f"unreadable CSV row: {error}", ""))
            if reader.line_num <= done:
                return
            done = reader.line_num
            continue
        start = skip + done + 1
        done = reader.line_num
        if any(row):
            yield start, row


def _tab_rows(text: str, skip: int) -> Iterator[tuple[int, list[str]]]:
    """WoS tab-delimited: no quoting at all, one record per line, so a plain split is exact."""
    for number, line in enumerate(iter_lines(text), 1):
        if number > skip and line.strip():
            yield number, line.split("\t")


# ---------------------------------------------------------------------------------------------
# Parsing
# ---------------------------------------------------------------------------------------------
@dataclass(slots=True)
class _Plan:
    """Which column index feeds which record key, for one file's header."""

    header: list[str]
    width: int  # header cells without trailing unnamed ones
    single: list[tuple[int, str]]  # (index, key) for keys fed by one column
    multi: list[tuple[str, tuple[int, ...], bool]]  # (key, indexes, join them) for the others
    id_keys: list[str]
    duplicates: bool


def _make_plan(header: list[str], table: Mapping[str, str]) -> _Plan:
    names = [cell or f"column {i + 1}" for i, cell in enumerate(header)]
    width = len(header)
    while width and not header[width - 1]:
        width -= 1
    position: dict[str, int] = {}
    for index, name in enumerate(header):
        position.setdefault(name, index)
    by_key: dict[str, list[int]] = {}
    for name, key in table.items():
        if name in position:
            by_key.setdefault(key, []).append(position[name])
    single = [(indexes[0], key) for key, indexes in by_key.items() if len(indexes) == 1]
    multi = [
        (key, tuple(indexes), key in _MULTI_KEYS)
        for key, indexes in by_key.items()
        if len(indexes) > 1
    ]
    id_keys = sorted(key for key in by_key if key.startswith("ids:"))
    return _Plan(names, width, single, multi, id_keys, len(set(header)) != len(header))


def _apply_map(
    table: dict[str, str], header: list[str], column_map: Mapping[str, str]
) -> Failure | None:
    """Put the user's field -> column choices over a table; a bad choice fails on line 1."""
    present = set(header)
    for key, column in column_map.items():
        if key not in MAP_KEYS and not key.startswith("ids."):
            names = ", ".join(sorted(MAP_KEYS))
            return Failure(1, f"--map names unknown field {key!r} (fields: {names})", key)
        if column not in present:
            columns = ", ".join(h for h in header if h)
            return Failure(
                1, f"--map {key}={column!r}: no such column (columns: {columns})", _excerpt(column)
            )
    for key, column in column_map.items():
        target = f"ids:{key[4:]}" if key.startswith("ids.") else key
        for name in [n for n, k in table.items() if k == target]:
            del table[name]
        table[column] = target
    return None


def _build(values: dict[str, str], spec: CsvSpec, id_keys: list[str]) -> Record:
    """A Record from one row's key -> value dict, with the export's own values."""
    get = values.get
    record = Record(
        title=get("title", ""),
        source_title=get("source_title") or get("source_fallback", ""),
        volume=get("volume", ""),
        issue=get("issue", ""),
        pages=get("pages")
        or join_pages(get("page_start"), get("page_end"))
        or get("article_number", ""),
        doi=get("doi", ""),
        pmid=get("pmid", ""),
        abstract=get("abstract", ""),
        language=get("language", ""),
        document_type=get("document_type", ""),
        url=get("url") or get("url_fallback", ""),
        publisher=get("publisher", ""),
    )
    year = get("year") or get("year_fallback")
    if year:
        record.year = parse_year(year)
    if "issn" in values:
        record.issn = [values["issn"]]
    if "isbn" in values:
        record.isbn = values["isbn"].split(";")
    if "author_keywords" in values:
        record.author_keywords = values["author_keywords"].split(";")
    if "index_keywords" in values:
        record.index_keywords = values["index_keywords"].split(";")
    if "authors" in values:
        record.authors = spec.authors(values["authors"])
    if not record.authors and "authors_short" in values:
        record.authors = spec.authors_short(values["authors_short"])
    if "cited_references" in values:
        record.cited_references = spec.references(values["cited_references"])
    for key in id_keys:
        if key in values:
            record.ids[key[4:]] = values[key]
    if spec.post is not None:
        spec.post(record, values)
    return record


def _parse_rows(
    rows: Iterable[tuple[int, list[str]]],
    plan: _Plan,
    spec: CsvSpec,
    result: ParseResult,
    delimiter: str,
) -> int:
    """Fill result with a record or a failure per row; returns the start line of the last row."""
    records, failures = result.records, result.failures
    header, width, single, multi, id_keys = (
        plan.header, plan.width, plan.single, plan.multi, plan.id_keys
    )  # fmt: skip
    full = len(header)
    last = 0
    for line, row in rows:
        last = line
        count = len(row)
        if count < width or (count > full and any(row[full:])):
            failures.append(
                Failure(
                    line,
                    f"row has {counted(count, 'field')}, header has {width}",
                    _excerpt(delimiter.join(row)),
                )
            )
            continue
        values = {key: row[index] for index, key in single if row[index]}
        for key, indexes, join in multi:
            parts = [row[index] for index in indexes if row[index]]
            if parts:
                values[key] = ";".join(parts) if join else parts[0]
        record = _build(values, spec, id_keys)
        record.line = line
        if plan.duplicates:
            raw: dict[str, object] = {}
            for name, value in zip(header, row, strict=False):
                if value:
                    add_raw(raw, name, value)
            record.raw = raw
        else:
            record.raw = {name: value for name, value in zip(header, row, strict=False) if value}
        finish_record(record)
        if not (record.title or record.doi or record.authors):
            failures.append(
                Failure(line, "row has no title, DOI or authors", _excerpt(delimiter.join(row)))
            )
            continue
        records.append(record)
    return last


_OPEN_QUOTE = "a quoted field is not closed before the end of the file"
_UNTERMINATED = "unterminated quoted field"
_NO_RECORDS = "the file has a header but no records"


def _check_unterminated(text: str, last: int, result: ParseResult, delimiter: str) -> None:
    """The csv module reads an unclosed quote to the end of the file without complaint."""
    if not last or '"' not in text:
        return
    # start of line `last`: walk back from the end over the newlines of the last row
    newline = len(text)
    for _ in range(text.count("\n") - last + 2):
        newline = text.rfind("\n", 0, newline)
        if newline < 0:
            break
    if not _ends_inside_quotes(text[newline + 1 :], delimiter):
        return
    if result.records and result.records[-1].line == last:
        message = f"{_OPEN_QUOTE}; its record may be cut short"
        result.warnings.append(ImportWarning(last, "cut-short", message))
    elif result.failures and result.failures[-1].line == last:
        failure = result.failures[-1]
        failure.reason = f"{_UNTERMINATED} ({failure.reason})"


_P = ParamSpec("_P")
_R = TypeVar("_R")


def _gc_paused(function: Callable[_P, _R]) -> Callable[_P, _R]:
    """Run a bulk parse with the cyclic GC off: records hold no reference cycles, and with the
    GC on, every few hundred new objects it rescans all records built so far (a third of the
    parse time on a 20,000-row file). The previous GC state is restored afterwards."""

    @wraps(function)
    def paused(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        if not gc.isenabled():
            return function(*args, **kwargs)
        gc.disable()
        try:
            return function(*args, **kwargs)
        finally:
            gc.enable()

    return paused


@_gc_paused
def parse_spec(spec: CsvSpec, text: str, column_map: Mapping[str, str] | None) -> ParseResult:
    """Parse one specific export; never raises on content."""
    result = ParseResult(spec.name, flavour=spec.flavour)
    preamble, line = _split_preamble(text)
    if preamble:
        result.warnings.append(_skipped_note(preamble))
    skip = 2 if preamble else 1
    header = list(_header_cells(line, spec.delimiter)) if line else []
    table = dict(spec.columns)
    if column_map:
        failure = _apply_map(table, header, column_map)
        if failure:
            result.failures.append(failure)
            return result
    if not any(name in table for name in header):
        if header or text.strip():
            expected = ", ".join(list(spec.columns)[:6])
            result.failures.append(
                Failure(
                    skip,
                    f"not a {spec.description}: none of the columns {expected}... found",
                    _excerpt(line),
                )
            )
        return result
    plan = _make_plan(header, table)
    if spec.delimiter == "\t":
        rows = _tab_rows(text, skip)
    else:
        rows = _csv_rows(text, spec.delimiter, skip, result.failures)
    last = _parse_rows(rows, plan, spec, result, spec.delimiter)
    if spec.delimiter != "\t":
        _check_unterminated(text, last, result, spec.delimiter)
    _final_warnings(result, spec, last)
    if spec.flavour_of is not None:
        result.flavour = spec.flavour_of(result.records) or spec.flavour
    return result


def _final_warnings(result: ParseResult, spec: CsvSpec, last: int) -> None:
    if not last:
        result.warnings.append(ImportWarning(0, "no-records", f"{spec.name}: {_NO_RECORDS}"))
    if spec.warning and any(r.abstract for r in result.records):
        result.warnings.append(ImportWarning(0, "vendor-note", spec.warning))


_ZOTERO_COLUMNS = frozenset(("Key", "Item Type", "Abstract Note"))


@_gc_paused
def parse_generic(text: str, column_map: Mapping[str, str] | None) -> ParseResult:
    """Any CSV: columns found by common names, or named by the user's column map."""
    result = ParseResult("csv")
    preamble, line = _split_preamble(text)
    skip = 2 if preamble else 1
    if preamble:
        result.warnings.append(_skipped_note(preamble))
    delimiter, cells = _generic_delimiter(line, preamble)
    header = list(cells)
    if not header:
        return result
    table: dict[str, str] = {}
    folded = {_fold(name): name for name in reversed(header) if name}
    for key, aliases in GENERIC_ALIASES.items():
        for alias in aliases:
            if alias in folded and folded[alias] not in table:
                table[folded[alias]] = key
                break
    if column_map:
        failure = _apply_map(table, header, column_map)
        if failure:
            result.failures.append(failure)
            return result
    if "title" not in table.values():
        columns = ", ".join(h for h in header if h)
        result.failures.append(
            Failure(
                skip,
                f"no title column found (columns: {columns}); name the columns with "
                "--map title=COLUMN (and authors=, year=, abstract=, doi=...)",
                _excerpt(line),
            )
        )
        return result
    if set(header) >= _ZOTERO_COLUMNS:
        result.flavour = "zotero"
    if any(_fold(name) in ASREVIEW_LABEL_COLUMNS for name in header):
        result.flavour = "asreview"  # its labels become decisions: slr/importers/asreview.py
    spec = CsvSpec(
        name="csv",
        description=GENERIC_DESCRIPTION,
        flavour=result.flavour,
        columns=table,
        signature=frozenset(),
        authors=authors_generic,
        authors_short=authors_generic,
    )
    plan = _make_plan(header, table)
    last = _parse_rows(
        _csv_rows(text, delimiter, skip, result.failures), plan, spec, result, delimiter
    )
    _check_unterminated(text, last, result, delimiter)
    _final_warnings(result, spec, last)
    return result


def _spec_parser(spec: CsvSpec) -> Callable[[str, Mapping[str, str] | None], ParseResult]:
    def parse(text: str, column_map: Mapping[str, str] | None = None) -> ParseResult:
        return parse_spec(spec, text, column_map)

    parse.__doc__ = f"Parse a {spec.description}; never raises on content."
    return parse


for _spec in SPECIFIC:
    register(
        Format(
            _spec.name,
            _spec.description,
            _spec_sniffer(_spec),
            _spec_parser(_spec),
            _spec.extensions,
        )
    )
register(
    Format(
        "csv",
        GENERIC_DESCRIPTION,
        sniff_generic,
        parse_generic,
        ("csv", "tsv", "txt"),
    )
)

__all__ = [
    "DIMENSIONS",
    "IEEE",
    "LENS",
    "POP",
    "PUBMED",
    "SCOPUS",
    "SPECIFIC",
    "WOS_TAB",
    "CsvSpec",
    "authors_generic",
    "authors_pubmed",
    "authors_scholar",
    "authors_scopus_short",
    "parse_generic",
    "parse_spec",
    "sniff_generic",
    "split_references",
]
