"""Import export files into a review: every file is checked first, then all are stored at once."""

from __future__ import annotations

import ctypes
import gc
import itertools
import multiprocessing
import multiprocessing.process
import os
import queue
import re
import sqlite3
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from slr.errors import ImportRefused, SlrError
from slr.importers import FileImport, LoadedFile, load_file, parse_loaded
from slr.importers.parts import Part, Split, iter_parts, merge_warnings, parse_part
from slr.models import Failure
from slr.store import Review
from slr.store.review import PartRows, SourceInfo, write_part_rows

# The database a vendor's export comes from, when the user does not name it.
DATABASE_OF_FLAVOUR = {
    "scopus": "Scopus",
    "wos": "Web of Science Core Collection",
    "embase": "Embase",
    "ovid": "Ovid",
    "ebsco": "EBSCOhost",
    "proquest": "ProQuest",
    "pubmed": "PubMed",
    "ieee": "IEEE Xplore",
    "lens": "Lens",
    "dimensions": "Dimensions",
    "openalex": "OpenAlex",
    "crossref": "Crossref",
    "pop": "Google Scholar",
    "acm": "ACM Digital Library",
}
# PRISMA 2020 tells databases and registers apart from other methods of identification.
METHODS = ("database", "register", "citation-search", "website", "organisation", "other")
Progress = Callable[[str], None]
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# A file this large (in characters) is parsed in parts by worker processes, when the machine
# has more than one core: 8 parts a worker, so that no worker waits long for the last one.
PARALLEL_MIN_CHARS = 4_000_000
PARTS_PER_WORKER = 8
MIN_PART_CHARS = 500_000  # smaller parts cost more in files and processes than they save
# This process stores what the workers parse, one part at a time: past about 8 workers it
# cannot keep up, and every worker holds a part's records in memory. (SLR_IMPORT_WORKERS may
# ask for more.)
MAX_WORKERS = 8
WORKERS_VARIABLE = "SLR_IMPORT_WORKERS"  # 1 parses every file in this process


@dataclass(slots=True)
class ImportOptions:
    database: str = ""
    search_string: str = ""
    searched_on: str = ""
    format_name: str | None = None
    column_map: Mapping[str, str] | None = None
    method: str = "database"
    again: bool = False


@dataclass(slots=True)
class ImportOutcome:
    source_id: int
    file_name: str
    format: str
    flavour: str
    database: str
    records: int
    failures: list[Failure] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    copy: Path = Path()  # the verbatim copy in the review's sources/


def _check_options(options: ImportOptions) -> None:
    if options.searched_on:
        try:
            if not _ISO_DATE.match(options.searched_on):
                raise ValueError
            date.fromisoformat(options.searched_on)
        except ValueError:
            raise SlrError(
                f"--searched-on {options.searched_on!r} is not a date",
                "give the date of the search as YYYY-MM-DD",
            ) from None
    if options.method not in METHODS:
        raise SlrError(f"unknown method {options.method!r}", f"use one of: {', '.join(METHODS)}")


def _load_checked(
    review: Review,
    path: Path,
    options: ImportOptions,
    progress: Progress,
    seen: dict[str, Path],
) -> LoadedFile:
    """Read one file, or refuse it (ImportRefused) before anything of it is stored."""
    if not path.is_file():
        raise ImportRefused(f"{path}: no such file", "check the path")
    progress(f"Reading {path.name}")
    loaded = load_file(path, options.format_name)
    if not options.again:
        earlier = review.source_with_hash(loaded.sha256)
        if earlier is not None:
            raise ImportRefused(
                f"{path.name} was already imported as source {earlier['id']} "
                f"({earlier['file_name']}, {earlier['imported_at']})",
                "use --again to import it a second time",
            )
        if loaded.sha256 in seen:
            raise ImportRefused(
                f"{path.name} is the same file as {seen[loaded.sha256].name}",
                "name each file once, or use --again",
            )
    seen[loaded.sha256] = path
    return loaded


def _refuse_if_nothing(path: Path, format_name: str, records: int, failures: list[Failure]) -> None:
    if not records and failures:
        raise ImportRefused(
            f"{failures[0].describe(path.name)}; no record could be imported from this "
            f"{format_name} file",
            "check the file, or name its format with --format (and --map for other CSV)",
        )


