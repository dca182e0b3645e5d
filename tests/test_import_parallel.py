"""A large file imported by worker processes stores exactly what a one-process import stores."""

from __future__ import annotations

import multiprocessing.process
import os
import sqlite3
import tempfile
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner

import slr.importing
from slr.cli import main

COLUMNS = (
    "source_index, line, title, authors, year, source_title, doi, abstract, raw, ids, "
    "author_keywords, cited_references"
)


IN_PARTS: list[bool] = []  # for each file imported: was it stored in parts?
_in_parts = slr.importing._import_in_parts


def _spy(*args, **kwargs):
    outcome = _in_parts(*args, **kwargs)
    IN_PARTS.append(outcome is not None)
    return outcome


def _import(tmp_path: Path, name: str, files: list[Path], workers: str, monkeypatch) -> Path:
    scratch = _scratch(tmp_path, monkeypatch)
    monkeypatch.setenv("SLR_IMPORT_WORKERS", workers)
    monkeypatch.setattr(slr.importing, "PARALLEL_MIN_CHARS", 0)
    monkeypatch.setattr(slr.importing, "MIN_PART_CHARS", 0)
    monkeypatch.setattr(slr.importing, "_import_in_parts", _spy)
    IN_PARTS.clear()
    review = tmp_path / name
    runner = CliRunner()
    assert runner.invoke(main, ["init", str(review)]).exit_code == 0
    result = runner.invoke(main, ["import", "--review", str(review), *map(str, files)])
    assert result.exit_code in (0, 3), result.output
    assert list(scratch.iterdir()) == []  # the parts' database files are gone
    return review


HEAP: list[tuple] = []  # the glibc settings the importing process made, in order
_set_heap = slr.importing._set_heap


def _scratch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The temporary folder the workers write their parts' databases under."""
    scratch = tmp_path / "scratch"
    scratch.mkdir(exist_ok=True)
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    HEAP.clear()
    monkeypatch.setattr(slr.importing, "_set_heap", lambda s: (HEAP.append(s), _set_heap(s)))
    return scratch


def _contents(review: Path) -> tuple[list[tuple], list[tuple], list[tuple]]:
    db = sqlite3.connect(review / "review.db")
    try:
        records = db.execute(f"SELECT source_id, {COLUMNS} FROM records ORDER BY id").fetchall()
        sources = db.execute(
            "SELECT file_name, format, flavour, database, records, failures, warnings "
            "FROM sources ORDER BY id"
        ).fetchall()
        failures = db.execute(
            "SELECT source_id, line, reason, excerpt FROM import_failures ORDER BY id"
        ).fetchall()
        return records, sources, failures
    finally:
        db.close()


def _ris(count: int, broken: int | None = None) -> str:
    entries = []
    for i in range(count):
        end = "" if i == broken else "ER  - \n"
        title = "" if i % 50 == 7 else f"TI  - Study {i} of cross-border e-commerce\n"
        entries.append(
            f"TY  - JOUR\n{title}AU  - Doe, J.\nPY  - 2020\nDO  - 10.1/s{i}\n"
            f"AB  - An abstract\n  that wraps {i}.\nDB  - Scopus\n{end}\n"
        )
    return "".join(entries)


@pytest.mark.parametrize("broken", [None, 130], ids=["cut-in-parts", "falls-back-whole"])
def test_parts_store_what_one_parse_stores(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, broken: int | None
) -> None:
    export = tmp_path / "big.ris"
    # every 50th entry has no title: it still imports (authors, DOI); entry 130 lacks its ER
    export.write_text(_ris(400, broken).replace("AU  - Doe, J.\nPY  - 2020\nDO  - 10.1/s57\n", ""))
    whole = _import(tmp_path, "whole", [export], "1", monkeypatch)
    assert IN_PARTS == [False]
    parts = _import(tmp_path, "parts", [export], "2", monkeypatch)
    assert [broken is None] == IN_PARTS
    # freed memory is kept for the next part while the workers run, and not after
    assert HEAP == [slr.importing._KEPT_HEAP, slr.importing._SETTLED_HEAP]
    expected = _contents(whole)
    assert _contents(parts) == expected
    records, _sources, failures = expected
    # entry 57 (no title, authors or DOI) is rejected on its line: 10 lines an entry, one less
    # for entry 7 (no title line)
    assert len(records) == 399 and [f[1] for f in failures] == [57 * 10 + 1 - 1]


