"""The screen's traps and the things that looked wrong (issue 19), in a real pseudo-terminal
where keys matter: leaving an overlay, a wrong reason key, no terminal at all, the system
opener, wrapped criteria, `g`, the queue filters and every reviewer's progress.

On the demo review after `slr screen auto` (tests/conftest.py): records 1, 2, 3, 4, 5 open the
title/abstract queue, record 6 is excluded by the rules (published before 2018)."""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pexpect
import pytest
from click.testing import CliRunner

from slr.cli import main
from slr.cli.screen_ui import open_with_viewer
from slr.screening.run import find
from slr.screening.session import Session, screening_queue
from slr.screening.status import protocol_of, review_statuses
from slr.store import Review

TERMINAL_ERROR = (
    "Error: this command reads keys from a terminal, and its input is not one (nor a pipe of "
    "keys); run it in a terminal; from a script, record decisions with `slr screen decide` or "
    "`slr screen import`\n"
)


def spawn(review: Path, *args: str, path: str = "") -> pexpect.spawn:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLR_")}
    env.update(TERM="xterm", NO_COLOR="1")
    if path:
        env["PATH"] = path
    child = pexpect.spawn(
        sys.executable,
        ["-m", "slr", "screen", "--review", str(review), "--order", "id", *args],
        dimensions=(24, 80),
        encoding="utf-8",
        timeout=20,
        env=env,
    )
    child.delaybeforesend = None
    return child


def decisions(review: Path) -> list[tuple]:
    db = sqlite3.connect(review / "review.db")
    try:
        return db.execute(
            "SELECT record_id, reviewer, decision, reason FROM decisions "
            "WHERE reviewer NOT LIKE 'auto:%' ORDER BY id"
        ).fetchall()
    finally:
        db.close()


def quit_screen(child: pexpect.spawn) -> None:
    child.send("q")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0


def test_the_key_that_leaves_help_or_criteria_does_nothing_else(demo: Path) -> None:
    child = spawn(demo, "--reviewer", "ana")
    child.expect("record 1\\b")
    child.send("?")
    child.expect("undo your last decision")
    child.expect("Press any key to go back.")
    child.send("m")  # once saved "maybe" on record 1
    child.expect("record 1\\b")
    child.send("c")
    child.expect("Eligibility criteria")
    child.send("i")  # once included record 1
    child.expect("record 1\\b")
    child.expect("Done 0 of")
    child.send("c")
    child.expect("Eligibility criteria")
    child.send("e")  # once opened the reason picker
    child.expect("record 1\\b")
    child.send("i")  # a key on the record itself still decides
    child.expect("Saved: include record 1")
    quit_screen(child)
    assert decisions(demo) == [(1, "ana", "include", "")]


def test_a_wrong_reason_key_lists_the_valid_ones_and_keeps_the_exclusion_pending(
    demo: Path,
) -> None:
    child = spawn(demo, "--reviewer", "ana")
    child.expect("record 1\\b")
    child.send("e")
    child.expect("pick the reason")
    child.send("9")
    child.expect("'9' is not one of the reasons: press 1-7, 0 for no reason, or x to cancel")
    child.send("4")
    child.expect(r"Saved: exclude record 1 \(No MSME/SME context\)")
    quit_screen(child)
    assert decisions(demo) == [(1, "ana", "exclude", "No MSME/SME context")]


