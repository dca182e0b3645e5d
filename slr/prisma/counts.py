"""PRISMA 2020 counts derived from the store, checked, under the PRISMA2020 template's `data` ids.

Every record lands in exactly one box of one column, and the counts are the sizes of the boxes:

- The column: a record belongs to "databases and registers" (dbr) when its source's method is
  `database` or `register`, else to "other methods" (websites, organisations, citation
  searching). A cluster of duplicates is screened once, in the dbr column when any of its records
  came from a database or register.
- Identification: every entry of every export (`sources.records` + `sources.failures`). Entries
  that could not be read at import are "removed for other reasons"; records marked duplicate
  (`records.duplicate_of`) are "duplicates" (in the other-methods column, a record that
  duplicates a database record counts as `other_duplicates`: it was found already).
- Title/abstract (`slr.screening.status`, the one resolver): a rule's exclusion that no person
  overrode is "marked ineligible by automation tools" (or, with automation="screened", a screened
  record excluded by automation); a person's or a resolution's exclusion is "records excluded";
  an inclusion is a report sought for retrieval; maybe, conflict and awaiting are "awaiting a
  decision". Records nobody screened that `slr screen stop` excluded (the stopping rule met) are
  "marked ineligible by automation tools" in either mode: no person read them, and the
  diagram's note names the rule and the recall it guarantees.
- Full text: "not retrieved" (the fulltexts table), excluded with reasons, included, awaiting.

Studies and reports are one to one (slr keeps no link between several reports of one study).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from slr.errors import SlrError
from slr.normalize.words import counted
from slr.screening.status import DEFAULT_REVIEWERS, Status, resolve
from slr.screening.stop import STAGE as STOP_STAGE
from slr.screening.stop import stop_note
from slr.store.connection import Connection, Row
from slr.store.review import failure_places, record_origins, source_rows
from slr.store.screening import decision_snapshot, stop_of

DBR_METHODS = ("database", "register")
OTHER_RESULTS = {
    "website": "website_results",
    "organisation": "organisation_results",
    "citation-search": "citations_results",
    # "other" has no box of its own in the template: it is reported with the websites
    "other": "website_results",
}
AUTOMATION = ("removed", "screened")
NO_REASON = "No reason given"


class PrismaError(SlrError):
    """Counts that do not add up: the message names the records involved."""


@dataclass(slots=True)
class Column:
    """The boxes of one column; each holds record ids (or "source N line L" for failed entries)."""

    identified: Counter[str] = field(default_factory=Counter)  # database name or method -> n
    failed: list[str] = field(default_factory=list)
    duplicates: list[int] = field(default_factory=list)
    excluded_automatic: list[int] = field(default_factory=list)
    excluded_human: list[int] = field(default_factory=list)
    excluded_by_rules: list[int] = field(default_factory=list)  # automation="screened"
    not_screened: list[int] = field(default_factory=list)  # stopping rule met (in automatic)
    awaiting: list[int] = field(default_factory=list)
    sought: list[int] = field(default_factory=list)
    not_retrieved: list[int] = field(default_factory=list)
    assessed: list[int] = field(default_factory=list)
    excluded_reports: dict[str, list[int]] = field(default_factory=dict)
    excluded_reports_automatic: list[int] = field(default_factory=list)
    reports_awaiting: list[int] = field(default_factory=list)
    included: list[int] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.identified.values())

    @property
    def screened(self) -> list[int]:
        return sorted([*self.excluded_human, *self.excluded_by_rules, *self.awaiting, *self.sought])


@dataclass(slots=True)
class Counts:
    dbr: Column
    other: Column
    registers: Counter[str]
    databases: Counter[str]
    other_by_method: Counter[str]
    automation: str = "removed"
    stopping_note: str = ""  # the stop of title/abstract screening: its rule and recall

    def template(self) -> dict[str, Any]:
        """The counts under the template's `data` ids (reasons and databases as name -> n)."""
        d, o = self.dbr, self.other
        return {
            "previous_studies": 0,
            "previous_reports": 0,
            "database_results": sum(self.databases.values()),
            "database_specific_results": dict(_ranked(self.databases)),
            "register_results": sum(self.registers.values()),
            "register_specific_results": dict(_ranked(self.registers)),
            "website_results": self.other_by_method["website_results"],
            "organisation_results": self.other_by_method["organisation_results"],
            "citations_results": self.other_by_method["citations_results"],
            "duplicates": len(d.duplicates),
            "excluded_automatic": len(d.excluded_automatic),
            "excluded_other": len(d.failed),
            "records_screened": len(d.screened),
            "records_excluded": len(d.excluded_human) + len(d.excluded_by_rules),
            "dbr_sought_reports": len(d.sought),
            "dbr_notretrieved_reports": len(d.not_retrieved),
            "dbr_assessed": len(d.assessed),
            "dbr_excluded": _reasons(d),
            "other_sought_reports": len(o.sought),
            "other_notretrieved_reports": len(o.not_retrieved),
            "other_assessed": len(o.assessed),
            "other_excluded": _reasons(o),
            "new_studies": len(d.included) + len(o.included),
            "new_reports": len(d.included) + len(o.included),
            "total_studies": len(d.included) + len(o.included),
            "total_reports": len(d.included) + len(o.included),
        }

    def details(self) -> dict[str, Any]:
        """What the template has no box for: the human/automation split, what awaits a decision,
        and how the other-methods records were screened."""
        d, o = self.dbr, self.other
        return {
            "automation": self.automation,
            "records_excluded_human": len(d.excluded_human),
            "records_excluded_automatic": len(d.excluded_by_rules),
            "records_awaiting": len(d.awaiting),
            "records_not_screened_stopping": len(d.not_screened),
            "dbr_excluded_automatic": len(d.excluded_reports_automatic),
            "dbr_reports_awaiting": len(d.reports_awaiting),
            "dbr_included": len(d.included),
            "other_results": o.total,
            "other_duplicates": len(o.duplicates),
            "other_excluded_automatic": len(o.excluded_automatic),
            "other_excluded_other": len(o.failed),
            "other_records_screened": len(o.screened),
            "other_records_excluded": len(o.excluded_human) + len(o.excluded_by_rules),
            "other_records_awaiting": len(o.awaiting),
            "other_records_not_screened_stopping": len(o.not_screened),
            "other_excluded_automatic_reports": len(o.excluded_reports_automatic),
            "other_reports_awaiting": len(o.reports_awaiting),
            "other_included": len(o.included),
            **({"stopping_note": self.stopping_note} if self.stopping_note else {}),
        }

    def to_json(self) -> dict[str, Any]:
        return {**self.template(), "details": self.details()}


