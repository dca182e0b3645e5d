"""JSON from the OpenAlex and Crossref REST APIs (single works, lists of works, API pages) and
CSL-JSON from reference managers.

JSON carries structure, so fields are read by key rather than guessed; but a file may hold any
JSON at all, so every access goes through small type-checking helpers and a work of the wrong
shape becomes a Failure instead of an exception. The original object is kept as `raw`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import Any

from slr.importers.common import database_flavour, finish_record, join_pages
from slr.importers.registry import Format, register
from slr.models import Author, Failure, ParseResult, Record
from slr.normalize import clean_text, parse_name, parse_year, split_values

_DECODER = json.JSONDecoder()
_SEPARATORS = re.compile(r"[\s,]*")
_TRAILING_DIGITS = re.compile(r"(\d+)/?$")


# --------------------------------------------------------------------------- helpers


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _str(value: Any) -> str:
    """A scalar as text; containers, null and booleans give ''."""
    kind = type(value)
    if kind is str:
        return value
    if kind is int or kind is float:  # not bool
        return str(value)
    return ""


def _first_str(value: Any) -> str:
    """Crossref puts most strings in one-element lists."""
    if isinstance(value, list):
        for item in value:
            text = _str(item)
            if text:
                return text
        return ""
    return _str(value)


def _strs(value: Any) -> list[str]:
    if isinstance(value, list):
        return [t for t in (_str(v) for v in value) if t]
    text = _str(value)
    return [text] if text else []


def _load(text: str, result: ParseResult) -> Any:
    """The decoded JSON, or None after recording one Failure at the error's line/column."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        line_text = text.split("\n", exc.lineno)[exc.lineno - 1] if text else ""
        start = max(0, exc.colno - 30)
        result.failures.append(
            Failure(
                exc.lineno,
                f"not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})",
                line_text[start : start + 60],
            )
        )
    except RecursionError:
        result.failures.append(Failure(1, "JSON nested too deeply to read", text[:60]))
    return None


def _array_lines(text: str, start: int, count: int) -> list[int] | None:
    """1-based line where each element of the JSON array opened at text[start] begins.

    Only worth it for pretty-printed files; returns None if the scan disagrees with `count`.
    """
    pos = start + 1
    line = text.count("\n", 0, pos) + 1
    last = pos
    lines: list[int] = []
    end = len(text)
    while True:
        pos = _SEPARATORS.match(text, pos).end()  # type: ignore[union-attr]
        if pos >= end or text[pos] == "]":
            break
        line += text.count("\n", last, pos)
        last = pos
        lines.append(line)
        try:
            _, pos = _DECODER.raw_decode(text, pos)
        except (ValueError, RecursionError):
            return None
    return lines if len(lines) == count else None


def _element_lines(text: str, items: list[Any], key_pattern: str | None) -> list[int]:
    """Line of each work: exact for pretty-printed arrays, else 1 (one-line files)."""
    count = len(items)
    if "\n" not in text.rstrip():
        return [1] * count
    if key_pattern is None:
        start = len(text) - len(text.lstrip())
    else:
        match = re.search(key_pattern, text)
        start = match.end() - 1 if match else -1
    lines = (
        _array_lines(text, start, count) if start >= 0 and text[start : start + 1] == "[" else None
    )
    return lines or [1] * count


def _parse_works(
    text: str,
    result: ParseResult,
    items: list[Any],
    key_pattern: str | None,
    build: Callable[[dict[str, Any], int], Record | None],
    noun: str,
) -> None:
    lines = _element_lines(text, items, key_pattern)
    for index, (item, line) in enumerate(zip(items, lines, strict=True)):
        where = f"{noun} {index + 1}" if len(items) > 1 else noun
        if not isinstance(item, dict):
            kind = type(item).__name__ if item is not None else "null"
            result.failures.append(
                Failure(line, f"{where} is not a JSON object (a {kind})", json.dumps(item)[:60])
            )
            continue
        try:
            record = build(item, line)
        except (TypeError, ValueError, AttributeError, KeyError, IndexError) as exc:
            result.failures.append(Failure(line, f"{where} is unreadable: {exc}", ""))
            continue
        if record is None:
            excerpt = json.dumps(item, ensure_ascii=False)[:60]
            result.failures.append(Failure(line, f"{where} has no title, DOI or authors", excerpt))
            continue
        result.records.append(record)


