"""Screening by people: the real screen in a pseudo-terminal, several reviewers, conflicts,
resolution, agreement, full texts; on the demo corpus after `slr screen auto`."""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
import signal
import sqlite3
import sys
import time
from pathlib import Path

import pexpect
import pytest
from click.testing import CliRunner
from test_fulltext_pdf import article

from slr.cli import main
from slr.importing import import_files
from slr.screening.agreement import cohen, fleiss, landis_koch
from slr.screening.run import review_protocol, screen_auto
from slr.screening.session import Session
from slr.screening.status import resolve
from slr.store import Review
from slr.store import screening as store
from slr.store.screening import decision_snapshot

REPO = Path(__file__).resolve().parent.parent
PROTOCOL = REPO / "protocols" / "msme-digital-drivers.toml"
EXPORTS = sorted((REPO / "corpus" / "exports").iterdir())
# After `slr screen auto`, the title/abstract queue is every record the rules did not exclude
# (record 4 is excluded: published before 2018), and the full-text queue every record the rules
# included; both are read from the database so that rule changes do not break these tests.
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


@pytest.fixture(scope="module")
def screened(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("human") / "review"
    with Review.create(path, PROTOCOL) as review:
        import_files(review, EXPORTS)
        protocol, sha256 = review_protocol(review)
        screen_auto(review, protocol, protocol_sha256=sha256)
    return path


def stage_statuses(db: sqlite3.Connection, stage: str) -> dict:
    return resolve(decision_snapshot(db)).stage(stage)


def exclusion_reasons(db: sqlite3.Connection, stage: str) -> dict[str, int]:
    return resolve(decision_snapshot(db)).exclusion_reasons(stage)


def queue(review: Path, stage: str) -> list[int]:
    """The records a reviewer gets at a stage after `slr screen auto` (no person decided yet)."""
    db = sqlite3.connect(review / "review.db")
    wanted = "decision <> 'exclude'" if stage == "title_abstract" else "decision = 'include'"
    try:
        excluded_or_included = {
            row[0]
            for row in db.execute(
                f"SELECT record_id FROM decisions WHERE stage = 'title_abstract' AND NOT ({wanted})"
            )
        }
        every = [row[0] for row in db.execute("SELECT id FROM records ORDER BY id")]
    finally:
        db.close()
    return [rid for rid in every if rid not in excluded_or_included]


@pytest.fixture(scope="module")
def ta_queue(screened: Path) -> list[int]:
    found = queue(screened, "title_abstract")
    assert found[:5] == [1, 2, 3, 5, 6]
    return found


@pytest.fixture(scope="module")
def ft_queue(screened: Path) -> list[int]:
    return queue(screened, "full_text")


@pytest.fixture
def demo(screened: Path, tmp_path: Path) -> Path:
    target = tmp_path / "review"
    shutil.copytree(screened, target)
    return target


def _id_order(args: tuple[str, ...]) -> tuple[str, ...]:
    return () if "--order" in args else ("--order", "id")


def spawn(review: Path, *args: str, color: bool = False, path: str = "") -> pexpect.spawn:
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "SLR_REVIEWER")}
    if path:
        env["PATH"] = path
    env["TERM"] = "xterm"
    if not color:
        env["NO_COLOR"] = "1"
    child = pexpect.spawn(
        sys.executable,
        # these tests read records in id order (relevance is the default at title/abstract)
        ["-m", "slr", "screen", "--review", str(review), *_id_order(args), *args],
        dimensions=(24, 80),
        encoding="utf-8",
        timeout=15,
        env=env,
    )
    child.delaybeforesend = None  # keys as fast as a person who knows them
    return child


def rows(review: Path, reviewer: str = "ana", stage: str = "title_abstract") -> list[tuple]:
    db = sqlite3.connect(review / "review.db")
    try:
        return db.execute(
            "SELECT record_id, decision, reason, note FROM decisions "
            "WHERE reviewer = ? AND stage = ? ORDER BY record_id",
            (reviewer, stage),
        ).fetchall()
    finally:
        db.close()


def invoke(*args: str, input: str | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), input=input)
    return result.exit_code, result.output


# -- the interactive screen in a pseudo-terminal ----------------------------------------------


