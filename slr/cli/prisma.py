"""`slr prisma`."""

from __future__ import annotations

from pathlib import Path

import click

from slr.cli.common import review_option
from slr.errors import SlrError
from slr.prisma import AUTOMATION
from slr.prisma.render import FORMATS, SEARCH_FORMATS, render_prisma, render_searches
from slr.store import Review


@click.command()
@review_option
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="md",
    show_default=True,
    help="md: a table; json and csv: the PRISMA2020 R package's data ids (the CSV is its "
    "template, loadable by PRISMA_data); svg and html: the flow diagram.",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write to this file (default: standard output).",
)
@click.option(
    "--searches",
    is_flag=True,
    help="The PRISMA-S summary instead: per source, database, method, search string, date "
    "and records (md, json or csv).",
)
@click.option(
    "--automation",
    type=click.Choice(AUTOMATION),
    default="removed",
    show_default=True,
    help="Rules' exclusions at title/abstract: removed before screening ('marked as "
    "ineligible by automation tools'), or screened and excluded by automation (counted in "
    "'records excluded', split from the reviewers').",
)
@click.option(
    "--title",
    default="",
    help="The diagram's heading (default: the protocol's [review] title, else the review's).",
)
def prisma(
    review_dir: Path, fmt: str, out: Path | None, searches: bool, automation: str, title: str
) -> None:
    """PRISMA 2020 counts and flow diagram, derived from the recorded decisions.

    Every count comes from the review: records per database and method, duplicates, rules'
    and reviewers' decisions, full texts not retrieved, exclusion reasons. Counts that do not
    add up are an error naming the records involved.
    """
    with Review.open(review_dir) as review:
        if searches:
            if fmt not in SEARCH_FORMATS:
                raise SlrError(
                    f"--searches writes {', '.join(SEARCH_FORMATS)}, not {fmt}",
                    "use --format md, json or csv",
                )
            text = render_searches(review, fmt)
        else:
            text = render_prisma(review, fmt, automation, title)
    if out is None:
        click.echo(text, nl=False)
    else:
        out.write_text(text, encoding="utf-8", newline="")
        what = (
            "PRISMA-S summary"
            if searches
            else "PRISMA 2020 " + ("diagram" if fmt in ("svg", "html") else "counts")
        )
        click.echo(f"Wrote the {what} ({fmt}) to {out}")


COMMANDS = (prisma,)
