"""`slr screen auto`: apply the protocol's rules; `--dry-run` to preview, `--undo` to reverse."""

from __future__ import annotations

from pathlib import Path

import click

from slr.cli.common import progress_reporter, review_option
from slr.screening.engine import STAGES
from slr.screening.run import RunSummary, review_protocol, screen_auto, undo_last_run
from slr.store import Review
from slr.store.screening import Change

stage_option = click.option(
    "--stage",
    type=click.Choice(STAGES),
    help="Only this stage (default: title_abstract, then full_text for the records it includes).",
)
protocol_option = click.option(
    "--protocol",
    "protocol_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Use this protocol file instead of the review's copy.",
)


@click.group()
def screen() -> None:
    """Screen records: by the protocol's rules (`auto`), later by reviewers."""


@screen.command()
@review_option
@stage_option
@click.option("--dry-run", is_flag=True, help="Show what would change; write nothing.")
@click.option("--undo", is_flag=True, help="Reverse the last run exactly.")
@protocol_option
def auto(
    review_dir: Path, stage: str | None, dry_run: bool, undo: bool, protocol_file: Path | None
) -> None:
    """Apply the protocol's rules in order: the first rule that matches a record decides.

    Each decision keeps its rule id, reason and the text that matched. Records marked duplicate
    are not screened, and a reviewer's decision is never overwritten. Exclusions made here are
    PRISMA's "records marked as ineligible by automation tools".
    """
    with Review.open(review_dir) as review:
        if undo:
            if dry_run or stage:
                raise click.UsageError("--undo takes no --stage or --dry-run")
            done = undo_last_run(review)
            click.echo(
                f"Undid run {done.run_id}: {done.removed} decisions removed, "
                f"{done.restored} restored"
            )
            return
        protocol, sha256 = review_protocol(review, protocol_file)
        stages = (stage,) if stage else STAGES
        with progress_reporter() as progress:
            summary = screen_auto(review, protocol, stages, dry_run, sha256, progress)
    _print_summary(summary, dry_run)


def _print_summary(summary: RunSummary, dry_run: bool) -> None:
    rules = sum(s.rules for s in summary.stages)
    click.echo(
        f"Records: {summary.records} screened with {rules} rules "
        f"({summary.duplicates} marked duplicate, not screened)"
    )
    for stage in summary.stages:
        decided = stage.decided
        undecided = stage.screened - sum(decided.values())
        line = (
            f"{stage.stage}: {decided['exclude']} excluded, {decided['include']} included, "
            f"{decided['flag']} flagged, {undecided} no rule matched"
        )
        if stage.stage == "full_text":
            line += f" (of {stage.screened} included at title_abstract)"
        if stage.human:
            line += f"; {stage.human} decided by reviewers, left alone"
        click.echo(line)
    counts = (
        f"{summary.count('add')} added, {summary.count('change')} changed, "
        f"{summary.count('remove')} removed"
    )
    if dry_run:
        for change in summary.changes:
            click.echo(describe_change(change))
        click.echo(f"Dry run: {counts}; nothing was written")
        return
    click.echo(f"Decisions: {counts} (run {summary.run_id}; undo with `slr screen auto --undo`)")


def _decision(values: dict) -> str:
    text = f"{values['decision']} by {values['reviewer']} ({values['reason']})"
    if values["span_field"]:
        text += f" [{values['span_field']}: {values['span_text']}]"
    return text


def describe_change(change: Change) -> str:
    where = f"record {change.record_id} {change.stage}"
    if change.kind == "add":
        assert change.after is not None
        return f"+ {where}: {_decision(change.after)}"
    if change.kind == "remove":
        assert change.before is not None
        return f"- {where}: {_decision(change.before)}"
    assert change.before is not None and change.after is not None
    return f"~ {where}: {_decision(change.before)} -> {_decision(change.after)}"


COMMANDS = (screen,)
