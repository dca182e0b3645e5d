"""CSV and tab-delimited importers: real exports checked by eye, quirks, malformed input, fuzz."""

from __future__ import annotations

import csv
import functools
import io
from pathlib import Path

import pytest
from conftest import REAL_EXPORTS, manifest_rows
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from slr.errors import UnknownFormat
from slr.importers import FileImport, parse_text, read_file
from slr.importers.csv_formats import (
    DIMENSIONS,
    IEEE,
    LENS,
    POP,
    PUBMED,
    SCOPUS,
    SPECIFIC,
    WOS_TAB,
    parse_generic,
    parse_spec,
    sniff_generic,
    split_references,
)
from slr.importers.registry import FORMATS, detect
from slr.models import Author, ImportWarning, ParseResult, Record
from slr.normalize import clean_text

# MANIFEST format -> (slr format, flavour)
MINE = {
    "scopus-csv": ("scopus-csv", "scopus"),
    "wos-tab-delimited": ("wos-tab", "wos"),
    "pubmed-csv": ("pubmed-csv", "pubmed"),
    "ieee-csv": ("ieee-csv", "ieee"),
    "lens-csv": ("lens-csv", "lens"),
    "dimensions-csv": ("dimensions-csv", "dimensions"),
    "publish-or-perish-csv": ("pop-csv", "pop"),
}
ROWS = [row for row in manifest_rows() if row["format"] in MINE]
FORMAT_NAMES = [spec.name for spec in SPECIFIC] + ["csv"]

SCOPUS_OLD = "scopus-csv/scopus_testing.csv.scopus"
SCOPUS_NEW = "scopus-csv/scopus_v2.csv"
WOS_UTF8 = "wos-tab-delimited/wos_tab_delimited_win_utf8.txt"
WOS_UTF16 = "wos-tab-delimited/wos_tab_delimited_win_utf16.txt"
WOS_2026 = "wos-tab-delimited/wos_2026_04_02_4071.txt"
PUBMED_2022 = "pubmed-csv/pubmed.csv"
PUBMED_2023 = "pubmed-csv/pubmed-chatbot.csv"
IEEE_FILE = "ieee-csv/ieee_1.csv"
LENS_FILE = "lens-csv/lens-export.csv"
DIMENSIONS_FILE = "dimensions-csv/Dimensions-Publication-2025-10-14_15-57-25.csv"
POP_FILE = "google-scholar-pop-csv/Google_results.csv"


@functools.cache
def _imported(relative: str) -> FileImport:
    return read_file(REAL_EXPORTS / relative)


@pytest.fixture
def real(real_exports: Path):
    """Parsed real export by relative path (each file parsed once per session)."""
    return _imported


def at_line(result: ParseResult, line: int) -> Record:
    matches = [r for r in result.records if r.line == line]
    assert len(matches) == 1, f"no single record starts on line {line}"
    return matches[0]


def essentials(record: Record) -> tuple[object, ...]:
    first = record.authors[0] if record.authors else Author()
    return record.title, (first.family, first.given), record.year, record.doi


# ---------------------------------------------------------------------------------------------
# Every real export of the family: count, no failure, detected format and flavour
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("row", ROWS or [None], ids=[r["path"] for r in ROWS] or ["absent"])
def test_real_export_count_format_and_flavour(real, row: dict[str, str] | None) -> None:
    if row is None:
        pytest.skip("../shared/real-exports is not present")
    imported = real(row["path"])
    result = imported.result
    assert [f.describe(row["path"]) for f in result.failures] == []
    assert len(result.records) == int(row["records"])
    assert (imported.format.name, result.flavour) == MINE[row["format"]]
    assert result.format == imported.format.name
    lines = [r.line for r in result.records]
    assert lines == sorted(set(lines)) and lines[0] >= 2
    assert all(r.raw and (r.title or r.doi) for r in result.records)


