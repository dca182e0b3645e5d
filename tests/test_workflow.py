"""The README's "After `slr run`" section, run command by command on a copy of the demo review:
the refreshed PRISMA page, graphs and exports show the reviewers' new decisions."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import REPO

from slr.cli import main

SECTION = "## After `slr run`: the rest of the review"
STUDY = "Digital Marketing Strategies Based on Live Streaming and AI Recommendation"  # record 1


def workflow_commands() -> list[list[str]]:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index(SECTION) :]
    block = re.search(r"```sh\n(.*?)\n```", section, re.DOTALL)
    assert block is not None, "the section has its commands in a sh block"
    return [shlex.split(line) for line in block.group(1).splitlines() if line.strip()]


def new_studies(page: str) -> str:
    found = re.search(r"<code>new_studies</code></td><td>(\d+)", page)
    assert found is not None
    return found.group(1)


def test_the_readme_workflow_refreshes_every_output(
    demo: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the demo as `slr run` leaves it: its outputs written
    assert runner.invoke(main, ["run", "--out", str(demo)]).exit_code == 0
    page = demo / "prisma" / "prisma.html"
    before = page.read_text(encoding="utf-8")
    assert new_studies(before) == "0"
    assert (demo / "exports" / "included.ris").read_text(encoding="utf-8") == ""
    assert STUDY not in (demo / "graphs" / "drivers-cooccurrence.html").read_text("utf-8")
    stamp = re.search(r"Generated from the review (as of [^(]+ UTC)", before)
    assert stamp is not None
    assert f"Generated from the review {stamp.group(1)} (its last change)" in (
        demo / "outputs.md"
    ).read_text(encoding="utf-8")
    status = runner.invoke(main, ["status", "--review", str(demo)]).output
    assert f"Outputs (prisma/, graphs/, exports/): {stamp.group(1)}, up to date\n" in status

    commands = workflow_commands()
    assert commands[0] == ["cd", "demo-review"]
    monkeypatch.chdir(demo)
    (demo / "papers").mkdir()
    (demo / "papers" / "1.txt").write_text(f"{STUDY}.\nLive streaming ...\n", encoding="utf-8")
    for command in commands[1:]:
        assert command[0] == "slr", command
        if command[1] == "run":  # before the refresh, status says the outputs are behind
            status = runner.invoke(main, ["status"]).output
            assert (
                f"Outputs (prisma/, graphs/, exports/): {stamp.group(1)}, the review changed "
                "since\n  refresh them: slr run --out .\n"
            ) in status
        result = runner.invoke(main, command[1:])
        assert result.exit_code == 0, (command, result.output)

    after = page.read_text(encoding="utf-8")
    assert new_studies(after) == "1"
    assert "<code>dbr_notretrieved_reports</code></td><td>1<" in after
    assert stamp.group() not in after  # stamped with the reviewers' last change
    included = (demo / "exports" / "included.ris").read_text(encoding="utf-8")
    assert included.startswith("TY  - JOUR\nID  - 1\n") and included.count("ER  - ") == 1
    assert STUDY in (demo / "exports" / "full-text.csv").read_text(encoding="utf-8")
    assert STUDY in (demo / "graphs" / "drivers-cooccurrence.html").read_text(encoding="utf-8")
    assert (demo / "extraction.xlsx").is_file()
    status = runner.invoke(main, ["status"]).output
    assert "  included in the review                                      1\n" in status
    # refreshing an unchanged review writes the same bytes
    written = {p: p.read_bytes() for p in (demo / "prisma").iterdir()}
    assert runner.invoke(main, ["run", "--out", "."]).exit_code == 0
    assert {p: p.read_bytes() for p in (demo / "prisma").iterdir()} == written