def test_keys_write_rows_undo_reason_picker_note_and_skip(demo: Path, ta_queue: list[int]) -> None:
    total = len(ta_queue)
    child = spawn(demo, "--reviewer", "ana")
    child.expect("record 1\\b")
    child.expect(f"Done 0 of {total} \\(0%\\) · left {total} · this session 0")
    child.send("i")
    # the progress line, then the message under the keys
    child.expect(f"Done 1 of {total} \\(\\d+%\\) · left {total - 1}")
    child.expect("Saved: include record 1")
    child.send("e")
    child.expect("pick the reason")
    child.expect("4  No MSME/SME context")
    child.send("4")
    child.expect(r"Saved: exclude record 2 \(No MSME/SME context\)")
    child.send("u")  # undo: record 2 is back on screen
    child.expect("Undone: your decision on record 2 is removed")
    assert rows(demo) == [(1, "include", "", "")]
    child.send("e")
    child.expect("pick the reason")
    child.send("x")  # cancel the picker: nothing written
    child.expect("Exclusion cancelled")
    child.send("m")
    child.expect("Saved: maybe record 2")
    child.send("s")  # skip record 3: it comes back at the end
    child.expect("Skipped record 3")
    child.send("n")
    child.expect("Note")
    child.sendline("Vietnam sample, check")
    child.expect("Note saved on record 5")
    child.send("e")
    child.expect("pick the reason")
    child.send("6")
    child.expect(r"Saved: exclude record 5 \(Outside the Asian context\)")
    child.send("?")
    child.expect("undo your last decision")
    child.send(" ")
    child.send("c")
    child.expect("Eligibility criteria")
    child.expect("peer-reviewed source published 2018-2026")
    child.send(" ")
    child.send("q")
    child.expect(f"Done 3 of {total} \\(\\d+%\\) · left {total - 3}")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert rows(demo) == [
        (1, "include", "", ""),
        (2, "flag", "", ""),  # a person's "maybe" is stored as flag
        (5, "exclude", "Outside the Asian context", "Vietnam sample, check"),
    ]
    # every change reached the log through the triggers: 1 include, 2 exclude, its undo, ...
    db = sqlite3.connect(demo / "review.db")
    logged = db.execute(
        "SELECT action, json_extract(detail, '$.record_id'), json_extract(detail, '$.decision') "
        "FROM log WHERE entity = 'decision' AND json_extract(detail, '$.reviewer') = 'ana' "
        "ORDER BY id"
    ).fetchall()
    assert logged == [
        ("insert", 1, "include"),
        ("insert", 2, "exclude"),
        ("delete", 2, "exclude"),
        ("insert", 2, "flag"),
        ("insert", 5, "exclude"),
    ]


def test_resume_starts_at_the_first_record_not_decided(demo: Path, ta_queue: list[int]) -> None:
    child = spawn(demo, "--reviewer", "ana")
    child.expect("record 1\\b")
    for record_id in ta_queue[:3]:
        child.send("i")
        child.expect(f"Saved: include record {record_id}")
    child.send("q")
    child.expect(pexpect.EOF)
    child = spawn(demo, "--reviewer", "ana")
    child.expect(r"record (\d+)\b")
    assert int(child.match.group(1)) == ta_queue[3]
    child.expect(f"Done 3 of {len(ta_queue)} \\(\\d+%\\) · left {len(ta_queue) - 3}")
    # another reviewer starts from the beginning: decisions are per reviewer
    other = spawn(demo, "--reviewer", "ben")
    other.expect(r"record (\d+)\b")
    assert int(other.match.group(1)) == 1
    other.send("q")
    child.send("q")
    other.expect(pexpect.EOF)
    child.expect(pexpect.EOF)


def test_sigkill_mid_session_keeps_every_saved_decision(demo: Path, ta_queue: list[int]) -> None:
    child = spawn(demo, "--reviewer", "ana")
    child.expect("record 1\\b")
    for key, record_id in zip("iem", ta_queue, strict=False):
        child.send(key)
        if key == "e":
            child.expect("pick the reason")
            child.send("2")
        child.expect(f"Saved: \\w+ record {record_id}")
    child.kill(signal.SIGKILL)
    child.wait()
    assert rows(demo) == [
        (1, "include", "", ""),
        (2, "exclude", "Not a peer-reviewed source", ""),
        (3, "flag", "", ""),
    ]


