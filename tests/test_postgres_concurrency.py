"""A team at work on one review in PostgreSQL: four reviewers each record 500 decisions (the
screening session's API, each decision its own transaction, acknowledged when it returns) while
the lead imports a file and runs `slr screen auto`. Afterwards every decision is there exactly
once, logged once; a reviewer killed by SIGKILL mid-stream loses none it acknowledged."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

from conftest import PROTOCOL

from slr.importing import import_files
from slr.protocol import load_protocol
from slr.screening.run import screen_auto
from slr.screening.session import screening_queue
from slr.screening.status import review_statuses
from slr.store import Review
from slr.store import screening as store
from slr.store.history import log_entries

REVIEWERS = ("ana", "bob", "chen", "dewi")
DECISIONS = 500
STAGE = "title_abstract"

# One reviewer: decide RECORD IDS in order; print each id once its decision is committed.
REVIEWER = """
import sys
from slr.screening.session import Proposed, record_decisions, screening_queue
from slr.screening.status import protocol_of, review_statuses
from slr.store import Review

url, name, ids = sys.argv[1], sys.argv[2], [int(i) for i in sys.argv[3].split(",")]
with Review.open(url) as review:
    protocol, _ = protocol_of(review)
    statuses = review_statuses(review, protocol)  # once, as the screen does
    queue = set(screening_queue(statuses, "title_abstract"))
    for rid in ids:
        decision = "include" if rid % 3 else "maybe"
        proposed = Proposed(rid, name, decision)
        record_decisions(review, "title_abstract", [proposed], protocol, statuses=statuses,
                         queue=queue)
        print(rid, flush=True)
"""


def _ris(path: Path, count: int, first: int) -> Path:
    """COUNT articles of 2020 that name one digital driver (flagged by the protocol's rules, so
    they wait for a reviewer)."""
    with path.open("w", encoding="utf-8") as out:
        for number in range(first, first + count):
            out.write(
                f"TY  - JOUR\nAU  - Author{number}, A.\nTI  - Live streaming study {number}\n"
                f"AB  - How small firms sell abroad, case {number}.\nPY  - 2020\n"
                f"DO  - 10.1234/team{number}\nJO  - Journal\nER  - \n\n"
            )
    return path


def _team_at_work(postgres_url: str, tmp_path: Path, killed: str = "") -> dict[str, set[int]]:
    """Run the team; returns each reviewer's acknowledged decisions (and checks the review)."""
    url = f"{postgres_url}#team_{uuid.uuid4().hex[:8]}"
    protocol = load_protocol(PROTOCOL)
    with Review.create(url, PROTOCOL) as review:
        import_files(review, [_ris(tmp_path / "first.ris", 600, 0)])
        screen_auto(review, protocol)
        ids = screening_queue(review_statuses(review, protocol), STAGE)[:DECISIONS]
    assert len(ids) == DECISIONS
    chosen = ",".join(str(i) for i in ids)
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLR_")}
    reviewers = {
        name: subprocess.Popen(
            [sys.executable, "-c", REVIEWER, url, name, chosen],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for name in REVIEWERS
    }
    acknowledged: dict[str, list[int]] = {name: [] for name in REVIEWERS}
    first = reviewers[REVIEWERS[0]].stdout
    assert first is not None
    acknowledged[REVIEWERS[0]].append(int(first.readline()))  # the reviewers are at work
    second = _ris(tmp_path / "second.ris", 1500, 600)
    lead = subprocess.Popen(  # the lead imports, then runs the rules, meanwhile
        f"{sys.executable} -m slr import --review '{url}' {second} && "
        f"{sys.executable} -m slr screen auto --review '{url}'",
        shell=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    if killed:
        victim = reviewers[killed]
        assert victim.stdout is not None
        for _ in range(120):  # mid-stream: after its 120th acknowledged decision
            acknowledged[killed].append(int(victim.stdout.readline()))
        victim.send_signal(signal.SIGKILL)
    for name, process in reviewers.items():
        # through the same buffered streams the lines above were read from: communicate()
        # reads the pipes underneath and would miss lines already in their buffers
        assert process.stdout is not None and process.stderr is not None
        out, err = process.stdout.read(), process.stderr.read()
        process.wait(timeout=120)
        acknowledged[name] += [int(line) for line in out.split()]
        if name == killed:
            assert process.returncode == -signal.SIGKILL
        else:
            assert process.returncode == 0, err
            assert acknowledged[name] == ids
    _out, err = lead.communicate(timeout=120)
    assert lead.returncode == 0, err
    with Review.open(url) as review:
        assert review.record_count() == 2100
        decided = store.decided_by_reviewer(review.db, STAGE)
        rows = review.db.execute(
            "SELECT reviewer, count(*) FROM decisions WHERE reviewer NOT LIKE 'auto:%' "
            "GROUP BY reviewer"
        ).fetchall()
        logged: dict[str, int] = {}
        reviewers_at: list[int] = []  # log ids of the reviewers' decisions
        lead_at: list[int] = []  # of the lead's import and run of the rules
        for entry in log_entries(review.db):
            if entry.entity == "decision" and entry.action == "insert":
                who = entry.detail["reviewer"]
                if who in REVIEWERS:
                    logged[who] = logged.get(who, 0) + 1
                    reviewers_at.append(entry.id)
            elif (entry.entity, entry.entity_id) in (("source", 2), ("screen_run", 2)):
                lead_at.append(entry.id)
    for name in REVIEWERS:
        assert set(acknowledged[name]) <= decided[name]  # nothing acknowledged is lost
        if name != killed:
            assert decided[name] == set(ids)
    # the lead's import went in while the reviewers were deciding (its rules ran meanwhile too,
    # writing when they were done: a run of the rules reads the whole review first)
    assert len(lead_at) == 3 and min(reviewers_at) < lead_at[0] < max(reviewers_at)
    counts = dict(rows)
    assert counts == {name: len(decided[name]) for name in REVIEWERS}  # each once
    assert {name: logged[name] for name in REVIEWERS} == counts  # and logged once
    return {name: set(decisions) for name, decisions in acknowledged.items()}


def test_four_reviewers_and_a_lead_at_once_lose_nothing(postgres_url: str, tmp_path: Path) -> None:
    started = time.monotonic()
    acknowledged = _team_at_work(postgres_url, tmp_path)
    assert {name: len(ids) for name, ids in acknowledged.items()} == dict.fromkeys(
        REVIEWERS, DECISIONS
    )
    assert time.monotonic() - started < 60


def test_a_reviewer_killed_mid_stream_loses_no_acknowledged_decision(
    postgres_url: str, tmp_path: Path
) -> None:
    acknowledged = _team_at_work(postgres_url, tmp_path, killed="chen")
    assert 120 <= len(acknowledged["chen"]) < DECISIONS
