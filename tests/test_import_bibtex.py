"""BibTeX importer: real Scopus/WoS/ACM/Zotero exports, their quirks, malformed input, fuzzing."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from slr.importers import read_file
from slr.importers.bibtex import parse, sniff
from slr.models import Author, ImportWarning, ParseResult, Record

REAL_FILES = [
    ("scopus-bibtex/scopus.bib", "scopus"),
    ("scopus-bibtex/scopus_m.bib", "scopus"),
    ("wos-bibtex/wos_m.bib", "wos"),
    ("wos-bibtex/savedrecs.bib", "wos"),
    ("acm-bibtex/acm_9.bib", "acm"),
    ("acm-bibtex/acm.bib", "acm"),
    ("zotero/zotero_export.bib", "zotero"),
]

_CACHE: dict[Path, ParseResult] = {}


def _import(path: Path) -> ParseResult:
    if path not in _CACHE:
        imported = read_file(path)
        assert imported.format.name == "bibtex"
        _CACHE[path] = imported.result
    return _CACHE[path]


def _expected_count(real_exports: Path, relative: str) -> int:
    with (real_exports / "MANIFEST.csv").open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            if row["path"] == relative:
                return int(row["records"])
    raise AssertionError(f"{relative} is not in MANIFEST.csv")


def _by_key(result: ParseResult, key: str) -> list[Record]:
    return [r for r in result.records if r.ids.get("bibtex_key") == key]


def _one(result: ParseResult, key: str) -> Record:
    (record,) = _by_key(result, key)
    return record


# --------------------------------------------------------------------------- real files


@pytest.mark.parametrize(("relative", "flavour"), REAL_FILES)
def test_real_file_counts_format_and_flavour(real_exports: Path, relative: str, flavour: str):
    result = _import(real_exports / relative)
    assert len(result.records) == _expected_count(real_exports, relative)
    assert result.failures == []
    assert result.flavour == flavour


@pytest.mark.parametrize(("relative", "flavour"), REAL_FILES)
def test_real_file_lines_point_at_entry_headers(real_exports: Path, relative: str, flavour: str):
    result = _import(real_exports / relative)
    text = (real_exports / relative).read_bytes().decode("utf-8-sig").replace("\r\n", "\n")
    lines = text.split("\n")
    assert all(lines[r.line - 1].lstrip().startswith("@") for r in result.records)
    assert all(r.raw["ID"] == r.ids["bibtex_key"] for r in result.records)


# From SOURCE.md: entries without DOI, with abstract, with cited references.
FIELD_COUNTS = [
    ("scopus-bibtex/scopus.bib", 27, 262, 255),
    ("scopus-bibtex/scopus_m.bib", 2, 24, 0),
    ("wos-bibtex/wos_m.bib", 3, 29, 29),
    ("wos-bibtex/savedrecs.bib", 25, 355, 430),
    ("acm-bibtex/acm_9.bib", 0, 31, 0),
    ("acm-bibtex/acm.bib", 16, 0, 0),
    ("zotero/zotero_export.bib", 282, 776, 0),
]


@pytest.mark.parametrize(("relative", "no_doi", "abstracts", "cited"), FIELD_COUNTS)
def test_real_file_field_counts(
    real_exports: Path, relative: str, no_doi: int, abstracts: int, cited: int
):
    records = _import(real_exports / relative).records
    assert sum(1 for r in records if not r.doi) == no_doi
    assert sum(1 for r in records if r.abstract) == abstracts
    assert sum(1 for r in records if r.cited_references) == cited


# Checked by eye against the files: key, title, first author, year, DOI, start of abstract.
EYE_CHECKED = [
    (
        "scopus-bibtex/scopus.bib",
        "Figueira2022986",
        2,
        "ELECTRE-SCORE: A first outranking based method for scoring actions",
        Author("Figueira", "J.R."),
        2022,
        "10.1016/j.ejor.2021.05.017",
        "In this paper, we present (to the best of our knowledge) the first outranking",
    ),
    (
        "scopus-bibtex/scopus.bib",
        "Mousseau1998157",
        6548,
        "Inferring an ELECTRE TRI Model from Assignment Examples",
        Author("Mousseau", "V."),
        1998,
        "10.1023/a:1008210427517",
        "Given a finite set of alternatives, the sorting problem consists",
    ),
    (
        "scopus-bibtex/scopus_m.bib",
        "Haseli202079",
        4,
        "Base-criterion on multi-criteria decision-making method and its applications",
        Author("Haseli", "Gholamreza"),
        2020,
        "10.1080/17509653.2019.1633964",
        "In this paper, Base-criterion method (BCM) is proposed",
    ),
    (
        "scopus-bibtex/scopus_m.bib",
        "Wang2018",
        104,
        "Complementary Judgment Matrix Method with Imprecise Information for "
        "Multicriteria Decision-Making",
        Author("Wang", "Haichao"),
        2018,
        "10.1155/2018/3695627",
        "The complementary judgment matrix (CJM) method is",
    ),
    (
        "wos-bibtex/wos_m.bib",
        "WOS:000278542800018",
        2,
        "Estimation of missing judgments in AHP pairwise matrices using a neural "
        "network-based model",
        Author("Antonio Gomez-Ruiz", "Jose"),
        2010,
        "10.1016/j.amc.2010.04.009",
        "Selecting relevant features to make a decision and expressing the relationships",
    ),
    (
        "wos-bibtex/wos_m.bib",
        "WOS:000241142000007",
        91,
        "Backpropagation multi-layer perceptron for incomplete pairwise comparison "
        "matrices in analytic hierarchy process",
        Author("Hu", "Yi-Chung"),
        2006,
        "10.1016/j.amc.2005.11.132",
        "Analytic hierarchy process (AHP) is a widely used decision making method in",
    ),
    (
        "wos-bibtex/savedrecs.bib",
        "WOS:001101761900002",
        44685,
        "The AI generation gap: Are Gen Z students more interested in adopting generative "
        "AI such as ChatGPT in teaching and learning than their Gen X and millennial "
        "generation teachers?",
        Author("Chan", "Cecilia Ka Yuk"),
        2023,
        "10.1186/s40561-023-00269-3",
        "This study aimed to explore the experiences, perce",
    ),
    (
        "acm-bibtex/acm_9.bib",
        "10.1145/3579027.3608994",
        19,
        "Managing Cyber-Physical Production Systems Variability using V4rdiac: "
        "Industrial Experiences",
        Author("Fadhlillah", "Hafiyyan Sayyid"),
        2023,
        "10.1145/3579027.3608994",
        "Cyber-Physical Production Systems (CPPSs) are highly robust",
    ),
    (
        "acm-bibtex/acm.bib",
        "Parak:2014:CAI:2759989.2760079",
        1,
        "Challenges in Achieving IaaS Cloud Interoperability Across Multiple Cloud "
        "Management Frameworks",
        Author("Parák", "Boris"),
        2014,
        "10.1109/ucc.2014.51",
        "",
    ),
    (
        "zotero/zotero_export.bib",
        "larsen_microangiography_1999",
        2,
        "Microangiography of the humeral condyle in Cocker Spaniel and non-Cocker Spaniel dogs",
        Author("Larsen", "LJ"),
        1999,
        "",
        "The purpose of this study was to evaluate the blood supply",
    ),
    (
        "zotero/zotero_export.bib",
        "naughton_radiographic_2005",
        16590,
        "Radiographic diagnosis-paraspinal abscess in a dog",
        Author("Naughton", "JF"),
        2005,
        "10.1111/j.1740-8261.2005.00004.x",
        "two-year-old intact male Brittany Spaniel was admitted",
    ),
]


@pytest.mark.parametrize(
    ("relative", "key", "line", "title", "first_author", "year", "doi", "abstract"),
    EYE_CHECKED,
)
def test_real_records_checked_by_eye(
    real_exports: Path,
    relative: str,
    key: str,
    line: int,
    title: str,
    first_author: Author,
    year: int,
    doi: str,
    abstract: str,
):
    record = _one(_import(real_exports / relative), key)
    assert record.line == line
    assert record.title == title
    assert record.authors[0] == first_author
    assert record.year == year
    assert record.doi == doi
    assert record.abstract.startswith(abstract)
    if not abstract:
        assert record.abstract == ""


# --------------------------------------------------------------------------- quirks


def test_scopus_duplicate_key_gives_two_records(real_exports: Path):
    result = _import(real_exports / "scopus-bibtex/scopus.bib")
    twins = _by_key(result, "Viana2020857")
    assert [r.line for r in twins] == [940, 965]
    assert twins[0].title == twins[1].title
    assert any(w.kind == "repeated-key" and "Viana2020857" in w.message and w.line == 965
               for w in result.warnings)  # fmt: skip


def test_scopus_fields(real_exports: Path):
    record = _one(_import(real_exports / "scopus-bibtex/scopus.bib"), "Figueira2022986")
    assert record.ids["eid"] == "2-s2.0-85107941291"
    assert record.source_title == "European Journal of Operational Research"
    assert (record.volume, record.issue, record.pages) == ("297", "3", "986-1005")
    assert record.issn == ["0377-2217"]
    assert record.document_type == "Article"
    assert record.language == "English"
    assert record.publisher == "Elsevier B.V."
    assert record.author_keywords[0] == "ELECTRE methods"
    assert len(record.author_keywords) == 5
    assert record.index_keywords[:2] == ["ELECTRE method", "Healthcare system evaluation"]
    # copyright tail split off the abstract
    assert record.copyright == "© 2021 The Authors"
    assert record.abstract.endswith("are also provided in this paper.")
    # references are "; "-separated
    assert len(record.cited_references) == 48
    assert record.cited_references[0].startswith("Amgoud, L., Prade, H., Using arguments")
    # repeated funding_details survive as a list in raw
    assert isinstance(record.raw["funding_details"], list)
    assert len(record.raw["funding_details"]) >= 2
    assert record.raw["note"] == "cited By 0"
    assert "funding_text\xa01" in record.raw  # a no-break space inside a field name


def test_scopus_2023_style(real_exports: Path):
    result = _import(real_exports / "scopus-bibtex/scopus_m.bib")
    carmone = _one(result, "Carmone Jr.1997538")  # key with a space and a full stop
    assert carmone.line == 78
    assert carmone.authors[0] == Author("Carmone Jr.", "Frank J.")
    assert carmone.ids["eid"] == "2-s2.0-0031276406"
    assert {"Kułakowski2019221", "Benítez20193", "Ágoston2022"} <= {
        r.ids["bibtex_key"] for r in result.records
    }
    first = result.records[0]
    assert first.pages == "79-88"  # "79 – 88" in the file
    assert first.document_type == "Article"  # the new `type` field
    assert first.raw["publication_stage"] == "Final"
    assert first.raw["note"] == "Cited by: 52"
    assert first.issn == ["1750-9653"]


def test_wos_fields(real_exports: Path):
    result = _import(real_exports / "wos-bibtex/wos_m.bib")
    record = _one(result, "WOS:000278542800018")
    assert record.ids["wos"] == "WOS:000278542800018"
    assert record.source_title == "APPLIED MATHEMATICS AND COMPUTATION"
    assert record.issn == ["0096-3003", "1873-5649"]
    assert record.author_keywords == [
        "AHP",
        "Pairwise matrix reconstruction",
        "Decision support systems",
        "Multi-Layer Perceptron",  # after a 3-space continuation line
        "Neural networks",
    ]
    assert record.index_keywords == ["ANALYTIC HIERARCHY PROCESS", "CONSISTENCY", "DECISION"]
    assert record.copyright == "(C) 2010 Elsevier Inc. All rights reserved."
    # one cited reference per line; {[} and \_ decoded so the DOIs come out right
    assert len(record.cited_references) == 18
    assert record.cited_references[1] == "[Anonymous], 2005, NEURAL NETWORKS COMP."
    assert "10.1007/0-306-48332-7_123" in record.cited_dois
    assert "10.1016/s0898-1221(03)90240-9" in record.cited_dois
    # Title-Case hyphenated names kept as given; two spaces before "=" do not matter
    assert record.raw["Web-of-Science-Categories"] == "Mathematics, Applied"
    assert record.raw["Unique-ID"] == "WOS:000278542800018"
    assert "\\&" in record.raw["Affiliation"]  # raw keeps the export's own text
    chinese = [c for r in result.records for c in r.cited_references if "系统工程" in c]
    assert chinese == [
        "[刘胜 LIU Sheng], 2011, [系统工程理论与实践, Systems Engineering-Theory & Practice], "
        "V31, P522."
    ]
    assert sum(1 for r in result.records if r.raw["ENTRYTYPE"] == "inproceedings") == 6


def test_wos_entry_with_escaped_braces_is_recovered(real_exports: Path):
    """bibtexparser rejects this abstract (`\\{...` and a backslash before a newline):
    the fallback reader recovers it and the lines after it stay right."""
    result = _import(real_exports / "wos-bibtex/savedrecs.bib")
    record = _one(result, "WOS:001196385300005")
    assert record.line == 43924
    assert record.authors[0] == Author("Kiangala", "Kahiomba Sonia")
    assert record.abstract.startswith("Throughout industrial revolutions")
    assert record.abstract.endswith(
        "implementing customized AI and generative AI chatbots "
        "within operational industrial environments."
    )
    following = [r for r in result.records if r.line > 43924]
    assert following and all(r.line > 43970 for r in following)


def test_acm_current_style(real_exports: Path):
    result = _import(real_exports / "acm-bibtex/acm_9.bib")
    record = _one(result, "10.1145/3579027.3608994")
    assert [a.family for a in record.authors] == ["Fadhlillah", "Fernández", "Rabiser", "Zoitl"]
    assert record.authors[1].given == "Antonio M. Gutiérrez"
    assert record.pages == "223-233"  # en dash in the file
    assert record.isbn == ["9798400700910"]
    assert record.source_title.startswith("Proceedings of the 27th ACM International Systems")
    assert record.document_type == "inproceedings"
    assert record.raw["series"] == "SPLC '23"
    html = next(r for r in result.records if r.line == 348)
    assert "coherent correlation & inference, and meaningful & intuitive" in html.abstract


def test_acm_legacy_style(real_exports: Path):
    result = _import(real_exports / "acm-bibtex/acm.bib")
    record = _one(result, "Miranda:2012:IAN:2377836.2377841")
    assert record.authors[2] == Author("Guillén", "Joaquín")  # Guill{\'e}n, Joaqu\'{\i}n
    assert record.pages == "12-19"
    assert record.ids["acm"] == "2377841"
    assert record.author_keywords[:2] == ["adaptation", "cloud computing"]
    volumes = [r for r in result.records if r.document_type == "proceedings"]
    assert len(volumes) == 8
    assert all(not r.authors and r.title for r in volumes)
    sustr = _one(result, "Parak:2014:CAI:2759989.2760079").authors[1]
    assert sustr == Author("Šustr", "Zdenek")


def test_zotero_quirks(real_exports: Path):
    result = _import(real_exports / "zotero/zotero_export.bib")
    record = _one(result, "larsen_microangiography_1999")
    assert record.raw["month"] == "August"  # bare `aug` macro
    assert "{Cocker}" in record.raw["title"] and "{" not in record.title
    assert record.pages == "134-137"
    assert record.author_keywords[:3] == ["blood supply", "Cocker Spaniels", "FRACTURES"]
    assert record.raw["annote"].startswith("Times Cited in Web of Science Core Collection:\xa0")
    assert record.source_title == "VETERINARY AND COMPARATIVE ORTHOPAEDICS AND TRAUMATOLOGY"
    survey = _one(result, "kaimio_survey_2017")
    assert "early onset (< 1 year) of OE" in survey.abstract  # {\textless}
    assert "31.8%, [95% confidence" in survey.abstract  # \% and a multi-line abstract
    assert "\n" not in survey.abstract
    languages = [r.language for r in result.records]
    assert (languages.count("English"), languages.count("German")) == (920, 30)
    assert _one(result, "naughton_radiographic_2005").source_title == (
        "VETERINARY RADIOLOGY & ULTRASOUND"
    )


def test_sniff_real_heads(real_exports: Path):
    for relative, _ in REAL_FILES:
        head = (real_exports / relative).read_bytes()[:65536].decode("utf-8-sig", "replace")
        assert sniff(head, relative) >= 90


# --------------------------------------------------------------------------- inline cases


def test_macros_concatenation_and_case_insensitive_fields():
    text = (
        '@String{jnl = "Journal of "}\n'
        "@ARTICLE{k1,\n"
        "  TITLE = {The {DNA} of \\emph{Things}},\n"
        '  Journal = jnl # {Stuff} # " " # 2001,\n'
        '  AUTHOR = {{World Health Organization} and M{\\"u}ller, Hans and others},\n'
        "  month = jan, year = 2001,\n"
        "}\n"
    )
    result = parse(text, None)
    (record,) = result.records
    assert record.title == "The DNA of Things"
    assert record.source_title == "Journal of Stuff 2001"
    assert record.authors == [Author(literal="World Health Organization"), Author("Müller", "Hans")]
    assert record.year == 2001
    assert record.raw["month"] == "January"
    assert record.raw["TITLE"] == "The {DNA} of \\emph{Things}"


def test_comment_preamble_and_string_are_not_records():
    text = (
        "Scopus\nEXPORT DATE: 08 July 2023\n\n"
        '@comment{jabref-meta: x}\n@preamble{"\\newcommand"}\n@string{a = {b}}\n'
        "@article{x, title={Only one}, source={Scopus}}\n"
    )
    result = parse(text, None)
    assert [r.title for r in result.records] == ["Only one"]
    assert result.records[0].line == 7
    assert result.failures == []
    assert result.flavour == "scopus"


def test_parenthesised_entry_and_quoted_values():
    result = parse('@book(b1, title = "A {B} (c)", year = "1999", isbn = {1-2-3, 4-5-6})', None)
    (record,) = result.records
    assert (record.title, record.year, record.isbn) == ("A B (c)", 1999, ["1-2-3", "4-5-6"])


def test_escaped_doi_url_and_biblatex_fields():
    text = (
        "@article{m, doi = {10.1000/a{\\_}b\\_c}, url = {http://x.org/a\\%20b},\n"
        " date = {2020-05-01}, journaltitle = {J}, eprinttype = {pubmed}, eprint = {123}}"
    )
    (record,) = parse(text, None).records
    assert (record.doi, record.url) == ("10.1000/a_b_c", "http://x.org/a%20b")
    assert (record.year, record.source_title, record.pmid) == (2020, "J", "123")


def test_truncated_entry_is_a_failure():
    result = parse("@article{a,\n  title = {Cut off in the mid", None)
    assert result.records == []
    assert [(f.line, f.reason) for f in result.failures] == [
        (1, "unbalanced braces in field 'title'")
    ]


def test_missing_closing_brace_imports_with_warning():
    text = "@article{a,\n title={A},\n year={2000}\n\n@article{b,\n title={B}\n}\n"
    result = parse(text, None)
    assert [(r.line, r.title, r.year) for r in result.records] == [(1, "A", 2000), (5, "B", None)]
    assert result.failures == []
    assert result.warnings == [ImportWarning(1, "no-end-marker", "entry 'a' has no closing brace")]


def test_missing_comma_after_key_is_a_failure():
    result = parse("@article{a title={x}}\n@article{b, title={B}}\n", None)
    assert [r.title for r in result.records] == ["B"]
    assert [(f.line, f.reason) for f in result.failures] == [
        (1, "entry key is not followed by a comma")
    ]


def test_entry_without_content_is_a_failure():
    result = parse("@misc{empty, note = {just a note}}\n@article{bare}\n", None)
    assert result.records == []
    assert [f.line for f in result.failures] == [1, 2]
    assert all("no title, DOI or authors" in f.reason for f in result.failures)


def _generated(count: int, bad_at: int | None = None) -> str:
    parts = []
    for i in range(count):
        if i == bad_at:
            parts.append(
                f"@article{{bad{i},\n  title = {{Unbalanced {{brace,\n  year = {{2001}}\n}}\n"
            )
        else:
            parts.append(
                f"@article{{key{i},\n  author = {{Doe, J. and Roe, R.}},\n"
                f"  title = {{Title number {i}}},\n  year = {{{1950 + i % 70}}},\n"
                f"  doi = {{10.1234/x.{i}}}\n}}\n"
            )
    return "\n".join(parts)


def test_one_bad_entry_among_a_thousand():
    text = _generated(1000, bad_at=500)
    result = parse(text, None)
    assert len(result.records) == 999
    (failure,) = result.failures
    assert failure.line == 500 * 7 + 1  # each good entry takes 6 lines plus a blank one
    assert text.split("\n")[failure.line - 1] == "@article{bad500,"
    assert "unbalanced braces" in failure.reason
    assert result.records[500].title == "Title number 501"
    assert result.records[500].line == 501 * 7 + 1 - 2  # the bad entry is two lines shorter


def test_backslash_at_end_of_line_keeps_line_numbers():
    text = "@article{a,\n abstract={x \\\ny},\n title={T}\n}\n\n@article{b,\n title={B}\n}\n"
    result = parse(text, None)
    assert [(r.line, r.title) for r in result.records] == [(1, "T"), (7, "B")]


def test_bibtexparser_crash_falls_back_to_own_reader(monkeypatch: pytest.MonkeyPatch):
    def crash(*args: object, **kwargs: object) -> None:
        raise RuntimeError("internal parser error")

    import bibtexparser

    monkeypatch.setattr(bibtexparser, "parse_string", crash)
    text = "% x\n@article{a,\n title={A}\n}\n@string{j = {J}}\n@book{b, title={B}, journal=j}\n"
    result = parse(text, None)
    assert [(r.line, r.title, r.source_title) for r in result.records] == [
        (2, "A", ""),
        (6, "B", "J"),
    ]
    assert result.warnings == [
        ImportWarning(
            0, "fallback-reader", "bibtexparser could not split the file; read entry by entry"
        )
    ]


def test_garbage_gives_nothing():
    result = parse('This is no BibTeX at all.\n{}}{ ,,, == "\nAnother line.', None)
    assert (result.records, result.failures) == ([], [])
    assert sniff("This is no BibTeX at all.", "x.txt") == 0
    assert sniff("TY  - JOUR\nTI  - x\nER  - \n", "x.ris") == 0


# --------------------------------------------------------------------------- fuzzing

_VOCABULARY = [
    "@article{", "@ARTICLE{", "@string{", "@comment{", "@preamble{", "@book(", "@", "key", ",",
    "\n", " ", "\t", "=", "{", "}", "(", ")", '"', "#", "\\", "\\'{e}", "{\\i}", "\\&", "{[}",
    "title", "author", "Author", "year", "doi", "journal", "keywords", "references",
    "Cited-References", "Unique-ID", "url", "source", "Scopus", " and ", "others", "Doe, J.",
    "{World Health Organization}", "2001", "jan", "10.1234/abc", "eid=2-s2.0-123", "WOS:0001",
    "\n   ", "; ", "--", "$x$", "\u00e9", "\u00a0",
]  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_parse_never_raises_on_any_text(text: str):
    result = parse(text, None)
    assert isinstance(result, ParseResult)


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(_VOCABULARY), max_size=60).map("".join))
def test_parse_never_raises_on_bibtex_like_text(text: str):
    result = parse(text, None)
    for record in result.records:
        assert record.title or record.doi or record.authors
        assert record.line >= 1
    for failure in result.failures:
        assert failure.line >= 1
        assert len(failure.excerpt) <= 60
