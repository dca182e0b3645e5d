"""The CLI on both engines: the README's main job (`slr run` on the demo corpus, reviewers'
decisions with `slr screen decide`, `slr prisma`, the exports and a refresh) writes the same
bytes from a review in a directory and from one in PostgreSQL (only the time of the review's
last change, which each output states, differs); and every command prints the same."""

from __future__ import annotations

import re
import shlex
import uuid
from pathlib import Path

from click.testing import CliRunner
from conftest import EXPORTS, PROTOCOL

from slr.cli import main
from slr.store.postgres import ReviewUrl

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


# Every command, in the order of a review, with the exit status it ends with
# (FILES: a folder of the test's own files).
COMMANDS: list[tuple[list[str], int]] = [
    (["import", *(str(EXPORTS / n) for n in ("scopus.csv", "wos.txt", "ebsco.ris"))], 0),
    (["import", str(EXPORTS / "scholar.bib"), "--database", "Google Scholar", "--method",
      "website"], 0),
    (["dedup"], 0),
    (["dedup", "--report", "FILES/dedup.csv"], 0),
    (["screen", "auto"], 0),
    (["screen", "auto", "--dry-run"], 0),
    (["screen", "decide", "1", "include", "--reviewer", "ana"], 0),
    (["screen", "decide", "1", "exclude", "--reviewer", "bob", "--reason",
      "Not a peer-reviewed source"], 0),
    (["screen", "decide", "1", "exclude", "--reviewer", "ana"], 1),
    (["screen", "decide", "2", "maybe", "--reviewer", "ana", "--note", "hm"], 0),
    (["screen", "decide", "2", "include", "--reviewer", "bob"], 0),
    (["screen", "import", "FILES/sheet.csv"], 0),
    (["screen", "conflicts"], 0),
    (["screen", "agreement"], 1),
    (["screen", "progress"], 0),
    (["screen", "export"], 0),
    (["fulltext", "attach", "3", "FILES/report3.txt"], 0),
    (["fulltext", "missing", "14", "--reason", "Not found"], 0),
    (["fulltext", "list"], 0),
    (["tag"], 0),
    (["query", "live AND streaming"], 0),
    (["extract"], 0),
    (["show", "1"], 0),
    (["show", "3"], 0),
    (["status"], 0),
    (["status", "--json"], 0),
    (["screen", "stop"], 1),
    (["screen", "stop", "--force"], 0),
    (["screen", "stop", "--undo"], 0),
    (["prisma", "--format", "md"], 0),
    (["prisma", "--searches"], 0),
    (["export", "--stage", "included", "--format", "csv"], 0),
    (["export", "--format", "ris"], 0),
    (["graph", "keywords", "--stage", "all", "-o", "FILES/keywords.csv"], 0),
    (["screen", "auto", "--undo"], 0),
    (["log", "--record", "1"], 0),
    (["log"], 0),
]  # fmt: skip
_TIME = re.compile(r"\d{4}-\d\d-\d\d[ T]\d\d:\d\d(:\d\d(\.\d+)?)?Z?")


def _every_command(
    review: str, shown: str, init: list[str], files: Path
) -> list[tuple[str, int, str]]:
    """What each of COMMANDS prints (its files' folder as FILES, the review as REVIEW)."""
    files.mkdir()
    (files / "report3.txt").write_text(
        "Live streaming and social commerce in Indonesia and Vietnam.\n\nReferences\n"
        "1. Smith J. A study of sellers. 2020.\n",
        encoding="utf-8",
    )
    (files / "sheet.csv").write_text(
        "record_id,reviewer,decision,reason\n7,cara,include,\n8,cara,exclude,"
        "Not a peer-reviewed source\n",
        encoding="utf-8",
    )
    runner = CliRunner()
    result = runner.invoke(main, init)
    assert result.exit_code == 0, result.output
    printed = []
    for command, _status in COMMANDS:
        args = [arg.replace("FILES", str(files)) for arg in command]
        result = runner.invoke(main, [*args, "--review", review])
        text = result.output.replace(str(files), "FILES").replace(shown, "REVIEW")
        text = _TIME.sub("TIME", text)
        printed.append((" ".join(command), result.exit_code, text))
    printed.append(("keywords.csv", 0, (files / "keywords.csv").read_text(encoding="utf-8")))
    return printed


def test_every_command_prints_the_same_on_both_engines(postgres_url: str, tmp_path: Path) -> None:
    directory = str(tmp_path / "review")
    init = ["--protocol", str(PROTOCOL), "--title", "t"]
    in_directory = _every_command(directory, directory, ["init", directory, *init], tmp_path / "a")
    url = f"{postgres_url}#every_{uuid.uuid4().hex[:8]}"
    shown = str(ReviewUrl.parse(url))
    in_database = _every_command(url, shown, ["init", "--store", url, *init], tmp_path / "b")
    assert [status for _, status, _ in in_directory] == [s for _, s in COMMANDS] + [0]
    for (command, status, text), (_, status_db, text_db) in zip(
        in_directory, in_database, strict=True
    ):
        assert (status_db, text_db) == (status, text), command
