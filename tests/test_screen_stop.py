"""`slr screen stop`: excluding the records nobody screened when the protocol's stopping rule is
met, refusing with the figures when it is not, `--undo` restoring every table, the status
resolver and PRISMA after a stop."""

from __future__ import annotations

import json
import os
import re
import sqlite3
import sys
import threading
import time
from pathlib import Path

import pexpect
import pytest
from click.testing import CliRunner

from slr.cli import main
from slr.models import HumanDecision
from slr.prisma import prisma_counts
from slr.prisma.diagram import diagram_svg
from slr.screening import stopping
from slr.screening.relevance import RelevanceOrder
from slr.screening.session import Session
from slr.screening.status import STOPPED, decide_status, protocol_of, review_statuses
from slr.screening.stop import stop_note
from slr.store import Review
from slr.store import screening as store
from slr.store.screening import record_human_decision

STAGE = "title_abstract"


def run(runner: CliRunner, *args: str) -> tuple[int, str]:
    result = runner.invoke(main, list(args))
    return result.exit_code, result.output


def set_stopping(review_dir: Path, block: str) -> None:
    """Replace the review's protocol copy's [screening.stopping] table."""
    with Review.open(review_dir) as review:
        copy = review_dir / review.meta()["protocol"]
    text = copy.read_text(encoding="utf-8")
    text, replaced = re.subn(r"\[screening\.stopping\]\n(?:[a-z_]+ = .*\n)+", block, text, count=1)
    assert replaced == 1
    copy.write_text(text, encoding="utf-8")


def awaiting(review_dir: Path) -> list[int]:
    with Review.open(review_dir) as review:
        statuses = review_statuses(review).title_abstract
    return [rid for rid, status in statuses.items() if status.status == "awaiting"]


def decide(review_dir: Path, decisions: list[tuple[int, str]], reviewer: str = "ana") -> None:
    with Review.open(review_dir) as review:
        for record_id, decision in decisions:
            reason = "No MSME/SME context" if decision == "exclude" else ""
            record_human_decision(review.db, record_id, STAGE, reviewer, decision, reason)


def every_table(review_dir: Path) -> dict[str, list[tuple[object, ...]]]:
    """Every row of every table but the append-only log."""
    db = sqlite3.connect(review_dir / "review.db")
    try:
        names = [
            row[0]
            for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            if row[0] != "log"
        ]
        return {
            name: db.execute(f"SELECT * FROM {name} ORDER BY rowid").fetchall() for name in names
        }
    finally:
        db.close()


def test_stop_is_refused_with_the_figures_while_the_rule_is_not_met(
    demo: Path, runner: CliRunner
) -> None:
    first = awaiting(demo)
    decide(demo, [(first[0], "include"), *((rid, "exclude") for rid in first[1:11])])
    before = every_table(demo)
    code, output = run(runner, "screen", "stop", "--review", str(demo))
    assert code == 1
    assert output == (
        "Error: the stopping rule is not met: stopping rule statistical: not met (ranked phase; "
        "11 of 90 screened, 1 relevant; irrelevant_in_a_row 10; ranked_until 50); "
        "screen on (`slr screen`), or stop anyway with `slr screen stop --force` "
        "(recorded as forced)\n"
    )
    assert every_table(demo) == before


