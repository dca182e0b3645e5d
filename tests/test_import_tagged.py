"""WoS plain text and PubMed MEDLINE importers: real exports, their quirks, malformed input."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest
from conftest import REAL_EXPORTS, manifest_rows
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from slr.importers import parse_text, read_file
from slr.importers.tagged import medline_sniff, parse_medline, parse_wos, wos_sniff
from slr.models import ParseResult

FORMATS = {
    "wos-plaintext": ("wos-plaintext", "wos"),
    "pubmed-medline": ("pubmed-medline", "pubmed"),
}
ROWS = [row for row in manifest_rows() if row["format"] in FORMATS]


@cache
def _imported(path: str) -> ParseResult:
    if not (REAL_EXPORTS / path).is_file():
        pytest.skip("../shared/real-exports is not present")
    return read_file(REAL_EXPORTS / path).result


@pytest.mark.parametrize("row", ROWS or [None], ids=[r["path"] for r in ROWS] or ["absent"])
def test_real_tagged_export(row: dict[str, str] | None, real_exports: Path) -> None:
    assert row is not None
    imported = read_file(real_exports / row["path"])  # no format named: detected from content
    result = imported.result
    assert (imported.format.name, result.flavour) == FORMATS[row["format"]]
    assert [f.describe(row["path"]) for f in result.failures] == []
    assert len(result.records) == int(row["records"])
    assert result.warnings == []
    # WoS "[Anonymous]" editorials are records without authors, not an author named so
    anonymous = {r.line for r in result.records if r.raw.get("AU") == "[Anonymous]"}
    assert all(r.title and r.year for r in result.records)
    assert all(r.authors for r in result.records if r.line not in anonymous)
    assert all(not r.authors for r in result.records if r.line in anonymous)


# Checked by eye against the files: (file, record index, title, first author, year, DOI, abstract)
EYE_CHECKED = [
    (
        "wos-plaintext/wos_plaintext.txt", 0,
        "Knowledge networks as channels and conduits: The effects of spillovers in the Boston "
        "biotechnology community",
        ("Owen-Smith", "J"), 2004, "10.1287/orsc.1030.0054",
        "We contend that two important, nonrelational, feat",
    ),
    (
        "wos-plaintext/wos_plaintext.txt", 29,
        "Introduction to distributed geographic information processing research",
        ("Yang", "C."), 2009, "10.1080/13658810902733682",
        "Distributed geographic information processing (DGI",
    ),
    (
        "wos-plaintext/restoration_WoS.ciw", 1,
        "How maintenance and restoration measures mediate the response of riparian plant "
        "functional composition to environmental gradients on channel margins: Insights from a "
        "highly degraded large river",
        ("Janssen", "Philippe"), 2019, "10.1016/j.scitotenv.2018.11.434",
        "Riparian habitats are transitional zones where str",
    ),
    (
        "wos-plaintext/restoration_WoS.ciw", 199,
        "A MULTICORE CONVEX OPTIMIZATION ALGORITHM WITH APPLICATIONS TO VIDEO RESTORATION",
        ("Abboud", "Feriel"), 2018, "", "In this paper, we present a new distributed algori",
    ),
    (
        "wos-plaintext/savedrecs.txt", 1, "Generative AI", ("Feuerriegel", "Stefan"), 2024,
        "10.1007/s12599-023-00834-7", "",
    ),
    (
        "wos-plaintext/savedrecs.txt", 399,
        "Arthrosis diagnosis and treatment recommendations in clinical practice: an exploratory "
        "investigation with the generative AI model GPT-4",
        ("Pagano", "Stefano"), 2023, "10.1186/s10195-023-00740-4",
        "Background The spread of artificial intelligence (",
    ),
    (
        "pubmed-medline/pubmed-balloongui-set.nbib", 19,
        "Influence of Thrombus Composition on Thrombectomy: ADAPT vs. Balloon Guide Catheter and "
        "Stent Retriever in a Flow Model.",
        ("Madjidyar", "Jawid"), 2020, "10.1055/a-0998-4246",
        "PURPOSE: A first-pass, direct aspiration technique",
    ),
    (
        "pubmed-medline/pubmed-balloongui-set.nbib", 59,
        "North American SOLITAIRE Stent-Retriever Acute Stroke Registry: choice of anesthesia and "
        "outcomes.",
        ("Abou-Chebl", "Alex"), 2014, "10.1161/strokeaha.113.003698",
        "BACKGROUND AND PURPOSE: Previous work that predate",
    ),
]  # fmt: skip


@pytest.mark.parametrize(
    ("path", "index", "title", "author", "year", "doi", "abstract"),
    EYE_CHECKED,
    ids=[f"{c[0]}#{c[1]}" for c in EYE_CHECKED],
)
def test_eye_checked_values(
    path: str,
    index: int,
    title: str,
    author: tuple[str, str],
    year: int,
    doi: str,
    abstract: str,
) -> None:
    record = _imported(path).records[index]
    assert record.title == title
    assert (record.authors[0].family, record.authors[0].given) == author
    assert record.year == year
    assert record.doi == doi
    assert record.abstract.startswith(abstract)


# ------------------------------------------------------------------ WoS quirks


def test_wos_2014_file_continuations_and_references() -> None:
    result = _imported("wos-plaintext/wos_plaintext.txt")
    first = result.records[0]
    assert first.line == 3  # after the FN / VR header
    assert first.raw["AU"] == ["Owen-Smith, J", "Powell, WW"]  # one author per line
    assert [a.family for a in first.authors] == ["Owen-Smith", "Powell"]
    # DE/ID wrap onto continuation lines inside one "; "-separated value
    assert first.author_keywords == [
        "knowledge networks",
        "economic geography",
        "spillovers",
        "biotechnology",
        "patenting",
    ]
    assert first.index_keywords[2] == "INTERORGANIZATIONAL COLLABORATION"
    assert first.ids == {"wos": "WOS:000220015600001"}
    assert (
        first.cited_references[0]
        == "Ahuja G, 2000, ADMIN SCI QUART, V45, P425, DOI 10.2307/2667105"
    )
    assert first.cited_dois[0] == "10.2307/2667105"
    assert sum(len(r.cited_references) for r in result.records) == 2911
    assert all(str(len(r.cited_references)) == r.raw["NR"] for r in result.records)


def test_wos_ciw_without_final_newline() -> None:
    records = _imported("wos-plaintext/restoration_WoS.ciw").records
    assert records[-1].ids == {"wos": "WOS:000451039805163"}
    assert records[-1].isbn == ["978-1-5386-7150-4"]
    assert records[1].pmid == "30625660"  # PM
    assert records[1].ids["pmid"] == "30625660"
    assert records[0].issn == ["0048-9697", "1879-1026"]  # SN and EI
    assert records[0].copyright == "(C) 2018 Elsevier B.V. All rights reserved."
    assert (records[20].raw["AR"], records[20].pages) == ("1", "1")  # article number, no BP
    assert [(a.family, a.given) for a in records[0].authors[:2]] == [
        ("Alvarez-Manzaneda", "I."),
        ("Guerreroc", "F."),
    ]  # AF ("Alvarez-Manzaneda, I.") over AU ("Alvarez-Manzaneda, I")


def test_wos_2024_file() -> None:
    records = _imported("wos-plaintext/savedrecs.txt").records
    second = records[1]
    # C3 wraps within one value: "Dortmund\n   University of Technology"
    assert second.raw["C3"] == (
        "University of Munich; Technical University of Munich; Dortmund University of "
        "Technology; University of Erlangen Nuremberg"
    )
    assert second.document_type == "Editorial Material"
    assert second.source_title == "BUSINESS & INFORMATION SYSTEMS ENGINEERING"
    assert second.index_keywords == ["ARTIFICIAL-INTELLIGENCE", "MANAGEMENT", "FRAMEWORK"]
    assert len(second.cited_references) == 118
    assert second.cited_references[5].startswith("Berente Nicholas, 2021, MIS Q")
    assert "10.25300/misq/2021/16274" in second.cited_dois
    assert (
        "[程国忠 Cheng Guozhong], 2022, [建筑结构学报, Journal of Building Structures], V43, P84"
        in (records[20].cited_references)
    )
    assert sum(len(r.cited_references) for r in records) == 18214
    assert sum(1 for r in records if r.doi) == 444


# ------------------------------------------------------------------ MEDLINE quirks


def test_medline_quirks() -> None:
    records = _imported("pubmed-medline/pubmed-balloongui-set.nbib").records
    first = records[0]
    assert first.line == 1
    assert (first.pmid, first.ids["pmid"]) == ("30776994", "30776994")
    # 6-space continuation lines re-joined with one space
    assert first.title.endswith("Outcomes in the STRATIS Stroke Thrombectomy Registry.")
    assert first.abstract.startswith("Background and Purpose- Mechanical thrombectomy has been")
    assert first.raw["FAU"][0] == "Zaidat, Osama O" and first.raw["AU"][0] == "Zaidat OO"
    assert (first.authors[0].family, first.authors[0].given) == ("Zaidat", "Osama O")
    assert first.authors[-1].literal == "STRATIS Investigators"  # CN
    assert len(first.authors) == 65
    assert first.issn == ["1524-4628", "0039-2499"]  # "(Electronic)", "(Linking)"
    assert first.source_title == "Stroke"  # JT
    assert (first.volume, first.issue, first.pages) == ("50", "3", "697-704")
    assert first.index_keywords[3] == "Catheterization/*methods"  # MH
    assert first.author_keywords == [
        "animals",
        "brain ischemia",
        "humans",
        "stroke",
        "thrombectomy",
    ]
    assert first.document_type == "Journal Article"
    assert records[2].pages == "169-176"  # PG "169-76"
    assert records[1].copyright.startswith("© Article author(s)")  # CI
    assert records[9].ids == {"pmcid": "PMC6216708", "pmid": "30410509"}
    assert records[19].raw["TT"].startswith("Einfluss der Thrombus-Zusammensetzung")
    assert records[19].title.startswith("Influence of Thrombus Composition")
    assert records[54].doi == ""  # only "27/7/1521 [pii]"
    assert sum(1 for r in records if r.doi) == 74


# ------------------------------------------------------------------ inline and malformed input

WOS_GOOD = (
    "PT J\nAU Smith, J\nAF Smith, John\nTI Title {n}\nPY 2020\nDI 10.1000/w.{n}\nUT WOS:{n}\nER\n\n"
)
MEDLINE_GOOD = "PMID- {n}\nTI  - Title {n}\nFAU - Smith, John\nAU  - Smith J\nDP  - 2020 Mar\n\n"


def test_wos_inline_and_truncated() -> None:
    text = "FN Clarivate Analytics Web of Science\nVR 1.0\n" + WOS_GOOD.format(n=1)
    text += "PT J\nAU Doe, A\nTI Cut\n   short"  # no ER, no EF, no final newline
    result = parse_wos(text, None)
    assert [(r.title, r.line) for r in result.records] == [("Title 1", 3), ("Cut short", 12)]
    assert result.failures == []
    assert any((w.line, w.kind) == (12, "no-end-marker") for w in result.warnings)
    assert any(w.kind == "truncated" and "EF" in w.message for w in result.warnings)


def test_wos_missing_er_between_records_and_empty_record() -> None:
    text = "PT J\nTI One\nPT J\nTI Two\nER\nPT J\nPY 2020\nER\nEF"
    result = parse_wos(text, None)
    assert [r.title for r in result.records] == ["One", "Two"]
    [failure] = result.failures
    assert (failure.line, failure.excerpt) == (6, "PT J")
    assert "no title" in failure.reason


def test_wos_one_bad_record_among_a_thousand() -> None:
    text = "FN Web of Science\nVR 1.0\n" + "".join(WOS_GOOD.format(n=n) for n in range(300))
    bad_line = text.count("\n") + 1
    text += "PT J\nSO ONLY A SOURCE\nER\n\n" + "".join(WOS_GOOD.format(n=n) for n in range(699))
    result = parse_wos(text + "EF", None)
    assert len(result.records) == 999
    assert [f.line for f in result.failures] == [bad_line]


def test_medline_inline_and_malformed() -> None:
    text = MEDLINE_GOOD.format(n=1) + "OWN - NLM\nTI  - No PMID here\n\nPMID- 3\nSTAT- MEDLINE\n"
    result = parse_medline(text, None)
    assert [(r.title, r.line) for r in result.records] == [("Title 1", 1), ("No PMID here", 7)]
    assert any((w.line, w.kind) == (7, "missing-id") for w in result.warnings)
    [failure] = result.failures
    assert (failure.line, failure.excerpt) == (10, "PMID- 3")


def test_medline_one_bad_record_among_a_thousand() -> None:
    text = "".join(MEDLINE_GOOD.format(n=n) for n in range(1, 401))
    bad_line = text.count("\n") + 1
    text += "PMID- 999999\nOWN - NLM\n\n" + "".join(MEDLINE_GOOD.format(n=n) for n in range(599))
    result = parse_medline(text, None)
    assert len(result.records) == 999
    assert [f.line for f in result.failures] == [bad_line]


def test_medline_without_fau_and_with_short_pages() -> None:
    text = "PMID- 5\nTI  - T\nAU  - Smith JA\nAU  - Jones B\nPG  - 1234-8\nLID - 10.1000/x [doi]\n"
    [record] = parse_medline(text, None).records
    assert [(a.family, a.given) for a in record.authors] == [("Smith", "JA"), ("Jones", "B")]
    assert record.pages == "1234-1238"
    assert record.doi == "10.1000/x"


@pytest.mark.parametrize("parse", [parse_wos, parse_medline])
@pytest.mark.parametrize(
    "text", ["", "\n\n", "garbage text\nnot tagged\n", "   \n      only indents\n", "ER\nEF"]
)
def test_garbage_gives_no_records_and_no_exception(parse, text: str) -> None:
    result = parse(text, None)
    assert result.records == []
    assert result.failures == []


def test_sniffers_and_detection() -> None:
    wos = "FN Clarivate Analytics Web of Science\nVR 1.0\n" + WOS_GOOD.format(n=1) + "EF"
    medline = MEDLINE_GOOD.format(n=1)
    ris = "TY  - JOUR\nTI  - x\nER  - \n"
    assert wos_sniff(wos, "a.txt") == 95
    assert wos_sniff(WOS_GOOD.format(n=1), "") == 75
    assert medline_sniff(medline, "a.nbib") == 95
    assert wos_sniff(medline, "") == medline_sniff(wos, "") == 0
    assert wos_sniff(ris, "") == medline_sniff(ris, "") == 0
    assert parse_text(wos, "a.txt").flavour == "wos"
    assert parse_text(medline, "a.nbib").flavour == "pubmed"


def test_ris_given_to_the_tagged_parsers() -> None:
    ris = "TY  - JOUR\nTI  - x\nAU  - Smith, J\nER  - \n"
    assert parse_wos(ris, None).records == []
    # MEDLINE reads "TI  - " lines too: a record, or nothing, but never an exception
    assert len(parse_medline(ris, None).records) <= 1


# ------------------------------------------------------------------ property tests

_WOS_LINES = st.sampled_from(
    [
        "FN Web of Science",
        "VR 1.0",
        "PT J",
        "PT",
        "AU Smith, J",
        "AF Smith, John",
        "   Doe, Anna",
        "TI A title",
        "   continued",
        "CR Ref, 2001, J, V1, DOI 10.1/x",
        "DE a; b;",
        "ID C; D",
        "PY 2020",
        "PY",
        "BP 1",
        "AR e1",
        "DI 10.",
        "SN 1234-5678",
        "BN 978-0",
        "UT WOS:1",
        "ER",
        "EF",
        "",
        "garbage",
        "X",
    ]
)
_MEDLINE_LINES = st.sampled_from(
    [
        "PMID- 1",
        "PMID-",
        "TI  - A title",
        "      continued",
        "FAU - Smith, John",
        "AU  - Smith J",
        "CN  - A Group",
        "DP  - 2020 Mar",
        "PG  - 1234-8",
        "PG  - -",
        "LID - 10.1/x [doi]",
        "AID - x [pii]",
        "IS  - 1234-5678 (Linking)",
        "MH  - Humans",
        "OT  - *kw",
        "PMC - PMC1",
        "",
        "garbage",
    ]
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text())
def test_never_raises_on_arbitrary_text(text: str) -> None:
    parse_wos(text, None)
    parse_medline(text, None)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_WOS_LINES, max_size=60))
def test_wos_never_raises_on_its_vocabulary(lines: list[str]) -> None:
    result = parse_wos("\n".join(lines), None)
    assert not [f for f in result.failures if "could not be read" in f.reason]
    assert len(result.records) + len(result.failures) <= sum(1 for x in lines if x[:2] == "PT")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_MEDLINE_LINES, max_size=60))
def test_medline_never_raises_on_its_vocabulary(lines: list[str]) -> None:
    result = parse_medline("\n".join(lines), None)
    assert not [f for f in result.failures if "could not be read" in f.reason]
    for record in result.records:
        assert record.title or record.doi or record.authors