def import_files(
    review: Review,
    paths: Sequence[Path],
    options: ImportOptions | None = None,
    progress: Progress = lambda _message: None,
) -> list[ImportOutcome]:
    """Import export files into the review, all or nothing; `progress` hears of each step.

    Files are parsed and stored one at a time inside one transaction, so only one file's records
    are in memory at once, and a refused file rolls back the ones before it.
    """
    options = options or ImportOptions()
    _check_options(options)
    outcomes: list[ImportOutcome] = []
    written: list[Path] = []
    seen: dict[str, Path] = {}
    # The cyclic GC would rescan every record built so far, again and again: 20-30% of an
    # import's time; records hold no cycles, so it can wait until the import is done.
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        with review.bulk_transaction(sum(p.stat().st_size for p in paths if p.is_file())):
            for path in paths:
                loaded = _load_checked(review, path, options, progress, seen)
                outcome = _import_in_parts(review, loaded, options, progress)
                if outcome is None:
                    outcome = _import_whole(review, loaded, options, progress)
                written.append(outcome.copy)
                outcomes.append(outcome)
    except BaseException:
        for copy in written:
            copy.unlink(missing_ok=True)
        raise
    finally:
        if gc_was_enabled:
            gc.enable()
    return outcomes


def _database(flavour: str, options: ImportOptions) -> str:
    return options.database or DATABASE_OF_FLAVOUR.get(flavour, "")


def _source_info(
    loaded: LoadedFile, flavour: str, warnings: list[str], options: ImportOptions
) -> SourceInfo:
    database = _database(flavour, options)
    return SourceInfo(
        file_name=loaded.path.name,
        original=loaded.path,
        size=loaded.size,
        sha256=loaded.sha256,
        format=loaded.format.name,
        flavour=flavour,
        encoding=loaded.decoded.encoding,
        database=database,
        method=options.method,
        search_string=options.search_string,
        searched_on=options.searched_on,
        warnings=warnings,
    )


def _unknown_database(info: SourceInfo) -> list[str]:
    if info.database:
        return []
    return [
        f"{info.file_name}: the database is not known; "
        "name it with --database for the PRISMA-S record"
    ]


def _import_whole(
    review: Review, loaded: LoadedFile, options: ImportOptions, progress: Progress
) -> ImportOutcome:
    """Parse a file in this process and store it."""
    imported: FileImport = parse_loaded(loaded, options.column_map)
    result = imported.result
    _refuse_if_nothing(loaded.path, loaded.format.name, len(result.records), result.failures)
    info = _source_info(loaded, result.flavour, result.warnings, options)
    info.warnings += _unknown_database(info)
    progress(f"Storing {len(result.records):,} records of {info.file_name}")
    source_id, copy = review.add_source(info, result.records, result.failures)
    outcome = ImportOutcome(
        source_id,
        info.file_name,
        info.format,
        info.flavour,
        info.database,
        len(result.records),
        result.failures,
        info.warnings,
        copy,
    )
    result.records.clear()  # stored: free them before the next file
    return outcome


class _PartDeclined(Exception):
    """A part could not stand alone: the file is parsed whole instead."""


# The file being parsed in parts, for the forked workers (set before they start).
# (text, how to cut it, column map, the folder for the parts' database files)
_Job = tuple[str, Split, Mapping[str, str] | None, Path]
_JOB: _Job | None = None


@dataclass(slots=True)
class _ParsedPart:
    """What a worker sends for one part; `rows` is None when the part cannot stand alone."""

    rows: PartRows | None
    warnings: list[str]
    flavour: str


def _parse_part_rows(part: Part) -> _ParsedPart:
    """In a worker: one part's records in a database file, its warnings and flavour."""
    assert _JOB is not None
    text, split, column_map, scratch = _JOB
    result, ok = parse_part(split, text, part, column_map)
    if not ok:
        return _ParsedPart(None, [], "")
    path = scratch / f"part-{part.index + 1:04d}.db"
    rows = write_part_rows(path, result.records, result.failures)
    return _ParsedPart(rows, result.warnings, result.flavour)


