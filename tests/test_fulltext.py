"""Full texts: repairs (property tests), attaching one file or a folder (hard cases, matching,
several files per record, excluded records), the list, reports not retrieved, tags with pages.

The PDFs are written by tests/test_fulltext_pdf.py; ../shared/fulltext-pdfs is read by
tests/test_fulltext_corpus.py."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st
from test_fulltext_pdf import article, encrypted, pdf_bytes

from slr.cli import main
from slr.fulltext.extract import NO_TEXT_LAYER, UnreadableFullText, extract
from slr.fulltext.match import Candidate, match_file, own_dois
from slr.fulltext.references import split_references
from slr.fulltext.repair import LIGATURES, expand_ligatures, join_hyphenated, repair
from slr.models import Record
from slr.protocol.model import Rule
from slr.screening.engine import compile_rules, decide, with_full_text
from slr.screening.text import RecordText

PROTOCOL = Path(__file__).resolve().parent.parent / "protocols" / "msme-digital-drivers.toml"


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


# -- repairs -----------------------------------------------------------------------------------


def test_ligatures_and_line_end_hyphens_are_repaired() -> None:
    assert expand_ligatures("eﬃcient ﬁrms ﬂow oﬀ") == "efficient firms flow off"
    assert join_hyphenated("the infor-\nmation, and more") == "the information,\nand more"
    assert join_hyphenated("Anglo-\nSaxon firms") == "Anglo-\nSaxon firms"  # a capital: kept
    assert join_hyphenated("COVID-\n19 cases") == "COVID-\n19 cases"  # a digit: kept
    assert join_hyphenated("soft\u00ad\nware") == "software"
    assert repair("eﬃ-\nciency\r\ngains") == "efficiency\ngains"


page_text = st.text(alphabet=st.sampled_from(list("ab Z-\n\t\u00ad.,") + list(LIGATURES)))


def _letters(text: str) -> str:
    """What a repair must keep: the letters in order (hyphens and spaces may move or go)."""
    return re.sub(r"[\s\-\u00ad]", "", expand_ligatures(text))


@given(page_text)
def test_a_repair_is_idempotent_and_keeps_every_letter(text: str) -> None:
    repaired = repair(text)
    assert repair(repaired) == repaired
    assert _letters(repaired) == _letters(text)
    assert not set(LIGATURES) & set(repaired)


@given(st.text(alphabet=st.sampled_from(list("abc Z.,\n"))))
def test_text_without_hyphens_or_ligatures_is_unchanged(text: str) -> None:
    assert repair(text) == text


# -- the hard cases, one file at a time ------------------------------------------------------------


def test_hard_cases_are_answered_and_change_nothing(tmp_path: Path) -> None:
    with pytest.raises(UnreadableFullText) as error:
        extract("broken.pdf", b"broken pdf...")
    assert error.value.message == (
        "broken.pdf is not a PDF (it starts with 'broken pdf...', not %PDF-): nothing attached"
    )
    with pytest.raises(UnreadableFullText) as error:
        extract("fake.pdf", b"%PDF-1.4 the seed paper, 32 byte")
    assert error.value.message == (
        "fake.pdf has a PDF header but no PDF content (32 bytes): nothing attached"
    )
    whole = article("Cut short", "Ana Lima")
    cut = extract("cut.pdf", whole[: len(whole) * 55 // 100])  # read as far as it goes
    assert cut.pages == ["Cut short\nAna Lima\nAbstract\nWe study small firms and their digital "
                         "tools.", ""]  # fmt: skip
    assert cut.warnings == [
        "cut short (no closing table, %%EOF): read as far as the file goes, 2 pages in the "
        "order they are stored; download it again for the whole article"
    ]
    with pytest.raises(UnreadableFullText) as error:
        extract("cut.pdf", whole[: len(whole) * 30 // 100])
    assert error.value.message == (
        "cut.pdf is cut short: it ends without the PDF's closing table (%%EOF) and no text is "
        "left in it: nothing attached"
    )
    assert extract("locked.pdf", encrypted(whole)).pages[0].startswith("Cut short\nAna Lima")
    scan = extract("scan.pdf", pdf_bytes([["a"], ["b"]], image_only=True))
    assert (scan.text_layer, scan.warnings) == (False, [NO_TEXT_LAYER])
    text = extract("notes.txt", "first page\fsecond eﬃ-\ncient page".encode())
    assert text.pages == ["first page", "second efficient\npage"]


# -- matching (pure) ------------------------------------------------------------------------------


def test_the_article_s_own_doi_not_one_it_cites() -> None:
    pages = [
        "A title\nhttps://doi.org/10.1371/journal.\npone.0197919\nIntroduction",
        "References\n1. Other A (2019) A cited paper. J 1:2. doi:10.5555/cited.1\n",
    ]
    assert ("10.1371/journal.pone.0197919", 1) in own_dois(pages)
    assert "10.5555/cited.1" not in {doi for doi, _ in own_dois(pages)}
    last_page_only = [
        "A title\nIntroduction",
        "References\n1. Other A: cited. J 2019, 1:2.\ndoi:10.1186/1752-2897-4-1\nCite this "
        "article as: Datta et al.",
    ]
    assert own_dois(last_page_only) == [("10.1186/1752-2897-4-1", 2)]


def test_a_file_that_fits_two_records_equally_is_left_to_a_person() -> None:
    twins = [
        Candidate(1, "Payment apps and street vendors", "Silva", 2019, ""),
        Candidate(2, "Payment apps and street vendors", "Silva", 2020, ""),
    ]
    pages = ["Payment apps and street vendors\nRui Silva\nAbstract"]
    found = match_file("silva.pdf", pages, twins)
    assert (found.record_id, found.candidates) == (None, [1, 2])
    assert found.ambiguous


# -- attaching through the CLI --------------------------------------------------------------------

RECORDS = [
    # (title, first author, year, DOI)
    ("Digital drivers of small firms", "Lima, Ana", 2021, "10.5555/slr.test.1"),
    ("Digital drivers of small firms revisited", "Lima, Ana", 2022, "10.5555/slr.test.2"),
    ("Marketplace adoption among micro enterprises", "Chen, Bo", 2020, "10.5555/slr.test.3"),
    ("Marketplace adoption among micro enterprises in Asia", "Chen, Bo", 2021, ""),
    ("Social commerce in rural shops", "Okafor, Ngozi", 2019, "10.5555/slr.test.5"),
    ("Influencer marketing for artisans", "Rossi, Marco", 2021, ""),
    ("Live streaming sales of small retailers", "Tanaka, Yui", 2022, "10.5555/slr.test.7"),
    ("Payment apps and street vendors", "Silva, Rui", 2019, ""),
    ("Payment apps and street vendors", "Silva, Rui", 2020, ""),
]


def _ris(records: list[tuple[str, str, int, str]]) -> str:
    entries = []
    for title, author, year, doi in records:
        lines = ["TY  - JOUR", f"TI  - {title}", f"AU  - {author}", f"PY  - {year}"]
        lines += [f"DO  - {doi}"] if doi else []
        entries.append("\n".join([*lines, "AB  - Small firms and digital tools.", "ER  - "]))
    return "\n\n".join(entries) + "\n"


@pytest.fixture
def review(tmp_path: Path) -> Path:
    """The records above in a review made with the demo protocol; record 7 excluded at
    title/abstract."""
    path = tmp_path / "review"
    assert run("init", str(path), "--protocol", str(PROTOCOL))[0] == 0
    exports = tmp_path / "records.ris"
    exports.write_text(_ris(RECORDS), encoding="utf-8")
    assert run("import", "--review", str(path), "--database", "Scopus", str(exports))[0] == 0
    code, output = run(
        "screen", "decide", "7", "exclude", "--reason", "No MSME/SME context",
        "--reviewer", "ana", "--review", str(path),
    )  # fmt: skip
    assert code == 0, output
    return path


REFERENCES = ["Lima A (2020) One. J 1:1-2", "Chen B (2021) Two. J 2:3-4", "Roy C (2018) 3. J 3"]


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A reviewer's folder of PDFs for the records above, and files that fit none."""
    pdfs = tmp_path / "pdfs"
    pdfs.mkdir()
    files = {
        # the DOI split across a line break, a reference list
        "lima2021.pdf": article(
            "Digital drivers of small firms", "Ana Lima and Bo Chen",
            ["https://doi.org/10.5555/slr.", "test.1"], references=REFERENCES,
        ),
        # a second file for record 1: its supplement prints the DOI too
        "lima2021-supplement.pdf": pdf_bytes(
            [["Supplement to: Digital drivers of small firms", "doi:10.5555/slr.test.1"]]
        ),
        # no DOI printed: title and first author (the decoy's longer title is no rival)
        "chen-marketplace.pdf": article(
            "Marketplace adoption among micro enterprises", "Bo Chen, Ana Lima"
        ),
        # the DOI printed only after the reference list, as BMC does
        "okafor.pdf": article(
            "Social commerce in rural shops", "Ngozi Okafor",
            references=[*REFERENCES, "doi:10.5555/slr.test.5", "Cite this article as: Okafor N"],
        ),
        # a scan: matched by its file name (first author and year)
        "rossi2021-artisans.pdf": pdf_bytes([["x"], ["y"]], image_only=True),
        # record 7 was excluded at title/abstract
        "tanaka.pdf": article(
            "Live streaming sales of small retailers", "Yui Tanaka", ["DOI 10.5555/slr.test.7"]
        ),
        # two records with the same title and first author
        "silva.pdf": article("Payment apps and street vendors", "Rui Silva"),
        # none of the records
        "minutes.pdf": pdf_bytes([["Minutes of the team meeting", "Nothing to see"]]),
        "broken.pdf": b"broken pdf...",
        "fake.pdf": b"%PDF-1.4 the seed paper, 32 byte",
        "notes.docx": b"PK\x03\x04",
    }  # fmt: skip
    for name, data in files.items():
        (pdfs / name).write_bytes(data)
    return pdfs


