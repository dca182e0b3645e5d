"""PRISMA 2020 counts, the template CSV, PRISMA-S, the diagram, on the demo corpus and on random
stores (hypothesis)."""

from __future__ import annotations

import csv
import io
import json
import re
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from slr.cli import main
from slr.importing import ImportOptions, import_files
from slr.prisma import PrismaError, prisma_counts, prisma_csv
from slr.prisma.diagram import diagram_html, diagram_svg
from slr.prisma.template import COLUMNS, DATA_IDS
from slr.store import Review
from slr.store import screening as store
from slr.store.schema import migrate
from slr.store.transaction import ReviewConnection

REPO = Path(__file__).resolve().parent.parent
PROTOCOL = REPO / "protocols" / "msme-digital-drivers.toml"
EXPORTS = REPO / "corpus" / "exports"
DATABASES = [EXPORTS / "scopus.csv", EXPORTS / "wos.txt", EXPORTS / "ebsco.ris"]
SCHOLAR = EXPORTS / "scholar.bib"


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


def test_demo_counts_match_a_count_by_hand(demo: Path) -> None:
    # The hand count (corpus/README.md, "How many files hold each work"):
    # - identified: Scopus 67, WoS 53, EBSCO 50 = 170 from databases; scholar.bib 84 from a
    #   website; no entry was rejected at import, so 0 "removed for other reasons".
    # - 124 works. 37 are in the BibTeX file only: they are the other-methods column; the other
    #   124 - 37 = 87 works have a database record: the databases column.
    # - duplicates: 170 database records for 87 works = 83; the 84 BibTeX records hold 37
    #   BibTeX-only works, so 84 - 37 = 47 were found already (or twice) = 130 marked in all.
    # - `slr screen auto` excludes 27 works at title/abstract and includes 7 (its summary).
    #   BibTeX-only among the 27 are 12: the books, theses and data report of `not-peer-reviewed`
    #   (Digital Marketing; Marketing Management; two theses of 2025; UMKM di Indonesia; Data
    #   UMKM kuliner) and six works before 2018 (Miles & Huberman 1994 and 2014, Barney 2010,
    #   Maharani et al. 2012, Moleong 2017, Smith et al. 2009). So 27 - 12 = 15 database works
    #   are "ineligible by automation tools": 3 off-topic (the Trombe wall, ship trajectories,
    #   wind turbines) and 12 before 2018 (10 Scopus articles and two 2013 articles that EBSCO
    #   holds too, though the BibTeX record is the one kept).
    # - screened: 87 - 15 = 72 database works, of which 7 included (all seven `two-drivers`
    #   works are in Scopus), 65 flagged and awaiting a reviewer; 37 - 12 = 25 other-methods
    #   works, all flagged. Full text: nobody screened the 7, so 7 reports await a decision and
    #   no study is included yet.
    with Review.open(demo) as review:
        counts = prisma_counts(review.db)
    t = counts.template()
    assert t["database_specific_results"] == {
        "Scopus": 67,
        "Web of Science Core Collection": 53,
        "EBSCOhost": 50,
    }
    assert (t["database_results"], t["register_results"], t["website_results"]) == (170, 0, 84)
    assert (t["duplicates"], t["excluded_automatic"], t["excluded_other"]) == (83, 15, 0)
    assert (t["records_screened"], t["records_excluded"], t["dbr_sought_reports"]) == (72, 0, 7)
    assert (t["dbr_notretrieved_reports"], t["dbr_assessed"], t["dbr_excluded"]) == (0, 7, {})
    assert (t["new_studies"], t["new_reports"], t["other_sought_reports"]) == (0, 0, 0)
    d = counts.details()
    assert (d["records_awaiting"], d["dbr_reports_awaiting"]) == (65, 7)
    assert (d["other_duplicates"], d["other_excluded_automatic"]) == (47, 12)
    assert (d["other_records_screened"], d["other_records_awaiting"]) == (25, 25)
    assert len(counts.dbr.duplicates) + len(counts.other.duplicates) == 130


