"""What real export files showed, each reproduced by a small file written for the project
(tests/data/imports/): exact record counts, flavours and a few fields."""

from __future__ import annotations

from pathlib import Path

import pytest

from slr.importers import read_file
from slr.importers.common import wos_platform_flavour
from slr.importers.encoding import decode
from slr.importing import DATABASE_OF_FLAVOUR
from slr.models import ImportWarning

DATA = Path(__file__).parent / "data" / "imports"


def authors(record) -> list[str]:
    return [a.display for a in record.authors]


def test_eric_medline_is_labelled_eric_with_its_doi() -> None:
    imported = read_file(DATA / "eric-medline.txt")
    first, second = imported.result.records
    assert (imported.format.name, imported.result.flavour) == ("pubmed-medline", "eric")
    assert DATABASE_OF_FLAVOUR["eric"] == "ERIC"
    assert imported.result.warnings == []  # ERIC records have no PMID, and that is no fault
    assert (first.doi, first.ids, first.pmid) == (
        "10.1080/00220671.2019.1234567", {"eric": "EJ1234567"}, ""
    )  # fmt: skip
    assert authors(first) == ["Smith, Jane", "Doe, John"]
    assert (second.line, second.title, second.ids) == (
        16, "Homework Policies in Small Districts", {"eric": "ED600001"}
    )  # fmt: skip


def test_wos_full_names_without_a_comma_are_split_at_the_au_family_name() -> None:
    imported = read_file(DATA / "wos-af-no-comma.txt")
    first, second = imported.result.records
    assert imported.result.flavour == "wos"
    assert [(a.family, a.given) for a in first.authors] == [
        ("Wang", "Chen-Yang"),
        ("Smith", "John"),
    ]
    assert [(a.family, a.given) for a in second.authors] == [("Li", "Xiaoming")]


def test_web_of_science_platform_databases_are_not_the_core_collection() -> None:
    imported = read_file(DATA / "zoological-record.txt")
    assert (len(imported.result.records), imported.result.flavour) == (2, "zoorec")
    assert DATABASE_OF_FLAVOUR["zoorec"] == "Zoological Record"
    assert wos_platform_flavour(["BCI:BCI202000001", "BCI:BCI202000002", "WOS:1"]) == "biosis"
    assert wos_platform_flavour(["DIIDW:2020000001"]) == "derwent"
    assert DATABASE_OF_FLAVOUR["derwent"] == "Derwent Innovations Index"
    assert wos_platform_flavour([]) == "wos"


@pytest.mark.parametrize(
    ("name", "flavour"), [("dimensions.ris", "dimensions"), ("lens.ris", "lens")]
)
def test_the_database_of_a_ris_file_is_decided_by_the_whole_file(name: str, flavour: str) -> None:
    # one record of each links to ACM, IEEE or PubMed: the file is still Dimensions or Lens
    imported = read_file(DATA / name)
    assert (len(imported.result.records), imported.result.flavour) == (3, flavour)


def test_publish_or_perish_is_labelled_by_where_its_links_point() -> None:
    imported = read_file(DATA / "pop-scopus.csv")
    assert (imported.format.name, imported.result.flavour) == ("pop-csv", "scopus")
    assert len(imported.result.records) == 2


def test_r_na_placeholders_are_missing_values() -> None:
    first, second = read_file(DATA / "synthesisr-na.ris").result.records
    assert (first.source_title, first.volume, first.issue, first.abstract) == ("", "", "", "")
    assert (first.pages, first.author_keywords, first.doi) == ("12", [], "10.1000/efr.2019.12")
    assert first.raw["AB"] == "NA"  # the export's own fields are kept as they were
    assert (second.authors, second.abstract) == ([], "We map regional export networks.")


def test_a_crossref_work_list_saved_as_its_message() -> None:
    imported = read_file(DATA / "crossref-items.json")
    first, second = imported.result.records
    assert imported.format.name == "crossref-json"
    assert (first.line, first.doi, first.year, second.line, second.title) == (
        5, "10.1000/xyz.1", 2021, 8, "Platform trust"
    )  # fmt: skip


def test_one_unbalanced_brace_in_ebsco_keywords_keeps_the_entry() -> None:
    result = read_file(DATA / "ebsco-unbalanced.bib").result
    first, second = result.records
    assert result.failures == []
    assert (first.title, authors(first), first.year, first.abstract) == (
        "Reading aloud in rural schools", ["Smith, Jane", "Doe, John"], 2019, "We study reading."
    )  # fmt: skip
    assert first.author_keywords == ["Reading Aloud", "Childrens Literature", "Rural Schools"]
    assert [(w.line, w.kind) for w in result.warnings] == [(1, "repaired-field")]
    assert "keywords" in result.warnings[0].message
    assert second.title == "Second study"


def test_ris_quirks() -> None:
    imported = read_file(DATA / "ris-quirks.ris")  # its first line is "TY -  BOOK"
    (record,) = imported.result.records
    assert imported.format.name == "ris"
    assert record.title == "Export handbook"  # ST, there being no title
    assert record.year == 2017  # "Start date: 20170812"
    assert record.author_keywords == ["alpha", "beta gamma", "delta"]  # a KW wrapped on two lines


def test_escaped_html_inside_jats_abstracts_is_removed() -> None:
    (record,) = read_file(DATA / "lens-jats.csv").result.records
    assert record.abstract == (
        "According to the WHO, a minimum of 2.2 billion people have impaired vision."
    )


def test_a_nul_byte_is_removed_and_reported_wherever_it_is() -> None:
    early = decode(b"TY  - JOUR\nTI  - a\x00b\nER  - \n", "early.ris")
    late = decode(b"TY  - JOUR\n" + b"N1  - note\n" * 10_000 + b"TI  - c\x00d\x00\nER  - \n")
    assert early.text == "TY  - JOUR\nTI  - ab\nER  - \n"
    assert early.warnings == [
        ImportWarning(2, "nul-byte", "1 NUL byte(s) removed, the first on line 2")
    ]
    assert "TI  - cd\n" in late.text
    assert late.warnings == [
        ImportWarning(10_002, "nul-byte", "2 NUL byte(s) removed, the first on line 10002")
    ]