# --------------------------------------------------------------------------- OpenAlex


def _openalex_id(value: Any) -> str:
    return _str(value).rstrip("/").rsplit("/", 1)[-1]


def _rebuild_abstract(index: Any) -> str:
    """OpenAlex ships abstracts as {word: [positions]}; put the words back in order."""
    slots: dict[int, str] = {}
    for word, positions in _dict(index).items():
        if type(positions) is list:
            for position in positions:
                if type(position) is int and position >= 0:  # not bool, not float
                    slots[position] = word
    return " ".join(slots[p] for p in sorted(slots))


def _openalex_record(work: dict[str, Any], line: int) -> Record | None:
    record = Record(raw=work, line=line)
    record.title = _str(work.get("title")) or _str(work.get("display_name"))
    for authorship in _list(work.get("authorships")):
        authorship = _dict(authorship)
        name = _str(_dict(authorship.get("author")).get("display_name"))
        name = name or _str(authorship.get("raw_author_name"))
        author = parse_name(name)
        if author.family or author.literal:
            record.authors.append(author)
    record.year = parse_year(work.get("publication_year")) or parse_year(
        _str(work.get("publication_date"))
    )
    primary = _dict(work.get("primary_location"))
    source = _dict(primary.get("source"))
    venue = _dict(work.get("host_venue"))
    record.source_title = _str(source.get("display_name")) or _str(venue.get("display_name"))
    record.issn = _strs(source.get("issn")) or _strs(venue.get("issn"))
    if not record.issn:
        record.issn = _strs(source.get("issn_l")) or _strs(venue.get("issn_l"))
    record.publisher = _str(venue.get("publisher")) or _str(source.get("host_organization_name"))
    biblio = _dict(work.get("biblio"))
    record.volume = _str(biblio.get("volume"))
    record.issue = _str(biblio.get("issue"))
    record.pages = join_pages(_str(biblio.get("first_page")), _str(biblio.get("last_page")))
    ids = _dict(work.get("ids"))
    record.doi = _str(work.get("doi")) or _str(ids.get("doi"))
    pmid = _TRAILING_DIGITS.search(_str(ids.get("pmid")))
    if pmid:
        record.pmid = pmid.group(1)
    pmcid = _TRAILING_DIGITS.search(_str(ids.get("pmcid")))
    if pmcid:
        record.ids["pmcid"] = f"PMC{pmcid.group(1)}"
    openalex = _openalex_id(work.get("id")) or _openalex_id(ids.get("openalex"))
    if openalex:
        record.ids["openalex"] = openalex
    record.abstract = _rebuild_abstract(work.get("abstract_inverted_index"))
    record.cited_references = [
        w for w in (_openalex_id(v) for v in _list(work.get("referenced_works"))) if w
    ]
    record.document_type = _str(work.get("type"))
    record.language = _str(work.get("language"))
    record.url = _str(primary.get("landing_page_url")) or _str(venue.get("url"))
    record.index_keywords = [_str(_dict(m).get("descriptor_name")) for m in _list(work.get("mesh"))]
    if not (record.title or record.doi or record.authors):
        return None
    return finish_record(record)


def parse_openalex(text: str, column_map: Mapping[str, str] | None = None) -> ParseResult:
    """OpenAlex works: a list, an API page {"meta", "results"} or a single work object."""
    del column_map
    result = ParseResult("openalex-json", flavour="openalex")
    data = _load(text, result)
    if data is None:
        return result
    key_pattern = None
    if isinstance(data, list):
        items = data
    elif isinstance(data, dict) and isinstance(data.get("results"), list):
        items = data["results"]
        key_pattern = r'"results"\s*:\s*\['
    elif isinstance(data, dict):
        items = [data]
    else:
        result.failures.append(Failure(1, "JSON holds no OpenAlex work", text.strip()[:60]))
        return result
    _parse_works(text, result, items, key_pattern, _openalex_record, "work")
    return result