def test_reviewers_decisions_reasons_and_missing_full_texts(demo: Path) -> None:
    with Review.open(demo) as review:
        db = review.db
        sought = prisma_counts(db).dbr.sought
        awaiting = prisma_counts(db).dbr.awaiting
        # title/abstract: a reviewer excludes two flagged records and includes one
        store.record_human_decision(db, awaiting[0], "title_abstract", "ana", "exclude", "No MSME")
        store.record_human_decision(db, awaiting[1], "title_abstract", "ana", "exclude", "No MSME")
        store.record_human_decision(db, awaiting[2], "title_abstract", "ana", "include")
        # full text: one report missing, two excluded with reasons (one with a comma), one in
        store.set_fulltext(db, sought[0], missing_reason="paywalled")
        store.record_human_decision(db, sought[1], "full_text", "ana", "exclude", "Not Asia, EU")
        store.record_human_decision(db, sought[2], "full_text", "ana", "exclude", "No MSME")
        store.record_human_decision(db, sought[3], "full_text", "ana", "include")
        store.record_final_decision(db, sought[4], "full_text", "include", "", "ana")
        counts = prisma_counts(db)
        split = prisma_counts(db, automation="screened")
    t = counts.template()
    assert (t["records_screened"], t["records_excluded"], t["dbr_sought_reports"]) == (72, 2, 8)
    assert (t["dbr_notretrieved_reports"], t["dbr_assessed"]) == (1, 7)
    assert t["dbr_excluded"] == {"No MSME": 1, "Not Asia - EU": 1}
    assert (t["new_studies"], t["total_studies"]) == (2, 2)
    assert counts.details()["records_awaiting"] == 62
    assert counts.details()["dbr_reports_awaiting"] == 3
    # automation tools' exclusions counted as screened and excluded, split from the reviewers'
    s = split.template()
    assert (s["excluded_automatic"], s["records_screened"], s["records_excluded"]) == (0, 87, 17)
    details = split.details()
    assert (details["records_excluded_human"], details["records_excluded_automatic"]) == (2, 15)
    row = next(r for r in csv.reader(io.StringIO(prisma_csv(counts))) if r[0] == "dbr_excluded")
    assert row[-1] == "No MSME, 1; Not Asia - EU, 1"


def test_csv_is_the_prisma2020_template(demo: Path) -> None:
    code, output = run("prisma", "--review", str(demo), "--format", "csv")
    assert code == 0
    rows = list(csv.reader(io.StringIO(output)))
    assert tuple(rows[0]) == COLUMNS == (
        "data", "node", "box", "description", "boxtext", "tooltips", "url", "n"
    )  # fmt: skip
    ids = [row[0] for row in rows[1:] if row[0] != "NA"]
    assert tuple(ids) == DATA_IDS
    for data_id in (
        "database_results", "database_specific_results", "duplicates", "excluded_automatic",
        "excluded_other", "records_screened", "records_excluded", "dbr_sought_reports",
        "dbr_notretrieved_reports", "dbr_assessed", "dbr_excluded", "new_studies", "new_reports",
        "website_results", "organisation_results", "citations_results", "other_sought_reports",
        "other_notretrieved_reports", "other_assessed", "other_excluded",
    ):  # fmt: skip
        assert data_id in ids
    n = {row[0]: row[-1] for row in rows[1:]}
    assert n["database_specific_results"] == (
        "Scopus, 67; Web of Science Core Collection, 53; EBSCOhost, 50"
    )
    assert (n["database_results"], n["duplicates"], n["records_screened"]) == ("170", "83", "72")
    assert n["dbr_excluded"] == "0"
    assert len({len(row) for row in rows}) == 1


def test_json_and_markdown_and_out(demo: Path, tmp_path: Path) -> None:
    code, output = run("prisma", "--review", str(demo), "--format", "json")
    data = json.loads(output)
    assert code == 0
    assert data["excluded_automatic"] == 15 and data["details"]["records_awaiting"] == 65
    code, output = run("prisma", "--review", str(demo))
    assert code == 0
    assert "| duplicates | Duplicate records | 83 |\n" in output
    out = tmp_path / "flow.svg"
    code, output = run("prisma", "--review", str(demo), "--format", "svg", "--out", str(out))
    assert (code, output) == (0, f"Wrote the PRISMA 2020 diagram (svg) to {out}\n")
    assert out.read_text(encoding="utf-8").startswith("<svg ")