def test_stop_when_met_and_undo_restores_every_table(demo: Path, runner: CliRunner) -> None:
    set_stopping(demo, '[screening.stopping]\nrule = "irrelevant_in_a_row"\nn = 5\n')
    first = awaiting(demo)
    decide(demo, [(first[0], "include"), *((rid, "exclude") for rid in first[1:6])])
    before = every_table(demo)
    code, output = run(runner, "screen", "stop", "--review", str(demo))
    assert code == 0, output
    assert output == (
        "stopping rule irrelevant_in_a_row: met (ranked screening; 6 of 90 screened, 1 "
        "relevant; irrelevant_in_a_row 5; n 5)\n"
        "Stopped title_abstract screening (the rule met): 84 records nobody screened excluded "
        f'as "{STOPPED}" (undo with `slr screen stop --undo`)\n'
    )
    with Review.open(demo) as review:
        statuses = review_statuses(review).title_abstract
    stopped = sorted(rid for rid, s in statuses.items() if s.by == "stopping")
    assert stopped == first[6:]
    assert {(statuses[rid].status, statuses[rid].reason) for rid in stopped} == {
        ("exclude", STOPPED)
    }
    code, output = run(runner, "status", "--review", str(demo))
    assert "title/abstract: excluded, not screened: stopping rule met" in output
    assert re.search(r"stopping rule met +84\n", output)

    code, output = run(runner, "screen", "stop", "--review", str(demo))
    assert (code, output) == (
        1,
        "Error: title_abstract screening is already stopped; "
        "undo it first with `slr screen stop --undo`\n",
    )
    code, output = run(runner, "screen", "stop", "--undo", "--review", str(demo))
    assert (code, output) == (0, "Undid the stop at title_abstract: 84 records unscreened again\n")
    assert every_table(demo) == before
    # the log keeps the stop with its rule, parameters and figures, and its undoing
    db = sqlite3.connect(demo / "review.db")
    rows = db.execute(
        "SELECT action, detail FROM log WHERE entity = 'screen_stop' ORDER BY id"
    ).fetchall()
    db.close()
    assert [action for action, _ in rows] == ["insert", "delete"]
    detail = json.loads(rows[0][1])
    assert detail["rule"] == "irrelevant_in_a_row" and detail["parameters"] == {"n": 5}
    assert detail["statistics"]["screened"] == 6 and detail["records"] == 84
    code, output = run(runner, "screen", "stop", "--undo", "--review", str(demo))
    assert (code, output) == (
        1,
        "Error: title_abstract screening was not stopped; nothing to undo\n",
    )


def test_forced_stop_prisma_counts_and_note(demo: Path, runner: CliRunner) -> None:
    with Review.open(demo) as review:
        before = prisma_counts(review.db)
    first = awaiting(demo)
    decide(demo, [(first[0], "include"), (first[1], "exclude")])
    code, output = run(runner, "screen", "stop", "--force", "--review", str(demo))
    assert code == 0
    assert output.splitlines()[1] == (
        "Stopped title_abstract screening (forced, the rule not met): 88 records nobody "
        f'screened excluded as "{STOPPED}" (undo with `slr screen stop --undo`)'
    )
    with Review.open(demo) as review:
        counts = prisma_counts(review.db)
    t, d = counts.template(), counts.details()
    # 65 + 25 flagged records awaited a reviewer; 2 decided, the other 88 are automation's
    assert (before.template()["excluded_automatic"], t["excluded_automatic"]) == (15, 15 + 63)
    assert d["records_not_screened_stopping"] == 63
    assert d["other_records_not_screened_stopping"] == 25
    assert d["other_excluded_automatic"] == before.details()["other_excluded_automatic"] + 25
    assert (d["records_awaiting"], d["other_records_awaiting"]) == (0, 0)
    note = (
        "88 records were not screened: title/abstract screening stopped after 2 of 90 records, "
        "before the stopping rule statistical was met (forced)."
    )
    assert d["stopping_note"] == note
    # the diagram's text, its wrapped lines joined again
    shown = " ".join(re.findall(r"<text [^>]*>([^<]*)</text>", diagram_svg(counts)))
    assert f"Note: {note}" in shown
    assert "not screened: stopping rule met (n\u00a0=\u00a063)" in shown


def test_stop_note_names_the_rule_and_the_recall_it_guarantees() -> None:
    stop = {
        "rule": "statistical",
        "forced": False,
        "records": 1200,
        "parameters": {"recall": 0.95, "confidence": 0.95, "ranked_until": 50},
        "statistics": {"screened": 819, "total": 2019, "p_value": 0.0491, "recall_bound": 0.9504},
    }
    assert stop_note(stop) == (
        "1,200 records were not screened: title/abstract screening stopped after 819 of 2,019 "
        "records, when the statistical stopping criterion (Callaghan & Müller-Hansen 2020) "
        "rejected recall below 95% (p = 0.0491): recall is at least 95.0% with 95% confidence."
    )
    # a stop that recorded the level the test was run at (slr/screening/stopping.py) names it
    leveled = {**stop, "statistics": {**stop["statistics"], "p_value": 0.0291, "level": 0.0379}}
    assert stop_note(leveled).endswith(
        "rejected recall below 95% (p = 0.0291 < 0.0379, its level for a test after every "
        "record): recall is at least 95.0% with 95% confidence."
    )
    heuristic = {**stop, "rule": "irrelevant_in_a_row", "parameters": {"n": 100}}
    assert stop_note(heuristic).endswith(
        "after 100 irrelevant records in a row; a heuristic: it guarantees no recall."
    )


def test_no_stopping_rule_in_the_protocol(demo: Path, runner: CliRunner) -> None:
    set_stopping(demo, "")
    code, output = run(runner, "screen", "stop", "--review", str(demo))
    assert code == 1
    assert output.startswith("Error: the protocol sets no stopping rule; add [screening")


