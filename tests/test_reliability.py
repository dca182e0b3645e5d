"""A review is never corrupted, never written to by mistake and never bricked: readers during a
large import, crashes at every write of `slr init` and of a migration, --review before a
subcommand, waiting for the lock, damaged and read-only reviews."""

from __future__ import annotations

import os
import sqlite3
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pexpect
import pytest
from click.testing import CliRunner

from slr.cli import main
from slr.errors import ReviewNotFound
from slr.store import Review
from slr.store.schema import MIGRATIONS, migrate
from slr.store.transaction import ReviewConnection

REPO = Path(__file__).resolve().parent.parent
PROTOCOL = REPO / "protocols" / "msme-digital-drivers.toml"
WORDS = [
    "export",
    "digital",
    "platform",
    "influencer",
    "content",
    "marketing",
    "small",
    "firms",
    "internationalisation",
    "cross-border",
    "commerce",
    "social",
    "media",
    "daigou",
    "jastip",
    "user",
    "generated",
    "survey",
    "case",
    "study",
]


def ris_file(path: Path, count: int, first: int = 0) -> Path:
    """COUNT journal articles as RIS, each with a title, abstract, year and DOI."""
    with path.open("w", encoding="utf-8") as out:
        for number in range(first, first + count):
            words = [WORDS[(number * 7 + k) % len(WORDS)] for k in range(60)]
            out.write(
                f"TY  - JOUR\nAU  - Author{number % 977}, A.\n"
                f"TI  - {' '.join(words[:9])} {number}\nAB  - {' '.join(words)}\n"
                f"PY  - {2000 + number % 25}\nDO  - 10.1234/rel{number}\nJO  - Journal\nER  - \n\n"
            )
    return path


def small_review(tmp_path: Path, records: int = 3) -> Path:
    """A review (no protocol) with RECORDS records imported from x.ris."""
    runner = CliRunner()
    review = tmp_path / "review"
    assert runner.invoke(main, ["init", str(review)]).exit_code == 0
    exports = ris_file(tmp_path / "x.ris", records)
    assert runner.invoke(main, ["import", "--review", str(review), str(exports)]).exit_code == 0
    return review


def slr(*args: str, **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "slr", *args], capture_output=True, text=True, **kwargs
    )


def integrity(review: Path) -> str:
    db = sqlite3.connect(review / "review.db")
    try:
        return db.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        db.close()


def count(review: Path, sql: str) -> int:
    db = sqlite3.connect(review / "review.db")
    try:
        return db.execute(sql).fetchone()[0]
    finally:
        db.close()


# -- 1. readers and a screen during a large import ------------------------------------------


