"""`slr tag`: code records with the protocol's vocabularies; `show`, `add` and `rm` one record's
tags."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import click

from slr.cli.common import review_option
from slr.cli.screen import protocol_option
from slr.models import Evidence
from slr.normalize.words import counted
from slr.screening.run import review_protocol
from slr.screening.status import STUDY_SETS, STUDY_SETS_HELP
from slr.store import Review
from slr.tagging.matrix import period_of
from slr.tagging.run import (
    TagLine,
    correct,
    default_reviewer,
    evidence_place,
    record_tags,
    tag_review,
)

stage_option = click.option(
    "--stage",
    type=click.Choice(STUDY_SETS),
    default="included",
    show_default=True,
    help=STUDY_SETS_HELP,
)


@click.group(invoke_without_command=True)
@review_option
@stage_option
@protocol_option
@click.pass_context
def tag(ctx: click.Context, review_dir: Path, stage: str, protocol_file: Path | None) -> None:
    """Tag the records of a stage with every vocabulary of the protocol.

    Title, abstract and keywords are read (and the attached full text, when it is a text file):
    case and accents folded, whole words, plurals and -ing/-ed forms, hyphen and space variants,
    abbreviations with their case where the protocol lists them as `exact`, and each group's
    `exclude` terms voiding false senses. Each tag keeps its evidence: field, offsets and the
    words. A reviewer's `slr tag add` or `slr tag rm` beats the automatic tags and survives
    every run.
    """
    if ctx.invoked_subcommand is not None:
        return
    with Review.open(review_dir) as review:
        protocol, sha256 = review_protocol(review, protocol_file)
        summary = tag_review(review, protocol, stage, sha256)
    if not summary.records:
        click.echo(
            f"No records at stage {stage}: screen first (`slr screen auto`), or use --stage all"
        )
        return
    changes = summary.changes
    extra = f", {summary.fulltexts} with full text" if summary.fulltexts else ""
    click.echo(
        f"Tagged {counted(summary.records, 'record')} ({stage}{extra}) with "
        f"{counted(len(protocol.vocabularies), 'vocabulary')} (run {summary.run_id})"
    )
    click.echo(
        f"Tags: {changes.added} added, {changes.changed} changed, {changes.removed} removed; "
        f"{summary.corrections} reviewer corrections kept"
    )
    for vocabulary, groups in protocol.vocabularies.items():
        counts = [
            f"{group} {summary.per_group[key]}"
            for group in groups
            if (key := f"{vocabulary}.{group}") in summary.per_group
        ]
        click.echo(f"  {vocabulary}: {', '.join(counts) if counts else '-'}")


def _describe(line: TagLine, place: Callable[[Evidence], str]) -> list[str]:
    key = f"{line.vocabulary}:{line.group}"
    out = []
    if line.override is not None:
        who = f" by {line.override.reviewer}" if line.override.reviewer else ""
        note = f": {line.override.note}" if line.override.note else ""
        head = f"{key:<28} {line.status}{who}{note}"
    else:
        head = f"{key:<28} auto"
    out.append(head)
    if line.tag is not None:
        prefix = "    (auto) " if line.status == "removed" else "    "
        for evidence in line.tag.evidence:
            term = evidence.term if len(evidence.term) <= 60 else evidence.term[:57] + "..."
            words = evidence.text.replace("\n", " ")  # a full text's words may cross lines
            out.append(f'{prefix}{place(evidence)}: "{words}" (term {term})')
    return out


@tag.command()
@review_option
@click.argument("record_id", type=int)
@protocol_option
def show(review_dir: Path, record_id: int, protocol_file: Path | None) -> None:
    """Show a record's tags with the words that justify each, and reviewers' corrections."""
    with Review.open(review_dir) as review:
        protocol, _ = review_protocol(review, protocol_file)
        record = review.get(record_id).record
        tagged, lines = record_tags(review, record_id)
        place = evidence_place(review, record_id)
    click.echo(f"#{record_id} ({record.year or 'n.d.'}) {record.title}")
    period = period_of(protocol, record.year)
    if period:
        click.echo(f"period: {period}")
    if not tagged:
        click.echo("not tagged by a run yet (run `slr tag`)")
    for line in lines:
        for text in _describe(line, place):
            click.echo(text)
    if tagged and not lines:
        click.echo("no tags")


reviewer_option = click.option(
    "--reviewer", default=default_reviewer, show_default="your user name", help="Who decides."
)
note_option = click.option("--note", default="", help="Why (shown by `slr tag show`).")


def _correction_command(name: str, action: str, done: str, doc: str) -> click.Command:
    """`slr tag add` and `slr tag rm`: a reviewer's correction, which every later run keeps."""

    @tag.command(name=name, help=doc)
    @review_option
    @click.argument("record_id", type=int)
    @click.argument("tag_name", metavar="VOCAB:GROUP")
    @reviewer_option
    @note_option
    @protocol_option
    def command(
        review_dir: Path,
        record_id: int,
        tag_name: str,
        reviewer: str,
        note: str,
        protocol_file: Path | None,
    ) -> None:
        with Review.open(review_dir) as review:
            protocol, _ = review_protocol(review, protocol_file)
            changed = correct(review, protocol, record_id, tag_name, action, reviewer, note)
        already = "" if changed else "was already "
        click.echo(f"Record {record_id}: {tag_name} {already}{done} by a reviewer")

    return command


add = _correction_command(
    "add", "add", "added",
    "Give a record a tag (for example drivers:ugc); every later `slr tag` keeps it.",
)  # fmt: skip
rm = _correction_command(
    "rm", "remove", "removed",
    "Take a tag from a record; every later `slr tag` keeps it removed.",
)  # fmt: skip


COMMANDS = (tag,)