def test_two_reviewers_at_the_same_time_lose_nothing(demo: Path) -> None:
    ana = spawn(demo, "--reviewer", "ana")
    ben = spawn(demo, "--reviewer", "ben")
    ana.expect("record 1\\b")
    ben.expect("record 1\\b")
    count = 40
    # keys go to both processes without waiting: their writes interleave
    for _ in range(count):
        ana.send("i")
        ben.send("m")
    ana.expect(f"Done {count} of \\d+ \\(\\d+%\\) · left")
    ben.expect(f"Done {count} of \\d+ \\(\\d+%\\) · left")
    ana.send("q")
    ben.send("q")
    ana.expect(pexpect.EOF)
    ben.expect(pexpect.EOF)
    assert "locked" not in (ana.before or "") + (ben.before or "")
    assert len(rows(demo, "ana")) == count
    assert len(rows(demo, "ben")) == count
    assert {r[1] for r in rows(demo, "ana")} == {"include"}
    assert {r[1] for r in rows(demo, "ben")} == {"flag"}


def test_two_processes_writing_as_fast_as_they_can(demo: Path, tmp_path: Path) -> None:
    """The library calls the screen makes, from two processes at once: no "database is
    locked", no lost decision."""
    script = tmp_path / "writer.py"
    script.write_text(
        "import sys\n"
        "from pathlib import Path\n"
        "from slr.store import Review\n"
        "from slr.store import screening as store\n"
        "review = Review.open(Path(sys.argv[1]))\n"
        "for record_id in range(1, 201):\n"
        "    store.record_human_decision(review.db, record_id, 'title_abstract', sys.argv[2],\n"
        "                                'include')\n"
        "    if record_id % 10 == 0:\n"
        "        store.undo_human_decision(review.db, 'title_abstract', sys.argv[2])\n"
        "        store.record_human_decision(review.db, record_id, 'title_abstract',\n"
        "                                    sys.argv[2], 'exclude', 'No MSME/SME context')\n",
        encoding="utf-8",
    )
    import subprocess

    processes = [
        subprocess.Popen(
            [sys.executable, str(script), str(demo), name],
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in ("ana", "ben")
    ]
    errors = [p.communicate(timeout=60)[1] for p in processes]
    assert [p.returncode for p in processes] == [0, 0], errors
    for name in ("ana", "ben"):
        found = rows(demo, name)
        assert len(found) == 200
        assert sum(1 for r in found if r[1] == "exclude") == 20


def test_full_text_stage_needs_a_reason_and_skips_missing_reports(
    demo: Path, ft_queue: list[int]
) -> None:
    first, gone, second = ft_queue[:3]
    report = demo.parent / "w003.pdf"
    report.write_bytes(article("The seed paper", "Ana Lima"))
    assert invoke("fulltext", "attach", str(first), str(report), "--review", str(demo)) == (
        0,
        f"Attached w003.pdf to record {first} (fulltext/{first}_w003.pdf)\n",
    )
    assert (demo / "fulltext" / f"{first}_w003.pdf").read_bytes() == report.read_bytes()
    assert invoke(
        "fulltext",
        "missing",
        str(gone),
        "--reason",
        "Paywalled, author did not answer",
        "--review",
        str(demo),
    ) == (0, f"Record {gone}: report not retrieved (Paywalled, author did not answer)\n")
    assert invoke("fulltext", "list", "--review", str(demo)) == (
        0,
        "Full texts: 1 attached, 1 not retrieved\n"
        f"  {first:>6}  fulltext/{first}_w003.pdf\n"
        f"  {gone:>6}  not retrieved: Paywalled, author did not answer\n",
    )
    code, output = invoke("fulltext", "attach", "9999", str(report), "--review", str(demo))
    assert code == 1 and output.startswith("Error: no record with id 9999")

    # a system viewer that writes down what it was asked to open
    bin_dir = demo.parent / "bin"
    bin_dir.mkdir()
    opened = demo.parent / "opened.txt"
    viewer = bin_dir / "xdg-open"
    viewer.write_text(f'#!/bin/sh\necho "$1" > {opened}\n', encoding="utf-8")
    viewer.chmod(0o755)
    child = spawn(
        demo, "--reviewer", "ana", "--stage", "full_text", path=f"{bin_dir}:{os.environ['PATH']}"
    )
    child.expect(f"record {first}\\b")
    child.expect(f"Full text: fulltext/{first}_w003.pdf")
    child.expect(f"left {len(ft_queue) - 1} ")  # one report not retrieved
    child.send("o")
    child.expect(f"Opened {first}_w003.pdf with xdg-open")
    child.send("e")
    child.expect("pick the reason")
    child.send("0")  # no "no reason" at full text
    child.send("6")  # (7, "Full text not available", is refused: a full text is attached)
    child.expect(f"record {second}\\b")  # not retrieved: not in the queue
    child.expect("Full text: not attached")
    child.expect(f"Saved: exclude record {first} \\(Outside the Asian context\\)")
    child.send("i")
    child.expect(f"Saved: include record {second}")
    child.send("q")
    child.expect(pexpect.EOF)
    for _ in range(100):  # the viewer runs on its own; give it a moment
        if opened.is_file() and opened.read_text(encoding="utf-8").strip():
            break
        time.sleep(0.05)
    assert opened.read_text(encoding="utf-8").strip() == str(
        demo / "fulltext" / f"{first}_w003.pdf"
    )
    assert rows(demo, stage="full_text") == [
        (first, "exclude", "Outside the Asian context", ""),
        (second, "include", "", ""),
    ]
    code, output = invoke("status", "--review", str(demo))
    assert re.search(r"\n  full text: reports not retrieved +1\n", output)


def test_the_screen_fits_80_by_24_and_respects_no_color(demo: Path) -> None:
    with Review.open(demo) as review:
        protocol, _ = review_protocol(review)
        plain = Session(review, "title_abstract", "ana", protocol, styles=True, color=False)
        screen = plain.render()
        coloured = Session(review, "title_abstract", "ana", protocol, styles=True, color=True)
        styled = coloured.render()
    lines = ANSI.sub("", screen).split("\n")
    assert len(lines) <= 24
    assert max(len(line) for line in lines) <= 80
    assert lines[0] == "slr screen · title/abstract · ana · record 1"
    assert lines[1].startswith("TikTok Live as a digital marketing innovation for micro, small")
    # NO_COLOR: bold, underline and italic only, no colour codes (30-37)
    codes = {code for seq in ANSI.findall(screen) for code in seq[2:-1].split(";")}
    assert not codes & {str(n) for n in range(30, 38)}
    assert "\x1b[1;32mdigital\x1b[0m" in styled  # include term: bold green
    assert "\x1b[3;36mMSMEs\x1b[0m" in styled  # vocabulary term: italic cyan


def test_orders_are_stable_permutations(demo: Path, ta_queue: list[int]) -> None:
    with Review.open(demo) as review:
        protocol, _ = review_protocol(review)

        def order(name: str, seed: int = 0) -> list[int]:
            return Session(review, "title_abstract", "ana", protocol, name, seed).queue

        assert order("id") == ta_queue
        shuffled = order("random", 7)
        assert shuffled == order("random", 7) != order("random", 8)
        assert sorted(shuffled) == ta_queue and shuffled != ta_queue
        years = dict(review.db.execute("SELECT id, year FROM records"))
        newest = order("year")
        assert [years[r] or 0 for r in newest] == sorted(
            (years[r] or 0 for r in ta_queue), reverse=True
        )
        auto = store.auto_decisions(review.db, "title_abstract")
        by_rule = [auto[r]["decision"] if r in auto else "none" for r in order("rule")]
        first_flag = by_rule.index("flag")
        assert set(by_rule[:first_flag]) == {"include"} and "include" not in by_rule[first_flag:]


def test_a_long_abstract_is_shown_in_parts(demo: Path) -> None:
    with Review.open(demo) as review:
        protocol, _ = review_protocol(review)
        # 18 lines leave 3 for record 1's abstract, 7 lines long at 80 columns
        session = Session(review, "title_abstract", "ana", protocol, styles=False, height=18)
        first = session.render()
        assert "… abstract part 1 of 3: a shows the next" in first
        assert len(first.split("\n")) <= 18
        session.more_abstract()
        session.more_abstract()
        third = session.render()
        assert "… abstract part 3 of 3: a shows the next" in third
        assert "brand communication and sustainable competitive advantage." in third
        session.more_abstract()
        assert "… abstract part 1 of 3" in session.render()
        session.more_abstract()
        session.decide("include")  # the next record starts at its first part
        assert "abstract part 2" not in session.render()


def test_highlights_include_exclude_and_vocabulary_terms(demo: Path) -> None:
    with Review.open(demo) as review:
        protocol, _ = review_protocol(review)
        session = Session(review, "title_abstract", "ana", protocol, styles=False)
        shown = session.load(1)
        assert session._highlighter is not None
        found = [
            (kind, span.text) for kind, span in session._highlighter.spans(shown.text, "title")
        ]
        assert found == [
            ("include", "TikTok"),
            ("include", "digital"),
            ("include", "marketing"),
            ("vocabulary", "micro, small, and medium"),
            ("include", "brand"),
        ]
        from slr.models import Record
        from slr.screening.text import RecordText

        text = RecordText.of(0, Record(title="Multinational firms and cross-border e-commerce"))
        assert [(k, s.text) for k, s in session._highlighter.spans(text, "title")] == [
            ("exclude", "Multinational"),
            ("include", "e-commerce"),
        ]


# -- conflicts, resolution, agreement ----------------------------------------------------------


def decide(review: Path, reviewer: str, decisions: dict[int, str], reason: str = "") -> None:
    with Review.open(review) as opened:
        for record_id, decision in decisions.items():
            value = store.HUMAN_DECISIONS[decision]
            why = reason if decision == "exclude" else ""
            store.record_human_decision(
                opened.db, record_id, "title_abstract", reviewer, value, why
            )


def test_conflicts_resolve_and_final_decisions(demo: Path) -> None:
    decide(
        demo, "ana", {1: "include", 2: "include", 3: "exclude", 5: "maybe"}, "No MSME/SME context"
    )
    decide(
        demo,
        "ben",
        {1: "include", 2: "exclude", 3: "exclude", 5: "maybe"},
        "Outside the Asian context",
    )
    with Review.open(demo) as review:
        store.save_note(review.db, 2, "title_abstract", "ben", "set in Kenya")
    assert invoke("screen", "conflicts", "--review", str(demo)) == (
        0,
        "title_abstract: 1 record in conflict, 1 marked maybe by every reviewer\n"
        "       2  From impulse to loyalty: Examining drivers of continuous pu…\n"
        "          ana: include; ben: exclude (Outside the Asian context)\n"
        "       5  Impact of Live Shopping Features on Customers Trust Based o…\n"
        "          ana: maybe; ben: maybe\n"
        "Resolve them with `slr screen resolve`\n",
    )
    code, output = invoke("status", "--review", str(demo))
    assert re.search(r"\n  title/abstract: in conflict between reviewers +1\n", output)
    assert re.search(r"\n  title/abstract: maybe, awaiting a final decision +1\n", output)
    # the conflict is never counted as included: record 2 does not reach full text
    with Review.open(demo) as review:
        assert stage_statuses(review.db, "title_abstract")[2].status == "conflict"
        assert 2 not in stage_statuses(review.db, "full_text")
    # resolve: exclude 2 with reason 6, skip 5
    code, output = invoke(
        "screen", "resolve", "--review", str(demo), "--reviewer", "cy", input="e6\ns"
    )
    assert code == 0, output
    assert (
        "  ana: include\n  ben: exclude (Outside the Asian context)\n    note: set in Kenya\n"
        in (output)
    )
    assert output.endswith(
        "  Saved: exclude (Outside the Asian context)\n"
        + output.split("  Saved: exclude (Outside the Asian context)\n")[1]
    )
    assert output.splitlines()[-1] == "Resolved 1; 1 still in conflict"
    with Review.open(demo) as review:
        status = stage_statuses(review.db, "title_abstract")[2]
        assert (status.status, status.by, status.reason) == (
            "exclude",
            "resolution",
            "Outside the Asian context",
        )
        row = review.db.execute(
            "SELECT resolved_by FROM final_decisions WHERE record_id = 2"
        ).fetchone()
        assert row[0] == "cy"
    code, output = invoke("screen", "conflicts", "--review", str(demo))
    assert output.splitlines()[0] == (
        "title_abstract: 0 records in conflict, 1 marked maybe by every reviewer"
    )
    # including the maybe sends it to full text
    invoke("screen", "resolve", "--review", str(demo), "--reviewer", "cy", input="i")
    with Review.open(demo) as review:
        assert 5 in stage_statuses(review.db, "full_text")


def test_full_text_exclusions_need_the_same_reason_and_count_per_reason(
    demo: Path, ft_queue: list[int]
) -> None:
    first, second, third = ft_queue[:3]
    with Review.open(demo) as review:
        db = review.db
        for reviewer, reason in (
            ("ana", "Outside the Asian context"),
            ("ben", "No MSME/SME context"),
        ):
            store.record_human_decision(db, first, "full_text", reviewer, "exclude", reason)
        for reviewer in ("ana", "ben"):
            store.record_human_decision(
                db, second, "full_text", reviewer, "exclude", "No MSME/SME context"
            )
        statuses = stage_statuses(db, "full_text")
        assert (statuses[first].status, statuses[second].status) == ("conflict", "exclude")
        assert statuses[second].reason == "No MSME/SME context"
        assert statuses[third].status == "awaiting"  # flagged by a rule: nobody decided yet
        store.record_final_decision(
            db, first, "full_text", "exclude", "Outside the Asian context", "cy"
        )
        assert exclusion_reasons(db, "full_text") == {
            "No MSME/SME context": 1,
            "Outside the Asian context": 1,
        }
        # at title/abstract the rules' exclusions count with the rule's reason
        reasons = exclusion_reasons(db, "title_abstract")
        assert reasons["Published outside 2018-2026"] == sum(
            1 for row in db.execute("SELECT 1 FROM decisions WHERE reviewer = 'auto:out-of-period'")
        )


def test_agreement_cohen_on_the_demo_and_csv_export(demo: Path, tmp_path: Path) -> None:
    records = [1, 2, 3, 5, 6, 7, 8, 9, 10, 11]
    # the 10 records of test_cohen_worked_example: po = 0.6, pe = 0.52, kappa = 0.167
    ana = dict(zip(records, "iiiiiieeee", strict=True))
    ben = dict(zip(records, "iiiieeeeii", strict=True))
    # record 12, decided by ana alone, is not counted
    names = {"i": "include", "e": "exclude"}
    decide(demo, "ana", {k: names[v] for k, v in ana.items()}, "No MSME/SME context")
    decide(demo, "ben", {k: names[v] for k, v in ben.items()}, "No MSME/SME context")
    decide(demo, "ana", {12: "include"})
    out = tmp_path / "irr.csv"
    code, output = invoke("screen", "agreement", "--review", str(demo), "--csv", str(out))
    assert (code, output) == (
        0,
        "title_abstract: 2 reviewers (ana, ben), 10 records decided by all\n"
        "Percent agreement: 60.0%\n"
        "Cohen's kappa: 0.167 (slight, Landis–Koch)\n",
    )
    with out.open(encoding="utf-8") as handle:
        table = list(csv.DictReader(handle))
    assert list(table[0]) == [
        "record_id",
        "title",
        "ana_decision",
        "ana_reason",
        "ana_note",
        "ben_decision",
        "ben_reason",
        "ben_note",
        "final",
    ]
    assert len(table) == 11
    assert [
        (r["record_id"], r["ana_decision"], r["ben_decision"], r["final"]) for r in table[:6]
    ] == [
        ("1", "include", "include", "include"),
        ("2", "include", "include", "include"),
        ("3", "include", "include", "include"),
        ("5", "include", "include", "include"),
        ("6", "include", "exclude", "conflict"),
        ("7", "include", "exclude", "conflict"),
    ]
    assert table[-1]["ben_decision"] == "" and table[-1]["final"] == "include"
    # three reviewers: Fleiss' kappa
    decide(demo, "cy", {k: names[v] for k, v in ana.items()}, "No MSME/SME context")
    code, output = invoke("screen", "agreement", "--review", str(demo))
    assert output.splitlines()[0] == (
        "title_abstract: 3 reviewers (ana, ben, cy), 10 records decided by all"
    )
    assert output.splitlines()[2].startswith("Fleiss' kappa: ")


def test_agreement_needs_two_reviewers(demo: Path) -> None:
    decide(demo, "ana", {1: "include"})
    assert invoke("screen", "agreement", "--review", str(demo)) == (
        1,
        "Error: agreement needs two reviewers; title_abstract has 1 (ana); "
        "screen with `slr screen --reviewer NAME` as each reviewer\n",
    )


# -- kappa by hand ---------------------------------------------------------------------------


def test_cohen_worked_example() -> None:
    # A: i i i i i i e e e e
    # B: i i i i e e e e i i
    # they agree on records 1-4 (include) and 7-8 (exclude): po = 6/10 = 0.6
    # A includes 6/10, B includes 6/10: pe = 0.6 * 0.6 + 0.4 * 0.4 = 0.52
    # kappa = (0.6 - 0.52) / (1 - 0.52) = 0.08 / 0.48 = 0.1667: "slight"
    result = cohen(list(zip("iiiiiieeee", "iiiieeeeii", strict=True)))
    assert result.observed == pytest.approx(0.6)
    assert result.expected == pytest.approx(0.52)
    assert result.kappa == pytest.approx(0.08 / 0.48)
    assert result.label == "slight"


def test_kappa_degenerate_cases() -> None:
    # perfect agreement with both categories used: kappa 1
    perfect = cohen([("include", "include"), ("exclude", "exclude"), ("include", "include")])
    assert (perfect.percent, perfect.kappa, perfect.label) == (100.0, 1.0, "almost perfect")
    # perfect agreement, one category only: chance agreement is 1, kappa undefined
    same = cohen([("include", "include")] * 5)
    assert (same.percent, same.kappa, same.label) == (100.0, None, "undefined")
    # one reviewer includes everything: kappa is exactly 0 whatever the other does
    lenient = cohen(list(zip(["include"] * 6, list("iieiei"), strict=True)))
    assert lenient.kappa == pytest.approx(0.0)
    assert lenient.label == "slight"
    # systematic disagreement: negative kappa, "poor"
    opposite = cohen([("i", "e"), ("e", "i"), ("i", "e"), ("e", "i")])
    assert opposite.kappa == pytest.approx(-1.0) and opposite.label == "poor"
    assert cohen([]).kappa is None


def test_fleiss_worked_example() -> None:
    # 4 items, 3 raters, categories i/e:
    #   item 1: i i i   P1 = (9 - 3) / 6 = 1
    #   item 2: i i e   P2 = (4 + 1 - 3) / 6 = 1/3
    #   item 3: e e e   P3 = 1
    #   item 4: i e e   P4 = 1/3
    # P̄ = (1 + 1/3 + 1 + 1/3) / 4 = 2/3 ; p_i = 6/12, p_e = 6/12 ; P̄e = 0.5
    # kappa = (2/3 - 1/2) / (1/2) = 1/3
    ratings = [list("iii"), list("iie"), list("eee"), list("iee")]
    result = fleiss(ratings)
    assert result.observed == pytest.approx(2 / 3)
    assert result.expected == pytest.approx(0.5)
    assert result.kappa == pytest.approx(1 / 3)
    assert result.label == "fair"
    assert fleiss([list("iii")] * 3).kappa is None
    with pytest.raises(ValueError):
        fleiss([list("ii"), list("iii")])


def test_landis_koch_labels() -> None:
    cases = [(-0.1, "poor"), (0.0, "slight"), (0.2, "slight"), (0.21, "fair"), (0.4, "fair")]
    cases += [(0.5, "moderate"), (0.61, "substantial"), (0.8, "substantial")]
    cases += [(0.81, "almost perfect"), (1.0, "almost perfect")]
    assert [(k, landis_koch(k)) for k, _ in cases] == cases


def test_csv_to_stdout_keeps_the_summary_on_stderr(demo: Path) -> None:
    decide(demo, "ana", {1: "include", 2: "exclude"}, "No MSME/SME context")
    decide(demo, "ben", {1: "include", 2: "exclude"}, "No MSME/SME context")
    result = CliRunner().invoke(main, ["screen", "agreement", "--review", str(demo), "--csv", "-"])
    assert result.exit_code == 0
    table = list(csv.reader(io.StringIO(result.stdout)))
    assert table[1][:3] == ["1", table[1][1], "include"]
    assert "Cohen's kappa: 1.000 (almost perfect, Landis–Koch)" in result.stderr


def test_screen_reads_keys_from_a_pipe_too(demo: Path, ta_queue: list[int]) -> None:
    code, output = invoke(
        "screen", "--review", str(demo), "--reviewer", "ana", "--order", "id", input="ie4q"
    )
    assert code == 0, output
    assert rows(demo) == [(1, "include", "", ""), (2, "exclude", "No MSME/SME context", "")]
    assert "Saved: exclude record 2 (No MSME/SME context)" in output
    assert output.splitlines()[-1].startswith(
        f"Done 2 of {len(ta_queue)} (1%) · left {len(ta_queue) - 2} · this session 2 ("
    )
    assert "\x1b[" not in output  # not a terminal: no escape sequences


def test_a_reviewer_cannot_be_named_like_a_rule(demo: Path) -> None:
    assert invoke("screen", "--review", str(demo), "--reviewer", "auto:x", input="q") == (
        1,
        "Error: 'auto:x' cannot name a reviewer; pass --reviewer NAME (not auto:...)\n",
    )


def test_resolve_in_a_terminal(demo: Path) -> None:
    decide(demo, "ana", {1: "include", 2: "include"})
    decide(demo, "ben", {1: "exclude", 2: "exclude"}, "No MSME/SME context")
    env = {k: v for k, v in os.environ.items() if k != "SLR_REVIEWER"}
    child = pexpect.spawn(
        sys.executable,
        ["-m", "slr", "screen", "resolve", "--review", str(demo), "--reviewer", "cy"],
        dimensions=(24, 80),
        encoding="utf-8",
        timeout=15,
        env=env,
    )
    # the record as the screen shows it: title wrapped at words, authors, source, abstract
    child.expect(
        r"\[1/2\] record 1: TikTok Live as a digital marketing innovation for micro, small,\r\n"
        r"and medium enterprises"
    )
    child.expect("Mauludin, Muchammad Firman")
    child.expect("2024 · Journal Communication Spectrum")
    child.expect("brand communication and sustainable competitive")  # in the abstract
    child.expect(r"ben: exclude \(No MSME/SME context\)")
    child.send("e")
    child.expect("6  Outside the Asian context")
    child.expect("Reason: press its key")
    child.send("9")  # no such reason: the valid keys are listed, the exclusion stays pending
    child.expect("'9' is not one of the reasons: press 1-7, or x to cancel")
    child.send("6")  # no Enter needed, as in `slr screen`
    child.expect(r"Saved: exclude \(Outside the Asian context\)")
    child.expect(r"\[2/2\] record 2: ")
    child.send("i")
    child.expect("Saved: include")
    child.expect("Resolved 2; 0 still in conflict")
    child.expect(pexpect.EOF)
    db = sqlite3.connect(demo / "review.db")
    assert db.execute(
        "SELECT record_id, decision, reason, resolved_by FROM final_decisions ORDER BY record_id"
    ).fetchall() == [(1, "exclude", "Outside the Asian context", "cy"), (2, "include", "", "cy")]


def test_protocol_highlight_terms_are_checked(tmp_path: Path) -> None:
    from slr.errors import ProtocolError
    from slr.protocol.model import parse_protocol

    source = '[review]\ntitle = "t"\n[screening]\ninclude_terms = ["sme*", "**"]\n'
    with pytest.raises(ProtocolError) as error:
        parse_protocol(source, tmp_path / "p.toml")
    assert error.value.message == (
        f"{tmp_path / 'p.toml'}:4: screening.include_terms term '**' has no letters"
    )
    protocol = parse_protocol(source.replace(', "**"', ""), tmp_path / "p.toml")
    assert (protocol.include_terms, protocol.exclude_terms) == (["sme*"], [])