def test_readers_and_a_screen_during_a_large_import_never_corrupt_the_review(
    tmp_path: Path,
) -> None:
    big = ris_file(tmp_path / "big.ris", 80_000, first=100)
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLR_")}
    env.update(TERM="xterm", NO_COLOR="1")
    for round_ in range(2):
        review = tmp_path / f"review{round_}"
        assert slr("init", str(review)).returncode == 0
        small = ris_file(tmp_path / f"small{round_}.ris", 5)
        assert slr("import", "--review", str(review), str(small)).returncode == 0
        screen = pexpect.spawn(
            sys.executable,
            ["-m", "slr", "screen", "--review", str(review), "--reviewer", "ana", "--order", "id"],
            dimensions=(24, 80),
            encoding="utf-8",
            timeout=60,
            env=env,
        )
        screen.expect("record 1\\b")
        importing = subprocess.Popen(
            [sys.executable, "-m", "slr", "import", "--review", str(review), str(big)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        statuses: list[int] = []
        decided = 0
        while importing.poll() is None:
            statuses.append(slr("status", "--review", str(review), env=env).returncode)
            if decided < 4:
                screen.send("i")
                decided += 1
                screen.expect(f"Saved: include record {decided}\\b")
            time.sleep(0.2)
        _out, err = importing.communicate()
        screen.send("q")
        screen.expect(pexpect.EOF)
        assert importing.returncode == 0, err
        assert set(statuses) == {0}, statuses
        assert len(statuses) >= 2, statuses  # each one a whole `slr status` while importing
        assert integrity(review) == "ok"
        assert count(review, "SELECT count(*) FROM records") == 80_005
        assert count(review, "SELECT count(*) FROM decisions WHERE reviewer = 'ana'") == decided
        assert not list((review / "sources").glob("*.partial"))


# -- 2. a crash at every write of `slr init` and of a migration ------------------------------

CRASHING_INIT = textwrap.dedent(
    """
    import os, shutil, sys
    from pathlib import Path
    import slr.store.review as review_module
    from slr.store import Review

    limit = int(sys.argv[2])
    done = 0

    def step():
        global done
        done += 1
        if done > limit:
            os._exit(9)  # as abrupt as SIGKILL: no finally block runs

    class Crashing(review_module.ReviewConnection):
        def execute(self, *args, **kwargs):
            step()
            return super().execute(*args, **kwargs)

        def executemany(self, *args, **kwargs):
            step()
            return super().executemany(*args, **kwargs)

        def commit(self):
            step()
            return super().commit()

    def crashing(function):
        def wrapped(*args, **kwargs):
            step()
            return function(*args, **kwargs)
        return wrapped

    review_module.ReviewConnection = Crashing
    review_module.os.replace = crashing(os.replace)
    review_module.shutil.copyfile = crashing(shutil.copyfile)
    Review.create(Path(sys.argv[1]), Path(sys.argv[3]), "Crash test").close()
    print("done", done)
    """
)


def test_a_crash_at_any_write_of_init_leaves_no_review_or_a_whole_one(tmp_path: Path) -> None:
    script = tmp_path / "crashing_init.py"
    script.write_text(CRASHING_INIT, encoding="utf-8")
    runner = CliRunner()
    limit = 0
    outcomes = {"none": 0, "whole": 0}
    while True:
        review = tmp_path / f"r{limit}"
        result = subprocess.run(
            [sys.executable, str(script), str(review), str(limit), str(PROTOCOL)],
            capture_output=True,
            text=True,
        )
        try:
            with Review.open(review) as opened:
                meta = opened.meta()
            assert meta["title"] == "Crash test" and meta["protocol"] == "protocol.toml"
            assert (review / "protocol.toml").read_bytes() == PROTOCOL.read_bytes()
            outcomes["whole"] += 1
            status = runner.invoke(main, ["status", "--review", str(review)])
            assert status.exit_code == 0, status.output
        except ReviewNotFound:
            outcomes["none"] += 1
            again = runner.invoke(
                main, ["init", str(review), "--protocol", str(PROTOCOL), "--title", "Again"]
            )
            assert again.exit_code == 0, again.output
            with Review.open(review) as opened:
                assert opened.meta()["title"] == "Again"
        assert not list(review.glob(".slr-init-*")) or result.returncode == 9
        if result.returncode == 0:
            break
        assert result.returncode == 9, result.stderr
        limit += 1
    # every statement, copy and rename was a crash point: before the database is moved into
    # place there is no review, after it a whole one
    assert outcomes["none"] > 100 and outcomes["whole"] >= 1
    assert outcomes["none"] + outcomes["whole"] == limit + 1


def test_a_failing_migration_step_leaves_the_version_before_it(tmp_path: Path) -> None:
    db = sqlite3.connect(tmp_path / "review.db", factory=ReviewConnection)
    steps = list(MIGRATIONS[:2])

    def half_done(connection: sqlite3.Connection) -> None:
        connection.execute("CREATE TABLE step_three_a (x)")
        connection.execute("CREATE TABLE step_three_b (x)")
        raise RuntimeError("injected")

    steps.append(half_done)
    with pytest.raises(RuntimeError, match="injected"):
        migrate(db, steps)
    assert db.execute("PRAGMA user_version").fetchone()[0] == 2
    tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
    assert "dedup_runs" in tables and not {"step_three_a", "step_three_b"} & tables
    steps[2] = MIGRATIONS[2]
    assert migrate(db, steps) == 3
    db.close()


def test_an_interrupted_import_leaves_no_copy_behind(tmp_path: Path) -> None:
    runner = CliRunner()
    review = tmp_path / "review"
    assert runner.invoke(main, ["init", str(review)]).exit_code == 0
    # a copy whose import was never committed, as a killed import leaves it
    orphan = review / "sources" / "001_big.ris.partial"
    orphan.write_text("TY  - JOUR\n", encoding="utf-8")
    good = ris_file(tmp_path / "good.ris", 3)
    result = runner.invoke(main, ["import", "--review", str(review), str(good)])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (review / "sources").iterdir()) == ["001_good.ris"]


# -- 3. --review before a subcommand ----------------------------------------------------------


def log_size(review: Path) -> int:
    return count(review, "SELECT count(*) FROM log")


def test_review_before_a_subcommand_is_the_review_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    runner = CliRunner()
    here, there = tmp_path / "a", tmp_path / "b"
    exports = ris_file(tmp_path / "x.ris", 5)
    for review in (here, there):
        assert (
            runner.invoke(main, ["init", str(review), "--protocol", str(PROTOCOL)]).exit_code == 0
        )
        assert runner.invoke(main, ["import", "--review", str(review), str(exports)]).exit_code == 0
    monkeypatch.chdir(here)
    monkeypatch.delenv("SLR_REVIEW", raising=False)
    before = log_size(here)
    commands = [
        ["screen", "--review", str(there), "auto"],
        ["tag", "--review", str(there), "add", "1", "drivers:ugc"],
        # (record 1 was excluded at title/abstract by a rule: --force fills it all the same)
        ["extract", "--review", str(there), "edit", "1", "--set", "design=survey", "--force"],
        ["dedup", "--review", str(there), "undo", "--all"],
    ]
    for command in commands:
        grown = log_size(there)
        result = runner.invoke(main, command)
        assert result.exit_code == 0, (command, result.output)
        assert log_size(there) > grown or command[0] == "dedup", command
    assert log_size(here) == before
    clash = runner.invoke(main, ["screen", "--review", str(there), "auto", "--review", str(here)])
    assert clash.exit_code == 2
    assert "--review names two reviews" in clash.output
    assert log_size(here) == before


# -- 4. waiting for the lock --------------------------------------------------------------------


def test_a_writer_waits_says_for_whom_and_gives_up_with_a_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    runner = CliRunner()
    review = tmp_path / "review"
    assert runner.invoke(main, ["init", str(review), "--protocol", str(PROTOCOL)]).exit_code == 0
    exports = ris_file(tmp_path / "x.ris", 5)
    assert runner.invoke(main, ["import", "--review", str(review), str(exports)]).exit_code == 0
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from pathlib import Path; from slr.store import Review\n"
            "from slr.store.transaction import write\n"
            "review = Review.open(Path(sys.argv[1]))\n"
            "with write(review.db):\n"
            "    print('holding', flush=True); time.sleep(30)\n",
            str(review),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "holding\n"
        # a reader is never blocked
        started = time.monotonic()
        status = runner.invoke(main, ["status", "--review", str(review)])
        assert status.exit_code == 0 and time.monotonic() - started < 2
        monkeypatch.setenv("SLR_LOCK_WAIT", "2")
        result = runner.invoke(main, ["tag", "--review", str(review), "add", "1", "drivers:ugc"])
        assert result.exit_code == 1
        assert f"(process {holder.pid}), which is writing to this review ..." in result.output
        assert result.output.endswith(
            "has been writing to it for 2 s; wait for it to finish and run this again (or set "
            "SLR_LOCK_WAIT to wait longer)\n"
        )
        assert "Traceback" not in result.output
    finally:
        holder.kill()
        holder.wait()
    result = runner.invoke(main, ["tag", "--review", str(review), "add", "1", "drivers:ugc"])
    assert result.exit_code == 0, result.output


# -- 11. damaged, read-only and missing parts: messages, never tracebacks -----------------------


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "is empty, so"),
        (b"this is not a database at all" * 100, "is damaged or not a review database"),
    ],
)
def test_a_damaged_review_db_is_refused_with_a_message(
    tmp_path: Path, content: bytes, expected: str
) -> None:
    review = tmp_path / "review"
    review.mkdir()
    (review / "review.db").write_bytes(content)
    for command in (["status"], ["show", "1"], ["export", "--format", "csv"], ["import", "x"]):
        result = CliRunner().invoke(main, [*command, "--review", str(review)])
        assert result.exit_code in (1, 2), result.output
        assert expected in result.output or command == ["import", "x"]
        assert result.exception is None or isinstance(result.exception, SystemExit)
    assert (review / "review.db").read_bytes() == content