# --------------------------------------------------------------------------- Crossref


def _date_year(work: dict[str, Any]) -> int | None:
    for key in ("issued", "published", "published-print", "published-online", "created"):
        parts = _list(_dict(work.get(key)).get("date-parts"))
        if parts:
            first = _list(parts[0])
            if first:
                year = parse_year(first[0] if isinstance(first[0], int) else _str(first[0]))
                if year:
                    return year
    return None


def _crossref_author(person: Any) -> Author | None:
    person = _dict(person)
    family = clean_text(_str(person.get("family")))
    given = clean_text(_str(person.get("given")))
    if family:
        return Author(family, given)
    name = clean_text(_str(person.get("name")))
    if name:
        return Author(literal=name)
    if given:
        return Author(given)
    return None


_REFERENCE_PARTS = (
    "author", "year", "article-title", "volume-title", "series-title", "journal-title",
    "volume", "issue", "first-page",
)  # fmt: skip


def _crossref_reference(reference: dict[str, Any]) -> str:
    """The reference as one string: Crossref's own `unstructured` text or one built from parts."""
    text = _str(reference.get("unstructured"))
    if not text:
        parts = []
        for key in _REFERENCE_PARTS:
            value = reference.get(key)
            if value is not None:
                value = _str(value)
                if value:
                    parts.append(value)
        text = ", ".join(parts)
    doi = _str(reference.get("DOI"))
    if doi and doi.lower() not in text.lower():
        text = f"{text}, DOI {doi}" if text else f"DOI {doi}"
    return text


def _crossref_record(work: dict[str, Any], line: int) -> Record | None:
    record = Record(raw=work, line=line)
    record.title = _first_str(work.get("title"))
    for person in _list(work.get("author")):
        author = _crossref_author(person)
        if author is not None:
            record.authors.append(author)
    record.year = _date_year(work)
    record.source_title = _first_str(work.get("container-title"))
    record.volume = _str(work.get("volume"))
    record.issue = _str(work.get("issue"))
    record.pages = _str(work.get("page"))
    record.doi = _str(work.get("DOI"))
    record.issn = _strs(work.get("ISSN"))
    record.isbn = _strs(work.get("ISBN"))
    record.abstract = _str(work.get("abstract"))
    record.index_keywords = _strs(work.get("subject"))
    record.document_type = _str(work.get("type"))
    record.language = _str(work.get("language"))
    record.publisher = _str(work.get("publisher"))
    record.url = _str(work.get("URL"))
    for reference in _list(work.get("reference")):
        reference = _dict(reference)
        text = _crossref_reference(reference)
        if text:
            record.cited_references.append(text)
        doi = _str(reference.get("DOI"))
        if doi:
            record.cited_dois.append(doi)
    if not (record.title or record.doi or record.authors):
        return None
    return finish_record(record)


def parse_crossref(text: str, column_map: Mapping[str, str] | None = None) -> ParseResult:
    """Crossref works: a /works/{doi} response, a work-list response, a work or a list."""
    del column_map
    result = ParseResult("crossref-json", flavour="crossref")
    data = _load(text, result)
    if data is None:
        return result
    key_pattern = None
    if isinstance(data, dict) and "message" in data:
        message = data["message"]
        if isinstance(message, dict) and isinstance(message.get("items"), list):
            items = message["items"]
            key_pattern = r'"items"\s*:\s*\['
        else:
            items = [message]
    elif isinstance(data, dict) and isinstance(data.get("items"), list):
        items = data["items"]  # a work list saved as its `message`
        key_pattern = r'"items"\s*:\s*\['
    elif isinstance(data, list):
        items = data
    elif isinstance(data, dict):
        items = [data]
    else:
        result.failures.append(Failure(1, "JSON holds no Crossref work", text.strip()[:60]))
        return result
    _parse_works(text, result, items, key_pattern, _crossref_record, "work")
    return result