IMPORTED = (
    "Matched 6 ({done}):\n"
    "  chen-marketplace.pdf -> #3 by title: title 100%, first author Chen (3 pages)\n"
    "  lima2021-supplement.pdf -> #1 by doi: DOI 10.5555/slr.test.1 on page 1 (1 page)\n"
    "{supplement}"
    "  lima2021.pdf -> #1 by doi: DOI 10.5555/slr.test.1 on page 1 (3 pages)\n"
    "{main}"
    "  okafor.pdf -> #5 by doi: DOI 10.5555/slr.test.5 on page 3 (3 pages)\n"
    "  rossi2021-artisans.pdf -> #6 by file name: Rossi 2021 in the name (2 pages)\n"
    f"    Warning: {NO_TEXT_LAYER}\n"
    "  tanaka.pdf -> #7 by doi: DOI 10.5555/slr.test.7 on page 1 (3 pages)\n"
    "Ambiguous 1 (not attached: `slr fulltext attach ID FILE`):\n"
    "  silva.pdf: title and first author fit several records: #8 Payment apps and street "
    "vendors; #9 Payment apps and street vendors\n"
    "Unmatched 1 (not attached: `slr fulltext attach ID FILE`):\n"
    "  minutes.pdf\n"
)
REFUSED = (
    "  broken.pdf is not a PDF (it starts with 'broken pdf...', not %PDF-): nothing attached\n"
    "  fake.pdf has a PDF header but no PDF content (32 bytes): nothing attached\n"
)
SKIPPED = "Skipped 1 (not .pdf or .txt): notes.docx\n"
EXCLUDED = (
    "  tanaka.pdf: record 7 was excluded at title/abstract (No MSME/SME context): attaching "
    "refused (--force attaches it)\n"
)


