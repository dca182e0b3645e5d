"""Import export files into a review: every file is checked first, then all are stored at once."""

from __future__ import annotations

import gc
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from slr.errors import ImportRefused, SlrError
from slr.importers import FileImport, LoadedFile, load_file, parse_loaded
from slr.importers.asreview import asreview_labels
from slr.models import Failure, ImportWarning, ParseResult
from slr.normalize.words import counted
from slr.store import Review
from slr.store.review import SourceInfo
from slr.store.screening import ReviewerDecision, store_human_decisions

# The database a vendor's export comes from, when the user does not name it.
DATABASE_OF_FLAVOUR = {
    "scopus": "Scopus",
    "wos": "Web of Science Core Collection",
    "zoorec": "Zoological Record",
    "biosis": "BIOSIS Citation Index",
    "derwent": "Derwent Innovations Index",
    "wos-medline": "MEDLINE (Web of Science)",
    "cscd": "Chinese Science Citation Database",
    "scielo": "SciELO Citation Index",
    "kci": "KCI-Korean Journal Database",
    "rsci": "Russian Science Citation Index",
    "current-contents": "Current Contents Connect",
    "inspec": "Inspec",
    "eric": "ERIC",
    "medline": "MEDLINE",
    "psycinfo": "APA PsycInfo",
    "springer": "SpringerLink",
    "semantic-scholar": "Semantic Scholar",
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
    warnings: list[ImportWarning] = field(default_factory=list)
    copy: Path = Path()  # the verbatim copy in the review's sources/
    labels: int = 0  # ASReview labels stored as decisions of the reviewer named after the file


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
        _refuse_if_imported(review, path.name, loaded.sha256)
        if loaded.sha256 in seen:
            raise ImportRefused(
                f"{path.name} is the same file as {seen[loaded.sha256].name}",
                "name each file once, or use --again",
            )
    seen[loaded.sha256] = path
    return loaded


def _refuse_if_imported(review: Review, file_name: str, sha256: str) -> None:
    """Checked when a file is read, and again when it is stored: another command may have
    imported the same file meanwhile."""
    earlier = review.source_with_hash(sha256)
    if earlier is not None:
        raise ImportRefused(
            f"{file_name} was already imported as source {earlier['id']} "
            f"({earlier['file_name']}, {earlier['imported_at']})",
            "use --again to import it a second time",
        )


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

    Every file is read and parsed first, with the review open to every other command; then all
    are stored in one short transaction, so a refused file changes nothing and a reviewer's key
    press waits at most for the storing.
    """
    options = options or ImportOptions()
    _check_options(options)
    seen: dict[str, Path] = {}
    parsed: list[_Parsed] = []
    # The cyclic GC would rescan every record built so far, again and again: 20-30% of an
    # import's time; records hold no cycles, so it can wait until the import is done.
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        for path in paths:
            loaded = _load_checked(review, path, options, progress, seen)
            parsed.append(_parse(loaded, options, progress))
        outcomes = []
        with review.import_transaction(sum(p.info.size for p in parsed)):
            for item in parsed:
                if not options.again:
                    _refuse_if_imported(review, item.info.file_name, item.info.sha256)
                outcomes.append(_store(review, item, progress))
    finally:
        if gc_was_enabled:
            gc.enable()
    return outcomes


def _database(flavour: str, options: ImportOptions) -> str:
    return options.database or DATABASE_OF_FLAVOUR.get(flavour, "")


def _source_info(
    loaded: LoadedFile, flavour: str, warnings: list[ImportWarning], options: ImportOptions
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


def _unknown_database(info: SourceInfo) -> list[ImportWarning]:
    if info.database:
        return []
    message = "the database is not known; name it with --database for the PRISMA-S record"
    return [ImportWarning(0, "database-unknown", message, info.file_name)]


@dataclass(slots=True)
class _Parsed:
    """A file read and parsed, waiting to be stored."""

    info: SourceInfo
    result: ParseResult
    labels: list[str | None]  # per record: an ASReview label as a decision, or None


def _parse(loaded: LoadedFile, options: ImportOptions, progress: Progress) -> _Parsed:
    imported: FileImport = parse_loaded(loaded, options.column_map)
    result = imported.result
    _refuse_if_nothing(loaded.path, loaded.format.name, len(result.records), result.failures)
    info = _source_info(loaded, result.flavour, result.warnings, options)
    info.warnings += _unknown_database(info)
    loaded.decoded.text = ""  # parsed: only the records are needed now
    progress(f"Parsed {counted(len(result.records), 'record', grouped=True)} of {info.file_name}")
    return _Parsed(info, result, _labels(loaded, result))


def _labels(loaded: LoadedFile, result: ParseResult) -> list[str | None]:
    """The ASReview labels of a labelled CSV, TSV, Excel or RIS file; [] for any other."""
    if result.flavour == "asreview":
        labels = asreview_labels(result.records, tabular=True)
    elif loaded.format.name == "ris":
        labels = asreview_labels(result.records, tabular=False)
    else:
        return []
    return labels if any(labels) else []


def _store(review: Review, parsed: _Parsed, progress: Progress) -> ImportOutcome:
    info, result = parsed.info, parsed.result
    progress(f"Storing {counted(len(result.records), 'record', grouped=True)} of {info.file_name}")
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
    if parsed.labels:
        outcome.labels = _store_labels(review, source_id, info.file_name, parsed.labels)
    return outcome


def _store_labels(review: Review, source_id: int, reviewer: str, labels: list[str | None]) -> int:
    """A review started in ASReview carries over: its labels become title/abstract decisions
    of a reviewer named after the file, in the import's own transaction."""
    decisions = [
        ReviewerDecision(record_id, reviewer, label)
        for record_id, label in zip(review.record_ids(source_id), labels, strict=True)
        if label
    ]
    store_human_decisions(
        review.db, "title_abstract", decisions, change=False, within_transaction=True
    )
    return len(decisions)
