"""`slr run`: the whole review, non-interactively, stage by stage, into one directory.

init → import → dedup → screen auto → tag → graphs → PRISMA → exports. The directory is the
review itself (review.db, protocol.toml, sources/) plus what the run writes: dedup.csv, prisma/,
graphs/ and exports/. Running again on the same directory and inputs imports nothing twice,
keeps every reviewer's decision, and writes the same files byte for byte.

The first four stages make the review: an error there stops the run. The last four only write
from it, one output at a time: an output that fails (a graph too large for memory, a bug in one
writer) is reported with the command that redoes it, and every other output is still written.
"""

from __future__ import annotations

import csv
import hashlib
import shlex
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import networkx as nx

from slr.dedup import Settings, deduplicate
from slr.errors import ReviewNotFound, SlrError
from slr.export.run import export_stage
from slr.graphs import citation_graphs, cooccurrence_graphs, render
from slr.importers import read_file
from slr.importing import DATABASE_OF_FLAVOUR, ImportOptions, import_files
from slr.prisma.render import (
    OUTPUTS_MANIFEST,
    generated_stamp,
    render_prisma,
    render_searches,
)
from slr.protocol import Protocol, load_protocol
from slr.screening.run import screen_auto
from slr.store import Review
from slr.store import dedup as dedup_store
from slr.store.connection import is_url
from slr.store.failures import as_slr_error
from slr.store.review import DB_NAME
from slr.tagging.run import tag_review

STAGES = ("init", "import", "dedup", "screen", "tag", "graphs", "prisma", "exports")
# The run screens by the protocol's rules; the records it tags and draws are those included at
# title/abstract (the full-text stage's), a superset of the review's final studies, which
# reviewers decide at full text. Both sets are exported, each under its own name.
STUDIES = "full_text"
EXPORTS = (
    ("included", "ris", "exports/included.ris"),
    ("included", "bibtex", "exports/included.bib"),
    ("included", "csv", "exports/included.csv"),
    (STUDIES, "ris", "exports/full-text.ris"),
    (STUDIES, "bibtex", "exports/full-text.bib"),
    (STUDIES, "csv", "exports/full-text.csv"),
    ("unique", "asreview", "exports/asreview.csv"),
)
PRISMA_FILES = (
    ("svg", "prisma/prisma.svg"),
    ("html", "prisma/prisma.html"),
    ("json", "prisma/prisma.json"),
    ("csv", "prisma/PRISMA.csv"),
    ("md", "prisma/prisma.md"),
)

# stage name, message -> None; a stage starts with its first message and ends with "done"
Progress = Callable[[str, str], None]
T = TypeVar("T")


@dataclass(slots=True)
class RunOptions:
    protocol: Path | None  # None: the copy in an existing review (a refresh)
    exports: Sequence[Path]
    out: Path
    methods: Mapping[str, str] = field(default_factory=dict)  # file name -> method
    databases: Mapping[str, str] = field(default_factory=dict)  # file name -> database
    title: str = ""  # the diagram's heading (default: the protocol's [review] title)
    store: str | None = None  # a postgresql:// URL: the review is there, the outputs in OUT


@dataclass(frozen=True, slots=True)
class Failure:
    """An output the run could not write; the others were written."""

    output: str  # "graphs/citations.html", or "tags"
    error: str  # "MemoryError: Unable to allocate 8.4 GiB ..."
    hint: str  # what to do: the command that redoes it alone, with the whole error


@dataclass(frozen=True, slots=True)
class StageTime:
    stage: str
    seconds: float
    peak_mb: float | None  # the process's peak resident memory when the stage ended


@dataclass(slots=True)
class RunReport:
    created: bool = False
    imported: list[str] = field(default_factory=list)
    already: list[str] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)  # "file:line: reason" of each entry
    duplicates: int = 0
    screened: int = 0
    tagged: int | None = None
    stages_skipped: dict[str, str] = field(default_factory=dict)  # stage -> why
    written: list[Path] = field(default_factory=list)
    notes: dict[Path, str] = field(default_factory=dict)  # written file -> what it leaves out
    failures: list[Failure] = field(default_factory=list)
    times: list[StageTime] = field(default_factory=list)

    def timed(self, stage: str, started: float) -> None:
        self.times.append(StageTime(stage, time.perf_counter() - started, peak_memory_mb()))


