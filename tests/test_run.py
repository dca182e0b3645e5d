"""`slr run`: the whole review in one command, the same files on a second run."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from click.testing import CliRunner

from slr.cli import main
from slr.pipeline import STAGES, RunOptions, run_review

REPO = Path(__file__).resolve().parent.parent
PROTOCOL = REPO / "protocols" / "msme-digital-drivers.toml"
EXPORTS = REPO / "corpus" / "exports"
FILES = [str(EXPORTS / name) for name in ("scopus.csv", "wos.txt", "ebsco.ris", "scholar.bib")]
OUTPUTS = [
    "dedup.csv",
    "exports/asreview.csv",
    "exports/included.bib",
    "exports/included.csv",
    "exports/included.ris",
    "graphs/citations.graphml",
    "graphs/citations.html",
    "graphs/drivers-cooccurrence.graphml",
    "graphs/drivers-cooccurrence.html",
    "graphs/drivers-synergies.csv",
    "prisma/PRISMA.csv",
    "prisma/prisma.html",
    "prisma/prisma.json",
    "prisma/prisma.md",
    "prisma/prisma.svg",
    "prisma/searches.md",
]


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


def main_job(out: Path) -> tuple[int, str]:
    return run(
        "run", "--protocol", str(PROTOCOL), "--out", str(out), *FILES,
        "--method", "scholar.bib=website", "--database", "scholar.bib=Google Scholar",
    )  # fmt: skip


def digests(out: Path) -> dict[str, str]:
    return {
        path.relative_to(out).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(out.rglob("*"))
        if path.is_file() and not path.name.startswith("review.db")
    }


def test_the_main_job_and_a_second_run_writes_the_same_files(tmp_path: Path) -> None:
    out = tmp_path / "demo-review"
    code, output = main_job(out)
    assert code == 0, output
    lines = output.splitlines()
    assert lines[:5] == [
        f"Created the review in {out}",
        "Imported: scopus.csv, wos.txt, ebsco.ris, scholar.bib",
        "Duplicates marked: 130; records screened: 124",
        "Tagged: 7 included records",
        "Wrote:",
    ]
    assert lines[-1] == f"Open {out / 'prisma' / 'prisma.html'} for the PRISMA 2020 flow diagram"
    first = digests(out)
    assert [p for p in first if not p.startswith("sources/") and p != "protocol.toml"] == OUTPUTS
    counts = json.loads((out / "prisma" / "prisma.json").read_text(encoding="utf-8"))
    assert (counts["database_results"], counts["website_results"]) == (170, 84)
    assert (counts["duplicates"], counts["excluded_automatic"], counts["records_screened"]) == (
        83, 15, 72,
    )  # fmt: skip
    searches = (out / "prisma" / "searches.md").read_text(encoding="utf-8")
    assert r"| 1 | scopus.csv | Scopus | database | (a) TITLE-ABS-KEY((msme\* OR sme" in searches
    assert r'(d) TITLE-ABS-KEY(("personal shopper\*"' in searches
    assert (out / "exports" / "included.ris").read_text(encoding="utf-8").count("TY  - ") == 7

    code, output = main_job(out)
    assert code == 0
    assert output.splitlines()[:3] == [
        f"Updated the review in {out}",
        "Imported: none; already imported: scopus.csv, wos.txt, ebsco.ris, scholar.bib",
        "Duplicates marked: 130; records screened: 124",
    ]
    assert digests(out) == first

    other = tmp_path / "other.toml"
    other.write_bytes(PROTOCOL.read_bytes() + b"\n# changed\n")
    code, output = run("run", "--protocol", str(other), "--out", str(out), *FILES)
    assert (code, output) == (
        1,
        f"Error: {out} holds a review made with another protocol; give the same protocol, or "
        "another --out directory\n",
    )


def test_every_stage_reports_progress_in_order(tmp_path: Path) -> None:
    heard: list[tuple[str, str]] = []
    options = RunOptions(PROTOCOL, [Path(FILES[2])], tmp_path / "r")
    report = run_review(options, lambda stage, message: heard.append((stage, message)))
    done = [stage for stage, message in heard if message == "done"]
    assert done == list(STAGES)
    assert report.imported == ["ebsco.ris"] and report.created


def test_options_name_the_exports(tmp_path: Path) -> None:
    code, output = run(
        "run", "--protocol", str(PROTOCOL), "--out", str(tmp_path / "r"), FILES[0],
        "--method", "nope.bib=website",
    )  # fmt: skip
    assert (code, output) == (
        1,
        "Error: --method names nope.bib, which is not one of the exports; write FILE=VALUE with "
        "FILE as given among the exports (or its name)\n",
    )
    code, output = run(
        "run", "--protocol", str(PROTOCOL), "--out", str(tmp_path / "r"), FILES[0],
        "--method", "scopus.csv=web",
    )  # fmt: skip
    assert code == 1 and output.startswith("Error: --method 'scopus.csv=web': unknown method")
    assert not (tmp_path / "r").exists()