def test_a_dry_run_shows_the_plan_and_attaches_nothing(review: Path, folder: Path) -> None:
    code, output = run("fulltext", "import", str(folder), "--dry-run", "--review", str(review))
    assert code == 3
    expected = IMPORTED.format(done="to attach", supplement="", main="").replace(
        "  tanaka.pdf -> #7 by doi: DOI 10.5555/slr.test.7 on page 1 (3 pages)\n", ""
    )
    assert output == (
        expected.replace("Matched 6", "Matched 5")
        + "Refused 3:\n"
        + REFUSED
        + EXCLUDED
        + SKIPPED
        + "Dry run: nothing was attached\n"
    )
    assert run("fulltext", "list", "--review", str(review)) == (
        0,
        "Full texts: 0 attached, 0 not retrieved\n",
    )


def test_a_folder_is_attached_by_doi_title_and_file_name(review: Path, folder: Path) -> None:
    code, output = run("fulltext", "import", str(folder), "--force", "--review", str(review))
    assert code == 3
    assert output == (
        IMPORTED.format(
            done="attached",
            supplement="",
            main="    Record 1 now has 2 full texts: lima2021-supplement.pdf, lima2021.pdf\n",
        )
        + "Refused 2:\n"
        + REFUSED
        + SKIPPED
    )
    code, output = run("fulltext", "list", "--json", "--review", str(review))
    assert code == 0
    assert json.loads(output) == [
        {"record_id": 1, "file": "lima2021-supplement.pdf", "pages": 1, "chars": 68,
         "text_layer": True, "matched_by": "doi"},
        {"record_id": 1, "file": "lima2021.pdf", "pages": 3, "chars": 283, "text_layer": True,
         "matched_by": "doi"},
        {"record_id": 3, "file": "chen-marketplace.pdf", "pages": 3, "chars": 184,
         "text_layer": True, "matched_by": "title"},
        {"record_id": 5, "file": "okafor.pdf", "pages": 3, "chars": 293, "text_layer": True,
         "matched_by": "doi"},
        {"record_id": 6, "file": "rossi2021-artisans.pdf", "pages": 2, "chars": 0,
         "text_layer": False, "matched_by": "file name"},
        {"record_id": 7, "file": "tanaka.pdf", "pages": 3, "chars": 195, "text_layer": True,
         "matched_by": "doi"},
    ]  # fmt: skip
    assert run("fulltext", "list", "--review", str(review)) == (
        0,
        "Full texts: 6 attached, 0 not retrieved\n"
        "       1  fulltext/1_lima2021-supplement.pdf\n"
        "       1  fulltext/1_lima2021.pdf\n"
        "       3  fulltext/3_chen-marketplace.pdf\n"
        "       5  fulltext/5_okafor.pdf\n"
        f"       6  fulltext/6_rossi2021-artisans.pdf  ({NO_TEXT_LAYER})\n"
        "       7  fulltext/7_tanaka.pdf\n",
    )
    # the same folder again changes nothing and says so
    code, output = run("fulltext", "import", str(folder), "--force", "--review", str(review))
    assert code == 3
    assert output.count("already attached: nothing changed") == 6