def test_a_person_decides_over_the_stop_and_a_rule_over_nothing() -> None:
    ana = [HumanDecision("ana", "include")]
    assert decide_status(1, ana, None, None, stopped=True).status == "include"
    stopped = decide_status(1, [], ("flag", "check"), None, stopped=True)
    assert (stopped.status, stopped.by, stopped.reason) == ("exclude", "stopping", STOPPED)
    ruled = decide_status(1, [], ("include", "two drivers"), None, stopped=True)
    assert (ruled.status, ruled.by) == ("include", "rules")


# -- the relevance order: per reviewer, blind ------------------------------------------------


def ranking_of(session: Session, count: int = 15) -> list[int]:
    """The first records of the reviewer's latest ranking (after the model has caught up)."""
    relevance = session._relevance
    assert relevance is not None and relevance.wait(120)
    skip = set(session.done)
    order = []
    for _ in range(count):
        ranked = relevance.next(skip)
        if ranked is None:
            break
        order.append(ranked.record_id)
        skip.add(ranked.record_id)
    return order


def open_session(review: Review, reviewer: str) -> Session:
    protocol, _ = protocol_of(review)
    return Session(review, STAGE, reviewer, protocol, "", seed=3, styles=False)


def test_relevance_is_the_default_and_starts_with_the_rules_includes(demo: Path) -> None:
    with Review.open(demo) as review:
        session = open_session(review, "ana")
        assert session.order == "relevance"
        rule_includes = {
            rid
            for rid, auto in store.auto_decisions(review.db, STAGE).items()
            if auto["decision"] == "include"
        }
        first = ranking_of(session, len(rule_includes))
    assert set(first) == rule_includes  # before any decision: the rules' includes first
    assert session.ranked is not None and session.ranked.source == "rules first, then random"
    assert session.ranked.rank == 1


def test_blind_reviewers_get_independent_rankings(demo: Path) -> None:
    first = awaiting(demo)
    with Review.open(demo) as review:
        ana = open_session(review, "ana")
        ana.current = first[0]
        ana.decide("include")
        ana.current = first[1]
        ana.decide("exclude", "No MSME/SME context")
        ana_ranking = ranking_of(ana)
        bob = open_session(review, "bob")
        bob.current = first[1]
        bob.decide("include")
        bob.current = first[0]
        bob.decide("exclude", "No MSME/SME context")
        bob_ranking = ranking_of(bob)
        # ana's ranking, rebuilt after bob's opposite decisions, is the one she had: bob's
        # decisions reach neither her model nor her queue
        again = open_session(review, "ana")
        assert ranking_of(again) == ana_ranking
    assert bob_ranking != ana_ranking
    assert first[0] not in ana_ranking and first[1] not in bob_ranking


# -- slr screen progress -----------------------------------------------------------------------


def test_progress_figures_json_and_curve(demo: Path, runner: CliRunner, tmp_path: Path) -> None:
    first = awaiting(demo)
    decide(demo, [(first[0], "include"), *((rid, "exclude") for rid in first[1:5])])
    code, output = run(runner, "screen", "progress", "--review", str(demo))
    assert (code, output) == (
        0,
        "title_abstract (every reviewer): decided 5 of 90 · includes found 1 · includes unseen "
        "~17 (estimated from the last 50 decisions)\n"
        "stopping rule statistical: not met (ranked phase; 5 of 90 screened, 1 relevant; "
        "irrelevant_in_a_row 4; ranked_until 50)\n",
    )
    curve = tmp_path / "curve.svg"
    code, output = run(
        runner,
        "screen",
        "progress",
        "--review",
        str(demo),
        "--reviewer",
        "ana",
        "--json",
        "--curve",
        str(curve),
    )
    figures = json.loads(output)
    assert (code, figures["decided"], figures["includes_found"]) == (0, 5, 1)
    assert figures["curve"] == [1, 1, 1, 1, 1]
    assert figures["stopping"]["rule"] == "statistical" and not figures["stopping"]["stop"]
    svg = curve.read_text(encoding="utf-8")
    assert svg.startswith("<svg") and "records screened (5 of 90)" in svg
    code, output = run(runner, "screen", "progress", "--review", str(demo), "--reviewer", "bo")
    assert output.startswith("title_abstract (reviewer bo): decided 0 of 90 · includes found 0")
    code, output = run(
        runner, "screen", "progress", "--review", str(demo), "--curve", str(tmp_path / "c.png")
    )
    assert code == 2 and "--curve writes FILE.svg or FILE.html" in output


