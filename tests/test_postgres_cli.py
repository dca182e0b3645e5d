"""The README's main job on both engines through the CLI: `slr run` on the demo corpus,
reviewers' decisions with `slr screen decide`, `slr prisma`, the exports and a refresh; every
output is the same bytes from a review in a directory and from one in PostgreSQL (only the
time of the review's last change, which each output states, differs)."""

from __future__ import annotations

import re
import shlex
import uuid
from pathlib import Path

from click.testing import CliRunner
from conftest import EXPORTS, PROTOCOL

from slr.cli import main

_LAST_CHANGE = re.compile(r"as of \d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} UTC")
# (record, reviewer, stage, decision, reason)
DECISIONS = [
    *[(rid, who, "title_abstract", "include", "") for rid in (1, 2, 4) for who in ("ana", "bob")],
    (5, "ana", "title_abstract", "include", ""),
    (5, "bob", "title_abstract", "exclude", "Off-topic: no MSME context and no digital driver"),
    *[(3, who, "full_text", "include", "") for who in ("ana", "bob")],
    (14, "ana", "full_text", "exclude", "Full text not available"),
]


def _main_job(runner: CliRunner, out: Path, review: str, store: list[str]) -> dict[str, bytes]:
    """Every output of the job, by its path under OUT (the review's own files left out)."""
    exports = [str(EXPORTS / name) for name in ("scopus.csv", "wos.txt", "ebsco.ris")]
    run = ["run", "--protocol", str(PROTOCOL), *exports, "--out", str(out), *store]
    result = runner.invoke(main, run)
    assert result.exit_code == 0, result.output
    for rid, who, stage, decision, reason in DECISIONS:
        command = ["screen", "decide", str(rid), decision, "--reviewer", who, "--stage", stage]
        result = runner.invoke(main, [*command, "--review", review, "--reason", reason])
        assert result.exit_code == 0, result.output
    (out / "own").mkdir()
    for fmt in ("json", "md", "svg", "csv"):
        target = out / "own" / f"prisma.{fmt}"
        result = runner.invoke(
            main, ["prisma", "--review", review, "--format", fmt, "--out", str(target)]
        )
        assert result.exit_code == 0, result.output
    for stage in ("included", "full_text", "unique"):
        for fmt in ("csv", "ris", "bibtex"):
            target = out / "own" / f"{stage}.{fmt}"
            command = ["export", "--review", review, "--stage", stage, "--format", fmt]
            result = runner.invoke(main, [*command, "--out", str(target)])
            assert result.exit_code == 0, result.output
    result = runner.invoke(main, ["run", "--out", str(out), *store])  # a refresh
    assert result.exit_code == 0, result.output
    kept = {"review.db", "protocol.toml", "sources"}
    refresh = f" --store {shlex.quote(store[-1])}" if store else ""  # (in outputs.md)

    def normal(text: str) -> bytes:
        text = _LAST_CHANGE.sub("as of <last change>", text)
        return text.replace(refresh, "").replace(str(out), "OUT").encode()

    return {
        path.relative_to(out).as_posix(): normal(path.read_text(encoding="utf-8"))
        for path in sorted(out.rglob("*"))
        if path.is_file() and path.relative_to(out).parts[0] not in kept
    }


def test_the_main_job_gives_the_same_outputs_on_both_engines(
    postgres_url: str, tmp_path: Path
) -> None:
    runner = CliRunner()
    in_directory = _main_job(runner, tmp_path / "review", str(tmp_path / "review"), [])
    url = f"{postgres_url}#job_{uuid.uuid4().hex[:8]}"
    in_database = _main_job(runner, tmp_path / "outputs", url, ["--store", url])
    assert sorted(in_database) == sorted(in_directory)
    assert len(in_directory) > 25
    for name, data in in_directory.items():
        assert in_database[name] == data, name
