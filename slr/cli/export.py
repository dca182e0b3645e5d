"""`slr export`."""

from __future__ import annotations

from pathlib import Path

import click

from slr.cli.common import review_option
from slr.export import EXPORT_FORMATS, write_records
from slr.store import Review


@click.command()
@review_option
@click.option(
    "--format",
    "format_name",
    type=click.Choice(sorted(EXPORT_FORMATS)),
    required=True,
    help="Output format.",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write to this file (default: standard output).",
)
def export(review_dir: Path, format_name: str, out: Path | None) -> None:
    """Export every record of the review."""
    with Review.open(review_dir) as review:
        text = write_records(review.iter_records(), format_name)
        count = review.record_count()
    if out is None:
        click.echo(text, nl=False)
    else:
        out.write_text(text, encoding="utf-8", newline="")
        click.echo(f"Wrote {count} records to {out}")


COMMANDS = (export,)