def test_searches_summary(demo: Path) -> None:
    code, output = run("prisma", "--review", str(demo), "--searches")
    assert code == 0
    assert output == (
        "| Source | File | Database | Method | Search string | Date | Records |\n"
        "|---:|---|---|---|---|---|---:|\n"
        "| 1 | scopus.csv | Scopus | database | - | - | 67 |\n"
        "| 2 | wos.txt | Web of Science Core Collection | database | - | - | 53 |\n"
        "| 3 | ebsco.ris | EBSCOhost | database | - | - | 50 |\n"
        "| 4 | scholar.bib | Google Scholar | website | - | - | 84 |\n"
        "\nTotal: 254 records from 4 sources.\n"
    )
    code, output = run("prisma", "--review", str(demo), "--searches", "--format", "json")
    assert [s["records"] for s in json.loads(output)] == [67, 53, 50, 84]
    code, output = run("prisma", "--review", str(demo), "--searches", "--format", "svg")
    assert (code, output) == (
        1,
        "Error: --searches writes md, json, csv, not svg; use --format md, json or csv\n",
    )


def test_diagram_is_standalone_and_escaped(tmp_path: Path) -> None:
    path = tmp_path / "review"
    export = tmp_path / "a.ris"
    export.write_text("TY  - JOUR\nTI  - One\nPY  - 2021\nER  - \n", encoding="utf-8")
    with Review.create(path, title='Drivers <b>&</b> "MSMEs"') as review:
        import_files(review, [export], ImportOptions(database="Data <base> & Co"))
        svg = diagram_svg(prisma_counts(review.db), review.meta()["title"])
        page = diagram_html(prisma_counts(review.db), review.meta()["title"])
    assert "Drivers &lt;b&gt;&amp;&lt;/b&gt; &quot;MSMEs&quot;" in svg
    assert "Data &lt;base&gt; &amp; Co" in svg
    assert "<b>" not in svg and "<b>" not in page
    assert "<script" not in page and "http" not in page.replace("http://www.w3.org/2000/svg", "")
    assert page.startswith("<!DOCTYPE html>") and "@media print" in page
    assert "Records awaiting a decision (n\u00a0=\u00a01)" in svg
    for box in ("Identification", "Screening", "Included", "Records screened",
                "Reports sought for retrieval", "New studies included in review"):  # fmt: skip
        assert box in svg


def test_counts_that_do_not_add_up_name_the_records(demo: Path) -> None:
    with Review.open(demo) as review:
        first = review.db.execute(
            "SELECT id, duplicate_of FROM records WHERE duplicate_of IS NOT NULL ORDER BY id"
        ).fetchone()
        other = review.db.execute(
            "SELECT id FROM records WHERE duplicate_of IS NOT NULL AND id <> ? ORDER BY id",
            (first[0],),
        ).fetchone()[0]
        with review.db:
            review.db.execute("UPDATE records SET duplicate_of = ? WHERE id = ?", (first[0], other))
        with pytest.raises(PrismaError) as error:
            prisma_counts(review.db)
        assert error.value.message == (
            f"duplicates do not add up: records {other} are duplicates of records marked duplicate"
        )
        with review.db:
            review.db.execute("UPDATE records SET duplicate_of = ? WHERE id = ?", (first[1], other))
            review.db.execute("UPDATE sources SET records = 68 WHERE id = 1")
    code, output = run("prisma", "--review", str(demo))
    assert (code, output) == (
        1,
        "Error: the records identified do not add up: source 1 (scopus.csv): 68 records and 0 "
        "rejected entries imported, 67 and 0 stored; the review's records were changed outside "
        "slr; re-import the sources\n",
    )


# -- property: for any store, the counts add up ---------------------------------------------

METHODS = ("database", "register", "website", "organisation", "citation-search", "other")
DECISIONS = st.sampled_from([None, "include", "exclude", "flag"])


