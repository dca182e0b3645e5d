"""`slr extract`: the extraction matrix of the included studies; `edit` fills the protocol's
extraction fields of one record."""

from __future__ import annotations

from pathlib import Path

import click

from slr.cli.common import review_option
from slr.cli.screen import protocol_option
from slr.errors import SlrError
from slr.export.matrix import FORMATS, matrix_csv, matrix_markdown, write_matrix
from slr.fulltext.attach import check_not_excluded
from slr.normalize.words import counted
from slr.screening.run import review_protocol
from slr.screening.status import STUDY_SETS, review_statuses
from slr.store import Review
from slr.store import tagging as store
from slr.store.transaction import write
from slr.tagging.matrix import build_matrix


@click.group(invoke_without_command=True)
@review_option
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="csv",
    show_default=True,
    help="xlsx needs --output.",
)
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write to FILE (default: standard output).",
)
@click.option(
    "--stage",
    type=click.Choice(STUDY_SETS),
    default="included",
    show_default=True,
    help="Which records are rows (see `slr tag --help`).",
)
@protocol_option
@click.pass_context
def extract(
    ctx: click.Context,
    review_dir: Path,
    fmt: str,
    output: Path | None,
    stage: str,
    protocol_file: Path | None,
) -> None:
    """The extraction matrix: id, author-year, title, year, period, source, DOI, one column per
    vocabulary of the protocol (drivers, method, region ...: the tags, with reviewers'
    corrections) and the protocol's [extraction] fields (fill them with `slr extract edit`)."""
    if ctx.invoked_subcommand is not None:
        return
    if fmt == "xlsx" and output is None:
        raise click.UsageError("--format xlsx needs --output FILE")
    with Review.open(review_dir) as review:
        protocol, _ = review_protocol(review, protocol_file)
        matrix = build_matrix(review, protocol, stage)
    if output is None:
        text = matrix_csv(matrix) if fmt == "csv" else matrix_markdown(matrix)
        click.echo(text, nl=False)
        return
    write_matrix(matrix, output, fmt)
    click.echo(f"Wrote {counted(len(matrix.rows), 'study')} ({stage}) to {output}")


@extract.command()
@review_option
@click.argument("record_id", type=int)
@click.option(
    "--set",
    "assignments",
    multiple=True,
    metavar="FIELD=VALUE",
    help="Set a field without prompting (repeatable); an empty VALUE clears it.",
)
@protocol_option
@click.option("--force", is_flag=True, help="Fill a record excluded at title/abstract too.")
def edit(
    review_dir: Path,
    record_id: int,
    assignments: tuple[str, ...],
    protocol_file: Path | None,
    force: bool,
) -> None:
    """Fill the protocol's extraction fields of a record.

    Without --set, each field is asked in turn with its description and current value: press
    Enter to keep the value, type `-` to clear it. A record excluded at title/abstract is
    refused unless --force.
    """
    with Review.open(review_dir) as review:
        protocol, _ = review_protocol(review, protocol_file)
        review.get(record_id)  # an unknown id is an error
        if not force:
            check_not_excluded(review_statuses(review, protocol), record_id, "extraction")
        fields = protocol.extraction_fields
        if not fields:
            raise SlrError(
                "the protocol has no extraction fields",
                'add them as [extraction.fields] name = "what to write" (protocols/README.md)',
            )
        record = review.get(record_id).record
        current = store.extraction_values_of(review.db, record_id)
        values: dict[str, str] = {}
        if assignments:
            for item in assignments:
                name, sep, value = item.partition("=")
                if not sep or name not in fields:
                    raise SlrError(
                        f"--set {item!r}: write FIELD=VALUE with a field of the protocol "
                        f"({', '.join(fields)})"
                    )
                values[name] = value
        else:
            click.echo(f"#{record_id} ({record.year or 'n.d.'}) {record.title}")
            for name, description in fields.items():
                click.echo(f"{name}: {description}")
                answer = click.prompt(
                    "  value", default=current.get(name, ""), show_default=bool(current.get(name))
                )
                values[name] = "" if answer.strip() == "-" else answer
        with write(review.db):
            changed = store.set_extraction_values(review.db, record_id, values)
    click.echo(f"Record {record_id}: {counted(changed, 'field')} changed")


COMMANDS = (extract,)
