"""`slr show ID` with the record's history, and `slr log` over the audit log: exact output."""

from __future__ import annotations

import json
import re
from pathlib import Path

from click.testing import CliRunner

from slr.cli import main
from slr.store import Review
from slr.store.screening import record_human_decision, save_note

WHEN = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d(:\d\d)?")


def run(runner: CliRunner, *args: str) -> tuple[int, str]:
    result = runner.invoke(main, list(args))
    return result.exit_code, WHEN.sub("WHEN", result.output)


def history_of(output: str) -> str:
    return output[output.index("decisions:") :]


def test_show_tells_the_record_history(demo: Path, runner: CliRunner) -> None:
    review = str(demo)
    with Review.open(demo) as opened:
        save_note(opened.db, 1, "title_abstract", "alice", "trust is the outcome")
        record_human_decision(opened.db, 1, "title_abstract", "alice", "include")
    assert runner.invoke(main, ["tag", "--review", review, "--stage", "all"]).exit_code == 0
    missing = ["fulltext", "missing", "--review", review, "1", "--reason", "Library has no copy"]
    assert runner.invoke(main, missing).exit_code == 0
    code, output = run(runner, "show", "--review", review, "1")
    assert code == 0
    assert "document_type: article (Article in the export)\n" not in output  # same word: once
    assert "\ndocument_type: article\n" in output
    assert history_of(output) == (
        "decisions:\n"
        "  title_abstract: flag by rule single-driver (Single-driver study: keep only for "
        "comparative or theoretical insight), WHEN\n"
        "      matched title: Live Streaming\n"
        "  title_abstract: include by alice, WHEN\n"
        "      note: trust is the outcome\n"
        "  title_abstract: note by alice: trust is the outcome\n"
        "tags:\n"
        "  - context:msme (title: MSMEs; abstract: micro, small and medium; abstract: MSMEs; "
        "keywords: MSMEs)\n"
        "  - drivers:influencer (title: Live Streaming; abstract: live streaming; abstract: "
        "Instagram Live; abstract: live-streaming; keywords: live streaming)\n"
        "  - method:case_study (abstract: case study)\n"
        "  - method:qualitative (abstract: qualitative; abstract: Interviews; abstract: "
        "observation of)\n"
        "  - platform:instagram (abstract: Instagram)\n"
        "  - platform:tiktok (abstract: TikTok; keywords: TikTok)\n"
        "full text: not retrieved (Library has no copy)\n"
        "duplicates merged into it:\n"
        "  - #68 from wos.txt: Digital Marketing Strategies Based on Live Streaming and AI "
        "Recommendation in Enhancing Consumer Trust in Culinary MSMEs\n"
        "  - #171 from scholar.bib: DIGITAL MARKETING STRATEGIES BASED ON LIVE STREAMING AND AI "
        "RECOMMENDATION IN ENHANCING CONSUMER TRUST IN CULINARY MSMEs\n"
    )
    as_json = json.loads(runner.invoke(main, ["show", "--review", review, "1", "--json"]).output)
    assert [d["by"] for d in as_json["history"]["decisions"]] == ["auto:single-driver", "alice"]
    assert as_json["history"]["full_text"] == {"files": [], "not_retrieved": "Library has no copy"}


def test_show_of_an_undecided_record_and_a_raw_document_type(demo: Path, runner: CliRunner) -> None:
    code, output = run(runner, "show", "--review", str(demo), "110")
    assert code == 0
    assert "\ndocument_type: conference paper (Proceedings Paper in the export)\n" in output
    assert history_of(output) == "decisions: none yet\ntags: none\nfull text: none attached\n"


def test_log_lists_the_changes_of_the_review_and_of_one_record(
    demo: Path, runner: CliRunner
) -> None:
    review = str(demo)
    code, output = run(runner, "log", "--review", review, "--record", "68")
    assert code == 0
    assert output == (
        "#3 WHEN  insert source 2: file=wos.txt, "
        "sha256=9137afe2f53e95f1b82c36105cf9745a6138953347ed80b808f0f434b1b…, "
        "format=wos-plaintext, database=Web of Science Core Collection, "
        "method=database, records=53, failures=0, first_record=68, last_record=120\n"
        "#7 WHEN  insert dedup_pair 1: record_a=1, record_b=68, outcome=duplicate, rule=fuzzy, "
        "score=0.962\n"
        "#116 WHEN  insert dedup_pair 110: record_a=68, record_b=171, outcome=duplicate, "
        "rule=fuzzy, score=0.962\n"
        "#193 WHEN  insert dedup_member 68: cluster_id=1, record_id=68, role=duplicate, "
        "rule=fuzzy, score=0.962\n"
        "#195 WHEN  update record 68: duplicate_of=[null, 1], fields_changed=0\n"
    )
    with Review.open(demo) as opened:
        last, rows = opened.db.execute("SELECT max(id), count(*) FROM log").fetchone()
    code, output = run(runner, "log", "--review", review, "--limit", "1")
    assert (code, output) == (
        0,
        f'#{last} WHEN  update screen_run 1: stages=["title_abstract", "full_text"], rules=7, '
        "records=124, added=130, changed=0, removed=0, undone_at=null\n",
    )
    entries = json.loads(runner.invoke(main, ["log", "--review", review, "--json"]).output)
    assert len(entries) == rows
    assert entries[0]["action"] == "create" and entries[0]["entity"] == "review"
    code, output = run(runner, "log", "--review", review, "--record", "999")
    assert (code, output) == (
        1,
        "Error: no record with id 999; `slr export --format csv` lists every record id\n",
    )
