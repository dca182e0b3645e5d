"""`slr run`: the whole review in one command."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from slr.errors import SlrError
from slr.importing import METHODS
from slr.pipeline import STAGES, RunOptions, run_review


def _pairs(values: tuple[str, ...], option: str, allowed: tuple[str, ...] = ()) -> dict[str, str]:
    table = {}
    for value in values:
        name, sep, setting = value.partition("=")
        if not sep or not name.strip() or not setting.strip():
            raise SlrError(
                f"{option} {value!r} is not FILE=VALUE", f"write it like {option} a.bib=…"
            )
        if allowed and setting.strip() not in allowed:
            raise SlrError(
                f"{option} {value!r}: unknown method {setting.strip()!r}",
                f"use one of: {', '.join(allowed)}",
            )
        table[name.strip()] = setting.strip()
    return table


@click.command()
@click.option(
    "--protocol",
    "protocol_file",
    required=True,
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="The review protocol (TOML).",
)
@click.argument("exports", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--out",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="The review directory to create, or to bring up to date.",
)
@click.option(
    "--method",
    "methods",
    multiple=True,
    metavar="FILE=METHOD",
    help=f"How an export's records were identified ({', '.join(METHODS)}; default database).",
)
@click.option(
    "--database",
    "databases",
    multiple=True,
    metavar="FILE=NAME",
    help="The database or register an export came from (default: the vendor the file shows).",
)
def run(
    protocol_file: Path,
    exports: tuple[Path, ...],
    out: Path,
    methods: tuple[str, ...],
    databases: tuple[str, ...],
) -> None:
    """Run the whole review: init, import, dedup, screen auto, tag, graphs, PRISMA, exports.

    OUT is the review directory (`slr screen`, `slr status` ... work on it afterwards); the run
    writes OUT/dedup.csv, OUT/prisma/ (prisma.svg, prisma.html, PRISMA.csv for the PRISMA2020
    R package, prisma.json, prisma.md, searches.md), OUT/graphs/ and OUT/exports/ (the included
    studies as RIS, BibTeX and CSV; asreview.csv with every unique record). Running it again
    imports nothing twice, keeps reviewers' decisions and writes the same files.
    """
    options = RunOptions(
        protocol_file,
        exports,
        out,
        _pairs(methods, "--method", METHODS),
        _pairs(databases, "--database"),
    )
    if sys.stderr.isatty():
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

        with Progress(
            TextColumn("{task.fields[stage]:<8}"),
            BarColumn(),
            TextColumn("{task.description}"),
            TimeElapsedColumn(),
            transient=False,
        ) as bars:
            tasks = {stage: bars.add_task("", total=1, stage=stage) for stage in STAGES}

            def progress(stage: str, message: str) -> None:
                if message == "done":
                    bars.update(tasks[stage], completed=1, description="done")
                else:
                    bars.update(tasks[stage], description=message)

            report = run_review(options, progress)
    else:
        report = run_review(options)
    state = "Created" if report.created else "Updated"
    click.echo(f"{state} the review in {out}")
    imported = ", ".join(report.imported) or "none"
    click.echo(
        f"Imported: {imported}"
        + (f"; already imported: {', '.join(report.already)}" if report.already else "")
    )
    click.echo(f"Duplicates marked: {report.duplicates}; records screened: {report.screened}")
    if report.tagged is not None:
        click.echo(f"Tagged: {report.tagged} included records")
    for stage, why in report.stages_skipped.items():
        click.echo(f"Skipped {stage}: {why}")
    click.echo("Wrote:")
    for path in report.written:
        click.echo(f"  {path}")
    click.echo(f"Open {out / 'prisma' / 'prisma.html'} for the PRISMA 2020 flow diagram")


COMMANDS = (run,)