def _ranked(counter: Counter[str]) -> list[tuple[str, int]]:
    return sorted(counter.items(), key=lambda item: (-item[1], item[0]))


def _reasons(column: Column) -> dict[str, int]:
    return dict(
        sorted(
            ((reason, len(ids)) for reason, ids in column.excluded_reports.items()),
            key=lambda item: (-item[1], item[0]),
        )
    )


def _ids(values: list[int] | list[str], limit: int = 20) -> str:
    shown = ", ".join(str(v) for v in sorted(values)[:limit])
    return shown + (f" and {len(values) - limit} more" if len(values) > limit else "")


def prisma_counts(
    db: Connection,
    automation: str = "removed",
    reviewers: Mapping[str, int] = DEFAULT_REVIEWERS,
) -> Counts:
    """Count every box from the store and check that the counts add up (PrismaError if not);
    `reviewers`: how many must decide at each stage (the protocol's `[screening] reviewers`)."""
    if automation not in AUTOMATION:
        raise SlrError(f"unknown automation mode {automation!r}", f"use one of {AUTOMATION}")
    sources = {row["id"]: row for row in source_rows(db)}
    column_of_source = {
        sid: "dbr" if row["method"] in DBR_METHODS else "other" for sid, row in sources.items()
    }
    origins = record_origins(db)
    failures = failure_places(db)
    _check_sources(sources, origins, failures)
    source_of = {rid: sid for rid, sid, _kept in origins}
    duplicate_of = {rid: kept for rid, _sid, kept in origins if kept is not None}
    _check_duplicates(duplicate_of, source_of)

    counts = Counts(Column(), Column(), Counter(), Counter(), Counter(), automation)
    columns = {"dbr": counts.dbr, "other": counts.other}
    for sid, row in sources.items():
        n = row["records"] + row["failures"]
        name = (row["database"] or row["file_name"]).strip()
        if row["method"] == "register":
            counts.registers[name] += n
        elif row["method"] == "database":
            counts.databases[name] += n
        else:
            counts.other_by_method[OTHER_RESULTS[row["method"]]] += n
        columns[column_of_source[sid]].identified[name] += n
    for source_id, line in failures:
        columns[column_of_source[source_id]].failed.append(f"source {source_id} line {line}")

    # clusters: the kept record (duplicate_of IS NULL) and the records pointing at it
    members: dict[int, list[int]] = {rid: [rid] for rid in source_of if rid not in duplicate_of}
    for rid, kept in duplicate_of.items():
        members[kept].append(rid)
    column_of: dict[int, str] = {}
    for kept, ids in members.items():
        in_dbr = any(column_of_source[source_of[rid]] == "dbr" for rid in ids)
        column = "dbr" if in_dbr else "other"
        column_of[kept] = column
        # one record of the column stands for the cluster; every other record is a duplicate
        own = [rid for rid in ids if column_of_source[source_of[rid]] == column]
        stands = kept if kept in own else min(own)
        for rid in ids:
            if rid != stands:
                columns[column_of_source[source_of[rid]]].duplicates.append(rid)

    statuses = resolve(decision_snapshot(db), reviewers)
    title_abstract, full_text = statuses.title_abstract, statuses.full_text
    for rid, status in title_abstract.items():
        box = columns[column_of[rid]]
        if status.status == "exclude":
            if status.by == "stopping":
                box.excluded_automatic.append(rid)
                box.not_screened.append(rid)
            elif status.by != "rules":
                box.excluded_human.append(rid)
            elif automation == "removed":
                box.excluded_automatic.append(rid)
            else:
                box.excluded_by_rules.append(rid)
        elif status.status == "include":
            box.sought.append(rid)
            _full_text(box, rid, full_text.get(rid))
        else:  # maybe, conflict, awaiting
            box.awaiting.append(rid)
    _check(counts, title_abstract, source_of)
    stop = stop_of(db, STOP_STAGE)
    if stop is not None:
        counts.stopping_note = stop_note(stop)
    return counts