def peak_memory_mb() -> float | None:
    """This process's peak resident memory (None where the platform does not say)."""
    try:
        import resource  # here: Unix only
    except ImportError:  # Windows
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 2**10  # bytes there, KiB here


def _attempt(
    report: RunReport, output: str, command: str, action: Callable[..., T], *args: Any
) -> T | None:
    """action(*args) for one output; on failure note it, with the command that redoes it
    alone, and return None so that the run goes on to the next output."""
    try:
        return action(*args)
    except Exception as error:  # whatever it is, the other outputs do not depend on this one
        # a full disk or a locked database says so, as every command does
        known = error if isinstance(error, SlrError) else as_slr_error(error)
        if known is not None:
            report.failures.append(Failure(output, known.message, known.hint or f"run `{command}`"))
        else:
            text = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
            report.failures.append(
                Failure(output, text, f"run `{command}` alone to see the whole error")
            )
    return None


def _key(path: Path, table: Mapping[str, str]) -> str:
    for name in (str(path), path.name):
        if name in table:
            return table[name]
    return ""


def _check_names(options: RunOptions) -> None:
    known = {str(p) for p in options.exports} | {p.name for p in options.exports}
    for option, table in (("--method", options.methods), ("--database", options.databases)):
        for name in table:
            if name not in known:
                raise SlrError(
                    f"{option} names {name}, which is not one of the exports",
                    "write FILE=VALUE with FILE as given among the exports (or its name)",
                )


def _search_string(protocol: Protocol, database: str) -> str:
    """The protocol's search strings for a database, for the PRISMA-S record of the import."""
    found = [s for s in protocol.searches if s.database.casefold() == database.casefold()]
    return "\n\n".join(f"({s.id}) {' '.join(s.string.split())}" for s in found)


def _write(out: Path, relative: str, text: str, report: RunReport) -> None:
    path = out / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8", newline="")
    report.written.append(path)


def run_review(options: RunOptions, progress: Progress = lambda _s, _m: None) -> RunReport:
    report = RunReport()
    _check_names(options)
    for path in options.exports:
        if not path.is_file():
            raise SlrError(f"{path}: no such file", "check the paths of the exports")
    out = options.out
    location = options.store or out  # the review: OUT itself, or a PostgreSQL database
    started = time.perf_counter()
    progress("init", f"Opening {location}")
    review = _existing_review(location)
    try:
        protocol_file = options.protocol or _protocol_copy(review, location)
        protocol = load_protocol(protocol_file)
        protocol_bytes = protocol_file.read_bytes()
    except BaseException:
        if review is not None:
            review.close()
        raise
    sha256 = hashlib.sha256(protocol_bytes).hexdigest()
    if review is not None:
        copy = review.meta().get("protocol", "")
        if not copy or (review.path / copy).read_bytes() != protocol_bytes:
            review.close()
            raise SlrError(
                f"{location} holds a review made with another protocol",
                "give the same protocol, or another --out directory",
            )
    else:
        review = Review.create(location, protocol_file, protocol.title.strip())
        report.created = True
    out.mkdir(parents=True, exist_ok=True)  # (made by Review.create for a directory's review)
    progress("init", "done")
    report.timed("init", started)
    with review:
        for stage, action in (
            ("import", lambda: _import(review, protocol, options, report, progress)),
            ("dedup", lambda: _dedup(review, out, report, progress)),
            ("screen", lambda: _screen(review, protocol, sha256, report, progress)),
            ("tag", lambda: _tag(review, protocol, sha256, out, report, progress)),
            ("graphs", lambda: _graphs(review, protocol, out, report, progress)),
            ("prisma", lambda: _prisma(review, out, options.title, report, progress)),
            ("exports", lambda: _exports(review, out, report, progress)),
        ):
            started = time.perf_counter()
            action()
            report.timed(stage, started)
        _manifest(review, out, report)
    return report


