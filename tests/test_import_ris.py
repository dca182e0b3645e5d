"""RIS importer: every vendor flavour of the real exports, their quirks, and malformed input."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest
from conftest import REAL_EXPORTS, manifest_rows
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from slr.importers import read_file
from slr.importers.ris import NO_TY, parse, sniff
from slr.models import ParseResult

# MANIFEST format -> flavour the content must reveal
RIS_FLAVOURS = {
    "scopus-ris": "scopus",
    "wos-ris": "wos",
    "embase-ris": "embase",
    "ovid-ris": "ovid",
    "ebsco-ris": "ebsco",
    "zotero-ris": "zotero",
    "proquest-ris": "proquest",
}
ROWS = [row for row in manifest_rows() if row["format"] in RIS_FLAVOURS]


@cache
def _imported(path: str) -> ParseResult:
    if not (REAL_EXPORTS / path).is_file():
        pytest.skip("../shared/real-exports is not present")
    imported = read_file(REAL_EXPORTS / path)
    assert imported.format.name == "ris"
    return imported.result


@pytest.mark.parametrize("row", ROWS or [None], ids=[r["path"] for r in ROWS] or ["absent"])
def test_real_ris_export(row: dict[str, str] | None, real_exports: Path) -> None:
    assert row is not None
    imported = read_file(real_exports / row["path"])  # no format named: detected from content
    result = imported.result
    assert imported.format.name == "ris"
    assert result.flavour == RIS_FLAVOURS[row["format"]]
    assert [f.describe(row["path"]) for f in result.failures] == []
    assert len(result.records) == int(row["records"])
    # WoS "[Anonymous]" editorials are records without authors, not an author named so
    anonymous = {r.line for r in result.records if r.raw.get("AU") == "[Anonymous]"}
    assert all(r.title and r.year for r in result.records)
    assert all(r.authors for r in result.records if r.line not in anonymous)
    assert all(not r.authors for r in result.records if r.line in anonymous)
    assert all(r.line > 0 for r in result.records)


# Checked by eye against the files: (file, record index, title, first author, year, DOI, abstract)
EYE_CHECKED = [
    (
        "scopus-ris/synthesisr/scopus.ris", 0,
        "Black-backed woodpecker occupancy in burned and beetle-killed forests: Disturbance "
        "agent matters",
        ("Tingley", "M.W."), 2020, "10.1016/j.foreco.2019.117694",
        "In the western United States, the black-backed woo",
    ),
    (
        "scopus-ris/synthesisr/scopus.ris", 49,
        "Modeling nest survival of cavity-nesting birds in relation to postfire salvage logging",
        ("Saab", "V.A."), 2011, "10.1002/jwmg.111",
        "Salvage logging practices in recently burned fores",
    ),
    (
        "scopus-ris/asreview/scopus.ris", 3,
        "Self-compassion and adjustment in epilepsy and psychogenic nonepileptic seizures",
        ("Clegg", "S."), 2019, "10.1016/j.yebeh.2019.106490",
        "Purpose: Self-compassion has been associated with ",
    ),
    (
        "wos-ris/savedrecs.ris", 2, "Generative AI meets copyright", ("Samuelson", "P"), 2023,
        "10.1126/science.adi0656", "Generative artificial intelligence (AI) is a disru",
    ),
    (
        "wos-ris/savedrecs.ris", 299,
        "AI Empire: Unraveling the interlocking systems of oppression in generative AI's "
        "global order",
        ("Tacheva", "J"), 2023, "10.1177/20539517231219241",
        "As artificial intelligence (AI) continues to capti",
    ),
    (
        "embase-ovid-ris/embase.ris", 0,
        "Duplication cysts: Diagnosis, management, and the role of endoscopic ultrasound",
        ("Liu", "R."), 2014, "10.4103/2303-9027.138783",
        "Gastrointestinal tract duplication cysts are rare ",
    ),
    (
        "embase-ovid-ris/embase.ris", 3, "Congenital Neck Masses", ("Quintanilla-Dieck", "L."),
        2018, "10.1016/j.clp.2018.07.012", "Congenital neck masses can be a developmental anom",
    ),
    (
        "embase-ovid-ris/ovid_psycinfo.ris", 4,
        "Dietary strategies and food practices of pediatric patients, and their parents, living "
        "with inflammatory bowel disease: A qualitative interview study.",
        ("Chuong", "Kim H"), 2019, "10.1080/17482631.2019.1648945",
        "Purpose: A growing body of scientific evidence sup",
    ),
    (
        "embase-ovid-ris/0_Ovid_search_results_3001_to_3130.ris", 1,
        "Liberty Caps: Recreational hallucinogenic mushrooms.", ("Pollock", "Steven H"), 1975,
        "10.1016/0376-8716(76)90010-7", "Discusses the recreational use of hallucinogenic m",
    ),
    (
        "embase-ovid-ris/0_Ovid_search_results_3001_to_3130.ris", 99,
        "The effects of psilocybin on a test of after-image perception.", ("Keeler", "Martin H"),
        1965, "10.1007/bf00404173", "It is demonstrated in double-blind conditions that",
    ),
    (
        "ebsco-ris/20221207_gambling-harms_crimjust_41.ris", 0,
        "Discourses of responsible gambling and gambling harm: observations from Victoria, "
        "Australia.",
        ("Francis", "Louise"), 2021, "10.1080/16066359.2020.1867111",
        "Within a neo-liberal economic orthodoxy, the gambl",
    ),
    (
        "ebsco-ris/20221207_gambling-harms_crimjust_41.ris", 19,
        "Measuring influence: an analysis of Australian gambling industry political donations "
        "and policy decisions.",
        ("Johnson", "Maggie"), 2021, "10.1080/16066359.2020.1766449",
        "Existing Australian (and global) gambling harm pre",
    ),
    (
        "ebsco-ris/ERIC_ebsco_1232020_crl_assessment.txt", 0,
        "Computer Use by Secondary School Principals", ("Afshari", "Mojgan"), 2010, "",
        "The purpose of this study was firstly to identify ",
    ),
    (
        "ebsco-ris/ERIC_ebsco_1232020_crl_assessment.txt", 39,
        "The Core Components of RTI: A Closer Look at Leadership, Parent Involvement, and "
        "Cultural Responsivity. Special Report",
        ("Kashima", "Yuri"), 2009, "", "Response to Intervention (RTI) is a framework of s",
    ),
    (
        "zotero/baseline_zotero.ris", 0,
        "An open source machine learning framework for efficient and transparent systematic "
        "reviews",
        ("van de Schoot", "Rens"), 2021, "10.1038/s42256-020-00287-7",
        "To help researchers conduct a systematic review or",
    ),
    (
        "zotero/baseline_zotero.ris", 59,
        "A Systematic Review of Collective Evidences Investigating the Effect of Diabetes "
        "Monitoring Systems and Their Application in Health Care.",
        ("Kamusheva", "Maria"), 2021, "10.3389/fendo.2021.636959",
        "Introduction Diabetes monitoring systems (DMS) are",
    ),
    (
        "proquest-ris/proquest.ris", 0,
        "Predictors of posttraumatic stress symptom trajectories following the fatal 2011 "
        "Christchurch, New Zealand earthquake",
        ("Jones", "Hannah"), 2019, "10.1002/jts.22387",
        "People respond differently to potentially traumati",
    ),
    (
        "proquest-ris/proquest.ris", 4,
        "Treatment outcomes for military veterans with posttraumatic stress disorder: response "
        "trajectories by symptom cluster",
        ("Phelps", "Andrea J"), 2018, "10.1002/jts.22299",
        "Although effective posttraumatic stress disorder (",
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


# ------------------------------------------------------------------ quirks of the real files


def test_scopus_references_one_per_continuation_line() -> None:
    result = _imported("scopus-ris/asreview/scopus.ris")
    counts = [len(r.cited_references) for r in result.records]
    # 789 untagged continuation lines plus the 6 references on the `N1  - References:` lines
    assert sum(counts) == 795
    assert counts[0] == 186
    first = result.records[0].cited_references[0]
    assert first.startswith("Agostini, A., Ballotta, D., Righi, S.")
    assert first.endswith("Neurogastroenterol. Motil., 29, pp. 1-10")  # no trailing "; "
    assert result.records[1].raw["N1"][-1].startswith("References: Isgar, B.")


def test_scopus_tag_glued_to_a_truncated_reference() -> None:
    """Scopus cut a reference list short and glued `UR  - ` to its last line (line 566)."""
    result = _imported("scopus-ris/asreview/scopus.ris")
    record = result.records[2]
    assert record.cited_references[-1].endswith("American Psychiatric Pub")
    assert record.ids["eid"] == "2-s2.0-85073159216"
    assert record.url.startswith("https://www.scopus.com/inward/record.uri?eid=2-s2.0-85073159216")
    assert any(w.line == 566 for w in result.warnings)


def test_scopus_fields() -> None:
    first = _imported("scopus-ris/synthesisr/scopus.ris").records[0]
    assert first.ids == {"eid": "2-s2.0-85074800841"}
    assert first.source_title == "Forest Ecology and Management"
    assert first.pages == "117694"  # C7 article number, no SP/EP
    assert first.abstract.endswith("fire-associated wildlife species in the region.")
    assert first.copyright == "© 2019 Elsevier B.V."
    assert first.document_type == "Article"
    asreview = _imported("scopus-ris/asreview/scopus.ris").records
    assert asreview[0].issn == ["0306-4530"]  # "SN  - 03064530 (ISSN) "
    assert asreview[0].raw["SN"] == "03064530 (ISSN)"
    assert asreview[1].pmid == "31421429"  # C2
    assert asreview[1].ids["pmid"] == "31421429"
    assert asreview[1].source_title == "Medical Hypotheses"  # T2 over J2 "Med. Hypotheses"


def test_scopus_keywords_split_author_from_index_terms() -> None:
    record = _imported("scopus-ris/asreview/scopus.ris").records[1]
    assert record.author_keywords == [
        "FODMAP",
        "Inflammatory bowel disease",
        "Irritable bowel syndrome",
        "Ischemia",
        "Mast cell",
    ]
    assert record.index_keywords[:2] == ["hydrogen sulfide", "short chain fatty acid"]
    assert "human" in record.index_keywords


def test_wos_ris_quirks() -> None:
    records = _imported("wos-ris/savedrecs.ris").records
    first = records[0]
    assert first.ids == {"wos": "WOS:000985648900009"}
    # bare CR between repeated WE lines: two values, not one line holding both
    assert first.raw["WE"] == [
        "Science Citation Index Expanded (SCI-EXPANDED)",
        "Social Science Citation Index (SSCI)",
    ]
    assert first.raw["N1"].split("\n")[1] == "Total Times Cited:  4"
    assert first.issn == ["0895-6308", "1930-0166"]
    assert first.publisher == "TAYLOR & FRANCIS INC"  # PU
    # DE then Keywords Plus (upper case) in one KW list
    assert records[1].author_keywords[0] == "Generative AI"
    assert records[1].index_keywords == ["ARTIFICIAL-INTELLIGENCE", "MANAGEMENT", "FRAMEWORK"]
    # multi-line AB: the continuation lines are kept
    assert "labor productivity. Our paper empirically" in records[137].abstract
    assert "in the United States. Approach: We investigate" in records[137].abstract
    # A1 is a group author in WoS RIS
    assert records[79].authors[-1].literal == "JPGN Editorial Board"


def test_embase_quirks() -> None:
    records = _imported("embase-ovid-ris/embase.ris").records
    assert records[0].ids == {"embase": "L373791783"}  # U2
    assert records[0].abstract.startswith("Gastrointestinal tract duplication cysts")  # N2
    assert records[0].index_keywords[:2] == ["article", "bronchogenic duplication cyst"]
    assert records[0].author_keywords == []
    assert records[0].issn == ["2226-7190"]
    assert records[1].raw["DB"] == ["Embase", "Medline"]
    assert records[1].pmid == "15368318"  # C5
    assert [(a.family, a.given) for a in records[1].authors[:2]] == [
        ("Eloubeidi", "M.A."),
        ("Cohn", "M."),
    ]


def test_ovid_lines_outside_records() -> None:
    result = _imported("embase-ovid-ris/ovid_psycinfo.ris")
    assert result.warnings == []  # number lines, NL and "Link to the Ovid" lines are expected
    first = result.records[0]
    assert first.line == 2  # after the "1. " line
    assert first.raw["NL"] == "Clin Psychol Psychother"  # the NL after ER, kept with its record
    assert "Link" not in str(first.raw)
    assert first.raw["DO"] == ["http://dx.doi.org/10.1002/cpp.2398"] * 2
    assert first.doi == "10.1002/cpp.2398"
    assert first.pages == ""  # SP  - No / EP  - Specified
    assert first.publisher == "John Wiley & Sons"  # PB repeated: publisher, then country
    assert first.ids == {"ovid": "2019-65183-001"}
    second = result.records[1]
    assert second.index_keywords[0] == "Body Image"  # "*Body Image": major-topic mark dropped
    assert len(second.cited_references) == 40  # PsycINFO references in M1
    assert "10.1016/j.bodyim.2012.09.001" in second.cited_dois
    assert second.document_type == "JOUR"  # M3 is a PsycINFO classification code


def test_ovid_percent_encoded_doi_and_numbering() -> None:
    result = _imported("embase-ovid-ris/0_Ovid_search_results_3001_to_3130.ris")
    assert result.warnings == []
    assert [r.line for r in result.records[:3]] == [2, 27, 56]
    liberty = result.records[1]
    assert liberty.doi == "10.1016/0376-8716(76)90010-7"  # %28 / %29 decoded
    assert liberty.raw["NL"] == "Drug Alcohol Depend"
    assert liberty.source_title == "Drug and Alcohol Dependence"
    assert sum(1 for r in result.records if "NL" in r.raw) == 72
    assert sum(1 for r in result.records if r.doi) == 71


def test_ebsco_quirks() -> None:
    records = _imported("ebsco-ris/20221207_gambling-harms_crimjust_41.ris").records
    first = records[0]
    assert first.doi == "10.1080/16066359.2020.1867111"  # from L3, there is no DO
    assert first.abstract.endswith("reducing gambling related harm.")  # label dropped
    assert "Copyright of" not in first.abstract
    assert first.copyright.startswith("Copyright of Addiction Research & Theory is the property")
    assert first.ids == {"ebsco": "150283836"}
    assert first.author_keywords == [
        "discourse",
        "Gambling",
        "gambling harm",
        "public health",
        "responsible gambling",
    ]
    assert first.index_keywords[:2] == ["SELF-management (Psychology)", "PUBLIC health"]
    assert records[11].raw["Y1"] == "2007/08//2014 Sep"
    assert records[11].year == 2007
    assert sum(1 for r in records if r.copyright.startswith("Copyright of")) == 40


def test_ebsco_eric_cr_only_file() -> None:
    records = _imported("ebsco-ris/ERIC_ebsco_1232020_crl_assessment.txt").records
    assert records[0].line == 5  # after four empty (CR-only) lines
    assert records[0].ids == {"ebsco": "EJ898011"}  # N1 "Accession Number: EJ898011; ..."
    assert records[0].language == "English"  # from N1, no LA tag
    assert records[0].index_keywords[0] == "Computer Uses in Education"  # ERIC descriptors
    # DOI buried in UR after the library proxy URL
    assert records[3].doi == "10.1177/1741143218775430"
    assert records[21].doi == "10.1080/13603120902980796"  # openurl "id=doi:..."
    assert sum(1 for r in records if r.doi) == 38
    # double-encoded UTF-8 repaired by the decoder
    assert records[3].authors[1].family == "Örücü"


def test_proquest_quirks() -> None:
    first = _imported("proquest-ris/proquest.ris").records[0]
    assert first.raw["AN"] == "2214991469; 51887"
    assert first.ids == {"proquest": "2214991469"}
    assert first.doi == "10.1002/jts.22387"  # "http://dx.doi.org/..." in DO
    assert first.issn == ["0894-9867"]  # "0894-9867, 0894-9867"
    assert first.abstract.endswith("agencies, and the public.")  # "[Author Abstract]" dropped


def test_zotero_quirks() -> None:
    records = _imported("zotero/baseline_zotero.ris").records
    assert records[0].raw["N1"] == "<p>ASReview_relevant</p>"
    assert records[0].url == "https://lens.org/106-059-195-106-980"
    assert records[1].issue == "sup1"
    assert records[2].raw["IS"] == "nan"
    assert (records[2].issue, records[2].pages) == ("", "100364")  # "nan" is no value
    assert records[2].issn == ["1747-938X"]


# ------------------------------------------------------------------ inline and malformed input

GOOD = "TY  - JOUR\nTI  - Title {n}\nAU  - Smith, John\nPY  - 2020\nDO  - 10.1000/x.{n}\nER  - \n\n"


def test_minimal_record_and_loose_tags() -> None:
    result = parse("TY - JOUR\nTI -  A title\nAU  -Smith, J.\nPY  - 2019\nER  -\n", None)
    assert result.failures == []
    [record] = result.records
    assert (record.title, record.authors[0].family, record.year) == ("A title", "Smith", 2019)


@pytest.mark.parametrize("end", ["", "\n", "\n\n"])
def test_a_last_record_cut_off_is_a_failure_with_its_line(end: str) -> None:
    result = parse(
        "TY  - JOUR\nTI  - Complete\nER  - \n\nTY  - JOUR\nTI  - Cut short\nAU  - Ab" + end, None
    )
    assert [r.title for r in result.records] == ["Complete"]
    [failure] = result.failures
    assert (failure.line, failure.excerpt) == (5, "TI  - Cut short")
    assert failure.reason.startswith("RIS record cut off at the end of the file (no ER line)")


def test_an_exporter_without_er_lines_loses_nothing() -> None:
    result = parse("TY  - JOUR\nTI  - One\n\nTY  - JOUR\nTI  - Two\n", None)
    assert [r.title for r in result.records] == ["One", "Two"]
    assert result.failures == []
    assert [w.line for w in result.warnings] == [1, 4]


def test_missing_er_between_records() -> None:
    result = parse("TY  - JOUR\nTI  - One\nTY  - BOOK\nTI  - Two\nER  - \n", None)
    assert [(r.title, r.line) for r in result.records] == [("One", 1), ("Two", 3)]
    assert any(w.line == 1 for w in result.warnings)


def test_record_without_content_is_a_failure() -> None:
    result = parse("TY  - JOUR\nPY  - 2020\nKW  - lonely\nER  - \n" + GOOD.format(n=1), None)
    assert [r.title for r in result.records] == ["Title 1"]
    [failure] = result.failures
    assert failure.line == 1
    assert "no title" in failure.reason
    assert failure.excerpt == "PY  - 2020"


def test_one_bad_record_among_a_thousand() -> None:
    text = "".join(GOOD.format(n=n) for n in range(500))
    bad_line = text.count("\n") + 1
    text += "TY  - JOUR\nN1  - only a note\nER  - \n\n"
    text += "".join(GOOD.format(n=n) for n in range(500, 999))
    result = parse(text, None)
    assert len(result.records) == 999
    assert [f.line for f in result.failures] == [bad_line]
    assert result.records[500].title == "Title 500"
    assert result.records[500].line == bad_line + 4


def test_missing_fields_and_values() -> None:
    result = parse("TY  - JOUR\nTI  - \nDO  - 10.1000/only-doi\nSP  - 5\nER  - \n", None)
    [record] = result.records
    assert (record.title, record.doi, record.pages, record.authors) == (
        "",
        "10.1000/only-doi",
        "5",
        [],
    )


@pytest.mark.parametrize(
    "text",
    [
        "",
        "\n\n\n",
        "garbage text\nthat is not RIS at all\n",
        "ER  - \nER  - \n",
        "\x00\x01 binary-ish \ufffd\n",
    ],
)
def test_garbage_gives_no_records_and_no_exception(text: str) -> None:
    result = parse(text, None)
    assert result.records == []
    assert result.failures == []


def test_tags_without_a_ty_line_are_a_rejected_entry() -> None:
    result = parse("KW  - stray\nAB  - tags without a TY\n", None)
    assert result.records == []
    assert [(f.line, f.excerpt) for f in result.failures] == [(1, "KW  - stray")]
    assert "no TY line" in result.failures[0].reason


def test_wos_plaintext_and_medline_given_as_ris() -> None:
    wos = "FN Clarivate Analytics Web of Science\nVR 1.0\nPT J\nAU Smith, J\nTI A title\nER\nEF"
    medline = "PMID- 1\nOWN - NLM\nTI  - A title\nAU  - Smith J\nFAU - Smith, John\n\nPMID- 2\n"
    result = parse(wos, None)
    assert (result.records, result.failures) == ([], [])
    assert result.warnings[-1].message == "no RIS record found: no line starts with 'TY  - '"
    # MEDLINE's two-letter tags look like RIS: one entry without a TY line, up to the end
    result = parse(medline, None)
    assert result.records == []
    assert [(f.line, f.reason) for f in result.failures] == [(3, NO_TY)]
    assert sniff(wos, "x.txt") == 0
    assert sniff(medline, "x.nbib") == 0


@pytest.mark.parametrize(
    "path",
    [
        "wos-plaintext/wos_plaintext.txt",
        "wos-plaintext/restoration_WoS.ciw",
        "pubmed-medline/pubmed-balloongui-set.nbib",
    ],
)
def test_real_tagged_files_given_with_format_ris(path: str, real_exports: Path) -> None:
    result = read_file(real_exports / path, "ris").result
    assert result.records == []
    if path.endswith(".nbib"):  # MEDLINE's two-letter tags look like RIS ones
        assert [f.reason for f in result.failures] == [NO_TY]
    else:
        assert result.failures == []
        assert result.warnings[-1].message == "no RIS record found: no line starts with 'TY  - '"


def test_concatenated_files_with_byte_order_marks() -> None:
    text = GOOD.format(n=1) + "\ufeff" + GOOD.format(n=2)
    assert [r.title for r in parse(text, None).records] == ["Title 1", "Title 2"]


def test_sniff() -> None:
    assert sniff(GOOD.format(n=1), "a.ris") == 90
    assert sniff("TY  - JOUR\nTI  - x\n", "") == 80
    assert sniff("TY  - JOUR\n", "") == 60
    assert sniff("@article{x,\n title={TY  - JOUR}}\n", "a.bib") == 0
    assert sniff("Title,Authors\nx,y\n", "a.csv") == 0


# ------------------------------------------------------------------ property tests

_VOCAB_LINES = st.sampled_from(
    [
        "TY  - JOUR",
        "TY  -",
        "ER  - ",
        "ER  -",
        "TI  - A title",
        "T1  - ",
        "AU  - Smith, J.",
        "A1  - Liu R.",
        "A1  - ",
        "PY  - 2020",
        "Y1  - 2007/08//2014 Sep",
        "DA  - 2021/02/01/",
        "DO  - http://dx.doi.org/10.1016/0376-8716%2876%2990010-7",
        "DO  - 10.",
        "L3  - 10.1080/1",
        "UR  - http://proxy/login?url=x; http://dx.doi.org/10.1177/17",
        "UR  - https://www.scopus.com/inward/record.uri?eid=2-s2.0-85",
        "SN  - 03064530 (ISSN) ",
        "SN  - 0-398-05484-3 (Hardcover)",
        "SP  - No",
        "EP  - Specified",
        "IS  - nan",
        "KW  - *Body Image",
        "KW  - UPPER",
        "KW  - lower",
        "AB  - Abstract text.",
        "AB  - Copyright of X is the property of Y.",
        "N2  - An abstract [ABSTRACT FROM AUTHOR]",
        "N1  - References: Ref one (2001) J, 1, pp. 1-2; Ref two",
        "N1  - Accession Number: 1; Author-Supplied Keyword: a; Subject Term: B",
        "M1  - Classification [3200]",
        "M1  - Someone (1999). A reference. http://dx.doi.org/10.1/x",
        "M3  - 10.1000/in-m3",
        "AN  - WOS:000000000000001",
        "AN  - 2214991469; 51887",
        "U2  - L373791783",
        "C2  - 31421429",
        "DB  - Scopus",
        "DB  - Embase",
        "DP  - EBSCOhost",
        "NL  - After ER",
        "3001. ",
        "Link to the Ovid Full Text or citation: https://x",
        "continuation line",
        "glued textUR  - https://x",
        "   indented continuation",
        "",
        "TY - JOUR",
        "XX",
    ]
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text())
def test_parse_never_raises_on_arbitrary_text(text: str) -> None:
    result = parse(text, None)
    assert len(result.records) <= text.count("TY")


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_VOCAB_LINES, max_size=60))
def test_parse_never_raises_on_ris_vocabulary(lines: list[str]) -> None:
    text = "\n".join(lines)
    result = parse(text, None)
    assert not [f for f in result.failures if "could not be read" in f.reason]
    # every TY line gives a record or a failure: nothing is dropped without a word
    starts = sum(1 for line in lines if line.startswith("TY"))
    assert len(result.records) + len([f for f in result.failures if f.reason != NO_TY]) == starts
    for record in result.records:
        assert record.title or record.doi or record.authors
        assert 1 <= record.line <= len(lines)


@given(st.text(alphabet="ab\n\r\x1c\u2028 ", max_size=60), st.integers(1, 8))
def test_lines_by_blocks_are_the_lines_split_on_newlines_only(text: str, block: int) -> None:
    from slr.importers import common

    expected = text.split("\n")
    if expected[-1] == "":
        expected.pop()  # a final line ending ends no further line
    original = common._BLOCK
    common._BLOCK = block
    try:
        assert list(common.iter_lines(text)) == expected
        assert "".join(common.iter_lines(text, keepends=True)) == text
    finally:
        common._BLOCK = original


def test_a_file_that_cannot_be_mapped_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import slr.importers

    export = tmp_path / "one.ris"
    export.write_bytes(b"\xef\xbb\xbfTY  - JOUR\r\nTI  - Mapped or read\r\nER  - \r\n")
    mapped = read_file(export)

    def refuse(*_args: object, **_kwargs: object) -> None:
        raise OSError("mmap: operation not supported by this file system")

    monkeypatch.setattr(slr.importers.mmap, "mmap", refuse)
    read = read_file(export)
    assert [r.title for r in read.result.records] == ["Mapped or read"]
    assert (read.sha256, read.size, read.decoded.encoding) == (
        mapped.sha256,
        mapped.size,
        mapped.decoded.encoding,
    )
    assert read.result == mapped.result
