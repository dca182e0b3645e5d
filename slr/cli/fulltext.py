"""`slr fulltext`: attach the report of a record, or record why it could not be retrieved."""

from __future__ import annotations

from pathlib import Path

import click

from slr.cli.common import review_option
from slr.store import Review
from slr.store import screening as store


@click.group()
def fulltext() -> None:
    """Full texts for the full-text stage: attach a file, or mark a report not retrieved."""


@fulltext.command()
@review_option
@click.argument("record_id", type=int)
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def attach(review_dir: Path, record_id: int, path: Path) -> None:
    """Copy PATH into the review (fulltext/ID_NAME) as the full text of record RECORD_ID.

    `slr screen --stage full_text` opens it with the system viewer on the `o` key.
    """
    with Review.open(review_dir) as review:
        review.get(record_id)  # an unknown id is an error
        stored = store.attach_fulltext(review.path, review.db, record_id, path)
    click.echo(f"Attached {path.name} to record {record_id} ({stored})")


@fulltext.command()
@review_option
@click.argument("record_id", type=int)
@click.option("--reason", required=True, help="Why the report could not be retrieved.")
def missing(review_dir: Path, record_id: int, reason: str) -> None:
    """Record that the report of RECORD_ID could not be retrieved (PRISMA "reports not
    retrieved"); the record leaves the full-text queue."""
    if not reason.strip():
        raise click.UsageError("--reason must not be empty")
    with Review.open(review_dir) as review:
        review.get(record_id)
        store.set_fulltext(review.db, record_id, missing_reason=reason.strip())
    click.echo(f"Record {record_id}: report not retrieved ({reason.strip()})")


@fulltext.command(name="list")
@review_option
def list_(review_dir: Path) -> None:
    """List attached full texts and reports not retrieved."""
    with Review.open(review_dir) as review:
        rows = store.fulltext_rows(review.db)
    attached = [r for r in rows if r["path"]]
    click.echo(f"Full texts: {len(attached)} attached, {len(rows) - len(attached)} not retrieved")
    for row in rows:
        what = row["path"] if row["path"] else f"not retrieved: {row['missing_reason']}"
        click.echo(f"  {row['record_id']:>6}  {what}")


COMMANDS = (fulltext,)