@st.composite
def stores(draw: st.DrawFn) -> sqlite3.Connection:
    db = sqlite3.connect(":memory:", factory=ReviewConnection)
    db.row_factory = sqlite3.Row
    migrate(db)
    record_ids: list[int] = []
    for source in range(1, draw(st.integers(1, 4)) + 1):
        n = draw(st.integers(0, 6))
        failures = draw(st.integers(0, 2))
        db.execute(
            "INSERT INTO sources (id, file_name, stored_path, sha256, size, format, encoding, "
            "database, method, imported_at, records, failures) VALUES "
            "(?, ?, '', ?, 0, 'ris', 'utf-8', ?, ?, 'now', ?, ?)",
            (source, f"f{source}.ris", str(source), draw(st.sampled_from(["A", "B", ""])),
             draw(st.sampled_from(METHODS)), n, failures),
        )  # fmt: skip
        for index in range(1, n + 1):
            cursor = db.execute(
                "INSERT INTO records (source_id, source_index, title) VALUES (?, ?, 't')",
                (source, index),
            )
            record_ids.append(cursor.lastrowid)  # type: ignore[arg-type]
        for line in range(failures):
            db.execute(
                "INSERT INTO import_failures (source_id, line, reason) VALUES (?, ?, 'bad')",
                (source, line + 1),
            )
    # merges: union pairs into clusters kept by their smallest id
    root = {rid: rid for rid in record_ids}
    if len(record_ids) > 1:
        for a, b in draw(st.lists(st.tuples(*[st.sampled_from(record_ids)] * 2), max_size=8)):
            ra, rb = root[a], root[b]
            keep, drop = min(ra, rb), max(ra, rb)
            for rid, r in root.items():
                if r == drop:
                    root[rid] = keep
    for rid, kept in root.items():
        if rid != kept:
            db.execute("UPDATE records SET duplicate_of = ? WHERE id = ?", (kept, rid))
    for rid in record_ids:
        for stage in ("title_abstract", "full_text"):
            auto = draw(DECISIONS)
            if auto:
                db.execute(
                    "INSERT INTO decisions (record_id, stage, decision, reason, reviewer, "
                    "decided_at) VALUES (?, ?, ?, ?, 'auto:r', 'now')",
                    (rid, stage, auto, draw(st.sampled_from(["", "x", "y"]))),
                )
            for reviewer in draw(st.sets(st.sampled_from(["ana", "bo"]))):
                db.execute(
                    "INSERT INTO decisions (record_id, stage, decision, reason, reviewer, "
                    "decided_at) VALUES (?, ?, ?, ?, ?, 'now')",
                    (rid, stage, draw(DECISIONS) or "flag", draw(st.sampled_from(["", "x"])),
                     reviewer),
                )  # fmt: skip
            if draw(st.booleans()) and draw(st.booleans()):
                db.execute(
                    "INSERT INTO final_decisions (record_id, stage, decision, reason, "
                    "resolved_by, decided_at) VALUES (?, ?, ?, 'z', 'ana', 'now')",
                    (rid, stage, draw(st.sampled_from(["include", "exclude"]))),
                )
        if draw(st.integers(0, 4)) == 0:
            db.execute(
                "INSERT INTO fulltexts (record_id, missing_reason, updated_at) "
                "VALUES (?, 'gone', 'now')",
                (rid,),
            )
    return db


