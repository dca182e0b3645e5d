"""Decisions from a script or a spreadsheet: `slr screen decide`, `slr screen import` and
`slr screen export`, through the same checks as the screen's keys (session.record_decisions).

On the demo review after `slr screen auto`: records 1, 2, 3, 4, 5 are on the title/abstract
queue, record 6 is excluded by the rules (published before 2018), record 68 is a duplicate of
record 1, and record 3 is included by the rules (so it reaches the full-text stage, record 1 not).
"""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from slr.cli import main
from slr.errors import SlrError
from slr.screening.session import Proposed, Session, decision_rows, record_decisions
from slr.screening.status import protocol_of
from slr.store import Review

REASONS = (
    "1 Published outside 2018-2026; 2 Not a peer-reviewed source; 3 Off-topic: no MSME context "
    "and no digital driver; 4 No MSME/SME context; 5 Single driver without comparative or "
    "theoretical insight; 6 Outside the Asian context; 7 Full text not available"
)


def slr(review: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, [*args, "--review", str(review)])
    return result.exit_code, result.output


def decisions(review: Path, stage: str = "title_abstract") -> list[tuple]:
    with Review.open(review) as opened:
        return decision_rows(opened, stage)


def database(review: Path) -> bytes:
    return (review / "review.db").read_bytes()


def test_decide_records_and_reports(demo: Path) -> None:
    assert slr(demo, "screen", "decide", "1", "include", "--reviewer", "ana") == (
        0,
        "Record 1: include by ana at title_abstract (added)\n",
    )
    # the reason by its picker key, as on the screen, or by its words (any case)
    assert slr(demo, "screen", "decide", "2", "exclude", "--reason", "4", "--reviewer", "ana") == (
        0,
        "Record 2: exclude (No MSME/SME context) by ana at title_abstract (added)\n",
    )
    ben = ["--reason", "no msme/sme context", "--reviewer", "ben", "--note", "set in Kenya"]
    assert slr(demo, "screen", "decide", "2", "exclude", *ben) == (
        0,
        "Record 2: exclude (No MSME/SME context) by ben at title_abstract (added)\n",
    )
    assert slr(demo, "screen", "decide", "3", "maybe", "--reviewer", "ana") == (
        0,
        "Record 3: maybe by ana at title_abstract (added)\n",
    )
    # the same decision again changes nothing and is no error
    assert slr(demo, "screen", "decide", "1", "include", "--reviewer", "ana") == (
        0,
        "Record 1: ana had already decided include; nothing changed\n",
    )
    assert slr(demo, "screen", "decide", "3", "include", "--reviewer", "ana", "--change") == (
        0,
        "Record 3: include by ana at title_abstract (changed)\n",
    )
    full_text = ["--stage", "full_text", "--reason", "Outside the Asian context"]
    assert slr(demo, "screen", "decide", "3", "exclude", *full_text, "--reviewer", "ana") == (
        0,
        "Record 3: exclude (Outside the Asian context) by ana at full_text (added)\n",
    )
    assert decisions(demo) == [
        (1, "ana", "include", "", ""),
        (2, "ana", "exclude", "No MSME/SME context", ""),
        (2, "ben", "exclude", "No MSME/SME context", "set in Kenya"),
        (3, "ana", "include", "", ""),
    ]
    assert decisions(demo, "full_text") == [(3, "ana", "exclude", "Outside the Asian context", "")]
    assert (
        slr(demo, "screen", "conflicts")[1]
        .splitlines()[0]
        .endswith("0 marked maybe by every reviewer")
    )


REFUSALS = [
    (["9999", "include"], "Error: no record with id 9999\n"),
    (
        ["6", "include"],
        "Error: record 6 is excluded at title/abstract by the rules (Published outside "
        "2018-2026): not on the queue\n",
    ),
    (
        ["68", "include"],
        "Error: record 68 is marked duplicate of record 1: it is not screened\n",
    ),
    (
        ["1", "include", "--stage", "full_text"],
        "Error: record 1 does not reach the full-text stage (not included at title/abstract)\n",
    ),
    (
        ["3", "exclude", "--stage", "full_text"],
        f"Error: record 3: a full-text exclusion needs a reason: {REASONS}\n",
    ),
    (
        ["1", "exclude", "--reason", "9"],
        f"Error: record 1: unknown reason '9'; the protocol's reasons: {REASONS}\n",
    ),
    (
        ["1", "exclude", "--reason", "Too short"],
        f"Error: record 1: unknown reason 'Too short'; the protocol's reasons: {REASONS}\n",
    ),
    (
        ["1", "include", "--reason", "4"],
        "Error: record 1: a reason goes only with exclude (include)\n",
    ),
    (
        ["5", "exclude", "--reason", "4"],  # ana included record 5 before
        "Error: ana already decided record 5: include (pass --change to replace it)\n",
    ),
    (
        ["5", "include", "--reviewer", "auto:x"],
        "Error: 'auto:x' cannot name a reviewer (pass a name, not auto:...)\n",
    ),
]


