"""The full text in `slr screen` at the full-text stage, driven in a real terminal (pexpect), as
tests/test_screen_human.py drives the screen: page moves, highlights, search, Methods, a
decision from inside the pager."""

from __future__ import annotations

import os
import sqlite3
import sys
from pathlib import Path

import pexpect
from click.testing import CliRunner
from test_fulltext_pdf import pdf_bytes

from slr.cli import main
from slr.screening.session import screening_queue
from slr.screening.status import review_statuses
from slr.store import Review


def first_on_full_text_queue(review: Path) -> int:
    with Review.open(review) as opened:
        return screening_queue(review_statuses(opened), "full_text")[0]


def spawn(review: Path) -> pexpect.spawn:
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "SLR_REVIEWER")}
    env["TERM"] = "xterm"
    child = pexpect.spawn(
        sys.executable,
        ["-m", "slr", "screen", "--review", str(review), "--stage", "full_text",
         "--reviewer", "ana", "--order", "id"],
        dimensions=(24, 80),
        encoding="utf-8",
        timeout=15,
        env=env,
    )  # fmt: skip
    child.delaybeforesend = None
    return child


REPORT = [
    ["A study of firms", "Ana Lima", "Abstract", "We study small firms and their digital tools."],
    ["2 Methods", "We surveyed 40 owners about cross-border e-commerce."],
    ["References", "Lima A (2020) One. J 1:1-2"],
]


def test_the_pager_pages_highlights_searches_and_decides(demo: Path) -> None:
    first = first_on_full_text_queue(demo)
    report = demo.parent / "study.pdf"
    report.write_bytes(pdf_bytes(REPORT))
    attached = CliRunner().invoke(
        main, ["fulltext", "attach", str(first), str(report), "--review", str(demo)]
    )
    assert attached.exit_code == 0, attached.output

    child = spawn(demo)
    child.expect(f"record {first}\\b")
    child.expect("f reads it here")
    child.send("f")
    child.expect(r"study\.pdf p\.1 \(page 1 of 3\)")
    child.expect("page 1 ──")
    # the protocol's words highlighted (styles on: a terminal with colours)
    child.expect(r"\x1b\[[0-9;]+msmall firms")
    child.send("]")
    child.expect(r"p\.2 \(page 2 of 3\)")
    child.expect(r"\x1b\[[0-9;]+me-commerce")
    child.send("]")
    child.expect(r"p\.3 \(page 3 of 3\)")
    child.send("[")
    child.send("[")
    child.expect(r"p\.1 \(page 1 of 3\)")
    child.send("M")
    child.expect("Methods: 2 Methods")
    child.send("/")
    child.expect("Search")
    child.sendline("owner*")
    child.expect("1 match of owner")
    child.send("/")
    child.expect("Search")
    child.sendline("")
    child.expect("Search cleared")
    child.send("[")
    child.send("n")  # the next highlight below the top line: the abstract on page 1
    child.send("n")  # then the Methods on page 2
    child.expect(r"p\.2 \(page 2 of 3\)")
    child.send("z")
    child.expect("Unknown key 'z': f goes back to the record")
    child.send("e")
    child.expect("pick the reason")
    child.send("7")  # "Full text not available": refused, the full text is attached
    child.expect(r"p\.2 \(page 2 of 3\)[^│]*Not saved: record \d+: a full text is attached")
    child.send("i")  # a decision from inside the pager: saved, the next record shown
    child.expect(f"Saved: include record {first}")
    child.send("q")
    child.expect(pexpect.EOF)
    db = sqlite3.connect(demo / "review.db")
    try:
        decided = db.execute(
            "SELECT record_id, decision FROM decisions WHERE reviewer = 'ana' "
            "AND stage = 'full_text'"
        ).fetchall()
    finally:
        db.close()
    assert decided == [(first, "include")]


def test_no_text_to_read_is_said(demo: Path) -> None:
    child = spawn(demo)
    child.expect("Full text: not attached")
    child.send("f")
    child.expect("No full text to read here")
    child.send("q")
    child.expect(pexpect.EOF)