def test_one_file_by_hand_a_second_one_and_an_excluded_record(review: Path, folder: Path) -> None:
    tanaka = str(folder / "tanaka.pdf")
    assert run("fulltext", "attach", "7", tanaka, "--review", str(review)) == (
        1,
        "Error: record 7 was excluded at title/abstract (No MSME/SME context): attaching a full "
        "text refused; pass --force to do it anyway, or change the title/abstract decision "
        "first\n",
    )
    assert run("fulltext", "attach", "7", tanaka, "--force", "--review", str(review)) == (
        0,
        "Attached tanaka.pdf to record 7 (fulltext/7_tanaka.pdf)\n",
    )
    lima = folder / "lima2021.pdf"
    assert run("fulltext", "attach", "1", str(lima), "--review", str(review))[0] == 0
    supplement = str(folder / "lima2021-supplement.pdf")
    assert run("fulltext", "attach", "1", supplement, "--review", str(review)) == (
        0,
        "Attached lima2021-supplement.pdf to record 1 (fulltext/1_lima2021-supplement.pdf)\n"
        "Record 1 now has 2 full texts: lima2021.pdf, lima2021-supplement.pdf\n",
    )
    assert run("fulltext", "attach", "1", str(lima), "--review", str(review)) == (
        0,
        "lima2021.pdf is already attached to record 1 (fulltext/1_lima2021.pdf)\n",
    )
    rossi = str(folder / "rossi2021-artisans.pdf")
    assert run("fulltext", "attach", "6", rossi, "--review", str(review)) == (
        0,
        "Attached rossi2021-artisans.pdf to record 6 (fulltext/6_rossi2021-artisans.pdf)\n"
        f"Warning: rossi2021-artisans.pdf: {NO_TEXT_LAYER}\n",
    )
    for name, message in (
        ("broken.pdf", "broken.pdf is not a PDF (it starts with 'broken pdf...', not %PDF-): "
         "nothing attached; attach the article's PDF, or a .txt/.md file of its text"),
        ("fake.pdf", "fake.pdf has a PDF header but no PDF content (32 bytes): nothing "
         "attached; download the article's PDF again"),
    ):  # fmt: skip
        assert run("fulltext", "attach", "2", str(folder / name), "--review", str(review)) == (
            1,
            f"Error: {message}\n",
        )
    assert not list((review / "fulltext").glob("2_*"))


