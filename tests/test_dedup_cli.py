"""`slr dedup` end to end: report contract, log, undo to the exact prior state, review in a pty."""

from __future__ import annotations

import csv
import os
import sqlite3
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from slr.cli import main

RIS_A = """TY  - JOUR
TI  - Live streaming and consumer trust in social commerce: a study of sellers
AU  - Wongkitrungrueng, A.
AU  - Assarut, N.
PY  - 2020
T2  - Journal of Business Research
VL  - 117
SP  - 543
EP  - 556
DO  - 10.1016/j.jbusres.2020.05.032
ER  -

TY  - JOUR
TI  - Cross-border e-commerce and SME exports in emerging markets
AU  - Smith, John
PY  - 2021
T2  - Journal of Testing
VL  - 3
SP  - 10
EP  - 20
ER  -

TY  - JOUR
TI  - Influencer marketing and purchase intention among young consumers
AU  - Tan, Mei
AU  - Lee, Kim
PY  - 2019
T2  - Marketing Letters
VL  - 30
SP  - 100
EP  - 110
ER  -
""".replace("ER  -\n", "ER  - \n")

RIS_B = """TY  - JOUR
TI  - LIVE STREAMING AND CONSUMER TRUST IN SOCIAL COMMERCE: A STUDY OF SELLERS
AU  - Wongkitrungrueng, Amornrat
AU  - Assarut, Nuttapol
PY  - 2020
T2  - J Bus Res
VL  - 117
SP  - 543
EP  - 56
AB  - We study live streaming sellers.
ER  -

TY  - JOUR
TI  - Influencer marketing and purchase intention among young consumer
AU  - Tan, M.
AU  - Lee, K.
ER  -

TY  - JOUR
TI  - Erratum: Cross-border e-commerce and SME exports in emerging markets
AU  - Smith, John
PY  - 2021
T2  - Journal of Testing
VL  - 3
SP  - 21
ER  -
""".replace("ER  -\n", "ER  - \n")


@pytest.fixture
def review(tmp_path: Path, runner: CliRunner) -> Path:
    path = tmp_path / "rev"
    assert runner.invoke(main, ["init", str(path)]).exit_code == 0
    (tmp_path / "a.ris").write_text(RIS_A, encoding="utf-8")
    (tmp_path / "b.ris").write_text(RIS_B, encoding="utf-8")
    result = runner.invoke(
        main,
        ["import", "--review", str(path), "--database", "Scopus", str(tmp_path / "a.ris")],
    )
    assert result.exit_code == 0, result.output
    result = runner.invoke(
        main, ["import", "--review", str(path), "--database", "WoS", str(tmp_path / "b.ris")]
    )
    assert result.exit_code == 0, result.output
    return path


def dump(path: Path) -> dict[str, list[tuple]]:
    """Every table but the append-only log, row by row."""
    db = sqlite3.connect(path / "review.db")
    tables = [
        r[0]
        for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        if r[0] != "log"
    ]
    data = {t: db.execute(f"SELECT * FROM {t} ORDER BY rowid").fetchall() for t in tables}
    db.close()
    return data


def report(runner: CliRunner, review: Path, tmp_path: Path) -> list[dict[str, str]]:
    out = tmp_path / "report.csv"
    result = runner.invoke(main, ["dedup", "--review", str(review), "--report", str(out)])
    assert result.exit_code == 0, result.output
    with out.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_dedup_marks_duplicates_and_writes_the_report(
    runner: CliRunner, review: Path, tmp_path: Path
) -> None:
    out = tmp_path / "report.csv"
    result = runner.invoke(main, ["dedup", "--review", str(review), "--report", str(out)])
    assert result.exit_code == 0, result.output
    assert result.output == (
        "Records: 6; duplicate clusters: 1 (1 record marked duplicate); uncertain pairs: 1\n"
        f"Report: {out}\n"
        "Next: slr dedup review\n"
    )
    with out.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0])[:7] == [
        "record_id",
        "source_file",
        "source_index",
        "cluster_id",
        "role",
        "rule",
        "score",
    ]
    table = [(r["source_file"], r["source_index"], r["role"], r["rule"]) for r in rows]
    assert table == [
        ("a.ris", "1", "duplicate", "same_title_and_place"),
        ("a.ris", "2", "unique", ""),
        ("a.ris", "3", "uncertain", "fuzzy_little_support"),
        ("b.ris", "1", "kept", ""),
        ("b.ris", "2", "uncertain", "fuzzy_little_support"),
        ("b.ris", "3", "unique", ""),
    ]
    assert rows[0]["cluster_id"] == rows[3]["cluster_id"] != ""
    db = sqlite3.connect(review / "review.db")
    # the more complete record (with an abstract) is kept
    kept, duplicate = int(rows[3]["record_id"]), int(rows[0]["record_id"])
    assert db.execute("SELECT duplicate_of FROM records WHERE id = ?", (duplicate,)).fetchone() == (
        kept,
    )
    # the kept record gains the DOI it lacked; nothing is deleted
    assert db.execute("SELECT field, value, from_record FROM dedup_merged_fields").fetchall() == [
        ("doi", "10.1016/j.jbusres.2020.05.032", duplicate)
    ]
    assert db.execute("SELECT count(*) FROM records").fetchone() == (6,)
    # every change is in the log
    entities = {r[0] for r in db.execute("SELECT DISTINCT entity FROM log")}
    assert {"dedup_run", "dedup_cluster", "dedup_member", "dedup_pair"} <= entities
    assert db.execute(
        "SELECT count(*) FROM log WHERE entity = 'record' AND action = 'update'"
    ).fetchone() == (1,)


