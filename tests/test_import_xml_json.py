"""EndNote XML, OpenAlex and Crossref JSON importers: real files, quirks, bad input, fuzzing."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from slr.importers import parse_text, read_file
from slr.importers.json_formats import (
    parse_crossref,
    parse_openalex,
    sniff_crossref,
    sniff_openalex,
)
from slr.importers.xml_formats import parse as parse_endnote
from slr.importers.xml_formats import sniff as sniff_endnote
from slr.models import Author, ParseResult, Record

REAL_FILES = [
    ("endnote-xml/blue-light.xml", "endnote-xml", "endnote"),
    ("openalex/works_0_25.json", "openalex-json", "openalex"),
    ("crossref-json/10.1177_02683962211048201.json", "crossref-json", "crossref"),
    ("crossref-json/10.17705_1cais.04607.json", "crossref-json", "crossref"),
    ("crossref-json/10.2196_22081.json", "crossref-json", "crossref"),
]

_CACHE: dict[Path, ParseResult] = {}


def _import(path: Path, format_name: str) -> ParseResult:
    if path not in _CACHE:
        imported = read_file(path)
        assert imported.format.name == format_name
        _CACHE[path] = imported.result
    return _CACHE[path]


def _expected_count(real_exports: Path, relative: str) -> int:
    with (real_exports / "MANIFEST.csv").open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            if row["path"] == relative:
                return int(row["records"])
    raise AssertionError(f"{relative} is not in MANIFEST.csv")


@pytest.mark.parametrize(("relative", "format_name", "flavour"), REAL_FILES)
def test_real_file_counts_format_and_flavour(
    real_exports: Path, relative: str, format_name: str, flavour: str
):
    result = _import(real_exports / relative, format_name)
    assert len(result.records) == _expected_count(real_exports, relative)
    assert result.failures == []
    assert result.flavour == flavour
    assert all(r.line == 1 for r in result.records)  # all these files are single lines


# Checked by eye against the files: title, first author, year, DOI, start of abstract.
EYE_CHECKED = [
    (
        "endnote-xml/blue-light.xml",
        0,
        "Formulation of Herbal Gel of Antirrhinum majus Extract and Evaluation of its "
        "Anti-Propionibacterium acne Effects",
        Author("Shahtalebi", "M. A."),
        2018,
        "10.4103/abr.abr_99_17",
        "BACKGROUND: Antirrhinum majus contains aurone with excellent antibacterial",
    ),
    (
        "endnote-xml/blue-light.xml",
        101,
        "Proton magic angle spinning NMR reveals new features in photodynamically treated bacteria",
        Author("Johansen", "Y."),
        2003,
        "10.1515/znc-2003-5-619",
        "The bacterium Propionibacterium acnes is light-sensitive due to porphyri",
    ),
    (
        "openalex/works_0_25.json",
        0,
        "Rayyan—a web and mobile app for systematic reviews",
        Author("Ouzzani", "Mourad"),
        2016,
        "10.1186/s13643-016-0384-4",
        "Synthesis of multiple randomized controlled trials (RCTs) in a systematic review",
    ),
    (
        "openalex/works_0_25.json",
        24,
        "Characterization of a Novel Human Factor VIIa Chimera with Increased Tissue "
        "Factor-Independent Activity for Emergency Hemostasis",
        Author("Fager", "Ammon M."),
        2019,
        "10.1182/blood-2019-124428",
        "While prophylactic treatment with emicizumab has shown remarkable efficacy",
    ),
    (
        "crossref-json/10.1177_02683962211048201.json",
        0,
        "Artificial intelligence and the conduct of literature reviews",
        Author("Wagner", "Gerit"),
        2021,
        "10.1177/02683962211048201",
        "Artificial intelligence (AI) is beginning to transform traditional research",
    ),
    (
        "crossref-json/10.2196_22081.json",
        0,
        "Investigating Patients’ Intention to Continue Using Teleconsultation to Anticipate "
        "Postcrisis Momentum: Survey Study",
        Author("Grenier Ouimet", "Antoine"),
        2020,
        "10.2196/22081",
        "Background The COVID-19 crisis has drastically changed care delivery",
    ),
    (
        "crossref-json/10.17705_1cais.04607.json",
        0,
        "A Knowledge Development Perspective on Literature Reviews: Validation of a new "
        "Typology in the IS Field",
        Author("Schryen", "Guido"),
        2021,
        "10.17705/1cais.04607",
        "",
    ),
]


@pytest.mark.parametrize(
    ("relative", "index", "title", "first_author", "year", "doi", "abstract"), EYE_CHECKED
)
def test_real_records_checked_by_eye(
    real_exports: Path,
    relative: str,
    index: int,
    title: str,
    first_author: Author,
    year: int,
    doi: str,
    abstract: str,
):
    format_name = next(f for r, f, _ in REAL_FILES if r == relative)
    record = _import(real_exports / relative, format_name).records[index]
    assert record.title == title
    assert record.authors[0] == first_author
    assert record.year == year
    assert record.doi == doi
    assert record.abstract.startswith(abstract)
    if not abstract:
        assert record.abstract == ""


# --------------------------------------------------------------------------- EndNote XML


def _endnote(real_exports: Path) -> ParseResult:
    return _import(real_exports / "endnote-xml/blue-light.xml", "endnote-xml")


def test_endnote_fields(real_exports: Path):
    record = _endnote(real_exports).records[0]
    assert record.source_title == "Adv Biomed Res"
    assert (record.volume, record.pages) == ("7", "53")
    assert record.pmid == "29657938"  # accession-num, remote-database-provider NLM
    assert record.ids == {"pmid": "29657938", "pmcid": "PMC5887696", "endnote": "895"}
    assert record.document_type == "Journal Article"  # ref-type name attribute
    assert record.author_keywords == [
        "Acne",
        "Antirrhinum majus",
        "Propionibacterium acnes",
        "blue light",
    ]
    assert record.language == "eng"
    # every original element under its path, attributes included (the UNC path too)
    assert record.raw["ref-type"] == "17"
    assert record.raw["database@path"].startswith("\\\\staff.ad.bond.edu.au\\")
    assert len(record.raw["contributors/authors/author"]) == 5


def test_endnote_carriage_return_separated_values(real_exports: Path):
    records = _endnote(real_exports).records
    first = records[0]
    assert first.raw["isbn"] == "2277-9175 (Print)\r2277-9175"
    assert first.issn == ["2277-9175"]
    assert first.isbn == []
    assert records[101].issn == ["0939-5075", "0341-0382"]
    assert records[77].language == "eng; ger"
    assert "\r" in first.raw["notes"]


def test_endnote_missing_dois_and_special_letters(real_exports: Path):
    records = _endnote(real_exports).records
    assert sum(1 for r in records if not r.doi) == 30
    assert sum(1 for r in records if r.abstract) == 98
    assert "0.25 μg/ml" in records[0].abstract
    assert Author("Błońska-Fajfrowska", "B.") in records[45].authors
    assert all("\xa0" not in r.abstract for r in records)
    assert records[19].doi == ""
    assert records[19].title.startswith("[Therapy of acne with visible light.")


_ENDNOTE_RECORD = (
    "<record><rec-number>{n}</rec-number>"
    '<ref-type name="Journal Article">17</ref-type>'
    "<contributors><authors><author>Doe, J.</author></authors></contributors>"
    "<titles><title><style>Title </style><style>{n}</style></title></titles>"
    "<dates><year>2001</year></dates>"
    "<electronic-resource-num>10.1234/e.{n}</electronic-resource-num></record>"
)


def test_endnote_malformed_record_among_good_ones_pretty_printed():
    good = [_ENDNOTE_RECORD.replace("{n}", str(n)) for n in (1, 2, 4)]
    bad = "<record><titles><title>Broken & unescaped</title></titles></record>"
    text = (
        "<?xml version='1.0'?>\n<xml>\n<records>\n"
        + "\n".join([good[0], good[1], bad, good[2]])
        + "\n</records>\n</xml>\n"
    )
    result = parse_endnote(text, None)
    assert [(r.title, r.line) for r in result.records] == [
        ("Title 1", 4),
        ("Title 2", 5),
        ("Title 4", 7),
    ]
    (failure,) = result.failures
    assert failure.line == 6
    assert failure.reason.startswith("record 3: malformed XML at line 6, column ")
    assert result.records[0].authors == [Author("Doe", "J.")]
    assert result.records[0].doi == "10.1234/e.1"


def test_endnote_one_bad_record_among_a_thousand():
    records = [_ENDNOTE_RECORD.replace("{n}", str(n)) for n in range(1000)]
    records[600] = records[600].replace("</title>", "", 1)  # mismatched tag
    text = "<xml>\n<records>\n" + "\n".join(records) + "\n</records>\n</xml>"
    result = parse_endnote(text, None)
    assert len(result.records) == 999
    (failure,) = result.failures
    assert failure.line == 603
    assert failure.reason.startswith("record 601: malformed XML at line 603, column ")
    assert result.records[600].title == "Title 601"
    assert result.records[600].line == 604


def test_endnote_truncated_file():
    text = "<xml><records>" + _ENDNOTE_RECORD.replace("{n}", "1") + "<record><titles><tit"
    result = parse_endnote(text, None)
    assert [r.title for r in result.records] == ["Title 1"]
    (failure,) = result.failures
    assert failure.line == 1
    assert "record 2" in failure.reason and "</record>" in failure.reason


def test_endnote_record_without_content_and_garbage():
    result = parse_endnote("<xml><records><record><notes>x</notes></record></records></xml>", None)
    assert result.records == []
    assert "no title, DOI or authors" in result.failures[0].reason
    assert parse_endnote("", None).failures == []
    broken = parse_endnote("<xml><oops></xml>", None)
    assert broken.records == [] and len(broken.failures) == 1
    assert sniff_endnote("just some text", "a.xml") == 0
    assert sniff_endnote("<xml><records><record><rec-number>1", "a.xml") == 95


# --------------------------------------------------------------------------- OpenAlex


def _openalex(real_exports: Path) -> list[Record]:
    return _import(real_exports / "openalex/works_0_25.json", "openalex-json").records


def test_openalex_fields(real_exports: Path):
    record = _openalex(real_exports)[0]
    assert record.ids == {"openalex": "W2560438049", "pmid": "27919275", "pmcid": "PMC5139140"}
    assert record.pmid == "27919275"  # from the pubmed URL
    assert record.source_title == "Systematic Reviews"
    assert (record.volume, record.issue, record.pages) == ("5", "1", "")
    assert record.issn == ["2046-4053"]
    assert record.document_type == "journal-article"
    assert record.language == ""  # null in this 2023 file
    assert record.publisher == "Springer Science+Business Media"
    assert record.url == "https://doi.org/10.1186/s13643-016-0384-4"
    assert record.cited_references[:2] == ["W168362576", "W1515587277"]
    assert "Internet" in record.index_keywords  # MeSH; concepts are left out
    assert "Usability" not in record.index_keywords
    assert record.raw["id"] == "https://openalex.org/W2560438049"  # the original object
    assert _openalex(real_exports)[1].pages == "2044-2053"


def test_openalex_abstract_rebuilt_in_word_order(real_exports: Path):
    records = _openalex(real_exports)
    assert all(r.abstract for r in records)
    raw_index = records[0].raw["abstract_inverted_index"]
    words = records[0].abstract.split(" ")
    assert len(words) == 1 + max(p for positions in raw_index.values() for p in positions)
    assert words[:6] == ["Synthesis", "of", "multiple", "randomized", "controlled", "trials"]


def test_openalex_referenced_works(real_exports: Path):
    records = _openalex(real_exports)
    assert sum(1 for r in records if r.cited_references) == 14
    assert sum(len(r.cited_references) for r in records) == 757
    assert all(ref.startswith("W") for r in records for ref in r.cited_references)


def _work(n: int, **extra: object) -> dict[str, object]:
    work: dict[str, object] = {
        "id": f"https://openalex.org/W{n}",
        "display_name": f"Work {n}",
        "publication_year": 2020,
        "authorships": [{"author": {"display_name": "Ada Lovelace"}}],
        "host_venue": {"display_name": "Old Venue", "issn": ["1234-5678"], "publisher": "P"},
        "abstract_inverted_index": {"b": [1], "a": [0], "c": [2, 4], "d": [3]},
    }
    work.update(extra)
    return work


def test_openalex_api_page_single_work_and_2023_host_venue():
    page = json.dumps({"meta": {"count": 2}, "results": [_work(1), _work(2)]}, indent=2)
    result = parse_openalex(page, None)
    assert [r.ids["openalex"] for r in result.records] == ["W1", "W2"]
    first = result.records[0]
    assert first.title == "Work 1"  # display_name when there is no title
    assert first.source_title == "Old Venue"  # 2023 host_venue
    assert first.issn == ["1234-5678"]
    assert first.abstract == "a b c d c"
    assert first.authors == [Author("Lovelace", "Ada")]
    # pretty-printed: each work's own line
    lines = page.split("\n")
    assert [lines[r.line - 1].strip() for r in result.records] == ["{", "{"]
    assert result.records[0].line < result.records[1].line
    single = parse_openalex(json.dumps(_work(7)), None)
    assert [r.ids["openalex"] for r in single.records] == ["W7"]


def test_openalex_bad_elements_and_invalid_json():
    text = json.dumps([_work(1), 42, {"id": "x"}, _work(4)], indent=1)
    result = parse_openalex(text, None)
    assert [r.ids["openalex"] for r in result.records] == ["W1", "W4"]
    assert [f.reason for f in result.failures] == [
        "work 2 is not a JSON object (a int)",
        "work 3 has no title, DOI or authors",
    ]
    lines = text.split("\n")
    assert lines[result.failures[0].line - 1].strip() == "42,"
    broken = parse_openalex('[\n  {"id": "https://openalex.org/W1",\n  "title": "x" oops}\n]', None)
    assert broken.records == []
    (failure,) = broken.failures
    assert failure.line == 3
    assert failure.reason.startswith("not valid JSON: Expecting ',' delimiter (line 3, column 16)")
    assert parse_openalex('"just a string"', None).failures[0].reason == (
        "JSON holds no OpenAlex work"
    )


@pytest.mark.parametrize("which", ["openalex", "crossref"])
def test_json_one_bad_element_among_a_thousand(which: str):
    make, parse = (
        (_work, parse_openalex) if which == "openalex" else (_crossref_work, parse_crossref)
    )
    items: list[object] = [make(n) for n in range(1000)]
    items[700] = ["not", "a", "work"]
    text = json.dumps(items, indent=2)
    result = parse(text, None)
    assert len(result.records) == 999
    (failure,) = result.failures
    assert failure.reason == "work 701 is not a JSON object (a list)"
    assert text.split("\n")[failure.line - 1] == "  ["
    assert text.split("\n")[failure.line] == '    "not",'


def test_openalex_wrong_types_do_not_raise():
    odd = _work(
        3,
        authorships=["Ann", {"author": None}, {"raw_author_name": "Bob Brown"}],
        biblio=[],
        ids="nope",
        referenced_works=[None, 5, "https://openalex.org/W9"],
        abstract_inverted_index={"w": [True, -1, "x", 0]},
        primary_location={"source": None},
        mesh=[{"descriptor_name": "Humans"}, None],
    )
    (record,) = parse_openalex(json.dumps([odd]), None).records
    assert record.authors == [Author("Brown", "Bob")]
    assert record.cited_references == ["5", "W9"]
    assert record.abstract == "w"
    assert record.index_keywords == ["Humans"]


# --------------------------------------------------------------------------- Crossref


def _crossref(real_exports: Path, name: str) -> Record:
    path = real_exports / "crossref-json" / name
    return _import(path, "crossref-json").records[0]


def test_crossref_fields_and_references(real_exports: Path):
    record = _crossref(real_exports, "10.1177_02683962211048201.json")
    assert record.source_title == "Journal of Information Technology"
    assert (record.volume, record.issue, record.pages) == ("37", "2", "209-226")
    assert record.issn == ["0268-3962", "1466-4437"]
    assert record.publisher == "SAGE Publications"
    assert record.language == "en"
    assert record.document_type == "journal-article"
    assert record.url == "http://dx.doi.org/10.1177/02683962211048201"
    assert record.index_keywords[0] == "Library and Information Sciences"  # subject
    assert record.authors[2] == Author("Paré", "Guy")
    assert "<jats" not in record.abstract and record.abstract.endswith(".")
    assert len(record.cited_references) == 120  # one per `reference` element
    assert len(record.cited_dois) == 88  # the DOI keys
    assert record.cited_references[0] == "DOI 10.1111/jebm.12072"
    assert record.cited_references[1] == (
        "Alter S, 2005, Communications of the Association for Information Systems, 15, 1, 1"
    )
    assert record.raw["reference-count"] == 120


def test_crossref_structured_jats_abstract_and_organisation_author(real_exports: Path):
    record = _crossref(real_exports, "10.2196_22081.json")
    assert record.abstract.startswith("Background The COVID-19 crisis")
    assert "  " not in record.abstract and "\n" not in record.abstract
    assert "<jats" not in record.abstract and "&lt;" not in record.abstract
    assert "(total effects=0.722; P<.001)" in record.abstract  # &lt; decoded
    assert len(record.cited_references) == 61 and len(record.cited_dois) == 57
    minimal = _crossref(real_exports, "10.17705_1cais.04607.json")
    assert minimal.authors[1] == Author(literal="Paderborn University")
    assert (minimal.abstract, minimal.cited_references) == ("", [])


def _crossref_work(n: int) -> dict[str, object]:
    return {
        "DOI": f"10.5555/w{n}",
        "title": [f"Work {n}"],
        "author": [{"given": "Ada", "family": "Lovelace"}],
        "issued": {"date-parts": [[2019, 3]]},
        "container-title": ["Journal"],
        "reference": [{"unstructured": "Smith J (2000) Old work. doi:10.1000/old"}],
    }


def test_crossref_container_shapes():
    work_list = {"status": "ok", "message-type": "work-list", "message": {"items": [
        _crossref_work(1), _crossref_work(2)]}}  # fmt: skip
    text = json.dumps(work_list, indent=2)
    result = parse_crossref(text, None)
    assert [r.doi for r in result.records] == ["10.5555/w1", "10.5555/w2"]
    assert [text.split("\n")[r.line - 1].strip() for r in result.records] == ["{", "{"]
    assert result.records[0].year == 2019
    assert result.records[0].cited_dois == ["10.1000/old"]
    bare = parse_crossref(json.dumps(_crossref_work(3)), None)
    assert [r.title for r in bare.records] == ["Work 3"]
    listed = parse_crossref(json.dumps([_crossref_work(4), "oops", _crossref_work(5)]), None)
    assert [r.title for r in listed.records] == ["Work 4", "Work 5"]
    assert [(f.line, f.reason) for f in listed.failures] == [
        (1, "work 2 is not a JSON object (a str)")
    ]
    assert parse_crossref("{", None).failures[0].line == 1
    assert parse_crossref("", None).failures[0].reason.startswith("not valid JSON")


def test_json_sniffers(real_exports: Path):
    openalex = (real_exports / "openalex/works_0_25.json").read_text(encoding="utf-8")[:65536]
    crossref = (real_exports / "crossref-json/10.2196_22081.json").read_text(encoding="utf-8")
    assert sniff_openalex(openalex, "x.json") == 95 and sniff_crossref(openalex, "x.json") == 0
    assert sniff_crossref(crossref, "x.json") == 95 and sniff_openalex(crossref, "x.json") == 0
    assert sniff_crossref(json.dumps([_crossref_work(1)]), "x.json") == 90
    assert sniff_openalex("TY  - JOUR", "x.ris") == sniff_crossref("TY  - JOUR", "x.ris") == 0
    assert parse_text(json.dumps([_work(1)]), "w.json").records[0].ids["openalex"] == "W1"


# --------------------------------------------------------------------------- fuzzing

_XML_VOCABULARY = [
    "<record>", "</record>", "<records>", "</records>", "<xml>", "</xml>", "<title>", "</title>",
    "<titles>", "</titles>", "<style>", "</style>", "<author>", "</author>", "<isbn>",
    "</isbn>", "<year>", "</year>", '<ref-type name="Book">', "</ref-type>", "&#xD;", "&amp;",
    "&bogus;", "<", ">", "/", "Doe, J.", "1999", "10.1/x", "\n", " ", "<accession-num>",
    "</accession-num>", "<remote-database-provider>NLM", "<electronic-resource-num>",
    "</electronic-resource-num>", "<language>", "</language>", "<![CDATA[", "]]>", '"',
]  # fmt: skip

_JSON_VOCABULARY = [
    "[", "]", "{", "}", ",", ":", '"id"', '"https://openalex.org/W1"', '"title"', '"x"',
    '"authorships"', '"author"', '"display_name"', '"abstract_inverted_index"', '"a"', "[0]",
    '"referenced_works"', '"biblio"', '"ids"', '"pmid"', '"DOI"', '"message"', '"items"',
    '"results"', '"reference"', '"issued"', '"date-parts"', "[[2001]]", "null", "true", "1",
    "-1", "1e400", '"given"', '"family"', '"name"', "\n", " ",
]  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_parsers_never_raise_on_any_text(text: str):
    for parse in (parse_endnote, parse_openalex, parse_crossref):
        assert isinstance(parse(text, None), ParseResult)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(_XML_VOCABULARY), max_size=50).map("".join))
def test_endnote_never_raises_on_xml_like_text(text: str):
    result = parse_endnote(text, None)
    assert all(r.title or r.doi or r.authors for r in result.records)
    assert all(f.line >= 1 and len(f.excerpt) <= 60 for f in result.failures)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(_JSON_VOCABULARY), max_size=50).map("".join))
def test_json_parsers_never_raise_on_json_like_text(text: str):
    for parse in (parse_openalex, parse_crossref):
        result = parse(text, None)
        assert all(f.line >= 1 and len(f.excerpt) <= 60 for f in result.failures)


_JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(
        st.sampled_from(
            ["title", "display_name", "authorships", "author", "DOI", "doi", "ids", "biblio",
             "abstract_inverted_index", "reference", "issued", "date-parts", "given", "family",
             "name", "primary_location", "source", "host_venue", "mesh", "ISSN", "page", "items",
             "message", "results", "referenced_works", "publication_year", "unstructured"]
        ),
        children,
        max_size=5,
    ),
    max_leaves=25,
)  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(_JSON_VALUES)
def test_json_parsers_never_raise_on_odd_structures(value: object):
    text = json.dumps(value)
    for parse in (parse_openalex, parse_crossref):
        assert isinstance(parse(text, None), ParseResult)