def test_extraction_fields_of_an_excluded_record_are_refused(review: Path) -> None:
    assert run("extract", "edit", "7", "--set", "gap=x", "--review", str(review)) == (
        1,
        "Error: record 7 was excluded at title/abstract (No MSME/SME context): extraction "
        "refused; pass --force to do it anyway, or change the title/abstract decision first\n",
    )
    code, output = run("extract", "edit", "7", "--set", "gap=x", "--force", "--review", str(review))
    assert (code, output) == (0, "Record 7: 1 field changed\n")


# -- reports not retrieved ---------------------------------------------------------------------


def test_missing_keeps_an_attached_file_unless_told(review: Path, folder: Path) -> None:
    lima = str(folder / "lima2021.pdf")
    assert run("fulltext", "attach", "1", lima, "--review", str(review))[0] == 0
    assert run("fulltext", "missing", "1", "--reason", "Paywalled", "--review", str(review)) == (
        1,
        "Error: record 1 has a full text attached (lima2021.pdf): it was retrieved, nothing "
        "changed; pass --detach to remove the attached files and mark the report not "
        "retrieved\n",
    )
    assert (review / "fulltext" / "1_lima2021.pdf").is_file()
    assert run(
        "fulltext", "missing", "1", "--reason", "Paywalled", "--detach", "--review", str(review)
    ) == (0, "Record 1: report not retrieved (Paywalled)\nDetached and deleted: lima2021.pdf\n")
    assert not (review / "fulltext" / "1_lima2021.pdf").exists()
    # found after all: attaching it clears the mark, and says so
    assert run("fulltext", "attach", "1", lima, "--review", str(review)) == (
        0,
        "Attached lima2021.pdf to record 1 (fulltext/1_lima2021.pdf)\n"
        "Record 1 is no longer marked not retrieved (Paywalled)\n",
    )


# -- reference lists ------------------------------------------------------------------------------


def test_numbered_lists_skip_page_numbers_running_heads_and_numbered_tables() -> None:
    head = "Journal of Small Firms 12 (2021) 1-9"
    pages = [
        f"{head}\nIntroduction\nWe cite [1] and [2].",
        f"{head}\nResults\n1 Table row of 2019 data",
        f"{head}\nReferences\n[1] Lima A. One study of firms. J 2019;\n1:1-2.\n7\n"
        "[2] Chen B. Two. J 2020;2:3.",
        f"{head}\n[3] Roy C. Three. J\n2018;3:4.\nAppendix A\n1. A numbered appendix 2020",
    ]
    assert split_references(pages) == [
        "Lima A. One study of firms. J 2019; 1:1-2. 7",
        "Chen B. Two. J 2020;2:3.",
        "Roy C. Three. J 2018;3:4.",
    ]


def test_author_year_lists_split_where_a_name_starts_a_new_entry() -> None:
    pages = [
        "Introduction\nText.",
        "REFERENCES\nAlexander C, Ishikawa S. 1977. A pattern language: towns,\n"
        "buildings. New York: Oxford University Press.\n"
        "Hal Daumé. 2007. Frustratingly easy domain adaptation.\nIn ACL.\n"
        "Sepp Hochreiter and Jürgen Schmidhuber. 1997. Long\nshort-term memory.\n"
        "Almeida, A.S.; Vieira, I.C.G. 2020a. Long-term\nassessment. Land Use Policy, 90.\n",
    ]
    assert [entry[:20] for entry in split_references(pages)] == [
        "Alexander C, Ishikaw",
        "Hal Daumé. 2007. Fru",
        "Sepp Hochreiter and ",
        "Almeida, A.S.; Vieir",
    ]