def test_undo_all_restores_exactly_the_state_before(
    runner: CliRunner, review: Path, tmp_path: Path
) -> None:
    before = dump(review)
    report(runner, review, tmp_path)
    assert dump(review) != before
    result = runner.invoke(main, ["dedup", "undo", "--all", "--review", str(review)])
    assert result.exit_code == 0, result.output
    assert result.output == "Undid every cluster: 2 records are unique again\n"
    assert dump(review) == before


def test_undo_one_cluster_and_usage(runner: CliRunner, review: Path, tmp_path: Path) -> None:
    rows = report(runner, review, tmp_path)
    cluster = rows[0]["cluster_id"]
    result = runner.invoke(main, ["dedup", "undo", cluster, "--review", str(review)])
    assert result.output == f"Undid cluster {cluster}: 2 records are unique again\n"
    rows = report_rows_now(review)
    assert {r for r in rows} == {None}
    result = runner.invoke(main, ["dedup", "undo", "999", "--review", str(review)])
    assert result.exit_code == 1
    assert result.output.startswith("Error: no duplicate cluster 999; ")
    result = runner.invoke(main, ["dedup", "undo", "--review", str(review)])
    assert result.exit_code == 2


def report_rows_now(review: Path) -> list[int | None]:
    db = sqlite3.connect(review / "review.db")
    return [r[0] for r in db.execute("SELECT duplicate_of FROM records")]


def test_a_second_run_replaces_the_first_and_keeps_decisions(
    runner: CliRunner, review: Path, tmp_path: Path
) -> None:
    first = report(runner, review, tmp_path)
    second = report(runner, review, tmp_path)
    assert [(r["record_id"], r["role"]) for r in first] == [
        (r["record_id"], r["role"]) for r in second
    ]


def test_review_decisions_and_undo_of_a_merge(
    runner: CliRunner, review: Path, tmp_path: Path
) -> None:
    report(runner, review, tmp_path)
    before = dump(review)
    result = runner.invoke(main, ["dedup", "review", "--review", str(review)], input="m")
    assert result.exit_code == 0, result.output
    assert "Merged into cluster" in result.output
    assert result.output.endswith("Merged: 1; kept apart: 0; uncertain pairs left: 0\n")
    db = sqlite3.connect(review / "review.db")
    cluster = db.execute("SELECT id FROM dedup_clusters WHERE made_by = 'review'").fetchone()[0]
    db.close()
    result = runner.invoke(main, ["dedup", "undo", str(cluster), "--review", str(review)])
    assert result.exit_code == 0, result.output
    assert dump(review) == before
    # kept apart, and a new run respects it
    result = runner.invoke(main, ["dedup", "review", "--review", str(review)], input="a")
    assert result.output.endswith("Merged: 0; kept apart: 1; uncertain pairs left: 0\n")
    rows = report(runner, review, tmp_path)
    assert [r["role"] for r in rows] == [
        "duplicate",
        "unique",
        "unique",
        "kept",
        "unique",
        "unique",
    ]
    result = runner.invoke(main, ["dedup", "review", "--review", str(review)])
    assert result.output == "No uncertain pairs.\n"


