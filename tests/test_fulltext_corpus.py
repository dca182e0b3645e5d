"""Full texts on the real PDFs of ../shared/fulltext-pdfs (MANIFEST.csv is the ground truth);
skipped when the folder is absent. Nothing of it is copied into the project."""

from __future__ import annotations

import csv
import re
import time
import unicodedata
from pathlib import Path

import pytest
from click.testing import CliRunner

from slr.cli import main
from slr.fulltext.extract import NO_TEXT_LAYER, Extraction, UnreadableFullText, extract
from slr.fulltext.references import split_references

FOLDER = Path(__file__).resolve().parent.parent.parent / "shared" / "fulltext-pdfs"
pytestmark = pytest.mark.skipif(
    not (FOLDER / "MANIFEST.csv").is_file(), reason="../shared/fulltext-pdfs is not present"
)


def manifest() -> list[dict[str, str]]:
    with (FOLDER / "MANIFEST.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def squash(text: str) -> str:
    """Case, accents and punctuation ignored, as the folder's README checked it."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    letters = "".join(c for c in decomposed if not unicodedata.combining(c))
    return re.sub(r"[^a-z0-9]", "", letters)


@pytest.fixture(scope="module")
def extracted() -> dict[str, Extraction | str]:
    """Every file of the folder read once: its text, or why it was refused."""
    found: dict[str, Extraction | str] = {}
    started = time.perf_counter()
    for row in manifest():
        try:
            found[row["file"]] = extract(row["file"], (FOLDER / row["file"]).read_bytes())
        except UnreadableFullText as error:
            found[row["file"]] = error.message
    print(f"extraction of the folder: {time.perf_counter() - started:.1f} s")
    return found


def test_title_and_first_author_on_the_first_two_pages(
    extracted: dict[str, Extraction | str],
) -> None:
    readable = [row for row in manifest() if row["text_layer"] == "yes" and row["title"]]
    missed = []
    for row in readable:
        text = extracted[row["file"]]
        if isinstance(text, str):
            missed.append(f"{row['file']}: {text}")
            continue
        head = squash(" ".join(text.pages[:2]))
        family = row["first_author"].split(",")[0]
        if squash(row["title"]) not in head or squash(family) not in head:
            missed.append(row["file"])
    # the truncated file is read as far as it goes, but the character maps of the fonts of its
    # title and body were in the part that is lost (its warnings say so: test_the_hard_cases)
    assert missed == ["hardcase-truncated-medeiros2024.pdf"]
    assert len(readable) == 21


def test_the_hard_cases(extracted: dict[str, Extraction | str]) -> None:
    assert extracted["hardcase-broken-colrev.pdf"] == (
        "hardcase-broken-colrev.pdf is not a PDF (it starts with 'broken pdf...', not %PDF-): "
        "nothing attached"
    )
    scanned = extracted["hardcase-scanned-araujo2021.pdf"]
    assert isinstance(scanned, Extraction)
    assert (len(scanned.pages), scanned.chars, scanned.text_layer) == (13, 0, False)
    assert scanned.warnings == [NO_TEXT_LAYER]
    encrypted = extracted["hardcase-encrypted-santos2023.pdf"]
    assert isinstance(encrypted, Extraction) and len(encrypted.pages) == 13
    assert "10.1590/2318-0889202335e227169" in encrypted.pages[0]
    truncated = extracted["hardcase-truncated-medeiros2024.pdf"]
    assert isinstance(truncated, Extraction)
    assert (len(truncated.pages), truncated.text_layer) == (19, True)
    assert truncated.warnings == [
        "cut short (no closing table, %%EOF): read as far as the file goes, 19 pages in the order "
        "they are stored; download it again for the whole article",
        "99% of its characters cannot be decoded (the character maps of their fonts are "
        "missing): search and tags will miss words",
    ]
    assert [page.split("\n")[3 if number == 0 else 0].strip() for number, page in
            enumerate(truncated.pages[:3])] == ["1 de 19", "2 de 19", "3 de 19"]  # fmt: skip
    ligatures = extracted["bogner2019-peerjcs.pdf"]
    assert isinstance(ligatures, Extraction)
    assert "efficiency" in " ".join(ligatures.pages) and "\ufb01" not in " ".join(ligatures.pages)


# Entries in each file's reference lists. Numbered lists: the number of the last entry as
# printed (a list in a supplement counted too: douglas2014 52 + 4). Author-year lists: counted
# by hand on the list, one entry per author-year start in alphabetical order (ammar2018 27,
# bogner2019 38, webb2017 24, cohan2020 57, pacheduran2021 28 with the two laws by "España" and
# the INE dataset; dias2023 49 + 18 in the supplement; the others likewise).
TRUE_REFERENCES = {
    "agyemanduah2014-bmchsr.pdf": 31,
    "ammar2018-naacl.pdf": 27,
    "batista2021-bjmbr.pdf": 19,
    "becker2024-splc.pdf": 83,
    "bogner2019-peerjcs.pdf": 38,
    "bogner2023-emse.pdf": 30,
    "cohan2020-acl-specter.pdf": 57,
    "datta2010-jtmo.pdf": 79,
    "dias2023-actaamazonica.pdf": 67,
    "douglas2014-clinsci.pdf": 56,
    "fritzsch2023-spe.pdf": 43,
    "hardcase-encrypted-santos2023.pdf": 43,
    "keim2024-icse.pdf": 68,
    "neves2022-hoehnea-pt.pdf": 55,
    "pacheduran2021-transinformacao-es.pdf": 28,
    "ralph2020-emse.pdf": 65,
    "souza2023-cadsaudecolet-pt.pdf": 44,
    "thomason2018-plosone.pdf": 59,
    "tully2010-rrp.pdf": 17,
    "webb2017-peerjcs-vespa.pdf": 24,
}


def test_reference_lists_within_ten_percent_on_most_files(
    extracted: dict[str, Extraction | str],
) -> None:
    found = {}
    for name in TRUE_REFERENCES:
        text = extracted[name]
        assert isinstance(text, Extraction)
        found[name] = len(split_references(text.pages))
    close = [name for name, true in TRUE_REFERENCES.items() if abs(found[name] - true) <= true / 10]
    assert len(close) >= 0.8 * len(TRUE_REFERENCES), found
    # the one known miss: a table of indices printed between dias2023's two lists
    assert sorted(set(TRUE_REFERENCES) - set(close)) == ["dias2023-actaamazonica.pdf"], found


def _ris(rows: list[dict[str, str]]) -> str:
    """The manifest's records and, for each, two decoys: a similar title by the same first
    author (with another DOI), and the same title by another author (without one)."""
    entries = []
    for number, row in enumerate(rows, start=1):
        words = row["title"].split()
        for title, author, year, doi in (
            (row["title"], row["first_author"], row["year"], row["doi"]),
            (" ".join(words[:-1]) + " revisited", row["first_author"], int(row["year"]) + 1,
             f"10.9999/decoy.{number}"),
            (row["title"], "Smith, John", row["year"], ""),
        ):  # fmt: skip
            lines = ["TY  - JOUR", f"TI  - {title}", f"AU  - {author}", f"PY  - {year}"]
            lines += [f"DO  - {doi}"] if doi else []
            entries.append("\n".join([*lines, "ER  - "]))
    return "\n\n".join(entries) + "\n"


def test_the_folder_is_attached_to_the_right_records(tmp_path: Path) -> None:
    rows = [row for row in manifest() if row["title"]]
    exports = tmp_path / "records.ris"
    exports.write_text(_ris(rows), encoding="utf-8")
    review = tmp_path / "review"
    runner = CliRunner()
    assert runner.invoke(main, ["init", str(review)]).exit_code == 0
    imported = runner.invoke(main, ["import", "--review", str(review), str(exports)])
    assert imported.exit_code == 0, imported.output
    result = runner.invoke(main, ["fulltext", "import", str(FOLDER), "--review", str(review)])
    assert result.exit_code == 3  # a file refused
    # the real record of each file is the first of its three: 3 * (row number) - 2
    record_of = {row["file"]: 3 * number - 2 for number, row in enumerate(rows, start=1)}
    attached = {}
    for line in result.output.splitlines():
        match = re.match(r"  (\S+\.pdf) -> #(\d+) by (doi|title|file name):", line)
        if match:
            attached[match.group(1)] = (int(match.group(2)), match.group(3))
    wrong = {name: got for name, got in attached.items() if got[0] != record_of[name]}
    assert wrong == {}
    printed = [
        r["file"] for r in rows if r["text_layer"] == "yes" and "doi_in_pdf=no" not in r["notes"]
    ]
    assert all(attached[name][1] == "doi" for name in printed), attached
    rest = [r["file"] for r in rows if r["file"] not in printed]
    assert sorted(rest) == [
        "ammar2018-naacl.pdf", "cohan2020-acl-specter.pdf", "hardcase-scanned-araujo2021.pdf"
    ]  # fmt: skip
    assert sum(name in attached for name in rest) >= 0.9 * len(rest)
    assert result.output.endswith(
        "Refused 1:\n"
        "  hardcase-broken-colrev.pdf is not a PDF (it starts with 'broken pdf...', not %PDF-): "
        "nothing attached\n"
        "Skipped 3 (not .pdf or .txt): MANIFEST.csv, README.md, SHA256SUMS\n"
    )