def test_full_text_not_available_and_missing_land_in_one_prisma_box(review: Path) -> None:
    for record in ("1", "2", "3"):
        code, _ = run("screen", "decide", record, "include", "--reviewer", "ana",
                      "--review", str(review))  # fmt: skip
        assert code == 0
    decided = run(
        "screen", "decide", "1", "exclude", "--reason", "Full text not available",
        "--stage", "full_text", "--reviewer", "ana", "--review", str(review),
    )  # fmt: skip
    assert decided == (
        0,
        "Record 1: exclude (Full text not available) by ana at full_text (added)\n",
    )
    assert run("fulltext", "missing", "2", "--reason", "Paywalled", "--review", str(review)) == (
        0,
        "Record 2: report not retrieved (Paywalled)\n",
    )
    code, output = run("status", "--review", str(review))
    assert code == 0
    assert "  full text: no decision yet                  1\n" in output
    assert "  full text: reports not retrieved            2\n" in output
    code, output = run("prisma", "--review", str(review))
    assert "| dbr\\_notretrieved\\_reports | Reports not retrieved | 2 |\n" in output
    assert "| dbr\\_excluded | Reports excluded | 0 |\n" in output
    assert run("fulltext", "list", "--review", str(review)) == (
        0,
        "Full texts: 0 attached, 2 not retrieved\n"
        "       1  not retrieved: Full text not available\n"
        "       2  not retrieved: Paywalled\n",
    )
    # a record with its report attached cannot be excluded as "not available"
    report = review.parent / "r.pdf"
    report.write_bytes(article("Marketplace adoption among micro enterprises", "Bo Chen"))
    assert run("fulltext", "attach", "3", str(report), "--review", str(review))[0] == 0
    assert run(
        "screen", "decide", "3", "exclude", "--reason", "Full text not available",
        "--stage", "full_text", "--reviewer", "ana", "--review", str(review),
    ) == (
        1,
        "Error: record 3: a full text is attached (r.pdf), so it was retrieved; exclude it for "
        "another reason, or first `slr fulltext missing 3 --reason ... --detach`\n",
    )  # fmt: skip


# -- tags over the stored text ------------------------------------------------------------------


def test_tags_read_the_stored_text_and_show_the_page(demo: Path, tmp_path: Path) -> None:
    report = tmp_path / "w.pdf"
    report.write_bytes(
        article(
            "A study", "Ana Lima", body=["Firms sell abroad through cross-border", "e-commerce."]
        )
    )
    code, output = run("fulltext", "attach", "1", str(report), "--force", "--review", str(demo))
    assert code == 0, output
    code, output = run("tag", "--stage", "all", "--review", str(demo))
    assert code == 0
    assert "1 with full text" in output.splitlines()[0]
    code, output = run("tag", "show", "1", "--review", str(demo))
    assert (
        '    fulltext w.pdf p.2 36-59: "cross-border e-commerce" (term cross-border e-commerce)\n'
        in output
    )
    assert '    fulltext w.pdf p.1 35-46: "small firms" (term small firm*)\n' in output


# -- references from the full text in the citation graph ---------------------------------------


def test_a_study_without_cited_references_cites_its_full_text_s_list(
    review: Path, tmp_path: Path
) -> None:
    report = tmp_path / "cites.pdf"
    report.write_bytes(
        article(
            "Digital drivers of small firms", "Ana Lima", ["doi:10.5555/slr.test.1"],
            references=[
                "Chen B (2020) Marketplace adoption among micro enterprises. J Small Bus 1:2. "
                "doi:10.5555/slr.test.3",
                "Okafor N (2019) Social commerce in rural shops. Rural Stud 4:5-6.",
                "Roy C (2018) Unrelated work. J 3:4.",
            ],
        )
    )  # fmt: skip
    assert run("fulltext", "attach", "1", str(report), "--review", str(review))[0] == 0
    edges = tmp_path / "edges.csv"
    code, output = run(
        "graph", "citation", "--stage", "all", "--review", str(review), "-o", str(edges)
    )
    assert (code, output) == (
        0,
        "9 studies (all), 1 with references (3 references)\n"
        "Citations within the set: 2 (doi (full text) 1, fuzzy:title (full text) 1)\n"
        "Most cited within the set:\n"
        "    1  #3 Chen (2020) Marketplace adoption among micro enterprises\n"
        "    1  #5 Okafor (2019) Social commerce in rural shops\n"
        f"Wrote {edges} (csv)\n",
    )
    assert edges.read_text(encoding="utf-8").splitlines()[1:] == [
        "1,3,Lima (2021),Chen (2020),1,1,1;3,doi (full text),1.0,Chen B (2020) Marketplace "
        "adoption among micro enterprises. J Small Bus 1:2. doi:10.5555/slr.test.3",
        "1,5,Lima (2021),Okafor (2019),1,1,1;5,fuzzy:title (full text),1.0,Okafor N (2019) "
        "Social commerce in rural shops. Rural Stud 4:5-6.",
    ]