def test_review_in_a_real_terminal(runner: CliRunner, review: Path, tmp_path: Path) -> None:
    pexpect = pytest.importorskip("pexpect")
    report(runner, review, tmp_path)
    env = dict(os.environ, COLUMNS="120", LINES="40", TERM="xterm")
    child = pexpect.spawn(
        sys.executable,
        ["-m", "slr", "dedup", "review", "--review", str(review)],
        env=env,
        encoding="utf-8",
        timeout=20,
        dimensions=(40, 120),
    )
    child.expect("Pair 1 of 1")
    child.expect(r"\[m\]erge")
    screen = child.before
    assert "Influencer marketing" in screen
    assert "Marketing Letters" in screen
    assert "\x1b[1;33m" in screen  # differences highlighted
    child.send("a")
    child.expect("Kept apart")
    child.expect("Merged: 0; kept apart: 1; uncertain pairs left: 0")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0


PREPRINT = """TY  - JOUR
TI  - Gender wage gap in the online gig economy and gender differences in job preferences
AU  - Liang, Chen
AU  - Hong, Yili
PY  - 2018
T2  - SSRN Electronic Journal
DO  - 10.2139/ssrn.3266249
ER  -

TY  - JOUR
TI  - Gender wage gap in the online gig economy and gender differences in job preferences
AU  - Liang, C.
AU  - Hong, Y.
PY  - 2018
T2  - Information Systems Research
VL  - 29
SP  - 100
EP  - 120
DO  - 10.1287/isre.2018.0001
ER  -
""".replace("ER  -\n", "ER  - \n")


def test_preprint_and_published_version_are_linked_not_merged(
    runner: CliRunner, tmp_path: Path
) -> None:
    path = tmp_path / "rev"
    runner.invoke(main, ["init", str(path)])
    (tmp_path / "p.ris").write_text(PREPRINT, encoding="utf-8")
    assert (
        runner.invoke(main, ["import", "--review", str(path), str(tmp_path / "p.ris")]).exit_code
        == 0
    )
    rows = report(runner, path, tmp_path)
    assert [(r["role"], r["version_of"]) for r in rows] == [
        ("unique", rows[1]["record_id"]),
        ("unique", rows[0]["record_id"]),
    ]
    out = tmp_path / "merged.csv"
    result = runner.invoke(
        main, ["dedup", "--review", str(path), "--merge-preprints", "--report", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "duplicate clusters: 1" in result.output


def test_a_reviewer_merge_can_join_two_clusters_and_undo_frees_them(
    runner: CliRunner, review: Path, tmp_path: Path
) -> None:
    from slr.store import Review
    from slr.store import dedup as store

    rows = report(runner, review, tmp_path)
    kept = int(rows[3]["record_id"])
    lone = int(rows[1]["record_id"])  # a.ris 2, unique
    with Review.open(review) as opened:
        db = opened.db
        with db:
            store.add_cluster(db, None, store.ClusterRows(lone, [], "review"))
            db.execute(
                "INSERT INTO dedup_pairs (record_a, record_b, outcome, rule, score)"
                " VALUES (?, ?, 'uncertain', 'test', 0.9)",
                (min(kept, lone), max(kept, lone)),
            )
            pair_id = db.execute("SELECT max(id) FROM dedup_pairs").fetchone()[0]
            first = store.cluster_of(db, kept)
            joined = store.decide(db, pair_id, "merge")
        assert joined == first
        members = [r["record_id"] for r in store.cluster_members(db, first)]
        assert lone in members and len(members) == 3
        assert (
            db.execute("SELECT duplicate_of FROM records WHERE id = ?", (lone,)).fetchone()[0]
            == kept
        )
    result = runner.invoke(main, ["dedup", "--review", str(review), "undo", str(first)])
    assert result.output == f"Undid cluster {first}: 3 records are unique again\n"


def test_the_demo_corpus_comes_down_to_its_124_works(runner: CliRunner, tmp_path: Path) -> None:
    exports = Path(__file__).resolve().parent.parent / "corpus" / "exports"
    path = tmp_path / "demo"
    runner.invoke(main, ["init", str(path)])
    files = sorted(str(p) for p in exports.iterdir())
    assert runner.invoke(main, ["import", "--review", str(path), *files]).exit_code == 0
    result = runner.invoke(main, ["dedup", "--review", str(path)])
    assert result.output == (
        "Records: 254; duplicate clusters: 85 (130 records marked duplicate); uncertain pairs: 0\n"
    )
