"""Bibliographic XML: PubMed XML (efetch, `PubmedArticleSet`), MODS (`modsCollection`) and
Zotero RDF (`rdf:RDF` with `z:itemType`).

The document is parsed whole with ElementTree (namespaces are declared on its root, so a record
cut out alone would not parse); a malformed document is one failure at its line and column. A
record's line is where its element starts in the text. Namespaces are dropped from the names
(`{http://www.loc.gov/mods/v3}title` is `title`); `raw` holds the record's element flattened
as path -> text, as for EndNote XML.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable, Mapping

from slr.importers.common import database_flavour, finish_record, join_pages
from slr.importers.registry import Format, register
from slr.importers.xml_formats import flatten
from slr.models import Author, Failure, ParseResult, Record
from slr.normalize import canonical_issn, find_dois, parse_year

Element = ET.Element


def _local(element: Element) -> None:
    """Drop the namespaces of an element and everything below it, tags and attributes."""
    for node in element.iter():
        if isinstance(node.tag, str) and "}" in node.tag:
            node.tag = node.tag.rsplit("}", 1)[1]
        if any("}" in name for name in node.attrib):
            node.attrib = {name.rsplit("}", 1)[-1]: v for name, v in node.attrib.items()}


def _text(element: Element | None) -> str:
    return " ".join("".join(element.itertext()).split()) if element is not None else ""


def _texts(elements: Iterable[Element]) -> list[str]:
    return [text for text in map(_text, elements) if text]


def _document(text: str, result: ParseResult) -> Element | None:
    try:
        root = ET.fromstring(text)
    except ET.ParseError as error:
        line, column = getattr(error, "position", (1, 0))
        # lines as XML counts them: a lone CR ends one too
        lines = re.split(r"\r\n|\r|\n", text)
        found = lines[line - 1] if 0 < line <= len(lines) else ""
        excerpt = found[max(0, column - 30) : column + 30]
        reason = f"malformed XML at line {line}, column {column + 1}: {str(error).split(':')[0]}"
        result.failures.append(Failure(line, reason, excerpt.strip()[:60]))
        return None
    _local(root)
    return root


def _line_numbers(text: str, starts: list[int]) -> list[int]:
    """The line of each offset, in increasing order."""
    lines, line, last = [], 1, 0
    for start in starts:
        line += text.count("\n", last, start)
        last = start
        lines.append(line)
    return lines


def _lines(text: str, pattern: str, count: int) -> list[int]:
    """The line each of `count` records starts on, found by its start tag (0 if unsure)."""
    starts = [m.start() for m in re.finditer(pattern, text)]
    return _line_numbers(text, starts) if len(starts) == count else [0] * count


def _collect(
    result: ParseResult,
    elements: list[Element],
    lines: list[int],
    build: Callable[[Element, int], Record],
) -> None:
    for element, line in zip(elements, lines, strict=True):
        record = build(element, line)
        if record.title or record.doi or record.authors:
            result.records.append(record)
        else:
            excerpt = " ".join(_text(element).split())[:60]
            result.failures.append(Failure(line, "record has no title, DOI or authors", excerpt))


# --------------------------------------------------------------------------------- PubMed


def _pubmed_author(author: Element) -> Author | None:
    collective = _text(author.find("CollectiveName"))
    if collective:
        return Author(literal=collective)
    family = _text(author.find("LastName"))
    given = _text(author.find("ForeName")) or _text(author.find("Initials"))
    return Author(family, given) if family else None


def _pubmed_record(article: Element, line: int) -> Record:
    citation = article.find("MedlineCitation")
    if citation is None:  # a PubmedBookArticle
        citation = article.find("BookDocument")
    cited = citation if citation is not None else article
    paper = cited.find("Article")
    body = paper if paper is not None else cited
    record = Record(raw=flatten(article), line=line)
    record.title = _text(body.find("ArticleTitle")) or _text(body.find(".//BookTitle"))
    authors = (_pubmed_author(a) for a in body.findall("AuthorList/Author"))
    record.authors = [a for a in authors if a is not None]
    journal = body.find("Journal")
    if journal is not None:
        record.source_title = _text(journal.find("Title")) or _text(journal.find("ISOAbbreviation"))
        record.volume = _text(journal.find("JournalIssue/Volume"))
        record.issue = _text(journal.find("JournalIssue/Issue"))
        date = journal.find("JournalIssue/PubDate")
        record.year = parse_year(_text(date.find("Year") if date is not None else None))
        record.year = record.year or parse_year(_text(date))
        record.issn = _texts(journal.findall("ISSN"))
    record.year = record.year or parse_year(_text(body.find(".//PubDate")))
    record.pages = _text(body.find("Pagination/MedlinePgn"))
    sections = []
    for part in body.findall("Abstract/AbstractText"):
        label = part.get("Label", "")
        sections.append(f"{label}: {_text(part)}" if label else _text(part))
    record.abstract = " ".join(s for s in sections if s)
    record.pmid = _text(cited.find("PMID"))
    ids = {i.get("IdType", ""): _text(i) for i in article.findall(".//ArticleIdList/ArticleId")}
    locations = {e.get("EIdType", ""): _text(e) for e in body.findall("ELocationID")}
    record.doi = locations.get("doi") or ids.get("doi", "")
    if ids.get("pmc"):
        record.ids["pmcid"] = ids["pmc"]
    record.language = _text(body.find("Language"))
    record.document_type = _text(body.find("PublicationTypeList/PublicationType"))
    record.author_keywords = _texts(cited.findall("KeywordList/Keyword"))
    record.index_keywords = _texts(cited.findall("MeshHeadingList/MeshHeading/DescriptorName"))
    return finish_record(record)


def parse_pubmed(text: str, column_map: Mapping[str, str] | None = None) -> ParseResult:
    """Every PubmedArticle (and PubmedBookArticle) of an efetch XML file."""
    del column_map
    result = ParseResult("pubmed-xml", flavour="pubmed")
    root = _document(text, result)
    if root is not None:
        articles = [e for e in root if e.tag in ("PubmedArticle", "PubmedBookArticle")]
        lines = _lines(text, r"<Pubmed(?:Book)?Article[\s>]", len(articles))
        _collect(result, articles, lines, _pubmed_record)
    return result


def sniff_pubmed(head: str, file_name: str) -> int:
    del file_name
    return 95 if "<PubmedArticleSet" in head or "<PubmedArticle>" in head else 0


# ----------------------------------------------------------------------------------- MODS


def _mods_title(element: Element) -> str:
    info = element.find("titleInfo")
    if info is None:
        return ""
    title, subtitle = _text(info.find("title")), _text(info.find("subTitle"))
    return f"{title}: {subtitle}" if subtitle else title


def _mods_author(name: Element) -> Author | None:
    roles = {_text(r).lower() for r in name.findall("role/roleTerm")}
    if roles and not roles & {"author", "aut", "creator", "cre"}:
        return None  # an editor, a thesis adviser ...
    parts = {p.get("type", ""): _text(p) for p in name.findall("namePart")}
    if name.get("type") == "corporate":
        return Author(literal=" ".join(parts.values()))
    if parts.get("family"):
        return Author(parts["family"], parts.get("given", ""))
    return Author(literal=parts[""]) if parts.get("") else None


def _mods_record(mods: Element, line: int) -> Record:
    record = Record(raw=flatten(mods), line=line)
    record.title = _mods_title(mods)
    authors = (_mods_author(n) for n in mods.findall("name"))
    record.authors = [a for a in authors if a is not None]
    host = mods.find("relatedItem[@type='host']")
    part = mods.find("part")
    if host is not None:
        record.source_title = _mods_title(host)
        part = host.find("part") if host.find("part") is not None else part
    dates = _texts(mods.findall("originInfo/dateIssued"))
    if host is not None:
        dates += _texts(host.findall("originInfo/dateIssued"))
    if part is not None:
        record.volume = _text(part.find("detail[@type='volume']/number"))
        record.issue = _text(part.find("detail[@type='issue']/number"))
        record.pages = join_pages(
            _text(part.find("extent[@unit='page']/start")),
            _text(part.find("extent[@unit='page']/end")),
        ) or _text(part.find("extent[@unit='pages']/list"))
        dates += _texts(part.findall("date"))
    record.year = next((y for y in map(parse_year, dates) if y), None)
    record.abstract = _text(mods.find("abstract"))
    record.author_keywords = _texts(mods.findall("subject/topic"))
    identifiers = list(mods.iter("identifier"))
    for identifier in identifiers:
        kind, value = identifier.get("type", "").lower(), _text(identifier)
        if kind == "doi":
            record.doi = record.doi or value
        elif kind == "issn":
            record.issn.append(value)
        elif kind == "isbn":
            record.isbn.append(value)
        elif kind == "pmid":
            record.pmid = value
    record.language = _text(mods.find("language/languageTerm"))
    record.document_type = _text(mods.find("genre"))
    record.url = _text(mods.find("location/url"))
    record.publisher = _text(mods.find("originInfo/publisher"))
    return finish_record(record)


def parse_mods(text: str, column_map: Mapping[str, str] | None = None) -> ParseResult:
    """Every <mods> record of a MODS collection (or a single <mods> document)."""
    del column_map
    result = ParseResult("mods-xml", flavour="mods")
    root = _document(text, result)
    if root is not None:
        records = [root] if root.tag == "mods" else root.findall("mods")
        _collect(result, records, _lines(text, r"<(?:\w+:)?mods[\s>]", len(records)), _mods_record)
    return result


def sniff_mods(head: str, file_name: str) -> int:
    del file_name
    if "<modsCollection" in head or "www.loc.gov/mods/v3" in head:
        return 95
    return 0


# ----------------------------------------------------------------------------- Zotero RDF

_NOT_ITEMS = frozenset(("attachment", "note"))


def _zotero_container(item: Element, containers: dict[str, Element]) -> Element | None:
    part = item.find("isPartOf")
    if part is None:
        return None
    nested = next(iter(part), None)
    return nested if nested is not None else containers.get(part.get("resource", ""))


def _zotero_people(item: Element, role: str) -> list[Author]:
    people = []
    for person in item.findall(f"{role}/Seq/li/Person"):
        family, given = _text(person.find("surname")), _text(person.find("givenName"))
        if family:
            people.append(Author(family, given))
    return people


def _zotero_record(item: Element, line: int, containers: dict[str, Element]) -> Record:
    record = Record(raw=flatten(item), line=line)
    record.title = _text(item.find("title"))
    record.authors = _zotero_people(item, "authors") or _zotero_people(item, "contributors")
    record.year = parse_year(_text(item.find("date")))
    record.abstract = _text(item.find("abstract"))
    record.volume = _text(item.find("volume"))
    record.issue = _text(item.find("number"))
    record.pages = _text(item.find("pages"))
    record.language = _text(item.find("language"))
    record.document_type = _text(item.find("itemType"))
    record.author_keywords = _texts(item.findall("subject"))
    for identifier in item.findall("identifier"):
        value = _text(identifier)
        if value.upper().startswith("DOI"):
            record.doi = record.doi or next(iter(find_dois(value)), "")
        elif value.upper().startswith("ISBN"):
            record.isbn.append(value[4:].strip())
        elif "://" in value:
            record.url = record.url or value
    container = _zotero_container(item, containers)
    if container is not None:
        record.source_title = _text(container.find("title"))
        record.volume = record.volume or _text(container.find("volume"))
        record.issue = record.issue or _text(container.find("number"))
        for value in _texts(container.findall("identifier")):
            record.issn += canonical_issn(value)
            record.doi = record.doi or next(iter(find_dois(value)), "")
    publisher = item.find("publisher/Organization/name")
    record.publisher = _text(publisher)
    return finish_record(record)


def parse_zotero_rdf(text: str, column_map: Mapping[str, str] | None = None) -> ParseResult:
    """Every item of a Zotero RDF export; notes and attachments are not records."""
    del column_map
    result = ParseResult("zotero-rdf", flavour="zotero")
    root = _document(text, result)
    if root is None:
        return result
    containers = {e.get("about", ""): e for e in root if e.find("itemType") is None}
    items = [e for e in root if _text(e.find("itemType")) not in _NOT_ITEMS | {""}]
    # an item starts where its rdf:about is (items are in file order); 0 when it has none
    starts, position = [], 0
    for item in items:
        found = text.find(f'about="{item.get("about", "")}"', position) if item.get("about") else -1
        starts.append(found if found >= 0 else position)
        position = max(position, found)
    lines = _line_numbers(text, starts)
    _collect(result, items, lines, lambda e, n: _zotero_record(e, n, containers))
    catalogues = [_text(e.find("libraryCatalog")) for e in items]
    result.flavour = database_flavour(catalogues) or "zotero"
    return result


def sniff_zotero_rdf(head: str, file_name: str) -> int:
    del file_name
    if "<rdf:RDF" in head and "zotero.org/namespaces/export" in head:
        return 95
    return 0


register(
    Format(
        "pubmed-xml", "PubMed XML (efetch PubmedArticleSet)", sniff_pubmed, parse_pubmed, ("xml",)
    )
)
register(
    Format(
        "mods-xml",
        "MODS XML (Library of Congress; Zotero, Mendeley, library catalogues)",
        sniff_mods,
        parse_mods,
        ("xml",),
    )
)
register(Format("zotero-rdf", "Zotero RDF export", sniff_zotero_rdf, parse_zotero_rdf, ("rdf",)))
