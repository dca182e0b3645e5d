"""`slr init`, `slr status`, `slr show`."""

from __future__ import annotations

import json
import shlex
from dataclasses import asdict
from pathlib import Path
from typing import Any

import click

from slr.cli.common import review_option
from slr.models import STAGES
from slr.normalize.words import counted
from slr.protocol import load_protocol
from slr.reporting import record_details, record_history, review_status
from slr.store import Review
from slr.store.connection import is_url
from slr.store.history import log_entries


@click.command()
@click.argument("directory", required=False, type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--store",
    metavar="URL",
    help="Create the review in PostgreSQL instead of a directory: "
    "postgresql://USER@HOST/DB#SCHEMA (one schema per review; default schema: review). The "
    "imported files, full texts and protocol are kept in the database too.",
)
@click.option(
    "--protocol",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The review protocol (TOML); a copy is kept in the review.",
)
@click.option(
    "--title",
    default="",
    help="The review's title (default: the protocol's [review] title, else the directory's or "
    "schema's name).",
)
def init(directory: Path | None, store: str | None, protocol: Path | None, title: str) -> None:
    """Create a review in DIRECTORY (its database, protocol copy and sources/ folder), or in a
    PostgreSQL database with --store URL, where every command then finds it with --review URL
    (or SLR_REVIEW=URL)."""
    if (directory is None) == (store is None):
        raise click.UsageError("give the review's DIRECTORY or --store URL (one of them)")
    if store is not None and not is_url(store):
        raise click.UsageError(f"--store takes a postgresql:// URL, not {store!r}")
    location: Path | str = directory if directory is not None else str(store)
    if protocol is not None and protocol.is_file():
        # an invalid protocol is refused before anything is created
        title = title or load_protocol(protocol).title.strip()
    with Review.create(location, protocol, title) as review:
        meta = review.meta()
        shown, argument = review.shown, review.as_argument  # (a URL without its password)
    click.echo(f"Created review {meta['title']!r} in {shown}")
    if meta["protocol"]:
        click.echo(f"Protocol: {meta['protocol_original']} (copied to {meta['protocol']})")
    click.echo(f"Next: slr import --review {argument} EXPORT_FILE...")


@click.command()
@review_option
@click.option("--json", "as_json", is_flag=True, help="Print a JSON object instead of a table.")
def status(review_dir: Path, as_json: bool) -> None:
    """Counts per source and per stage."""
    with Review.open(review_dir) as review:
        report = review_status(review)
    if as_json:
        click.echo(json.dumps(report, ensure_ascii=False, indent=2))
        return
    click.echo(f"Review: {report['review']['title']}")
    if report["review"]["protocol"]:
        click.echo(f"Protocol: {report['review']['protocol']}")
    sources = report["sources"]
    click.echo(f"Sources: {len(sources)}")
    if sources:
        header = ("id", "file", "format", "database", "searched on", "records", "rejected")
        rows = [
            (
                str(s["id"]),
                s["file"],
                s["format"],
                s["database"] or "-",
                s["searched_on"] or "-",
                str(s["records"]),
                str(s["failures"]),
            )
            for s in sources
        ]
        widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
        right = {0, 5, 6}
        for row in [header, *rows]:
            cells = [
                c.rjust(w) if i in right else c.ljust(w)
                for i, (c, w) in enumerate(zip(row, widths, strict=True))
            ]
            click.echo("  " + "  ".join(cells).rstrip())
    stages = report["stages"]
    click.echo("Records:")
    width = max(len(name) for name in stages)
    for name, count in stages.items():
        click.echo(f"  {name.ljust(width)}  {count:>6}")
    outputs = report["outputs"]
    if outputs is not None:
        state = "up to date" if outputs["current"] else "the review changed since"
        click.echo(f"Outputs (prisma/, graphs/, exports/): {outputs['as_of']}, {state}")
        if not outputs["current"]:
            click.echo(f"  refresh them: slr run --out {shlex.quote(str(review_dir))}")
    waiting = report["waiting_for_a_reviewer"]
    if any(waiting.values()):
        click.echo("Waiting for a reviewer:")
        for stage, count in waiting.items():
            if count:
                command = "slr screen" + ("" if stage == STAGES[0] else f" --stage {stage}")
                click.echo(f"  {stage}: {counted(count, 'record')} (`{command}`)")