# ---------------------------------------------------------------------------------------------
# Records checked by eye against the files
# ---------------------------------------------------------------------------------------------
EYE_CHECKED = [
    (SCOPUS_OLD, 2, ("Strain Distribution of Complex-Bending YBCO Tape in Force-Balanced Coil "
                     "Applied to SMES", ("Yagai", "T."), 2016, "10.1109/tasc.2016.2541670"),
     "High-temperature superconductor power applications are still expected to be the main"),
    (SCOPUS_OLD, 221, ("The Case for a Sociology of Roman Law", ("Pölönen", "J."), 2012,
                       "10.1093/acprof:oso/9780199282548.003.0022"),
     "This chapter considers the sociology of Roman law. In particular, it looks at"),
    (SCOPUS_OLD, 4, ("APL in Business Data Processing. [APL IN DER BETRIEBLICHEN DV.]",
                     ("Janko", "Wolfgang"), 1985, ""),
     "APL is a widely recognized interactive programming language."),
    (SCOPUS_NEW, 2, ("Gender-specific visual perturbation effects on muscle activation during "
                     "incline treadmill walking: a virtual reality study", ("Hao", "Jie"), 2023,
                     "10.1080/00140139.2022.2113152"),
     "This study investigated the effects of different visual rotation speeds and types"),
    (SCOPUS_NEW, 89, ("“Simulation of medical goggles to stop airborne transmission of viruses: "
                      "computational fluid dynamics in ergonomics”", ("Yang", "Wenxiu"), 2023,
                      "10.1080/00140139.2022.2084565"),
     "This paper presents a position statement on combining computational fluid dynamics"),
    (WOS_UTF8, 2, ("Knowledge networks as channels and conduits: The effects of spillovers in the "
                   "Boston biotechnology community", ("Owen-Smith", "J"), 2004,
                   "10.1287/orsc.1030.0054"),
     "We contend that two important, nonrelational, features of formal interorganizational"),
    (WOS_UTF16, 51, ("Engineering research in ocean sector: An international profile",
                     ("Dastidar", "PG"), 2005, "10.1007/s11192-005-0268-1"),
     "In this paper attempt has been made to study the engineering research scenario"),
    (WOS_2026, 2, ("Design and Implementation of a Wearable System Based on a Flexible "
                   "Capacitive Sensor, Monitoring Knee Laxity", ("Sheeja Prakash", "Karthika"),
                   2023, "10.1002/adsr.202300058"),
     "The anterior cruciate ligament (ACL) tear is one of the most common knee injuries"),
    (PUBMED_2022, 2, ("Machine-learning-based diagnostics of EEG pathology", ("Gemein", "LAW"),
                      2020, "10.1016/j.neuroimage.2020.117021"), ""),
    (PUBMED_2023, 2, ("Chatbot-Delivered Psychotherapy for Adults With Depressive and Anxiety "
                      "Symptoms: A Systematic Review and Meta-Regression", ("Lim", "SM"), 2022,
                      "10.1016/j.beth.2021.09.007"), ""),
    (IEEE_FILE, 2, ("Exploring a multi-resolution GPU programming model for Chapel",
                    ("Hayashi", "A."), 2020, "10.1109/ipdpsw50202.2020.00117"),
     "There is a growing need to support accelerators, especially GPU accelerators, since"),
    (IEEE_FILE, 101, ("An Efficient GPU Implementation for Large Scale Individual-Based "
                      "Simulation of Collective Behavior", ("Erra", "U."), 2009,
                      "10.1109/hibi.2009.11"),
     "In this work we describe a GPU implementation for an individual-based model"),
    (LENS_FILE, 2, ("Construction And Verification Of Distributed Medical Database Using "
                    "Resource Description Framework", ("Hayakawa", "Y."), 2015,
                    "10.1007/s11548-015-1213-2"),
     "Sensorineural hearing loss is becoming one the most common reasons of disability."),
    (LENS_FILE, 77, ("Smart Visual Assistance for Visually Impaired", ("Das", "Neetha"), 2022,
                     "10.34293/acsjse.v2i1.27"),
     "The visually impaired personnel face a variety problem in their day to day life."),
    (DIMENSIONS_FILE, 2, ("N100 as a response prediction biomarker for accelerated 1 Hz right "
                          "DLPFC-rTMS in major depression", ("Sheen", "Jack Z"), 2024,
                          "10.1016/j.jad.2024.07.131"),
     "BACKGROUND AND OBJECTIVE: Repetitive transcranial magnetic stimulation (rTMS) is a safe"),
    (DIMENSIONS_FILE, 8, ("Non‐suicidal self‐injury, suicidal thoughts and behaviors in "
                          "individuals with an eating disorder relative to healthy and psychiatric"
                          " controls: A systematic review and meta‐analysis",
                          ("Sohn", "Maya N."), 2023, "10.1002/eat.23880"),
     "OBJECTIVE: Eating disorders (ED) may be associated with an increased prevalence"),
    (POP_FILE, 2, ("Development of a wearable guide device based on convolutional neural network"
                   " for blind or visually impaired persons", ("Hsieh", "YZ"), 2020,
                   "10.1007/s11042-020-09464-7"),
     "… guide device for blind or visually impaired persons on the basis of video streaming"),
    (POP_FILE, 201, ("Blind MuseumTourer: A system for self-guided tours in museums and blind "
                     "indoor navigation", ("Meliones", "A"), 2018, ""),
     "… autonomous navigation for blind and visually impaired …"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("path", "line", "expected", "abstract"),
    EYE_CHECKED,
    ids=[f"{path.rsplit('/', 1)[1]}:{line}" for path, line, _, _ in EYE_CHECKED],
)
def test_record_checked_by_eye(real, path: str, line: int, expected: tuple, abstract: str) -> None:
    record = at_line(real(path).result, line)
    assert essentials(record) == expected
    assert record.abstract.startswith(abstract)
    if not abstract:
        assert record.abstract == ""


# ---------------------------------------------------------------------------------------------
# Scopus quirks
# ---------------------------------------------------------------------------------------------
def test_scopus_2016_fields_and_quirks(real) -> None:
    result = real(SCOPUS_OLD).result
    first = at_line(result, 2)
    # "Art. No." with a leading space stands in for the missing page range; raw keeps it as is
    assert first.pages == "7433444"
    assert first.raw["Art. No."] == " 7433444"
    assert first.issn == ["1051-8223"]  # "10518223" without hyphen
    assert first.ids == {"eid": "2-s2.0-84963944162"}
    assert first.url.startswith("https://www.scopus.com/inward/record.uri?eid=2-s2.0-84963944162")
    assert first.copyright == "© 2016 IEEE."
    assert first.abstract.endswith("will degrade the overall superconducting property.")
    assert (first.source_title, first.volume, first.issue) == (
        "IEEE Transactions on Applied Superconductivity", "26", "4")  # fmt: skip
    assert (first.language, first.document_type) == ("English", "Article")
    assert first.publisher == "Institute of Electrical and Electronics Engineers Inc."
    # old layout: comma-separated "Family I." authors
    assert len(first.authors) == 11
    assert first.authors[-1] == Author("Imagawa", "S.")
    assert first.author_keywords == [
        "complex bending", "force-balanced coil", "SMES", "strain distribution", "YBCO",
    ]  # fmt: skip
    assert first.index_keywords[:2] == ["Carbon", "Carbon footprint"]
    assert len(first.cited_references) == 8
    assert first.cited_references[0].startswith("Barth, C., Electro-mechanical properties of REBCO")
    # <inf> markup in titles
    assert at_line(result, 3).title.startswith("A Novel Partial Melting Process for YBa2Cu3O7−z ")
    assert at_line(result, 3).authors[2] == Author("Pu", "M.H.")
    # "[No abstract available]" placeholder
    assert at_line(result, 19).title == "The hallmarks of cancer"
    assert at_line(result, 19).abstract == ""
    assert sum(1 for r in result.records if r.abstract) == 220 - 16
    # the German record, and the book and its chapter that share a title
    assert [r.language for r in result.records].count("German") == 1
    law = [r.doi for r in result.records if r.title == "Law and Sociology"]
    assert law == ["10.1093/acprof:oso/9780199282548.003.0001",
                   "10.1093/acprof:oso/9780199282548.001.0001"]  # fmt: skip
    assert sum(1 for r in result.records if not r.doi) == 60
    anonymous = [r for r in result.records if r.raw["Authors"] == "[No author name available]"]
    assert len(anonymous) == 3 and all(r.authors == [] for r in anonymous)
    group = [r for r in result.records if "Study Group" in r.raw["Authors"]]
    assert group[0].authors[0] == Author(literal="Scandinavian Simvastatin Survival Study Group")
    assert sum(1 for r in result.records if r.cited_references) == 175
    assert all(r.ids["eid"].startswith("2-s2.0-") for r in result.records)


def test_scopus_2023_full_names_and_ids(real) -> None:
    result = real(SCOPUS_NEW).result
    first = at_line(result, 2)
    # "Hao, Jie (57221302630)": full names without the Scopus author id
    assert first.authors == [
        Author("Hao", "Jie"),
        Author("High", "Robin"),
        Author("Siu", "Ka-Chun"),
    ]
    assert first.raw["Author(s) ID"] == "57221302630; 6701683718; 57192938181"
    assert (first.pmid, first.ids["pmid"], first.pages) == ("35965444", "35965444", "704-715")
    assert first.issn == ["0014-0139"]
    assert len(first.cited_references) == 48
    assert first.cited_references[0].startswith("Adkin A.L., Campbell A.D., Chua R.")
    assert sum(1 for r in result.records if r.abstract) == 88 - 2
    assert all(r.doi for r in result.records)


def test_scopus_references_keep_inner_semicolons(real) -> None:
    references = [ref for r in real(SCOPUS_NEW).result.records for ref in r.cited_references]
    # "; " inside a reference: a PubMed type list in brackets, a title continued in lower case
    assert "Damasio A.R., Descartes’ error; emotion, reason, and the human brain, (1994)" in (
        references)  # fmt: skip
    bracketed = [r for r in references if r.startswith("Daniel K., Wii-hab for pre-frail")]
    assert len(bracketed) == 1
    assert "[Clinical Trial; Journal Article; Randomized Controlled Trial]" in bracketed[0]
    assert not any(r in {"Journal Article", "Randomized Controlled Trial"} for r in references)
    # but name particles still start a new reference
    assert any(r.startswith("de Heer B.A., Prior S.") for r in references)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("A B., Title, J, (2001); C D., Other, K, (2002)",
         ["A B., Title, J, (2001)", "C D., Other, K, (2002)"]),
        ("A B., Title [Journal Article; Review], J, (2001); van C D., X, (2002)",
         ["A B., Title [Journal Article; Review], J, (2001)", "van C D., X, (2002)"]),
        ("A B., Descartes' error; emotion, reason, (1994)",
         ["A B., Descartes' error; emotion, reason, (1994)"]),
        ("Vive Pro Eye; Hololens 2", ["Vive Pro Eye", "Hololens 2"]),
        ("single", ["single"]),
    ],
)  # fmt: skip
def test_split_references(value: str, expected: list[str]) -> None:
    assert split_references(value) == expected