# -- full-text rules over the stored text ------------------------------------------------------


def test_full_text_rules_read_the_stored_text(demo: Path, tmp_path: Path) -> None:
    report = tmp_path / "asia.pdf"
    report.write_bytes(
        article("A study", "Ana Lima", body=["We surveyed 40 firms in Indonesia and Vietnam."])
    )
    # record 14 is flagged at full text: "No Asian country or region named"
    assert run("fulltext", "attach", "14", str(report), "--review", str(demo))[0] == 0
    code, output = run("screen", "auto", "--stage", "full_text", "--review", str(demo))
    assert code == 0
    assert (
        "full_text: 0 excluded, 0 included, 5 flagged, 2 no rule matched "
        "(of 7 included at title_abstract)\n"
    ) in output
    assert "Decisions: 0 added, 0 changed, 1 removed" in output


def test_evidence_found_in_the_full_text_is_named_so() -> None:
    rule = Rule("survey", "full_text", "include", "A survey of firms", "surveyed NEAR/3 firms")
    record = RecordText.of(7, Record(title="Digital firms", abstract="An abstract."))
    joined = with_full_text(record, "Title page\fWe surveyed 40 firms in Indonesia.")
    decision = decide(joined, compile_rules([rule]), "full_text")
    assert decision is not None
    assert [(s.field, s.start, s.end, s.text) for s in decision.evidence] == [
        ("fulltext", 14, 31, "surveyed 40 firms")
    ]
    assert decide(record, compile_rules([rule]), "full_text") is None


_TOKENS = [*"aZ .,;()[]12/-", "\n", "References\n", "10.1234/x", "1. ", "[2] ", " 2019"]
reference_text = st.lists(st.lists(st.sampled_from(_TOKENS)).map("".join), max_size=4)


@given(reference_text)
def test_reading_any_text_never_fails(pages: list[str]) -> None:
    for entry in split_references(pages):
        assert "\n" not in entry and entry == entry.strip()
    for doi, page in own_dois(pages):
        assert doi.startswith("10.") and 1 <= page <= len(pages)


def test_a_file_attached_before_texts_were_stored_says_so(review: Path) -> None:
    import sqlite3  # (only here: the row an older slr wrote)

    db = sqlite3.connect(review / "review.db")
    with db:
        db.execute(
            "INSERT INTO fulltext_files (record_id, path, original_name, sha256, attached_at) "
            "VALUES (2, 'fulltext/2_old.pdf', 'old.pdf', '', '2026-01-01T00:00:00Z')"
        )
    db.close()
    assert run("fulltext", "list", "--review", str(review)) == (
        0,
        "Full texts: 1 attached, 0 not retrieved\n"
        "       2  fulltext/2_old.pdf  (text not read: attached before slr read full texts; "
        "attach it again)\n",
    )
    code, output = run("fulltext", "list", "--json", "--review", str(review))
    assert code == 0
    assert json.loads(output) == [
        {"record_id": 2, "file": "old.pdf", "pages": 0, "chars": 0, "text_layer": None,
         "matched_by": "by hand"}
    ]  # fmt: skip


WHOLE = article("Cut anywhere", "Ana Lima", references=REFERENCES)


@given(st.integers(min_value=0, max_value=len(WHOLE)))
def test_a_pdf_cut_anywhere_is_read_or_refused_with_a_reason(cut: int) -> None:
    try:
        extraction = extract("cut.pdf", WHOLE[:cut])
    except UnreadableFullText as error:
        assert error.message.startswith("cut.pdf ") and error.message.endswith("nothing attached")
    else:
        assert extraction.text_layer
        assert extraction.pages[0].startswith("Cut anywhere")