# What to do when a worker fails, by what went wrong.
_WORKER_HINTS = {
    "storage": "make room in the temporary folder or point TMPDIR at another",
    "stopped": "check that the machine has memory to spare",
    "bug": "report this as a bug",
}


class _Workers:
    """Forked processes that parse the parts of `_JOB`: `send` deals the parts out as they
    are found, part i to worker i % n, and each worker sends its results down a pipe of its
    own. A thread here receives them while the parts before are being stored, keeping at most
    one waiting part a worker. Leaving the block stops them all, whatever happened."""

    def __init__(self, workers: int, job: _Job) -> None:
        self.job = job
        self.count = workers
        self.parts = 0  # known once every part is sent
        self.tasks: list[Connection] = []
        self.pipes: list[Connection] = []
        self.processes: list[multiprocessing.process.BaseProcess] = []
        self.received: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=self.count)
        self.stop = threading.Event()
        self.receiver = threading.Thread(target=self._receive, daemon=True)

    def __enter__(self) -> _Workers:
        global _JOB
        context = multiprocessing.get_context("fork")
        _JOB = self.job  # each worker has its copy: not pickled
        try:
            for _worker in range(self.count):
                tasks, tasks_in = context.Pipe(duplex=False)
                results, results_in = context.Pipe(duplex=False)
                self.tasks.append(tasks_in)
                self.pipes.append(results)
                process = context.Process(target=_work, args=(tasks, results_in), daemon=True)
                try:
                    process.start()
                finally:
                    tasks.close()
                    results_in.close()
                self.processes.append(process)
        except OSError as error:  # no more processes or memory for them: parse in this one
            self.__exit__()
            raise _PartDeclined from error
        finally:
            _JOB = None
        return self

    def send(self, parts: Iterable[Part]) -> int:
        """Deal the parts out (each goes as soon as it is found) and start receiving;
        returns how many there were."""
        for part in parts:
            self.tasks[part.index % self.count].send(part)
            self.parts = part.index + 1
        for tasks in self.tasks:
            tasks.send(None)  # no more parts: the worker ends when its parts are done
        self.receiver.start()
        return self.parts

    def _receive(self) -> None:
        for index in range(self.parts):
            try:
                message = self.pipes[index % self.count].recv()
            except (EOFError, OSError):
                message = ("error", "the worker process stopped", "stopped")
            while not self.stop.is_set():
                try:
                    self.received.put(message, timeout=0.1)
                    break
                except queue.Full:
                    continue
            if message[0] == "error" or self.stop.is_set():
                return

    def results(self) -> Iterator[_ParsedPart]:
        """Each part's result, in order."""
        for index in range(self.parts):
            message = self.received.get()
            if message[0] == "error":
                _, reason, kind = message
                raise SlrError(
                    f"parsing part {index + 1} of {self.parts} failed: {reason}",
                    f"{_WORKER_HINTS[kind]}; or import again with {WORKERS_VARIABLE}=1 to "
                    "parse in one process",
                )
            yield message[1]

    def __exit__(self, *_: object) -> None:
        self.stop.set()
        for process in self.processes:
            if process.is_alive():
                process.kill()
            process.join()
        if self.receiver.is_alive():
            self.receiver.join()
        for pipe in self.tasks + self.pipes:
            pipe.close()


# glibc's mallopt parameters, and the values to keep freed memory for the next part with
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3
_KEPT_HEAP = ((_M_TRIM_THRESHOLD, 1 << 30), (_M_MMAP_THRESHOLD, 32 << 20))
# Afterwards: once set, glibc no longer adapts the thresholds itself, so they are left where its
# own adaptation ends for a process that frees large blocks (32 MB, twice that to trim).
_SETTLED_HEAP = ((_M_TRIM_THRESHOLD, 64 << 20), (_M_MMAP_THRESHOLD, 32 << 20))


try:
    _GLIBC = os.confstr("CS_GNU_LIBC_VERSION") is not None
except (ValueError, OSError, AttributeError):  # another C library, or Windows
    _GLIBC = False


def _set_heap(settings: tuple[tuple[int, int], ...]) -> None:
    """glibc hands freed memory back to the system at once, so each part of a large import
    faulted its pages in again: 40% of all page faults, a quarter of the system time. With
    these settings freed memory stays for the next part. Nothing happens without glibc."""
    if not _GLIBC:
        return
    libc = ctypes.CDLL(None)
    for parameter, value in settings:
        libc.mallopt(parameter, value)
    if settings is _SETTLED_HEAP:
        libc.malloc_trim(0)


