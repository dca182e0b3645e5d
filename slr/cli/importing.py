"""`slr import`."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from slr.cli.common import progress_reporter, review_option
from slr.errors import ExitCode, SlrError
from slr.importers import FORMATS
from slr.importing import METHODS, ImportOptions, import_files
from slr.normalize.words import counted
from slr.store import Review


def _parse_map(values: tuple[str, ...]) -> dict[str, str]:
    mapping = {}
    for value in values:
        field, sep, column = value.partition("=")
        if not sep or not field.strip() or not column.strip():
            raise SlrError(
                f"--map {value!r} is not FIELD=COLUMN", 'write it like --map title="Article Title"'
            )
        mapping[field.strip()] = column.strip()
    return mapping


def _formats_help() -> str:
    names = sorted(FORMATS)
    width = max(map(len, names))
    lines = [f"  {name:{width}}  {FORMATS[name].description}" for name in names]
    return (
        "\b\nFormats, detected from the content (name one with --format):\n"
        + "\n".join(lines)
        + "\n  Excel workbooks (.xlsx): the first sheet, read by the CSV formats above."
    )


@click.command(name="import", epilog=_formats_help())
@review_option
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--database",
    default="",
    help="Database or register searched (default: the vendor the file shows).",
)
@click.option("--search-string", default="", help="The search string as run (PRISMA-S).")
@click.option("--searched-on", default="", metavar="YYYY-MM-DD", help="Date the search was run.")
@click.option(
    "--format", "format_name", type=click.Choice(sorted(FORMATS)), help="Override format detection."
)
@click.option(
    "--map",
    "column_map",
    multiple=True,
    metavar="FIELD=COLUMN",
    help='Column mapping for other CSV files, e.g. --map title="Article Title".',
)
@click.option(
    "--method",
    type=click.Choice(METHODS),
    default="database",
    show_default=True,
    help="How these records were identified (PRISMA 2020).",
)
@click.option("--again", is_flag=True, help="Import a file even if it was imported before.")
def import_(
    review_dir: Path,
    files: tuple[Path, ...],
    database: str,
    search_string: str,
    searched_on: str,
    format_name: str | None,
    column_map: tuple[str, ...],
    method: str,
    again: bool,
) -> None:
    """Import search exports (format detected from content), keeping a verbatim copy of each.

    All files are read and checked first: if one is refused (empty, binary, unknown format,
    already imported), nothing is imported. Entries that cannot be parsed are reported with
    file and line, and every other entry is imported (exit status 3).

    The import is one transaction: other commands go on reading the review meanwhile, and an
    interrupted import leaves the review as it was.
    """
    options = ImportOptions(
        database=database,
        search_string=search_string,
        searched_on=searched_on,
        format_name=format_name,
        column_map=_parse_map(column_map) or None,
        method=method,
        again=again,
    )
    with Review.open(review_dir) as review, progress_reporter() as progress:
        outcomes = import_files(review, list(files), options, progress)
    rejected = 0
    for outcome in outcomes:
        described = outcome.format + (f"/{outcome.flavour}" if outcome.flavour else "")
        line = (
            f"Imported {outcome.file_name} as source {outcome.source_id}: "
            f"{counted(outcome.records, 'record')} "
            f"({described}, {outcome.database or 'database unknown'})"
        )
        if outcome.failures:
            line += f", {len(outcome.failures)} rejected"
        click.echo(line)
        if outcome.labels:
            click.echo(
                f"  {outcome.labels} ASReview labels stored as title/abstract decisions of "
                f"reviewer {outcome.file_name!r}"
            )
        for failure in outcome.failures:
            click.echo(f"  rejected {failure.describe(outcome.file_name)}", err=True)
        for warning in outcome.warnings:
            click.echo(f"  warning: {warning.describe()}", err=True)
        rejected += len(outcome.failures)
    if rejected:
        sys.exit(int(ExitCode.PARTIAL))


COMMANDS = (import_,)