def test_the_migration_moves_attached_files_and_keeps_reports_not_retrieved(
    tmp_path: Path,
) -> None:
    import sqlite3  # (only here: a database as the slr before full-text files wrote it)

    from slr.store.schema import MIGRATIONS, _v8_fulltext_files, migrate
    from slr.store.transaction import ReviewConnection

    before = MIGRATIONS[: MIGRATIONS.index(_v8_fulltext_files)]
    db = sqlite3.connect(tmp_path / "review.db", factory=ReviewConnection)
    migrate(db, before)
    with db:
        db.execute("INSERT INTO sources (id, file_name, stored_path, sha256, size, format, "
                   "encoding, imported_at, records, failures) VALUES (1, 'x', 'x', '', 0, 'ris', "
                   "'utf-8', '', 2, 0)")  # fmt: skip
        for record_id in (1, 2):
            db.execute(
                "INSERT INTO records (id, source_id, source_index, title) VALUES (?, 1, ?, 't')",
                (record_id, record_id),
            )
        db.execute(
            "INSERT INTO fulltexts (record_id, path, original_name, sha256, updated_at) "
            "VALUES (1, 'fulltext/1_a.pdf', 'a.pdf', 'abc', '2026-01-01T00:00:00Z')"
        )
        db.execute(
            "INSERT INTO fulltexts (record_id, missing_reason, updated_at) "
            "VALUES (2, 'Paywalled', '2026-01-01T00:00:00Z')"
        )
    migrate(db)
    assert db.execute(
        "SELECT record_id, path, original_name, sha256, pages, text_layer, matched_by "
        "FROM fulltext_files"
    ).fetchall() == [(1, "fulltext/1_a.pdf", "a.pdf", "abc", 0, None, "by hand")]
    assert db.execute("SELECT record_id, path, missing_reason FROM fulltexts").fetchall() == [
        (2, "", "Paywalled")
    ]
    db.close()


def test_a_doi_the_text_mentions_past_page_one_is_not_taken_for_its_own() -> None:
    records = [
        Candidate(1, "Digital drivers of small firms", "Lima", 2021, "10.5555/slr.test.1"),
        Candidate(3, "Marketplace adoption among micro enterprises", "Chen", 2020, ""),
    ]
    pages = [
        "Marketplace adoption among micro enterprises\nBo Chen\nAbstract",
        "2 Methods\nWe surveyed 40 firms.",
        "3 Results\nAs shown before (doi:10.5555/slr.test.1), firms adopt platforms.",
    ]
    found = match_file("chen.pdf", pages, records)
    assert (found.record_id, found.by) == (3, "title")


def test_undoing_full_text_not_available_takes_the_not_retrieved_mark_back(review: Path) -> None:
    from slr.protocol import load_protocol
    from slr.screening.session import Session
    from slr.store import Review

    for record in ("1", "2"):
        assert run("screen", "decide", record, "include", "--reviewer", "ana",
                   "--review", str(review))[0] == 0  # fmt: skip
    assert run("fulltext", "missing", "2", "--reason", "Paywalled", "--review", str(review))[0] == 0
    with Review.open(review) as opened:
        session = Session(opened, "full_text", "ana", load_protocol(PROTOCOL), styles=False)
        assert session.current == 1
        session.decide("exclude", "Full text not available")
        assert run("fulltext", "list", "--review", str(review))[1] == (
            "Full texts: 0 attached, 2 not retrieved\n"
            "       1  not retrieved: Full text not available\n"
            "       2  not retrieved: Paywalled\n"
        )
        assert session.undo() == 1
        assert session.current == 1
        # the mark of `fulltext missing` is its own and stays
        assert run("fulltext", "list", "--review", str(review))[1] == (
            "Full texts: 0 attached, 1 not retrieved\n       2  not retrieved: Paywalled\n"
        )
        session.decide("include")  # the record is on the queue again
    code, output = run("status", "--review", str(review))
    assert code == 0
    assert "  full text: reports not retrieved            1\n" in output
