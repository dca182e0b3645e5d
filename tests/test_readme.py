"""The README's commands are the ones CI runs and the ones slr has."""

from __future__ import annotations

import re

from conftest import REPO

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