# ---------------------------------------------------------------------------------------------
# WoS tab-delimited quirks
# ---------------------------------------------------------------------------------------------
def test_wos_tab_trailing_tab_and_utf16_twin(real) -> None:
    utf8, utf16 = real(WOS_UTF8), real(WOS_UTF16)
    assert utf8.decoded.encoding == "utf-8-sig" and utf16.decoded.encoding == "utf-16"
    # 60 fields on every row against 59 header tags: no failure, nothing shifted
    first = at_line(utf8.result, 2)
    assert first.ids == {"wos": "WOS:000220015600001"}
    assert first.raw["PT"] == "J" and first.raw["UT"] == "WOS:000220015600001"
    assert (first.source_title, first.volume, first.issue, first.pages) == (
        "ORGANIZATION SCIENCE", "15", "1", "5-21")  # fmt: skip
    assert first.issn == ["1047-7039"]
    assert first.author_keywords[0] == "knowledge networks"
    assert first.index_keywords[0] == "STRATEGIC ALLIANCE FORMATION"
    assert first.publisher == "INST OPERATIONS RESEARCH MANAGEMENT SCIENCES"
    assert "10.2307/2667105" in first.cited_dois
    # the UTF-16 file is the same 50 records
    assert [
        (r.title, r.doi, r.authors, r.abstract, r.cited_references) for r in utf8.result.records
    ] == [(r.title, r.doi, r.authors, r.abstract, r.cited_references) for r in utf16.result.records]