@click.command()
@review_option
@click.argument("record_id", type=int)
@click.option("--raw", is_flag=True, help="Also print every original field of the export.")
@click.option("--json", "as_json", is_flag=True, help="Print the record as JSON.")
def show(review_dir: Path, record_id: int, raw: bool, as_json: bool) -> None:
    """Show one record: its fields, identifiers and where it came from, then its history: every
    decision (rules' with the words they matched, reviewers' with their notes, resolutions),
    its tags with their evidence, its full text, and the duplicates merged into it."""
    with Review.open(review_dir) as review:
        details = record_details(review.get(record_id), include_raw=raw or as_json)
        history = record_history(review, record_id)
    if as_json:
        click.echo(json.dumps({**details, "history": history}, ensure_ascii=False, indent=2))
        return
    _print_details(details)
    _print_history(history)


def _print_details(details: dict[str, Any]) -> None:
    for key, value in details.items():
        if key == "raw":
            click.echo("raw:")
            for name, original in value.items():
                click.echo(f"  {name}: {json.dumps(original, ensure_ascii=False)}")
        elif isinstance(value, list):
            if value:
                click.echo(f"{key}:")
                for item in value:
                    click.echo(f"  - {item}")
        elif isinstance(value, dict):
            if value:
                click.echo(f"{key}: " + ", ".join(f"{k}={v}" for k, v in value.items()))
        elif value not in ("", None):
            click.echo(f"{key}: {value}")


def _when(at: str) -> str:
    return at[:16].replace("T", " ")  # to the minute: "2026-01-05 14:03"


def _print_history(history: dict[str, Any]) -> None:
    decisions = history["decisions"]
    click.echo("decisions:" if decisions else "decisions: none yet")
    for item in decisions:
        by = item["by"].removeprefix("auto:")
        who = f"rule {by}" if item["by"].startswith("auto:") else by
        line = f"  {item['stage']}: {item['decision']} by {who}"
        if item["reason"]:
            line += f" ({item['reason']})"
        click.echo(f"{line}, {_when(item['at'])}")
        for matched in item["matched"]:
            click.echo(f"      matched {matched}")
        if item["note"]:
            click.echo(f"      note: {item['note']}")
    for item in history["resolutions"]:
        reason = f" ({item['reason']})" if item["reason"] else ""
        click.echo(
            f"  {item['stage']}: resolved as {item['decision']}{reason} by "
            f"{item['resolved_by']}, {_when(item['decided_at'])}"
        )
        if item["note"]:
            click.echo(f"      note: {item['note']}")
    for item in history["notes"]:
        click.echo(f"  {item['stage']}: note by {item['reviewer']}: {item['note']}")
    tags = history["tags"]
    click.echo("tags:" if tags else "tags: none")
    for item in tags:
        click.echo(f"  - {item['tag']} ({'; '.join(item['evidence'])})")
    full_text = history["full_text"]
    if full_text["not_retrieved"]:
        click.echo(f"full text: not retrieved ({full_text['not_retrieved']})")
    elif not full_text["files"]:
        click.echo("full text: none attached")
    for item in full_text["files"]:
        click.echo(f"full text: {item['path']} (from {item['file']}, {_when(item['at'])})")
    merged = history["duplicates_merged"]
    if merged:
        click.echo("duplicates merged into it:")
        for item in merged:
            click.echo(f"  - #{item['id']} from {item['file']}: {item['title']}")


@click.command(name="log")
@review_option
@click.option("--record", "record_id", type=int, help="Only the changes about this record.")
@click.option(
    "--limit", type=click.IntRange(min=1), help="Only the last N changes (default: every one)."
)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list instead of lines.")
def log_command(review_dir: Path, record_id: int | None, limit: int | None, as_json: bool) -> None:
    """The review's audit log, oldest first: every change the database recorded (imports,
    duplicates, decisions, tags, full texts), one line each, with when it happened."""
    with Review.open(review_dir) as review:
        if record_id is not None:
            review.get(record_id)  # an unknown record is an error, not an empty log
        entries = log_entries(review.db, record_id, limit)
    if as_json:
        click.echo(json.dumps([asdict(entry) for entry in entries], ensure_ascii=False, indent=2))
        return
    for entry in entries:
        what = f"{entry.action} {entry.entity}" + (
            f" {entry.entity_id}" if entry.entity_id is not None else ""
        )
        detail = ", ".join(f"{key}={_short(value)}" for key, value in entry.detail.items())
        click.echo(f"#{entry.id} {entry.at[:19].replace('T', ' ')}  {what}: {detail}".rstrip(": "))
    if not entries:
        click.echo("No change logged" + (f" about record {record_id}" if record_id else ""))


def _short(value: Any, width: int = 60) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= width else text[: width - 1] + "…"


COMMANDS = (init, status, show, log_command)