def _manifest(review: Review, out: Path, report: RunReport) -> None:
    """OUT/outputs.md: the files this run wrote and the state of the review they show, its last
    change (a CSV, RIS or GraphML file has no place to say it)."""
    lines = [
        "# Outputs of the review",
        "",
        f"Generated from the review {generated_stamp(review)} (its last change). "
        f"`{_rerun(review, out)}` with no export files rewrites them from its "
        "current state.",
        "",
        *(f"- {path.relative_to(out).as_posix()}" for path in report.written),
        *(f"- not written: {failure.output} ({failure.hint})" for failure in report.failures),
    ]
    _write(out, OUTPUTS_MANIFEST, "\n".join(lines) + "\n", report)


def _rerun(review: Review, out: Path) -> str:
    """The command that refreshes the outputs in OUT."""
    store = f" --store {review.as_argument}" if review.in_database else ""
    return f"slr run --out {shlex.quote(str(out))}{store}"


def _existing_review(location: Path | str) -> Review | None:
    """The review at LOCATION, open; None when there is none yet (the run creates it)."""
    if not is_url(location) and not (Path(location) / DB_NAME).is_file():
        return None
    try:
        return Review.open(location)
    except ReviewNotFound:
        return None  # a database with no review of that name yet


def _protocol_copy(review: Review | None, location: Path | str) -> Path:
    """The protocol of the review, for a run that names none (a refresh)."""
    if review is None:
        raise SlrError(
            f"{location} holds no review yet",
            "give the protocol and the exports: slr run --protocol FILE EXPORT... --out DIR",
        )
    copy = review.meta().get("protocol", "")
    if not copy:
        raise SlrError(f"the review in {location} has no protocol", "pass --protocol FILE")
    return review.path / copy


def _prisma(review: Review, out: Path, title: str, report: RunReport, progress: Progress) -> None:
    progress("prisma", "Counting")
    named = f" --title {shlex.quote(title)}" if title else ""
    for fmt, relative in PRISMA_FILES:
        _attempt(
            report,
            relative,
            f"slr prisma --review {review.as_argument} --format {fmt}{named} "
            f"--out {out / relative}",
            lambda fmt, relative: _write(
                out, relative, render_prisma(review, fmt, title=title), report
            ),
            fmt,
            relative,
        )
    _attempt(
        report,
        "prisma/searches.md",
        f"slr prisma --review {review.as_argument} --searches --out {out / 'prisma/searches.md'}",
        lambda: _write(out, "prisma/searches.md", render_searches(review, "md"), report),
    )
    progress("prisma", "done")


def _exports(review: Review, out: Path, report: RunReport, progress: Progress) -> None:
    for stage, fmt, relative in EXPORTS:
        progress("exports", f"Writing {relative}")
        _attempt(
            report,
            relative,
            f"slr export --review {review.as_argument} --stage {stage} --format {fmt} "
            f"--out {out / relative}",
            lambda stage, fmt, relative: _write(
                out, relative, export_stage(review, stage, fmt)[0], report
            ),
            stage,
            fmt,
            relative,
        )
    progress("exports", "done")


def _import(
    review: Review, protocol: Protocol, options: RunOptions, report: RunReport, progress: Progress
) -> None:
    for path in options.exports:
        progress("import", f"Reading {path.name}")
        sha = hashlib.sha256(path.read_bytes()).hexdigest()
        if review.source_with_hash(sha) is not None:
            report.already.append(path.name)
            continue
        database = _key(path, options.databases)
        if not database:
            flavour = read_file(path).result.flavour
            database = DATABASE_OF_FLAVOUR.get(flavour, "")
        import_options = ImportOptions(
            database=_key(path, options.databases),
            method=_key(path, options.methods) or "database",
            search_string=_search_string(protocol, database) if database else "",
        )
        (outcome,) = import_files(review, [path], import_options)
        report.imported.append(path.name)
        report.rejected += [failure.describe(path.name) for failure in outcome.failures]
    progress("import", "done")


