"""The formats added for reviewers' downloads: each detected from content, with a test file
written for the project (tests/data/imports/), its exact record count and a few fields."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from hypothesis import example, given
from hypothesis import strategies as st

from slr.cli import main as cli
from slr.importers import parse_text, read_file
from slr.importers.encoding import decode
from slr.store import Review
from slr.store.screening import decision_snapshot, human_decisions

DATA = Path(__file__).parent / "data" / "imports"


def authors(record) -> list[str]:
    return [a.display for a in record.authors]


def test_pubmed_xml() -> None:
    imported = read_file(DATA / "pubmed.xml")
    first, second = imported.result.records
    assert (imported.format.name, imported.result.flavour) == ("pubmed-xml", "pubmed")
    assert imported.result.failures == []
    assert (first.line, first.title, first.pmid, first.doi) == (
        4, "Video consultations for rural patients.", "31000001", "10.1000/jth.2019.045"
    )  # fmt: skip
    assert authors(first) == ["Smith, Jane A", "Rural Health Group"]
    assert (first.year, first.volume, first.issue, first.pages) == (2019, "12", "3", "45-60")
    assert (
        first.abstract
        == "BACKGROUND: Rural patients travel far. RESULTS: Video visits saved two hours."
    )
    assert first.ids == {"pmcid": "PMC6500001", "pmid": "31000001"}
    assert (first.index_keywords, first.author_keywords) == (["Telemedicine"], ["video visits"])
    assert (second.line, second.year, second.doi) == (43, 2020, "10.1000/dh.2020.7")  # MedlineDate


def test_endnote_tagged() -> None:
    imported = read_file(DATA / "endnote.enw")
    article, chapter = imported.result.records
    # the records name Scopus as their database (%~)
    assert (imported.format.name, imported.result.flavour) == ("endnote-tagged", "scopus")
    assert authors(article) == ["Smith, Jane", "Doe, John"]
    assert (article.year, article.doi, article.pages) == (2018, "10.1000/jtp.2018.101", "101-115")
    assert article.abstract == (
        "Export promotion agencies help small firms find their first foreign customers."
    )
    assert article.author_keywords == ["export promotion", "small firms"]
    assert (chapter.line, chapter.source_title, chapter.isbn) == (
        18, "Handbook of Digital Trade", ["978-1-78990-000-1"]
    )  # fmt: skip


def test_refworks_tagged() -> None:
    imported = read_file(DATA / "refworks.txt")
    article, book = imported.result.records
    assert (imported.format.name, imported.result.flavour) == ("refworks-tagged", "wos")
    assert (article.title, article.pages, article.issn) == (
        "Cross-border payments for small exporters", "20-34", ["2000-1234"]
    )  # fmt: skip
    assert article.author_keywords == ["payments", "exports", "small firms"]
    assert (book.line, book.publisher, book.year) == (20, "Routledge", 2017)


def test_ovid_tagged() -> None:
    imported = read_file(DATA / "ovid.txt")
    first, second = imported.result.records
    assert (imported.format.name, imported.result.flavour) == ("ovid-tagged", "medline")
    assert authors(first) == ["Smith, J.", "Doe, A."]
    assert (first.source_title, first.volume, first.issue, first.pages, first.year) == (
        "Journal of Telehealth", "12", "3", "45-60", 2019
    )  # fmt: skip
    assert (first.doi, first.ids) == ("10.1000/jth.2019.045", {"ovid": "31000001"})
    assert first.author_keywords == ["telemedicine", "rural health"]
    assert (second.line, second.pages, second.year) == (24, "1-9", 2020)


def test_ovid_tagged_with_medlars_tags() -> None:
    text = (
        "<1>\nDB  - Embase\nAN  - 2001234567\nTI  - Video consultations\nAU  - Smith J.A.\n"
        "SO  - Journal of Telehealth. 12(3) (pp 45-60), 2019.\n\n<2>\nDB  - Embase\n"
        "TI  - Remote monitoring\nAU  - Lee B.\nYR  - 2020\n"
    )
    result = parse_text(text, "ovid.txt")
    first, second = result.records
    assert (result.format, result.flavour) == ("ovid-tagged", "embase")
    assert (first.source_title, first.volume, first.issue, first.pages, first.year) == (
        "Journal of Telehealth", "12", "3", "45-60", 2019
    )  # fmt: skip
    assert (second.line, authors(second), second.year) == (8, ["Lee, B."], 2020)


def test_csl_json_takes_its_database_from_the_file() -> None:
    imported = read_file(DATA / "csl.json")
    article, paper = imported.result.records
    assert (imported.format.name, imported.result.flavour) == ("csl-json", "scopus")
    assert (article.source_title, article.pages, article.issn) == (
        "Journal of Marketing Practice", "200-215", ["1111-2222"]
    )  # fmt: skip
    assert (article.year, article.author_keywords) == (2021, ["influencers", "exports"])
    assert (paper.line, paper.document_type) == (18, "paper-conference")


def test_mods_xml() -> None:
    imported = read_file(DATA / "mods.xml")
    article, book = imported.result.records
    assert imported.format.name == "mods-xml"
    assert article.title == "Export readiness: a survey of small firms"
    assert authors(article) == ["Smith, Jane"]  # the editor is not an author
    assert (article.source_title, article.volume, article.issue, article.pages) == (
        "Journal of Small Business", "8", "2", "33-47"
    )  # fmt: skip
    assert (article.year, article.doi, article.issn) == (2019, "10.1000/jsb.2019.33", ["1234-5679"])
    assert (book.line, book.publisher, book.year) == (28, "Springer", 2020)


def test_zotero_rdf() -> None:
    imported = read_file(DATA / "zotero.rdf")
    article, book = imported.result.records  # the attachment is not a record
    assert (imported.format.name, imported.result.flavour) == ("zotero-rdf", "scopus")
    assert (article.line, article.source_title, article.doi) == (
        10, "Journal of Small Business", "10.1000/jsb.2019.33"
    )  # fmt: skip
    assert authors(article) == ["Smith, Jane", "Doe, John"]
    assert article.author_keywords == ["exports", "small firms"]
    assert (book.title, book.publisher, book.year) == ("The exporter's handbook", "Routledge", 2017)


def test_embase_csv() -> None:
    imported = read_file(DATA / "embase.csv")
    first, second = imported.result.records
    assert (imported.format.name, imported.result.flavour) == ("embase-csv", "embase")
    assert authors(first) == ["Smith, J.A.", "Doe, A."]
    assert first.ids == {"embase": "2001234567", "pmid": "31000001"}
    assert first.index_keywords == ["telemedicine", "rural health"]
    assert (first.pages, second.line, second.title) == (
        "45-60", 18, "Remote monitoring after surgery"
    )  # fmt: skip


def test_springerlink_csv_splits_names_written_together() -> None:
    imported = read_file(DATA / "springer.csv")
    article, chapter = imported.result.records
    assert (imported.format.name, imported.result.flavour) == ("springer-csv", "springer")
    assert authors(article) == ["Smith, Jane", "McDonald, John"]
    assert (article.source_title, article.volume, article.issue) == (
        "Electronic Markets",
        "31",
        "2",
    )
    assert (chapter.source_title, chapter.document_type) == ("Handbook of Digital Trade", "Chapter")


def test_openalex_web_csv() -> None:
    imported = read_file(DATA / "openalex.csv")
    work, book = imported.result.records
    assert (imported.format.name, imported.result.flavour) == ("openalex-csv", "openalex")
    assert authors(work) == ["Smith, Jane", "Doe, John"]
    assert (work.doi, work.pmid, work.issn) == (
        "10.1000/jsb.2019.33", "31000003", ["1234-5679", "2345-678X"]
    )  # fmt: skip
    assert work.author_keywords == ["Exports", "Small firms"]
    assert (book.title, book.ids) == (
        "Platform trust",
        {"openalex": "https://openalex.org/W3000000002"},
    )


def workbook(path: Path, rows: list[list[object]]) -> Path:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    book.save(path)
    return path


def test_excel_workbook_with_a_vendor_header_is_read_as_that_vendor(tmp_path: Path) -> None:
    path = workbook(
        tmp_path / "scopus.xlsx",
        [
            ["Authors", "Author full names", "Title", "Year", "Source title", "DOI", "EID"],
            [
                "Smith J.",
                "Smith, Jane (57000000001)",
                "Export readiness",
                2019,
                "JSB",
                "10.1000/jsb.2019.33",
                "2-s2.0-85000000001",
            ],
            [
                "Lee B.",
                "Lee, Bo (57000000002)",
                "Platform trust",
                2020.0,
                "EM",
                None,
                "2-s2.0-85000000002",
            ],
        ],
    )
    imported = read_file(path)
    first, second = imported.result.records
    assert (imported.format.name, imported.decoded.encoding) == ("scopus-csv", "xlsx")
    assert (first.title, authors(first), first.year, first.ids) == (
        "Export readiness", ["Smith, Jane"], 2019, {"eid": "2-s2.0-85000000001"}
    )  # fmt: skip
    assert (second.year, second.doi, second.line) == (2020, "", 3)


def test_excel_workbook_with_any_header_is_read_by_the_generic_mapping(tmp_path: Path) -> None:
    path = workbook(
        tmp_path / "list.xlsx",
        [["Title", "Authors", "Year", "Abstract"], ["A study", "Roe, Ann", 2018, "Text."]],
    )
    imported = read_file(path)
    (record,) = imported.result.records
    assert (imported.format.name, record.title, authors(record), record.year) == (
        "csv", "A study", ["Roe, Ann"], 2018
    )  # fmt: skip


def test_a_damaged_workbook_is_refused(tmp_path: Path, runner: CliRunner) -> None:
    good = workbook(tmp_path / "good.xlsx", [["Title"], ["A study"]])
    damaged = tmp_path / "damaged.xlsx"
    damaged.write_bytes(good.read_bytes()[:600])
    runner.invoke(cli, ["init", str(tmp_path / "review")])
    result = runner.invoke(cli, ["import", str(damaged), "--review", str(tmp_path / "review")])
    assert result.exit_code != 0
    assert "is a binary file, not a search export" in result.output or "damaged" in result.output


@pytest.mark.parametrize(
    ("name", "labels"),
    [
        ("asreview-labels.csv", {1: "include", 2: "exclude"}),
        ("asreview-labels.tsv", {1: "exclude", 2: "include"}),
        ("asreview-labels.ris", {1: "include", 2: "exclude"}),
    ],
)
def test_asreview_labels_become_decisions_of_a_reviewer_named_after_the_file(
    tmp_path: Path, runner: CliRunner, name: str, labels: dict[int, str]
) -> None:
    review = tmp_path / "review"
    assert runner.invoke(cli, ["init", str(review)]).exit_code == 0
    result = runner.invoke(cli, ["import", str(DATA / name), "--review", str(review)])
    assert result.exit_code == 0, result.output
    assert (
        f"  {len(labels)} ASReview labels stored as title/abstract decisions of reviewer {name!r}"
        in result.output
    )
    with Review.open(review) as opened:
        humans = decision_snapshot(opened.db).stages["title_abstract"].humans
    assert {
        record: [(d.reviewer, d.decision) for d in decisions]
        for record, decisions in humans.items()
    } == {record: [(name, label)] for record, label in labels.items()}


def test_asreview_labels_in_a_workbook(tmp_path: Path, runner: CliRunner) -> None:
    path = workbook(
        tmp_path / "asreview.xlsx",
        [["title", "abstract", "label_included"], ["A", "x", 1], ["B", "y", 0], ["C", "z", None]],
    )
    review = tmp_path / "review"
    runner.invoke(cli, ["init", str(review)])
    result = runner.invoke(cli, ["import", str(path), "--review", str(review)])
    assert result.exit_code == 0, result.output
    assert "2 ASReview labels stored" in result.output
    with Review.open(review) as opened:
        assert sorted(human_decisions(opened.db, "title_abstract")) == [1, 2]


def test_a_cjk_file_is_decoded_and_mojibake_is_reported() -> None:
    imported = read_file(DATA / "gb18030.ris")
    first, second = imported.result.records
    assert (imported.decoded.encoding, first.title, authors(first), second.source_title) == (
        "gb18030", "中小企业跨境电子商务的发展研究", ["王小明"], "经济研究"
    )  # fmt: skip
    assert [(w.line, w.kind, w.message) for w in imported.result.warnings] == [
        (2, "encoding", "not valid UTF-8 (first bad byte on line 2); read as GB18030")
    ]
    garbled = decode(bytes(range(0x80, 0x100)) * 3 + b"\nTY  - JOUR\n", "g.ris")
    assert [w.kind for w in garbled.warnings] == ["encoding", "mojibake"]


def test_help_and_readme_name_every_format(runner: CliRunner) -> None:
    from slr.importers import FORMATS

    help_text = runner.invoke(cli, ["import", "--help"]).output
    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    formats = readme.split("## Formats", 1)[1].split("\n## ", 1)[0]
    for name, fmt in FORMATS.items():
        assert f"  {name} " in help_text and fmt.description in help_text.replace("\n", " ")
        assert f"`{name}`" in formats
    vendors = ["Scopus", "Web of Science", "Embase", "Ovid", "EBSCOhost", "ERIC", "ASReview"]
    vendors += ["Zotero", "EndNote", "RefWorks", "SpringerLink", "OpenAlex", "Excel", "Lens"]
    assert [vendor for vendor in vendors if vendor not in formats] == []


WORDS = st.text(alphabet="abcdefghij ÄéøXYZ", min_size=1, max_size=20).map(str.strip).filter(bool)
ENTRIES = st.lists(
    st.tuples(
        WORDS, st.lists(st.tuples(WORDS, WORDS), min_size=1, max_size=3), st.integers(1900, 2099)
    ),
    min_size=1,
    max_size=6,
)


def _names(people: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(family.replace(" ", ""), given.replace(" ", "")) for family, given in people]


@given(ENTRIES)
def test_endnote_refworks_and_embase_read_back_what_was_written(entries: list) -> None:
    cleaned = [(title, _names(people), year) for title, people, year in entries]
    endnote = "\n".join(
        f"%0 Journal Article\n%T {title}\n"
        + "".join(f"%A {f}, {g}\n" for f, g in people)
        + f"%D {year}\n"
        for title, people, year in cleaned
    )
    refworks = "\n".join(
        f"RT Journal Article\nT1 {title}\n" + "".join(f"A1 {f}, {g}\n" for f, g in people)
        + f"YR {year}\n"
        for title, people, year in cleaned
    )  # fmt: skip
    embase = "\n".join(
        f'TITLE,"{title}"\nAUTHOR NAMES,' + ",".join(f'"{f}, {g}"' for f, g in people)
        + f'\nPUBLICATION YEAR,"{year}"\nEMBASE LINK,"x"\n'
        for title, people, year in cleaned
    )  # fmt: skip
    for text, name in (
        (endnote, "endnote-tagged"),
        (refworks, "refworks-tagged"),
        (embase, "embase-csv"),
    ):
        result = parse_text(text, "f.txt")
        assert result.format == name
        assert result.failures == []
        assert [
            (r.title, [(a.family, a.given) for a in r.authors], r.year) for r in result.records
        ] == [(" ".join(title.split()), people, year) for title, people, year in cleaned]


_PIECES = st.sampled_from(
    ["<PubmedArticleSet>", "<PubmedArticle>", "</PubmedArticle>", "<ArticleTitle>", "<mods>",
     "</mods>", "<modsCollection xmlns='http://www.loc.gov/mods/v3'>", "<titleInfo><title>",
     "</title></titleInfo>", "<rdf:RDF xmlns:rdf='r' xmlns:z='z'>", "<z:itemType>book",
     "</z:itemType>", "<1>\n", "Title\n", "  T\n", "TI  - x\n", "%0 Book\n", "%T x\n", "%A ",
     "RT Book\n", "A1 x\n", "T1 y\n", "TITLE,", '"x"\n', "EMBASE LINK,", "\n\n", "{", "}",
     '[{"type": "article-journal", "title": ', '"t"', "]", "1", "null", ","]
)  # fmt: skip


@given(st.one_of(st.text(), st.lists(_PIECES, max_size=40).map("".join)))
@example("\r")  # a lone CR ends a line for XML, not for str.split("\n")
def test_every_format_reads_any_text_without_raising(text: str) -> None:
    from slr.importers import FORMATS

    for fmt in FORMATS.values():
        result = fmt.parse(text, None)
        assert all(failure.line >= 0 for failure in result.failures)
        assert all(record.title or record.doi or record.authors for record in result.records)