def test_wos_tab_cited_references_match_wos_count(real) -> None:
    records = real(WOS_UTF8).result.records
    # "; " split (not ";": SICI DOIs contain one) gives exactly WoS's own NR count
    assert [len(r.cited_references) for r in records] == [int(r.raw["NR"]) for r in records]


def test_wos_tab_2026_columns(real) -> None:
    result = real(WOS_2026).result
    first = at_line(result, 2)
    # AF full names over AU short ones; AR article number for pages; DL link as url
    assert first.raw["AU"].startswith("Prakash, KS;")
    assert len(first.authors) == 11 and first.authors[2] == Author("von Einem", "Vicky Chantal")
    assert first.pages == "2300058"
    assert first.url == "http://dx.doi.org/10.1002/adsr.202300058"
    assert first.cited_references == []
    last = at_line(result, 72)
    assert last.issn == ["1079-2082", "1535-2900"]  # SN and EI
    assert (last.pmid, last.ids["pmid"], last.document_type) == (
        "39792428", "39792428", "Editorial Material")  # fmt: skip
    news = at_line(result, 41)
    assert (news.document_type, news.doi) == ("News Item", "")
    assert news.authors == []  # "[Anonymous]" is no author
    assert news.raw["AU"] == "[Anonymous]"
    assert sum(1 for r in result.records if not r.doi) == 34
    assert sum(1 for r in result.records if r.abstract) == 34


# ---------------------------------------------------------------------------------------------
# PubMed, IEEE, Lens, Dimensions, Publish or Perish quirks
# ---------------------------------------------------------------------------------------------
def test_pubmed_csv_quirks(real) -> None:
    result = real(PUBMED_2022).result
    first = at_line(result, 2)
    assert [a.family for a in first.authors][:3] == ["Gemein", "Schirrmeister", "Chrabąszcz"]
    assert first.authors[-1] == Author("Ball", "T")  # the list's closing period is not initial
    assert (first.source_title, first.volume, first.pages) == ("Neuroimage", "220", "117021")
    assert first.ids == {"pmid": "32534126"}  # empty quoted PMCID is not an id
    assert "PMCID" not in first.raw
    assert first.raw["Create Date"] == "2020/06/14"
    assert sum(1 for r in result.records if not r.doi) == 1
    assert all(r.abstract == "" and r.pmid for r in result.records)
    # "et al." closes a truncated author list
    assert not any(a.family.lower().startswith("et al") for r in result.records for a in r.authors)
    chatbot = at_line(real(PUBMED_2023).result, 2)  # header quoted, empty fields unquoted
    assert (chatbot.volume, chatbot.issue, chatbot.pages) == ("53", "2", "334-347")
    assert chatbot.authors[-1] == Author("Lau", "Y")


def test_ieee_csv_quirks(real) -> None:
    result = real(IEEE_FILE).result
    first = at_line(result, 2)
    assert first.ids == {"ieee": "9150427"}  # arnumber from the PDF link
    assert first.url == "https://ieeexplore.ieee.org/stamp/stamp.jsp?arnumber=9150427"
    assert first.isbn == ["978-1-7281-7445-7"]
    assert first.document_type == "IEEE Conferences"
    assert first.pages == "675"
    # IEEE Terms + INSPEC terms are index keywords
    assert first.index_keywords[:2] == ["Graphics processing units", "Programming"]
    assert "parallel architectures" in first.index_keywords
    assert "automatic compilation" in first.index_keywords
    assert [a.display for a in first.authors] == ["Hayashi, A.", "Paul, S. Raj", "Sarkar, V."]
    assert "NVIDIA® GPUs solve complex problems" in at_line(result, 63).abstract  # <sup> gone
    assert at_line(result, 101).author_keywords == [
        "gpu", "individual-based model", "large scale simulation"]  # fmt: skip
    kinds = {r.document_type for r in result.records}
    assert kinds == {"IEEE Conferences", "IEEE Journals", "IEEE Magazines",
                     "IEEE Early Access Articles"}  # fmt: skip
    assert sum(1 for r in result.records if not r.doi) == 3
    assert all(r.ids["ieee"].isdigit() for r in result.records)


def test_lens_csv_quirks(real) -> None:
    result = real(LENS_FILE).result
    first = at_line(result, 2)
    assert first.ids == {"lens": "000-102-656-132-186", "pmid": "25985879"}
    assert first.issn == ["1861-6429", "1861-6410"]  # "18616429; 18616410"
    assert (first.volume, first.issue, first.pages) == ("10", "S1", "300-301")
    assert first.document_type == "journal article"
    assert first.url == "http://dx.doi.org/10.1007/s11548-015-1213-2"
    # References are Lens ids, kept as reference strings and raw
    assert first.cited_references == ["028-396-621-844-004", "074-722-268-937-945"]
    assert first.raw["References"] == "028-396-621-844-004; 074-722-268-937-945"
    assert first.authors[-1] == Author("早川", "吉彦")
    jats = at_line(result, 77)
    assert "<" not in jats.abstract and "jats" not in jats.abstract
    assert [a.display for a in jats.authors][:2] == ["Das, Neetha", "Prajwal, V"]  # "null X"
    assert not any(a.given.startswith("null") for r in result.records for a in r.authors)
    assert sum(1 for r in result.records if r.abstract) == 627
    assert sum(1 for r in result.records if r.cited_references) == 849
    assert sum(1 for r in result.records if not r.doi) == 79
    assert not any("\u00a0" in r.title or "&amp;" in r.abstract for r in result.records)


