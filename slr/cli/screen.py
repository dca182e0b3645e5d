"""`slr screen auto`: apply the protocol's rules; `--dry-run` to preview, `--undo` to reverse."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TextIO

import click

from slr.cells import safe_csv_writer
from slr.cli.common import progress_reporter, protocol_option, review_option
from slr.cli.screen_ui import describe, reviewer_option, run_resolve, run_session
from slr.errors import SlrError
from slr.normalize.words import counted
from slr.screening import agreement as stats
from slr.screening.engine import STAGES
from slr.screening.run import RunSummary, review_protocol, screen_auto, undo_last_run
from slr.screening.session import (
    CSV_COLUMNS,
    DECISIONS,
    ORDERS,
    Proposed,
    decision_rows,
    read_decisions_csv,
    record_decisions,
)
from slr.screening.status import (
    STOPPED,
    Ratings,
    Status,
    protocol_of,
    ratings,
    review_statuses,
)
from slr.screening.stop import (
    recall_curve,
    recall_curve_html,
    screening_progress,
    stop_screening,
    undo_stopping,
)
from slr.store import Review
from slr.store.review import titles as titles_of
from slr.store.screening import Change

stage_option = click.option(
    "--stage",
    type=click.Choice(STAGES),
    help="Only this stage (default: title_abstract, then full_text for the records it includes).",
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
    default=None,
    show_default="relevance at title_abstract, id at full_text",
    help="Record order: relevance (the likeliest inclusion first: a model trained on your own "
    "decisions, retrained as you go; before your first include and exclude, the rules' "
    "includes first, then random), id, random (seeded), year (newest first), rule (rules' "
    "includes first).",
)
@click.option(
    "--seed", type=int, default=0, show_default=True, help="Seed of --order random and relevance."
)
@click.option(
    "--query",
    default="",
    metavar="EXPR",
    help="Only the records this query matches (the language of `slr query` and the rules).",
)
@click.option("--rule", default="", metavar="NAME", help="Only the records this rule decided.")
@click.option(
    "--tag",
    default="",
    metavar="NAME",
    help="Only the records `slr tag` gave this tag (VOCABULARY:GROUP, or a whole VOCABULARY).",
)
@click.pass_context
def screen(
    ctx: click.Context,
    review_dir: Path,
    stage: str,
    reviewer: str,
    order: str | None,
    seed: int,
    query: str,
    rule: str,
    tag: str,
) -> None:
    """Screen records one at a time in the terminal, one key per decision.

    Keys: i include, e exclude (then the reason by its number), m maybe, n note, s skip,
    u undo, c eligibility criteria, g go to a record by its id, o open the full text, ? help,
    q quit. Each decision is saved when its key is pressed; the next session resumes at the
    first record you have not decided. Decisions are per reviewer and blind. It needs a
    terminal: scripts use `decide` and `import`. At title/abstract the likeliest inclusion
    comes first (--order relevance), and the screen says when the protocol's stopping rule is
    met. Subcommands: `auto` (the protocol's rules), `conflicts`, `resolve`, `agreement`,
    `decide`, `import`, `export`, `progress` (figures and recall curve), `stop` (end screening
    when the stopping rule is met).
    """
    if ctx.invoked_subcommand is not None:
        return
    run_session(review_dir, stage, reviewer, order or "", seed, query, rule, tag)


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
                f"Undid run {done.run_id}: {counted(done.removed, 'decision')} removed, "
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
        f"Records: {summary.records} screened with {counted(rules, 'rule')} "
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
        f"{stage}: {counted(disagree, 'record')} in conflict, "
        f"{len(pending) - disagree} marked maybe by every reviewer"
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
        f"{stage}: {counted(len(found.reviewers), 'reviewer')} ({', '.join(found.reviewers)}), "
        f"{counted(result.items, 'record')} decided by all"
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


change_option = click.option(
    "--change", is_flag=True, help="Replace a decision the reviewer already made."
)


@screen.command()
@review_option
@click.argument("record_id", metavar="RECORD", type=int)
@click.argument("decision", type=click.Choice(DECISIONS))
@click.option("--reason", default="", help="Why it is excluded: the protocol's reason, or its key.")
@click.option("--reviewer", required=True, help="Who decides (decisions are kept per reviewer).")
@click.option(
    "--stage", type=click.Choice(STAGES), default=STAGES[0], show_default=True, help="The stage."
)
@click.option("--note", default=None, help="A note on the record (replaces the reviewer's note).")
@change_option
def decide(
    review_dir: Path,
    record_id: int,
    decision: str,
    reason: str,
    reviewer: str,
    stage: str,
    note: str | None,
    change: bool,
) -> None:
    """Record one reviewer's decision on RECORD, as the screen's keys do and with their checks.

    Refused, with nothing changed: an unknown record, one not on the stage's queue, an
    exclusion without a reason where the stage needs one, a reason not in the protocol, and a
    second, different decision by the same reviewer without --change. Safe to run from several
    processes at once: each decision is its own short transaction.
    """
    with Review.open(review_dir) as review:
        protocol, _ = protocol_of(review)
        proposed = Proposed(record_id, reviewer, decision, reason, note)
        outcome, stored = record_decisions(review, stage, [proposed], protocol, change)[0]
    what = decision + (f" ({stored.reason})" if stored.reason else "")
    if outcome == "unchanged":
        click.echo(f"Record {record_id}: {reviewer} had already decided {what}; nothing changed")
    else:
        click.echo(f"Record {record_id}: {what} by {reviewer} at {stage} ({outcome})")


@screen.command(name="import")
@review_option
@click.argument("csv_file", metavar="FILE.csv", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--stage", type=click.Choice(STAGES), default=STAGES[0], show_default=True, help="The stage."
)
@change_option
def import_decisions(review_dir: Path, csv_file: Path, stage: str, change: bool) -> None:
    """Record decisions from a CSV file: record_id, reviewer, decision, reason, note.

    The columns `slr screen export` writes (reason and note may be left out); decision is
    include, exclude or maybe. Every line passes the checks of `slr screen decide`; all lines
    are recorded in one transaction or none, and every refused line is reported with its line
    number.
    """
    proposed = read_decisions_csv(csv_file)
    with Review.open(review_dir) as review:
        protocol, _ = protocol_of(review)
        outcomes = [kind for kind, _ in record_decisions(review, stage, proposed, protocol, change)]
    counts = {kind: outcomes.count(kind) for kind in ("added", "changed", "unchanged")}
    click.echo(
        f"Imported {counted(len(outcomes), 'decision')} from {csv_file} at {stage}: "
        f"{counts['added']} added, "
        f"{counts['changed']} changed, {counts['unchanged']} already recorded"
    )


@screen.command(name="export")
@review_option
@click.option(
    "--stage", type=click.Choice(STAGES), default=STAGES[0], show_default=True, help="The stage."
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, allow_dash=True),
    default="-",
    show_default="stdout",
    help="The CSV file to write.",
)
def export_decisions(review_dir: Path, stage: str, output: str) -> None:
    """Every reviewer's decisions at a stage as CSV: record_id, reviewer, decision, reason,
    note (the columns `slr screen import` reads), one row per record and reviewer."""
    with Review.open(review_dir) as review:
        protocol_of(review)  # a broken protocol copy is refused here as everywhere
        rows = decision_rows(review, stage)
    if output == "-":
        _write_decisions(sys.stdout, rows)
        return
    with open(output, "w", encoding="utf-8", newline="") as handle:
        _write_decisions(handle, rows)
    click.echo(f"Wrote {counted(len(rows), 'decision')} at {stage} to {output}")


def _write_decisions(handle: TextIO, rows: list[tuple[int, str, str, str, str]]) -> None:
    writer = safe_csv_writer(handle)  # reviewers' names, reasons and notes: people's text
    writer.writerow(CSV_COLUMNS)
    writer.writerows(rows)


@screen.command()
@review_option
@click.option(
    "--stage",
    type=click.Choice(STAGES[:1]),
    default=STAGES[0],
    show_default=True,
    help="The stage (stopping rules measure title/abstract screening).",
)
@click.option(
    "--force",
    is_flag=True,
    help="Stop although the rule is not met (recorded as forced, and said so in PRISMA).",
)
@click.option("--undo", is_flag=True, help="Reverse the stop exactly.")
def stop(review_dir: Path, stage: str, force: bool, undo: bool) -> None:
    """Stop screening when the protocol's stopping rule is met: the records nobody screened are
    excluded as "not screened: stopping rule met".

    The rule, its parameters and its figures (p value, recall bound, records screened) are
    stored with the stop and in the log; PRISMA counts the records as marked ineligible by
    automation tools, and the diagram's note names the rule and the recall it guarantees.
    Refused, with the figures, while the rule is not met (unless --force).
    """
    with Review.open(review_dir) as review:
        if undo:
            if force:
                raise click.UsageError("--undo takes no --force")
            restored = undo_stopping(review)
            click.echo(f"Undid the stop at {stage}: {counted(restored, 'record')} unscreened again")
            return
        stopped = stop_screening(review, force)
    click.echo(stopped.verdict.summary())
    what = "forced, the rule not met" if stopped.forced else "the rule met"
    click.echo(
        f"Stopped {stage} screening ({what}): {counted(stopped.excluded, 'record')} nobody "
        f'screened excluded as "{STOPPED}" (undo with `slr screen stop --undo`)'
    )


@screen.command()
@review_option
@click.option(
    "--stage", type=click.Choice(STAGES), default=STAGES[0], show_default=True, help="The stage."
)
@click.option(
    "--reviewer", default="", help="Only this reviewer's decisions (default: everyone's)."
)
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
@click.option(
    "--curve",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the recall curve (includes found against records screened) to FILE.svg or "
    "FILE.html.",
)
def progress(
    review_dir: Path, stage: str, reviewer: str, as_json: bool, curve: Path | None
) -> None:
    """How far screening has come: records decided of those to screen, includes found, an
    estimate of the includes still unseen, and the protocol's stopping rule with its figures
    (p value, recall bound at title/abstract); --curve draws the recall curve."""
    if curve is not None and curve.suffix.lower() not in (".svg", ".html"):
        raise click.UsageError("--curve writes FILE.svg or FILE.html")
    with Review.open(review_dir) as review:
        found = screening_progress(review, stage, reviewer)
    if curve is not None:
        title = f"Recall curve: {stage}" + (f", {reviewer}" if reviewer else "")
        draw = recall_curve_html if curve.suffix.lower() == ".html" else recall_curve
        curve.write_text(draw(found, title), encoding="utf-8")
    if as_json:
        click.echo(json.dumps(found.to_dict(), indent=2))
        return
    for line in found.lines():
        click.echo(line)
    if curve is not None:
        click.echo(f"Wrote the recall curve to {curve}")


COMMANDS = (screen,)
