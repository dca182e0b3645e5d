"""`slr export`."""

from __future__ import annotations

from pathlib import Path

import click

from slr.cli.common import review_option
from slr.export import EXPORT_CHOICES
from slr.export.run import export_stage
from slr.export.stages import EXPORT_STAGES, STAGES_HELP
from slr.normalize.words import counted
from slr.store import Review


@click.command()
@review_option
@click.option(
    "--format",
    "format_name",
    type=click.Choice(sorted(EXPORT_CHOICES)),
    required=True,
    help="Output format (asreview: ASReview LAB's CSV, with label_included).",
)
@click.option(
    "--stage",
    type=click.Choice(EXPORT_STAGES),
    default="all",
    show_default=True,
    help=STAGES_HELP,
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write to this file (default: standard output).",
)
def export(review_dir: Path, format_name: str, stage: str, out: Path | None) -> None:
    """Export the records of a stage (default: every record of the review).

    CSV cells that start with =, +, - or @ get a leading apostrophe, so that a spreadsheet
    shows them as text instead of running them as formulas.
    """
    with Review.open(review_dir) as review:
        text, count = export_stage(review, stage, format_name)
    if out is None:
        click.echo(text, nl=False)
    else:
        out.write_text(text, encoding="utf-8", newline="")
        click.echo(f"Wrote {counted(count, 'record')} to {out}")


COMMANDS = (export,)