def test_dimensions_csv_quirks(real) -> None:
    result = real(DIMENSIONS_FILE).result
    first = at_line(result, 2)
    assert first.ids == {"dimensions": "pub.1173974926", "pmid": "39033822"}
    assert "\u00a0" not in first.title  # no-break space in "1 Hz"
    assert first.pages == "174-181"
    assert first.url == "https://app.dimensions.ai/details/publication/pub.1173974926"
    assert first.index_keywords[:2] == ["Humans", "Depressive Disorder, Major"]
    assert len(first.authors) == 15 and first.authors[-1] == Author("Downar", "Jonathan")
    # line breaks inside quoted abstracts (LF) between CRLF records: lines are physical lines
    assert [r.line for r in result.records][:4] == [2, 7, 8, 13]
    assert at_line(result, 7).ids["pmcid"] == "PMC6508355"
    assert result.records[-1].line == 226  # the file does not end with a newline
    assert all(r.doi for r in result.records)
    assert sum(1 for r in result.records if r.pmid) == 101
    assert sum(1 for r in result.records if r.abstract) == 110


def test_dimensions_preamble_is_skipped(real_exports: Path) -> None:
    text = (real_exports / DIMENSIONS_FILE).read_text(encoding="utf-8").replace("\r\n", "\n")
    note = '"About the data: Exported on Oct 14, 2025. Criteria: Text: ""TMS"" in full data."'
    with_note = f"{note}\n{text}"
    assert detect(with_note, "x.csv").name == "dimensions-csv"
    result = FORMATS["dimensions-csv"].parse(with_note, None)
    assert result.failures == []
    assert len(result.records) == 126
    assert result.records[0].line == 3  # still the physical line
    assert any(w.kind == "skipped-note" and "About the data" in w.message for w in result.warnings)
    plain = FORMATS["dimensions-csv"].parse(text, None)
    assert [r.title for r in plain.records] == [r.title for r in result.records]


def test_publish_or_perish_quirks(real) -> None:
    result = real(POP_FILE).result
    assert any(w.kind == "vendor-note" and "snippets" in w.message for w in result.warnings)
    truncated = at_line(result, 5)  # "D Ahmetovic, S Mascetti, C Bernareggi…"
    assert [a.family for a in truncated.authors] == ["Ahmetovic", "Mascetti", "Bernareggi"]
    first = at_line(result, 2)
    assert first.url == "https://link.springer.com/article/10.1007/s11042-020-09464-7"
    assert first.raw["GSRank"] == "1" and first.raw["Cites"] == "24"
    assert sum(1 for r in result.records if not r.doi) == 130
    assert sum(1 for r in result.records if r.abstract) == 199
    assert not any("\u200e" in r.title for r in result.records)


# ---------------------------------------------------------------------------------------------
# Sniffing
# ---------------------------------------------------------------------------------------------
HEADERS = {
    "scopus-csv": '"Authors","Author full names","Title","Year","Source title","DOI","EID"\n',
    "wos-tab": "PT\tAU\tAF\tTI\tSO\tPY\tDI\tUT\n",
    "pubmed-csv": "PMID,Title,Authors,Citation,First Author,Journal/Book,Publication Year,DOI\n",
    "ieee-csv": '"Document Title",Authors,"Publication Title",PDF Link,"DOI"\n',
    "lens-csv": "Lens ID,Title,Publication Year,Author/s,DOI\n",
    "dimensions-csv": "Rank,Publication ID,DOI,Title,Authors,Dimensions URL\n",
    "pop-csv": "Cites,Authors,Title,Year,Source,GSRank,QueryDate,DOI\n",
    "csv": "title,abstract,authors,doi,label_included\n",
}


@pytest.mark.parametrize("name", sorted(HEADERS))
def test_sniff_picks_the_specific_format(name: str) -> None:
    head = HEADERS[name]
    assert detect(head, "export.csv").name == name
    for other in FORMAT_NAMES:
        score = FORMATS[other].sniff(head, "export.csv")
        assert score == 0 or other in (name, "csv")
    if name != "csv":
        assert FORMATS[name].sniff(head, "") >= 70
        assert 0 < sniff_generic(head, "") <= 35


@pytest.mark.parametrize(
    "head",
    [
        "TY  - JOUR\nTI  - A, b\nER  - \n",
        "@article{key,\n  title = {A, b},\n}\n",
        '[{"title": "a", "doi": "b"}]',
        '<?xml version="1.0"?>\n<xml><records/></xml>',
        "PMID- 123\nTI  - a, b\n",
        "FN Clarivate Analytics Web of Science\nVR 1.0\nPT J\n",
        "Just a sentence, with a comma, and nothing else.",
        "",
    ],
)
def test_sniffers_ignore_other_formats(head: str) -> None:
    assert all(FORMATS[name].sniff(head, "x.txt") == 0 for name in FORMAT_NAMES)


