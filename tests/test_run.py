"""`slr run`: the whole review in one command, the same files on a second run."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
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
    "exports/full-text.bib",
    "exports/full-text.csv",
    "exports/full-text.ris",
    "exports/included.bib",
    "exports/included.csv",
    "exports/included.ris",
    "graphs/citations.graphml",
    "graphs/citations.html",
    "graphs/citations.svg",
    "graphs/drivers-cooccurrence.graphml",
    "graphs/drivers-cooccurrence.html",
    "graphs/drivers-cooccurrence.svg",
    "graphs/drivers-matrix.html",
    "graphs/drivers-matrix.svg",
    "graphs/drivers-synergies.csv",
    "outputs.md",
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
        "Tagged: 7 records included at title/abstract",
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
    assert (out / "exports" / "full-text.ris").read_text(encoding="utf-8").count("TY  - ") == 7
    # nothing is included at full text after the rules alone: PRISMA and the export agree
    assert (out / "exports" / "included.ris").read_text(encoding="utf-8") == ""
    assert counts["total_studies"] == 0

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


NO_MEMORY = (
    "Unable to allocate 8.43 GiB for an array with shape (47529, 47529) and data type float32"
)


def test_a_failing_graph_loses_no_other_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A page whose layout runs out of memory (numpy's words at 47,529 studies) is named with
    the command that redoes it; GraphML, PRISMA and exports are written; exit status 3. The
    next run writes the pages."""

    def no_memory(*_args: object, **_kwargs: object) -> None:
        raise MemoryError(NO_MEMORY)

    monkeypatch.setattr("slr.graphs.render.layout", no_memory)
    out = tmp_path / "demo-review"
    code, output = main_job(out)
    assert code == 3, output
    lines = output.splitlines()
    assert lines[1:4] == [
        "Imported: scopus.csv, wos.txt, ebsco.ris, scholar.bib",
        "Duplicates marked: 130; records screened: 124",
        "Tagged: 7 records included at title/abstract",
    ]
    for name, command in (
        ("drivers-cooccurrence", "slr graph cooccurrence --review {out} --vocab drivers"),
        ("citations", "slr graph citation --review {out}"),
    ):
        page = out / "graphs" / f"{name}.html"
        assert (
            f"Not written: graphs/{name}.html: MemoryError: {NO_MEMORY}; run "
            f"`{command.format(out=out)} -o {page}` alone to see the whole error"
        ) in lines
    assert lines[-2].startswith("Seconds per stage (peak memory so far): init ")
    assert [stage.split()[0] for stage in lines[-2].split(": ", 1)[1].split(", ")] == list(STAGES)
    assert lines[-1] == f"Open {out / 'prisma' / 'prisma.html'} for the PRISMA 2020 flow diagram"
    written = digests(out)
    assert [p for p in OUTPUTS if p not in written] == [
        "graphs/citations.html",
        "graphs/citations.svg",
        "graphs/drivers-cooccurrence.html",
        "graphs/drivers-cooccurrence.svg",
    ]

    monkeypatch.undo()
    code, output = main_job(out)
    assert code == 0, output
    assert set(OUTPUTS) <= set(digests(out))


def test_a_failing_tag_stage_still_writes_prisma_exports_and_citations(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr("slr.pipeline.tag_review", broken)
    out = tmp_path / "r"
    report = run_review(RunOptions(PROTOCOL, [Path(f) for f in FILES], out))
    assert [(f.output, f.error) for f in report.failures] == [
        ("tags", "RuntimeError: a bug"),
        ("graphs/drivers-cooccurrence.*", "the records of this stage have no tags yet"),
    ]
    assert report.failures[0].hint == f"run `slr tag --review {out}` alone to see the whole error"
    assert report.tagged is None
    written = {p.relative_to(out).as_posix() for p in report.written}
    assert {"graphs/citations.html", "prisma/prisma.html", "exports/included.ris"} <= written


def test_run_help_documents_the_exit_statuses() -> None:
    code, output = run("run", "--help")
    assert code == 0
    assert (
        "3 done, but entries of an export were rejected (each is listed with file and line) "
        "or an output could not be written" in " ".join(output.split())
    )


def test_rejected_entries_are_listed_with_file_and_line_and_exit_3(tmp_path: Path) -> None:
    export = tmp_path / "broken.ris"
    export.write_text(
        "TY  - JOUR\nTI  - Influencer marketing of Indonesian SMEs\nPY  - 2022\nER  - \n\n"
        "AU  - Stray, A.\nTI  - an entry with no TY line\nER  - \n\n"
        "TY  - JOUR\nTI  - Cross-border e-commerce of small firms\nPY  - 2023\nER  - \n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(
        main, ["run", "--protocol", str(PROTOCOL), "--out", str(tmp_path / "r"), str(export)]
    )
    assert result.exit_code == 3, result.output
    rejected = [line for line in result.output.splitlines() if line.startswith("Rejected: ")]
    assert len(rejected) == 1 and rejected[0].startswith("Rejected: broken.ris:6: ")
    assert (tmp_path / "r" / "prisma" / "prisma.html").is_file()
