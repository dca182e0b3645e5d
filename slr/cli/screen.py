"""`slr screen auto`: apply the protocol's rules; `--dry-run` to preview, `--undo` to reverse."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TextIO

import click

from slr.cells import safe_csv_writer
from slr.cli.common import progress_reporter, review_option
from slr.cli.screen_ui import describe, reviewer_option, run_resolve, run_session
from slr.errors import SlrError
from slr.screening import agreement as stats
from slr.screening.engine import STAGES
from slr.screening.run import RunSummary, review_protocol, screen_auto, undo_last_run
from slr.screening.session import ORDERS
from slr.screening.status import Ratings, Status, ratings, review_statuses
from slr.store import Review
from slr.store.review import titles as titles_of
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


@click.group(invoke_without_command=True)
@review_option
@click.option(
    "--stage",
    type=click.Choice(STAGES),
    default=STAGES[0],
    show_default=True,
    help="The stage to screen (full_text: records included at title/abstract).",
)
@reviewer_option
@click.option(
    "--order",
    type=click.Choice(ORDERS),
    default="id",
    show_default=True,
    help="Record order: id, random (seeded), year (newest first), rule (rules' includes first).",
)
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of --order random.")
@click.pass_context
def screen(
    ctx: click.Context, review_dir: Path, stage: str, reviewer: str, order: str, seed: int
) -> None:
    """Screen records one at a time in the terminal, one key per decision.

    Keys: i include, e exclude (then the reason by its number), m maybe, n note, s skip,
    u undo, c eligibility criteria, o open the full text, ? help, q quit. Each decision is saved
    when its key is pressed; the next session resumes at the first record you have not decided.
    Decisions are per reviewer and blind. Subcommands: `auto` (the protocol's rules),
    `conflicts`, `resolve`, `agreement`.
    """
    if ctx.invoked_subcommand is not None:
        return
    run_session(review_dir, stage, reviewer, order, seed)


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


@screen.command()
@review_option
@click.option(
    "--stage", type=click.Choice(STAGES), default=STAGES[0], show_default=True, help="The stage."
)
def conflicts(review_dir: Path, stage: str) -> None:
    """List the records reviewers disagree on (or all marked maybe) at a stage."""
    with Review.open(review_dir) as review:
        pending = review_statuses(review).conflicts(stage)
        titles = titles_of(review.db)
    disagree = sum(1 for s in pending if s.status == "conflict")
    click.echo(
        f"{stage}: {disagree} records in conflict, {len(pending) - disagree} marked maybe by "
        "every reviewer"
    )
    for status in pending:
        title = titles[status.record_id]
        title = title if len(title) <= 60 else title[:59] + "…"
        click.echo(f"  {status.record_id:>6}  {title}")
        click.echo(f"          {describe(status)}")
    if pending:
        click.echo("Resolve them with `slr screen resolve`")


@screen.command()
@review_option
@click.option(
    "--stage", type=click.Choice(STAGES), default=STAGES[0], show_default=True, help="The stage."
)
@reviewer_option
def resolve(review_dir: Path, stage: str, reviewer: str) -> None:
    """Walk the conflicts, showing every reviewer's decision and note; record the final one.

    Keys: i include, e exclude (then the reason), s skip, q quit. The final decision is what
    the full-text stage and the PRISMA counts use.
    """
    resolved, left = run_resolve(review_dir, stage, reviewer)
    click.echo(f"Resolved {resolved}; {left} still in conflict")


@screen.command()
@review_option
@click.option(
    "--stage", type=click.Choice(STAGES), default=STAGES[0], show_default=True, help="The stage."
)
@click.option(
    "--csv",
    "csv_file",
    type=click.Path(dir_okay=False, allow_dash=True),
    help="Also write every reviewer's decisions, one row per record, to this file (- for stdout).",
)
def agreement(review_dir: Path, stage: str, csv_file: str | None) -> None:
    """Percent agreement and Cohen's kappa (two reviewers) or Fleiss' kappa (more).

    Counted over the records every reviewer decided; categories include, exclude and maybe.
    The label is Landis and Koch's (poor, slight, fair, moderate, substantial, almost perfect).
    """
    with Review.open(review_dir) as review:
        resolved = review_statuses(review)
        found = ratings(resolved, stage)
        statuses = resolved.stage(stage)
        titles = titles_of(review.db)
    to_stdout = csv_file == "-"
    if csv_file is not None:
        if to_stdout:
            write_csv(sys.stdout, found, statuses, titles)
        else:
            with open(csv_file, "w", encoding="utf-8", newline="") as handle:
                write_csv(handle, found, statuses, titles)
    if len(found.reviewers) < 2:
        raise SlrError(
            f"agreement needs two reviewers; {stage} has {len(found.reviewers)}"
            + (f" ({', '.join(found.reviewers)})" if found.reviewers else ""),
            "screen with `slr screen --reviewer NAME` as each reviewer",
        )
    complete = found.complete()
    result = stats.agreement([decisions for _, decisions in complete])

    def echo(text: str) -> None:
        click.echo(text, err=to_stdout)  # the table on stdout, the figures on stderr

    echo(
        f"{stage}: {len(found.reviewers)} reviewers ({', '.join(found.reviewers)}), "
        f"{result.items} records decided by all"
    )
    if result.items == 0:
        raise SlrError("no record was decided by every reviewer yet")
    echo(f"Percent agreement: {result.percent:.1f}%")
    name = "Cohen's kappa" if result.method == "Cohen" else "Fleiss' kappa"
    if result.kappa is None:
        echo(f"{name}: undefined (every decision is in one category: chance agreement is 1)")
    else:
        echo(f"{name}: {result.kappa:.3f} ({result.label}, Landis–Koch)")


def write_csv(
    handle: TextIO,
    found: Ratings,
    statuses: dict[int, Status],
    titles: dict[int, str],
) -> None:
    writer = safe_csv_writer(handle)  # titles, reviewer names, reasons and notes: people's text
    header = ["record_id", "title"]
    for reviewer in found.reviewers:
        header += [f"{reviewer}_decision", f"{reviewer}_reason", f"{reviewer}_note"]
    writer.writerow([*header, "final"])
    for rid in sorted(found.by_record):
        row: list[object] = [rid, titles.get(rid, "")]
        for reviewer in found.reviewers:
            decision = found.by_record[rid].get(reviewer)
            row += [decision.decision, decision.reason, decision.note] if decision else ["", "", ""]
        status = statuses.get(rid)
        writer.writerow([*row, status.status if status else ""])


COMMANDS = (screen,)