def _work(tasks: Connection, results: Connection) -> None:
    """A worker's life: parse the parts it is sent and send the results, or send what went
    wrong; it ends when it is sent None."""
    _set_heap(_KEPT_HEAP)
    try:
        while (part := tasks.recv()) is not None:
            results.send(("ok", _parse_part_rows(part)))
    except (OSError, sqlite3.OperationalError) as error:  # writing the part's database
        results.send(("error", f"{type(error).__name__}: {error}", "storage"))
    except Exception as error:  # reported by the importing process, which stops
        results.send(("error", f"{type(error).__name__}: {error}", "bug"))
    finally:
        results.close()


def import_workers() -> int:
    """Worker processes for parsing a large file: one a core, or SLR_IMPORT_WORKERS; one (this
    process) where processes cannot be forked (Windows)."""
    if "fork" not in multiprocessing.get_all_start_methods():
        return 1
    configured = os.environ.get(WORKERS_VARIABLE, "").strip()
    if configured.isdigit():
        return max(1, int(configured))
    return min(os.cpu_count() or 1, MAX_WORKERS)


def _import_in_parts(
    review: Review, loaded: LoadedFile, options: ImportOptions, progress: Progress
) -> ImportOutcome | None:
    """Parse a large file in parts in worker processes, storing each part as it comes; None
    (and nothing stored) when the file is small, cannot be cut, or a part cannot stand alone."""
    fmt, text = loaded.format, loaded.decoded.text
    workers = import_workers()
    if fmt.split is None or workers < 2 or len(text) < PARALLEL_MIN_CHARS:
        return None
    parts_wanted = max(2, min(workers * PARTS_PER_WORKER, len(text) // max(1, MIN_PART_CHARS)))
    workers = min(workers, parts_wanted)
    split = fmt.split(text, options.column_map, parts_wanted)
    if split is None:
        return None
    parts = iter_parts(split, text)
    first = next(parts)
    if first.last:
        return None  # no place to cut
    progress(f"Parsing {loaded.path.name} in parts on {workers} processes")
    flavours: list[str] = []
    warnings: list[list[str]] = []
    info = _source_info(loaded, "", [], options)

    def stored_parts(workers: _Workers) -> Iterator[PartRows]:
        records = 0
        failures: list[Failure] = []
        for part in workers.results():
            if part.rows is None:
                raise _PartDeclined
            flavours.append(part.flavour)
            warnings.append(part.warnings)
            records += part.rows.records
            failures += part.rows.failures
            progress(f"Storing part {len(flavours)} of {workers.parts} of {loaded.path.name}")
            yield part.rows
        _refuse_if_nothing(loaded.path, fmt.name, records, failures)
        # read by add_source_parts when the parts are all in: the source row comes last
        info.flavour = flavours[0]
        info.database = _database(info.flavour, options)
        info.warnings += loaded.decoded.warnings + merge_warnings(warnings)
        info.warnings += _unknown_database(info)

    try:
        scratch = tempfile.TemporaryDirectory(prefix="slr-import-")
    except OSError:  # no temporary folder for the parts' databases: parse in this process
        return None
    review.db.execute("SAVEPOINT import_parts")
    _set_heap(_KEPT_HEAP)
    try:
        with (
            scratch as folder,
            _Workers(workers, (text, split, options.column_map, Path(folder))) as running,
        ):
            running.send(itertools.chain([first], parts))
            source_id, copy, count, failures = review.add_source_parts(info, stored_parts(running))
    except _PartDeclined:
        review.db.execute("ROLLBACK TO import_parts")
        review.db.execute("RELEASE import_parts")
        progress(f"Parsing {loaded.path.name} whole")
        return None
    finally:
        _set_heap(_SETTLED_HEAP)
    review.db.execute("RELEASE import_parts")
    loaded.decoded.text = ""
    return ImportOutcome(
        source_id,
        info.file_name,
        info.format,
        info.flavour,
        info.database,
        count,
        failures,
        info.warnings,
        copy,
    )