def test_generic_sniff_is_low_even_without_title_column() -> None:
    assert sniff_generic("a;b;c\n1;2;3\n", "x.csv") == 31
    assert sniff_generic("Article Title;Writers\nx;y\n", "x.csv") == 35


# ---------------------------------------------------------------------------------------------
# Generic CSV: aliases, delimiters, column maps, slr's own export
# ---------------------------------------------------------------------------------------------
def test_generic_csv_common_column_names() -> None:
    text = (
        "primary_title,notes_abstract,Author,publication year,DOI,keywords,journal\n"
        '"A study, of things","Line one\nline two",Smith J; Doe K,2019,'
        "https://doi.org/10.1000/ABC,kw1; kw2,J Things\n"
        "Second,,,2020,,,\n"
    )
    result = parse_text(text, "asreview.csv")
    assert (result.format, result.flavour, result.failures) == ("csv", "", [])
    first, second = result.records
    assert (first.title, first.abstract, first.year, first.doi) == (
        "A study, of things", "Line one line two", 2019, "10.1000/abc")  # fmt: skip
    assert first.authors == [Author("Smith", "J"), Author("Doe", "K")]
    assert (first.author_keywords, first.source_title) == (["kw1", "kw2"], "J Things")
    assert (second.line, second.title, second.year) == (4, "Second", 2020)


def test_generic_csv_semicolon_and_tab_delimiters() -> None:
    semicolon = parse_generic("Title;Authors;Year\nA, with comma;Doe, John;2001\n", None)
    assert [(r.title, r.authors, r.year) for r in semicolon.records] == [
        ("A, with comma", [Author("Doe", "John")], 2001)]  # fmt: skip
    tab = parse_generic("Title\tYear\tPages\nT\t1999\t1-9\n", None)
    assert [(r.title, r.year, r.pages) for r in tab.records] == [("T", 1999, "1-9")]
    excel = parse_text("sep=;\nTitle;Year;Notes\nA, b;2001;x,y\n", "excel.csv")
    assert excel.format == "csv"
    assert [(r.title, r.year, r.line) for r in excel.records] == [("A, b", 2001, 3)]


def test_scopus_short_authors_when_full_names_are_missing() -> None:
    text = (
        '"Authors","Author full names","Title","Source title","EID"\n'
        '"Pu M.H.; Janko Wolfgang; [No author name available]","","T","J","2-s2.0-1"\n'
        '"Yagai T., Van der Berg J.-P.","","U","J","2-s2.0-2"\n'
    )
    first, second = parse_spec(SCOPUS, text, None).records
    assert first.authors == [Author("Pu", "M.H."), Author("Janko", "Wolfgang")]
    assert second.authors == [Author("Yagai", "T."), Author("Van der Berg", "J.-P.")]


def test_generic_csv_column_map() -> None:
    text = "Name of paper;Writers;When;Where;Ref\nX;Roe, R.;2010;J;R1\n"
    assert parse_generic(text, None).records == []
    mapped = parse_generic(text, {"title": "Name of paper", "authors": "Writers", "year": "When",
                                  "source_title": "Where", "ids.local": "Ref"})  # fmt: skip
    assert mapped.failures == []
    record = mapped.records[0]
    assert (record.title, record.authors, record.year, record.source_title) == (
        "X", [Author("Roe", "R.")], 2010, "J")  # fmt: skip
    assert record.ids == {"local": "R1"}
    assert record.raw == {
        "Name of paper": "X", "Writers": "Roe, R.", "When": "2010", "Where": "J", "Ref": "R1",
    }  # fmt: skip


def test_column_map_naming_a_missing_column_fails_on_line_1() -> None:
    result = parse_generic("Title,Year\nX,2000\n", {"abstract": "Summary Text"})
    assert result.records == []
    assert [(f.line, "Summary Text" in f.reason) for f in result.failures] == [(1, True)]
    unknown = parse_generic("Title,Year\nX,2000\n", {"colour": "Title"})
    assert unknown.records == [] and "colour" in unknown.failures[0].reason
    # a map also works on a specific format
    specific = FORMATS["pubmed-csv"].parse(HEADERS["pubmed-csv"] + "1,T,A B,,Z Q,J,2000,\n",
                                           {"title": "First Author"})  # fmt: skip
    assert specific.records[0].title == "Z Q"


def test_generic_csv_without_title_column_asks_for_a_map() -> None:
    result = parse_generic("Name,Writers,When\nX,Y,2000\n", None)
    assert result.records == []
    (failure,) = result.failures
    assert failure.line == 1
    assert "Name, Writers, When" in failure.reason and "--map" in failure.reason


def test_slr_export_csv_reads_back_as_generic_csv() -> None:
    text = (
        "id,title,authors,year,source_title,volume,issue,pages,doi,pmid,issn,isbn,abstract,"
        "author_keywords,index_keywords,language,document_type,url,publisher,source_file,"
        "database,duplicate_of\n"
        '7,"A title, quoted","Örücü, Deniz; van der Berg, J.; World Health Organization",2021,'
        "J Things,3,2,10-19,10.1000/x,123,1234-5678; 2345-6789,978-3-16-148410-0,"
        '"Abs ""q""",a; b,C; D,English,Article,https://x.org,Pub,in.ris,Scopus,\n'
    )
    assert detect(text, "export.csv").name == "csv"
    record = parse_generic(text, None).records[0]
    assert record.authors == [
        Author("Örücü", "Deniz"), Author("van der Berg", "J."),
        Author(literal="World Health Organization")]  # fmt: skip
    assert (record.title, record.year, record.source_title, record.volume, record.issue,
            record.pages, record.doi, record.pmid) == (
        "A title, quoted", 2021, "J Things", "3", "2", "10-19", "10.1000/x", "123")  # fmt: skip
    assert record.issn == ["1234-5678", "2345-6789"]
    assert record.isbn == ["978-3-16-148410-0"]
    assert (record.abstract, record.author_keywords, record.index_keywords) == (
        'Abs "q"', ["a", "b"], ["C", "D"])  # fmt: skip
    assert (record.language, record.document_type, record.url, record.publisher) == (
        "English", "Article", "https://x.org", "Pub")  # fmt: skip
    assert record.raw["id"] == "7" and record.raw["database"] == "Scopus"


