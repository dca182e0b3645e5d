"""`slr fulltext`: attach reports (one by hand or a whole folder), read their text once, list
them, or record why a report could not be retrieved."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from slr.cli.common import review_option
from slr.errors import ExitCode, SlrError
from slr.fulltext.attach import ImportPlan, Planned, attach_one, plan_import, run_import
from slr.fulltext.extract import NO_TEXT_LAYER
from slr.store import Review
from slr.store import fulltext as store

force_option = click.option(
    "--force", is_flag=True, help="Attach even to a record excluded at title/abstract."
)


@click.group()
def fulltext() -> None:
    """Full texts for the full-text stage: attach PDFs (their text is read once, on attaching),
    or mark a report not retrieved."""


def _pages(pages: int) -> str:
    return f"{pages} page" + ("" if pages == 1 else "s")


def _kept(others: list[str], record_id: int, name: str) -> str:
    """The line that says a record now has several files, or ''."""
    if not others:
        return ""
    return f"Record {record_id} now has {len(others) + 1} full texts: {', '.join([*others, name])}"


@fulltext.command()
@review_option
@click.argument("record_id", type=int)
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@force_option
def attach(review_dir: Path, record_id: int, path: Path, force: bool) -> None:
    """Copy PATH (a PDF, or a .txt/.md text) into the review (fulltext/ID_NAME) as a full text
    of record RECORD_ID and store its text page by page.

    Another file for the same record is kept beside the first (main text and supplement); the
    same name again replaces it. A file that is not a PDF, a cut-short or password-protected
    PDF is refused; a PDF without a text layer is attached and flagged.
    """
    with Review.open(review_dir) as review:
        attached, extraction = attach_one(review, record_id, path, force)
    if attached.outcome == "unchanged":
        click.echo(f"{path.name} is already attached to record {record_id} ({attached.path})")
        return
    verb = "Replaced" if attached.outcome == "replaced" else "Attached"
    click.echo(f"{verb} {path.name} to record {record_id} ({attached.path})")
    for warning in extraction.warnings:
        click.echo(f"Warning: {path.name}: {warning}")
    if attached.was_missing:
        click.echo(f"Record {record_id} is no longer marked not retrieved ({attached.was_missing})")
    kept = _kept(attached.others, record_id, path.name)
    if kept:
        click.echo(kept)


def _candidates(plan: ImportPlan, planned: Planned) -> str:
    return "; ".join(f"#{rid} {plan.titles.get(rid, '')[:60]}" for rid in planned.match.candidates)


def _print_plan(plan: ImportPlan, dry_run: bool) -> None:
    matched, ambiguous = plan.matched(), plan.ambiguous()
    unmatched, refused = plan.unmatched(), plan.refused()
    would = "to attach" if dry_run else "attached"
    click.echo(f"Matched {len(matched)} ({would}):")
    for planned in matched:
        assert planned.extraction is not None
        rid = planned.match.record_id
        click.echo(
            f"  {planned.path.name} -> #{rid} by {planned.match.by}: {planned.match.evidence} "
            f"({_pages(len(planned.extraction.pages))})"
        )
        for warning in planned.extraction.warnings:
            click.echo(f"    Warning: {warning}")
        attached = planned.attached
        if attached is not None:
            if attached.outcome == "unchanged":
                click.echo("    already attached: nothing changed")
            elif attached.outcome == "replaced":
                click.echo(f"    replaced the earlier {planned.path.name}")
            kept = _kept(attached.others, rid or 0, planned.path.name)
            if kept:
                click.echo(f"    {kept}")
    click.echo(f"Ambiguous {len(ambiguous)} (not attached: `slr fulltext attach ID FILE`):")
    for planned in ambiguous:
        click.echo(f"  {planned.path.name}: {planned.match.evidence}: {_candidates(plan, planned)}")
    click.echo(f"Unmatched {len(unmatched)} (not attached: `slr fulltext attach ID FILE`):")
    for planned in unmatched:
        click.echo(f"  {planned.path.name}")
    click.echo(f"Refused {len(refused)}:")
    for planned in refused:
        click.echo(f"  {planned.refused}")
    if plan.skipped:
        click.echo(f"Skipped {len(plan.skipped)} (not .pdf or .txt): {', '.join(plan.skipped)}")


@fulltext.command(name="import")
@review_option
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Show what would be attached; attach nothing.")
@force_option
def import_(review_dir: Path, folder: Path, dry_run: bool, force: bool) -> None:
    """Attach every PDF (and .txt) in FOLDER to its record: by the DOI printed in it, else by
    its title and first author on its first two pages, else by its file name (first author and
    year).

    A file that fits several records is ambiguous and a file that fits none is unmatched: both
    are listed and left for `slr fulltext attach`. Exits with 3 when a file was not attached.
    """
    with Review.open(review_dir) as review:
        plan = plan_import(review, folder, force)
        if not dry_run:
            run_import(review, plan)
    _print_plan(plan, dry_run)
    if dry_run:
        click.echo("Dry run: nothing was attached")
    if plan.ambiguous() or plan.unmatched() or plan.refused():
        sys.exit(int(ExitCode.PARTIAL))


@fulltext.command()
@review_option
@click.argument("record_id", type=int)
@click.option("--reason", required=True, help="Why the report could not be retrieved.")
@click.option(
    "--detach", is_flag=True, help="Remove the record's attached files (they are deleted)."
)
def missing(review_dir: Path, record_id: int, reason: str, detach: bool) -> None:
    """Record that the report of RECORD_ID could not be retrieved (PRISMA "reports not
    retrieved"); the record leaves the full-text queue. A record with an attached full text is
    refused unless --detach."""
    if not reason.strip():
        raise click.UsageError("--reason must not be empty")
    with Review.open(review_dir) as review:
        review.get(record_id)
        attached = [row["original_name"] for row in store.files(review.db, record_id)]
        if attached and not detach:
            raise SlrError(
                f"record {record_id} has a full text attached ({', '.join(attached)}): it was "
                "retrieved, nothing changed",
                "pass --detach to remove the attached files and mark the report not retrieved",
            )
        removed = store.mark_missing(review.path, review.db, record_id, reason.strip(), detach)
    click.echo(f"Record {record_id}: report not retrieved ({reason.strip()})")
    if removed:
        click.echo(f"Detached and deleted: {', '.join(removed)}")


def _flag(row: dict[str, object]) -> str:
    """What the plain list says of a file whose text cannot be searched, else ''."""
    if row["text_layer"] is None:
        return "  (text not read: attached before slr read full texts; attach it again)"
    return "" if row["text_layer"] else f"  ({NO_TEXT_LAYER})"


@fulltext.command(name="list")
@review_option
@click.option("--json", "as_json", is_flag=True, help="One JSON object per attached file.")
def list_(review_dir: Path, as_json: bool) -> None:
    """List attached full texts and reports not retrieved; --json gives each file's pages,
    characters, text layer and how it was matched."""
    with Review.open(review_dir) as review:
        files = [dict(row) for row in store.files(review.db)]
        gone = store.not_retrieved(review.db)
    if as_json:
        objects = [
            {
                "record_id": row["record_id"],
                "file": row["original_name"],
                "pages": row["pages"],
                "chars": row["chars"],
                "text_layer": None if row["text_layer"] is None else bool(row["text_layer"]),
                "matched_by": row["matched_by"],
            }
            for row in files
        ]
        click.echo(json.dumps(objects, ensure_ascii=False, indent=2))
        return
    click.echo(f"Full texts: {len(files)} attached, {len(gone)} not retrieved")
    lines = [(row["record_id"], f"{row['path']}{_flag(row)}") for row in files]
    lines += [(row["record_id"], f"not retrieved: {row['missing_reason']}") for row in gone]
    for record_id, what in sorted(lines, key=lambda line: line[0]):
        click.echo(f"  {record_id:>6}  {what}")


COMMANDS = (fulltext,)
