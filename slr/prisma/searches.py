"""The PRISMA-S summary of the searches: per imported source, its database, method, search
string, date and the number of records it returned (entries slr could not read included)."""

from __future__ import annotations

import io
import json
from dataclasses import asdict, dataclass

from slr.cells import markdown_cell, safe_csv_writer
from slr.normalize.words import counted
from slr.store.connection import Connection
from slr.store.review import source_rows

COLUMNS = ("source", "file", "database", "method", "search_string", "searched_on", "records")


@dataclass(slots=True)
class Search:
    source: int
    file: str
    database: str
    method: str
    search_string: str
    searched_on: str
    records: int
    rejected: int
    sha256: str


def searches(db: Connection) -> list[Search]:
    return [
        Search(
            row["id"],
            row["file_name"],
            row["database"],
            row["method"],
            row["search_string"],
            row["searched_on"],
            row["records"] + row["failures"],
            row["failures"],
            row["sha256"],
        )
        for row in source_rows(db)
    ]


def searches_json(items: list[Search]) -> str:
    return json.dumps([asdict(s) for s in items], indent=2, ensure_ascii=False) + "\n"


def searches_csv(items: list[Search]) -> str:
    out = io.StringIO()
    writer = safe_csv_writer(out)
    writer.writerow((*COLUMNS, "rejected", "sha256"))
    for s in items:
        writer.writerow((*(getattr(s, c) for c in COLUMNS), s.rejected, s.sha256))
    return out.getvalue()


def _md(value: str) -> str:
    return markdown_cell(value) or "-"


def searches_markdown(items: list[Search]) -> str:
    lines = [
        "| Source | File | Database | Method | Search string | Date | Records |",
        "|---:|---|---|---|---|---|---:|",
    ]
    for s in items:
        records = f"{s.records} ({s.rejected} unreadable)" if s.rejected else str(s.records)
        lines.append(
            f"| {s.source} | {_md(s.file)} | {_md(s.database)} | {_md(s.method)} | "
            f"{_md(s.search_string)} | {_md(s.searched_on)} | {records} |"
        )
    total = counted(sum(s.records for s in items), "record")
    lines.append(f"\nTotal: {total} from {counted(len(items), 'source')}.")
    return "\n".join(lines) + "\n"