def test_zotero_csv_flavour() -> None:
    text = ('"Key","Item Type","Publication Year","Author","Title","Abstract Note"\n'
            '"AB12","journalArticle","2020","Doe, Jane; Roe, R.","T","Abs"\n')  # fmt: skip
    result = parse_text(text, "zotero.csv")
    assert (result.format, result.flavour) == ("csv", "zotero")
    assert result.records[0].authors == [Author("Doe", "Jane"), Author("Roe", "R.")]


# ---------------------------------------------------------------------------------------------
# Malformed input
# ---------------------------------------------------------------------------------------------
SCOPUS_HEADER = '"Authors","Author full names","Title","Year","Source title","DOI","Abstract","EID"'


def scopus_row(i: int) -> str:
    return (f'"Doe J.; Roe K.","Doe, John (1234567); Roe, Kim (7654321)","Title {i}","2020",'
            f'"Journal","10.1000/x{i}","First line of {i}\nsecond line","2-s2.0-{i}"')  # fmt: skip


def test_one_short_row_among_a_thousand() -> None:
    rows = [scopus_row(i) for i in range(1000)]
    rows[500] = rows[500].replace('"2020","Journal",', "")  # two fields missing
    result = parse_text("\n".join([SCOPUS_HEADER, *rows]) + "\n", "scopus.csv")
    assert result.format == "scopus-csv"
    assert len(result.records) == 999
    (failure,) = result.failures
    assert failure.line == 2 + 2 * 500  # every row spans two physical lines
    assert failure.reason == "row has 6 fields, header has 8"
    assert failure.excerpt.startswith("Doe J.; Roe K.,Doe, John") and len(failure.excerpt) <= 60
    after = result.records[500]
    assert (after.line, after.title, after.ids["eid"]) == (2 + 2 * 501, "Title 501", "2-s2.0-501")
    assert after.authors == [Author("Doe", "John"), Author("Roe", "Kim")]


def test_one_short_row_among_a_thousand_wos_tab() -> None:
    header = "PT\tAU\tAF\tTI\tSO\tPY\tDI\tUT"
    rows = [f"J\tDoe, J\tDoe, John\tTitle {i}\tJOURNAL\t2001\t10.1/{i}\tWOS:{i:015d}\t"
            for i in range(1000)]  # fmt: skip
    rows[10] = "J\tDoe, J\tTitle only"
    result = FORMATS["wos-tab"].parse("\n".join([header, *rows]), None)
    assert len(result.records) == 999
    assert [(f.line, f.reason) for f in result.failures] == [(12, "row has 3 fields, header has 8")]
    assert result.records[10].line == 13 and result.records[10].ids["wos"] == "WOS:000000000000011"


def test_missing_column_in_header() -> None:
    # a Scopus file without its DOI and Abstract columns still imports what it has
    text = '"Authors","Title","Year","Source title","EID"\n"Doe J.","T","2001","J","2-s2.0-1"\n'
    result = parse_text(text, "scopus.csv")
    assert (result.format, result.failures) == ("scopus-csv", [])
    assert essentials(result.records[0]) == ("T", ("Doe", "J."), 2001, "")


def test_row_with_extra_fields() -> None:
    extra_empty = parse_spec(PUBMED, HEADERS["pubmed-csv"] + "1,T,A B,c,A B,J,2000,10.1/x,,,\n",
                             None)  # fmt: skip
    assert extra_empty.failures == [] and len(extra_empty.records) == 1
    extra_full = parse_spec(PUBMED, HEADERS["pubmed-csv"] + "1,T,A B,c,A B,J,2000,10.1/x,oops\n",
                            None)  # fmt: skip
    assert [(f.line, f.reason) for f in extra_full.failures] == [
        (2, "row has 9 fields, header has 8")]  # fmt: skip


def test_unterminated_quote_at_the_end() -> None:
    good = '"Doe J.","Doe, John (1234567)","Good","2020","J","10.1/g","abs","2-s2.0-1"'
    # the quote opens in the last field: the record is kept, with a warning naming the line
    cut = parse_text(f'{SCOPUS_HEADER}\n{good}\n"Doe J.","","Cut","2020","J","10.1/c","abs",'
                     '"2-s2.0-2\n', "s.csv")  # fmt: skip
    assert [r.title for r in cut.records] == ["Good", "Cut"]
    assert cut.records[1].ids["eid"] == "2-s2.0-2"
    assert cut.records[0].authors == [Author("Doe", "John")]
    assert cut.failures == []
    assert any(
        (w.line, w.kind) == (3, "cut-short")
        and w.message.startswith("a quoted field is not closed")
        for w in cut.warnings
    )
    # the quote opens in the first field: the rest of the file is one short row -> failure
    early = parse_text(f'{SCOPUS_HEADER}\n{good}\n"Doe J.,Doe John,Early,2020,J,x,y,z\n', "s.csv")
    assert [r.title for r in early.records] == ["Good"]
    (failure,) = early.failures
    assert failure.line == 3 and failure.reason.startswith("unterminated quoted field")