@pytest.mark.parametrize(("args", "message"), REFUSALS, ids=[m[7:40] for _, m in REFUSALS])
def test_decide_refuses_and_changes_nothing(demo: Path, args: list[str], message: str) -> None:
    assert slr(demo, "screen", "decide", "5", "include", "--reviewer", "ana")[0] == 0
    before = database(demo)
    reviewer = [] if "--reviewer" in args else ["--reviewer", "ana"]
    assert slr(demo, "screen", "decide", *args, *reviewer) == (1, message)
    assert database(demo) == before


def test_the_keys_go_through_the_same_checks(demo: Path) -> None:
    """The screen's keys call record_decisions too: what decide refuses, a key cannot record."""
    with Review.open(demo) as review:
        protocol, _ = protocol_of(review)
        session = Session(review, "full_text", "ana", protocol, styles=False)
        assert session.current == 3
        with pytest.raises(SlrError) as error:
            session.decide("exclude", "")
        assert error.value.message == f"record 3: a full-text exclusion needs a reason: {REASONS}"
        with pytest.raises(SlrError) as error:
            session.decide("exclude", "Too short")
        assert error.value.message.startswith("record 3: unknown reason 'Too short'")
        assert decision_rows(review, "full_text") == []
        session.decide("exclude", "Outside the Asian context")
        assert decision_rows(review, "full_text") == [
            (3, "ana", "exclude", "Outside the Asian context", "")
        ]


def test_import_is_all_or_nothing_and_names_every_bad_line(demo: Path, tmp_path: Path) -> None:
    assert slr(demo, "screen", "decide", "5", "include", "--reviewer", "ana")[0] == 0
    sheet = tmp_path / "sheet.csv"
    sheet.write_text(
        "record_id,reviewer,decision,reason,note\n"
        "1,ana,include,,\n"  # 2: fine
        "2,ana,exclude,No MSME/SME context,Kenya\n"  # 3: fine
        "9999,ana,include,,\n"  # 4: unknown record
        "6,ana,include,,\n"  # 5: excluded by the rules
        "3,ana,reject,,\n"  # 6: unknown decision
        "4,ana,exclude,Too short,\n"  # 7: unknown reason
        "5,ana,exclude,4,\n"  # 8: ana decided 5 already
        "1,ana,maybe,,\n"  # 9: ana decides 1 twice in the file
        "x,ana,include,,\n",  # 10 is not even read: the file is refused while read
        encoding="utf-8",
    )
    before = database(demo)
    assert slr(demo, "screen", "import", str(sheet)) == (
        1,
        f"Error: 1 line of {sheet} cannot be read; nothing was recorded:\n"
        f"  {sheet}:10: record_id 'x' is not a record id; "
        "correct those lines and import the file again\n",
    )
    sheet.write_text(sheet.read_text(encoding="utf-8").replace("x,ana", "7,ana"), "utf-8")
    assert slr(demo, "screen", "import", str(sheet)) == (
        1,
        f"Error: 6 of 9 decisions refused; nothing was recorded:\n"
        f"  {sheet}:4: no record with id 9999\n"
        f"  {sheet}:5: record 6 is excluded at title/abstract by the rules (Published outside "
        "2018-2026): not on the queue\n"
        f"  {sheet}:6: unknown decision 'reject' (use include, exclude or maybe)\n"
        f"  {sheet}:7: record 4: unknown reason 'Too short'; the protocol's reasons: {REASONS}\n"
        f"  {sheet}:8: ana already decided record 5: include (pass --change to replace it)\n"
        f"  {sheet}:9: ana decides record 1 again (first at {sheet}:2); "
        "correct those lines and import the file again\n",
    )
    assert database(demo) == before
    good = tmp_path / "good.csv"
    good.write_text(
        "\ufeffRecord_ID,Reviewer,Decision,Reason,Note\r\n"  # as a spreadsheet saves it
        "1,ana,include,,\r\n2,ana,Exclude,No MSME/SME context,Kenya\r\n7,ben,maybe,,\r\n"
        "5,ana,include,,\r\n",  # already recorded: the same decision again
        encoding="utf-8",
    )
    assert slr(demo, "screen", "import", str(good)) == (
        0,
        f"Imported 4 decisions from {good} at title_abstract: 3 added, 0 changed, "
        "1 already recorded\n",
    )
    assert decisions(demo) == [
        (1, "ana", "include", "", ""),
        (2, "ana", "exclude", "No MSME/SME context", "Kenya"),
        (5, "ana", "include", "", ""),
        (7, "ben", "maybe", "", ""),
    ]