# ------------------------------------------------------------------------------ CSL-JSON


def _csl_flavour(items: list[Any]) -> str:
    """The database most items name as their catalogue (Zotero's "Library Catalog"); else the
    reference manager."""
    catalogues = (_str(_dict(item).get("source")) for item in items)
    flavour = database_flavour(catalogues)
    if flavour:
        return flavour
    ids = " ".join(_str(_dict(item).get("id")) for item in items[:50])
    return "zotero" if "zotero.org/" in ids else "mendeley" if "mendeley" in ids else "csl"


def _csl_record(item: dict[str, Any], line: int) -> Record | None:
    """A CSL-JSON item: Crossref's field names, with single strings for its lists."""
    record = _crossref_record(item, line)
    if record is None:
        return None
    record.author_keywords = [k for v in _strs(item.get("keyword")) for k in split_values(v, ",")]
    record.index_keywords = []
    record.pmid = _str(item.get("PMID"))
    if _str(item.get("PMCID")):
        record.ids["pmcid"] = _str(item.get("PMCID"))
    return finish_record(record)


def parse_csl(text: str, column_map: Mapping[str, str] | None = None) -> ParseResult:
    """CSL-JSON, as Zotero, Mendeley and citation.js export it: a list of items."""
    del column_map
    result = ParseResult("csl-json")
    data = _load(text, result)
    if data is None:
        return result
    items = data if isinstance(data, list) else [data] if isinstance(data, dict) else []
    if not items:
        result.failures.append(Failure(1, "JSON holds no CSL item", text.strip()[:60]))
        return result
    result.flavour = _csl_flavour(items)
    _parse_works(text, result, items, None, _csl_record, "item")
    return result


# --------------------------------------------------------------------------- sniffing


def _is_json(head: str) -> bool:
    return head.lstrip()[:1] in ("[", "{")


def sniff_openalex(head: str, file_name: str) -> int:
    """OpenAlex: work ids are https://openalex.org/W... URLs."""
    del file_name
    if not _is_json(head) or "openalex.org/W" not in head:
        return 0
    if '"authorships"' in head or '"display_name"' in head or '"publication_year"' in head:
        return 95
    return 60


# The item types only CSL writes (Crossref's are "journal-article", "proceedings-article" ...).
_CSL_TYPE = re.compile(
    r'"type"\s*:\s*"(?:article-journal|article-magazine|article-newspaper|paper-conference|'
    r'chapter|entry-encyclopedia|manuscript|post-weblog|webpage|speech|legal_case|bill)"'
)


def sniff_csl(head: str, file_name: str) -> int:
    """CSL-JSON: a list of items with CSL's own item types and no Crossref envelope."""
    del file_name
    if not _is_json(head) or '"message-type"' in head or "openalex.org/W" in head:
        return 0
    return 96 if _CSL_TYPE.search(head) else 0


def sniff_crossref(head: str, file_name: str) -> int:
    """Crossref: the API envelope, or the upper-case DOI key with Crossref's own keys."""
    del file_name
    if not _is_json(head):
        return 0
    if '"message-type"' in head and '"work' in head:
        return 95
    if '"DOI"' in head and (
        '"container-title"' in head or '"reference-count"' in head or '"issued"' in head
    ):
        return 90
    return 0


register(
    Format(
        "openalex-json",
        "OpenAlex works JSON (API page, list of works or one work)",
        sniff_openalex,
        parse_openalex,
        ("json",),
    )
)
register(
    Format(
        "crossref-json",
        "Crossref REST API JSON (work, work-list, or list of works)",
        sniff_crossref,
        parse_crossref,
        ("json",),
    )
)
register(
    Format(
        "csl-json",
        "CSL-JSON from Zotero, Mendeley, Paperpile, citation.js",
        sniff_csl,
        parse_csl,
        ("json",),
    )
)