def test_truncated_file_and_header_only() -> None:
    header_only = parse_text(SCOPUS_HEADER + "\n", "s.csv")
    assert (header_only.records, header_only.failures) == ([], [])
    assert header_only.warnings == [
        ImportWarning(0, "no-records", "scopus-csv: the file has a header but no records")
    ]
    truncated = parse_text(f"{SCOPUS_HEADER}\n{scopus_row(1)}\n" + '"Doe J.","Do', "s.csv")
    assert len(truncated.records) == 1
    assert [f.line for f in truncated.failures] == [4]


def test_rows_without_bibliographic_content_fail() -> None:
    text = f'{SCOPUS_HEADER}\n"","","","2020","J","","abs","2-s2.0-9"\n,,,,,,,\n'
    result = parse_text(text, "s.csv")
    assert result.records == []
    assert [(f.line, f.reason) for f in result.failures] == [
        (2, "row has no title, DOI or authors")]  # fmt: skip


@pytest.mark.parametrize("name", FORMAT_NAMES)
@pytest.mark.parametrize(
    "text",
    ["", "\n\n", "garbage", "garbage\nmore garbage, with commas\n", '"', '"\n"\n', "\t\t\n\t",
     "a,b\n\r\x00,\x00\n", "About the data: nothing\n"],
)  # fmt: skip
def test_garbage_never_raises(name: str, text: str) -> None:
    result = FORMATS[name].parse(text, None)
    assert result.records == []
    assert all(f.line >= 1 and len(f.excerpt) <= 60 for f in result.failures)


# ---------------------------------------------------------------------------------------------
# Property tests
# ---------------------------------------------------------------------------------------------
def check_result(result: ParseResult) -> None:
    assert isinstance(result, ParseResult)
    for record in result.records:
        assert record.line >= 1 and (record.title or record.doi or record.authors)
    for failure in result.failures:
        assert failure.line >= 1 and len(failure.excerpt) <= 60


@settings(max_examples=150, deadline=None)
@given(text=st.text(), name=st.sampled_from(FORMAT_NAMES))
def test_parse_never_raises_on_arbitrary_text(text: str, name: str) -> None:
    check_result(FORMATS[name].parse(text, None))
    assert 0 <= FORMATS[name].sniff(text[:65536], "x.csv") <= 100


_HEADER_LINES = [
    ",".join(f'"{c}"' for c in spec.columns) for spec in SPECIFIC if spec is not WOS_TAB
]
_HEADER_LINES += ["\t".join(WOS_TAB.columns), "title,abstract,authors,year,doi",
                  "About the data: Exported", ""]  # fmt: skip
_TOKENS = [",", "\t", ";", "; ", '"', '""', "\n", " ", "\r", "Title", "Doe, J.", "Doe J.",
           "J Doe…", "null Jane", "[No author name available]", "[Anonymous]", "10.1000/x",
           "2020", "1-9", "arnumber=42", "<jats:p>a</jats:p>", "[Journal", "Article]", "de Heer",
           "© 2020 X", "[No abstract available]", "WOS:000123", "123456", "et al.", "é", "…",
           "About the data", "a (", ")"]  # fmt: skip


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    header=st.sampled_from(_HEADER_LINES),
    body=st.lists(st.sampled_from(_TOKENS), max_size=80).map("".join),
    name=st.sampled_from(FORMAT_NAMES),
    mapped=st.booleans(),
)
def test_parse_never_raises_on_format_vocabulary(header: str, body: str, name: str,
                                                 mapped: bool) -> None:  # fmt: skip
    text = f"{header}\n{body}"
    column_map = {"title": "Title", "year": "Year"} if mapped else None
    check_result(FORMATS[name].parse(text, column_map))
    try:
        detected = detect(text, "x.csv")
    except UnknownFormat:
        return
    if detected.name in FORMAT_NAMES:
        check_result(detected.parse(text, None))


_CELL = st.text(
    st.characters(categories=("L", "N", "P", "Zs"), include_characters='\n\t,;"',
                  exclude_characters="<&"),
    min_size=1, max_size=30,
).filter(lambda s: clean_text(s) != "")  # fmt: skip


@settings(max_examples=100, deadline=None)
@given(titles=st.lists(_CELL, min_size=1, max_size=8))
def test_generic_csv_written_by_csv_module_reads_back(titles: list[str]) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["Title", "Year"])
    for title in titles:
        writer.writerow([title, "2001"])
    result = parse_generic(buffer.getvalue(), None)
    assert result.failures == []
    assert [(r.title, r.year) for r in result.records] == [(clean_text(t), 2001) for t in titles]
    assert [r.raw["Title"] for r in result.records] == titles


def test_every_spec_is_registered() -> None:
    for spec in (SCOPUS, WOS_TAB, PUBMED, IEEE, LENS, DIMENSIONS, POP):
        fmt = FORMATS[spec.name]
        assert fmt.description == spec.description
        assert fmt.parse(HEADERS[spec.name], None).flavour == spec.flavour
