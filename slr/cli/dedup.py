"""`slr dedup`, `slr dedup review`, `slr dedup undo`."""

from __future__ import annotations

from pathlib import Path

import click

from slr.cli.common import progress_reporter, review_option
from slr.dedup import Settings, deduplicate, report_csv, undo
from slr.normalize.words import counted
from slr.store import Review
from slr.store import dedup as store
from slr.store.transaction import write


@click.group(invoke_without_command=True)
@review_option
@click.option(
    "--report",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write one CSV row per record: record_id, source_file, source_index, cluster_id, role "
    "(kept, duplicate, unique, uncertain), rule, score.",
)
@click.option(
    "--merge-preprints",
    is_flag=True,
    help="Merge a preprint with its published version (default: kept apart, linked as versions).",
)
@click.pass_context
def dedup(ctx: click.Context, review_dir: Path, report: Path | None, merge_preprints: bool) -> None:
    """Find duplicate records: exact identifiers, then fuzzy matching with named safety rules.

    Duplicates are marked, never deleted; each cluster keeps its most complete record, which gains
    the fields the others add. Uncertain pairs wait for `slr dedup review`.
    """
    if ctx.invoked_subcommand is not None:
        return
    with Review.open(review_dir) as review, progress_reporter() as progress:
        summary = deduplicate(review, Settings(merge_preprints=merge_preprints), progress)
        if report is not None:
            write_report(review, report)
    click.echo(
        f"Records: {summary.records}; duplicate clusters: {summary.clusters} "
        f"({counted(summary.duplicates, 'record')} marked duplicate); "
        f"uncertain pairs: {summary.uncertain}"
    )
    if report is not None:
        click.echo(f"Report: {report}")
    if summary.uncertain:
        click.echo("Next: slr dedup review")


def write_report(review: Review, path: Path) -> None:
    path.write_text(report_csv(review), encoding="utf-8", newline="")


_FIELDS = ("title", "authors", "year", "source_title", "volume", "issue", "pages", "doi")


def _value(review: Review, record_id: int, name: str) -> str:
    record = review.get(record_id).record
    if name == "authors":
        return "; ".join(a.display for a in record.authors)
    value = getattr(record, name)
    return "" if value is None else str(value)


@dedup.command("review")
@review_option
def review_command(review_dir: Path) -> None:
    """Decide the uncertain pairs, side by side: m merge, a keep apart, s skip, q quit."""
    # rich is loaded only where used: a tenth of the start of every command
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    console = Console(highlight=False)
    with Review.open(review_dir) as review:
        pairs = store.uncertain_pairs(review.db)
        if not pairs:
            click.echo("No uncertain pairs.")
            return
        merged = apart = 0
        for number, pair in enumerate(pairs, start=1):
            a, b = pair["record_a"], pair["record_b"]
            table = Table(
                title=f"Pair {number} of {len(pairs)}: {pair['rule']}, score {pair['score']}"
            )
            table.add_column("field")
            table.add_column(f"record {a}")
            table.add_column(f"record {b}")
            for name in _FIELDS:
                left, right = _value(review, a, name), _value(review, b, name)
                style = "" if left == right else "bold yellow"
                table.add_row(name, Text(left, style=style), Text(right, style=style))
            console.print(table)
            console.print("[m]erge  keep [a]part  [s]kip  [q]uit", markup=False)
            key = click.getchar()
            if key == "q":
                break
            if key == "m":
                with write(review.db):
                    cluster_id = store.decide(review.db, pair["id"], "merge")
                merged += 1
                console.print(f"Merged into cluster {cluster_id}")
            elif key == "a":
                with write(review.db):
                    store.decide(review.db, pair["id"], "apart")
                apart += 1
                console.print("Kept apart")
            else:
                console.print("Skipped")
        remaining = len(store.uncertain_pairs(review.db))
    click.echo(f"Merged: {merged}; kept apart: {apart}; uncertain pairs left: {remaining}")


@dedup.command("undo")
@review_option
@click.argument("cluster", type=int, required=False)
@click.option("--all", "undo_all", is_flag=True, help="Undo every dedup result and decision.")
def undo_command(review_dir: Path, cluster: int | None, undo_all: bool) -> None:
    """Dissolve duplicate CLUSTER (its records become unique again), or all with --all."""
    if (cluster is None) == (not undo_all):
        raise click.UsageError("name one CLUSTER or give --all")
    with Review.open(review_dir) as review:
        freed = undo(review, None if undo_all else cluster)
    what = "every cluster" if undo_all else f"cluster {cluster}"
    verb = "is" if freed == 1 else "are"
    click.echo(f"Undid {what}: {counted(freed, 'record')} {verb} unique again")


COMMANDS = (dedup,)