def test_a_truncated_review_db_is_refused_with_a_message(tmp_path: Path) -> None:
    runner = CliRunner()
    review = small_review(tmp_path, 300)
    database = review / "review.db"
    database.write_bytes(database.read_bytes()[: database.stat().st_size // 2])
    result = runner.invoke(main, ["export", "--review", str(review), "--format", "csv"])
    assert result.exit_code == 1
    assert "Error: " in result.output and "Traceback" not in result.output
    assert isinstance(result.exception, SystemExit)


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes to read-only folders")
def test_a_read_only_review_can_still_be_read(tmp_path: Path) -> None:
    runner = CliRunner()
    review = small_review(tmp_path, 3)
    exports = tmp_path / "x.ris"
    mode = review.stat().st_mode
    review.chmod(stat.S_IRUSR | stat.S_IXUSR)
    (review / "review.db").chmod(stat.S_IRUSR)
    try:
        for command in (["status"], ["show", "1"], ["export", "--format", "ris"]):
            result = runner.invoke(main, [*command, "--review", str(review)])
            assert result.exit_code == 0, (command, result.output)
        refused = runner.invoke(main, ["import", "--review", str(review), str(exports)])
        assert refused.exit_code == 1
        assert "cannot be written" in refused.output
    finally:
        (review / "review.db").chmod(stat.S_IRUSR | stat.S_IWUSR)
        review.chmod(mode)


def test_a_read_only_connection_opens_a_wal_review_in_a_folder_it_cannot_write(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As root the folder is writable anyway: force the read-only path and check it reads."""
    import slr.store.review as review_module

    runner = CliRunner()
    review = small_review(tmp_path, 3)
    exports = tmp_path / "x.ris"
    monkeypatch.setattr(review_module, "_writable", lambda _path: False)
    result = runner.invoke(main, ["status", "--review", str(review), "--json"])
    assert result.exit_code == 0, result.output
    refused = runner.invoke(main, ["import", "--review", str(review), str(exports), "--again"])
    assert refused.exit_code == 1
    assert refused.output.startswith(f"Error: {review} cannot be written")


def test_missing_sources_folder_is_made_again_and_an_unwritable_one_is_a_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    runner = CliRunner()
    review = tmp_path / "review"
    assert runner.invoke(main, ["init", str(review)]).exit_code == 0
    (review / "sources").rmdir()
    exports = ris_file(tmp_path / "x.ris", 3)
    result = runner.invoke(main, ["import", "--review", str(review), str(exports)])
    assert result.exit_code == 0, result.output
    assert (review / "sources" / "001_x.ris").is_file()

    import shutil

    def refused(*_args: object, **_kwargs: object) -> None:
        raise PermissionError(13, "Permission denied", str(review / "sources" / "002_y.ris"))

    monkeypatch.setattr(shutil, "copyfile", refused)
    other = ris_file(tmp_path / "y.ris", 3, first=10)
    result = runner.invoke(main, ["import", "--review", str(review), str(other)])
    assert result.exit_code == 1
    assert result.output == (
        f"Error: permission denied ({review / 'sources' / '002_y.ris'}); check that you may "
        "write to the review's folder and its files; the review was left as it was\n"
    )
    assert count(review, "SELECT count(*) FROM records") == 3


def test_a_full_disk_is_a_message_and_changes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    runner = CliRunner()
    review = tmp_path / "review"
    assert runner.invoke(main, ["init", str(review)]).exit_code == 0
    import slr.store.review as review_module

    class Full(review_module.ReviewConnection):
        def executemany(self, *args: object, **kwargs: object) -> sqlite3.Cursor:
            raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(review_module, "ReviewConnection", Full)
    exports = ris_file(tmp_path / "x.ris", 3)
    result = runner.invoke(main, ["import", "--review", str(review), str(exports)])
    assert result.exit_code == 1
    assert result.output == (
        "Error: the disk is full; make room on the disk and run this again; the review was "
        "left as it was\n"
    )
    monkeypatch.undo()
    assert count(review, "SELECT count(*) FROM sources") == 0
    assert list((review / "sources").iterdir()) == []


def test_a_deeply_nested_protocol_is_a_message(tmp_path: Path) -> None:
    deep = tmp_path / "deep.toml"
    deep.write_text('[review]\ntitle = "x"\na = ' + "[" * 5000 + "]" * 5000 + "\n", "utf-8")
    result = CliRunner().invoke(main, ["protocol", "check", str(deep)])
    assert result.exit_code == 1
    assert result.output == (
        f"Error: {deep}: the protocol nests arrays or tables too deeply to be read; a protocol "
        "needs only a few levels: check the file\n"
    )


def test_a_file_name_too_long_to_attach_is_a_message(tmp_path: Path) -> None:
    runner = CliRunner()
    review = small_review(tmp_path, 2)
    report = tmp_path / f"{'a' * 250}.txt"
    report.write_text("the report", encoding="utf-8")
    result = runner.invoke(main, ["fulltext", "attach", "--review", str(review), "1", str(report)])
    assert result.exit_code == 1
    assert result.output.startswith("Error: a file name is too long for this file system")
    assert result.output.endswith("; use a shorter file name\n")
    assert isinstance(result.exception, SystemExit)
    assert count(review, "SELECT count(*) FROM fulltexts") == 0