def test_two_large_files_in_one_import(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first, second = tmp_path / "a.ris", tmp_path / "b.ris"
    first.write_text(_ris(300))
    second.write_text(_ris(200).replace("Study", "Trial"))
    whole = _import(tmp_path, "whole", [first, second], "1", monkeypatch)
    parts = _import(tmp_path, "parts", [first, second], "2", monkeypatch)
    assert IN_PARTS == [True, True]
    records, sources, _failures = _contents(parts)
    assert (records, sources) == _contents(whole)[:2]
    assert [r[0] for r in records] == [1] * 300 + [2] * 200
    assert [r[1] for r in records] == list(range(1, 301)) + list(range(1, 201))


def _big_ris_imported_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A 300-entry RIS file, and the review it makes when parsed in one process."""
    export = tmp_path / "big.ris"
    export.write_text(_ris(300))
    return export, _import(tmp_path, "whole", [export], "1", monkeypatch)


def test_no_temporary_folder_means_one_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    export, whole = _big_ris_imported_whole(tmp_path, monkeypatch)
    missing = tmp_path / "no-such-folder"
    monkeypatch.setattr(tempfile, "tempdir", str(missing))
    monkeypatch.setenv("SLR_IMPORT_WORKERS", "2")
    IN_PARTS.clear()
    review = tmp_path / "parts"
    runner = CliRunner()
    assert runner.invoke(main, ["init", str(review)]).exit_code == 0
    result = runner.invoke(main, ["import", "--review", str(review), str(export)])
    assert result.exit_code == 0, result.output
    assert IN_PARTS == [False]
    assert _contents(review) == _contents(whole)
    assert not missing.exists()


def test_no_process_to_fork_means_one_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    export, whole = _big_ris_imported_whole(tmp_path, monkeypatch)
    started: list[int] = []
    start = multiprocessing.process.BaseProcess.start

    def second_fails(self) -> None:
        started.append(1)
        if len(started) == 2:
            raise OSError(11, "Resource temporarily unavailable")
        start(self)

    monkeypatch.setattr(multiprocessing.process.BaseProcess, "start", second_fails)
    parts = _import(tmp_path, "parts", [export], "2", monkeypatch)
    assert IN_PARTS == [False] and len(started) == 2
    assert _contents(parts) == _contents(whole)


def _flush_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "slr-flush"]


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc to name a file")
def test_the_review_is_synced_while_parts_go_in(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    synced: list[str] = []
    fdatasync = os.fdatasync

    def spy(fd: int) -> None:
        synced.append(os.readlink(f"/proc/self/fd/{fd}"))
        fdatasync(fd)

    monkeypatch.setattr(os, "fdatasync", spy)
    export = tmp_path / "big.ris"
    export.write_text(_ris(300))
    review = _import(tmp_path, "parts", [export], "2", monkeypatch)
    assert IN_PARTS == [True]
    assert synced and set(synced) == {str(review.resolve() / "review.db")}
    assert _flush_threads() == []


def test_real_csv_exports_in_parts(
    tmp_path: Path, real_exports: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = sorted(
        p
        for p in real_exports.rglob("*")
        if p.suffix.lower() in (".csv", ".ris", ".txt", ".tsv") and p.stat().st_size > 20_000
    )
    assert len(files) >= 5
    used = 0
    for number, path in enumerate(files):
        whole = _import(tmp_path, f"whole{number}", [path], "1", monkeypatch)
        parts = _import(tmp_path, f"parts{number}", [path], "2", monkeypatch)
        used += IN_PARTS == [True]
        assert _contents(parts) == _contents(whole), path.name
    assert used >= 5


_FULL = sqlite3.OperationalError("database or disk is full")


@pytest.mark.parametrize(
    ("error", "said"),
    [
        (ValueError("a bug"), "ValueError: a bug; report this as a bug"),
        (
            _FULL,
            "OperationalError: database or disk is full; make room in the temporary folder or "
            "point TMPDIR at another",
        ),
        (None, "the worker process stopped; check that the machine has memory to spare"),
    ],
    ids=["bug", "disk-full", "killed"],
)
def test_a_failing_worker_stops_the_import_and_changes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, error: Exception | None, said: str
) -> None:
    export = tmp_path / "big.ris"
    export.write_text(_ris(200))
    scratch = _scratch(tmp_path, monkeypatch)
    monkeypatch.setenv("SLR_IMPORT_WORKERS", "2")
    monkeypatch.setattr(slr.importing, "PARALLEL_MIN_CHARS", 0)
    monkeypatch.setattr(slr.importing, "MIN_PART_CHARS", 0)
    monkeypatch.setattr(slr.importing, "PARTS_PER_WORKER", 4)
    original = slr.importing._parse_part_rows

    def broken(part):
        if part.index == 3:
            if error is None:
                os._exit(9)  # as the kernel's out-of-memory killer would stop it
            raise error
        return original(part)

    monkeypatch.setattr(slr.importing, "_parse_part_rows", broken)
    review = tmp_path / "rev"
    runner = CliRunner()
    assert runner.invoke(main, ["init", str(review)]).exit_code == 0
    result = runner.invoke(main, ["import", "--review", str(review), str(export)])
    assert result.exit_code == 1
    assert result.output == (
        f"Error: parsing part 4 of 8 failed: {said}; or import again with SLR_IMPORT_WORKERS=1 "
        "to parse in one process\n"
    )
    assert _contents(review) == ([], [], [])
    assert [p.name for p in (review / "sources").iterdir()] == []
    assert list(scratch.iterdir()) == []
    assert HEAP == [slr.importing._KEPT_HEAP, slr.importing._SETTLED_HEAP]
    assert _flush_threads() == []


def test_small_parts_are_not_made(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    export = tmp_path / "big.ris"
    export.write_text(_ris(300))  # 45,000 characters
    monkeypatch.setattr(slr.importing, "MIN_PART_CHARS", 15_000)
    sent: list[int] = []
    send = slr.importing._Workers.send

    def spy(self, parts):
        sent.append(send(self, parts))
        sent.append(self.count)
        return sent[0]

    monkeypatch.setattr(slr.importing._Workers, "send", spy)
    whole = _import(tmp_path, "whole", [export], "1", monkeypatch)
    monkeypatch.setattr(slr.importing, "MIN_PART_CHARS", 15_000)  # (_import set it to 0)
    review = tmp_path / "parts"
    runner = CliRunner()
    monkeypatch.setenv("SLR_IMPORT_WORKERS", "4")
    assert runner.invoke(main, ["init", str(review)]).exit_code == 0
    assert runner.invoke(main, ["import", "--review", str(review), str(export)]).exit_code == 0
    assert sent == [3, 3]  # three parts of 15,000 characters or more, a worker each
    assert _contents(review) == _contents(whole)


def test_workers_follow_the_variable_and_the_platform(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLR_IMPORT_WORKERS", "3")
    assert slr.importing.import_workers() == 3
    monkeypatch.setenv("SLR_IMPORT_WORKERS", "0")
    assert slr.importing.import_workers() == 1
    monkeypatch.delenv("SLR_IMPORT_WORKERS")
    assert slr.importing.import_workers() >= 1
    monkeypatch.setattr(slr.importing.os, "cpu_count", lambda: 64)
    assert slr.importing.import_workers() == slr.importing.MAX_WORKERS == 8
    monkeypatch.setenv("SLR_IMPORT_WORKERS", "12")
    assert slr.importing.import_workers() == 12  # asked for
    monkeypatch.setattr(slr.importing.multiprocessing, "get_all_start_methods", lambda: ["spawn"])
    monkeypatch.setenv("SLR_IMPORT_WORKERS", "3")
    assert slr.importing.import_workers() == 1