def run_without_terminal(review: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLR_")}
    return subprocess.run(
        [sys.executable, "-m", "slr", *args, "--review", str(review)],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def test_no_terminal_is_refused_before_anything_is_drawn(demo: Path) -> None:
    result = run_without_terminal(demo, "screen", "--reviewer", "ana")
    assert (result.returncode, result.stdout, result.stderr) == (1, "", TERMINAL_ERROR)
    # resolve too, when there is something to resolve
    for reviewer, decision in (("ana", "include"), ("ben", "maybe")):
        args = ("screen", "decide", "1", decision, "--reviewer", reviewer)
        assert run_without_terminal(demo, *args).returncode == 0
    result = run_without_terminal(demo, "screen", "resolve", "--reviewer", "cy")
    assert (result.returncode, result.stdout, result.stderr) == (1, "", TERMINAL_ERROR)
    assert decisions(demo) == [(1, "ana", "include", ""), (1, "ben", "flag", "")]


def test_the_opener_reports_what_really_happened(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    report = tmp_path / "report.pdf"
    report.write_bytes(b"%PDF-1.4")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    monkeypatch.setenv("PATH", str(bin_dir))  # no xdg-open, no open: as over SSH
    assert open_with_viewer(str(report)) == (
        f"Not opened: no system viewer (xdg-open, open) here, as over SSH; the file is {report}"
    )
    opener = bin_dir / "xdg-open"
    opener.write_text("#!/bin/sh\necho 'no method available' >&2\nexit 3\n", encoding="utf-8")
    opener.chmod(0o755)
    assert open_with_viewer(str(report)) == (
        f"Not opened: xdg-open failed (exit status 3); the file is {report}"
    )
    opener.write_text("#!/bin/sh\nexit 0\n", encoding="utf-8")
    assert open_with_viewer(str(report)) == "Opened report.pdf with xdg-open"


def test_o_without_a_viewer_names_the_whole_path_on_screen(demo: Path, tmp_path: Path) -> None:
    first = 3  # included by the rules: first on the full-text queue
    report = tmp_path / "report.txt"
    report.write_text("The report.\n", encoding="utf-8")
    result = CliRunner().invoke(
        main, ["fulltext", "attach", str(first), str(report), "--review", str(demo)]
    )
    assert result.exit_code == 0, result.output
    child = spawn(demo, "--reviewer", "ana", "--stage", "full_text", path=str(tmp_path / "no-bin"))
    child.expect(f"record {first}\\b")
    child.send("o")
    child.expect("Not opened: no system viewer")
    child.expect(pexpect.TIMEOUT, timeout=1)
    screen = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", child.before or "")
    message = re.sub(r"\s+", "", screen.split("Not opened:")[-1])  # wrapped, never cut
    assert message.endswith(f"thefileis{demo / 'fulltext' / f'{first}_report.txt'}")
    quit_screen(child)


def test_the_criteria_wrap_at_words(demo: Path) -> None:
    with Review.open(demo) as review:
        protocol, _ = protocol_of(review)
        session = Session(review, "title_abstract", "ana", protocol, styles=False, width=40)
        screen = session.render(session.criteria_overlay())
    lines = screen.split("\n")
    assert max(len(line) for line in lines) <= 40
    assert lines[1:9] == [
        "Eligibility criteria",
        "",
        "Years: 2018..2026",
        "Languages: en, id",
        "Document types: article, review,",
        "conference paper, chapter",
        "Include:",
        "  - peer-reviewed source published",
    ]
    assert lines[9:18] == [
        "    2018-2026",  # a list item goes on under its text
        "  - MSME or SME context, with priority",
        "    to China, Indonesia, Thailand,",
        "    Vietnam, Malaysia, India and the",
        "    wider ASEAN region",
        "  - at least two co-occurring digital",
        "    drivers; single-driver studies only",
        "    with substantial comparative or",
        "    theoretical insight",
    ]
    assert lines[19] == "… 4 more lines below"  # what does not fit is said, not dropped


def test_g_goes_to_a_record_and_says_why_not(demo: Path) -> None:
    child = spawn(demo, "--reviewer", "ana")
    child.expect("record 1\\b")
    child.send("g")
    child.expect("Go to record")
    child.sendline("4")
    child.expect("record 4\\b")
    child.send("i")
    child.expect("record 1\\b")  # back where the reviewer was
    child.expect("Saved: include record 4")
    child.send("g")
    child.expect("Go to record")
    child.sendline("4")
    child.expect("Your decision: include")
    child.expect("you decided it already; a key changes your decision")
    child.send("g")
    child.expect("Go to record")
    child.sendline("6")
    child.expect(r"Record 6 is excluded at title/abstract by the rules \(Published outside")
    child.send("g")
    child.expect("Go to record")
    child.sendline("9999")
    child.expect("No record with id 9999")
    quit_screen(child)
    assert decisions(demo) == [(4, "ana", "include", "")]


def screen_output(review: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(
        main, ["screen", "--review", str(review), "--order", "id", *args], input="q"
    )
    return result.exit_code, result.output


def test_the_queue_filters(demo: Path) -> None:
    with Review.open(demo) as review:
        protocol, _ = protocol_of(review)
        queue = set(screening_queue(review_statuses(review, protocol), "title_abstract"))
        hits, _ = find(review, "title:tiktok", protocol, "title_abstract")
        tiktok = sorted({hit.record.id for hit in hits} & queue)
        flagged = [
            rid
            for rid, reviewer in review.db.execute(
                "SELECT record_id, reviewer FROM decisions WHERE stage = 'title_abstract'"
            )
            if reviewer == "auto:single-driver" and rid in queue
        ]
    assert len(tiktok) >= 2 and flagged
    code, output = screen_output(demo, "--reviewer", "ana", "--query", "title:tiktok")
    assert code == 0, output
    assert f"slr screen · title/abstract · ana · record {tiktok[0]} · query title:tiktok" in output
    assert f"Done 0 of {len(tiktok)} (0%) · left {len(tiktok)}" in output
    code, output = screen_output(demo, "--reviewer", "ana", "--rule", "single-driver")
    assert f"Done 0 of {len(flagged)} (0%)" in output
    assert screen_output(demo, "--reviewer", "ana", "--rule", "nope")[1].startswith(
        "Error: the protocol has no rule 'nope'; its rules: "
    )
    assert screen_output(demo, "--reviewer", "ana", "--query", "title:(")[0] == 1
    assert screen_output(demo, "--reviewer", "ana", "--tag", "drivers:ugc") == (
        1,
        "Error: no record is tagged yet; run `slr tag --stage all` first, or filter with "
        "--query 'vocab:NAME>=1'\n",
    )
    assert screen_output(demo, "--reviewer", "ana", "--tag", "nope") == (
        1,
        "Error: the protocol has no tag 'nope'; tags are VOCABULARY:GROUP (or a whole "
        "VOCABULARY), as `slr tag show ID` shows\n",
    )
    tagged = CliRunner().invoke(main, ["tag", "--stage", "all", "--review", str(demo)])
    assert tagged.exit_code == 0, tagged.output
    code, output = screen_output(demo, "--reviewer", "ana", "--tag", "drivers")
    assert code == 0 and " · tag drivers" in output


def test_progress_of_every_reviewer(demo: Path) -> None:
    for record_id in ("1", "2", "3"):
        result = CliRunner().invoke(
            main,
            ["screen", "decide", record_id, "include", "--reviewer", "ben", "--review", str(demo)],
        )
        assert result.exit_code == 0
    with Review.open(demo) as review:
        total = len(screening_queue(review_statuses(review), "title_abstract"))
    code, output = screen_output(demo, "--reviewer", "ana")
    assert code == 0
    share = f"{100 * 3 / total:.0f}%"
    assert f"Reviewers: ana 0/{total} (0%) · ben 3/{total} ({share})" in output
    # alone on a stage: no such line
    assert "Reviewers:" not in screen_output(demo, "--reviewer", "ana", "--stage", "full_text")[1]