def test_import_refuses_a_file_in_another_form(demo: Path, tmp_path: Path) -> None:
    sheet = tmp_path / "sheet.csv"
    sheet.write_text("id,who,decision\n1,ana,include\n", encoding="utf-8")
    assert slr(demo, "screen", "import", str(sheet)) == (
        1,
        f"Error: {sheet}:1: the header must name the columns record_id, reviewer, decision, "
        "reason, note (missing: record_id, reviewer) (unknown: id, who); "
        "`slr screen export` writes a file in this form\n",
    )
    sheet.write_text("record_id,reviewer,decision\n1,ana\n", encoding="utf-8")
    assert slr(demo, "screen", "import", str(sheet)) == (
        1,
        f"Error: 1 line of {sheet} cannot be read; nothing was recorded:\n"
        f"  {sheet}:2: 2 cells where the header has 3; "
        "correct those lines and import the file again\n",
    )


def test_export_then_import_is_the_same_decisions(
    demo: Path, demo_screened: Path, tmp_path: Path
) -> None:
    hostile = '=HYPERLINK("http://x")\nsecond line, with a comma'
    for args in (
        ["1", "include", "--reviewer", "ana", "--note", hostile],
        ["2", "exclude", "--reason", "6", "--reviewer", "ana"],
        ["2", "maybe", "--reviewer", "=ben"],
        ["3", "include", "--reviewer", "ana"],
        ["3", "exclude", "--stage", "full_text", "--reason", "7", "--reviewer", "ana"],
    ):
        assert slr(demo, "screen", "decide", *args)[0] == 0
    out = tmp_path / "decisions.csv"
    assert slr(demo, "screen", "export", "-o", str(out)) == (
        0,
        f"Wrote 4 decisions at title_abstract to {out}\n",
    )
    text = out.read_text(encoding="utf-8")
    assert text.splitlines()[0] == "record_id,reviewer,decision,reason,note"
    assert "'=HYPERLINK" in text and "'=ben" in text  # no formula reaches a spreadsheet
    code, stdout = slr(demo, "screen", "export", "--stage", "full_text")
    assert (code, list(csv.reader(io.StringIO(stdout)))) == (
        0,
        [["record_id", "reviewer", "decision", "reason", "note"],
         ["3", "ana", "exclude", "Full text not available", ""]],
    )  # fmt: skip
    # into a fresh copy of the review: the same decisions, the same export
    other = tmp_path / "other"
    import shutil

    shutil.copytree(demo_screened, other)
    assert slr(other, "screen", "import", str(out))[0] == 0
    assert decisions(other) == decisions(demo)
    assert decisions(other)[0] == (1, "ana", "include", "", hostile)
    again = tmp_path / "again.csv"
    assert slr(other, "screen", "export", "-o", str(again))[0] == 0
    assert again.read_text(encoding="utf-8") == text


def test_two_processes_deciding_at_once_lose_nothing(demo: Path) -> None:
    """A small version of 4 reviewers x 500 `slr screen decide`: 2 processes x 50 decisions,
    started together; every decision is there exactly once."""
    with Review.open(demo) as review:
        from slr.screening.session import screening_queue  # (the test's own records)
        from slr.screening.status import review_statuses

        queue = screening_queue(review_statuses(review), "title_abstract")[:50]
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLR_")}
    script = "; ".join(
        f"{sys.executable} -m slr screen decide {rid} {'include' if rid % 2 else 'maybe'} "
        f"--reviewer $0 --review {demo} 2>&1 >/dev/null || echo FAILED {rid}"
        for rid in queue
    )
    processes = [
        subprocess.Popen(["sh", "-c", script, name], stdout=subprocess.PIPE, text=True, env=env)
        for name in ("ana", "ben")
    ]
    outputs = [p.communicate(timeout=600)[0] for p in processes]
    assert outputs == ["", ""]
    rows = decisions(demo)
    expected = {
        (rid, name, "include" if rid % 2 else "maybe", "", "")
        for rid in queue
        for name in ("ana", "ben")
    }
    assert len(rows) == 100 and set(rows) == expected


def test_record_decisions_stores_all_or_nothing(demo: Path) -> None:
    with Review.open(demo) as review:
        protocol, _ = protocol_of(review)
        good = Proposed(1, "ana", "include")
        bad = Proposed(9999, "ana", "include", where="f.csv:3")
        with pytest.raises(SlrError) as error:
            record_decisions(review, "title_abstract", [good, bad], protocol)
        assert error.value.message == (
            "1 of 2 decisions refused; nothing was recorded:\n  f.csv:3: no record with id 9999"
        )
        assert decision_rows(review, "title_abstract") == []
