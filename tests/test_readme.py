"""The README's commands are the ones CI runs and the ones slr has."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import REPO

from slr.cli import main
from slr.cli.docs import command_reference

README = (REPO / "README.md").read_text(encoding="utf-8")


def shell_blocks() -> list[str]:
    return re.findall(r"```sh\n(.*?)\n```", README, re.DOTALL)


def test_ci_runs_the_readme_test_command() -> None:
    test_command = shell_blocks()[1]
    assert "pytest" in test_command
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    assert test_command in ci.splitlines()


def test_command_reference_is_current() -> None:
    assert command_reference() in README, "run: python -m slr.cli.docs README.md"


def test_readme_main_job_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The `slr ...` steps of the README's first command, run as written from the repository."""
    steps = [shlex.split(step) for step in shell_blocks()[0].split(" && ")]
    slr_steps = [step[1:] for step in steps if step[0] == "slr"]
    assert slr_steps and slr_steps[0][0] == "run"
    monkeypatch.chdir(REPO)
    out = tmp_path / "demo-review"
    runner = CliRunner()
    for args in slr_steps:
        args = [str(out) if arg == "demo-review" else arg for arg in args]
        result = runner.invoke(main, args)
        assert result.exit_code == 0, result.output
    for opened in (
        "prisma/prisma.html",
        "graphs/drivers-cooccurrence.html",
        "graphs/citations.html",
        "graphs/drivers-synergies.csv",
        "dedup.csv",
    ):
        assert (out / opened).is_file(), opened
    assert "demo-review/prisma/prisma.html" in README
