"""`slr run`: the whole review, non-interactively, stage by stage, into one directory.

init → import → dedup → screen auto → tag → graphs → PRISMA → exports. The directory is the
review itself (review.db, protocol.toml, sources/) plus what the run writes: dedup.csv, prisma/,
graphs/ and exports/. Running again on the same directory and inputs imports nothing twice,
keeps every reviewer's decision, and writes the same files byte for byte.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from slr.errors import SlrError
from slr.export.run import export_stage
from slr.importing import ImportOptions, import_files
from slr.prisma.render import render_prisma, render_searches
from slr.protocol import Protocol, load_protocol
from slr.store import Review
from slr.store.review import DB_NAME

STAGES = ("init", "import", "dedup", "screen", "tag", "graphs", "prisma", "exports")
EXPORTS = (
    ("included", "ris", "exports/included.ris"),
    ("included", "bibtex", "exports/included.bib"),
    ("included", "csv", "exports/included.csv"),
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


@dataclass(slots=True)
class RunOptions:
    protocol: Path
    exports: Sequence[Path]
    out: Path
    methods: Mapping[str, str] = field(default_factory=dict)  # file name -> method
    databases: Mapping[str, str] = field(default_factory=dict)  # file name -> database


@dataclass(slots=True)
class RunReport:
    created: bool = False
    imported: list[str] = field(default_factory=list)
    already: list[str] = field(default_factory=list)
    rejected_entries: int = 0
    duplicates: int = 0
    screened: int = 0
    tagged: int | None = None
    stages_skipped: dict[str, str] = field(default_factory=dict)  # stage -> why
    written: list[Path] = field(default_factory=list)


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
    protocol = load_protocol(options.protocol)
    protocol_bytes = options.protocol.read_bytes()
    sha256 = hashlib.sha256(protocol_bytes).hexdigest()
    out = options.out

    progress("init", f"Opening {out}")
    if (out / DB_NAME).is_file():
        review = Review.open(out)
        copy = review.meta().get("protocol", "")
        if not copy or (out / copy).read_bytes() != protocol_bytes:
            review.close()
            raise SlrError(
                f"{out} holds a review made with another protocol",
                "give the same protocol, or another --out directory",
            )
    else:
        review = Review.create(out, options.protocol)
        report.created = True
    progress("init", "done")
    with review:
        _import(review, protocol, options, report, progress)
        _dedup(review, out, report, progress)
        _screen(review, protocol, sha256, report, progress)
        _tag(review, protocol, sha256, report, progress)
        _graphs(review, protocol, out, report, progress)
        progress("prisma", "Counting")
        for fmt, relative in PRISMA_FILES:
            _write(out, relative, render_prisma(review, fmt), report)
        _write(out, "prisma/searches.md", render_searches(review, "md"), report)
        progress("prisma", "done")
        for stage, fmt, relative in EXPORTS:
            progress("exports", f"Writing {relative}")
            text, _count = export_stage(review, stage, fmt)
            _write(out, relative, text, report)
        progress("exports", "done")
    return report


def _import(
    review: Review, protocol: Protocol, options: RunOptions, report: RunReport, progress: Progress
) -> None:
    from slr.importers import read_file

    for path in options.exports:
        progress("import", f"Reading {path.name}")
        sha = hashlib.sha256(path.read_bytes()).hexdigest()
        if review.source_with_hash(sha) is not None:
            report.already.append(path.name)
            continue
        database = _key(path, options.databases)
        if not database:
            from slr.importing import DATABASE_OF_FLAVOUR

            flavour = read_file(path).result.flavour
            database = DATABASE_OF_FLAVOUR.get(flavour, "")
        import_options = ImportOptions(
            database=_key(path, options.databases),
            method=_key(path, options.methods) or "database",
            search_string=_search_string(protocol, database) if database else "",
        )
        (outcome,) = import_files(review, [path], import_options)
        report.imported.append(path.name)
        report.rejected_entries += len(outcome.failures)
    progress("import", "done")


def _dedup(review: Review, out: Path, report: RunReport, progress: Progress) -> None:
    import csv

    from slr.dedup import Settings, deduplicate
    from slr.store import dedup as dedup_store

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
    from slr.screening.run import screen_auto

    summary = screen_auto(
        review,
        protocol,
        protocol_sha256=sha256,
        progress=lambda message: progress("screen", message),
    )
    report.screened = summary.records
    progress("screen", "done")


def _tag(
    review: Review, protocol: Protocol, sha256: str, report: RunReport, progress: Progress
) -> None:
    from slr.tagging.run import tag_review

    progress("tag", "Tagging the included records")
    summary = tag_review(review, protocol, "included", sha256)
    report.tagged = summary.records
    progress("tag", "done")


def _graphs(
    review: Review, protocol: Protocol, out: Path, report: RunReport, progress: Progress
) -> None:
    """The drivers' co-occurrence (synergies) and the direct citations of the included studies,
    as offline HTML pages and GraphML, with the synergy table."""
    try:
        from slr.graphs import citation_graphs, cooccurrence_graphs, render
    except ImportError as error:  # pragma: no cover - graphs are part of the package
        report.stages_skipped["graphs"] = f"slr.graphs is not available ({error})"
        progress("graphs", "done")
        return
    folder = out / "graphs"
    folder.mkdir(exist_ok=True)
    vocabulary = "drivers" if "drivers" in protocol.vocabularies else None
    if vocabulary is None and protocol.vocabularies:
        vocabulary = next(iter(protocol.vocabularies))
    if vocabulary is not None:
        progress("graphs", f"{vocabulary} co-occurrence")
        result = cooccurrence_graphs(review, protocol, "included", vocabulary)
        graph = result.graphs[""]
        for suffix in (".html", ".graphml"):
            path = folder / f"{vocabulary}-cooccurrence{suffix}"
            render.write_graph(graph, path, "community")
            report.written.append(path)
        _write(
            out,
            f"graphs/{vocabulary}-synergies.csv",
            render.synergy_csv(result.rows.get("", []), result.studies),
            report,
        )
    progress("graphs", "citations")
    citations = citation_graphs(review, protocol, "included", "direct")
    for suffix in (".html", ".graphml"):
        path = folder / f"citations{suffix}"
        render.write_graph(citations.graph, path, "community")
        report.written.append(path)
    progress("graphs", "done")