def _full_text(column: Column, rid: int, status: Status | None) -> None:
    if status is None:  # not at the full-text stage: the check below names the record
        return
    if status.status == "not retrieved":
        column.not_retrieved.append(rid)
        return
    column.assessed.append(rid)
    if status.status == "include":
        column.included.append(rid)
    elif status.status == "exclude":
        column.excluded_reports.setdefault(_reason_label(status.reason), []).append(rid)
        if status.by == "rules":
            column.excluded_reports_automatic.append(rid)
    else:
        column.reports_awaiting.append(rid)


def _reason_label(reason: str) -> str:
    # the template separates reasons with ";" and a reason from its count with ","
    cleaned = " ".join(reason.replace(";", " -").replace(",", " -").split())
    return cleaned or NO_REASON


def _check_sources(
    sources: dict[int, Row],
    origins: list[tuple[int, int, int | None]],
    failures: list[tuple[int, int]],
) -> None:
    stored = Counter(source_id for _rid, source_id, _kept in origins)
    failed = Counter(source_id for source_id, _line in failures)
    wrong = [
        f"source {sid} ({row['file_name']}): {counted(row['records'], 'record')} and "
        f"{counted(row['failures'], 'rejected entry')} imported, {stored[sid]} and "
        f"{failed[sid]} stored"
        for sid, row in sources.items()
        if stored[sid] != row["records"] or failed[sid] != row["failures"]
    ]
    orphans = sorted(set(stored) - set(sources))
    if orphans:
        wrong.append(f"records of unknown sources {_ids(orphans)}")
    if wrong:
        raise PrismaError(
            "the records identified do not add up: " + "; ".join(wrong),
            "the review's records were changed outside slr; re-import the sources",
        )


def _check_duplicates(duplicate_of: dict[int, int], source_of: dict[int, int]) -> None:
    dangling = sorted(rid for rid, kept in duplicate_of.items() if kept not in source_of)
    chained = sorted(rid for rid, kept in duplicate_of.items() if kept in duplicate_of)
    problems = []
    if dangling:
        problems.append(f"records {_ids(dangling)} are duplicates of records that do not exist")
    if chained:
        problems.append(f"records {_ids(chained)} are duplicates of records marked duplicate")
    if problems:
        raise PrismaError(
            "duplicates do not add up: " + "; ".join(problems),
            "run `slr dedup` again to rebuild the clusters",
        )


def _check(counts: Counts, title_abstract: dict[int, Status], source_of: dict) -> None:
    """The arithmetic of the diagram, column by column; a failure names the records."""
    problems: list[str] = []
    unique = set(title_abstract)
    for name, column in (("databases and registers", counts.dbr), ("other methods", counts.other)):
        removed = (
            len(column.duplicates)
            + len(column.excluded_automatic)
            + len(column.failed)
            + len(column.screened)
        )
        if column.total != removed:
            problems.append(
                f"{name}: {column.total} identified but {len(column.duplicates)} duplicates + "
                f"{len(column.excluded_automatic)} ineligible by automation + "
                f"{len(column.failed)} removed for other reasons + {len(column.screened)} "
                f"screened = {removed} (records screened: {_ids(column.screened)})"
            )
        if len(column.sought) != len(column.not_retrieved) + len(column.assessed):
            problems.append(
                f"{name}: reports sought {_ids(column.sought)} are not the reports not "
                f"retrieved {_ids(column.not_retrieved)} and assessed {_ids(column.assessed)}"
            )
        excluded = [rid for ids in column.excluded_reports.values() for rid in ids]
        decided = sorted([*excluded, *column.included, *column.reports_awaiting])
        if sorted(column.assessed) != decided:
            odd = sorted(set(column.assessed) ^ set(decided))
            problems.append(f"{name}: reports assessed and decided differ on records {_ids(odd)}")
    placed = counts.dbr.screened + counts.dbr.excluded_automatic
    placed += counts.other.screened + counts.other.excluded_automatic
    if sorted(placed) != sorted(unique):
        odd = sorted(set(placed) ^ unique)
        problems.append(f"records {_ids(odd)} are not screened exactly once")
    if len(unique) + len(counts.dbr.duplicates) + len(counts.other.duplicates) != len(source_of):
        problems.append(
            f"{counted(len(source_of), 'record')} stored but {len(unique)} unique and "
            f"{counted(len(counts.dbr.duplicates) + len(counts.other.duplicates), 'duplicate')}"
        )
    if problems:
        raise PrismaError("the PRISMA counts do not add up: " + "; ".join(problems))