@given(stores(), st.sampled_from(["removed", "screened"]))
def test_counts_always_add_up(db: sqlite3.Connection, automation: str) -> None:
    counts = prisma_counts(db, automation)
    t, d = counts.template(), counts.details()
    entries = db.execute("SELECT sum(records + failures) FROM sources").fetchone()[0]
    records = db.execute("SELECT count(*) FROM records").fetchone()[0]
    unique = db.execute("SELECT count(*) FROM records WHERE duplicate_of IS NULL").fetchone()[0]
    dbr = t["database_results"] + t["register_results"]
    other = t["website_results"] + t["organisation_results"] + t["citations_results"]
    assert dbr + other == entries
    assert sum(t["database_specific_results"].values()) == t["database_results"]
    assert (
        dbr
        == t["duplicates"] + t["excluded_automatic"] + t["excluded_other"] + t["records_screened"]
    )
    assert (
        other
        == d["other_duplicates"]
        + d["other_excluded_automatic"]
        + d["other_excluded_other"]
        + d["other_records_screened"]
    )
    assert (
        t["records_screened"]
        == t["records_excluded"] + t["dbr_sought_reports"] + d["records_awaiting"]
    )
    assert (
        d["other_records_screened"]
        == d["other_records_excluded"] + t["other_sought_reports"] + d["other_records_awaiting"]
    )
    for prefix, included in (("dbr", "dbr_included"), ("other", "other_included")):
        assert t[f"{prefix}_sought_reports"] == (
            t[f"{prefix}_notretrieved_reports"] + t[f"{prefix}_assessed"]
        )
        awaiting = d["dbr_reports_awaiting" if prefix == "dbr" else "other_reports_awaiting"]
        assert (
            t[f"{prefix}_assessed"]
            == sum(t[f"{prefix}_excluded"].values()) + d[included] + awaiting
        )
    assert t["new_studies"] == d["dbr_included"] + d["other_included"]
    assert t["duplicates"] + d["other_duplicates"] == records - unique
    if automation == "screened":
        assert t["excluded_automatic"] == 0
    # every reason can be read back from the template's "Reason, n; ..." cell
    row = next(r for r in csv.reader(io.StringIO(prisma_csv(counts))) if r[0] == "dbr_excluded")
    if t["dbr_excluded"]:
        parsed = [re.fullmatch(r"(.+), (\d+)", part) for part in row[-1].split("; ")]
        assert {m.group(1): int(m.group(2)) for m in parsed if m} == t["dbr_excluded"]


# -- the diagram's heading and when it was generated ---------------------------------------------


def _headings(svg: str) -> list[str]:
    return re.findall(r'font-weight="bold" font-size="15">([^<]*)</text>', svg)


def test_the_heading_is_the_protocols_title_and_the_outputs_say_when(
    demo: Path, tmp_path: Path
) -> None:
    runner = CliRunner()
    review = ["--review", str(demo)]
    svg = runner.invoke(main, ["prisma", *review, "--format", "svg"]).output
    assert _headings(svg) == ["Digital drivers of Asian MSME internationalisation"]
    with Review.open(demo) as opened:
        last = opened.db.execute(
            "SELECT max(at) FROM log WHERE entity IN ('decision', 'source')"
        ).fetchone()[0]
    stamp = f"Generated from the review as of {last[:10]} {last[11:23]} UTC"
    assert f'fill="#444444">{stamp}</text>' in svg
    markdown = runner.invoke(main, ["prisma", *review]).output
    assert markdown.startswith(f"{stamp}.\n\n| PRISMA2020 id | Box | n |\n")
    svg = runner.invoke(main, ["prisma", *review, "--format", "svg", "--title", "My SLR"]).output
    assert _headings(svg) == ["My SLR"]
    # the same state, the same bytes: a run's bookkeeping is not a change
    first = runner.invoke(main, ["prisma", *review, "--format", "html"]).output
    assert (
        "<h1>PRISMA 2020 flow diagram: Digital drivers of Asian MSME internationalisation</h1>"
        in first
    )
    assert runner.invoke(main, ["screen", "auto", *review]).exit_code == 0
    assert runner.invoke(main, ["prisma", *review, "--format", "html"]).output == first


def test_slr_run_title_and_a_refresh_without_exports(demo: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(main, ["run", "--out", str(demo), "--title", "Drivers, 2018-2026"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"Updated the review in {demo}\nImported: none\n")
    page = (demo / "prisma" / "prisma.html").read_text(encoding="utf-8")
    assert "<h1>PRISMA 2020 flow diagram: Drivers, 2018-2026</h1>" in page
    # no review there and no protocol: what to give
    result = runner.invoke(main, ["run", "--out", str(demo.parent / "none")])
    assert (result.exit_code, result.output) == (
        1,
        f"Error: {demo.parent / 'none'} holds no review yet; give the protocol and the exports: "
        "slr run --protocol FILE EXPORT... --out DIR\n",
    )
