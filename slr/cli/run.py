"""`slr run`: the whole review in one command."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from slr.errors import ExitCode, SlrError
from slr.importing import METHODS
from slr.normalize.words import counted
from slr.pipeline import STAGES, RunOptions, RunReport, run_review
from slr.store.connection import is_url

EXIT_CODES_HELP = (
    "Exit status: 0 done; 1 error in init, import, dedup or screening, the run stopped there "
    "(the message says what to do next); 2 bad usage; 3 done, but entries of an export were "
    "rejected (each is listed with file and line) or an output could not be written (the tags, "
    "a graph, a PRISMA file or an export): every other output is written, and the summary names "
    "what failed and the command that redoes it."
)


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


@click.command(epilog=EXIT_CODES_HELP)
@click.option(
    "--protocol",
    "protocol_file",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="The review protocol (TOML); needed to create the review, then the review's copy.",
)
@click.argument("exports", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--out",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="The review directory to create, or to bring up to date.",
)
@click.option(
    "--store",
    metavar="URL",
    help="Keep the review in PostgreSQL (postgresql://USER@HOST/DB#SCHEMA, created on the "
    "first run) instead of in OUT; the outputs are still written to OUT.",
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
@click.option(
    "--title",
    default="",
    help="The PRISMA diagram's heading (default: the protocol's [review] title).",
)
def run(
    protocol_file: Path | None,
    exports: tuple[Path, ...],
    out: Path,
    store: str | None,
    methods: tuple[str, ...],
    databases: tuple[str, ...],
    title: str,
) -> None:
    """Run the whole review: init, import, dedup, screen auto, tag, graphs, PRISMA, exports.

    Without EXPORTS (`slr run --out DIR`) it refreshes an existing review: it imports
    nothing and rewrites every output from the review's current state (reviewers' decisions,
    resolutions, full texts, tags). The PRISMA pages (prisma.html, .svg, .md) and OUT/outputs.md
    (every file written) say the time of the review's last change, not of the run, so a
    refresh of an unchanged review writes the same bytes.

    OUT is the review directory (`slr screen`, `slr status` ... work on it afterwards); the run
    writes OUT/dedup.csv, OUT/prisma/ (prisma.svg, prisma.html, PRISMA.csv for the PRISMA2020
    R package, prisma.json, prisma.md, searches.md), OUT/graphs/ and OUT/exports/ (included.ris,
    .bib and .csv: the studies included at full text, as PRISMA counts them; full-text.ris, .bib
    and .csv: the records included at title/abstract, which the tags and graphs cover;
    asreview.csv with every unique record). Running it again imports nothing twice, keeps
    reviewers' decisions and writes the same files. The summary lists each stage's seconds and
    the peak memory so far.

    With --store URL the review itself is kept in PostgreSQL (commands then name it with
    --review URL) and OUT holds only the outputs.
    """
    if store is not None and not is_url(store):
        raise click.UsageError(f"--store takes a postgresql:// URL, not {store!r}")
    options = RunOptions(
        protocol_file,
        exports,
        out,
        _pairs(methods, "--method", METHODS),
        _pairs(databases, "--database"),
        title,
        store,
    )
    if sys.stderr.isatty():
        # rich is loaded only where used: a tenth of the start of every command
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
    _summary(report, out, store)
    if report.failures or report.rejected:
        sys.exit(int(ExitCode.PARTIAL))


def _summary(report: RunReport, out: Path, store: str | None) -> None:
    state = "Created" if report.created else "Updated"
    if store:
        from slr.store.postgres import ReviewUrl  # here: it loads psycopg

        click.echo(f"{state} the review in {ReviewUrl.parse(store)}; its outputs in {out}")
    else:
        click.echo(f"{state} the review in {out}")
    imported = ", ".join(report.imported) or "none"
    click.echo(
        f"Imported: {imported}"
        + (f"; already imported: {', '.join(report.already)}" if report.already else "")
    )
    for entry in report.rejected:
        click.echo(f"Rejected: {entry}", err=True)
    click.echo(f"Duplicates marked: {report.duplicates}; records screened: {report.screened}")
    if report.tagged is not None:
        click.echo(f"Tagged: {counted(report.tagged, 'record')} included at title/abstract")
    for stage, why in report.stages_skipped.items():
        click.echo(f"Skipped {stage}: {why}")
    click.echo("Wrote:")
    for path in report.written:
        note = report.notes.get(path)
        click.echo(f"  {path}" + (f" ({note})" if note else ""))
    for failure in report.failures:
        click.echo(f"Not written: {failure.output}: {failure.error}; {failure.hint}", err=True)
    times = ", ".join(
        f"{t.stage} {t.seconds:.1f} s" + (f" ({t.peak_mb:.0f} MB)" if t.peak_mb else "")
        for t in report.times
    )
    click.echo(f"Seconds per stage (peak memory so far): {times}")
    prisma = out / "prisma" / "prisma.html"
    if prisma in report.written:
        click.echo(f"Open {prisma} for the PRISMA 2020 flow diagram")


COMMANDS = (run,)