# -- the screen in a real pseudo-terminal -------------------------------------------------------


def test_the_screen_shows_rank_progress_and_the_stop_message(demo: Path) -> None:
    set_stopping(demo, '[screening.stopping]\nrule = "irrelevant_in_a_row"\nn = 3\n')
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "SLR_REVIEWER")}
    env.update(TERM="xterm", NO_COLOR="1")
    child = pexpect.spawn(
        sys.executable,
        ["-m", "slr", "screen", "--review", str(demo), "--reviewer", "ana"],
        dimensions=(24, 100),
        encoding="utf-8",
        timeout=30,
        env=env,
    )
    child.expect(r"rank 1 \(rules first, then random\)")
    child.expect("Decided 0/90 · includes found 0")
    child.expect(r"stopping: not met \(ranked screening\)")
    # the rules' includes come first; one decided is screened like any other, so the number
    # of records to screen grows by one (what `slr screen stop` counts too)
    child.send("i")
    child.expect(r"Decided 1/91 · includes found 1")
    for done in (2, 3):
        child.send("e")
        child.expect("pick the reason")
        child.send("0")
        child.expect(f"Decided {done}/9[0-9] · includes found 1")
    child.send("e")
    child.expect("pick the reason")
    child.send("0")
    child.expect(
        r"Decided 4/9[0-9] · includes found 1 · includes unseen ~\d+ \(est.\) · stopping: MET"
    )
    child.expect(
        r"Stopping rule irrelevant_in_a_row met \(ranked screening\): `slr screen stop` ends"
    )
    child.send("q")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    result = CliRunner().invoke(main, ["screen", "stop", "--review", str(demo)])
    assert result.exit_code == 0
    assert re.search(r"met \(ranked screening; 4 of 9[0-9] screened, 1 relevant", result.output)


def test_a_ranking_that_fails_is_said_and_the_order_stays() -> None:
    def unreadable() -> list[str]:
        raise OSError("disk gone")

    order = RelevanceOrder([1, 2, 3], unreadable, {3: True}, seed=1)
    order.update({1: True, 2: False})
    assert order.wait(30)
    assert order.failure == "the ranking failed (OSError: disk gone)"
    ranked = order.next({1, 2})
    assert ranked is not None and (ranked.record_id, ranked.source) == (
        3,
        "rules first, then random",
    )
    order.close()


def test_the_statistical_rules_level_is_computed_aside_while_the_reviewer_screens(
    demo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The test's level takes seconds when many records are left: the screen goes on (the rule
    not met, the next record drawn at random) while a thread computes it."""
    set_stopping(demo, '[screening.stopping]\nrule = "statistical"\nranked_until = 2\n')
    monkeypatch.setattr(stopping, "_levels", {})
    gate = threading.Event()

    def slow_level(*key: float) -> float:
        assert gate.wait(30)
        return stopping.sequential_level(*key)  # type: ignore[arg-type]

    monkeypatch.setattr("slr.screening.session.sequential_level", slow_level)
    first = awaiting(demo)
    with Review.open(demo) as review:
        session = open_session(review, "ana")
        session.current = first[0]
        session.decide("include")
        for rid in first[1:3]:  # two irrelevant in a row: the random sample begins
            started = time.monotonic()
            session.current = rid
            session.decide("exclude", "No MSME/SME context")
        assert time.monotonic() - started < 5  # not held by the gate
        verdict = session.verdict
        assert verdict is not None and not verdict.stop
        assert (verdict.phase, verdict.next_from) == (
            "random sample; setting the test's level",
            "random",
        )
        gate.set()
        assert session._level_thread is not None
        session._level_thread.join(30)
        session.current = first[3]
        session.decide("exclude", "No MSME/SME context")
        verdict = session.verdict
        assert verdict is not None and verdict.phase == "random sample"
        level = stopping._levels[(1, int(verdict.figures["pool"]), 0.95, 0.95)]
        assert verdict.figures["level"] == pytest.approx(level, abs=1e-6)
        # the screen says how far the sample goes if nothing relevant turns up
        stops_at = verdict.figures["stops_at_sample"]
        assert session.ranking_lines()[-1].endswith(
            f"stopping: not met (random sample, 1 drawn; stops at {stops_at:,} unless a "
            "relevant one turns up)"
        )
        # on an 80-column screen that line is wrapped, not cut
        session.width = 80
        shown = " ".join(session.render().split())
        assert f"stops at {stops_at:,} unless a relevant one turns up)" in shown