def _dedup(review: Review, out: Path, report: RunReport, progress: Progress) -> None:
    summary = deduplicate(review, Settings(), lambda message: progress("dedup", message))
    report.duplicates = summary.duplicates
    path = out / "dedup.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=dedup_store.REPORT_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(dedup_store.report_rows(review.db))
    report.written.append(path)
    progress("dedup", "done")


def _screen(
    review: Review, protocol: Protocol, sha256: str, report: RunReport, progress: Progress
) -> None:
    summary = screen_auto(
        review,
        protocol,
        protocol_sha256=sha256,
        progress=lambda message: progress("screen", message),
    )
    report.screened = summary.records
    progress("screen", "done")


def _tag(
    review: Review,
    protocol: Protocol,
    sha256: str,
    out: Path,
    report: RunReport,
    progress: Progress,
) -> None:
    progress("tag", "Tagging the records included at title/abstract")
    summary = _attempt(
        report,
        "tags",
        f"slr tag --review {review.as_argument}",
        lambda: tag_review(review, protocol, STUDIES, sha256),
    )
    if summary is not None:
        report.tagged = summary.records
    progress("tag", "done")


def _graphs(
    review: Review, protocol: Protocol, out: Path, report: RunReport, progress: Progress
) -> None:
    """The drivers' co-occurrence (synergies) and the direct citations of the run's STUDIES,
    as offline HTML pages and GraphML, with the synergy table; each file on its own."""
    if report.tagged == 0:
        report.stages_skipped["graphs"] = "no records included at title/abstract to draw"
        progress("graphs", "done")
        return
    folder = out / "graphs"
    folder.mkdir(exist_ok=True)

    def files(graph: nx.Graph, name: str, command: str) -> None:
        # the page, the figure and the GraphML each on its own: GraphML needs no layout
        for suffix in (".html", ".svg", ".graphml"):
            path = folder / f"{name}{suffix}"
            written = _attempt(
                report,
                f"graphs/{name}{suffix}",
                f"{command} -o {path}",
                render.write_graph,
                graph,
                path,
                "community",
            )
            if written is not None:
                report.written.append(path)
                note = written.partition("; ")[2]
                if note:
                    report.notes[path] = note

    vocabulary = "drivers" if "drivers" in protocol.vocabularies else None
    if vocabulary is None and protocol.vocabularies:
        vocabulary = next(iter(protocol.vocabularies))
    if vocabulary is not None:
        progress("graphs", f"{vocabulary} co-occurrence")
        command = f"slr graph cooccurrence --review {review.as_argument} --vocab {vocabulary}"
        table = f"graphs/{vocabulary}-synergies.csv"
        result = _attempt(
            report,
            f"graphs/{vocabulary}-cooccurrence.*",
            command,
            lambda: cooccurrence_graphs(review, protocol, STUDIES, vocabulary),
        )
        if result is not None:
            files(result.graphs[""], f"{vocabulary}-cooccurrence", command)
            _attempt(
                report,
                table,
                f"{command} --table {out / table}",
                lambda: _write(
                    out, table, render.synergy_csv(result.rows.get("", []), result.studies), report
                ),
            )
            for suffix in (".html", ".svg"):  # the synergy matrix: a page and a figure
                matrix = folder / f"{vocabulary}-matrix{suffix}"
                title = f"{vocabulary} synergy matrix ({STUDIES}, count)"
                if _attempt(
                    report,
                    f"graphs/{matrix.name}",
                    f"{command} --matrix {matrix}",
                    render.write_matrix,
                    {"": result.graphs[""]},
                    matrix,
                    title,
                ):
                    report.written.append(matrix)
    progress("graphs", "citations")
    command = f"slr graph citation --review {review.as_argument}"
    citations = _attempt(
        report,
        "graphs/citations.*",
        command,
        lambda: citation_graphs(review, protocol, STUDIES, "direct"),
    )
    if citations is not None:
        files(citations.graph, "citations", command)
    progress("graphs", "done")
